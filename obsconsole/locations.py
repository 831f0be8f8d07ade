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
    value = os.environ.get(variable, "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / fallback


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
