"""The demo's incident store: in memory, with the scripted incident declared by the
on-call bot shortly after the alerts fire, a commander and a note from the engineer
who picks it up, and monitoring once the platform recovers.

Each step is stamped at its scripted time (started_at + offset), not when it is first
read, so a frozen clock or a late poll sees the same story. What a user changes through
the console is kept on top, as the real store would.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Callable

from obsconsole.model import (
    Incident,
    IncidentsView,
    IncidentStatus,
    IncidentSummary,
    Severity,
    TimelineEvent,
)
from obsconsole.sources.demo.curves import INCIDENT_END_S

BOT = "oncall-bot@demo"
ENGINEER = "maria@demo"
#: seconds after the incident starts: declared, picked up, mitigated
DECLARED_AFTER_S = 30.0
PICKED_UP_AFTER_S = 55.0
MONITORING_AFTER_S = INCIDENT_END_S + 5.0


class DemoIncidents:
    def __init__(self, started_at: datetime, incident_after_s: float) -> None:
        self._start = started_at + timedelta(seconds=incident_after_s)
        self._incidents: dict[int, Incident] = {}
        self._events: list[TimelineEvent] = []
        self._links: dict[int, list[str]] = {}
        self._done: set[str] = set()

    # ------------------------------------------------------------------ the script

    def advance(self, now: datetime, firing: Callable[[datetime], list[str]] = lambda _at: []) -> None:
        """Apply every scripted step whose time has come (each once). `firing(at)`: the
        fingerprints of the incident's alerts firing then (linked when it is declared)."""
        u = (now - self._start).total_seconds()
        if u >= DECLARED_AFTER_S and "declared" not in self._done:
            self._done.add("declared")
            at = self._start + timedelta(seconds=DECLARED_AFTER_S)
            incident = Incident(
                id=1, title="aigym-api: API error rate high (upstream supabase-db)",
                description="5xx above 10 % on aigym-api; connection pool errors from supabase-db",
                severity=Severity.HIGH, status=IncidentStatus.INVESTIGATING,
                services=("aigym-api", "supabase-db"), commander=None, created_at=at, created_by=BOT,
                updated_at=at, acknowledged_at=None, resolved_at=None, version=1)
            self._incidents[1] = incident
            self._links[1] = firing(at)
            self._event(1, at, BOT, "declared", {"title": incident.title, "severity": "high",
                                                 "services": list(incident.services)})
            for fp in self._links[1]:
                self._event(1, at, BOT, "alert_linked", {"fingerprint": fp})
        if u >= PICKED_UP_AFTER_S and "picked up" not in self._done and 1 in self._incidents:
            self._done.add("picked up")
            at = self._start + timedelta(seconds=PICKED_UP_AFTER_S)
            self._change(1, at, ENGINEER, commander=ENGINEER, status=IncidentStatus.IDENTIFIED)
            self._event(1, at, ENGINEER, "note", {"text": "supabase-db connection pool exhausted; raising the pool size"})
        if u >= MONITORING_AFTER_S and "monitoring" not in self._done and 1 in self._incidents:
            self._done.add("monitoring")
            at = self._start + timedelta(seconds=MONITORING_AFTER_S)
            if self._incidents[1].status is not IncidentStatus.RESOLVED:
                self._change(1, at, ENGINEER, status=IncidentStatus.MONITORING)

    def _event(self, incident_id: int, at: datetime, actor: str, kind: str, payload: dict[str, Any]) -> TimelineEvent:
        event = TimelineEvent(len(self._events) + 1, incident_id, at, actor, kind, payload)
        self._events.append(event)
        return event

    def _change(self, incident_id: int, at: datetime, actor: str, *, status: IncidentStatus | None = None,
                commander: str | None = None) -> None:
        current = self._incidents[incident_id]
        if status is not None and status is not current.status:
            self._event(incident_id, at, actor, "status", {"from": current.status.value, "to": status.value, "reason": ""})
        if commander is not None and commander != current.commander:
            self._event(incident_id, at, actor, "commander", {"from": current.commander, "to": commander})
        self._incidents[incident_id] = replace(
            current, status=status or current.status, commander=commander or current.commander,
            updated_at=at, version=current.version + 1, acknowledged_at=current.acknowledged_at or at)

    def declare(self, now: datetime, actor: str, title: str, severity: Severity, services: tuple[str, ...],
                description: str, alerts: tuple[str, ...]) -> Incident:
        """An incident declared through the console (ids count up after the script's)."""
        number = max([0, 1, *self._incidents]) + 1
        incident = Incident(number, title, description, severity, IncidentStatus.INVESTIGATING, services, None,
                            now, actor, now, None, None, 1)
        self._incidents[number] = incident
        self._links[number] = list(alerts)
        self._event(number, now, actor, "declared", {"title": title, "severity": severity.value,
                                                     "services": list(services)})
        for fp in alerts:
            self._event(number, now, actor, "alert_linked", {"fingerprint": fp})
        return incident

    # ------------------------------------------------------------------ reading

    def view(self) -> IncidentsView:
        open_ = [i for i in self._incidents.values() if i.status is not IncidentStatus.RESOLVED]
        open_.sort(key=lambda i: (i.created_at, i.id), reverse=True)
        return IncidentsView(tuple(IncidentSummary(i, len(self._links.get(i.id, ()))) for i in open_))

    def events(self, incident_id: int | None = None, after: int = 0) -> tuple[TimelineEvent, ...]:
        return tuple(e for e in self._events if e.id > after and (incident_id is None or e.incident_id == incident_id))
