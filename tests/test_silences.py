"""Acks are Alertmanager silences (obsconsole/logic/silences.py): which matchers ack a
group, which alerts they silence (Alertmanager's semantics, tests/matcher_cases.py), and
how an ack's time left reads.

Expected matchers are written out literally: they are what Alertmanager will receive."""

from __future__ import annotations

from datetime import timedelta

import pytest

from obsconsole.logic import silences
from obsconsole.model import Alert, AlertGroup, Matcher, Severity, Silence
from tests.matcher_cases import CASES, Case
from tests.tz import local_zone  # noqa: F401  (autouse: every test in UTC, Asia/Kolkata, America/New_York)
from tests.clock import NOON

NOW = NOON


def alert(name: str, service: str | None, category: str | None = "application", **labels: str) -> Alert:
    """An alert as Alertmanager reports it: what it shows in labels."""
    all_labels = {"alertname": name, **labels}
    if service is not None:
        all_labels["service"] = service
    if category is not None:
        all_labels["category"] = category
    return Alert(
        fingerprint=f"{name}/{service}/{category}",
        name=name,
        severity=Severity.HIGH,
        category=category or "",
        service=service or "",
        starts_at=NOW,
        labels=all_labels,
    )


def group(*alerts: Alert) -> AlertGroup:
    return AlertGroup("k", alerts[0].service, alerts[0].category, Severity.HIGH, alerts, NOW, NOW)


def names(alerts: tuple[Alert, ...]) -> list[str]:
    return [a.fingerprint for a in alerts]


# --------------------------------------------------------------------------- semantics


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_matching_follows_alertmanager(case: Case) -> None:
    assert silences.matches(case.matchers, case.labels) is case.silenced


def test_no_matcher_selects_every_alert() -> None:
    # Alertmanager refuses such a silence; as a predicate it is vacuously true
    assert silences.matches((), {"service": "api"}) is True


def test_a_pattern_that_only_the_search_would_find_inside_a_value_does_not_match() -> None:
    # "pi" occurs inside "api": a search would find it, an anchored match must not
    assert silences.matches((Matcher("service", "pi", is_regex=True),), {"service": "api"}) is False
    assert silences.matches((Matcher("service", "pi", is_regex=True, is_equal=False),), {"service": "api"}) is True


# --------------------------------------------------------------------------- ack matchers


def test_a_one_alert_group_is_acked_by_exact_name_service_and_category() -> None:
    g = group(alert("APIErrorRateHigh", "aigym-api"))
    assert silences.matchers_for_group(g, "service") == (
        Matcher("alertname", "APIErrorRateHigh"),
        Matcher("service", "aigym-api"),
        Matcher("category", "application"),
    )


def test_a_group_over_several_services_escapes_their_names_in_one_regex() -> None:
    g = group(alert("HighCPUUsage", "web"), alert("HighCPUUsage", "api.v2"))
    assert silences.matchers_for_group(g, "service") == (
        Matcher("alertname", "HighCPUUsage"),
        Matcher("service", r"api\.v2|web", is_regex=True),
        Matcher("category", "application"),
    )


def test_acking_services_api_v2_and_web_does_not_silence_apixv2() -> None:
    g = group(alert("HighCPUUsage", "api.v2"), alert("HighCPUUsage", "web"))
    bystander = alert("HighCPUUsage", "apixv2")
    every = (*g.alerts, bystander)
    assert names(silences.selected(silences.matchers_for_group(g, "service"), every)) == [
        "HighCPUUsage/api.v2/application",
        "HighCPUUsage/web/application",
    ]


def test_acking_services_api_and_web_does_not_silence_api_gateway() -> None:
    g = group(alert("APIErrorRateHigh", "api"), alert("APIErrorRateHigh", "web"))
    every = (alert("APIErrorRateHigh", "api-gateway"), *g.alerts, alert("APIErrorRateHigh", "my-web"))
    assert names(silences.selected(silences.matchers_for_group(g, "service"), every)) == [
        "APIErrorRateHigh/api/application",
        "APIErrorRateHigh/web/application",
    ]


def test_several_alert_names_are_one_sorted_escaped_regex_and_services_are_deduplicated() -> None:
    g = group(
        alert("MemoryUsageHigh", "db-1", "infrastructure"),
        alert("HighCPUUsage", "db-1", "infrastructure"),
        alert("HighCPUUsage", "db-1", "infrastructure"),
        alert("Disk.Full", "db-1", "infrastructure"),
    )
    assert silences.matchers_for_group(g, "service") == (
        Matcher("alertname", r"Disk\.Full|HighCPUUsage|MemoryUsageHigh", is_regex=True),
        Matcher("service", "db-1"),
        Matcher("category", "infrastructure"),
    )


def test_the_configured_service_label_is_the_one_matched() -> None:
    a = Alert("fp", "APIErrorRateHigh", Severity.HIGH, "application", "aigym-api", NOW,
              labels={"alertname": "APIErrorRateHigh", "job": "aigym-api", "service": "other"})
    assert silences.matchers_for_group(group(a), "job") == (
        Matcher("alertname", "APIErrorRateHigh"),
        Matcher("job", "aigym-api"),
    )


def test_alerts_without_service_or_category_labels_are_acked_by_name_only() -> None:
    g = group(alert("Watchdog", None, None))
    assert silences.matchers_for_group(g, "service") == (Matcher("alertname", "Watchdog"),)


def test_an_alert_without_an_alertname_label_is_acked_by_its_name() -> None:
    a = Alert("fp", "DemoAlert", Severity.HIGH, "application", "aigym-api", NOW, labels={"service": "aigym-api"})
    assert silences.matchers_for_group(group(a), "service") == (
        Matcher("alertname", "DemoAlert"),
        Matcher("service", "aigym-api"),
    )


def test_the_alertname_label_wins_over_a_display_name() -> None:
    # the silence must name the label Alertmanager holds, not what the console shows
    a = Alert("fp", "API error rate high", Severity.HIGH, "application", "aigym-api", NOW,
              labels={"alertname": "APIErrorRateHigh", "service": "aigym-api"})
    assert silences.matchers_for_group(group(a), "service") == (
        Matcher("alertname", "APIErrorRateHigh"),
        Matcher("service", "aigym-api"),
    )


def test_the_ack_matchers_select_the_groups_alerts_and_nothing_else() -> None:
    g = group(alert("APIErrorRateHigh", "aigym-api"), alert("APIResponseTimeHigh", "aigym-api"))
    others = (
        alert("APIErrorRateHigh", "aigym-auth"),
        alert("APIErrorRateHigh", "aigym-api", "performance"),
        alert("HighCPUUsage", "aigym-api"),
    )
    assert names(silences.selected(silences.matchers_for_group(g, "service"), (*others, *g.alerts))) == [
        "APIErrorRateHigh/aigym-api/application",
        "APIResponseTimeHigh/aigym-api/application",
    ]


# --------------------------------------------------------------------------- time left


def silence(ends_in_s: float) -> Silence:
    return Silence("s1", (), NOW - timedelta(minutes=1), NOW + timedelta(seconds=ends_in_s),
                   "me@host", "ACK by me@host", "active")


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0.0, "0:00"),
        (0.999, "0:00"),
        (1.0, "0:01"),
        (59.9, "0:59"),
        (60.0, "1:00"),
        (61.0, "1:01"),
        (899.0, "14:59"),
        (3599.0, "59:59"),
        (3599.99, "59:59"),
        (3600.0, "1:00:00"),
        (3661.0, "1:01:01"),
        (5400.0, "1:30:00"),
        (36000.0, "10:00:00"),
    ],
)
def test_the_countdown_reads_minutes_and_seconds_then_hours(seconds: float, shown: str) -> None:
    assert silences.countdown(seconds) == shown


def test_an_expired_ack_reads_zero_never_a_second_left() -> None:
    expired = silence(-30)
    assert silences.remaining_s(expired, NOW) == 0.0
    assert silences.countdown(silences.remaining_s(expired, NOW)) == "0:00"


def test_time_left_is_the_time_until_the_silence_ends() -> None:
    assert silences.remaining_s(silence(900), NOW) == 900.0
    assert silences.remaining_s(silence(900), NOW + timedelta(seconds=0.5)) == 899.5
    assert silences.countdown(silences.remaining_s(silence(5400), NOW)) == "1:30:00"
    assert silences.countdown(silences.remaining_s(silence(3600), NOW)) == "1:00:00"
