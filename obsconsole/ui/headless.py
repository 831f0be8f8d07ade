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
    #: `snapshot --incident`: why the war room could not show the incident ("" if it
    #: could), and the incident's monitoring-plugin code
    war_room_problem: str = ""
    war_room_code: int = 3


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
        problem, code = "", 3
        if app.war_room is not None:
            problem, code = await _war_room_ready(app, pilot, timeout_s)
        svg = app.export_screenshot(title=f"obsconsole · {app.ctx.name}")
        text = screen_text(app)
        return Capture(svg, text, app.hub.snapshots(), problem, code)


async def _war_room_ready(app: ObsConsoleApp, pilot: Any, timeout_s: float) -> tuple[str, int]:
    """Wait (up to `timeout_s`) for the war room to have read its incident and its SLO
    budget; (problem, exit code)."""
    import time

    from obsconsole.export import incident_health
    from obsconsole.ui.screens.warroom import WarRoomScreen

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        screen = app.screen
        if isinstance(screen, WarRoomScreen) and (screen.incident is not None or screen.problem) and not screen._loading:
            break
        await pilot.pause(0.05)
    screen = app.screen
    if not isinstance(screen, WarRoomScreen):
        return "the war room did not open (no such incident, or no incident store)", 3
    if screen.incident is None:
        return screen.problem or f"not read in {timeout_s:g} s", 3
    await screen._measure_burn()
    screen.render_all()
    await pilot.pause()
    return "", int(incident_health(screen.incident))
