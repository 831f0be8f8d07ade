"""Health → Rich style, per theme. Colour is never the only signal: critical values are
bold, and the monochrome theme (NO_COLOR) uses bold / reverse / underline instead."""

from __future__ import annotations

from rich.text import Text

from obsconsole.model import Health, Severity

_MONO = {
    Health.OK: "",
    Health.WARNING: "underline",
    Health.CRITICAL: "bold reverse",
    Health.UNKNOWN: "italic",
}


class Palette:
    """The styles the panes use, resolved once per theme."""

    def __init__(self, success: str, warning: str, error: str, muted: str, mono: bool) -> None:
        self.mono = mono
        if mono:
            self._health = dict(_MONO)
            self.muted = "dim"
        else:
            self._health = {
                Health.OK: success,
                Health.WARNING: warning,
                Health.CRITICAL: f"bold {error}",
                Health.UNKNOWN: f"italic {muted}",
            }
            self.muted = muted

    def health(self, h: Health) -> str:
        return self._health[h]

    def severity(self, s: Severity) -> str:
        if s is Severity.CRITICAL:
            return self.health(Health.CRITICAL)
        if s is Severity.HIGH:
            return self.health(Health.CRITICAL) if self.mono else self._health[Health.CRITICAL].replace("bold ", "")
        if s is Severity.MEDIUM:
            return self.health(Health.WARNING)
        return self.muted


def health_label(h: Health, palette: Palette) -> Text:
    """A short badge: OK / WARN / CRIT / ?."""
    word = {Health.OK: "OK", Health.WARNING: "WARN", Health.CRITICAL: "CRIT", Health.UNKNOWN: "UNKN"}[h]
    return Text(word, style=palette.health(h))
