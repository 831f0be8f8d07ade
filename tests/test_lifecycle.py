"""An incident's lifecycle rules (logic/lifecycle.py), written out."""

from __future__ import annotations

from datetime import datetime

import pytest

from obsconsole.logic.lifecycle import (
    DeclarePlan,
    acknowledges,
    clean_title,
    linked_alerts,
    parse_severity,
    parse_status,
    plan_declare,
    plan_update,
    status_change_problem,
)
from obsconsole.model import Alert, AlertGroup, Incident, LinkedAlert
from obsconsole.model import IncidentStatus as S
from obsconsole.model import Severity
from tests.clock import NOON, UTC


@pytest.mark.parametrize("old, new", [
    (S.INVESTIGATING, S.IDENTIFIED), (S.INVESTIGATING, S.MONITORING), (S.INVESTIGATING, S.RESOLVED),
    (S.IDENTIFIED, S.MONITORING), (S.MONITORING, S.RESOLVED),
    (S.MONITORING, S.INVESTIGATING), (S.IDENTIFIED, S.INVESTIGATING),  # a fix that did not hold
])
def test_moving_on_or_back_among_open_states_is_allowed(old: S, new: S) -> None:
    assert status_change_problem(old, new) is None


@pytest.mark.parametrize("old, new, reason, problem", [
    (S.RESOLVED, S.INVESTIGATING, "", "reopening a resolved incident needs a reason (resolved → investigating)"),
    (S.RESOLVED, S.MONITORING, "   ", "reopening a resolved incident needs a reason (resolved → monitoring)"),
    (S.IDENTIFIED, S.IDENTIFIED, "", "the incident is already identified"),
    (S.RESOLVED, S.RESOLVED, "why", "the incident is already resolved"),
])
def test_refused_changes_say_why(old: S, new: S, reason: str, problem: str) -> None:
    assert status_change_problem(old, new, reason) == problem


def test_reopening_with_a_reason_is_allowed() -> None:
    assert status_change_problem(S.RESOLVED, S.INVESTIGATING, "errors are back") is None


def test_reopening_without_saying_why_is_refused() -> None:
    # no reason given at all (not even an empty one): the default is no reason
    assert status_change_problem(S.RESOLVED, S.IDENTIFIED) == \
        "reopening a resolved incident needs a reason (resolved → identified)"


def test_titles_are_one_line_and_not_empty() -> None:
    assert clean_title("  API\n5xx \t high ") == "API 5xx high"
    with pytest.raises(ValueError, match="^an incident needs a title$"):
        clean_title(" \n ")
    with pytest.raises(ValueError, match="a title is at most 200 characters \\(got 201\\)"):
        clean_title("x" * 201)


def test_a_title_of_exactly_the_limit_is_kept_whole() -> None:
    assert clean_title("x" * 200) == "x" * 200
    assert clean_title("  " + "ab " * 10, limit=29) == "ab ab ab ab ab ab ab ab ab ab"


def test_statuses_and_severities_are_read_case_blind_and_the_choices_named() -> None:
    assert parse_status(" Monitoring ") is S.MONITORING
    assert parse_severity("HIGH") is Severity.HIGH
    with pytest.raises(ValueError, match="unknown status 'fixed' \\(one of: investigating, identified, monitoring, resolved\\)"):
        parse_status("fixed")
    with pytest.raises(ValueError, match="unknown severity 'sev1' \\(one of: critical, high, medium, low, info\\)"):
        parse_severity("sev1")


# ------------------------------------------------------------------ declaring from a group


def _alert(fingerprint: str, name: str = "HighErrorRate", *, severity: Severity = Severity.HIGH,
           title: str = "", description: str = "", category: str = "application",
           minute: int = 0) -> Alert:
    annotations = {k: v for k, v in (("title", title), ("description", description)) if v}
    return Alert(fingerprint, name, severity, category, "aigym-api", NOON.replace(minute=minute),
                 annotations=annotations)


def _group(*alerts: Alert) -> AlertGroup:
    top = max((a.severity for a in alerts), key=lambda s: s.rank)
    return AlertGroup(key="aigym-api/application", service="aigym-api", category="application",
                      severity=top, alerts=alerts, first_at=NOON, last_at=NOON)


def test_declaring_from_a_group_prefills_title_severity_service_and_description() -> None:
    plan = plan_declare(_group(
        _alert("fp-b", "APIErrorRateHigh", severity=Severity.CRITICAL, title="API  error\nrate high",
               description="5xx above 5 % for 5 min", minute=2),
        _alert("fp-a", "APILatencyHigh", description="p99 above 2 s", minute=1),
        _alert("fp-c", "APIErrorRateHigh", description="5xx above 5 % for 5 min", minute=3),
        _alert("fp-d", "PodRestarting"),
    ))
    assert plan == DeclarePlan(
        title="aigym-api: API error rate high",
        severity=Severity.CRITICAL,
        services=("aigym-api",),
        # each description once, in the group's order; an alert without one gives its title
        description="5xx above 5 % for 5 min\np99 above 2 s\nPodRestarting",
        alerts=(
            LinkedAlert("fp-a", "APILatencyHigh", "aigym-api", "high", datetime(2025, 3, 4, 12, 1, tzinfo=UTC),
                        category="application"),
            LinkedAlert("fp-b", "APIErrorRateHigh", "aigym-api", "critical", datetime(2025, 3, 4, 12, 2, tzinfo=UTC),
                        category="application"),
            LinkedAlert("fp-c", "APIErrorRateHigh", "aigym-api", "high", datetime(2025, 3, 4, 12, 3, tzinfo=UTC),
                        category="application"),
            LinkedAlert("fp-d", "PodRestarting", "aigym-api", "high", datetime(2025, 3, 4, 12, 0, tzinfo=UTC),
                        category="application"),
        ),
    )
    assert plan.fingerprints == ("fp-a", "fp-b", "fp-c", "fp-d")


def test_a_declared_title_is_cut_at_200_characters() -> None:
    plan = plan_declare(_group(_alert("fp-a", title="y" * 300)))
    assert plan.title == "aigym-api: " + "y" * 189
    assert len(plan.title) == 200


def test_linked_alerts_keep_each_fingerprint_once_sorted() -> None:
    got = linked_alerts([_alert("fp-z", "Old", minute=1), _alert("fp-a", "First", category="security"),
                         _alert("fp-z", "New", severity=Severity.LOW, minute=5)])
    assert got == (
        LinkedAlert("fp-a", "First", "aigym-api", "high", datetime(2025, 3, 4, 12, 0, tzinfo=UTC),
                    category="security"),
        LinkedAlert("fp-z", "New", "aigym-api", "low", datetime(2025, 3, 4, 12, 5, tzinfo=UTC),
                    category="application"),
    )
    assert linked_alerts([]) == ()


# ------------------------------------------------------------------ what an update writes


def _incident(status: S = S.INVESTIGATING, severity: Severity = Severity.HIGH, commander: str | None = None,
              acknowledged_at: datetime | None = None) -> Incident:
    return Incident(
        id=7, title="aigym-api: API error rate high", description="", severity=severity, status=status,
        services=("aigym-api",), commander=commander, created_at=NOON, created_by="oncall-bot@demo",
        updated_at=NOON, acknowledged_at=acknowledged_at, resolved_at=NOON if status is S.RESOLVED else None,
        version=3,
    )


def test_a_status_change_writes_one_status_event_with_its_reason() -> None:
    assert plan_update(_incident(), status=S.IDENTIFIED) == [
        ("status", {"from": "investigating", "to": "identified", "reason": ""})]
    assert plan_update(_incident(S.RESOLVED), status=S.MONITORING, reason="errors are back") == [
        ("status", {"from": "resolved", "to": "monitoring", "reason": "errors are back"})]


@pytest.mark.parametrize("current, change, problem", [
    (_incident(S.RESOLVED), {"status": S.INVESTIGATING},
     "reopening a resolved incident needs a reason (resolved → investigating)"),
    (_incident(S.RESOLVED), {"status": S.INVESTIGATING, "reason": "  "},
     "reopening a resolved incident needs a reason (resolved → investigating)"),
    (_incident(S.IDENTIFIED), {"status": S.IDENTIFIED, "severity": Severity.LOW}, "the incident is already identified"),
    (_incident(), {}, "nothing to change"),
    (_incident(severity=Severity.HIGH), {"severity": Severity.HIGH}, "nothing to change"),
    (_incident(commander="alice"), {"commander": "alice"}, "nothing to change"),
    (_incident(), {"commander": "   "}, "a commander needs a name"),
    (_incident(), {"commander": "", "severity": Severity.LOW}, "a commander needs a name"),
])
def test_a_refused_update_says_why_and_writes_nothing(current: Incident, change: dict, problem: str) -> None:
    with pytest.raises(ValueError) as err:
        plan_update(current, **change)
    assert str(err.value) == problem


def test_a_severity_change_writes_a_severity_event() -> None:
    assert plan_update(_incident(severity=Severity.HIGH), severity=Severity.CRITICAL) == [
        ("severity", {"from": "high", "to": "critical"})]


def test_naming_a_commander_writes_who_took_over_from_whom() -> None:
    assert plan_update(_incident(), commander="alice") == [("commander", {"from": None, "to": "alice"})]
    assert plan_update(_incident(commander="alice"), commander="bob") == [
        ("commander", {"from": "alice", "to": "bob"})]


def test_an_unchanged_part_writes_no_event_beside_the_changed_one() -> None:
    assert plan_update(_incident(severity=Severity.HIGH, commander="alice"), severity=Severity.HIGH,
                       commander="bob") == [("commander", {"from": "alice", "to": "bob"})]
    assert plan_update(_incident(severity=Severity.HIGH, commander="alice"), severity=Severity.LOW,
                       commander="alice") == [("severity", {"from": "high", "to": "low"})]


def test_a_full_update_writes_status_then_severity_then_commander() -> None:
    assert plan_update(_incident(), status=S.MONITORING, reason="rolled back", severity=Severity.MEDIUM,
                       commander="alice") == [
        ("status", {"from": "investigating", "to": "monitoring", "reason": "rolled back"}),
        ("severity", {"from": "high", "to": "medium"}),
        ("commander", {"from": None, "to": "alice"}),
    ]


@pytest.mark.parametrize("acknowledged_at, status, commander, acks", [
    (None, None, "alice", True),  # someone takes it
    (None, S.IDENTIFIED, None, True),  # it moves past investigating
    (None, S.RESOLVED, None, True),
    (None, S.INVESTIGATING, None, False),  # still investigating, nobody named
    (None, None, None, False),  # a severity change alone
    (NOON, None, "alice", False),  # already acknowledged: only the first time counts
    (NOON, S.MONITORING, None, False),
])
def test_an_update_acknowledges_the_incident_the_first_time_someone_takes_it_or_it_moves_on(
        acknowledged_at: datetime | None, status: S | None, commander: str | None, acks: bool) -> None:
    assert acknowledges(_incident(acknowledged_at=acknowledged_at), status, commander) is acks
