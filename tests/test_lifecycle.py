"""An incident's lifecycle rules (logic/lifecycle.py), written out."""

from __future__ import annotations

import pytest

from obsconsole.logic.lifecycle import clean_title, parse_severity, parse_status, status_change_problem
from obsconsole.model import IncidentStatus as S
from obsconsole.model import Severity


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


def test_titles_are_one_line_and_not_empty() -> None:
    assert clean_title("  API\n5xx \t high ") == "API 5xx high"
    with pytest.raises(ValueError, match="an incident needs a title"):
        clean_title(" \n ")
    with pytest.raises(ValueError, match="a title is at most 200 characters \\(got 201\\)"):
        clean_title("x" * 201)


def test_statuses_and_severities_are_read_case_blind_and_the_choices_named() -> None:
    assert parse_status(" Monitoring ") is S.MONITORING
    assert parse_severity("HIGH") is Severity.HIGH
    with pytest.raises(ValueError, match="unknown status 'fixed' \\(one of: investigating, identified, monitoring, resolved\\)"):
        parse_status("fixed")
    with pytest.raises(ValueError, match="unknown severity 'sev1' \\(one of: critical, high, medium, low, info\\)"):
        parse_severity("sev1")
