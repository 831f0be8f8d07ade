"""An incident's lifecycle: which changes are allowed, and what each one records.

investigating → identified → monitoring → resolved. Moving on may skip a step (a fix
found at once goes straight to monitoring); moving back among the open states is allowed
(a fix that did not hold); reopening a resolved incident needs a reason. Pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass

from obsconsole.model import AlertGroup, IncidentStatus, Severity

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
    #: the group's alerts, linked to the incident
    fingerprints: tuple[str, ...]


def plan_declare(group: AlertGroup) -> DeclarePlan:
    """Title, severity and services prefilled from the group; its alerts linked."""
    descriptions = [a.annotations.get("description") or a.title for a in group.alerts]
    return DeclarePlan(
        title=" ".join(f"{group.service}: {group.title}".split())[:200],
        severity=group.severity,
        services=(group.service,),
        description="\n".join(dict.fromkeys(d for d in descriptions if d)),
        fingerprints=tuple(sorted({a.fingerprint for a in group.alerts})),
    )
