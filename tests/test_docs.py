"""The documentation a newcomer reads first stays true."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from obsconsole.ui.actions import ACTIONS

ROOT = Path(__file__).resolve().parent.parent


def test_readme_starts_with_the_install_and_demo_command_then_the_tests() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    block = lines[lines.index("```sh") + 1 : lines.index("```sh") + 3]
    assert block[0].endswith("obsconsole demo") and "pip install" in block[0]
    assert block[1] == "scripts/test"


def test_readme_lists_every_key_binding_id() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [a.id for a in ACTIONS if f"`{a.id}`" not in readme]
    assert not missing


def test_default_keymap_file_lists_every_binding_with_its_default_key() -> None:
    import yaml

    shipped = yaml.safe_load((ROOT / "keymaps" / "default.yaml").read_text())["bindings"]
    assert shipped == {a.id: a.key for a in ACTIONS}


# --------------------------------------------------------------------------- install

BACKEND_CLIENTS = {"prometheus-api-client", "elasticsearch", "asyncpg"}


def test_the_readme_install_gets_the_backend_clients() -> None:
    """The README's `pip install -e .` must give a console that can talk to a real
    Prometheus and Elasticsearch: their clients are requirements of obsconsole itself,
    not behind an extra, and the README sends nobody to an extra for them."""
    from importlib.metadata import requires

    plain = {
        re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0].lower()
        for requirement in requires("obsconsole") or []
        if "extra ==" not in requirement
    }
    assert BACKEND_CLIENTS <= plain, sorted(plain)
    readme = (ROOT / "README.md").read_text()
    assert "[backends]" not in readme and "`backends` extra" not in readme


def test_starting_the_cli_imports_no_backend_client() -> None:
    """Start-up is paid on every SSH login: installed is not imported."""
    code = (
        "import sys, obsconsole.cli; "
        "print(' '.join(sorted(m for m in ('prometheus_api_client', 'elasticsearch', 'asyncpg', 'requests') "
        "if m in sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "\n"
