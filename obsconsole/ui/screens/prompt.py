"""Small dialogs the war room asks with: one line of text (a note, a commander), or one
choice among a few (a status, a severity) with an optional reason. Enter confirms,
escape cancels; nothing is written before.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from obsconsole.ui.screens.base import Confirmation

#: a note longer than this is refused in the dialog (the store would take it; a person
#: reading the timeline would not)
MAX_NOTE = 2000


class Prompt(Confirmation[str]):
    """Ask for one line of text; dismissed with the text (stripped), or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]
    HELP_EXTRA = (("enter", "Save"), ("escape", "Cancel: nothing is written"))

    def __init__(self, title: str | Text, label: str, *, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.title_text, self.label, self.value, self.placeholder = title, label, value, placeholder

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="modal-body ack-body prompt-body") as body:
            # a Text: never read as markup (a commander's name is user text)
            body.border_title = Text(self.title_text) if isinstance(self.title_text, str) else self.title_text
            body.border_subtitle = "enter save · esc cancel"
            with Horizontal(classes="ack-row"):
                yield Label(self.label.capitalize())
                yield Input(self.value, placeholder=self.placeholder, id="prompt-input", max_length=MAX_NOTE)
            yield Static("", id="prompt-problem")
            with Horizontal(classes="ack-buttons"):
                yield Button("Save", variant="warning", id="prompt-confirm")
                yield Button("Cancel", id="prompt-cancel")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#prompt-input", Input).focus()

    def _final(self) -> str | None:
        text = " ".join(self.query_one("#prompt-input", Input).value.split())
        if not text:
            self.query_one("#prompt-problem", Static).update(f"the {self.label} is empty: type it, or escape")
            return None
        return text


class Choice(Confirmation[tuple[str, str]]):
    """Pick one of `options` (and give a reason, when asked); dismissed with
    (option, reason) or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choice.cancel")]
    HELP_EXTRA = (("up/down", "Choose"), ("enter", "Save the highlighted choice"), ("escape", "Cancel: nothing is written"))

    def __init__(self, title: str, options: list[str], *, reason: str = "") -> None:
        super().__init__()
        self.title_text, self.options, self.reason = title, options, reason

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="modal-body ack-body prompt-body") as body:
            # a Text: never read as markup (a commander's name is user text)
            body.border_title = Text(self.title_text) if isinstance(self.title_text, str) else self.title_text
            body.border_subtitle = "enter save · esc cancel"
            yield OptionList(*(Option(o, id=o) for o in self.options), id="choice-list")
            if self.reason:
                with Horizontal(classes="ack-row"):
                    yield Label("Reason")
                    yield Input(placeholder=self.reason, id="choice-reason", max_length=MAX_NOTE)
            with Horizontal(classes="ack-buttons"):
                yield Button("Save", variant="warning", id="choice-confirm")
                yield Button("Cancel", id="choice-cancel")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        options = self.query_one("#choice-list", OptionList)
        options.highlighted = 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._confirm()

    def _final(self) -> tuple[str, str] | None:
        options = self.query_one("#choice-list", OptionList)
        if options.highlighted is None:
            return None
        reason = self.query("#choice-reason")
        text = " ".join(reason.first(Input).value.split()) if reason else ""
        return self.options[options.highlighted], text
