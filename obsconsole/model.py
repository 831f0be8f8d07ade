"""The domain model: frozen dataclasses and enums shared by every layer.

Nothing here does I/O or imports Textual. Sources build these objects, `logic/`
derives from them, the hub wraps them in `Snapshot`s and the UI renders them.
Times are timezone-aware UTC `datetime`s; durations are seconds (float).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Mapping, TypeVar

T = TypeVar("T")


class Health(enum.IntEnum):
    """Health of something shown, in monitoring-plugin order (its value is the exit code).

    The *ranking* used to find the worst of several is not the numeric order: see `worst`.
    """

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


#: CRITICAL beats UNKNOWN beats WARNING beats OK: a backend we could not read hides
#: less than a known critical, but more than a known warning.
_HEALTH_RANK = {Health.OK: 0, Health.WARNING: 1, Health.UNKNOWN: 2, Health.CRITICAL: 3}


def worst(healths: "list[Health] | tuple[Health, ...]") -> Health:
    """The most serious of `healths` (OK when empty)."""
    return max(healths, key=_HEALTH_RANK.__getitem__, default=Health.OK)


class Severity(str, enum.Enum):
    """Alert severity (SPEC §4): critical, high, medium, low, info."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe."""
        return _SEVERITY_RANK[self]

    @classmethod
    def parse(cls, value: str | None) -> "Severity":
        """Lenient parse of a label value; unknown or missing becomes INFO.

        Alertmanager rules in the wild also say `warning`/`page`: map them sensibly.
        """
        text = (value or "").strip().lower()
        aliases = {"warning": "medium", "warn": "medium", "page": "critical", "error": "high"}
        text = aliases.get(text, text)
        try:
            return cls(text)
        except ValueError:
            return cls.INFO

    @property
    def health(self) -> Health:
        """What an active alert of this severity means for the console's exit code."""
        if self is Severity.CRITICAL:
            return Health.CRITICAL
        if self in (Severity.HIGH, Severity.MEDIUM):
            return Health.WARNING
        return Health.OK


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class LogLevel(str, enum.Enum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"
    FATAL = "FATAL"

    @classmethod
    def parse(cls, value: str | None) -> "LogLevel":
        text = (value or "").strip().upper()
        if text == "WARNING":
            text = "WARN"
        if text == "CRITICAL":
            text = "FATAL"
        try:
            return cls(text)
        except ValueError:
            return cls.INFO


class SLOState(str, enum.Enum):
    """SLO status (SPEC §7)."""

    HEALTHY = "healthy"
    AT_RISK = "at_risk"
    VIOLATED = "violated"

    @property
    def health(self) -> Health:
        return {
            SLOState.HEALTHY: Health.OK,
            SLOState.AT_RISK: Health.WARNING,
            SLOState.VIOLATED: Health.CRITICAL,
        }[self]


# --------------------------------------------------------------------------- errors


class SourceError(Exception):
    """The only exception a source may raise.

    Attributes:
        kind: a short machine word: "unreachable", "timeout", "auth", "bad_response",
            "unsupported", "config", "internal".
        message: one line a human can act on. Never contains secrets.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class FetchError:
    """A failed fetch as kept by the hub: what went wrong, in one line."""

    kind: str
    message: str

    def one_line(self) -> str:
        text = f"{self.kind}: {self.message}"
        return " ".join(text.split())


@dataclass(frozen=True)
class Snapshot(Generic[T]):
    """One schedule's latest state: the last good value, when it was fetched, and the
    error of the latest attempt if that attempt failed.

    `value` is kept across failures, so a pane can keep showing the last good data with
    its age next to the error.
    """

    value: T | None
    fetched_at: datetime | None
    error: FetchError | None = None
    attempted_at: datetime | None = None
    #: consecutive failures of this schedule (0 after a success)
    failures: int = 0

    def age(self, now: datetime) -> float | None:
        """Seconds since the last good value, or None if there never was one."""
        if self.fetched_at is None:
            return None
        return max(0.0, (now - self.fetched_at).total_seconds())

    @property
    def has_value(self) -> bool:
        return self.fetched_at is not None


# --------------------------------------------------------------------------- infra


@dataclass(frozen=True)
class HostGauge:
    """One host's node-exporter gauges (SPEC §2). Percentages are 0-100."""

    host: str
    cpu_pct: float | None
    mem_pct: float | None
    disk_pct: float | None
    net_bytes_per_s: float | None
    #: recent CPU % samples, oldest first, for the sparkline
    cpu_history: tuple[float, ...] = ()


# --------------------------------------------------------------------------- latency


@dataclass(frozen=True)
class ServiceLatency:
    """Latency percentiles (seconds) and 5xx ratio (0-1) of one service (SPEC §3)."""

    service: str
    p50_s: float | None
    p95_s: float | None
    p99_s: float | None
    error_ratio: float | None
    requests_per_s: float | None = None
    #: (unix seconds, p95 seconds) over the last 15 minutes, oldest first
    p95_history: tuple[tuple[float, float], ...] = ()


# --------------------------------------------------------------------------- SLOs


@dataclass(frozen=True)
class BurnWindow:
    """A multi-window burn-rate condition: fires when the burn rate over both the long and
    the short window exceeds `factor` (Google SRE workbook)."""

    factor: float
    long_s: float
    short_s: float


@dataclass(frozen=True)
class SLODefinition:
    """An SLO as configured (SPEC §7)."""

    id: str
    service: str
    description: str
    target: float  # a ratio, e.g. 0.999
    window_s: float
    fast: BurnWindow
    slow: BurnWindow
    #: "prometheus" (computed in PromQL from the raw series) or "sloth" (recorded series)
    source: str = "prometheus"
    #: SLI as PromQL: good / total, with `{window}` substituted (used by the Prometheus source)
    good_query: str = ""
    total_query: str = ""


@dataclass(frozen=True)
class SLOMeasurement:
    """What a source measured for one SLO: the error ratio (0-1, bad/total) over the SLO
    window and over each burn-rate window, keyed by window seconds."""

    slo_id: str
    error_ratio_window: float | None
    error_ratios: Mapping[float, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class SLOStatus:
    """An evaluated SLO (see logic/slo.py)."""

    slo_id: str
    service: str
    description: str
    target: float
    window_s: float
    sli: float | None  # good ratio over the window
    budget_remaining: float | None  # 1.0 = untouched, negative = overspent
    fast_burn: float | None  # burn rate over the fast condition's long window
    slow_burn: float | None
    fast_firing: bool
    slow_firing: bool
    state: SLOState


# --------------------------------------------------------------------------- alerts


@dataclass(frozen=True)
class Alert:
    """An active alert as Alertmanager (or the demo) reports it."""

    fingerprint: str
    name: str
    severity: Severity
    category: str
    service: str
    starts_at: datetime
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    #: "active", "suppressed" (silenced/inhibited) or "unprocessed"
    state: str = "active"
    silenced_by: tuple[str, ...] = ()
    #: which Alertmanager(s) reported it
    origins: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return self.annotations.get("title") or self.annotations.get("summary") or self.name


@dataclass(frozen=True)
class AlertGroup:
    """Correlated alerts (SPEC §4): same service and category, joined while the group is
    less than 5 minutes old; the group takes the highest severity."""

    key: str
    service: str
    category: str
    severity: Severity
    alerts: tuple[Alert, ...]
    first_at: datetime
    last_at: datetime

    @property
    def status(self) -> str:
        """"acknowledged" when every alert is silenced, else "active"."""
        if self.alerts and all(a.state == "suppressed" for a in self.alerts):
            return "acknowledged"
        return "active"

    @property
    def title(self) -> str:
        top = max(self.alerts, key=lambda a: a.severity.rank)
        return top.title


@dataclass(frozen=True)
class Matcher:
    """An Alertmanager matcher: `name="value"`, `name=~"regex"`, `!=`, `!~`."""

    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True

    def __str__(self) -> str:
        op = ("=~" if self.is_regex else "=") if self.is_equal else ("!~" if self.is_regex else "!=")
        return f'{self.name}{op}"{self.value}"'


@dataclass(frozen=True)
class Silence:
    """An Alertmanager silence (an ack is a silence)."""

    id: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    state: str  # active | pending | expired
    #: which Alertmanager cluster(s) hold it, by a URL of each
    origins: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertsView:
    """What the alerts pane shows: groups, the silences that ack them, and the
    Alertmanager peers that could not be read (the pane names them)."""

    groups: tuple[AlertGroup, ...]
    silences: Mapping[str, Silence] = field(default_factory=dict)
    peers_down: tuple[str, ...] = ()

    def acks(self, group: AlertGroup) -> tuple[Silence, ...]:
        """The active silences that silence any alert of `group`, longest-lasting first."""
        ids = {sid for a in group.alerts for sid in a.silenced_by}
        found = [self.silences[i] for i in ids if i in self.silences and self.silences[i].state == "active"]
        return tuple(sorted(found, key=lambda s: s.ends_at, reverse=True))


@dataclass(frozen=True)
class ActionResult:
    """What an action did, for the UI and the audit log. `ok` is False unless the
    backend confirmed every part of it."""

    ok: bool
    summary: str
    details: tuple[str, ...] = ()


# --------------------------------------------------------------------------- logs


@dataclass(frozen=True)
class LogEvent:
    """A structured log record (SPEC §8)."""

    id: str
    timestamp: datetime
    level: LogLevel
    service: str
    message: str
    component: str = ""
    trace_id: str = ""
    span_id: str = ""
    correlation_id: str = ""
    host: str = ""
    error_name: str = ""
    error_message: str = ""
    error_stack: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LogQuery:
    """What the error stream is narrowed to. `text` matches literally (case-insensitive
    substring of the message, error, service, component or ids): it is data, never
    query syntax. Empty levels: the configured error levels; empty services: all."""

    text: str = ""
    levels: tuple[LogLevel, ...] = ()
    services: tuple[str, ...] = ()

    @property
    def narrowed(self) -> bool:
        return bool(self.text or self.levels or self.services)


@dataclass(frozen=True)
class LogBucket:
    """One bar of the error histogram: events from `start` for the bucket's length."""

    start: datetime
    count: int


@dataclass(frozen=True)
class ServiceErrors:
    """Errors of one service over the histogram's window, split by component."""

    service: str
    count: int
    components: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class ErrorStream:
    """What the error pane shows: the live tail plus its overview.

    `events` is newest first and bounded (panes.errors.buffer). Under a flood the tail
    does not queue: it keeps a sample (the newest events of the poll), says so with
    `sampled`, and `rate_per_s` tells how fast events really arrive.
    """

    events: tuple[LogEvent, ...]
    histogram: tuple[LogBucket, ...] = ()
    bucket_s: float = 60.0
    by_service: tuple[ServiceErrors, ...] = ()
    #: events that arrived since the previous poll (all of them, sampled or not)
    new_events: int = 0
    rate_per_s: float | None = None
    sampled: bool = False
    #: events the flood made us skip, in total since the tail started
    skipped: int = 0
    query: LogQuery = LogQuery()
    #: every service with events in the window under the query's level and text, the
    #: service filter left out (what `s` cycles through), sorted
    services: tuple[str, ...] = ()


# --------------------------------------------------------------------------- security


@dataclass(frozen=True)
class SecurityEvent:
    """A Wazuh alert (SPEC §10)."""

    id: str
    timestamp: datetime
    rule_id: str
    level: int
    description: str
    agent_id: str = ""
    agent_name: str = ""
    srcip: str = ""
    groups: tuple[str, ...] = ()
    mitre_ids: tuple[str, ...] = ()
    mitre_tactics: tuple[str, ...] = ()
    location: str = ""
    full_log: str = ""


@dataclass(frozen=True)
class SecurityTop:
    """One row of the "Security Events (24h)" panel (SPEC §10): how many alerts of rule
    level >= the pane's minimum had this level and description over the last 24 h."""

    level: int
    description: str
    count: int


@dataclass(frozen=True)
class SecurityView:
    """What the security pane shows.

    `events` is newest first. `top` is the 24 h top 10 by level then count. Both are
    computed over what the source could see: the indexer counts the whole 24 h, an
    alerts.json tail only the events it holds (bounded). `brute_force_ips` are the source
    addresses of the brute-force rules (logic/wazuh.py), most recent first.
    `skipped_lines` counts alerts.json lines that were not alerts (malformed, cut,
    over-long) since the tail started; `warnings` are partial failures, one line each
    (one of indexer / alerts.json down), shown while the rest is good.
    """

    events: tuple[SecurityEvent, ...]
    top: tuple[SecurityTop, ...] = ()
    brute_force_ips: tuple[str, ...] = ()
    skipped_lines: int = 0
    warnings: tuple[str, ...] = ()


# ------------------------------------------------------------------ backends' answers


@dataclass(frozen=True)
class BackendStatus:
    """One line of `obsconsole check`."""

    backend: str  # "prometheus", "alertmanager", ...
    target: str  # URL, file or "demo"
    reachable: bool
    version: str | None
    latency_s: float | None
    detail: str = ""


@dataclass(frozen=True)
class AlertState:
    """One read of every instance."""

    alerts: tuple[Alert, ...]
    silences: tuple[Silence, ...]
    #: "URL: reason" for each instance that could not be read
    peers_down: tuple[str, ...]


@dataclass(frozen=True)
class ClusterOutcome:
    """What one cluster answered to a create or expire."""

    cluster: str
    url: str | None  # the instance that accepted, if any
    ok: bool
    detail: str  # the silence id, or why it failed


# ------------------------------------------------------------------ incidents (SPEC §6)


class IncidentStatus(str, enum.Enum):
    """investigating → identified → monitoring → resolved (logic.lifecycle says which
    changes are allowed)."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Incident:
    """One incident as the shared store holds it. `version` counts its changes: a write
    names the version it was based on, and loses if another landed first."""

    id: int
    title: str
    description: str
    severity: Severity
    status: IncidentStatus
    services: tuple[str, ...]
    commander: str | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    version: int


@dataclass(frozen=True)
class TimelineEvent:
    """One line of an incident's timeline: who did what, when (payload: the details)."""

    id: int
    incident_id: int
    at: datetime
    actor: str
    kind: str
    payload: Mapping[str, Any] = field(default_factory=dict)


class IncidentConflict(Exception):
    """A change based on an old version of an incident: another landed first. Holds the
    incident as it is now, to show the user before they try again."""

    def __init__(self, current: Incident) -> None:
        super().__init__(f"incident {current.id} changed meanwhile (now version {current.version}, "
                         f"{current.status.value}, {current.severity.value})")
        self.current = current


@dataclass(frozen=True)
class IncidentSummary:
    """An open incident as the incidents pane lists it."""

    incident: Incident
    #: how many alerts are linked to it
    linked_alerts: int
    #: their fingerprints (the alerts pane stops a linked group's escalation clock once
    #: the incident is acknowledged)
    fingerprints: tuple[str, ...] = ()


@dataclass(frozen=True)
class IncidentsView:
    """The incidents pane's data: the open incidents, newest first."""

    incidents: tuple[IncidentSummary, ...]


@dataclass(frozen=True)
class LinkedAlert:
    """An alert linked to an incident, as it was when linked: Alertmanager forgets an
    alert once it resolves, the incident's record must not."""

    fingerprint: str
    name: str = ""
    service: str = ""
    severity: str = ""
    #: when the alert began firing (Alertmanager's startsAt), if known
    starts_at: datetime | None = None
    linked_at: datetime | None = None
    linked_by: str = ""
    #: the alert's category label (infrastructure, application, security…)
    category: str = ""


@dataclass(frozen=True)
class SloBurn:
    """One SLO of an affected service over an incident: the error budget remaining when
    the incident began and now, as fractions of the whole budget (1.0 = untouched,
    negative = overspent). None where the backend could not say."""

    slo_id: str
    service: str
    remaining_at_start: float | None
    remaining_now: float | None

    @property
    def burned(self) -> float | None:
        """The share of the whole budget spent since the incident began."""
        if self.remaining_at_start is None or self.remaining_now is None:
            return None
        return self.remaining_at_start - self.remaining_now
