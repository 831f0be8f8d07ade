"""Shared fixtures: every test runs with its own XDG dirs and no NO_COLOR, so a
developer's own config, themes or keymaps never change what a test sees."""

from __future__ import annotations

pytest_plugins = ["tests.stack"]

from pathlib import Path

import pytest

@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "state").mkdir(parents=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    for var in ("NO_COLOR", "OBSCONSOLE_CONFIG", "OBSCONSOLE_READY_FILE"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def user_config_dir(isolated_env: Path) -> Path:
    """~/.config/obsconsole for this test."""
    path = isolated_env / "config" / "obsconsole"
    path.mkdir(parents=True, exist_ok=True)
    return path
