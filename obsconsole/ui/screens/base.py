"""What every dialog shares: `?` lists its keys (those its widgets answer too, in
`HELP_EXTRA`), and how keys are written for people."""

from __future__ import annotations

from typing import ClassVar, Optional, TypeVar

from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Button, Input

T = TypeVar("T")

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


class Dialog(ModalScreen[T]):
    """A modal screen of the console. A modal screen hides the app's bindings: `?` is
    repeated here."""

    BINDINGS = [Binding("question_mark", "app.help", "Keys", key_display="?", id="modal.help")]
    #: keys the dialog's widgets answer (not bindings), for `?`
    HELP_EXTRA: ClassVar[tuple[tuple[str, str], ...]] = ()


class Closable(Dialog[None]):
    """A dialog that only shows: escape or q closes it."""

    BINDINGS = [Binding("escape,q", "dismiss_screen", "Close", id="modal.close")]

    def action_dismiss_screen(self) -> None:
        self.dismiss(None)


class Confirmation(Dialog[Optional[T]]):
    """A dialog that asks before an action: Enter in a field or the confirm button
    (id ending "-confirm") dismisses it with `_final()` (None: a field is wrong, the
    dialog stays and says why); the other button or escape cancels (None)."""

    def _final(self) -> T | None:
        raise NotImplementedError

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._confirm()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if (event.button.id or "").endswith("-confirm"):
            self._confirm()
        else:
            self.dismiss(None)

    def _confirm(self) -> None:
        final = self._final()
        if final is not None:
            self.dismiss(final)

    def action_cancel(self) -> None:
        self.dismiss(None)
