"""The detail of a row: every field, inert; a runbook is a link (OSC 8) and `y` copies it."""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from obsconsole.logic.sanitize import inert
from obsconsole.ui.screens.base import Closable


class DetailScreen(Closable):
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


