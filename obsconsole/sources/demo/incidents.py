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
from typing import Any, Callable, Iterable, Sequence

from obsconsole.logic import lifecycle
from obsconsole.model import (
    Incident,
    IncidentConflict,
    IncidentsView,
    LinkedAlert,
    SourceError,
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
        self._links: dict[int, dict[str, LinkedAlert]] = {}
        self._done: set[str] = set()

    # ------------------------------------------------------------------ the script

    def advance(self, now: datetime, firing: Callable[[datetime], Sequence[LinkedAlert]] = lambda _at: ()) -> None:
        """Apply every scripted step whose time has come (each once). `firing(at)`: the
        incident's alerts firing then (linked when it is declared)."""
        u = (now - self._start).total_seconds()
        if u >= DECLARED_AFTER_S and "declared" not in self._done:
            self._done.add("declared")
            at = self._start + timedelta(seconds=DECLARED_AFTER_S)
            self.declare(at, BOT, "aigym-api: API error rate high (upstream supabase-db)", Severity.HIGH,
                         ("aigym-api", "supabase-db"),
                         "5xx above 10 % on aigym-api; connection pool errors from supabase-db", firing(at), number=1)
        if u >= PICKED_UP_AFTER_S and "picked up" not in self._done and 1 in self._incidents:
            self._done.add("picked up")
            at = self._start + timedelta(seconds=PICKED_UP_AFTER_S)
            current = self._incidents[1]
            if current.status is IncidentStatus.INVESTIGATING and current.commander is None:
                self._scripted(1, at, status=IncidentStatus.IDENTIFIED, commander=ENGINEER)
            self.note(at, ENGINEER, 1, "supabase-db connection pool exhausted; raising the pool size")
        if u >= MONITORING_AFTER_S and "monitoring" not in self._done and 1 in self._incidents:
            self._done.add("monitoring")
            at = self._start + timedelta(seconds=MONITORING_AFTER_S)
            if self._incidents[1].status is IncidentStatus.IDENTIFIED:
                self._scripted(1, at, status=IncidentStatus.MONITORING)

    def _scripted(self, incident_id: int, at: datetime, **change: Any) -> None:
        """A scripted step (taken only while nobody has moved the incident elsewhere:
        what a user does through the console stays on top)."""
        try:
            self.update(at, ENGINEER, incident_id, self._incidents[incident_id].version, **change)
        except ValueError:
            pass

    def _event(self, incident_id: int, at: datetime, actor: str, kind: str, payload: dict[str, Any]) -> TimelineEvent:
        event = TimelineEvent(len(self._events) + 1, incident_id, at, actor, kind, payload)
        self._events.append(event)
        return event

    # ------------------------------------------------------------------ writing (as the store does)

    def declare(self, now: datetime, actor: str, title: str, severity: Severity, services: tuple[str, ...],
                description: str, alerts: Iterable[LinkedAlert | str], number: int | None = None,
                suggestions: Iterable[str] = ()) -> Incident:
        """A new incident (ids count up after the script's: the scripted one is #1)."""
        number = number or max([1, *self._incidents]) + 1
        incident = Incident(number, title, description, severity, IncidentStatus.INVESTIGATING, services, None,
                            now, actor, now, None, None, 1)
        self._incidents[number] = incident
        self._links[number] = {}
        self._event(number, now, actor, "declared", {"title": title, "severity": severity.value,
                                                     "services": list(services)})
        self._link(now, actor, number, alerts)
        for text in suggestions:
            self._event(number, now, actor, "suggestion", {"text": text})
        return incident

    def update(self, now: datetime, actor: str, incident_id: int, version: int, *,
               status: IncidentStatus | None = None, reason: str = "", severity: Severity | None = None,
               commander: str | None = None) -> Incident:
        current = self.get(incident_id)
        if current.version != version:
            raise IncidentConflict(current)
        changes = lifecycle.plan_update(current, status=status, reason=reason, severity=severity, commander=commander)
        acked = lifecycle.acknowledges(current, status, commander)
        for kind, payload in changes:
            self._event(incident_id, now, actor, kind, payload)
        resolved_at = current.resolved_at if status is None else (now if status is IncidentStatus.RESOLVED else None)
        updated = replace(current, status=status or current.status, severity=severity or current.severity,
                          commander=commander or current.commander, updated_at=now, version=current.version + 1,
                          acknowledged_at=now if acked else current.acknowledged_at, resolved_at=resolved_at)
        self._incidents[incident_id] = updated
        return updated

    def note(self, now: datetime, actor: str, incident_id: int, text: str) -> TimelineEvent:
        if not text.strip():
            raise ValueError("a note needs text")
        self._touch(incident_id, now)
        return self._event(incident_id, now, actor, "note", {"text": text})

    def _link(self, now: datetime, actor: str, incident_id: int, alerts: Iterable[LinkedAlert | str]) -> int:
        links = self._links.setdefault(incident_id, {})
        added = 0
        for a in sorted((a if isinstance(a, LinkedAlert) else LinkedAlert(a) for a in alerts),
                        key=lambda a: a.fingerprint):
            if a.fingerprint in links:
                continue
            links[a.fingerprint] = replace(a, linked_at=now, linked_by=actor)
            payload = {"fingerprint": a.fingerprint, **{k: getattr(a, k) for k in ("name", "service", "severity", "category")
                                                        if getattr(a, k)}}
            self._event(incident_id, now, actor, "alert_linked", payload)
            added += 1
        return added

    def link(self, now: datetime, actor: str, incident_id: int, alerts: Iterable[LinkedAlert | str]) -> int:
        self.get(incident_id)
        added = self._link(now, actor, incident_id, alerts)
        if added:
            self._touch(incident_id, now)
        return added

    def unlink(self, now: datetime, actor: str, incident_id: int, fingerprint: str) -> bool:
        self.get(incident_id)
        gone = self._links.get(incident_id, {}).pop(fingerprint, None)
        if gone is None:
            return False
        self._touch(incident_id, now)
        self._event(incident_id, now, actor, "alert_unlinked",
                    {"fingerprint": fingerprint, "name": gone.name, "service": gone.service})
        return True

    def _touch(self, incident_id: int, now: datetime) -> None:
        self._incidents[incident_id] = replace(self.get(incident_id), updated_at=now)

    # ------------------------------------------------------------------ reading

    def get(self, incident_id: int) -> Incident:
        try:
            return self._incidents[incident_id]
        except KeyError:
            raise SourceError("not_found", f"no incident {incident_id}") from None

    def list(self, include_resolved: bool = False) -> tuple[Incident, ...]:
        found = [i for i in self._incidents.values() if include_resolved or i.status is not IncidentStatus.RESOLVED]
        found.sort(key=lambda i: (i.created_at, i.id), reverse=True)
        return tuple(found)

    def view(self) -> IncidentsView:
        return IncidentsView(tuple(IncidentSummary(i, len(self._links.get(i.id, ())), tuple(sorted(self._links.get(i.id, ()))))
                                   for i in self.list()))

    def linked(self, incident_id: int) -> tuple[LinkedAlert, ...]:
        self.get(incident_id)
        return tuple(self._links.get(incident_id, {}).values())

    def events(self, incident_id: int | None = None, after: int = 0) -> tuple[TimelineEvent, ...]:
        return tuple(e for e in self._events if e.id > after and (incident_id is None or e.incident_id == incident_id))
