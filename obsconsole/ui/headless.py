"""Headless rendering for `obsconsole snapshot --format svg|txt`: the same app, run with
Textual's headless driver at a fixed size, captured once every pane has its first result
(or the timeout passed)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from obsconsole.model import Snapshot
from obsconsole.ui.app import ObsConsoleApp


@dataclass
class Capture:
    svg: str
    text: str
    snapshots: dict[str, Snapshot[Any]]


def screen_text(app: ObsConsoleApp) -> str:
    """The current screen as plain text (what a person would read), lines right-stripped."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system=None,
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console.print(update)
    text = console.export_text(styles=False)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


async def capture(app: ObsConsoleApp, size: tuple[int, int], timeout_s: float) -> Capture:
    async with app.run_test(size=size, headless=True) as pilot:
        await pilot.pause()
        await app.hub.wait_first(timeout_s=timeout_s)
        # let the posted SnapshotUpdated messages be handled and the screen repaint
        for _ in range(3):
            await pilot.pause()
        app.overview.apply_layout()
        for pane in app.overview.panes():
            pane.rerender()
        await pilot.pause()
        svg = app.export_screenshot(title=f"obsconsole · {app.ctx.name}")
        text = screen_text(app)
        return Capture(svg, text, app.hub.snapshots())
