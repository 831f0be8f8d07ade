"""The layering the design relies on, checked on the source with `ast`:

- only obsconsole/ui/ may import Textual (everything else runs headless and in tests);
- obsconsole/logic/ is pure: no module there imports anything that does I/O, nor the
  config package (config imports logic's rules, never the reverse);
- no package module depends on the tests' stand-in backends;
- `import obsconsole.cli` stays light (`obsconsole check` / `--help` start fast on every
  SSH login), which means it must not pull Textual in.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "obsconsole"

UI_ONLY = ("textual", "textual_plotext")
IO_MODULES = (
    "os",
    "sys",
    "socket",
    "subprocess",
    "httpx",
    "asyncio",
    "pathlib",
    "shutil",
    "requests",
    "elasticsearch",
    "asyncpg",
    "prometheus_api_client",
    "urllib.request",
    "http",
    "io",
    "tempfile",
    "sqlite3",
    "aiohttp",
)
IO_CALLS = ("open", "exec", "eval", "__import__", "input", "breakpoint")
#: all logic/ may import of the package: the layer below it and itself. Everything else
#: sits above it (DESIGN.md: imports point down), and config, locations, sources, actions
#: and the hub read files, the environment or backends.
LOGIC_MAY_IMPORT = ("obsconsole.model", "obsconsole.logic")


@dataclass(frozen=True)
class Import:
    module: str  # absolute dotted name
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, source: str | None = None) -> list[Import]:
    """Every module `path` imports, in any form: `import a.b`, `from a import b`
    (also reported as `a.b`), relative imports resolved, and
    `importlib.import_module("x")` / `__import__("x")` with a literal name.
    `source` stands in for the file's text (to test the finder itself)."""
    if source is None:
        source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.append(Import(base, node.lineno))
            found.extend(Import(f"{base}.{alias.name}", node.lineno) for alias in node.names)
        elif isinstance(node, ast.Call):
            func = node.func
            callee = (
                func.attr
                if isinstance(func, ast.Attribute)
                else func.id
                if isinstance(func, ast.Name)
                else ""
            )
            if (
                callee in ("import_module", "__import__")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.append(Import(node.args[0].value, node.lineno))
    return found


def is_within(module: str, roots: tuple[str, ...]) -> bool:
    return any(module == r or module.startswith(r + ".") for r in roots)


def is_above_logic(module: str) -> bool:
    """A module of the package that logic/ must not import (the bare `obsconsole` of
    `from obsconsole import model` is the package itself, not a layer)."""
    return (
        is_within(module, ("obsconsole",))
        and module != "obsconsole"
        and not is_within(module, LOGIC_MAY_IMPORT)
    )


def package_files(under: Path = PACKAGE) -> list[Path]:
    return sorted(p for p in under.rglob("*.py") if "__pycache__" not in p.parts)


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_walk_sees_the_package() -> None:
    files = {rel(p) for p in package_files()}
    assert "obsconsole/cli.py" in files
    assert "obsconsole/logic/slo.py" in files
    assert any(f.startswith("obsconsole/ui/") for f in files)


def test_the_import_finder_sees_every_form() -> None:
    source = (
        "import textual\n"
        "import textual.app as app\n"
        "from textual import work\n"
        "from textual.widgets import Static\n"
        "def f():\n"
        "    import textual_plotext\n"
        "    importlib.import_module('textual.screen')\n"
        "    return __import__('textual')\n"
        "from . import sibling\n"
        "from ..model import Health\n"
    )
    # read as if it lived at obsconsole/logic/_probe.py (nothing is written)
    modules = {i.module for i in imports_of(PACKAGE / "logic" / "_probe.py", source)}
    assert {
        "textual",
        "textual.app",
        "textual.work",
        "textual.widgets.Static",
        "textual_plotext",
        "textual.screen",
        "obsconsole.logic.sibling",
        "obsconsole.model.Health",
    } <= modules


def test_only_the_ui_imports_textual() -> None:
    offenders = [
        f"{rel(path)}:{imp.line}: {imp.module}"
        for path in package_files()
        if not rel(path).startswith("obsconsole/ui/")
        for imp in imports_of(path)
        if is_within(imp.module, UI_ONLY)
    ]
    assert offenders == [], "Textual imported outside obsconsole/ui/:\n" + "\n".join(offenders)


def test_nothing_outside_the_ui_imports_the_ui_at_module_level() -> None:
    """cli.py may import the UI inside the commands that draw; no module may do it at the
    top level (it would load Textual for every command)."""
    offenders = []
    for path in package_files():
        if rel(path).startswith("obsconsole/ui/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            offenders += [
                f"{rel(path)}:{node.lineno}: {n}" for n in names if is_within(n, ("obsconsole.ui",))
            ]
    assert offenders == []


@pytest.mark.parametrize(
    "path", package_files(PACKAGE / "logic"), ids=lambda p: rel(p)
)
def test_logic_modules_do_no_io(path: Path) -> None:
    offenders = [
        f"{rel(path)}:{imp.line}: imports {imp.module}"
        for imp in imports_of(path)
        if is_within(imp.module, IO_MODULES) or is_within(imp.module, UI_ONLY)
    ]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    offenders += [
        f"{rel(path)}:{node.lineno}: calls {node.func.id}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in IO_CALLS
    ]
    assert offenders == []


def test_the_import_finder_sees_config_imports_from_logic() -> None:
    source = (
        "from obsconsole.config import Thresholds\n"
        "from ..config.types import Panes\n"
        "import obsconsole.locations\n"
    )
    modules = {i.module for i in imports_of(PACKAGE / "logic" / "_probe.py", source)}
    assert {
        "obsconsole.config.Thresholds",
        "obsconsole.config.types.Panes",
        "obsconsole.locations",
    } <= modules
    assert all(is_above_logic(m) for m in modules)
    allowed = ("obsconsole", "obsconsole.model.Health", "obsconsole.logic.fields")
    assert not any(is_above_logic(m) for m in allowed)


def test_logic_imports_neither_config_nor_io() -> None:
    """The whole of logic/, in one list: config reads YAML, the environment and files, so
    logic may not lean on it; the types logic needs live in model.py or logic/ itself."""
    offenders = [
        f"{rel(path)}:{imp.line}: imports {imp.module}"
        for path in package_files(PACKAGE / "logic")
        for imp in imports_of(path)
        if is_above_logic(imp.module) or is_within(imp.module, IO_MODULES)
    ]
    assert offenders == [], "logic/ imports config or I/O:\n" + "\n".join(offenders)


def test_no_package_module_depends_on_the_test_standins() -> None:
    offenders = [
        f"{rel(path)}:{imp.line}: {imp.module}"
        for path in package_files()
        for imp in imports_of(path)
        if is_within(imp.module, ("tests",))
    ]
    assert offenders == []


def _loaded_after(statement: str) -> list[str]:
    code = (
        f"import sys\n{statement}\n"
        "print('\\n'.join(sorted(m for m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.parametrize(
    "module",
    ["obsconsole.cli", "obsconsole.panes", "obsconsole.session", "obsconsole.export", "obsconsole.sources.build", "obsconsole.hub", "obsconsole.logic.sanitize"],
)
def test_importing_headless_modules_does_not_load_textual(module: str) -> None:
    loaded = _loaded_after(f"import {module}")
    assert module in loaded
    heavy = [m for m in loaded if is_within(m, UI_ONLY + ("obsconsole.ui",))]
    assert heavy == [], f"`import {module}` loads {heavy[:5]}"


def test_importing_the_cli_does_not_load_backend_clients() -> None:
    loaded = _loaded_after("import obsconsole.cli")
    heavy = [
        m
        for m in loaded
        if is_within(m, ("elasticsearch", "asyncpg", "prometheus_api_client", "textual_plotext", "plotext"))
    ]
    assert heavy == []


def test_importing_logic_does_not_load_config_or_io_layers() -> None:
    """`test_logic_imports_neither_config_nor_io` at run time: importing every module of
    logic/ loads no module of the package above it, so an indirect import (through
    model.py, or a package logic uses) is caught too."""
    modules = [module_name(p) for p in package_files(PACKAGE / "logic")]
    loaded = _loaded_after("\n".join(f"import {m}" for m in modules))
    assert set(modules) <= set(loaded)
    above = [m for m in loaded if is_above_logic(m)]
    assert above == [], f"importing logic/ loads {above[:5]}"


def test_panes_reach_the_session_only_through_messages() -> None:
    """A pane posts LogQueryChanged, ChartPointsChanged, AlertActionRequested…; the App
    calls the session. No pane module touches the sources or the hub."""
    offenders = []
    for path in sorted((ROOT / "obsconsole" / "ui" / "panes").glob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\bapp\.(sources|hub|session|audit)\b", line):
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert offenders == []


def test_no_pane_module_imports_the_sources() -> None:
    found = [
        f"{rel(path)}:{imp.line} imports {imp.module}"
        for path in package_files(PACKAGE / "ui" / "panes")
        for imp in imports_of(path)
        if is_within(imp.module, ("obsconsole.sources",))
    ]
    assert found == []


def test_every_subpackage_is_in_the_wheel() -> None:
    """pyproject.toml lists the packages (the themes and keymaps folders are mapped in),
    so a subpackage left out would be missing from a non-editable install."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {module_name(init.parent / "x.py").rsplit(".", 1)[0] for init in PACKAGE.rglob("__init__.py")
             if "__pycache__" not in init.parts}
    assert found - listed == set()
