"""Alert correlation and routing (SPEC §4-5). Pure functions.

Correlation: an alert joins an existing group with the same (canonical) service and
category whose first alert is less than 5 minutes older than it. FIX over the source: a
group never takes a lower severity: it shows the highest of its alerts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable, Mapping

from obsconsole.model import Alert, AlertGroup, Severity

CORRELATION_WINDOW = timedelta(minutes=5)


def group_alerts(
    alerts: Iterable[Alert],
    aliases: Mapping[str, str] | None = None,
    window: timedelta = CORRELATION_WINDOW,
) -> tuple[AlertGroup, ...]:
    """Group alerts per SPEC §4; groups ordered most severe first, then newest first."""
    aliases = aliases or {}
    groups: list[dict] = []
    for alert in sorted(alerts, key=lambda a: (a.starts_at, a.fingerprint)):
        service = aliases.get(alert.service, alert.service)
        for g in groups:
            if (
                g["service"] == service
                and g["category"] == alert.category
                and alert.starts_at - g["first_at"] < window
            ):
                g["alerts"].append(alert)
                break
        else:
            groups.append(
                {
                    "service": service,
                    "category": alert.category,
                    "first_at": alert.starts_at,
                    "alerts": [alert],
                }
            )
    result = []
    for g in groups:
        members: list[Alert] = g["alerts"]
        severity = max((a.severity for a in members), key=lambda s: s.rank)
        result.append(
            AlertGroup(
                key=f"{g['service']}/{g['category']}/{members[0].fingerprint}",
                service=g["service"],
                category=g["category"],
                severity=severity,
                alerts=tuple(sorted(members, key=lambda a: (-a.severity.rank, a.starts_at))),
                first_at=g["first_at"],
                last_at=max(a.starts_at for a in members),
            )
        )
    result.sort(key=lambda g: (-g.severity.rank, -g.last_at.timestamp(), g.key))
    return tuple(result)


@dataclass(frozen=True)
class Route:
    """One channel an alert group reaches, and where it is in that channel's escalation."""

    channel: str
    active: bool  # False when outside the channel's active hours
    next_step_in_s: float | None  # None when the last step has passed


def routes(group: AlertGroup, channels: Iterable, now: datetime) -> tuple[Route, ...]:
    """The channels (config.Channel) a group routes to, with the countdown to each
    channel's next escalation step (delays counted from the group's first alert)."""
    out = []
    elapsed_min = (now - group.first_at).total_seconds() / 60.0
    for ch in channels:
        if group.severity.value not in ch.severities or group.category not in ch.categories:
            continue
        active = True
        if ch.active_hours_utc is not None:
            start, end = ch.active_hours_utc
            hour = now.astimezone(timezone.utc).hour
            active = start <= hour < end if start <= end else (hour >= start or hour < end)
        upcoming = [d for d in ch.escalation_min if d > elapsed_min]
        next_in = (min(upcoming) - elapsed_min) * 60.0 if upcoming else None
        out.append(Route(ch.name, active, next_in))
    return tuple(out)


def is_unrouted(group: AlertGroup, channels: Iterable, now: datetime) -> bool:
    """True when no active channel receives the group (SPEC §5 "unrouted")."""
    return not any(r.active for r in routes(group, channels, now))


def worst_severity(groups: Iterable[AlertGroup]) -> Severity | None:
    ranked = [g.severity for g in groups]
    return max(ranked, key=lambda s: s.rank) if ranked else None
