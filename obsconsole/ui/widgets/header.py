"""The one-line header: context, read-only and paused badges, overall health, time in
UTC and local, and (in single-pane mode) a tab strip of every pane's health."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from obsconsole.ui.widgets.line import Line

from obsconsole.logic.sanitize import clean
from obsconsole.model import Health
from obsconsole.ui.colours import Palette


def header_line(
    context: str,
    readonly: bool,
    paused: bool,
    health: Health,
    now: datetime,
    palette: Palette,
    width: int,
) -> Text:
    left = Text()
    left.append(" obsconsole ", style="bold reverse")
    left.append(" ")
    left.append(clean(context, 30), style="bold")
    if readonly:
        left.append(" ")
        left.append(" READ-ONLY ", style="reverse")
    if paused:
        left.append(" ")
        left.append(" PAUSED ", style="bold reverse")
    left.append("  ")
    words = {Health.OK: "all OK", Health.WARNING: "WARNING", Health.CRITICAL: "CRITICAL", Health.UNKNOWN: "UNKNOWN"}
    left.append(f" {words[health]} ", style=palette.health(health) + (" reverse" if health is not Health.OK else ""))
    local = now.astimezone()
    # minutes, not seconds: the header repaints when its text changes
    right = f"{now:%H:%M} UTC"
    if local.utcoffset() != now.utcoffset() and width >= 90:
        right += f" · {local:%H:%M} {local.tzname() or 'local'}"
    right += " "
    pad = max(1, width - len(left.plain) - len(right))
    left.append(" " * pad)
    left.append(right)
    return left


class StatusHeader(Line):
    pass


class PaneTabs(Line):
    """Shown instead of the grid when one pane fills the screen: every pane's number,
    name and health, the visible one highlighted, so nothing is out of sight."""

    def show(self, tabs: list[tuple[int, str, Health, bool]], palette: Palette, width: int = 0) -> None:
        """Every tab with its name; when that does not fit `width`, only the shown pane
        keeps its name (the others: health mark and number, still every pane)."""
        line = self._line(tabs, palette, names=True)
        if width and line.cell_len > width:
            line = self._line(tabs, palette, names=False)
        self.update(line)

    @staticmethod
    def _line(tabs: list[tuple[int, str, Health, bool]], palette: Palette, names: bool) -> Text:
        line = Text()
        for number, name, health, current in tabs:
            mark = {Health.OK: "●", Health.WARNING: "▲", Health.CRITICAL: "■", Health.UNKNOWN: "?"}[health]
            tab = "bold reverse" if current else ""
            line.append(" ", style=tab)
            line.append(mark, style=f"{palette.health(health)} {tab}".strip())
            line.append(f" {number} {name} " if names or current else f" {number} ", style=tab)
            line.append(" " if names else "")
        return line
