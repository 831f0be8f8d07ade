"""logic/logs.py: literal matching, histogram, per-service breakdown, tail bookkeeping."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from obsconsole.logic import logs
from obsconsole.model import LogEvent, LogLevel, LogQuery
from tests.tz import local_zone  # noqa: F401  (autouse: every test in UTC, Asia/Kolkata, America/New_York)

T0 = datetime(2026, 11, 28, 14, 0, tzinfo=timezone.utc)


def event(i: int, seconds: float = 0.0, **kw) -> LogEvent:
    base = dict(id=f"e{i}", timestamp=T0 + timedelta(seconds=seconds), level=LogLevel.ERROR,
                service="aigym-api", message=f"message {i}")
    base.update(kw)
    return LogEvent(**base)


def test_text_matches_literally_in_any_searched_field_ignoring_case() -> None:
    e = event(1, message='upstream said " OR * level:INFO \\ and hung up', trace_id="abc123")
    assert logs.matches(e, LogQuery(text='" or * LEVEL:info \\'))
    assert logs.matches(e, LogQuery(text="ABC12"))
    assert not logs.matches(e, LogQuery(text="level:WARN"))
    assert not logs.matches(e, LogQuery(text="OR level"))  # words in another order: no


def test_levels_and_services_narrow_and_default_levels_apply_without_a_query_level() -> None:
    fatal = event(1, level=LogLevel.FATAL, service="aigym-auth")
    warn = event(2, level=LogLevel.WARN)
    assert logs.matches(fatal, LogQuery(levels=(LogLevel.FATAL,)))
    assert not logs.matches(warn, LogQuery(), default_levels=(LogLevel.ERROR, LogLevel.FATAL))
    assert logs.matches(warn, LogQuery(levels=(LogLevel.WARN,)), default_levels=(LogLevel.ERROR,))
    assert not logs.matches(fatal, LogQuery(services=("aigym-api",)))


def test_whole_words_drop_the_chunks_a_user_may_have_cut() -> None:
    assert logs.whole_words('" OR * level:INFO \\') == "OR * level:INFO"
    assert logs.whole_words("pool exh") == ""
    assert logs.whole_words("connection pool exhausted") == "pool"
    assert logs.whole_words(" pool exhausted ") == "pool exhausted"
    assert logs.whole_words("") == "" and logs.whole_words("   ") == ""


def test_histogram_counts_per_aligned_bucket_with_empty_buckets_and_nothing_outside() -> None:
    now = T0 + timedelta(minutes=5, seconds=30)
    events = [event(1, 10), event(2, 20), event(3, 70), event(4, 330), event(5, -3600), event(6, 400)]
    bars = logs.histogram(events, now, window_s=300, bucket_s=60)
    assert [b.start for b in bars][0] == T0  # 14:00:30 - 5 min, aligned down to 14:00
    assert [b.count for b in bars] == [2, 1, 0, 0, 0, 1]
    assert bars[-1].start == T0 + timedelta(minutes=5)


def test_a_search_never_matches_a_field_the_event_does_not_have() -> None:
    bare = event(1, message="m")  # no component, trace_id, correlation_id, error
    assert not logs.matches(bare, LogQuery(text="xx"))
    assert not logs.matches(bare, LogQuery(text="none"))


def test_an_empty_window_or_bucket_gives_no_histogram() -> None:
    now = T0 + timedelta(minutes=5)
    assert logs.histogram([event(1, 10)], now, window_s=300, bucket_s=0) == ()
    assert logs.histogram([event(1, 10)], now, window_s=0, bucket_s=60) == ()
    assert logs.histogram([event(1, 10)], now, window_s=-300, bucket_s=60) == ()
    assert logs.histogram([event(1, 10)], now, window_s=300, bucket_s=-60) == ()


def test_one_second_buckets_over_one_second_count_each_second() -> None:
    now = T0 + timedelta(seconds=0.5)
    bars = logs.histogram([event(1, -0.5), event(2, 0), event(3, 0.25), event(4, 0.75)], now, window_s=1, bucket_s=1)
    assert [(b.start, b.count) for b in bars] == [
        (datetime(2026, 11, 28, 13, 59, 59, tzinfo=timezone.utc), 1),
        (datetime(2026, 11, 28, 14, 0, 0, tzinfo=timezone.utc), 2),
    ]


def test_an_event_just_before_the_first_bucket_is_not_counted_in_it() -> None:
    now = T0 + timedelta(minutes=5, seconds=30)  # first bucket starts at T0
    bars = logs.histogram([event(1, -1), event(2, -0.001), event(3, 0)], now, window_s=300, bucket_s=60)
    assert [b.count for b in bars] == [1, 0, 0, 0, 0, 0]


def test_services_are_ranked_by_count_not_name_and_ties_by_name() -> None:
    events = ([event(i, service="zeta", component="db") for i in range(3)]
              + [event(10, service="beta", component="x"), event(11, service="alpha", component="y")]
              + [event(20, service="zeta", component="api"), event(21, service="zeta", component="api"),
                 event(22, service="zeta", component="web"), event(23, service="zeta", component="cache")])
    out = logs.by_service(events)
    assert [(s.service, s.count) for s in out] == [("zeta", 7), ("alpha", 1), ("beta", 1)]
    assert out[0].components == (("db", 3), ("api", 2), ("cache", 1), ("web", 1))


def test_by_service_shows_ten_services_and_ten_components_unless_told() -> None:
    events = [event(i, service=f"svc-{i:02d}", component="c") for i in range(12)]
    events += [event(100 + i, service="svc-00", component=f"comp-{i:02d}") for i in range(12)]
    out = logs.by_service(events)
    assert [s.service for s in out] == ["svc-00"] + [f"svc-{i:02d}" for i in range(1, 10)]
    assert [c for c, _ in out[0].components] == ["c"] + [f"comp-{i:02d}" for i in range(9)]
    assert len(logs.by_service(events, top=12)) == 12


def test_by_service_ranks_services_and_their_components() -> None:
    events = [event(1, component="db"), event(2, component="db"), event(3, component="handler"),
              event(4, service="aigym-auth", component="")]
    out = logs.by_service(events)
    assert [(s.service, s.count) for s in out] == [("aigym-api", 3), ("aigym-auth", 1)]
    assert out[0].components == (("db", 2), ("handler", 1))
    assert out[1].components == (("–", 1),)


def test_tail_state_admits_each_event_once_across_overlapping_reads() -> None:
    tail = logs.TailState(lag_s=10)
    first = [event(i, 0) for i in range(5)] + [event(5, 1)]
    assert [e.id for e in tail.admit(first)] == ["e0", "e1", "e2", "e3", "e4", "e5"]
    assert tail.since == T0 + timedelta(seconds=1 - 10)
    # the next read overlaps (same timestamp, late arrival inside the lag) and adds two
    again = first + [event(6, 1), event(7, -5)]
    assert [e.id for e in tail.admit(again)] == ["e6", "e7"]


def test_tail_state_forgets_ids_older_than_the_lag_and_jumps_on_a_flood() -> None:
    tail = logs.TailState(lag_s=10)
    tail.admit([event(i, i) for i in range(100)])
    assert len(tail) == 11  # ids at 89..99 s are kept, older ones forgotten
    tail.jump(T0 + timedelta(seconds=500))
    assert tail.since == T0 + timedelta(seconds=490) and len(tail) == 0


def test_a_jump_before_the_first_event_starts_the_tail_there() -> None:
    tail = logs.TailState(lag_s=10)
    assert tail.since is None
    tail.jump(T0)
    assert tail.watermark == T0
    assert tail.since == datetime(2026, 11, 28, 13, 59, 50, tzinfo=timezone.utc)
    assert [e.id for e in tail.admit([event(1, 5)])] == ["e1"]


def test_a_jump_backwards_never_moves_the_watermark_back() -> None:
    tail = logs.TailState(lag_s=10)
    tail.admit([event(i, i) for i in range(95, 101)])  # newest at 100 s
    tail.jump(T0 + timedelta(seconds=50))
    assert tail.watermark == T0 + timedelta(seconds=100)
    assert tail.since == T0 + timedelta(seconds=90)
    # nothing delivered is forgotten or delivered again
    assert len(tail) == 6
    assert tail.admit([event(i, i) for i in range(95, 101)]) == []
    tail.jump(T0 + timedelta(seconds=100))  # to the watermark itself: no change either
    assert tail.watermark == T0 + timedelta(seconds=100) and len(tail) == 6


def test_a_jump_forward_moves_the_watermark_and_forgets_what_falls_behind_the_lag() -> None:
    tail = logs.TailState(lag_s=10)
    tail.admit([event(1, 0), event(2, 8)])
    tail.jump(T0 + timedelta(seconds=15))
    assert tail.watermark == T0 + timedelta(seconds=15)
    assert tail.since == T0 + timedelta(seconds=5)
    assert len(tail) == 1  # e2 (8 s) is inside the lag, e1 (0 s) is not
    assert tail.admit([event(2, 8)]) == []


@given(st.text(), st.text(), st.text())
def test_any_text_inside_a_message_is_found_and_matching_never_raises(before: str, needle: str, after: str) -> None:
    assert logs.matches(event(1, message=before + needle + after), LogQuery(text=needle))
    logs.matches(event(2, message=before), LogQuery(text=needle + after))  # no exception
