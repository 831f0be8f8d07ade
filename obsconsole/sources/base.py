"""The interfaces between panes and backends (the result types they share are in
`obsconsole.model`).

Each pane asks one of these for its data. A backend module implements those it can
serve (Prometheus: infra, latency, SLOs; Alertmanager: alerts; Elasticsearch: logs;
Wazuh: security); the demo platform implements them all. Methods are async, return
model objects (tuples, newest first where order matters) and raise only `SourceError`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Protocol, Sequence, runtime_checkable

from obsconsole.model import (
    Incident,
    IncidentsView,
    IncidentStatus,
    LinkedAlert,
    TimelineEvent,
    Severity,
    Alert,
    AlertState,
    BackendStatus,
    ClusterOutcome,
    Matcher,
    ErrorStream,
    LogQuery,
    Silence,
    HostGauge,
    SecurityView,
    ServiceLatency,
    SLODefinition,
    SLOMeasurement,
)


@runtime_checkable
class InfraSource(Protocol):
    async def fetch_hosts(self) -> tuple[HostGauge, ...]:
        """Every host's gauges with a short CPU history for the sparkline."""
        ...


@runtime_checkable
class LatencySource(Protocol):
    async def fetch_latency(self) -> tuple[ServiceLatency, ...]:
        """Per service p50/p95/p99, 5xx ratio and 15 minutes of p95 history."""
        ...


@runtime_checkable
class SLOSource(Protocol):
    async def fetch_slo_measurements(
        self, slos: Sequence[SLODefinition]
    ) -> tuple[SLOMeasurement, ...]:
        """Error ratios over each SLO's window and each of its burn windows."""
        ...


@runtime_checkable
class AlertSource(Protocol):
    """Alerts, and what an ack needs: silences to read, create and expire."""

    async def fetch_alerts(self) -> tuple[Alert, ...]:
        """Active (and silenced) alerts, de-duplicated by fingerprint."""
        ...

    async def fetch_alert_state(self) -> AlertState:
        """Alerts, silences and the instances that could not be read, in one read."""
        ...

    async def create_silence(self, matchers: Sequence[Matcher], starts_at: datetime,
                             ends_at: datetime, created_by: str, comment: str) -> list[ClusterOutcome]:
        """One outcome per cluster; never raises for a cluster that refused."""
        ...

    async def expire_silence(self, silence: Silence) -> ClusterOutcome:
        ...


@runtime_checkable
class LogSource(Protocol):
    async def fetch_error_stream(self, limit: int) -> ErrorStream:
        """The error stream: the newest `limit` events at the configured error levels
        (narrowed by the query last set), newest first, with its histogram."""
        ...

    #: what the stream is narrowed to (set with `set_query`)
    log_query: LogQuery

    def set_query(self, query: LogQuery) -> None:
        """Narrow the stream (levels, services, literal text); the next fetch uses it."""
        ...


@runtime_checkable
class SecuritySource(Protocol):
    async def fetch_security_events(
        self, min_level: int, limit: int
    ) -> "SecurityView":
        """The newest `limit` security events of the last 24 h with rule level >=
        min_level, newest first, with the 24 h top 10 and the brute-force addresses."""
        ...


@runtime_checkable
class Describable(Protocol):
    async def describe(self) -> "list[BackendStatus]":
        """For `obsconsole check`: reachable, version, latency of each backend it speaks
        to (an HA pair of Alertmanagers is two lines)."""
        ...


@runtime_checkable
class IncidentSource(Protocol):
    """The shared incident store (PostgreSQL, or the demo's in memory). Writes are signed
    by this console's user; a change based on an old version raises IncidentConflict,
    one the lifecycle forbids ValueError; nothing is written then."""

    async def fetch_incidents(self) -> IncidentsView:
        """The open incidents, newest first, with their linked alert counts."""
        ...

    async def get(self, incident_id: int) -> Incident:
        ...

    async def list(self, *, include_resolved: bool = False, limit: int = 1000) -> tuple[Incident, ...]:
        """Newest first; open ones only unless `include_resolved`."""
        ...

    async def events(self, incident_id: int | None = None, *, after: int = 0,
                     limit: int | None = None) -> tuple[TimelineEvent, ...]:
        """Timeline events with an id above `after`, oldest first."""
        ...

    async def linked(self, incident_id: int) -> tuple[LinkedAlert, ...]:
        """The alerts linked to the incident, as they were when linked."""
        ...

    async def declare(self, title: str, severity: Severity, services: Sequence[str], description: str = "",
                      alerts: Iterable[LinkedAlert | str] = (), suggestions: Sequence[str] = ()) -> Incident:
        """A new incident (investigating), alerts linked, each suggestion a `suggestion`
        event after the `declared` one."""
        ...

    async def update(self, incident_id: int, version: int, *, status: IncidentStatus | None = None,
                     reason: str = "", severity: Severity | None = None, commander: str | None = None) -> Incident:
        ...

    async def note(self, incident_id: int, text: str) -> TimelineEvent:
        ...

    async def link(self, incident_id: int, alerts: Iterable[LinkedAlert | str]) -> int:
        """How many were newly linked."""
        ...

    async def unlink(self, incident_id: int, fingerprint: str) -> bool:
        """False if it was not linked."""
        ...

    async def audit(self, action: str, target: str, ok: bool, detail: dict[str, Any]) -> None:
        """One record in the shared audit log (every console's actions)."""
        ...
