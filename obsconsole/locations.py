"""Where obsconsole keeps its files, following the XDG base directory specification.

Every function reads the environment when called (not at import), so tests and a
`--config`-less CLI both see the current `$XDG_*` and `$HOME`.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "obsconsole"


def _xdg_base(variable: str, fallback: str) -> Path:
    """`$variable` if it is set to an absolute path, else `~/<fallback>`.

    The XDG spec says relative values must be ignored: a relative path would depend on
    the directory the console happened to be started from.
    """
    return _xdg_value(variable) or Path.home() / fallback


def _xdg_value(variable: str) -> Path | None:
    """`$variable` when it is set to an absolute path (the only values that count)."""
    value = os.environ.get(variable, "")
    return Path(value) if value and os.path.isabs(value) else None


def config_dir() -> Path:
    """`$XDG_CONFIG_HOME/obsconsole` (default `~/.config/obsconsole`)."""
    return _xdg_base("XDG_CONFIG_HOME", ".config") / APP_NAME


def state_dir() -> Path:
    """`$XDG_STATE_HOME/obsconsole` (default `~/.local/state/obsconsole`): the audit log
    is state worth keeping across runs, but not configuration."""
    return _xdg_base("XDG_STATE_HOME", ".local/state") / APP_NAME


def user_themes_dir() -> Path:
    """User themes, one YAML file per theme: `config_dir()/themes`."""
    return config_dir() / "themes"


def user_keymaps_dir() -> Path:
    """User keymaps, one YAML file per keymap: `config_dir()/keymaps`."""
    return config_dir() / "keymaps"


def default_audit_log() -> Path:
    """Where actions are audited unless the config says otherwise:
    `state_dir()/audit.jsonl`."""
    return state_dir() / "audit.jsonl"


def demo_audit_log() -> Path:
    """Where the demo's actions are audited: `state_dir()/demo-audit.jsonl`. Acks on the
    synthetic platform are make-believe and stay out of the real audit log."""
    return state_dir() / "demo-audit.jsonl"


def describe_default_config_file() -> str:
    """The default config file as a message should name it: under `$XDG_CONFIG_HOME`
    when that is in effect, with the path it stands for, else `~/.config/...`."""
    if _xdg_value("XDG_CONFIG_HOME") is not None:
        return f"$XDG_CONFIG_HOME/{APP_NAME}/config.yaml ({config_dir() / 'config.yaml'})"
    return f"~/.config/{APP_NAME}/config.yaml"
