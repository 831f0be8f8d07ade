"""`?`: every key, from the action table and the keymap in use."""

from __future__ import annotations

from typing import Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from obsconsole.ui.actions import ACTIONS, ActionSpec
from obsconsole.ui.screens.base import Closable, key_display


class HelpScreen(Closable):
    """Every key: the app's and the focused pane's, from the action table and the
    current keymap (so what it says is what the keys do); opened over a dialog, that
    dialog's keys first."""

    def __init__(self, keymap: dict[str, str], pane_title: str | None, pane_id: str | None, readonly: bool,
                 dialog: list[tuple[str, str]] | None = None) -> None:
        super().__init__()
        self.keymap = keymap
        self.pane_title = pane_title
        self.pane_id = pane_id
        self.readonly = readonly
        #: (key, what it does) of the dialog the help was opened over
        self.dialog = dialog or []

    def _dialog_section(self) -> Table:
        table = Table(title="In this dialog", title_justify="left", show_header=False, box=None, padding=(0, 2))
        table.add_column(style="bold", no_wrap=True, min_width=14)
        table.add_column()
        for key, what in self.dialog:
            table.add_row(key, what)
        return table

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
            if self.dialog:
                yield Static(self._dialog_section())
                yield Static(Text(""))
            yield Static(self._section("Everywhere", [a for a in ACTIONS if a.scope in ("app", "overview")]))
            pane = self.pane_title or "focused pane"
            yield Static(Text(""))
            yield Static(self._section(f"In the {pane} pane", [a for a in ACTIONS if a.scope in ("pane", "table", self.pane_id)]))
            yield Static(Text("\nThe same actions are in the command palette (ctrl+p or :).", style="dim"))
        yield Footer(show_command_palette=False)
