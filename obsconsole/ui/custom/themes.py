"""Themes: one YAML file each (themes/*.yaml, shipped in the wheel as obsconsole.themes;
a user's ~/.config/obsconsole/themes/*.yaml adds or shadows them). Each file becomes a
Textual `Theme`. A broken file does not stop the app: problems are gathered into one
notice and the dark theme is used (posting's approach)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml
from textual.theme import Theme

from obsconsole import locations
from obsconsole.ui.colours import Palette

FALLBACK = "dark"
_COLOR_KEYS = (
    "primary", "secondary", "warning", "error", "success", "accent",
    "foreground", "background", "surface", "panel", "boost",
)


@dataclass
class ThemeSet:
    """Every theme found, the problems met loading them, and which are monochrome."""

    themes: dict[str, Theme] = field(default_factory=dict)
    monochrome: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def palette(self, name: str) -> Palette:
        theme = self.themes.get(name) or self.themes.get(FALLBACK)
        mono = name in self.monochrome
        if theme is None:
            return Palette("green", "yellow", "red", "grey50", mono)
        return Palette(
            theme.success or "green",
            theme.warning or "yellow",
            theme.error or "red",
            (theme.variables or {}).get("muted", "grey50"),
            mono,
        )


def _theme_files() -> list[tuple[str, str, str]]:
    """(name, origin, text) for shipped themes, then user themes (which win)."""
    found: list[tuple[str, str, str]] = []
    shipped = resources.files("obsconsole.themes")
    for entry in sorted(shipped.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            found.append((entry.name[:-5], f"themes/{entry.name}", entry.read_text("utf-8")))
    user_dir = locations.user_themes_dir()
    if user_dir.is_dir():
        for path in sorted(user_dir.glob("*.yaml")):
            try:
                found.append((path.stem, str(path), path.read_text("utf-8")))
            except OSError as exc:
                found.append((path.stem, str(path), f"!error {exc.strerror}"))
    return found


def parse_theme(name: str, origin: str, text: str) -> tuple[Theme, bool]:
    """One theme file → (Theme, monochrome). Raises ValueError with a one-line reason."""
    if text.startswith("!error "):
        raise ValueError(f"{origin}: cannot read: {text[7:]}")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ValueError(f"{origin}: invalid YAML{where}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{origin}: expected a mapping of theme keys")
    allowed = set(_COLOR_KEYS) | {"name", "dark", "variables", "monochrome"}
    for key in data:
        if key not in allowed:
            raise ValueError(f"{origin}: {key}: unknown key")
    if "primary" not in data:
        raise ValueError(f"{origin}: primary: missing required key")
    colors = {k: str(data[k]) for k in _COLOR_KEYS if k in data}
    variables = data.get("variables") or {}
    if not isinstance(variables, dict):
        raise ValueError(f"{origin}: variables: expected a mapping")
    theme = Theme(
        name=str(data.get("name", name)),
        dark=bool(data.get("dark", True)),
        variables={str(k): str(v) for k, v in variables.items()},
        **colors,
    )
    # Textual validates colours lazily; force it now so a typo is reported here
    try:
        theme.to_color_system()
    except Exception as exc:  # textual raises several types for bad colours
        raise ValueError(f"{origin}: bad colour: {exc}") from None
    return theme, bool(data.get("monochrome", False))


def load_themes() -> ThemeSet:
    result = ThemeSet()
    for name, origin, text in _theme_files():
        try:
            theme, mono = parse_theme(name, origin, text)
        except ValueError as exc:
            result.problems.append(str(exc))
            continue
        result.themes[theme.name] = theme
        result.monochrome.discard(theme.name)
        if mono:
            result.monochrome.add(theme.name)
    return result


def choose_theme(cli: str | None, configured: str | None, themes: ThemeSet) -> str:
    """--theme wins; else NO_COLOR (any non-empty value, https://no-color.org) selects
    monochrome; else the config's theme. An unknown name falls back to dark."""
    requested = cli
    if requested is None and os.environ.get("NO_COLOR"):
        requested = "monochrome"
    name = requested or configured or FALLBACK
    if name not in themes.themes:
        themes.problems.append(f"theme '{name}' not found (have: {', '.join(sorted(themes.themes))}); using {FALLBACK}")
        name = FALLBACK
    return name


def user_theme_path(name: str) -> Path:
    return locations.user_themes_dir() / f"{name}.yaml"
