"""The error stream's memory (obsconsole/logic/buffer.py): bounded, no duplicates,
newest first, stable order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obsconsole.logic.buffer import EventBuffer
from obsconsole.model import LogEvent, LogLevel
from tests.tz import local_zone  # noqa: F401  (autouse: every test in UTC, Asia/Kolkata, America/New_York)

T0 = datetime(2025, 3, 4, 12, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Ev:
    id: str
    timestamp: datetime
    body: str = ""


def ev(id: str, seconds: float, body: str = "") -> Ev:
    return Ev(id, T0 + timedelta(seconds=seconds), body)


def ids(buf: EventBuffer) -> list[str]:
    return [e.id for e in buf.items()]


def test_a_buffer_needs_room_for_at_least_one_event() -> None:
    with pytest.raises(ValueError, match=r"^capacity must be >= 1$"):
        EventBuffer(0)
    assert len(EventBuffer(1)) == 0


def test_events_are_listed_newest_first() -> None:
    buf: EventBuffer[Ev] = EventBuffer(10)
    buf.merge([ev("a", 1), ev("c", 3), ev("b", 2)])
    assert ids(buf) == ["c", "b", "a"]
    assert len(buf) == 3


def test_a_later_fetch_slots_in_by_time_not_by_arrival() -> None:
    buf: EventBuffer[Ev] = EventBuffer(10)
    buf.merge([ev("a", 10), ev("b", 30)])
    buf.merge([ev("late", 20), ev("new", 40)])
    assert ids(buf) == ["new", "b", "late", "a"]


def test_refetching_the_same_events_adds_no_duplicates() -> None:
    buf: EventBuffer[Ev] = EventBuffer(10)
    assert buf.merge([ev("a", 1), ev("b", 2)]) == 2
    assert buf.merge([ev("a", 1), ev("b", 2), ev("c", 3)]) == 1
    assert buf.merge([ev("a", 1)]) == 0
    assert ids(buf) == ["c", "b", "a"]


def test_a_batch_repeating_an_id_adds_it_once_and_counts_it_once() -> None:
    buf: EventBuffer[Ev] = EventBuffer(10)
    assert buf.merge([ev("a", 1), ev("a", 1), ev("b", 2)]) == 2
    assert ids(buf) == ["b", "a"]


def test_an_event_seen_again_keeps_its_first_version() -> None:
    buf: EventBuffer[Ev] = EventBuffer(10)
    buf.merge([ev("a", 1, "first")])
    buf.merge([ev("a", 1, "second")])
    assert buf.get("a") == ev("a", 1, "first")


def test_a_full_buffer_drops_the_oldest_and_counts_them() -> None:
    buf: EventBuffer[Ev] = EventBuffer(3)
    buf.merge([ev("a", 1), ev("b", 2), ev("c", 3)])
    assert buf.dropped == 0
    buf.merge([ev("d", 4), ev("e", 5)])
    assert ids(buf) == ["e", "d", "c"]
    assert len(buf) == 3
    assert buf.dropped == 2
    assert buf.get("a") is None and buf.get("b") is None


def test_the_dropped_count_adds_up_over_several_overflowing_fetches() -> None:
    buf: EventBuffer[Ev] = EventBuffer(2)
    buf.merge([ev("a", 1), ev("b", 2), ev("c", 3)])
    assert buf.dropped == 1
    buf.merge([ev("d", 4), ev("e", 5)])
    assert buf.dropped == 3
    assert ids(buf) == ["e", "d"]


def test_a_buffer_filled_exactly_to_capacity_drops_nothing() -> None:
    buf: EventBuffer[Ev] = EventBuffer(3)
    assert buf.merge([ev("a", 1), ev("b", 2), ev("c", 3)]) == 3
    assert (ids(buf), buf.dropped) == (["c", "b", "a"], 0)


def test_a_huge_fetch_keeps_only_the_newest_capacity_events() -> None:
    buf: EventBuffer[Ev] = EventBuffer(100)
    buf.merge(ev(f"e{i:05d}", i) for i in range(10_000))
    assert len(buf) == 100
    assert buf.dropped == 9_900
    assert ids(buf)[0] == "e09999" and ids(buf)[-1] == "e09900"


def test_an_event_older_than_a_full_buffer_falls_straight_out() -> None:
    buf: EventBuffer[Ev] = EventBuffer(2)
    buf.merge([ev("b", 2), ev("c", 3)])
    buf.merge([ev("ancient", 0)])
    assert ids(buf) == ["c", "b"]
    assert buf.dropped == 1


def test_events_at_the_same_time_are_ordered_the_same_whatever_the_arrival() -> None:
    same = [ev("x", 5), ev("a", 5), ev("m", 5)]
    one: EventBuffer[Ev] = EventBuffer(10)
    one.merge(same)
    two: EventBuffer[Ev] = EventBuffer(10)
    for e in reversed(same):
        two.merge([e])
    assert ids(one) == ids(two) == ["x", "m", "a"]


def test_get_finds_a_held_event_by_id() -> None:
    buf: EventBuffer[Ev] = EventBuffer(10)
    buf.merge([ev("a", 1), ev("b", 2)])
    assert buf.get("b") == ev("b", 2)
    assert buf.get("missing") is None


def test_an_empty_merge_changes_nothing() -> None:
    buf: EventBuffer[Ev] = EventBuffer(10)
    assert buf.merge([]) == 0
    assert ids(buf) == [] and len(buf) == 0 and buf.dropped == 0


def test_it_holds_real_log_events() -> None:
    buf: EventBuffer[LogEvent] = EventBuffer(2)
    events = [
        LogEvent(f"id{i}", T0 + timedelta(seconds=i), LogLevel.ERROR, "aigym-api", f"m{i}")
        for i in range(3)
    ]
    buf.merge(events)
    assert [e.message for e in buf.items()] == ["m2", "m1"]


@settings(max_examples=200, deadline=None)
@given(
    capacity=st.integers(1, 20),
    batches=st.lists(st.lists(st.integers(0, 40), max_size=15), max_size=8),
)
def test_the_buffer_always_holds_the_newest_distinct_events(
    capacity: int, batches: list[list[int]]
) -> None:
    """Whatever arrives, in whatever batches and repeats, the buffer holds exactly the
    newest `capacity` distinct events seen so far, newest first."""
    buf: EventBuffer[Ev] = EventBuffer(capacity)
    seen: dict[str, Ev] = {}
    for batch in batches:
        # an event's time is a property of the event; n % 7 makes plenty of ties
        events = [ev(f"e{n:02d}", float(n % 7)) for n in batch]
        buf.merge(events)
        seen.update((e.id, e) for e in events)
        expected = sorted(seen.values(), key=lambda e: (e.timestamp, e.id), reverse=True)
        assert buf.items() == expected[:capacity]
        assert len(buf) == min(capacity, len(seen))
        for e in buf.items():
            assert buf.get(e.id) is not None
