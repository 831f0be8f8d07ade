"""Wazuh's pure parts (obsconsole/logic/wazuh.py): alert JSON → SecurityEvent, level →
severity, the dashboard's 24 h top 10, brute-force addresses, merging two reads."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obsconsole.logic import fields, wazuh
from obsconsole.model import Health, SecurityEvent, SecurityTop, SecurityView, Severity
from tests.tz import local_zone  # noqa: F401  (autouse: every test in UTC, Asia/Kolkata, America/New_York)
from tests.clock import FROZEN

UTC = timezone.utc
NOW = FROZEN

#: an alert as wazuh-analysisd writes it to alerts.json (trimmed to the fields we read)
ALERT = {
    "timestamp": "2026-11-28T14:00:00.123+0000",
    "rule": {
        "level": 10,
        "description": "Successful authentication after multiple failures - possible brute force success",
        "id": "100004",
        "mitre": {"id": ["T1110"], "tactic": ["Credential Access"], "technique": ["Brute Force"]},
        "firedtimes": 1,
        "groups": ["aigym", "authentication"],
    },
    "agent": {"id": "003", "name": "aigym-api-1", "ip": "10.0.1.5"},
    "manager": {"name": "wazuh-manager"},
    "id": "1795874400.123456",
    "full_log": '{"event_type":"authentication_success","srcip":"203.0.113.45"}',
    "decoder": {"name": "json"},
    "data": {"srcip": "203.0.113.45", "event_type": "authentication_success"},
    "location": "/var/log/aigym/auth.json",
}


def event(
    level: int = 5,
    description: str = "Failed authentication attempt",
    *,
    at: datetime = NOW,
    id: str | None = None,
    rule_id: str = "100002",
    srcip: str = "",
) -> SecurityEvent:
    return SecurityEvent(
        id=id or f"{at.timestamp():.0f}.{level}.{description}.{srcip}",
        timestamp=at,
        rule_id=rule_id,
        level=level,
        description=description,
        srcip=srcip,
    )


# --------------------------------------------------------------------------- parsing


def test_a_wazuh_alert_parses_into_every_field() -> None:
    e = wazuh.parse_alert(ALERT)
    assert e == SecurityEvent(
        id="1795874400.123456",
        timestamp=datetime(2026, 11, 28, 14, 0, 0, 123000, tzinfo=UTC),
        rule_id="100004",
        level=10,
        description=ALERT["rule"]["description"],
        agent_id="003",
        agent_name="aigym-api-1",
        srcip="203.0.113.45",
        groups=("aigym", "authentication"),
        mitre_ids=("T1110",),
        mitre_tactics=("Credential Access",),
        location="/var/log/aigym/auth.json",
        full_log=ALERT["full_log"],
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-28T14:00:00.123+0000", datetime(2026, 11, 28, 14, 0, 0, 123000, tzinfo=UTC)),
        ("2026-11-28T15:30:00.000+0130", datetime(2026, 11, 28, 14, 0, tzinfo=UTC)),
        ("2026-11-28T09:00:00-0500", datetime(2026, 11, 28, 14, 0, tzinfo=UTC)),
        ("2026-11-28T14:00:00Z", datetime(2026, 11, 28, 14, 0, tzinfo=UTC)),
        ("2026-11-28T14:00:00.123456789Z", datetime(2026, 11, 28, 14, 0, 0, 123456, tzinfo=UTC)),
        ("2026-11-28T14:00:00+00:00", datetime(2026, 11, 28, 14, 0, tzinfo=UTC)),
        ("2026-11-28 14:00:00", datetime(2026, 11, 28, 14, 0, tzinfo=UTC)),  # no offset: UTC
        (1795874400000, datetime(2026, 11, 28, 14, 0, tzinfo=UTC)),  # epoch millis (indexer)
    ],
)
def test_timestamps_in_wazuh_and_indexer_formats_become_utc(text: object, expected: datetime) -> None:
    parsed = wazuh.parse_timestamp(text)
    assert parsed == expected and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-45T00:00:00+0000", "2026-11-28T14:00:00+9999",
                                  True, None, [], {}, float("nan"), 10**400, "9" * 100])
def test_unusable_timestamps_are_none(text: object) -> None:
    assert wazuh.parse_timestamp(text) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(10, 10), ("10", 10), (" 7 ", 7), (12.0, 12), (0, 0), (16, 16),
     (17, None), (-1, None), (10.5, None), (True, None), ("ten", None), ("١٠", None),
     (None, None), ([10], None), (float("inf"), None), ("9" * 5000, None),
     ("012", 12), ("0012", None), ("", None), ("  ", None)],
)
def test_rule_levels_are_coerced_or_refused(value: object, expected: int | None) -> None:
    assert wazuh.parse_level(value) == expected


def test_missing_fields_are_empty() -> None:
    e = wazuh.parse_alert({"timestamp": "2026-11-28T14:00:00+0000", "rule": {"level": 3}})
    assert e is not None
    assert (e.rule_id, e.description, e.agent_id, e.agent_name, e.srcip, e.location, e.full_log) == ("",) * 7
    assert (e.groups, e.mitre_ids, e.mitre_tactics) == ((), (), ())


@pytest.mark.parametrize("broken", [
    {"rule": {"level": 5}},                                  # no timestamp
    {"timestamp": "2026-11-28T14:00:00+0000"},               # no rule
    {"timestamp": "2026-11-28T14:00:00+0000", "rule": "x"},  # rule is not an object
    {"timestamp": "not a time", "rule": {"level": 5}},
    {"timestamp": "2026-11-28T14:00:00+0000", "rule": {"level": "high"}},
])
def test_an_alert_without_a_usable_time_or_level_is_skipped(broken: dict) -> None:
    assert wazuh.parse_alert(broken) is None


@pytest.mark.parametrize("not_a_dict", [None, [], "alert", 42, [ALERT]])
def test_anything_but_an_object_is_not_an_alert(not_a_dict: object) -> None:
    assert wazuh.parse_alert(not_a_dict) is None


def test_wrong_types_are_coerced() -> None:
    raw = {
        "timestamp": "2026-11-28T14:00:00+0000",
        "id": 1795874400.5,
        "rule": {"level": "8", "id": 100003, "description": {"not": "text"}, "groups": "authentication",
                 "mitre": {"id": ["T1110", {"x": 1}, None, 7], "tactic": "Credential Access"}},
        "agent": "aigym-api-1",          # not an object: no agent fields
        "data": {"srcip": ["203.0.113.45"]},  # a list where text belongs: empty
        "full_log": True,
    }
    e = wazuh.parse_alert(raw)
    assert e is not None
    assert (e.id, e.level, e.rule_id, e.description) == ("1795874400.5", 8, "100003", "")
    assert e.groups == ("authentication",)
    assert e.mitre_ids == ("T1110", "7") and e.mitre_tactics == ("Credential Access",)
    assert (e.agent_id, e.agent_name, e.srcip, e.full_log) == ("", "", "", "true")


def test_flattened_field_names_are_read_too() -> None:
    raw = {"timestamp": "2026-11-28T14:00:00+0000", "rule.level": 5, "rule.id": "100002", "data.srcip": "192.0.2.1"}
    e = wazuh.parse_alert(raw)
    assert e is not None and (e.level, e.rule_id, e.srcip) == (5, "100002", "192.0.2.1")


def test_a_huge_field_is_cut_with_a_marker() -> None:
    e = wazuh.parse_alert({**ALERT, "full_log": "A" * 2_000_000})
    assert e is not None
    assert len(e.full_log) < fields.MAX_FIELD_CHARS + 50
    assert e.full_log.endswith(f"[cut {2_000_000 - fields.MAX_FIELD_CHARS:,} chars]")


def test_an_alert_without_id_gets_the_same_id_from_both_reads() -> None:
    raw = {k: v for k, v in ALERT.items() if k != "id"}
    indexed = {**raw, "manager": {"name": "other"}}  # the indexer's copy carries extra fields
    first, second = wazuh.parse_alert(raw), wazuh.parse_alert(indexed)
    assert first is not None and second is not None
    assert first.id == second.id and first.id.startswith("sha256:")
    other = wazuh.parse_alert({**raw, "full_log": "something else"})
    assert other is not None and other.id != first.id


def test_an_alert_without_id_gets_a_stable_content_id() -> None:
    # sha256 of timestamp, rule id, agent id, location and full_log joined by U+001F
    # (computed with sha256sum), cut to 24 hex digits
    raw = {k: v for k, v in ALERT.items() if k != "id"}
    e = wazuh.parse_alert(raw)
    assert e is not None and e.id == "sha256:90677952a03923b712571f24"


@pytest.mark.parametrize(
    "change",
    [
        {"timestamp": "2026-11-28T14:00:01.123+0000"},
        {"rule": {**ALERT["rule"], "id": "100003"}},
        {"agent": {**ALERT["agent"], "id": "004"}},
        {"location": "/var/log/aigym/other.json"},
        {"full_log": "something else"},
    ],
    ids=["timestamp", "rule.id", "agent.id", "location", "full_log"],
)
def test_alerts_without_id_that_differ_in_one_identifying_field_get_different_ids(change: dict) -> None:
    raw = {k: v for k, v in ALERT.items() if k != "id"}
    first, other = wazuh.parse_alert(raw), wazuh.parse_alert({**raw, **change})
    assert first is not None and other is not None
    assert other.id != first.id


def test_an_alert_without_id_and_with_a_lone_surrogate_still_gets_an_id() -> None:
    # json.loads turns "\\ud800" into a lone surrogate, which UTF-8 cannot encode
    raw = {"timestamp": "2026-11-28T14:00:00+0000", "rule": {"level": 5}, "full_log": "\ud800 bad"}
    e = wazuh.parse_alert(raw)
    assert e is not None and e.id == "sha256:d38a0e5f97f14a19e1c68dfd"


def test_the_indexers_at_timestamp_is_read_when_timestamp_is_missing() -> None:
    e = wazuh.parse_alert({"@timestamp": "2026-11-28T14:00:00.000Z", "rule": {"level": 5}})
    assert e is not None and e.timestamp == datetime(2026, 11, 28, 14, 0, tzinfo=UTC)


_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
_JSONISH = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
_FIELD = st.sampled_from(["timestamp", "@timestamp", "id", "rule", "agent", "data", "location", "full_log",
                          "rule.level", "level", "groups", "mitre", "srcip", "name", "description", "tactic"])
_ALERTISH = st.recursive(
    _SCALARS | st.sampled_from(["2026-11-28T14:00:00.123+0000", "100004", "10", "T1110"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_FIELD, children, max_size=6),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_JSONISH, st.dictionaries(_FIELD, _ALERTISH, max_size=8)))
def test_parsing_any_json_value_returns_an_event_or_none(raw: object) -> None:
    e = wazuh.parse_alert(raw)
    assert e is None or isinstance(e, SecurityEvent)
    if e is not None:
        assert 0 <= e.level <= wazuh.MAX_LEVEL
        assert e.timestamp.utcoffset() == timedelta(0)
        assert all(isinstance(v, str) for v in (e.id, e.rule_id, e.description, e.agent_id,
                                                  e.agent_name, e.srcip, e.location, e.full_log))
        assert e.id  # every event can be deduplicated
        assert all(isinstance(v, str) and v for v in e.groups + e.mitre_ids + e.mitre_tactics)


# --------------------------------------------------------------------------- severity


@pytest.mark.parametrize(
    ("level", "severity", "health"),
    [(0, Severity.INFO, Health.OK), (2, Severity.INFO, Health.OK),
     (3, Severity.LOW, Health.OK), (4, Severity.LOW, Health.OK),
     (5, Severity.MEDIUM, Health.OK), (7, Severity.MEDIUM, Health.OK),
     (8, Severity.HIGH, Health.WARNING), (11, Severity.HIGH, Health.WARNING),
     (12, Severity.CRITICAL, Health.CRITICAL), (15, Severity.CRITICAL, Health.CRITICAL)],
)
def test_rule_levels_map_to_severity_bands(level: int, severity: Severity, health: Health) -> None:
    assert wazuh.level_severity(level) is severity
    assert wazuh.level_health(level) is health


def test_the_spec_rules_land_in_the_bands_an_operator_expects() -> None:
    # SPEC §10: SQL injection 12, brute force success 10, multiple failures 8, failed login 5
    assert [wazuh.level_severity(lv) for lv in (12, 10, 8, 5, 3)] == [
        Severity.CRITICAL, Severity.HIGH, Severity.HIGH, Severity.MEDIUM, Severity.LOW]


# --------------------------------------------------------------------------- brute force


def test_brute_force_addresses_come_from_the_three_rules_most_recent_first() -> None:
    events = [  # newest first, as sources hand them over
        event(10, rule_id="100004", srcip="203.0.113.45", at=NOW),
        event(9, rule_id="100104", srcip="198.51.100.7", at=NOW - timedelta(minutes=1)),
        event(8, rule_id="100003", srcip="203.0.113.45", at=NOW - timedelta(minutes=2)),
        event(5, rule_id="100002", srcip="192.0.2.99", at=NOW - timedelta(minutes=3)),  # one failure
        event(12, rule_id="100101", srcip="192.0.2.98", at=NOW - timedelta(minutes=4)),  # SQLi
        event(8, rule_id="100003", srcip="", at=NOW - timedelta(minutes=5)),  # no address
    ]
    assert wazuh.brute_force_ips(events) == ("203.0.113.45", "198.51.100.7")
    assert [wazuh.is_brute_force(e) for e in events] == [True, True, True, False, False, True]
    assert wazuh.BRUTE_FORCE_RULES == {"100003", "100004", "100104"}


# --------------------------------------------------------------------------- top 10


def test_top_counts_level_and_description_over_24_hours_at_or_above_the_minimum() -> None:
    events = (
        [event(5, "Failed authentication attempt", at=NOW - timedelta(hours=h)) for h in range(6)]
        + [event(8, "Excessive API requests", at=NOW - timedelta(minutes=m)) for m in range(3)]
        + [event(3, "Successful user authentication", at=NOW)]  # below the minimum
        + [event(12, "SQL injection", at=NOW - timedelta(hours=25))]  # older than 24 h
    )
    assert wazuh.top_events(events, NOW, min_level=5) == (
        SecurityTop(8, "Excessive API requests", 3),
        SecurityTop(5, "Failed authentication attempt", 6),
    )


def test_top_ranks_by_level_then_count_then_description_and_keeps_ten() -> None:
    rows = [SecurityTop(5, f"rule {i:02d}", i) for i in range(12)]
    rows += [SecurityTop(10, "b", 1), SecurityTop(10, "a", 1), SecurityTop(10, "c", 2)]
    top = wazuh.rank_top(rows)
    assert len(top) == 10
    assert [(r.level, r.description) for r in top[:4]] == [(10, "c"), (10, "a"), (10, "b"), (5, "rule 11")]
    assert [r.count for r in top[3:]] == [11, 10, 9, 8, 7, 6, 5]


def test_top_counts_an_alert_exactly_24_hours_old_as_the_indexer_does() -> None:
    # the indexer's range is `gte` now-24h: the boundary alert counts, one a millisecond older does not
    events = [event(8, "Excessive API requests", at=NOW - timedelta(hours=24)),
              event(8, "Excessive API requests", at=NOW - timedelta(hours=24, milliseconds=1))]
    assert wazuh.top_events(events, NOW, min_level=5) == (SecurityTop(8, "Excessive API requests", 1),)


def test_top_keeps_as_many_rows_as_asked() -> None:
    events = [event(5, f"d{i}") for i in range(5)]
    assert [r.description for r in wazuh.top_events(events, NOW, 5, n=3)] == ["d0", "d1", "d2"]


def test_top_of_no_events_is_empty() -> None:
    assert wazuh.top_events([], NOW, 5) == ()


# --------------------------------------------------------------------------- merging


def test_merged_events_are_each_alert_once_newest_first_within_the_limit() -> None:
    a = event(5, at=NOW - timedelta(seconds=10), id="1.1")
    b = event(8, at=NOW, id="1.2")
    b_again = event(8, "copy from the file", at=NOW, id="1.2")
    c = event(10, at=NOW - timedelta(seconds=5), id="1.3")
    assert wazuh.merge_events([a, b], [b_again, c], limit=10) == (b, c, a)
    assert wazuh.merge_events([a, b], [b_again, c], limit=2) == (b, c)


def test_a_limit_of_zero_merges_to_nothing() -> None:
    assert wazuh.merge_events([event(5, id="1")], limit=0) == ()
    assert wazuh.merge_events([event(5, id="1")], limit=-1) == ()


def test_views_without_any_top_merge_to_an_empty_top() -> None:
    merged = wazuh.merge_views([SecurityView(events=(event(5, id="1"),)), SecurityView(events=())], limit=10)
    assert merged.top == ()
    assert wazuh.merge_views([], limit=10) == SecurityView(events=())


def test_merged_views_take_the_first_parts_top_and_everything_else_from_all() -> None:
    indexer = SecurityView(events=(event(8, id="1"),), top=(SecurityTop(8, "x", 40),),
                           brute_force_ips=("203.0.113.45",))
    tail = SecurityView(events=(event(8, id="1"), event(5, id="2", at=NOW - timedelta(seconds=1))),
                        top=(SecurityTop(8, "x", 3),), brute_force_ips=("198.51.100.7", "203.0.113.45"),
                        skipped_lines=2, warnings=("w",))
    merged = wazuh.merge_views([indexer, tail], limit=10)
    assert [e.id for e in merged.events] == ["1", "2"]
    assert merged.top == (SecurityTop(8, "x", 40),)  # the same alerts: counts are not added
    assert merged.brute_force_ips == ("203.0.113.45", "198.51.100.7")
    assert (merged.skipped_lines, merged.warnings) == (2, ("w",))
    # a part without a top (indexer empty) lets the next part's top through
    assert wazuh.merge_views([SecurityView(events=()), tail], 10).top == tail.top


def test_top_events_agree_with_a_plain_count_of_the_events() -> None:
    events = [event(5 + i % 4, f"d{i % 7}", at=NOW - timedelta(minutes=i)) for i in range(200)]
    counts = Counter((e.level, e.description) for e in events)
    expected = sorted(counts.items(), key=lambda kv: (-kv[0][0], -kv[1], kv[0][1]))[:10]
    assert [(r.level, r.description, r.count) for r in wazuh.top_events(events, NOW, 5)] == [
        (lv, d, n) for (lv, d), n in expected]
