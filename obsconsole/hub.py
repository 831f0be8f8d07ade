"""The refresh engine: one polling schedule per key, each with its own interval.

Every schedule runs in its own asyncio task, so a backend that hangs only delays its own
pane (DESIGN §2). A schedule's loop is: wait until due (or woken), fetch under a timeout,
store the result as a `Snapshot`, call `on_update`, arm the next poll. Because the next
poll is armed only when the previous one has ended, polls of one schedule never overlap.

Failures never escape a schedule: they become a `FetchError` in the snapshot, which keeps
the last good value and its `fetched_at`, and the schedule backs off (see `backoff_delay`).

Two clocks, on purpose: waiting uses the event loop's monotonic clock, while the injected
`clock` only stamps `fetched_at` / `attempted_at`. A frozen test clock therefore still lets
schedules run, and a wall-clock jump never stalls or floods the polls.

Pausing has two layers: `pause(key)` (the UI uses it for hidden panes) and `pause_all()`
(the user's `p`). A schedule runs only when neither applies, so `resume_all()` does not
wake panes that are still hidden, and showing a pane while everything is paused does not
start it.

This module must not import Textual: the UI turns `on_update` into Textual messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Awaitable, Callable, Iterable

from obsconsole.model import FetchError, Snapshot, SourceError

log = logging.getLogger(__name__)

Fetch = Callable[[], Awaitable[Any]]
OnUpdate = Callable[[str, Snapshot[Any]], None]


def backoff_delay(interval_s: float, failures: int, cap_s: float) -> float:
    """Seconds from the end of an attempt to the next poll.

    The rule: with no failures, `interval_s`; after `failures` >= 1 consecutive failures,
    ``max(interval_s, min(cap_s, interval_s * 2 ** (failures - 1)))``. So the first retry
    comes one interval after the first failure, then 2x, 4x, ... up to the cap. The cap
    never makes a schedule poll more often than its own interval. No jitter: schedules
    have different intervals already, and tests stay deterministic.
    """
    if failures <= 0:
        return interval_s
    # The exponent is bounded so that a schedule failing for weeks cannot overflow a float.
    grown = interval_s * 2.0 ** min(failures - 1, 64)
    return max(interval_s, min(cap_s, grown))


@dataclass(frozen=True)
class ScheduleInfo:
    """A schedule's state, for the UI's status line and help."""

    interval_s: float
    #: paused by `pause(key)` or by `pause_all()`
    paused: bool
    #: consecutive failures (0 after a success)
    failures: int
    #: seconds until the next poll; None while paused, while a fetch is in flight (the
    #: next poll is armed only when it ends) and before the hub has started
    next_due_in_s: float | None
    in_flight: bool


@dataclass(eq=False)
class _Schedule:
    """Mutable per-key state; only the hub touches it."""

    key: str
    fetch: Fetch
    interval_s: float
    timeout_s: float
    snapshot: Snapshot[Any] = field(default_factory=lambda: Snapshot(value=None, fetched_at=None))
    paused: bool = False
    #: a poll was asked for (refresh_now) and has not started yet
    refresh_requested: bool = False
    in_flight: bool = False
    #: loop time when the last attempt ended, None before the first one
    ended_at: float | None = None
    #: loop time of the next poll, None until the task has armed one
    due_at: float | None = None
    #: nudges the task to re-read its state (resume, refresh, new interval); the flags
    #: above are the truth, the event only ends a wait early
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    first_result: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _describe(exc: BaseException) -> str:
    detail = _one_line(str(exc))
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


class Hub:
    """Runs every fetch on its own schedule and keeps each key's latest `Snapshot`.

    Args:
        clock: returns the current (timezone-aware) time; stamps snapshots only.
        on_update: called in the event loop as ``on_update(key, snapshot)`` after every
            attempt, success or failure. Exceptions it raises are logged and ignored.
        backoff_cap_s: the longest wait between polls of a failing schedule.
    """

    def __init__(
        self,
        clock: Callable[[], datetime],
        on_update: OnUpdate | None = None,
        *,
        backoff_cap_s: float = 300.0,
    ) -> None:
        self._clock = clock
        self._on_update = on_update
        self._backoff_cap_s = backoff_cap_s
        self._schedules: dict[str, _Schedule] = {}
        self._all_paused = False
        self._loop: asyncio.AbstractEventLoop | None = None

    # ------------------------------------------------------------------ lifecycle

    def add(self, key: str, fetch: Fetch, interval_s: float, timeout_s: float) -> None:
        """Register a schedule; it starts polling now if the hub is running, else on
        `start()`. Its first poll is immediate.

        Raises:
            ValueError: the key already has a schedule, or a duration is not positive.
        """
        if key in self._schedules:
            raise ValueError(f"hub: a schedule for {key!r} exists already")
        if interval_s <= 0 or timeout_s <= 0:
            raise ValueError(f"hub: {key!r}: interval and timeout must be positive")
        schedule = _Schedule(key, fetch, interval_s, timeout_s)
        self._schedules[key] = schedule
        if self._loop is not None:
            self._spawn(schedule)

    def start(self) -> None:
        """Create one task per schedule. Must be called inside a running event loop
        (raises RuntimeError otherwise). Calling it again while running does nothing."""
        loop = asyncio.get_running_loop()
        if self._loop is not None:
            return
        self._loop = loop
        for schedule in self._schedules.values():
            self._spawn(schedule)

    async def stop(self) -> None:
        """Cancel every schedule, including in-flight fetches, and wait until they have
        ended. Safe to call more than once, and before `start()`."""
        self._loop = None
        tasks = [s.task for s in self._schedules.values() if s.task is not None]
        for schedule in self._schedules.values():
            schedule.task = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _spawn(self, schedule: _Schedule) -> None:
        schedule.task = asyncio.create_task(self._run(schedule), name=f"hub:{schedule.key}")

    # ------------------------------------------------------------------ reading

    def snapshot(self, key: str) -> Snapshot[Any]:
        """The key's latest snapshot; ``Snapshot(value=None, fetched_at=None)`` before
        its first result."""
        return self._get(key).snapshot

    def snapshots(self) -> dict[str, Snapshot[Any]]:
        return {key: s.snapshot for key, s in self._schedules.items()}

    def keys(self) -> list[str]:
        """Keys in the order they were added."""
        return list(self._schedules)

    def has_result(self, key: str) -> bool:
        """Whether a first result (success or failure) has arrived."""
        return self._get(key).first_result.is_set()

    def in_flight(self, key: str) -> bool:
        return self._get(key).in_flight

    def info(self, key: str) -> ScheduleInfo:
        schedule = self._get(key)
        paused = self.is_paused(key)
        next_due: float | None = None
        due_at = schedule.due_at
        if due_at is not None and not schedule.in_flight and not paused and self._loop:
            next_due = max(0.0, due_at - self._loop.time())
        return ScheduleInfo(
            interval_s=schedule.interval_s,
            paused=paused,
            failures=schedule.snapshot.failures,
            next_due_in_s=next_due,
            in_flight=schedule.in_flight,
        )

    async def wait_first(
        self, keys: Iterable[str] | None = None, timeout_s: float | None = None
    ) -> bool:
        """Wait until every key in `keys` (default: all) has a first result.

        Returns True when they all have one, False if `timeout_s` ran out first (it
        does not raise). Headless snapshots use this to wait for every visible pane.
        """
        if keys is None:
            schedules = list(self._schedules.values())
        else:
            schedules = [self._get(key) for key in keys]
        try:
            async with asyncio.timeout(timeout_s):
                for schedule in schedules:
                    await schedule.first_result.wait()
        except TimeoutError:
            return False
        return True

    # ------------------------------------------------------------------ control

    def pause(self, key: str) -> None:
        """Stop polling `key`. A fetch in flight still finishes and delivers its result;
        no new one starts, and a pending `refresh_now` is dropped."""
        schedule = self._get(key)
        schedule.paused = True
        schedule.refresh_requested = False
        schedule.wake.set()

    def resume(self, key: str) -> None:
        """Undo `pause(key)`. The schedule polls at once if it is due (its wait since the
        last attempt, interval or backoff, has passed), else waits the remainder. It stays
        paused while `pause_all()` is in effect."""
        schedule = self._get(key)
        schedule.paused = False
        schedule.wake.set()

    def is_paused(self, key: str) -> bool:
        return self._all_paused or self._get(key).paused

    def pause_all(self) -> None:
        """Pause every schedule (the user's `p`), on top of any per-key pause."""
        self._all_paused = True
        for schedule in self._schedules.values():
            schedule.refresh_requested = False
            schedule.wake.set()

    def resume_all(self) -> None:
        """Undo `pause_all()`. Keys paused with `pause(key)` stay paused."""
        self._all_paused = False
        for schedule in self._schedules.values():
            schedule.wake.set()

    @property
    def all_paused(self) -> bool:
        """Whether `pause_all()` is in effect."""
        return self._all_paused

    def refresh_now(self, key: str | None = None) -> None:
        """Poll `key` (default: every schedule) now, ignoring its wait and any backoff.

        Paused schedules are skipped. If a fetch is in flight, no second one starts: the
        schedule polls once more right after the current one ends.
        """
        targets = [self._get(key)] if key is not None else list(self._schedules.values())
        for schedule in targets:
            if not self.is_paused(schedule.key):
                schedule.refresh_requested = True
                schedule.wake.set()

    def set_interval(self, key: str, interval_s: float) -> None:
        """Change the interval; a wait already armed is re-armed from the last attempt."""
        if interval_s <= 0:
            raise ValueError(f"hub: {key!r}: interval must be positive")
        schedule = self._get(key)
        schedule.interval_s = interval_s
        if schedule.ended_at is not None and not schedule.in_flight:
            schedule.due_at = schedule.ended_at + self._delay(schedule)
        schedule.wake.set()

    # ------------------------------------------------------------------ internals

    def retry_delay_s(self, key: str) -> float:
        """Seconds from the end of `key`'s last attempt to its next poll: its interval,
        or after failures its backoff (what the pane tells as "next try")."""
        return self._delay(self._get(key))

    def _get(self, key: str) -> _Schedule:
        try:
            return self._schedules[key]
        except KeyError:
            raise KeyError(f"hub: no schedule for {key!r}") from None

    def _delay(self, schedule: _Schedule) -> float:
        return backoff_delay(schedule.interval_s, schedule.snapshot.failures, self._backoff_cap_s)

    async def _run(self, schedule: _Schedule) -> None:
        """A schedule's task: wait until due (or woken), poll, repeat."""
        loop = asyncio.get_running_loop()
        if schedule.due_at is None:
            schedule.due_at = loop.time()
        # stop() detaches the task before cancelling it; checking that too ends the loop
        # even if a misbehaving fetch swallowed the cancellation.
        while schedule.task is asyncio.current_task():
            # Clear before reading the state: anything that changes it after this point
            # sets the event again, so a wake-up cannot be lost.
            schedule.wake.clear()
            if self.is_paused(schedule.key):
                # No timeout: a paused schedule sleeps until resume/resume_all wakes it.
                await schedule.wake.wait()
                continue
            due_at = schedule.due_at if schedule.due_at is not None else loop.time()
            remaining = due_at - loop.time()
            if remaining > 0 and not schedule.refresh_requested:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(remaining):
                        await schedule.wake.wait()
                continue  # re-read the state: paused, refreshed or re-armed meanwhile
            await self._poll(schedule, loop)

    async def _poll(self, schedule: _Schedule, loop: asyncio.AbstractEventLoop) -> None:
        """One attempt: fetch under the timeout, store the snapshot, arm the next poll,
        notify. Only cancellation escapes."""
        # A refresh asked for from now on needs a poll after this one.
        schedule.refresh_requested = False
        schedule.in_flight = True
        error: FetchError | None = None
        value: Any = None
        # asyncio.timeout rather than asyncio.wait_for: on Python 3.11, wait_for loses a
        # cancellation that arrives as the fetch completes, which made stop() hang.
        deadline = asyncio.timeout(schedule.timeout_s)
        try:
            async with deadline:
                value = await schedule.fetch()
        except Exception as exc:  # a bug in a source must not kill its schedule
            if deadline.expired():
                error = FetchError("timeout", f"no answer in {schedule.timeout_s:g} s")
            elif isinstance(exc, SourceError):
                error = FetchError(exc.kind, _one_line(exc.message))
            else:
                error = FetchError("internal", _describe(exc))
                log.warning("hub: %s: unexpected error from fetch", schedule.key, exc_info=True)
        finally:
            schedule.in_flight = False

        now = self._clock()
        previous = schedule.snapshot
        if error is None:
            schedule.snapshot = Snapshot(
                value, fetched_at=now, error=None, attempted_at=now, failures=0
            )
        else:
            log.debug("hub: %s: %s", schedule.key, error.one_line())
            schedule.snapshot = Snapshot(
                previous.value,
                fetched_at=previous.fetched_at,
                error=error,
                attempted_at=now,
                failures=previous.failures + 1,
            )
        # Armed before notifying, so on_update already sees the next due time in info().
        schedule.ended_at = loop.time()
        schedule.due_at = schedule.ended_at + self._delay(schedule)
        schedule.first_result.set()
        if self._on_update is not None:
            try:
                self._on_update(schedule.key, schedule.snapshot)
            except Exception:
                log.exception("hub: %s: on_update raised", schedule.key)
