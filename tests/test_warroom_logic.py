"""The war room's facts about one incident (logic/warroom.py), written out.

Times are read off the wall clock of the example: a group whose first alert fired at
12:00:00, looked at 12:04:00, is 4 minutes into its escalation, so pagerduty-oncall
(steps at 0, 15, 30 min) escalates next in 11 min = 660 s and slack-security (0, 10,
20 min) in 6 min = 360 s.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from obsconsole.config.types import Channel
from obsconsole.logic.warroom import (
    Clocks,
    Escalation,
    burn_window,
    clocks,
    firing,
    group_escalation,
    is_security,
    linked_groups,
    slo_burn,
)
from obsconsole.model import (
    Alert,
    LogEvent,
    LogLevel,
    AlertGroup,
    BurnWindow,
    Incident,
    IncidentStatus,
    LinkedAlert,
    Severity,
    SloBurn,
    SLODefinition,
    SLOMeasurement,
)
from tests.clock import EVENING, NOON

# SPEC §5's channels, written out (as in config/defaults.py)
PAGERDUTY = Channel("pagerduty-oncall", "pagerduty", ("critical", "high"),
                    ("infrastructure", "application", "security"), (0, 15, 30))
SLACK_SECURITY = Channel("slack-security", "slack", ("critical", "high"), ("security",), (0, 10, 20))
SLACK_ENGINEERING = Channel("slack-engineering", "slack", ("critical", "high", "medium"),
                            ("application", "performance"), (0, 30, 60), active_hours_utc=(8, 20))
CHANNELS = (PAGERDUTY, SLACK_SECURITY, SLACK_ENGINEERING)


def at(hh: int, mm: int, ss: int = 0, day: datetime = NOON) -> datetime:
    return day.replace(hour=hh, minute=mm, second=ss)


def alert(fingerprint: str, *, category: str = "infrastructure", severity: Severity = Severity.HIGH,
          state: str = "active", service: str = "aigym-api") -> Alert:
    return Alert(fingerprint, "HighErrorRate", severity, category, service, at(12, 0), state=state)


def group(*alerts: Alert, first_at: datetime | None = None, category: str | None = None,
          severity: Severity | None = None) -> AlertGroup:
    first = first_at or at(12, 0)
    return AlertGroup(
        key=f"{alerts[0].service}/{category or alerts[0].category}",
        service=alerts[0].service,
        category=category or alerts[0].category,
        severity=severity or alerts[0].severity,
        alerts=alerts,
        first_at=first,
        last_at=first,
    )


def incident(*, status: IncidentStatus = IncidentStatus.INVESTIGATING, created_at: datetime | None = None,
             updated_at: datetime | None = None, acknowledged_at: datetime | None = None) -> Incident:
    created = created_at or at(12, 0)
    return Incident(
        id=7, title="aigym-api: API error rate high", description="", severity=Severity.HIGH, status=status,
        services=("aigym-api",), commander=None, created_at=created, created_by="oncall-bot@demo",
        updated_at=updated_at or created, acknowledged_at=acknowledged_at,
        resolved_at=None if status is not IncidentStatus.RESOLVED else updated_at, version=1,
    )


# ---------------------------------------------------------------------------- clocks


def test_an_unacknowledged_incident_counts_its_wait_and_its_next_page() -> None:
    got = clocks(incident(created_at=at(12, 1)), [group(alert("a1"))], CHANNELS, at(12, 4))
    assert got == Clocks(
        since_declared_s=180.0,
        acknowledged_after_s=None,
        unacknowledged_for_s=180.0,
        since_update_s=180.0,
        stale=False,
        next_escalation=Escalation("pagerduty-oncall", 660.0),
        escalation_stopped="",
    )


def test_an_acknowledged_incident_shows_how_long_the_ack_took_and_no_escalation() -> None:
    inc = incident(created_at=at(12, 0), updated_at=at(12, 10), acknowledged_at=at(12, 7, 30))
    got = clocks(inc, [group(alert("a1"))], CHANNELS, at(12, 20))
    assert got.since_declared_s == 1200.0
    assert got.acknowledged_after_s == 450.0
    assert got.unacknowledged_for_s is None
    assert got.since_update_s == 600.0
    assert got.next_escalation is None
    assert got.escalation_stopped == "acknowledged"


@pytest.mark.parametrize("now, stale", [
    (at(12, 29, 59), False),
    (at(12, 30, 0), True),
    (at(13, 15, 0), True),
])
def test_an_open_incident_untouched_for_30_minutes_is_stale(now: datetime, stale: bool) -> None:
    got = clocks(incident(created_at=at(11, 0), updated_at=at(12, 0)), [], CHANNELS, now)
    assert got.stale is stale


def test_a_resolved_incident_is_never_stale_and_never_escalates() -> None:
    inc = incident(status=IncidentStatus.RESOLVED, created_at=at(10, 0), updated_at=at(11, 0),
                   acknowledged_at=at(10, 5))
    got = clocks(inc, [group(alert("a1"))], CHANNELS, at(15, 0))
    assert got.since_update_s == 14400.0
    assert got.stale is False
    assert got.next_escalation is None
    assert got.escalation_stopped == "resolved"


def test_a_security_group_escalates_first_on_slack_security() -> None:
    sec = group(alert("s1", category="security"))
    got = clocks(incident(), [sec], CHANNELS, at(12, 4))
    assert got.next_escalation == Escalation("slack-security", 360.0)
    assert got.escalation_stopped == ""


def test_the_next_escalation_is_the_soonest_among_the_linked_groups() -> None:
    early = group(alert("b1", service="supabase-db"), first_at=at(11, 50))  # 14 min in: 15 min step in 60 s
    late = group(alert("a1"), first_at=at(12, 0))  # 4 min in: 660 s
    got = clocks(incident(), [late, early], CHANNELS, at(12, 4))
    assert got.next_escalation == Escalation("pagerduty-oncall", 60.0)


def test_a_step_reached_exactly_counts_as_taken() -> None:
    got = clocks(incident(), [group(alert("a1"))], CHANNELS, at(12, 15))
    assert got.next_escalation == Escalation("pagerduty-oncall", 900.0)


def test_an_acked_group_no_longer_drives_the_escalation() -> None:
    acked = group(alert("b1", service="supabase-db", state="suppressed"), first_at=at(11, 50))
    active = group(alert("a1"))
    got = clocks(incident(), [acked, active], CHANNELS, at(12, 4))
    assert got.next_escalation == Escalation("pagerduty-oncall", 660.0)


def test_acking_every_linked_group_stops_the_escalation() -> None:
    groups = [group(alert("a1", state="suppressed"), alert("a2", state="suppressed")),
              group(alert("b1", service="supabase-db", state="suppressed"))]
    got = clocks(incident(), groups, CHANNELS, at(12, 4))
    assert got.next_escalation is None
    assert got.escalation_stopped == "acked alerts"


def test_a_group_with_one_alert_still_firing_is_not_acked() -> None:
    mixed = group(alert("a1", state="suppressed"), alert("a2"))
    got = clocks(incident(), [mixed], CHANNELS, at(12, 4))
    assert got.next_escalation == Escalation("pagerduty-oncall", 660.0)


def test_a_channel_past_its_last_step_leaves_the_next_one_of_another_channel() -> None:
    app = group(alert("a1", category="application"))  # pagerduty-oncall and, in hours, slack-engineering
    assert clocks(incident(), [app], CHANNELS, at(12, 4)).next_escalation == Escalation("pagerduty-oncall", 660.0)
    # 31 min in: pagerduty-oncall's last step (30) is behind, slack-engineering's 60 is 29 min away
    assert clocks(incident(), [app], CHANNELS, at(12, 31)).next_escalation == Escalation("slack-engineering", 1740.0)


def test_past_the_last_step_the_escalation_says_so() -> None:
    got = clocks(incident(), [group(alert("a1"))], CHANNELS, at(12, 30))
    assert got.next_escalation is None
    assert got.escalation_stopped == "last step reached"


def test_a_group_no_channel_takes_has_no_escalation() -> None:
    business = group(alert("c1", category="business", severity=Severity.MEDIUM, service="billing"))
    got = clocks(incident(), [business], CHANNELS, at(12, 4))
    assert got.next_escalation is None
    assert got.escalation_stopped == "no channel"


def test_an_incident_without_linked_groups_has_no_channel() -> None:
    got = clocks(incident(), [], CHANNELS, at(12, 4))
    assert (got.next_escalation, got.escalation_stopped) == (None, "no channel")


def test_a_channel_outside_its_hours_is_not_counted() -> None:
    medium = alert("m1", category="application", severity=Severity.MEDIUM)  # application/medium: only slack-engineering (08-20 UTC)
    in_hours = clocks(incident(created_at=at(12, 0)), [group(medium, first_at=at(12, 0))], CHANNELS, at(12, 4))
    evening = clocks(incident(created_at=at(21, 0, day=EVENING)),
                     [group(medium, first_at=at(21, 0, day=EVENING))], CHANNELS, at(21, 4, day=EVENING))
    assert in_hours.next_escalation == Escalation("slack-engineering", 1560.0)
    assert evening.next_escalation is None
    assert evening.escalation_stopped == "no channel"


def test_clocks_before_the_declaration_read_zero_not_negative() -> None:
    got = clocks(incident(created_at=at(12, 5)), [], CHANNELS, at(12, 4))
    assert (got.since_declared_s, got.unacknowledged_for_s, got.since_update_s) == (0.0, 0.0, 0.0)


# ---------------------------------------------------------------------- the alerts pane


def test_a_groups_own_clock_is_its_soonest_next_step() -> None:
    assert group_escalation(group(alert("a1")), CHANNELS, at(12, 4)) == Escalation("pagerduty-oncall", 660.0)
    assert group_escalation(group(alert("s1", category="security")), CHANNELS, at(12, 4)) == \
        Escalation("slack-security", 360.0)


def test_a_groups_clock_stops_when_acked_or_its_incident_is_acknowledged_or_past_the_last_step() -> None:
    assert group_escalation(group(alert("a1", state="suppressed")), CHANNELS, at(12, 4)) is None
    assert group_escalation(group(alert("a1")), CHANNELS, at(12, 4), incident_acked=True) is None
    assert group_escalation(group(alert("a1")), CHANNELS, at(12, 30)) is None


def test_a_groups_clock_ignores_a_channel_outside_its_hours() -> None:
    medium = group(alert("m1", category="application", severity=Severity.MEDIUM), first_at=at(21, 0, day=EVENING))
    assert group_escalation(medium, CHANNELS, at(21, 4, day=EVENING)) is None


def test_linked_groups_are_those_holding_a_linked_alert_in_the_panes_order() -> None:
    api = group(alert("a1"), alert("a2"))
    db = group(alert("b1", service="supabase-db"))
    auth = group(alert("c1", service="aigym-auth"))
    assert linked_groups([api, db, auth], ["c1", "a2", "zz"]) == (api, auth)
    assert linked_groups([api, db, auth], []) == ()


def test_each_linked_alert_is_firing_acked_or_resolved() -> None:
    groups = [group(alert("a1"), alert("a2", state="suppressed")), group(alert("b1", service="supabase-db"))]
    linked = [LinkedAlert("a1"), LinkedAlert("a2"), LinkedAlert("gone")]
    assert firing(linked, groups) == {"a1": "firing", "a2": "acked", "gone": "resolved"}


def test_an_incident_is_a_security_one_by_a_linked_alert_or_a_linked_group() -> None:
    assert is_security([LinkedAlert("s1", category="security")], []) is True
    assert is_security([LinkedAlert("a1", category="application")],
                       [group(alert("s1", category="security"))]) is True
    assert is_security([LinkedAlert("a1", category="application")], [group(alert("a1"))]) is False


# ---------------------------------------------------------------------------- SLO burn


SLO = SLODefinition(
    id="api-availability", service="aigym-api", description="99 % of requests succeed", target=0.99,
    window_s=604800.0, fast=BurnWindow(14.4, 3600.0, 300.0), slow=BurnWindow(6.0, 21600.0, 1800.0),
    good_query="good", total_query="total",
)


def test_the_burn_window_measures_both_conditions_over_the_incident() -> None:
    got = burn_window(SLO, 3600.0)
    assert got.fast == BurnWindow(1.0, 3600.0, 3600.0)
    assert got.slow == BurnWindow(1.0, 3600.0, 3600.0)
    assert (got.id, got.target, got.window_s, got.good_query, got.total_query) == \
        ("api-availability", 0.99, 604800.0, "good", "total")


def test_the_budget_burned_during_the_incident_is_its_errors_share_of_the_window() -> None:
    # 0.6 % errors over the week: 0.4 of the budget left; 5 % errors for the last hour:
    # 0.05 × 3600 / 604800 / 0.01 = 0.0297619… of the whole budget spent since
    measured = SLOMeasurement("api-availability", 0.006, {3600.0: 0.05})
    got = slo_burn(SLO, measured, 3600.0)
    assert (got.slo_id, got.service) == ("api-availability", "aigym-api")
    assert got.remaining_now == pytest.approx(0.4)
    assert got.remaining_at_start == pytest.approx(0.4297619047619048)
    assert got.burned == pytest.approx(0.0297619047619048)


def test_an_incident_longer_than_the_window_burns_at_most_its_whole_error_ratio() -> None:
    measured = SLOMeasurement("api-availability", 0.006, {1209600.0: 0.02})
    got = slo_burn(SLO, measured, 1209600.0)  # two weeks: the share of the window is capped at 1
    assert got.burned == pytest.approx(2.0)


def test_the_burn_is_unknown_when_the_ratio_since_the_incident_is() -> None:
    assert slo_burn(SLO, SLOMeasurement("api-availability", 0.006, {}), 3600.0) == \
        SloBurn("api-availability", "aigym-api", None, pytest.approx(0.4))
    assert slo_burn(SLO, SLOMeasurement("api-availability", 0.006, {3600.0: None}), 3600.0).burned is None
    unknown_window = slo_burn(SLO, SLOMeasurement("api-availability", None, {3600.0: 0.05}), 3600.0)
    assert unknown_window == SloBurn("api-availability", "aigym-api", None, None)


def test_an_slo_without_a_budget_or_a_window_has_no_burn_rather_than_a_crash() -> None:
    # a 100 % target allows no error at all: its budget cannot be shared out
    perfect = dataclasses.replace(SLO, target=1.0)
    assert slo_burn(perfect, SLOMeasurement("api-availability", 0.0, {3600.0: 0.05}), 3600.0) == \
        SloBurn("api-availability", "aigym-api", None, 1.0)
    no_window = dataclasses.replace(SLO, window_s=0.0)
    assert slo_burn(no_window, SLOMeasurement("api-availability", 0.006, {3600.0: 0.05}), 3600.0) == \
        SloBurn("api-availability", "aigym-api", None, pytest.approx(0.4))


def test_a_one_second_window_is_a_window_like_any_other() -> None:
    # config accepts `window: 1s`; an hour-long incident covers all of it: 0.05 / 0.01 = 5 budgets
    short = dataclasses.replace(SLO, window_s=1.0)
    got = slo_burn(short, SLOMeasurement("api-availability", 0.006, {3600.0: 0.05}), 3600.0)
    assert got.burned == pytest.approx(5.0)
    assert got.remaining_at_start == pytest.approx(5.4)


# ---------------------------------------------------------------------------- SPEC §6 suggestions


def _error(service: str, trace: str) -> LogEvent:
    return LogEvent(f"e-{trace}", at(12, 1), LogLevel.ERROR, service, "boom", trace_id=trace)


from obsconsole.logic import warroom  # noqa: E402


def test_an_application_incident_suggests_the_recent_traces_of_its_services_errors() -> None:
    linked = [LinkedAlert("a", "APIErrorRateHigh", "aigym-api", "high", category="application")]
    errors = [_error("aigym-auth", "ffff0000ffff0000"), _error("aigym-api", "1111222233334444"),
              _error("aigym-api", "1111222233334444"), _error("aigym-api", "5555666677778888"),
              _error("aigym-api", ""), _error("aigym-api", "9999aaaabbbbcccc"), _error("aigym-api", "ddddeeeeffff0000")]
    assert warroom.suggestions(incident(), linked, (), errors, CHANNELS, at(12, 5)) == (
        "recent traces of its errors: 11112222, 55556666, 9999aaaa",)


def test_a_security_incident_suggests_escalating_at_once_to_the_security_channel() -> None:
    linked = [LinkedAlert("s", "UnauthorizedAccessAttempts", "aigym-auth", "high", category="security")]
    assert warroom.suggestions(incident(), linked, (), [_error("aigym-api", "1111222233334444")], CHANNELS,
                               at(12, 5)) == ("security incident: escalate now to slack-security",)


SECURITY_LINKED = [LinkedAlert("s", "UnauthorizedAccessAttempts", "aigym-auth", "high", category="security")]


def test_without_a_security_only_channel_a_security_incident_escalates_to_those_taking_security() -> None:
    assert warroom.suggestions(incident(), SECURITY_LINKED, (), [], (SLACK_ENGINEERING, PAGERDUTY), at(12, 5)) == (
        "security incident: escalate now to pagerduty-oncall",)


def test_every_security_only_channel_is_named() -> None:
    soc = Channel("soc-pager", "pagerduty", ("critical",), ("security",), (0, 5))
    assert warroom.suggestions(incident(), SECURITY_LINKED, (), [], CHANNELS + (soc,), at(12, 5)) == (
        "security incident: escalate now to slack-security, soc-pager",)


def test_without_any_channel_for_security_the_suggestion_names_the_security_team() -> None:
    assert warroom.suggestions(incident(), SECURITY_LINKED, (), [], (SLACK_ENGINEERING,), at(12, 5)) == (
        "security incident: escalate now to the security team",)


def test_a_resolved_incident_or_one_without_traces_suggests_nothing() -> None:
    linked = [LinkedAlert("a", "APIErrorRateHigh", "aigym-api", "high", category="application")]
    errors = [_error("aigym-api", "1111222233334444")]
    assert warroom.suggestions(incident(status=IncidentStatus.RESOLVED, updated_at=at(12, 4)), linked, (), errors,
                               CHANNELS, at(12, 5)) == ()
    assert warroom.suggestions(incident(), linked, (), [_error("aigym-auth", "1111222233334444")], CHANNELS,
                               at(12, 5)) == ()


def test_a_security_alert_elsewhere_does_not_make_an_application_incident_a_security_one() -> None:
    # a brute-force group firing on another service at the same time: not this incident's
    linked = [LinkedAlert("a1", "APIErrorRateHigh", "aigym-api", "high", category="application")]
    groups = [group(alert("a1")), group(alert("s1", service="aigym-auth", category="security"))]
    errors = [_error("aigym-api", "1111222233334444")]
    assert warroom.suggestions(incident(), linked, groups, errors, CHANNELS, at(12, 5)) == (
        "recent traces of its errors: 11112222",)
    # once that group's alert is linked too, it is one
    linked.append(LinkedAlert("s1", "UnauthorizedAccessAttempts", "aigym-auth", "high"))
    assert warroom.suggestions(incident(), linked, groups, errors, CHANNELS, at(12, 5)) == (
        "security incident: escalate now to slack-security", "recent traces of its errors: 11112222")


def test_a_declaration_records_the_same_suggestions_before_the_incident_exists() -> None:
    linked = [LinkedAlert("s", "UnauthorizedAccessAttempts", "aigym-auth", "high", category="security")]
    assert warroom.suggested(("aigym-auth",), linked, (), [_error("aigym-auth", "abcdef0123456789")], CHANNELS) == (
        "security incident: escalate now to slack-security",)
    app = [LinkedAlert("a", "APIErrorRateHigh", "aigym-api", "high", category="application")]
    assert warroom.suggested(("aigym-api",), app, (), [_error("aigym-api", "abcdef0123456789")], CHANNELS) == (
        "recent traces of its errors: abcdef01",)
