"""The war room's facts about one incident: its clocks, the alert groups linked to it,
and which rows of the other panes concern it. Pure: the screen and `snapshot
--incident` both read these.

Clocks (SPEC §5, §6):
- since declared: now - created_at;
- time to acknowledge: acknowledged_at - created_at (the first commander named, or the
  first move past investigating), else how long it has waited unacknowledged;
- since last update: now - updated_at, STALE from 30 minutes (an incident nobody has
  touched for that long needs a word on its timeline);
- next escalation: the soonest next step among the channels its linked alert groups
  route to (delays from each group's first alert). Acknowledging the incident, or
  acking every linked group, stops it; so does resolving it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Sequence

from obsconsole.logic import incidents as grouping
from obsconsole.logic.slo import allowed_error_ratio, budget_remaining
from obsconsole.model import (
    AlertGroup,
    BurnWindow,
    Incident,
    IncidentStatus,
    LinkedAlert,
    SloBurn,
    SLODefinition,
    SLOMeasurement,
)

#: an open incident untouched this long is flagged STALE (the incidents pane too)
STALE_AFTER_S = 30 * 60


@dataclass(frozen=True)
class Escalation:
    """The next escalation step: on which channel, in how many seconds."""

    channel: str
    in_s: float


@dataclass(frozen=True)
class Clocks:
    since_declared_s: float
    #: time to acknowledge, once acknowledged
    acknowledged_after_s: float | None
    #: how long it has waited for an acknowledgement (None once acknowledged)
    unacknowledged_for_s: float | None
    since_update_s: float
    stale: bool
    next_escalation: Escalation | None
    #: why there is no next escalation: "acknowledged", "resolved", "acked alerts",
    #: "last step reached", "no channel" ("" when there is one)
    escalation_stopped: str


def _s(a: datetime, b: datetime) -> float:
    return max(0.0, (a - b).total_seconds())


def clocks(incident: Incident, groups: Sequence[AlertGroup], channels: Iterable, now: datetime) -> Clocks:
    """The incident's clocks at `now`; `groups`: the alert groups linked to it."""
    channels = tuple(channels)
    acked_after = _s(incident.acknowledged_at, incident.created_at) if incident.acknowledged_at else None
    waiting = None if incident.acknowledged_at else _s(now, incident.created_at)
    since_update = _s(now, incident.updated_at)
    resolved = incident.status is IncidentStatus.RESOLVED
    nxt: Escalation | None = None
    stopped = ""
    if resolved:
        stopped = "resolved"
    elif incident.acknowledged_at is not None:
        stopped = "acknowledged"
    else:
        active = [g for g in groups if g.status != "acknowledged"]
        if groups and not active:
            stopped = "acked alerts"
        else:
            steps = [Escalation(r.channel, r.next_step_in_s) for g in active
                     for r in grouping.routes(g, channels, now) if r.active and r.next_step_in_s is not None]
            routed = any(r.active for g in active for r in grouping.routes(g, channels, now))
            if steps:
                nxt = min(steps, key=lambda e: (e.in_s, e.channel))
            else:
                stopped = "last step reached" if routed else "no channel"
    return Clocks(
        since_declared_s=_s(now, incident.created_at),
        acknowledged_after_s=acked_after,
        unacknowledged_for_s=waiting,
        since_update_s=since_update,
        stale=not resolved and since_update >= STALE_AFTER_S,
        next_escalation=nxt,
        escalation_stopped=stopped,
    )


def group_escalation(group: AlertGroup, channels: Iterable, now: datetime,
                     incident_acked: bool = False) -> Escalation | None:
    """The alerts pane's clock for one group: its soonest next step, or None when acked
    (silenced), linked to an acknowledged incident, or past its last step."""
    if group.status == "acknowledged" or incident_acked:
        return None
    steps = [Escalation(r.channel, r.next_step_in_s) for r in grouping.routes(group, channels, now)
             if r.active and r.next_step_in_s is not None]
    return min(steps, key=lambda e: (e.in_s, e.channel)) if steps else None


def linked_groups(groups: Iterable[AlertGroup], fingerprints: Iterable[str]) -> tuple[AlertGroup, ...]:
    """The alert groups holding at least one linked alert, in the alerts pane's order."""
    wanted = set(fingerprints)
    return tuple(g for g in groups if any(a.fingerprint in wanted for a in g.alerts))


def firing(linked: Iterable[LinkedAlert], groups: Iterable[AlertGroup]) -> dict[str, str]:
    """fingerprint → "firing", "acked" (silenced) or "resolved" (Alertmanager no longer
    has it) for each linked alert."""
    state = {}
    for g in groups:
        for a in g.alerts:
            state[a.fingerprint] = "acked" if a.state == "suppressed" else "firing"
    return {a.fingerprint: state.get(a.fingerprint, "resolved") for a in linked}


#: the hub's results a war room shows (it reads its incident, timeline, linked alerts
#: and SLO budget itself): `obsconsole incident` polls only these and the incidents
SHOWN = ("alerts", "errors", "latency", "security")


def is_security(linked: Iterable[LinkedAlert], groups: Iterable[AlertGroup]) -> bool:
    """A security incident: a linked alert (or its group: give only the groups holding a
    linked alert, see linked_groups) is in the security category."""
    return any(a.category == "security" for a in linked) or any(g.category == "security" for g in groups)


def concerns(service: str, services: Sequence[str]) -> bool:
    return service in services


def burn_window(slo: SLODefinition, since_s: float) -> SLODefinition:
    """`slo` with both burn conditions measured over the incident's `since_s` seconds:
    a source's ordinary measurement then holds the error ratio since the incident began
    (error_ratios[since_s])."""
    w = BurnWindow(factor=1.0, long_s=since_s, short_s=since_s)
    return dataclasses.replace(slo, fast=w, slow=w)


def slo_burn(slo: SLODefinition, measurement: SLOMeasurement, since_s: float) -> SloBurn:
    """The share of the SLO's whole budget spent since the incident began: the error
    ratio over those `since_s` seconds × their share of the SLO window, over the
    allowed ratio (traffic taken as even over the window)."""
    now = budget_remaining(measurement.error_ratio_window, slo.target)
    ratio = measurement.error_ratios.get(since_s)
    allowed = allowed_error_ratio(slo.target)
    if now is None or ratio is None or allowed <= 0 or slo.window_s <= 0:
        return SloBurn(slo.id, slo.service, None, now)
    burned = ratio * min(1.0, since_s / slo.window_s) / allowed
    return SloBurn(slo.id, slo.service, now + burned, now)


def suggestions(incident: Incident, linked: Iterable[LinkedAlert], groups: Iterable[AlertGroup],
                errors: Iterable[Any], channels: Iterable, now: datetime) -> tuple[str, ...]:
    """SPEC §6's automated responses, as suggestions for the people in the war room
    (nothing is done by itself): for an application incident, the recent trace ids of
    its services' errors (to look up in Jaeger); for a security incident, escalating at
    once to the security channel. Resolved incidents get none."""
    if incident.status is IncidentStatus.RESOLVED:
        return ()
    return suggested(incident.services, linked, groups, errors, channels)


def suggested(services: Iterable[str], linked: Iterable[LinkedAlert], groups: Iterable[AlertGroup],
              errors: Iterable[Any], channels: Iterable) -> tuple[str, ...]:
    """`suggestions` for an open incident of `services` (also before it is declared:
    the declaration records them in its timeline)."""
    services = tuple(services)
    linked = tuple(linked)
    # only the groups of its own alerts: a security alert elsewhere is not this incident's
    groups = linked_groups(groups, (a.fingerprint for a in linked))
    out = []
    if is_security(linked, groups):
        channels = tuple(channels)
        # the security team's own channel(s): those for security alone
        security = [c.name for c in channels if tuple(c.categories) == ("security",)] or [
            c.name for c in channels if "security" in c.categories]
        out.append(f"security incident: escalate now to {', '.join(security) or 'the security team'}")
    categories = {a.category for a in linked} | {g.category for g in groups}
    if "application" in categories or not categories:
        traces: list[str] = []
        for e in errors:
            if concerns(e.service, services) and e.trace_id and e.trace_id not in traces:
                traces.append(e.trace_id)
            if len(traces) == 3:
                break
        if traces:
            out.append("recent traces of its errors: " + ", ".join(t[:8] for t in traces))
    return tuple(out)
