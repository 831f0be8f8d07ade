"""Acknowledge an alert group: a silence in every Alertmanager cluster, audited.

Flow: `plan_ack` says what will be silenced (matchers, the alerts they select right now,
duration, comment); the UI shows it; on confirm `ack` creates the silence once per
cluster and reports what each cluster answered. The result is `ok` only when every
cluster accepted: an ack that did not reach Alertmanager is shown as failed, and the
alerts pane shows "acked" only from Alertmanager's own state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

from obsconsole.actions.audit import AuditLog, actor, audited, unwritable, why
from obsconsole.logic import silences
from obsconsole.model import ActionResult, Alert, AlertGroup, AlertsView, Matcher, Severity, Silence, SourceError
from obsconsole.model import ClusterOutcome

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class AckPlan:
    """What an ack will do, shown before it is done."""

    group_key: str
    title: str
    matchers: tuple[Matcher, ...]
    #: every alert the matchers select right now (may be more than the group)
    alerts: tuple[Alert, ...]
    duration_s: float
    comment: str
    created_by: str
    #: the group's severity (the dialog names the group in its colour)
    severity: Severity = Severity.INFO


def plan_ack(group: AlertGroup, every_alert: Iterable[Alert], service_label: str,
             duration_s: float, who: str | None = None) -> AckPlan:
    who = who or actor()
    matchers = silences.matchers_for_group(group, service_label)
    return AckPlan(
        group_key=group.key,
        title=f"{group.service}/{group.category}: {group.title}",
        matchers=matchers,
        alerts=silences.selected(matchers, every_alert),
        duration_s=duration_s,
        comment=f"ACK by {who}",
        created_by=who,
        severity=group.severity,
    )


async def _create(source: Any, *args: Any) -> list[ClusterOutcome]:
    """source.create_silence, never raising: a failure is an outcome like any other."""
    try:
        return list(await source.create_silence(*args))
    except Exception as exc:  # the UI must get a result, not a traceback
        return [ClusterOutcome("alertmanager", None, False, why(exc))]


async def _expire(source: Any, silence: Silence) -> ClusterOutcome:
    try:
        return await source.expire_silence(silence)
    except Exception as exc:
        return ClusterOutcome("alertmanager", None, False, why(exc))


async def ack(plan: AckPlan, source: Any, audit: AuditLog, clock: Clock) -> ActionResult:
    """Create the silence on every cluster. Not attempted if the audit log is unwritable."""
    refused = unwritable(audit, "ack")
    if refused is not None:
        return refused
    now = clock()
    ends = now + timedelta(seconds=plan.duration_s)
    outcomes = await _create(source, plan.matchers, now, ends, plan.created_by, plan.comment)
    good = [o for o in outcomes if o.ok]
    bad = [o for o in outcomes if not o.ok]
    details = tuple(
        f"{o.cluster}: silence {o.detail} on {o.url}" if o.ok else f"{o.cluster}: FAILED: {o.detail}"
        for o in outcomes
    )
    minutes = plan.duration_s / 60
    if not bad:
        result = ActionResult(True, f"acked {plan.title} for {minutes:g} min", details)
    elif good:
        result = ActionResult(False, f"ack PARTLY failed: {len(bad)} of {len(outcomes)} Alertmanager clusters refused", details)
    else:
        result = ActionResult(False, f"ack FAILED: {bad[0].detail}", details)
    return audited(audit, "alerts.ack", plan.group_key, result, {
        "matchers": [str(m) for m in plan.matchers],
        "alerts": [a.name for a in plan.alerts],
        "ends_at": ends.isoformat(),
        "comment": plan.comment,
        "silences": {o.cluster: o.detail for o in good},
    }, plan.created_by, now)


async def unack(group: AlertGroup, view: AlertsView, source: Any, audit: AuditLog, clock: Clock,
                who: str | None = None) -> ActionResult:
    """Expire every active silence that silences the group."""
    who = who or actor()
    acks = view.acks(group)
    if not acks:
        return ActionResult(False, "nothing to expire: the group is not acknowledged")
    refused = unwritable(audit, "expire")
    if refused is not None:
        return refused
    outcomes = [await _expire(source, s) for s in acks]
    bad = [o for o in outcomes if not o.ok]
    details = tuple(f"{o.cluster}: {'expired ' + o.detail if o.ok else 'FAILED: ' + o.detail}" for o in outcomes)
    if bad:
        result = ActionResult(False, f"expire FAILED on {len(bad)} of {len(outcomes)} silences", details)
    else:
        result = ActionResult(True, f"ack expired for {group.service}/{group.category}", details)
    return audited(audit, "alerts.unack", group.key, result, {"silences": [s.id for s in acks]}, who, clock())


async def extend(group: AlertGroup, view: AlertsView, source: Any, audit: AuditLog, clock: Clock,
                 duration_s: float, who: str | None = None) -> ActionResult:
    """A new silence with the same matchers for `duration_s` from now, then the old
    ones expired (Alertmanager would do the same on an update that changes endsAt of
    an active silence in some versions; doing it explicitly is the same everywhere)."""
    who = who or actor()
    acks = view.acks(group)
    if not acks:
        return ActionResult(False, "nothing to extend: the group is not acknowledged")
    refused = unwritable(audit, "extend")
    if refused is not None:
        return refused
    current: Silence = acks[0]
    now = clock()
    ends = now + timedelta(seconds=duration_s)
    outcomes = await _create(source, current.matchers, now, ends, who, f"{current.comment} (extended by {who})")
    if not all(o.ok for o in outcomes):
        details = tuple(f"{o.cluster}: FAILED: {o.detail}" for o in outcomes if not o.ok)
        result = ActionResult(False, "extend FAILED: the ack is unchanged", details)
        return audited(audit, "alerts.extend", group.key, result, {}, who, now)
    expired = [await _expire(source, s) for s in acks]
    details = tuple(f"{o.cluster}: new silence {o.detail}" for o in outcomes) + tuple(
        f"{o.cluster}: {'expired' if o.ok else 'could not expire'} {o.detail}" for o in expired
    )
    result = ActionResult(True, f"ack extended to {ends:%H:%M} UTC", details)
    return audited(audit, "alerts.extend", group.key, result, {"ends_at": ends.isoformat()}, who, now)
