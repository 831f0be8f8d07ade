"""Modal screens: the detail of a row, and the key help (`?`)."""

from __future__ import annotations

from typing import Any, Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from obsconsole.logic.sanitize import inert
from obsconsole.ui.actions import ACTIONS, ActionSpec

_KEY_NAMES = {
    "question_mark": "?",
    "slash": "/",
    "colon": ":",
    "escape": "esc",
    "less_than_sign": "<",
    "greater_than_sign": ">",
}


def key_display(keys: str) -> str:
    """`ctrl+p,colon` → `ctrl+p  :`."""
    out = []
    for key in keys.split(","):
        parts = [_KEY_NAMES.get(p, p) for p in key.split("+")]
        out.append("+".join(parts))
    return "  ".join(out)


class _Modal(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q", "dismiss_screen", "Close", id="modal.close"),
    ]

    def action_dismiss_screen(self) -> None:
        self.dismiss(None)


class DetailScreen(_Modal):
    """Every field of one row (values shown inert, multi-line values kept)."""

    def __init__(self, title: str, fields: list[tuple[str, Any]]) -> None:
        super().__init__()
        self.detail_title = title
        self.fields = fields

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(overflow="fold")
        for name, value in self.fields:
            table.add_row(inert(name, max_len=60), inert(value, max_len=20_000, multiline=True))
        with VerticalScroll(classes="modal-body") as body:
            body.border_title = inert(self.detail_title, max_len=100)
            body.border_subtitle = "esc close"
            yield Static(table)


class HelpScreen(_Modal):
    """Every key: the app's and the focused pane's, from the action table and the
    current keymap (so what it says is what the keys do)."""

    def __init__(self, keymap: dict[str, str], pane_title: str | None, pane_id: str | None, readonly: bool) -> None:
        super().__init__()
        self.keymap = keymap
        self.pane_title = pane_title
        self.pane_id = pane_id
        self.readonly = readonly

    def _section(self, title: str, specs: Iterable[ActionSpec]) -> Table:
        table = Table(title=title, title_justify="left", show_header=False, box=None, padding=(0, 2))
        table.add_column(style="bold", no_wrap=True, min_width=14)
        table.add_column()
        table.add_column(style="dim")
        for spec in specs:
            if self.readonly and spec.mutating:
                continue
            keys = self.keymap.get(spec.id, spec.key)
            table.add_row(key_display(keys), spec.help, spec.id)
        return table

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="modal-body") as body:
            body.border_title = "Keys"
            body.border_subtitle = "esc close"
            yield Static(self._section("Everywhere", [a for a in ACTIONS if a.scope in ("app", "overview")]))
            pane = self.pane_title or "focused pane"
            yield Static(Text(""))
            yield Static(self._section(f"In the {pane} pane", [a for a in ACTIONS if a.scope in ("pane", "table", self.pane_id)]))
            yield Static(Text("\nThe same actions are in the command palette (ctrl+p or :).", style="dim"))
