"""The documentation a newcomer reads first stays true."""

from __future__ import annotations

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
