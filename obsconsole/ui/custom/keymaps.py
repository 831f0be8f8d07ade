"""Keymaps: keymaps/<name>.yaml (default, vim, emacs; a user's
~/.config/obsconsole/keymaps/<name>.yaml adds or shadows one) map binding ids to keys.
~/.config/obsconsole/keymap.yaml then overrides single bindings on top of whichever
keymap is chosen. Unknown ids are reported with a did-you-mean, never fatal.

File shape:
    extends: default        # optional: start from another keymap
    bindings:
      table.down: down,j    # Textual key names, comma-separated
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from importlib import resources

import yaml

from obsconsole import locations
from obsconsole.ui.actions import ACTIONS_BY_ID


@dataclass
class LoadedKeymap:
    name: str
    bindings: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _read(name: str) -> tuple[str, str] | None:
    """(origin, text) of keymap `name`: the user's file wins over the shipped one."""
    user = locations.user_keymaps_dir() / f"{name}.yaml"
    if user.is_file():
        return str(user), user.read_text("utf-8")
    shipped = resources.files("obsconsole.keymaps") / f"{name}.yaml"
    if shipped.is_file():
        return f"keymaps/{name}.yaml", shipped.read_text("utf-8")
    return None


def _parse(origin: str, text: str, problems: list[str]) -> tuple[str | None, dict[str, str]]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(f"{origin}: invalid YAML" + (f" at line {mark.line + 1}" if mark else ""))
        return None, {}
    if not isinstance(data, dict):
        problems.append(f"{origin}: expected a mapping")
        return None, {}
    extends = data.get("extends")
    raw = data.get("bindings", {})
    if not isinstance(raw, dict):
        problems.append(f"{origin}: bindings: expected a mapping of binding id to keys")
        return None, {}
    out: dict[str, str] = {}
    for binding_id, keys in raw.items():
        binding_id = str(binding_id)
        if binding_id not in ACTIONS_BY_ID:
            close = difflib.get_close_matches(binding_id, list(ACTIONS_BY_ID), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.append(f"{origin}: bindings.{binding_id}: unknown binding id{hint}")
            continue
        if isinstance(keys, list):
            keys = ",".join(str(k) for k in keys)
        if not isinstance(keys, str) or not keys.strip():
            problems.append(f"{origin}: bindings.{binding_id}: expected keys like 'j' or 'down,j'")
            continue
        out[binding_id] = keys.replace(" ", "")
    return (str(extends) if extends else None), out


def load_keymap(name: str | None) -> LoadedKeymap:
    """The keymap `name` (default: "default"), its `extends` chain, then the user's
    single-binding overrides."""
    name = name or "default"
    result = LoadedKeymap(name)
    chain: list[dict[str, str]] = []
    seen: set[str] = set()
    current: str | None = name
    while current and current not in seen:
        seen.add(current)
        found = _read(current)
        if found is None:
            result.problems.append(f"keymap '{current}' not found; using the default keys")
            break
        current, bindings = _parse(*found, result.problems)
        chain.append(bindings)
    for layer in reversed(chain):
        result.bindings.update(layer)
    overrides = locations.config_dir() / "keymap.yaml"
    if overrides.is_file():
        _, bindings = _parse(str(overrides), overrides.read_text("utf-8"), result.problems)
        result.bindings.update(bindings)
    return result
