"""Helpers shared by the UI tests (importable as tests.helpers)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

#: the instant the demo is frozen at in UI tests and snapshots
FROZEN = datetime(2026, 11, 28, 14, 0, 0, tzinfo=timezone.utc)


class MutableClock:
    """A clock a test can move: `clock.now += timedelta(...)`."""

    def __init__(self, now: datetime = FROZEN) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def frozen_demo_app(
    elapsed_s: float = 60.0, *, faults: tuple[str, ...] = (), clock: Any = None, **kwargs: Any
) -> Any:
    """The console on the demo platform, its clock frozen at FROZEN, `elapsed_s` seconds
    after the demo started (60 s: in the middle of the scripted incident)."""
    import dataclasses

    from obsconsole.config import demo_config
    from obsconsole.ui.app import ObsConsoleApp

    config = demo_config(seed=1)
    if faults:
        ctx = config.context
        ctx = dataclasses.replace(ctx, demo=dataclasses.replace(ctx.demo, faults=faults))
        config = dataclasses.replace(config, contexts={ctx.name: ctx})
    return ObsConsoleApp(config, clock=clock or (lambda: FROZEN), demo_elapsed_s=elapsed_s, **kwargs)


async def settle(pilot: Any) -> None:
    """Wait until every pane has its first result and the screen has caught up."""
    await pilot.pause()
    await pilot.app.hub.wait_first(timeout_s=10)
    for _ in range(3):
        await pilot.pause()
