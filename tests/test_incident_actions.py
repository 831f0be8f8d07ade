"""Incident actions (actions/incidents.py) on the demo's in-memory store, with a real
audit log (a JSONL file) and the PagerDuty mirror going through the real client to the
Events API stand-in over HTTP.

The demo platform starts at FROZEN with its scripted incident an hour away, so the only
incidents in the store are the ones a test declares: the first is #2 (the script keeps
#1 for its own).
"""

from __future__ import annotations

import getpass
import json
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from obsconsole.actions import incidents as actions
from obsconsole.actions.audit import AuditLog
from obsconsole.actions.incidents import Context, change, declare
from obsconsole.logic.lifecycle import DeclarePlan
from obsconsole.model import ActionResult, IncidentStatus, LinkedAlert, Severity
from obsconsole.sources.demo import DemoPlatform
from obsconsole.sources.pagerduty import PagerDuty
from tests.helpers import FROZEN, MutableClock
from tests.standins.pagerduty import ROUTING_KEY, PagerDutyStandin, start_pagerduty

KEY = "obsconsole-incident-2"
ERROR_RATE = LinkedAlert("fp-a1", "HighErrorRate", "aigym-api", "critical", FROZEN - timedelta(minutes=3),
                         category="application")
DISK_FULL = LinkedAlert("fp-d1", "DiskFull", "aigym-api", "high", FROZEN - timedelta(minutes=1),
                        category="infrastructure")
PLAN = DeclarePlan(
    title="aigym-api: API error rate high",
    severity=Severity.CRITICAL,
    services=("aigym-api",),
    description="5xx above 10 % on aigym-api",
    alerts=(ERROR_RATE,),
)


async def _no_wait(_seconds: float) -> None:
    return None


@pytest.fixture
def clock() -> MutableClock:
    return MutableClock(FROZEN)


@pytest.fixture
def platform(clock: MutableClock) -> DemoPlatform:
    return DemoPlatform(1, clock, started_at=FROZEN, incident_after_s=3600.0)


@pytest.fixture
def audit(tmp_path: Path) -> AuditLog:
    return AuditLog(tmp_path / "audit.jsonl")


@pytest.fixture
def standin() -> Iterator[PagerDutyStandin]:
    with start_pagerduty() as pd:
        yield pd


@pytest.fixture
async def mirror(standin: PagerDutyStandin) -> AsyncIterator[PagerDuty]:
    async with PagerDuty(ROUTING_KEY, url=standin.url, timeout_s=5.0, sleep=_no_wait) as pd:
        yield pd


def lines(path: Path) -> list[dict[str, Any]]:
    """The audit log as a user reads it: one JSON object per line."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def me() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}"


def sent(standin: PagerDutyStandin) -> list[tuple[str, str]]:
    return [(e["event_action"], e["dedup_key"]) for e in standin.events]


# ------------------------------------------------------------------------------ notes


async def test_a_note_lands_on_the_timeline_and_writes_one_audit_line(
    platform: DemoPlatform, audit: AuditLog, clock: MutableClock
) -> None:
    declared = await declare(PLAN, platform, audit, clock)
    assert declared == ActionResult(True, "declared incident #2: aigym-api: API error rate high",
                                    ("critical, investigating, 1 alert linked",))
    clock.now = FROZEN + timedelta(minutes=2)

    result = await change(actions.note(2, "supabase-db pool exhausted"), Context(platform, audit, clock))

    assert result == ActionResult(True, "#2 note added", ())
    last = (await platform.events(2))[-1]
    assert (last.kind, dict(last.payload), last.at, last.actor) == (
        "note", {"text": "supabase-db pool exhausted"}, FROZEN + timedelta(minutes=2), me())
    assert (await platform.get(2)).updated_at == FROZEN + timedelta(minutes=2)
    records = lines(audit.path)
    assert len(records) == 2  # the declaration, then the note
    assert records[1] == {
        "time": "2026-11-28T14:02:00+00:00",
        "who": me(),
        "action": "incident.note",
        "target": "incident 2",
        "ok": True,
        "result": "#2 note added",
        "details": [],
        "detail": {"incident": 2, "text": "supabase-db pool exhausted"},
    }
    assert platform.audit_log[-1] == {"action": "incident.note", "target": "incident 2", "ok": True,
                                      "detail": {"incident": 2, "text": "supabase-db pool exhausted"}}


# ------------------------------------------------------------------ PagerDuty mirror


async def test_declare_acknowledge_resolve_reach_pagerduty_in_order_under_the_incidents_key(
    platform: DemoPlatform, audit: AuditLog, clock: MutableClock, mirror: PagerDuty, standin: PagerDutyStandin
) -> None:
    ctx = Context(platform, audit, clock, mirror)
    declared = await declare(PLAN, platform, audit, clock, mirror)
    assert declared.details == ("critical, investigating, 1 alert linked",
                                "PagerDuty: trigger sent (obsconsole-incident-2)")
    assert standin.state(KEY) == "triggered"

    identified = await change(actions.set_status(await platform.get(2), IncidentStatus.IDENTIFIED), ctx)
    assert identified == ActionResult(True, "#2 status investigating → identified",
                                      ("PagerDuty: acknowledge sent (obsconsole-incident-2)",))
    assert standin.state(KEY) == "acknowledged"

    resolved = await change(actions.set_status(await platform.get(2), IncidentStatus.RESOLVED), ctx)
    assert resolved == ActionResult(True, "#2 status identified → resolved",
                                    ("PagerDuty: resolve sent (obsconsole-incident-2)",))
    assert standin.state(KEY) == "resolved"
    assert (await platform.get(2)).status is IncidentStatus.RESOLVED

    assert sent(standin) == [("trigger", KEY), ("acknowledge", KEY), ("resolve", KEY)]
    assert standin.events[0]["payload"] == {
        "summary": "#2 aigym-api: API error rate high",
        "source": "obsconsole",
        "severity": "critical",
        "custom_details": {"services": ["aigym-api"], "status": "investigating"},
    }
    assert [(r["action"], r["ok"]) for r in lines(audit.path)] == [
        ("incident.declare", True), ("incident.status", True), ("incident.status", True)]


async def test_reopening_a_resolved_incident_triggers_it_again(
    platform: DemoPlatform, audit: AuditLog, clock: MutableClock, mirror: PagerDuty, standin: PagerDutyStandin
) -> None:
    ctx = Context(platform, audit, clock, mirror)
    await declare(PLAN, platform, audit, clock, mirror)
    await change(actions.set_status(await platform.get(2), IncidentStatus.RESOLVED), ctx)

    reopened = await change(
        actions.set_status(await platform.get(2), IncidentStatus.INVESTIGATING, "errors are back"), ctx)

    assert reopened == ActionResult(True, "#2 status resolved → investigating",
                                    ("PagerDuty: trigger sent (obsconsole-incident-2)",))
    assert sent(standin) == [("trigger", KEY), ("resolve", KEY), ("trigger", KEY)]
    assert standin.state(KEY) == "triggered"


async def test_naming_a_commander_acknowledges_once(
    platform: DemoPlatform, audit: AuditLog, clock: MutableClock, mirror: PagerDuty, standin: PagerDutyStandin
) -> None:
    ctx = Context(platform, audit, clock, mirror)
    await declare(PLAN, platform, audit, clock, mirror)
    clock.now = FROZEN + timedelta(minutes=4)

    named = await change(actions.set_commander(await platform.get(2), "  Maria   Lopez "), ctx)

    assert named == ActionResult(True, "#2 commander → Maria Lopez",
                                 ("PagerDuty: acknowledge sent (obsconsole-incident-2)",))
    assert standin.state(KEY) == "acknowledged"
    now = await platform.get(2)
    assert (now.commander, now.acknowledged_at, now.status) == (
        "Maria Lopez", FROZEN + timedelta(minutes=4), IncidentStatus.INVESTIGATING)

    handed_over = await change(actions.set_commander(now, "Ben Okafor"), ctx)
    assert handed_over == ActionResult(True, "#2 commander → Ben Okafor", ())  # already acknowledged
    assert sent(standin) == [("trigger", KEY), ("acknowledge", KEY)]


async def test_a_severity_change_is_not_mirrored(
    platform: DemoPlatform, audit: AuditLog, clock: MutableClock, mirror: PagerDuty, standin: PagerDutyStandin
) -> None:
    await declare(PLAN, platform, audit, clock, mirror)
    result = await change(actions.set_severity(await platform.get(2), "High"), Context(platform, audit, clock, mirror))
    assert result == ActionResult(True, "#2 severity critical → high", ())
    assert (await platform.get(2)).severity is Severity.HIGH
    assert sent(standin) == [("trigger", KEY)]


@pytest.mark.parametrize("severity, theirs", [(Severity.HIGH, "error"), (Severity.MEDIUM, "warning")])
async def test_a_high_or_medium_incident_is_triggered_with_pagerdutys_severity(
    platform: DemoPlatform, audit: AuditLog, clock: MutableClock, mirror: PagerDuty, standin: PagerDutyStandin,
    severity: Severity, theirs: str,
) -> None:
    plan = DeclarePlan(PLAN.title, severity, PLAN.services, PLAN.description, PLAN.alerts)
    declared = await declare(plan, platform, audit, clock, mirror)
    assert declared.details[1] == "PagerDuty: trigger sent (obsconsole-incident-2)"
    assert standin.state(KEY) == "triggered"
    assert standin.events[0]["payload"]["severity"] == theirs


async def test_pagerduty_refusing_the_event_is_said_but_the_change_stands(
    platform: DemoPlatform, audit: AuditLog, clock: MutableClock, mirror: PagerDuty, standin: PagerDutyStandin
) -> None:
    await declare(PLAN, platform, audit, clock, mirror)
    standin.fail(1, status=400, body={"status": "invalid event", "message": "Event object is invalid",
                                      "errors": ["'dedup_key' is missing or blank"]})

    result = await change(actions.set_status(await platform.get(2), IncidentStatus.IDENTIFIED),
                          Context(platform, audit, clock, mirror))

    assert result == ActionResult(True, "#2 status investigating → identified", (
        "PagerDuty acknowledge FAILED: PagerDuty refused the event: Event object is invalid: "
        "'dedup_key' is missing or blank (the incident itself is saved)",))
    assert (await platform.get(2)).status is IncidentStatus.IDENTIFIED
    assert standin.state(KEY) == "triggered"
    assert lines(audit.path)[-1]["ok"] is True
    assert lines(audit.path)[-1]["details"] == list(result.details)


async def test_pagerduty_down_is_said_but_the_change_stands(
    platform: DemoPlatform, audit: AuditLog, clock: MutableClock, standin: PagerDutyStandin
) -> None:
    url = standin.url
    ctx_mirror = PagerDuty(ROUTING_KEY, url=url, timeout_s=5.0, sleep=_no_wait)
    async with ctx_mirror:
        await declare(PLAN, platform, audit, clock, ctx_mirror)
    standin.stop()

    async with PagerDuty(ROUTING_KEY, url=url, timeout_s=5.0, sleep=_no_wait) as down:
        result = await change(actions.set_status(await platform.get(2), IncidentStatus.RESOLVED),
                              Context(platform, audit, clock, down))

    assert result == ActionResult(True, "#2 status investigating → resolved", (
        f"PagerDuty resolve FAILED: PagerDuty at {url}: cannot connect (refused, or the host is down) "
        "(the incident itself is saved)",))
    assert (await platform.get(2)).status is IncidentStatus.RESOLVED
    assert standin.state(KEY) == "triggered"


# ----------------------------------------------------------------- refused changes


async def test_a_change_based_on_an_old_version_fails_and_writes_nothing(
    platform: DemoPlatform, audit: AuditLog, clock: MutableClock, mirror: PagerDuty, standin: PagerDutyStandin
) -> None:
    ctx = Context(platform, audit, clock, mirror)
    await declare(PLAN, platform, audit, clock, mirror)
    seen = await platform.get(2)
    # another console lowers the severity first
    assert (await change(actions.set_severity(seen, "high"), ctx)).ok is True
    events_before = await platform.events(2)

    result = await change(actions.set_status(seen, IncidentStatus.IDENTIFIED), ctx)

    assert result == ActionResult(False, "#2 status investigating → identified FAILED: changed by someone else meanwhile", (
        "now investigating, high, commander – (version 2)", "nothing was written; look, then try again"))
    now = await platform.get(2)
    assert (now.status, now.severity, now.version, now.acknowledged_at) == (
        IncidentStatus.INVESTIGATING, Severity.HIGH, 2, None)
    assert await platform.events(2) == events_before
    assert sent(standin) == [("trigger", KEY)]
    last = lines(audit.path)[-1]
    assert (last["action"], last["ok"], last["result"]) == (
        "incident.status", False, "#2 status investigating → identified FAILED: changed by someone else meanwhile")


async def test_a_change_the_lifecycle_forbids_fails_with_its_reason(
    platform: DemoPlatform, audit: AuditLog, clock: MutableClock
) -> None:
    await declare(PLAN, platform, audit, clock)

    result = await change(actions.set_status(await platform.get(2), IncidentStatus.INVESTIGATING),
                          Context(platform, audit, clock))

    assert result.ok is False
    assert result.summary.startswith("#2 status investigating → investigating FAILED: ")
    assert result.summary.endswith("the incident is already investigating")
    assert result.details == ("nothing was written",)
    assert (await platform.get(2)).version == 1
    assert lines(audit.path)[-1]["ok"] is False


async def test_reopening_without_a_reason_fails_with_the_lifecycles_reason(
    platform: DemoPlatform, audit: AuditLog, clock: MutableClock, mirror: PagerDuty, standin: PagerDutyStandin
) -> None:
    ctx = Context(platform, audit, clock, mirror)
    await declare(PLAN, platform, audit, clock, mirror)
    await change(actions.set_status(await platform.get(2), IncidentStatus.RESOLVED), ctx)

    result = await change(actions.set_status(await platform.get(2), IncidentStatus.INVESTIGATING, "  "), ctx)

    assert result.ok is False
    assert result.summary.startswith("#2 status resolved → investigating FAILED: ")
    assert result.summary.endswith("reopening a resolved incident needs a reason (resolved → investigating)")
    assert (await platform.get(2)).status is IncidentStatus.RESOLVED
    assert sent(standin) == [("trigger", KEY), ("resolve", KEY)]


async def test_with_an_unwritable_audit_log_nothing_is_sent(
    platform: DemoPlatform, audit: AuditLog, clock: MutableClock, mirror: PagerDuty, standin: PagerDutyStandin,
    tmp_path: Path,
) -> None:
    await declare(PLAN, platform, audit, clock, mirror)
    before = await platform.get(2)
    events_before = await platform.events(2)
    blocked = tmp_path / "audit-is-a-directory"
    blocked.mkdir()  # the tests run as root, where chmod would not stop a write
    ctx = Context(platform, AuditLog(blocked), clock, mirror)

    noted = await change(actions.note(2, "pool exhausted"), ctx)
    moved = await change(actions.set_status(before, IncidentStatus.RESOLVED), ctx)

    assert noted == ActionResult(False, f"note added not sent: audit log {blocked} is not writable: Is a directory")
    assert moved == ActionResult(
        False, f"status investigating → resolved not sent: audit log {blocked} is not writable: Is a directory")
    assert await platform.get(2) == before
    assert await platform.events(2) == events_before
    assert sent(standin) == [("trigger", KEY)]
    assert [r["action"] for r in platform.audit_log] == ["incident.declare"]


async def test_declaring_with_an_unwritable_audit_log_writes_no_incident(
    platform: DemoPlatform, clock: MutableClock, mirror: PagerDuty, standin: PagerDutyStandin, tmp_path: Path
) -> None:
    blocked = tmp_path / "audit-is-a-directory"
    blocked.mkdir()
    result = await declare(PLAN, platform, AuditLog(blocked), clock, mirror)
    assert result == ActionResult(False, f"declare not sent: audit log {blocked} is not writable: Is a directory")
    assert await platform.list(include_resolved=True) == ()
    assert standin.events == []


# -------------------------------------------------------------------- link, unlink


async def test_linking_a_new_alert_adds_it_and_an_already_linked_one_is_nothing_to_do(
    platform: DemoPlatform, audit: AuditLog, clock: MutableClock
) -> None:
    ctx = Context(platform, audit, clock)
    await declare(PLAN, platform, audit, clock)

    added = await change(actions.link(2, [DISK_FULL], "DiskFull"), ctx)
    again = await change(actions.link(2, [ERROR_RATE, DISK_FULL], "HighErrorRate, DiskFull"), ctx)

    assert added == ActionResult(True, "#2 linked DiskFull", ())
    assert again == ActionResult(False, "#2 linked HighErrorRate, DiskFull: nothing to do", ("already linked",))
    assert [a.fingerprint for a in await platform.linked(2)] == ["fp-a1", "fp-d1"]
    assert [(r["action"], r["ok"], r["result"]) for r in lines(audit.path)[1:]] == [
        ("incident.link", True, "#2 linked DiskFull"),
        ("incident.link", False, "#2 linked HighErrorRate, DiskFull: nothing to do"),
    ]


async def test_unlinking_a_linked_alert_removes_it_and_one_not_linked_is_nothing_to_do(
    platform: DemoPlatform, audit: AuditLog, clock: MutableClock
) -> None:
    ctx = Context(platform, audit, clock)
    await declare(PLAN, platform, audit, clock)

    missing = await change(actions.unlink(2, "fp-d1", "DiskFull"), ctx)
    removed = await change(actions.unlink(2, "fp-a1", "HighErrorRate"), ctx)

    assert missing == ActionResult(False, "#2 unlinked DiskFull: nothing to do", ("it was not linked",))
    assert removed == ActionResult(True, "#2 unlinked HighErrorRate", ())
    assert await platform.linked(2) == ()
    assert [(r["action"], r["ok"]) for r in lines(audit.path)[1:]] == [
        ("incident.unlink", False), ("incident.unlink", True)]
