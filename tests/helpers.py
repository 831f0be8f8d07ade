"""Helpers shared by the UI tests (importable as tests.helpers).

There is one way to start the app in a test, `running(app)`: notifications on (a toast
that cannot render is a crash a user sees, so the test must see it too), and the test
fails if the app raised, exited by itself or logged an error. And one way to wait,
`wait_until(pilot, condition, what)`: for the condition itself, with a deadline and a
message saying what was awaited, never a count of pauses.
"""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import datetime
from typing import Any, AsyncIterator, Callable

#: the instant the demo is frozen at in UI tests and snapshots
from tests.clock import FROZEN as FROZEN  # re-exported: the UI tests import it from here

WIDE = (120, 40)
NARROW = (80, 24)

#: how long a wait may take before the test fails (generous: CI machines are loaded)
WAIT_S = 15.0


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


class _ErrorLog(logging.Handler):
    """Keeps every record at ERROR or above (and warnings that carry a traceback)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)


def app_failure(app: Any) -> str | None:
    """Why the app is no longer usable (it raised or exited), or None."""
    if app._exception is not None:
        return f"the app raised {type(app._exception).__name__}: {app._exception}"
    if getattr(app, "_exit", False) or not app._running:
        return "the app exited"
    return None


@contextlib.asynccontextmanager
async def running(app: Any, size: tuple[int, int] = WIDE, *, may_exit: bool = False) -> AsyncIterator[Any]:
    """`app.run_test` as every Pilot test should run it (see the module docstring).

    `may_exit`: the test itself makes the app quit (e.g. presses `q`)."""
    errors = _ErrorLog()
    root = logging.getLogger()
    root.addHandler(errors)
    failure: str | None = None
    try:
        async with app.run_test(size=size, notifications=True) as pilot:
            yield pilot
            failure = app_failure(app)
    finally:
        root.removeHandler(errors)
    # run_test re-raises an exception that made the app exit; an exit without one, or an
    # error that was only logged, would otherwise pass unseen
    if failure is not None and not may_exit:
        raise AssertionError(failure)
    if errors.records:
        lines = [f"{r.name}: {r.getMessage()}" for r in errors.records]
        raise AssertionError("the app logged errors:\n" + "\n".join(lines))


async def wait_until(pilot: Any, condition: Callable[[], Any], what: str, timeout_s: float = WAIT_S) -> None:
    """Wait until `condition()` is true; fail with `what` after `timeout_s`, or at once
    if the app raised or exited meanwhile."""
    deadline = time.monotonic() + timeout_s
    while True:
        failure = app_failure(pilot.app)
        if failure is not None:
            raise AssertionError(f"{failure} while waiting for {what}")
        if condition():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        await pilot.pause(0.02)


async def wait_for_exit(pilot: Any, what: str, timeout_s: float = WAIT_S) -> None:
    """Wait until the app is quitting without having raised (a key meant to quit it);
    fail with `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not pilot.app._exit:
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        await pilot.pause(0.02)
    if getattr(pilot.app, "_exception", None) is not None:
        raise AssertionError(f"the app raised {pilot.app._exception!r} instead of {what}")


def panes_current(app: Any) -> bool:
    """Every pane has a first result and shows the hub's latest one."""
    if not app.screen_ready:
        return False
    snaps = app.hub.snapshots()
    for pid in app.queries:
        pane = app.overview.pane(pid)
        if pane is None or not app.hub.has_result(pid) or pane.snapshot is not snaps[pid]:
            return False
    return True


async def settle(pilot: Any) -> None:
    """Wait until every pane has its first result on screen."""
    await wait_until(pilot, lambda: panes_current(pilot.app), "every pane's first result")
