"""Finding and loading the config file: `find_config_path`, then `load_config` reads
the YAML (duplicate keys refused), substitutes `${VAR}`, and validates it section by
section (`sections`) into a `Config`.

The loader reports every mistake it can find, one `file: key.path: reason` line each,
not only the first. It imports the validator (`expand`, `sections`, `validate`) and yaml
only when it loads a file, so `import obsconsole.config` stays light.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

from obsconsole import locations
from obsconsole.config.errors import ConfigError
from obsconsole.config.types import Config, Context


def find_config_path(cli_path: str | None) -> Path | None:
    """The config file to load: `--config`, else `$OBSCONSOLE_CONFIG`, else
    `config_dir()/config.yaml` if it exists, else None (the caller may fall back to the
    demo). An explicit path is returned even if missing, so loading it reports that."""
    if cli_path:
        return Path(cli_path).expanduser()
    from_env = os.environ.get("OBSCONSOLE_CONFIG", "")
    if from_env:
        return Path(from_env).expanduser()
    candidate = locations.config_dir() / "config.yaml"
    return candidate if candidate.is_file() else None


def load_config(
    path: str | Path,
    context: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Read, substitute and validate a config file.

    Args:
        path: the YAML file; errors name it as given.
        context: the context to make current (default: the file's `context:`, else the
            first context).
        environ: variables for `${VAR}` substitution (default: `os.environ`).

    Raises:
        ConfigError: every problem found, one `FILE: KEY.PATH: reason` line each.
    """
    # The validator is imported on first use, like yaml: `obsconsole demo` and `--help`
    # never read a file, and start-up is paid on every SSH login.
    from obsconsole.config.expand import _substitute_tree
    from obsconsole.config.sections import _TOP_SCHEMA
    from obsconsole.config.validate import _At, _fields, _kwargs

    file = str(path)
    env = os.environ if environ is None else environ
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(file, "", "file not found") from None
    except UnicodeDecodeError:
        raise ConfigError(file, "", "not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(file, "", f"cannot read: {exc.strerror or exc}") from None

    document = _parse_yaml(text, file)
    if isinstance(document, dict):
        # Top-level `x-…` keys are ignored (the docker-compose convention): they hold
        # YAML anchors that contexts share, e.g. `x-auth: &auth {...}` then `<<: *auth`.
        document = {
            k: v for k, v in document.items() if not (isinstance(k, str) and k.startswith("x-"))
        }
    root = _At(file, Path(path).absolute().parent, "", {} if document is None else document)
    # Substitute before validating, so `refresh: ${REFRESH:-10s}` is checked as "10s".
    root = replace(root, value=_substitute_tree(root, env))
    values = _fields(root, _TOP_SCHEMA, required=("contexts",))

    contexts: dict[str, Context] = values["contexts"]
    # The file's default is checked even when the caller overrides it: it is still a
    # mistake in the file.
    for chosen in (values.get("context"), context):
        if chosen is not None and chosen not in contexts:
            have = ", ".join(contexts)
            raise ConfigError(file, "context", f"no context '{chosen}' (have: {have})")
    current = context or values.get("context") or next(iter(contexts))
    audit_log = values.get("audit_log")
    if contexts[current].demo is not None:
        # acks on the synthetic platform are make-believe: never in the real audit log,
        # but beside it (`demo-<name>`), so a chosen directory is still respected
        real = Path(audit_log) if audit_log else None
        audit_log = real.with_name(f"demo-{real.name}") if real else locations.demo_audit_log()
    audit_log = str(audit_log or locations.default_audit_log())
    return Config(
        path=file,
        contexts=contexts,
        current_context=current,
        audit_log=audit_log,
        **_kwargs(values, "theme", "keymap", "bell"),
    )


# --------------------------------------------------------------------------- YAML


_UNIQUE_KEY_LOADER: Any = None


def _yaml_loader() -> Any:
    """A SafeLoader that rejects duplicate keys: plain YAML keeps the last one silently,
    so a second `prometheus:` block would quietly replace the first."""
    global _UNIQUE_KEY_LOADER
    if _UNIQUE_KEY_LOADER is None:
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        class UniqueKeyLoader(base):  # type: ignore[misc, valid-type]
            def construct_mapping(self, node: Any, deep: bool = False) -> Any:
                seen: set[Any] = set()
                for key_node, _value in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        continue  # `<<: *anchor` may legitimately be overridden
                    key = self.construct_object(key_node, deep=True)
                    try:
                        duplicate = key in seen
                    except TypeError:  # unhashable: the base class reports it
                        continue
                    if duplicate:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"duplicate key {key!r}", key_node.start_mark
                        )
                    seen.add(key)
                return super().construct_mapping(node, deep=deep)

        _UNIQUE_KEY_LOADER = UniqueKeyLoader
    return _UNIQUE_KEY_LOADER


def _parse_yaml(text: str, file: str) -> Any:
    import yaml  # lazily: the demo and code that only uses the dataclasses never pay

    try:
        return yaml.load(text, Loader=_yaml_loader())  # noqa: S506 (a SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}" if mark is not None else ""
        # Only the problem, not PyYAML's snippet of the line: it could hold a secret.
        problem = exc.problem or exc.context or "syntax error"
        raise ConfigError(file, "", f"invalid YAML{where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(file, "", f"invalid YAML: {exc}") from None
