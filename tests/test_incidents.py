"""Alert correlation and routing (SPEC §4-5): what groups the operator sees, which
channels each group reached, the escalation countdown and "unrouted"."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from obsconsole.config import DEFAULT_CHANNELS, DEFAULT_LABEL_ALIASES, Channel
from obsconsole.logic.incidents import (
    CORRELATION_WINDOW,
    group_alerts,
    is_unrouted,
    routes,
    worst_severity,
)
from obsconsole.model import Alert, AlertGroup, Severity
from tests.tz import local_zone  # noqa: F401  (autouse: every test in UTC, Asia/Kolkata, America/New_York)
from tests.clock import EVENING, NOON

UTC = timezone.utc
#: noon UTC: inside slack-engineering's 08-20 UTC active hours
#: 21:00 UTC: outside them

_counter = iter(range(1, 10_000))


def alert(
    at: datetime | float = 0.0,
    *,
    severity: Severity | str = Severity.HIGH,
    category: str = "application",
    service: str = "aigym-api",
    name: str = "APIErrorRateHigh",
    fingerprint: str | None = None,
    state: str = "active",
) -> Alert:
    """An alert starting `at` (a datetime, or minutes after NOON)."""
    starts = at if isinstance(at, datetime) else NOON + timedelta(minutes=at)
    return Alert(
        fingerprint=fingerprint or f"fp{next(_counter):04d}",
        name=name,
        severity=Severity(severity),
        category=category,
        service=service,
        starts_at=starts,
        annotations={"title": f"{name} on {service}"},
        state=state,
    )


def group_of(*alerts: Alert) -> AlertGroup:
    (group,) = group_alerts(alerts)
    return group


def route_map(group: AlertGroup, now: datetime) -> dict[str, tuple[bool, float | None]]:
    return {r.channel: (r.active, r.next_step_in_s) for r in routes(group, DEFAULT_CHANNELS, now)}


# --------------------------------------------------------------------------- correlation


def test_two_alerts_on_the_same_service_and_category_within_five_minutes_are_one_group() -> None:
    a, b = alert(0), alert(4.99)
    groups = group_alerts([a, b])
    assert len(groups) == 1
    assert {x.fingerprint for x in groups[0].alerts} == {a.fingerprint, b.fingerprint}
    assert groups[0].first_at == a.starts_at
    assert groups[0].last_at == b.starts_at


def test_an_alert_five_minutes_after_the_first_starts_a_new_group() -> None:
    groups = group_alerts([alert(0), alert(5)])
    assert len(groups) == 2
    assert CORRELATION_WINDOW == timedelta(minutes=5)


def test_the_window_counts_from_the_groups_first_alert_not_its_latest() -> None:
    # 0, 3 and 6 minutes: 6 is 6 min after the group's first alert → a new group
    groups = group_alerts([alert(0), alert(3), alert(6)])
    assert sorted(len(g.alerts) for g in groups) == [1, 2]


def test_a_different_category_on_the_same_service_is_a_separate_group() -> None:
    groups = group_alerts([alert(0, category="application"), alert(1, category="performance")])
    assert {g.category for g in groups} == {"application", "performance"}
    assert len(groups) == 2


def test_a_different_service_in_the_same_category_is_a_separate_group() -> None:
    groups = group_alerts([alert(0, service="aigym-api"), alert(1, service="supabase-db")])
    assert len(groups) == 2


def test_input_order_does_not_change_the_grouping() -> None:
    alerts = [alert(6), alert(0), alert(3), alert(1, category="performance")]
    forward = group_alerts(alerts)
    backward = group_alerts(list(reversed(alerts)))
    assert forward == backward


def test_a_low_alert_joining_a_critical_one_never_lowers_the_group() -> None:
    group = group_of(alert(0, severity="critical"), alert(1, severity="low"))
    assert group.severity is Severity.CRITICAL


def test_a_critical_alert_joining_a_low_one_raises_the_group() -> None:
    group = group_of(alert(0, severity="low", name="Noise"), alert(2, severity="critical"))
    assert group.severity is Severity.CRITICAL
    # the group's title is its most severe alert's
    assert group.title == "APIErrorRateHigh on aigym-api"


def test_group_alerts_list_the_most_severe_first() -> None:
    low, crit = alert(0, severity="low"), alert(1, severity="critical")
    assert group_of(low, crit).alerts == (crit, low)


def test_service_aliases_group_authentication_with_aigym_auth() -> None:
    aliases = dict(DEFAULT_LABEL_ALIASES)
    assert aliases["authentication"] == "aigym-auth"
    a = alert(0, service="authentication", category="security")
    b = alert(2, service="aigym-auth", category="security")
    groups = group_alerts([a, b], aliases)
    assert len(groups) == 1
    assert groups[0].service == "aigym-auth"
    # without the alias map they stay apart
    assert len(group_alerts([a, b])) == 2


def test_groups_are_ordered_most_severe_first_then_newest() -> None:
    groups = group_alerts(
        [
            alert(0, severity="medium", service="a"),
            alert(1, severity="critical", service="b"),
            alert(2, severity="low", service="c"),
            alert(3, severity="critical", service="d"),
        ]
    )
    assert [g.service for g in groups] == ["d", "b", "a", "c"]
    assert [g.severity for g in groups] == [
        Severity.CRITICAL,
        Severity.CRITICAL,
        Severity.MEDIUM,
        Severity.LOW,
    ]


def test_groups_of_one_severity_are_listed_newest_activity_first() -> None:
    # "a" started first but its latest alert (4 min) is the newest: it leads; ties on the
    # latest alert keep a stable order by key (service, then category)
    groups = group_alerts(
        [
            alert(0, service="a"),
            alert(4, service="a"),
            alert(3, service="b"),
            alert(1, service="c"),
            alert(1, service="d", category="security"),
            alert(1, service="d", category="performance"),
        ]
    )
    assert [(g.service, g.category) for g in groups] == [
        ("a", "application"),
        ("b", "application"),
        ("c", "application"),
        ("d", "performance"),
        ("d", "security"),
    ]
    assert [g.last_at for g in groups] == [
        datetime(2025, 3, 4, 12, 4, tzinfo=UTC),
        datetime(2025, 3, 4, 12, 3, tzinfo=UTC),
        datetime(2025, 3, 4, 12, 1, tzinfo=UTC),
        datetime(2025, 3, 4, 12, 1, tzinfo=UTC),
        datetime(2025, 3, 4, 12, 1, tzinfo=UTC),
    ]


def test_no_alerts_no_groups() -> None:
    assert group_alerts([]) == ()
    assert worst_severity([]) is None


def test_worst_severity_of_several_groups() -> None:
    groups = group_alerts([alert(0, severity="medium", service="a"), alert(0, severity="high", service="b")])
    assert worst_severity(groups) is Severity.HIGH


def test_group_is_acknowledged_only_when_every_alert_is_silenced() -> None:
    assert group_of(alert(0, state="suppressed"), alert(1, state="suppressed")).status == "acknowledged"
    assert group_of(alert(0, state="suppressed"), alert(1)).status == "active"


def test_group_keys_are_unique_and_stable() -> None:
    alerts = [alert(0), alert(5), alert(1, category="performance")]
    keys = [g.key for g in group_alerts(alerts)]
    assert len(set(keys)) == 3
    assert keys == [g.key for g in group_alerts(alerts)]


# --------------------------------------------------------------------------- routing


def test_a_high_application_group_pages_oncall_and_posts_to_slack_in_working_hours() -> None:
    group = group_of(alert(NOON, severity="high", category="application"))
    reached = route_map(group, NOON + timedelta(minutes=10))
    assert set(reached) == {"pagerduty-oncall", "slack-engineering"}
    assert reached["pagerduty-oncall"][0] is True
    assert reached["slack-engineering"][0] is True
    assert not is_unrouted(group, DEFAULT_CHANNELS, NOON + timedelta(minutes=10))


def test_ten_minutes_in_pagerduty_escalates_again_in_five_minutes() -> None:
    # pagerduty steps 0, 15, 30 min: 10 min after the first alert the next is in 5 min
    group = group_of(alert(NOON))
    reached = route_map(group, NOON + timedelta(minutes=10))
    assert reached["pagerduty-oncall"][1] == pytest.approx(5 * 60)
    # slack-engineering steps 0, 30, 60: next in 20 min
    assert reached["slack-engineering"][1] == pytest.approx(20 * 60)


def test_at_the_moment_of_a_step_the_countdown_is_to_the_following_step() -> None:
    # exactly 15 min in: pagerduty's 15-min step has just happened, the next is at 30
    group = group_of(alert(NOON))
    reached = route_map(group, NOON + timedelta(minutes=15))
    assert reached["pagerduty-oncall"][1] == pytest.approx(15 * 60)


def test_the_countdown_is_measured_from_the_first_alert_of_the_group() -> None:
    group = group_of(alert(NOON), alert(NOON + timedelta(minutes=4)))
    reached = route_map(group, NOON + timedelta(minutes=20))
    assert reached["pagerduty-oncall"][1] == pytest.approx(10 * 60)


def test_after_the_last_escalation_step_there_is_no_countdown() -> None:
    group = group_of(alert(NOON))
    reached = route_map(group, NOON + timedelta(minutes=45))
    assert reached["pagerduty-oncall"][1] is None
    assert reached["slack-engineering"][1] == pytest.approx(15 * 60)


def test_outside_working_hours_slack_engineering_is_listed_but_inactive() -> None:
    group = group_of(alert(EVENING, severity="high", category="application"))
    now = EVENING + timedelta(minutes=10)
    reached = route_map(group, now)
    assert reached["slack-engineering"][0] is False
    assert reached["pagerduty-oncall"][0] is True
    assert not is_unrouted(group, DEFAULT_CHANNELS, now)


@pytest.mark.parametrize(
    ("hour", "active"),
    [(7, False), (8, True), (19, True), (20, False), (23, False), (0, False)],
)
def test_slack_engineering_is_active_from_8_to_20_utc(hour: int, active: bool) -> None:
    first = datetime(2025, 3, 4, hour, 0, tzinfo=UTC)
    group = group_of(alert(first, severity="medium", category="performance"))
    assert route_map(group, first)["slack-engineering"][0] is active
    assert is_unrouted(group, DEFAULT_CHANNELS, first) is (not active)


def test_active_hours_are_judged_in_utc_whatever_the_clock_zone() -> None:
    # 09:30 in UTC+2 is 07:30 UTC: before slack-engineering opens
    plus_two = timezone(timedelta(hours=2))
    now = datetime(2025, 3, 4, 9, 30, tzinfo=plus_two)
    group = group_of(alert(now, severity="medium", category="performance"))
    assert route_map(group, now)["slack-engineering"][0] is False
    # whereas 12:00 in UTC-5 is 17:00 UTC: open
    minus_five = timezone(timedelta(hours=-5))
    now = datetime(2025, 3, 4, 12, 0, tzinfo=minus_five)
    group = group_of(alert(now, severity="medium", category="performance"))
    assert route_map(group, now)["slack-engineering"][0] is True


def test_an_overnight_active_window_wraps_past_midnight() -> None:
    night = Channel(
        name="night-shift",
        kind="slack",
        severities=("medium",),
        categories=("performance",),
        active_hours_utc=(22, 6),
    )
    group = group_of(alert(NOON, severity="medium", category="performance"))
    for hour, active in [(23, True), (2, True), (6, False), (12, False), (22, True)]:
        now = datetime(2025, 3, 4, hour, 0, tzinfo=UTC)
        (route,) = routes(group, [night], now)
        assert route.active is active, hour


def test_a_critical_security_group_pages_and_posts_to_the_security_channel() -> None:
    group = group_of(alert(NOON, severity="critical", category="security", service="aigym-auth"))
    reached = route_map(group, NOON + timedelta(minutes=12))
    assert set(reached) == {"pagerduty-oncall", "slack-security"}
    # slack-security steps 0, 10, 20: next in 8 min
    assert reached["slack-security"][1] == pytest.approx(8 * 60)


def test_a_critical_infrastructure_group_emails_stakeholders_after_thirty_minutes() -> None:
    group = group_of(alert(NOON, severity="critical", category="infrastructure", service="db-1"))
    reached = route_map(group, NOON + timedelta(minutes=5))
    assert set(reached) == {"pagerduty-oncall", "email-stakeholders"}
    assert reached["email-stakeholders"][1] == pytest.approx(25 * 60)


def test_a_medium_business_alert_reaches_no_channel_and_is_unrouted() -> None:
    group = group_of(alert(NOON, severity="medium", category="business", name="DailyActiveUsersDropped"))
    assert routes(group, DEFAULT_CHANNELS, NOON) == ()
    assert is_unrouted(group, DEFAULT_CHANNELS, NOON)


def test_a_medium_security_alert_is_unrouted() -> None:
    group = group_of(alert(NOON, severity="medium", category="security", name="SuspiciousUserActivity"))
    assert is_unrouted(group, DEFAULT_CHANNELS, NOON)


def test_an_off_hours_medium_performance_alert_is_unrouted() -> None:
    group = group_of(alert(EVENING, severity="medium", category="performance", name="APIResponseTimeHigh"))
    assert is_unrouted(group, DEFAULT_CHANNELS, EVENING)
    # the same alert at noon reaches slack-engineering
    group = group_of(alert(NOON, severity="medium", category="performance"))
    assert not is_unrouted(group, DEFAULT_CHANNELS, NOON)


def test_a_group_raised_to_critical_by_a_later_alert_is_routed_as_critical() -> None:
    # the low alert alone would reach nobody; the group is critical, so it pages
    group = group_of(
        alert(NOON, severity="low", category="infrastructure", service="db-1"),
        alert(NOON + timedelta(minutes=1), severity="critical", category="infrastructure", service="db-1"),
    )
    assert "pagerduty-oncall" in route_map(group, NOON + timedelta(minutes=2))


def test_no_channels_configured_means_every_group_is_unrouted() -> None:
    group = group_of(alert(NOON, severity="critical"))
    assert is_unrouted(group, (), NOON)
