"""Incident actions from the console: declare from an alert group (more to come: notes,
status, commander). Each is audited locally (the JSONL file) and in the shared store's
audit log; one whose local record cannot be written is not attempted."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from obsconsole.actions.ack import _audited, _unwritable, _why
from obsconsole.actions.audit import AuditLog, actor
from obsconsole.logic.lifecycle import DeclarePlan
from obsconsole.model import ActionResult, SourceError
from obsconsole.sources.base import IncidentSource

Clock = Callable[[], datetime]


async def declare(plan: DeclarePlan, source: IncidentSource, audit: AuditLog, clock: Clock) -> ActionResult:
    """Write the incident (its alerts linked). A store that did not take it is a FAILED
    result: nothing is shown as declared that was not."""
    refused = _unwritable(audit, "declare")
    if refused is not None:
        return refused
    now = clock()
    detail: dict[str, Any] = {"title": plan.title, "severity": plan.severity.value,
                              "services": list(plan.services), "alerts": list(plan.fingerprints)}
    try:
        incident = await source.declare(plan.title, plan.severity, plan.services, plan.description, plan.alerts)
    except (SourceError, ValueError) as exc:
        result = ActionResult(False, f"declare FAILED: {_why(exc)}", ("nothing was written",))
        return _audited(audit, "incident.declare", plan.title, result, detail, actor(), now)
    linked = len(plan.fingerprints)
    result = ActionResult(True, f"declared incident #{incident.id}: {incident.title}",
                          (f"{incident.severity.value}, investigating, {linked} alert{'' if linked == 1 else 's'} linked",))
    detail["incident"] = incident.id
    try:
        await source.audit("incident.declare", f"incident {incident.id}", True, detail)
    except SourceError as exc:
        result = ActionResult(True, result.summary, result.details + (f"not in the shared audit log: {exc.message}",))
    return _audited(audit, "incident.declare", f"incident {incident.id}", result, detail, actor(), now)
