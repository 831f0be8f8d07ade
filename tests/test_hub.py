"""The refresh engine (obsconsole/hub.py): scheduling, timeouts, backoff, pausing.

Coordination is by events and awaited updates; the few short sleeps only give a schedule
the chance to do something it must not do (poll while paused, poll twice). Nothing here
asserts on elapsed wall time.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any, AsyncIterator

import pytest

from obsconsole.hub import Hub, ScheduleInfo, backoff_delay
from obsconsole.model import FetchError, Snapshot, SourceError

T0 = datetime(2026, 3, 1, 3, 0, tzinfo=timezone.utc)
#: long enough that a schedule never polls on its own during a test
LONG = 1000.0
#: upper bound for waiting on something that should happen soon (only hit on failure)
PATIENCE = 5.0


def frozen_clock() -> datetime:
    return T0


def stepping_clock():
    """A clock that moves one second per call, so stamps show which attempt set them."""
    ticks = itertools.count()
    return lambda: T0 + timedelta(seconds=next(ticks))


class Updates:
    """An `on_update` recorder that tests can await."""

    def __init__(self) -> None:
        self.by_key: dict[str, list[Snapshot[Any]]] = defaultdict(list)
        self._changed = asyncio.Event()
        self.hook = None  # optional extra callback, e.g. to read hub state at update time

    def __call__(self, key: str, snapshot: Snapshot[Any]) -> None:
        self.by_key[key].append(snapshot)
        self._changed.set()
        if self.hook is not None:
            self.hook(key, snapshot)

    def count(self, key: str) -> int:
        return len(self.by_key[key])

    async def wait(self, key: str, n: int) -> Snapshot[Any]:
        """Wait for the n-th update of `key` (1-based) and return it."""
        async with asyncio.timeout(PATIENCE):
            while self.count(key) < n:
                self._changed.clear()
                await self._changed.wait()
        return self.by_key[key][n - 1]


class Source:
    """A fetch that counts calls and concurrency, and can be held at a gate."""

    def __init__(self, result: Any = "ok", *, gated: bool = False) -> None:
        self.result = result
        self.calls = 0
        self.active = 0
        self.max_active = 0
        self.started = asyncio.Event()
        self.gate = asyncio.Event()
        if not gated:
            self.gate.set()
        self.cancelled = False

    async def __call__(self) -> Any:
        self.calls += 1
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        self.started.set()
        try:
            await self.gate.wait()
            await asyncio.sleep(0)  # give a would-be second poll the chance to overlap
            if isinstance(self.result, BaseException):
                raise self.result
            return self.result(self.calls) if callable(self.result) else self.result
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        finally:
            self.active -= 1


async def until(predicate, what: str) -> None:
    """Wait (briefly polling) until `predicate()` holds."""
    try:
        async with asyncio.timeout(PATIENCE):
            while not predicate():
                await asyncio.sleep(0.005)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


@pytest.fixture
async def updates() -> Updates:
    return Updates()


@pytest.fixture
async def hub(updates: Updates) -> AsyncIterator[Hub]:
    hub = Hub(frozen_clock, updates, backoff_cap_s=60.0)
    yield hub
    await hub.stop()


# ------------------------------------------------------------------ basics


async def test_snapshot_is_empty_before_the_first_result(hub: Hub) -> None:
    hub.add("a", Source(), LONG, 1.0)

    assert hub.snapshot("a") == Snapshot(value=None, fetched_at=None)
    assert not hub.has_result("a")
    assert hub.keys() == ["a"]
    assert hub.info("a").next_due_in_s is None  # not started


async def test_success_stamps_value_with_the_injected_clock(updates: Updates) -> None:
    clock = stepping_clock()
    hub = Hub(clock, updates)
    hub.add("a", Source(42), LONG, 1.0)
    hub.start()
    try:
        snap = await updates.wait("a", 1)
    finally:
        await hub.stop()

    assert snap == Snapshot(42, fetched_at=T0, error=None, attempted_at=T0, failures=0)
    assert hub.snapshots() == {"a": snap}
    assert hub.has_result("a")


async def test_adding_a_key_twice_is_refused(hub: Hub) -> None:
    hub.add("a", Source(), LONG, 1.0)
    with pytest.raises(ValueError):
        hub.add("a", Source(), LONG, 1.0)


def test_start_outside_an_event_loop_raises() -> None:
    hub = Hub(frozen_clock)
    hub.add("a", Source(), LONG, 1.0)
    with pytest.raises(RuntimeError):
        hub.start()


async def test_schedule_added_after_start_polls_at_once(hub: Hub, updates: Updates) -> None:
    hub.start()
    hub.add("late", Source("v"), LONG, 1.0)

    assert (await updates.wait("late", 1)).value == "v"


async def test_a_frozen_clock_does_not_stop_polling(hub: Hub, updates: Updates) -> None:
    # Waiting uses the loop's clock; the frozen injected clock only stamps snapshots.
    hub.add("a", Source(), 0.02, 1.0)
    hub.start()

    snap = await updates.wait("a", 4)
    assert snap.fetched_at == T0


# ------------------------------------------------------------------ isolation and timeouts


async def test_hanging_source_delays_no_other_schedule_then_times_out(
    hub: Hub, updates: Updates
) -> None:
    async def slow() -> str:
        await asyncio.sleep(10)
        return "never"

    slow_in_flight_during_fast_update: list[bool] = []
    updates.hook = lambda key, _: (
        slow_in_flight_during_fast_update.append(hub.in_flight("slow")) if key == "fast" else None
    )
    hub.add("slow", slow, LONG, 1.0)
    hub.add("fast", Source(lambda n: n), 0.02, 1.0)
    hub.start()

    await updates.wait("fast", 3)
    assert slow_in_flight_during_fast_update[:3] == [True, True, True]
    assert not hub.has_result("slow")

    assert await hub.wait_first(["slow"], timeout_s=PATIENCE)
    snap = hub.snapshot("slow")
    assert snap.error == FetchError("timeout", "no answer in 1 s")
    assert snap.value is None and snap.fetched_at is None
    assert snap.failures == 1
    assert not hub.in_flight("slow")


# ------------------------------------------------------------------ errors


async def test_source_error_keeps_kind_and_message_on_one_line(hub: Hub, updates: Updates) -> None:
    source = Source(SourceError("unreachable", "connection refused\n  to 127.0.0.1:9"))
    hub.add("a", source, LONG, 1.0)
    hub.start()

    snap = await updates.wait("a", 1)
    assert snap.error == FetchError("unreachable", "connection refused to 127.0.0.1:9")


async def test_unexpected_exception_becomes_internal_error_and_schedule_continues(
    hub: Hub, updates: Updates
) -> None:
    source = Source(ValueError("bad\nnumber"))
    hub.add("a", source, LONG, 1.0)
    hub.start()

    first = await updates.wait("a", 1)
    assert first.error == FetchError("internal", "ValueError: bad number")

    source.result = "fine"
    hub.refresh_now("a")
    second = await updates.wait("a", 2)
    assert second.value == "fine" and second.error is None


async def test_exception_without_message_is_named_by_its_type(hub: Hub, updates: Updates) -> None:
    hub.add("a", Source(KeyError()), LONG, 1.0)
    hub.start()

    assert (await updates.wait("a", 1)).error == FetchError("internal", "KeyError")


async def test_on_update_exception_is_logged_and_schedule_continues(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []

    def on_update(key: str, snapshot: Snapshot[Any]) -> None:
        calls.append(snapshot.value)
        raise RuntimeError("widget gone")

    hub = Hub(frozen_clock, on_update)
    hub.add("a", Source(lambda n: n), 0.02, 1.0)
    with caplog.at_level(logging.ERROR, logger="obsconsole.hub"):
        hub.start()
        try:
            await until(lambda: len(calls) >= 3, "three updates")
        finally:
            await hub.stop()

    assert calls[:3] == [1, 2, 3]
    assert "on_update raised" in caplog.text


# ------------------------------------------------------------------ backoff


def test_backoff_delay_doubles_per_failure_and_is_capped() -> None:
    assert [backoff_delay(10, n, 60) for n in range(6)] == [10, 10, 20, 40, 60, 60]
    assert backoff_delay(10, 10_000, 60) == 60  # no overflow after a long outage
    # a cap below the interval never makes a failing schedule poll more often
    assert backoff_delay(600, 3, 300) == 600


async def test_failing_source_backs_off_keeps_last_good_value_and_recovers(
    updates: Updates,
) -> None:
    clock = stepping_clock()
    hub = Hub(clock, updates, backoff_cap_s=40.0)
    due: list[float | None] = []
    updates.hook = lambda key, _: due.append(hub.info(key).next_due_in_s)
    source = Source("good")
    # A long interval, driven by refresh_now (which overrides the backoff wait), so the
    # armed waits can be read exactly after each attempt.
    hub.add("a", source, 10.0, 1.0)
    hub.start()
    try:
        good = await updates.wait("a", 1)
        assert good.fetched_at == T0

        source.result = SourceError("unreachable", "down")
        for n in range(2, 6):
            hub.refresh_now("a")
            failed = await updates.wait("a", n)
            assert failed.value == "good" and failed.fetched_at == T0  # last good kept
            assert failed.error == FetchError("unreachable", "down")
            assert failed.failures == n - 1
            assert failed.attempted_at == T0 + timedelta(seconds=n - 1)
        assert hub.info("a").failures == 4

        source.result = "again"
        hub.refresh_now("a")
        recovered = await updates.wait("a", 6)
    finally:
        await hub.stop()

    assert recovered == Snapshot(
        "again",
        fetched_at=T0 + timedelta(seconds=5),
        error=None,
        attempted_at=T0 + timedelta(seconds=5),
        failures=0,
    )
    # after success, 1 failure, 2, 3, 4 (capped at 40), success again
    assert due == pytest.approx([10, 10, 20, 40, 40, 10], abs=0.5)


async def test_failing_schedule_keeps_retrying_on_its_own(updates: Updates) -> None:
    hub = Hub(frozen_clock, updates, backoff_cap_s=0.04)
    hub.add("a", Source(SourceError("auth", "401")), 0.02, 1.0)
    hub.start()
    try:
        snap = await updates.wait("a", 4)
    finally:
        await hub.stop()

    assert snap.failures == 4


# ------------------------------------------------------------------ pausing


async def test_paused_schedule_is_not_polled_until_resumed(hub: Hub, updates: Updates) -> None:
    source = Source()
    hub.add("a", source, 0.02, 1.0)
    hub.start()
    await updates.wait("a", 2)

    hub.pause("a")
    await until(lambda: not hub.in_flight("a"), "the fetch in flight to end")
    calls = source.calls
    hub.refresh_now("a")  # ignored while paused
    await asyncio.sleep(0.15)  # several intervals

    assert source.calls == calls
    assert hub.is_paused("a")
    assert hub.info("a").next_due_in_s is None

    hub.resume("a")
    await updates.wait("a", calls + 1)
    assert not hub.is_paused("a")


async def test_schedule_paused_before_start_is_not_polled(hub: Hub) -> None:
    source = Source()
    hub.add("a", source, 0.02, 1.0)
    hub.pause("a")
    hub.start()

    assert not await hub.wait_first(["a"], timeout_s=0.1)
    assert source.calls == 0


async def test_resume_before_the_interval_elapsed_waits_the_remainder(
    hub: Hub, updates: Updates
) -> None:
    source = Source()
    hub.add("a", source, LONG, 1.0)
    hub.start()
    await updates.wait("a", 1)

    hub.pause("a")
    hub.resume("a")
    await asyncio.sleep(0.05)

    assert source.calls == 1
    assert hub.info("a").next_due_in_s == pytest.approx(LONG, abs=5)


async def test_pause_during_fetch_delivers_that_result_and_starts_no_new_one(
    hub: Hub, updates: Updates
) -> None:
    source = Source("v", gated=True)
    hub.add("a", source, 0.02, 1.0)
    hub.start()
    await source.started.wait()

    hub.pause("a")
    source.gate.set()
    snap = await updates.wait("a", 1)
    await asyncio.sleep(0.1)  # several intervals

    assert snap.value == "v"
    assert source.calls == 1
    assert updates.count("a") == 1


async def test_pause_all_stops_every_schedule_and_resume_all_restarts_them(
    hub: Hub, updates: Updates
) -> None:
    a, b = Source(), Source()
    hub.add("a", a, 0.02, 1.0)
    hub.add("b", b, 0.02, 1.0)
    hub.start()
    await updates.wait("a", 1)
    await updates.wait("b", 1)

    hub.pause_all()
    assert hub.all_paused and hub.is_paused("a") and hub.is_paused("b")
    await until(lambda: not hub.in_flight("a") and not hub.in_flight("b"), "fetches to end")
    seen = (updates.count("a"), updates.count("b"))
    await asyncio.sleep(0.15)
    assert (updates.count("a"), updates.count("b")) == seen

    hub.resume_all()
    assert not hub.all_paused
    await updates.wait("a", seen[0] + 1)
    await updates.wait("b", seen[1] + 1)


async def test_resume_all_keeps_individually_paused_keys_paused(hub: Hub, updates: Updates) -> None:
    # The UI pauses hidden panes one by one; the user's global pause must not unhide them.
    hidden = Source()
    hub.add("hidden", hidden, 0.02, 1.0)
    hub.add("shown", Source(), 0.02, 1.0)
    hub.pause("hidden")
    hub.pause_all()
    hub.start()

    hub.resume("hidden")  # shown again while everything is paused: stays paused
    assert hub.is_paused("hidden")
    hub.pause("hidden")  # hidden again
    hub.resume_all()

    await updates.wait("shown", 2)
    assert hub.is_paused("hidden") and not hub.is_paused("shown")
    assert hidden.calls == 0


# ------------------------------------------------------------------ overlap and refresh_now


async def test_refresh_now_spam_never_overlaps_polls(hub: Hub, updates: Updates) -> None:
    source = Source()
    hub.add("a", source, 0.01, 1.0)
    hub.start()

    for _ in range(200):
        hub.refresh_now("a")
        hub.refresh_now()
        await asyncio.sleep(0)
    await updates.wait("a", 10)

    assert source.max_active == 1


async def test_refresh_now_during_fetch_causes_exactly_one_extra_poll_right_after(
    hub: Hub, updates: Updates
) -> None:
    source = Source(lambda n: n, gated=True)
    hub.add("a", source, LONG, 1.0)
    hub.start()
    await source.started.wait()

    for _ in range(5):
        hub.refresh_now("a")
        hub.refresh_now()
    assert hub.in_flight("a") and source.calls == 1
    source.gate.set()

    assert (await updates.wait("a", 1)).value == 1
    assert (await updates.wait("a", 2)).value == 2
    await asyncio.sleep(0.1)
    assert source.calls == 2 and source.max_active == 1


async def test_refresh_now_wakes_a_schedule_with_a_long_interval(
    hub: Hub, updates: Updates
) -> None:
    a, b = Source(), Source()
    hub.add("a", a, LONG, 1.0)
    hub.add("b", b, LONG, 1.0)
    hub.start()
    await updates.wait("a", 1)
    await updates.wait("b", 1)

    hub.refresh_now("a")
    await updates.wait("a", 2)
    assert b.calls == 1

    hub.refresh_now()
    await updates.wait("a", 3)
    await updates.wait("b", 2)


async def test_set_interval_rearms_the_pending_wait(hub: Hub, updates: Updates) -> None:
    hub.add("a", Source(), LONG, 1.0)
    hub.start()
    await updates.wait("a", 1)

    hub.set_interval("a", 0.02)
    await updates.wait("a", 3)
    assert hub.info("a").interval_s == 0.02


async def test_info_reports_the_schedule_state(hub: Hub, updates: Updates) -> None:
    source = Source(gated=True)
    hub.add("a", source, LONG, 1.0)
    hub.start()
    await source.started.wait()

    assert hub.info("a") == ScheduleInfo(
        interval_s=LONG, paused=False, failures=0, next_due_in_s=None, in_flight=True
    )
    source.gate.set()
    await updates.wait("a", 1)
    info = hub.info("a")
    assert not info.in_flight and info.next_due_in_s == pytest.approx(LONG, abs=5)


# ------------------------------------------------------------------ wait_first and stop


async def test_wait_first_returns_true_once_every_key_has_a_result(hub: Hub) -> None:
    hub.add("ok", Source(), LONG, 1.0)
    hub.add("broken", Source(SourceError("auth", "401")), LONG, 1.0)
    hub.start()

    assert await hub.wait_first(timeout_s=PATIENCE)
    assert hub.has_result("ok") and hub.has_result("broken")


async def test_wait_first_returns_false_on_timeout(hub: Hub) -> None:
    hung = Source(gated=True)
    hub.add("ok", Source(), LONG, 1.0)
    hub.add("hung", hung, LONG, 30.0)
    hub.start()

    assert await hub.wait_first(["ok"], timeout_s=PATIENCE)
    assert not await hub.wait_first(timeout_s=0.05)
    assert not hub.has_result("hung")


async def test_stop_is_idempotent_and_cancels_in_flight_fetches() -> None:
    hub = Hub(frozen_clock)
    await hub.stop()  # before start: nothing to do

    source = Source(gated=True)
    hub.add("a", source, LONG, 30.0)
    hub.start()
    await source.started.wait()

    await hub.stop()
    assert source.cancelled
    assert not hub.in_flight("a")
    assert not hub.has_result("a")
    await hub.stop()


async def test_stop_right_after_a_wake_up_still_ends_the_schedule() -> None:
    # Regression: with asyncio.wait_for (Python 3.11) a cancellation arriving as the
    # wait completed was lost and stop() hung for ever.
    hub = Hub(frozen_clock)
    hub.add("a", Source(), LONG, 1.0)
    hub.start()
    assert await hub.wait_first(timeout_s=PATIENCE)  # the schedule now waits to be due

    hub.refresh_now("a")
    async with asyncio.timeout(PATIENCE):
        await hub.stop()


async def test_timeout_raised_by_the_source_itself_is_internal(hub: Hub, updates: Updates) -> None:
    # Only the hub's own deadline is reported as kind "timeout"; a source should have
    # turned its own timeout into SourceError("timeout", ...).
    hub.add("a", Source(TimeoutError("read timed out")), LONG, 30.0)
    hub.start()

    snap = await updates.wait("a", 1)
    assert snap.error == FetchError("internal", "TimeoutError: read timed out")


def test_hub_does_not_import_textual() -> None:
    code = (
        "import sys, obsconsole.hub; "
        "sys.exit(any(m == 'textual' or m.startswith('textual.') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
