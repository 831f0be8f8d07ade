"""`DemoPlatform`: the synthetic AI GYM platform behind every pane interface.

It implements InfraSource, LatencySource, SLOSource, AlertSource, LogSource and
SecuritySource (sources/base.py) and answers `describe()` for four simulated backends.
Every answer is a pure function of (seed, clock(), started_at, incident_after_s): two
platforms built alike agree at the same clock reading whatever was asked before, which
is what makes frozen-clock snapshots and tests reproducible.

Story (elapsed seconds, default incident_after_s=20):
  0-20     calm: everything OK, a low disk notice, a trickle of errors, routine logins
  20-35    aigym-api degrades (DB pool exhausted): p95 → ~3.6 s, 5xx → ~10 %
  ~30-45   a brute force from 203.0.113.45 (Wazuh 100002 ×5 → 100003 → 100004)
  ~30-150  APIResponseTimeHigh (medium) and APIErrorRateHigh (high) fire; error burst
  140-155  recovery; alerts resolve; api-latency's SLO budget stays spent
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Callable, Iterable, Sequence

from obsconsole.logic import logs as loglogic
from obsconsole.model import (
    ErrorStream,
    LogQuery,
    Matcher,
    Silence,
    Alert,
    HostGauge,
    LogEvent,
    SecurityView,
    ServiceLatency,
    SLODefinition,
    SLOMeasurement,
    SourceError,
    Incident,
    IncidentsView,
    IncidentStatus,
    LinkedAlert,
    Severity,
    TimelineEvent,
)
from obsconsole.logic.silences import matches
from obsconsole.model import AlertState, BackendStatus, ClusterOutcome
from obsconsole.panes import PANES
from obsconsole.sources.demo import alerts, logs, metrics, security, slo
from obsconsole.sources.demo.curves import Timeline, to_utc
from obsconsole.sources.demo.incidents import DemoIncidents

#: pane id → the simulated backend that serves it (as a real deployment would)
PANE_BACKENDS: dict[str, str] = {p.id: p.backend for p in PANES}

#: simulated backends and their versions, in `obsconsole check` order
BACKEND_VERSIONS: dict[str, str] = {
    "prometheus": "demo 2.53.0",
    "alertmanager": "demo 0.27.0",
    "elasticsearch": "demo 8.14.1",
    "wazuh": "demo 4.8.0",
    "incidents": "demo (in memory)",
}


class DemoPlatform:
    """The built-in synthetic platform.

    Args:
        seed: varies the noise, the calm error budgets and the event details.
        clock: returns the current time (aware UTC; naive is taken as UTC).
        started_at: elapsed 0 of the story; defaults to `clock()` now.
        incident_after_s: elapsed seconds when the scripted incident begins.
        faults: pane ids whose fetch fails as if its backend refused the connection.

    Raises:
        ValueError: a fault names an unknown pane.
    """

    def __init__(
        self,
        seed: int,
        clock: Callable[[], datetime],
        *,
        started_at: datetime | None = None,
        incident_after_s: float = 20.0,
        faults: Iterable[str] = (),
    ) -> None:
        self._clock = clock
        self.seed = seed
        self.started_at = to_utc(started_at if started_at is not None else clock())
        self.incident_after_s = float(incident_after_s)
        #: when the error stream was last polled, for its query (to count new events once)
        self._errors_polled: dict[LogQuery, float] = {}
        self.faults = frozenset(faults)
        unknown = sorted(self.faults - PANE_BACKENDS.keys())
        if unknown:
            raise ValueError(
                f"unknown demo fault pane(s) {', '.join(unknown)}; "
                f"expected some of {', '.join(PANE_BACKENDS)}"
            )
        self._timeline = Timeline(seed, self.started_at.timestamp(), self.incident_after_s)
        #: silences created through the console (acks work in the demo too)
        self._silences: dict[str, Silence] = {}
        #: what the error pane narrowed the stream to (`set_query`)
        self.log_query = LogQuery()
        #: the incident store, in memory, with the scripted incident, and its audit log
        self.incidents = DemoIncidents(self.started_at, self.incident_after_s)
        self.audit_log: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ the story

    def _now(self) -> float:
        return to_utc(self._clock()).timestamp()

    def elapsed(self) -> float:
        """Seconds since `started_at` per the clock (negative if the clock is earlier)."""
        return self._now() - self._timeline.started_ts

    def incident_phase(self) -> str:
        """"calm", "incident" (until fully recovered) or "recovered"."""
        return self._timeline.phase(self._now())

    def _check(self, pane: str) -> None:
        if pane in self.faults:
            backend = PANE_BACKENDS[pane]
            raise SourceError(
                "unreachable",
                f"demo: {backend} at demo://{backend} refused the connection (fault injected)",
            )

    # ------------------------------------------------------------------ sources

    async def fetch_hosts(self) -> tuple[HostGauge, ...]:
        """InfraSource: six hosts with 30 CPU samples at 10 s steps."""
        self._check("infra")
        return metrics.host_gauges(self._timeline, self._now())

    async def fetch_latency(self) -> tuple[ServiceLatency, ...]:
        """LatencySource: five services with 15 minutes of p95 at 15 s steps."""
        self._check("latency")
        return metrics.service_latencies(self._timeline, self._now())

    async def fetch_slo_measurements(
        self, slos: Sequence[SLODefinition]
    ) -> tuple[SLOMeasurement, ...]:
        """SLOSource: error ratios over each SLO's window and its four burn windows."""
        self._check("slo")
        return slo.measure_all(self._timeline, slos, self._now())

    async def fetch_alerts(self) -> tuple[Alert, ...]:
        """AlertSource: firing alerts, most severe first."""
        self._check("alerts")
        return alerts.active_alerts(self._timeline, self._now())

    async def fetch_alert_state(self) -> AlertState:
        """Alerts with the demo's own silences applied, as Alertmanager would."""
        found = await self.fetch_alerts()
        now = self._clock()
        current = {}
        for sid, s in self._silences.items():
            state = "expired" if s.state == "expired" or s.ends_at <= now else "active"
            current[sid] = dataclasses.replace(s, state=state)
        self._silences = current
        active = [s for s in current.values() if s.state == "active"]
        marked = []
        for alert in found:
            by = tuple(s.id for s in active if matches(s.matchers, alert.labels))
            marked.append(dataclasses.replace(alert, state="suppressed", silenced_by=by) if by else alert)
        return AlertState(tuple(marked), tuple(current.values()), ())

    async def create_silence(self, matchers: Sequence[Matcher], starts_at: datetime,
                             ends_at: datetime, created_by: str, comment: str) -> list[ClusterOutcome]:
        """Alertmanager's create, in memory. Ids count up: the demo stays deterministic."""
        self._check("alerts")
        sid = f"demo-silence-{len(self._silences) + 1}"
        self._silences[sid] = Silence(sid, tuple(matchers), starts_at, ends_at, created_by,
                                      comment, "active", ("demo://alertmanager",))
        return [ClusterOutcome("demo", "demo://alertmanager", True, sid)]

    async def expire_silence(self, silence: Silence) -> ClusterOutcome:
        self._check("alerts")
        held = self._silences.get(silence.id)
        if held is None:
            return ClusterOutcome("demo", None, False, f"no silence {silence.id}")
        self._silences[silence.id] = dataclasses.replace(held, state="expired", ends_at=self._clock())
        return ClusterOutcome("demo", "demo://alertmanager", True, silence.id)

    async def fetch_errors(self, limit: int) -> tuple[LogEvent, ...]:
        """LogSource: ERROR/FATAL events of the last hour, newest first, at most `limit`."""
        self._check("errors")
        return logs.recent_errors(self._timeline, self._now(), limit)

    def set_query(self, query: LogQuery) -> None:
        """LogSource: narrow the error stream (levels, services, literal text)."""
        self.log_query = query

    async def fetch_error_stream(self, limit: int) -> ErrorStream:
        """LogSource: the stream as the Elasticsearch source shapes it. `new_events`
        counts the events since the previous poll of the same query (each event once);
        the rate is that of the last minute, a pure function of the clock."""
        self._check("errors")
        now = self._now()
        query = self.log_query
        unfiltered = LogQuery(text=query.text, levels=query.levels)
        seen = [e for e in logs.recent_errors(self._timeline, now, 1_000_000) if loglogic.matches(e, unfiltered)]
        window = [e for e in seen if loglogic.matches(e, query)] if query.services else seen
        at = to_utc(self._clock())
        last_minute = sum(1 for e in window if e.timestamp.timestamp() > now - 60.0)
        previous = self._errors_polled.get(query)
        new = len(window) if previous is None else sum(1 for e in window if previous < e.timestamp.timestamp() <= now)
        self._errors_polled = {query: now}
        return ErrorStream(
            events=tuple(window[:max(0, limit)]),
            histogram=loglogic.histogram(window, at, logs.WINDOW_S, 60.0),
            bucket_s=60.0,
            by_service=loglogic.by_service(window),
            new_events=new,
            rate_per_s=last_minute / 60.0,
            query=query,
            services=tuple(sorted({e.service for e in seen})),
        )

    async def fetch_security_events(self, min_level: int, limit: int) -> SecurityView:
        """SecuritySource: Wazuh alerts of the last 24 h at or above `min_level`, with
        the 24 h top 10 and the brute-force addresses."""
        self._check("security")
        return security.security_view(self._timeline, self._now(), min_level, limit)

    async def fetch_incidents(self) -> IncidentsView:
        """IncidentSource: the open incidents of the in-memory store."""
        return self._store().view()

    def _store(self) -> DemoIncidents:
        """The in-memory store with its script advanced to now (a faulted store refuses)."""
        self._check("incidents")
        self.incidents.advance(to_utc(self._clock()), self._incident_alerts)
        return self.incidents

    def _stamp(self) -> tuple[datetime, str]:
        from obsconsole.actions.audit import actor

        return to_utc(self._clock()), actor()

    async def declare(self, title: str, severity: Severity, services: Sequence[str], description: str = "",
                      alerts: Iterable[LinkedAlert | str] = (), suggestions: Sequence[str] = ()) -> Incident:
        """IncidentSource: in memory, signed by this console's user."""
        from obsconsole.logic.lifecycle import clean_title

        store = self._store()
        return store.declare(*self._stamp(), clean_title(title), severity, tuple(services), description, alerts,
                             suggestions=suggestions)

    async def get(self, incident_id: int) -> Incident:
        return self._store().get(incident_id)

    async def list(self, *, include_resolved: bool = False, limit: int = 1000) -> tuple[Incident, ...]:
        return self._store().list(include_resolved)[:limit]

    async def events(self, incident_id: int | None = None, *, after: int = 0, limit: int | None = None) -> tuple[TimelineEvent, ...]:
        return self._store().events(incident_id, after)[:limit]

    async def linked(self, incident_id: int) -> tuple[LinkedAlert, ...]:
        return self._store().linked(incident_id)

    async def update(self, incident_id: int, version: int, *, status: IncidentStatus | None = None,
                     reason: str = "", severity: Severity | None = None, commander: str | None = None) -> Incident:
        store = self._store()
        return store.update(*self._stamp(), incident_id, version, status=status, reason=reason,
                            severity=severity, commander=commander)

    async def note(self, incident_id: int, text: str) -> TimelineEvent:
        store = self._store()
        return store.note(*self._stamp(), incident_id, text)

    async def link(self, incident_id: int, alerts: Iterable[LinkedAlert | str]) -> int:
        store = self._store()
        return store.link(*self._stamp(), incident_id, alerts)

    async def unlink(self, incident_id: int, fingerprint: str) -> bool:
        store = self._store()
        return store.unlink(*self._stamp(), incident_id, fingerprint)

    def _incident_alerts(self, at: datetime) -> tuple[LinkedAlert, ...]:
        """aigym-api's alerts firing at `at` (the scripted incident's)."""
        from obsconsole.logic.lifecycle import linked_alerts

        return linked_alerts(a for a in alerts.active_alerts(self._timeline, at.timestamp())
                             if a.labels.get("service") == "aigym-api")

    async def audit(self, action: str, target: str, ok: bool, detail: dict[str, Any]) -> None:
        """IncidentSource: the shared audit log, in memory."""
        self._check("incidents")
        self.audit_log.append({"action": action, "target": target, "ok": ok, "detail": detail})

    async def describe(self) -> list[BackendStatus]:
        """One status per simulated backend; a backend with a faulted pane is unreachable."""
        out = []
        for backend, version in BACKEND_VERSIONS.items():
            faulted = sorted(p for p in self.faults if PANE_BACKENDS[p] == backend)
            out.append(
                BackendStatus(
                    backend=backend,
                    target=f"demo://{backend}",
                    reachable=not faulted,
                    version=None if faulted else version,
                    latency_s=None if faulted else 0.0,
                    detail=f"fault injected ({', '.join(faulted)})" if faulted else "",
                )
            )
        return out
