"""`Line`: a one-row text widget that repaints only itself.

`Static.update` asks for a layout pass, and a layout pass repaints the whole screen: for
text that changes every few seconds (the header, a pane's error line) that was most of
the console's terminal output. A Line has a fixed height of one row, so an update
never changes the layout and only its own row is sent to the terminal.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


def show(widget: Widget, visible: bool) -> None:
    """Set `display` only when it changes: even an unchanged assignment costs a layout
    pass, and a layout pass repaints the screen."""
    if widget.display != visible:
        widget.display = visible


class Line(Widget):
    DEFAULT_CSS = """
    Line {
        height: 1;
    }
    """

    def __init__(self, text: Text | str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._text = Text(text) if isinstance(text, str) else text

    def update(self, text: Text | str) -> None:
        self._text = Text(text) if isinstance(text, str) else text
        self.refresh()

    @property
    def text(self) -> Text:
        return self._text

    def render(self) -> Text:
        text = self._text.copy()
        text.no_wrap = True
        text.overflow = "ellipsis"
        return text


class WrappedLine(Line):
    """Like `Line`, but wraps onto at most three rows (a pane's error message must be
    readable in a narrow pane). Its height can change, so an update asks for a layout
    pass; errors change rarely, so that costs little."""

    DEFAULT_CSS = """
    WrappedLine {
        height: auto;
        max-height: 3;
    }
    """

    def update(self, text: Text | str) -> None:
        self._text = Text(text) if isinstance(text, str) else text
        self.refresh(layout=True)

    def render(self) -> Text:
        text = self._text.copy()
        text.no_wrap = False
        text.overflow = "ellipsis"
        return text
