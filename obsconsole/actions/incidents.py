"""Incident actions from the console: declare from an alert group, and in the war room
a note, a status, a commander, a severity, linking and unlinking alerts. Each is audited
locally (the JSONL file) and in the shared store's audit log; one whose local record
cannot be written is not attempted. A change the store did not take is a FAILED result:
nothing is shown as saved that was not.

With a PagerDuty routing key, the incident is mirrored (Events v2, dedup key
`obsconsole-incident-ID`): declared → trigger, acknowledged → acknowledge, resolved →
resolve, reopened → trigger. The store is the record: a mirror that fails is said on
the result (the change itself stands).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Awaitable, Callable, Protocol

from obsconsole.actions.audit import AuditLog, actor, audited, unwritable, why
from obsconsole.logic import lifecycle
from obsconsole.logic.lifecycle import DeclarePlan
from obsconsole.model import ActionResult, Incident, IncidentConflict, IncidentStatus, SourceError
from obsconsole.sources.base import IncidentSource

Clock = Callable[[], datetime]


class Mirror(Protocol):
    """PagerDuty's Events v2 client, as the mirror uses it."""

    async def send(self, action: str, dedup_key: str, *, summary: str = "", severity: str = "critical",
                   source: str = "obsconsole", custom_details: Any = None) -> Any:
        ...


@dataclass(frozen=True)
class Context:
    """What every incident action needs."""

    source: IncidentSource
    audit: AuditLog
    clock: Clock
    mirror: Mirror | None = None


@dataclass(frozen=True)
class Change:
    """One change to an incident from the war room: what the user asked, in words for
    the toast and the audit log, and the store call that makes it."""

    action: str  # incident.note, incident.status, ...
    incident_id: int
    words: str  # "status → monitoring"
    run: Callable[[IncidentSource], Awaitable[Any]]
    detail: dict[str, Any] = field(default_factory=dict)
    #: it may matter to PagerDuty (a status or a commander): the incident is read before
    #: it, and mirror_action(before, after) says what, if anything, to send
    mirrored: bool = False


def mirror_action(before: Incident, after: Incident) -> str | None:
    """What PagerDuty hears of a change from `before` to `after`."""
    if after.status is IncidentStatus.RESOLVED and before.status is not IncidentStatus.RESOLVED:
        return "resolve"
    if before.status is IncidentStatus.RESOLVED and after.status is not IncidentStatus.RESOLVED:
        return "trigger"
    if before.acknowledged_at is None and after.acknowledged_at is not None:
        return "acknowledge"
    return None


async def _mirror(ctx: Context, action: str | None, incident: Incident) -> tuple[str, ...]:
    if ctx.mirror is None or action is None:
        return ()
    from obsconsole.sources.pagerduty import dedup_key

    key = dedup_key(incident.id)
    try:
        await ctx.mirror.send(action, key, summary=f"#{incident.id} {incident.title}",
                              severity=incident.severity.value,
                              custom_details={"services": list(incident.services), "status": incident.status.value})
    except (SourceError, ValueError) as exc:
        return (f"PagerDuty {action} FAILED: {why(exc)} (the incident itself is saved)",)
    return (f"PagerDuty: {action} sent ({key})",)


async def _shared_audit(ctx: Context, action: str, target: str, ok: bool, detail: dict[str, Any]) -> tuple[str, ...]:
    try:
        await ctx.source.audit(action, target, ok, detail)
    except SourceError as exc:
        return (f"not in the shared audit log: {exc.message}",)
    return ()


async def declare(plan: DeclarePlan, source: IncidentSource, audit: AuditLog, clock: Clock,
                  mirror: Mirror | None = None) -> ActionResult:
    """Write the incident (its alerts linked)."""
    ctx = Context(source, audit, clock, mirror)
    refused = unwritable(audit, "declare")
    if refused is not None:
        return refused
    now = clock()
    detail: dict[str, Any] = {"title": plan.title, "severity": plan.severity.value,
                              "services": list(plan.services), "alerts": list(plan.fingerprints)}
    try:
        incident = await source.declare(plan.title, plan.severity, plan.services, plan.description, plan.alerts,
                                        plan.suggestions)
    except (SourceError, ValueError) as exc:
        result = ActionResult(False, f"declare FAILED: {why(exc)}", ("nothing was written",))
        return audited(audit, "incident.declare", plan.title, result, detail, actor(), now)
    linked = len(plan.fingerprints)
    details = (f"{incident.severity.value}, investigating, {linked} alert{'' if linked == 1 else 's'} linked",)
    details += await _mirror(ctx, "trigger", incident)
    detail["incident"] = incident.id
    details += await _shared_audit(ctx, "incident.declare", f"incident {incident.id}", True, detail)
    result = ActionResult(True, f"declared incident #{incident.id}: {incident.title}", details)
    return audited(audit, "incident.declare", f"incident {incident.id}", result, detail, actor(), now)


async def change(c: Change, ctx: Context) -> ActionResult:
    """Make one change; a conflict (another console changed the incident first) or a
    refusal is FAILED with nothing written, and says what the incident is now."""
    target = f"incident {c.incident_id}"
    refused = unwritable(ctx.audit, c.words)
    if refused is not None:
        return refused
    now = ctx.clock()
    detail = {"incident": c.incident_id, **c.detail}
    mirror = c.mirrored and ctx.mirror is not None
    try:
        before = await ctx.source.get(c.incident_id) if mirror else None
        outcome = await c.run(ctx.source)
    except IncidentConflict as exc:
        now_is = exc.current
        result = ActionResult(False, f"#{c.incident_id} {c.words} FAILED: changed by someone else meanwhile",
                              (f"now {now_is.status.value}, {now_is.severity.value}, commander "
                               f"{now_is.commander or '–'} (version {now_is.version})", "nothing was written; look, then try again"))
        await _shared_audit(ctx, c.action, target, False, {**detail, "why": "conflict"})
        return audited(ctx.audit, c.action, target, result, detail, actor(), now)
    except (SourceError, ValueError) as exc:
        reason = str(exc) if isinstance(exc, ValueError) else why(exc)
        result = ActionResult(False, f"#{c.incident_id} {c.words} FAILED: {reason}", ("nothing was written",))
        if isinstance(exc, ValueError):  # refused by the lifecycle: the store is up, say it there too
            await _shared_audit(ctx, c.action, target, False, {**detail, "why": reason})
        return audited(ctx.audit, c.action, target, result, detail, actor(), now)
    details: tuple[str, ...] = ()
    if isinstance(outcome, Incident) and before is not None:
        details += await _mirror(ctx, mirror_action(before, outcome), outcome)
    if outcome is False or (c.action == "incident.link" and outcome == 0):
        result = ActionResult(False, f"#{c.incident_id} {c.words}: nothing to do",
                              ("it was not linked" if outcome is False else "already linked",))
        return audited(ctx.audit, c.action, target, result, detail, actor(), now)
    details += await _shared_audit(ctx, c.action, target, True, detail)
    result = ActionResult(True, f"#{c.incident_id} {c.words}", details)
    return audited(ctx.audit, c.action, target, result, detail, actor(), now)


# ---------------------------------------------------------------------- the changes


def note(incident_id: int, text: str) -> Change:
    return Change("incident.note", incident_id, "note added", lambda s: s.note(incident_id, text),
                  {"text": text[:2000]})


def set_status(incident: Incident, status: IncidentStatus, reason: str = "") -> Change:
    return Change("incident.status", incident.id, f"status {incident.status.value} → {status.value}",
                  lambda s: s.update(incident.id, incident.version, status=status, reason=reason),
                  {"from": incident.status.value, "to": status.value, "reason": reason, "version": incident.version},
                  mirrored=True)


def set_severity(incident: Incident, text: str) -> Change:
    severity = lifecycle.parse_severity(text)
    return Change("incident.severity", incident.id, f"severity {incident.severity.value} → {severity.value}",
                  lambda s: s.update(incident.id, incident.version, severity=severity),
                  {"from": incident.severity.value, "to": severity.value, "version": incident.version})


def set_commander(incident: Incident, name: str) -> Change:
    name = " ".join(name.split())
    return Change("incident.commander", incident.id, f"commander → {name}",
                  lambda s: s.update(incident.id, incident.version, commander=name),
                  {"from": incident.commander, "to": name, "version": incident.version},
                  mirrored=True)


def link(incident_id: int, alerts: Any, names: str) -> Change:
    alerts = tuple(alerts)
    return Change("incident.link", incident_id, f"linked {names}", lambda s: s.link(incident_id, alerts),
                  {"alerts": [a.fingerprint for a in alerts]})


def unlink(incident_id: int, fingerprint: str, name: str) -> Change:
    return Change("incident.unlink", incident_id, f"unlinked {name}", lambda s: s.unlink(incident_id, fingerprint),
                  {"fingerprint": fingerprint})
