"""An incident's lifecycle: which changes are allowed, and what each one records.

investigating → identified → monitoring → resolved. Moving on may skip a step (a fix
found at once goes straight to monitoring); moving back among the open states is allowed
(a fix that did not hold); reopening a resolved incident needs a reason. Pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from obsconsole.model import Alert, AlertGroup, Incident, IncidentStatus, LinkedAlert, Severity

STATUSES: tuple[IncidentStatus, ...] = tuple(IncidentStatus)
SEVERITIES: tuple[Severity, ...] = tuple(Severity)


def status_change_problem(old: IncidentStatus, new: IncidentStatus, reason: str = "") -> str | None:
    """Why `old` → `new` is refused (one line), or None when it is allowed."""
    if new is old:
        return f"the incident is already {new.value}"
    if old is IncidentStatus.RESOLVED and not reason.strip():
        return f"reopening a resolved incident needs a reason (resolved → {new.value})"
    return None


def parse_status(text: str) -> IncidentStatus:
    try:
        return IncidentStatus(text.strip().lower())
    except ValueError:
        raise ValueError(f"unknown status {text!r} (one of: {', '.join(s.value for s in STATUSES)})") from None


def parse_severity(text: str) -> Severity:
    try:
        return Severity(text.strip().lower())
    except ValueError:
        raise ValueError(f"unknown severity {text!r} (one of: {', '.join(s.value for s in SEVERITIES)})") from None


def clean_title(text: str, limit: int = 200) -> str:
    """A title is one line: surrounding blanks removed; empty is refused."""
    title = " ".join(text.split())
    if not title:
        raise ValueError("an incident needs a title")
    if len(title) > limit:
        raise ValueError(f"a title is at most {limit} characters (got {len(title)})")
    return title


@dataclass(frozen=True)
class DeclarePlan:
    """An incident about to be declared from an alert group: what the confirmation shows
    and, once confirmed (the title and severity possibly edited), what is written."""

    title: str
    severity: Severity
    services: tuple[str, ...]
    description: str
    #: the group's alerts, linked to the incident (as they are now)
    alerts: tuple[LinkedAlert, ...]
    #: SPEC §6's automated responses for it, written to its timeline as suggestions
    suggestions: tuple[str, ...] = ()

    @property
    def fingerprints(self) -> tuple[str, ...]:
        return tuple(a.fingerprint for a in self.alerts)


def plan_declare(group: AlertGroup) -> DeclarePlan:
    """Title, severity and services prefilled from the group; its alerts linked."""
    descriptions = [a.annotations.get("description") or a.title for a in group.alerts]
    return DeclarePlan(
        title=" ".join(f"{group.service}: {group.title}".split())[:200],
        severity=group.severity,
        services=(group.service,),
        description="\n".join(dict.fromkeys(d for d in descriptions if d)),
        alerts=linked_alerts(group.alerts),
    )


def linked_alerts(alerts: Iterable[Alert]) -> tuple[LinkedAlert, ...]:
    """What an incident keeps of each alert it links, each fingerprint once, sorted."""
    by_fp = {a.fingerprint: a for a in alerts}
    return tuple(LinkedAlert(fp, a.name, a.service, a.severity.value, a.starts_at, category=a.category)
                 for fp, a in sorted(by_fp.items()))


def plan_update(current: Incident, *, status: IncidentStatus | None = None, reason: str = "",
                severity: Severity | None = None, commander: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The timeline events (kind, payload) a change to `current` writes, in order.
    ValueError (one line, for the user) if the lifecycle forbids it or nothing changes."""
    changes: list[tuple[str, dict[str, Any]]] = []
    if status is not None:
        problem = status_change_problem(current.status, status, reason)
        if problem:
            raise ValueError(problem)
        changes.append(("status", {"from": current.status.value, "to": status.value, "reason": reason}))
    if severity is not None and severity is not current.severity:
        changes.append(("severity", {"from": current.severity.value, "to": severity.value}))
    if commander is not None:
        if not commander.strip():
            raise ValueError("a commander needs a name")
        if commander != current.commander:
            changes.append(("commander", {"from": current.commander, "to": commander}))
    if not changes:
        raise ValueError("nothing to change")
    return changes


def acknowledges(current: Incident, status: IncidentStatus | None, commander: str | None) -> bool:
    """Whether this change is the incident's acknowledgement: the first time someone
    takes it (a commander named) or it moves past investigating."""
    if current.acknowledged_at is not None:
        return False
    return commander is not None or (status is not None and status is not IncidentStatus.INVESTIGATING)
