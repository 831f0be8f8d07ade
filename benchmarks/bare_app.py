"""Baseline for benchmarks/tui_cost.py: the smallest useful Textual app.

Header + Static("ready") + Footer, nothing else. Its start-up time, idle CPU, terminal
output and memory are what Textual itself costs on this machine; tui_cost.py reports
obsconsole as a ratio to these numbers measured in the same run.

When the environment variable OBSCONSOLE_READY_FILE is set, the app writes
``time.monotonic()`` as text to that file once the first frame has been painted
(``call_after_refresh`` from ``on_mount``), the same contract obsconsole honours.
"""

from __future__ import annotations

import os
import time

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class BareApp(App[None]):
    """Header, a static label and a footer; `q` quits."""

    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("ready")
        yield Footer()

    def on_mount(self) -> None:
        if os.environ.get("OBSCONSOLE_READY_FILE"):
            self.call_after_refresh(self._write_ready_file)

    def _write_ready_file(self) -> None:
        path = os.environ["OBSCONSOLE_READY_FILE"]
        stamp = f"{time.monotonic():.6f}\n"
        # Write then rename, so the reader never sees a half-written number.
        tmp = f"{path}.tmp"
        with open(tmp, "w", encoding="ascii") as fh:
            fh.write(stamp)
        os.replace(tmp, path)


if __name__ == "__main__":
    BareApp().run()
