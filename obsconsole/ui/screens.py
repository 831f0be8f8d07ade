"""Modal screens: the detail of a row, and the key help (`?`)."""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, Mapping

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

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
        # a modal screen hides the app's bindings: `?` is repeated here
        Binding("question_mark", "app.help", "Keys", key_display="?", id="modal.help"),
    ]

    def action_dismiss_screen(self) -> None:
        self.dismiss(None)


class DetailScreen(_Modal):
    """Every field of one row (values shown inert, multi-line values kept; structured
    values as JSON). A web address (a runbook) is a link the terminal can open (OSC 8),
    and `y` copies the first one."""

    BINDINGS = [
        Binding("y", "copy_link", "Copy link", id="detail.copy-link"),
    ]

    def __init__(self, title: str, fields: list[tuple[str, Any]]) -> None:
        super().__init__()
        self.detail_title = title
        self.fields = fields
        self.links = [(name, value) for name, value in fields if is_link(value)]

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(overflow="fold")
        for name, value in self.fields:
            shown = inert(_as_text(value), max_len=20_000, multiline=True)
            if is_link(value):
                shown.stylize(f"underline link {value}")
            table.add_row(inert(name, max_len=60), shown)
        with VerticalScroll(classes="modal-body") as body:
            body.border_title = inert(self.detail_title, max_len=100)
            body.border_subtitle = ("y copy link · " if self.links else "") + "? keys · esc close"
            yield Static(table)
        # the dialog's own footer: the keys under it do not work while it is open
        yield Footer(show_command_palette=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy_link":
            return bool(self.links)
        return True

    def action_copy_link(self) -> None:
        name, url = self.links[0]
        self.app.copy_to_clipboard(url)
        self.app.notify(f"copied {name}: {url}", title="Copy", timeout=8)


#: a web address that is safe to hand the terminal as a link: no blank or control
#: character can end the OSC 8 sequence early or smuggle another one in
_LINK = re.compile(r"https?://[!-~]{1,2000}")


def is_link(value: Any) -> bool:
    return isinstance(value, str) and _LINK.fullmatch(value) is not None


def _as_text(value: Any) -> Any:
    """Structured values (a log's metadata.tags) as JSON, not Python's repr."""
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str, sort_keys=isinstance(value, Mapping))
    return value


class HelpScreen(_Modal):
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
