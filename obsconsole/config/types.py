"""The typed config: frozen dataclasses, the contract the rest of the program relies on.

A `Config` holds named *contexts* (environments: prod, staging, demo…), each a `Context`
with its backends, panes, thresholds, SLOs, notification channels and label mapping.
The loader (`obsconsole.config.load`) fills them and is the only place that reads YAML.

A setting's default lives only here, in its dataclass field: the loader passes just the
keys the file sets, so a default is never written down twice (the built-in SLOs,
channels and label aliases are in `defaults`). The pane ids and each pane's default
schedule come from the pane registry (`obsconsole.panes`), re-exported here as
`PANE_IDS` and `DEFAULT_PANES`. The threshold types
(`Bands`, `Limits`, `Thresholds`) and the SLO types (`SLODefinition`, `BurnWindow`) live
below this package, in `logic.thresholds` and `model`, because logic reads them and must
not import config; `obsconsole.config` re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from obsconsole.logic.thresholds import Thresholds
from obsconsole.model import SLODefinition
from obsconsole.panes import PANE_IDS as PANE_IDS
from obsconsole.panes import PANES


# --------------------------------------------------------------------------- backends


@dataclass(frozen=True)
class HttpAuth:
    """Credentials and TLS for an HTTP backend. Secrets come from `${ENV}` or files."""

    bearer_token: str | None = None
    username: str | None = None
    password: str | None = None
    api_key: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    ca_bundle: str | None = None
    verify_tls: bool = True


@dataclass(frozen=True)
class PrometheusBackend:
    url: str
    auth: HttpAuth = HttpAuth()
    timeout_s: float = 10.0
    #: the range of rate()/irate() in the gauge and latency queries (SPEC: 5m)
    rate_window_s: float = 300.0


@dataclass(frozen=True)
class AlertmanagerBackend:
    url: str
    #: peers with the same cluster name share silences by gossip: ack once per cluster.
    #: None means unclustered (its own cluster).
    cluster: str | None = None
    auth: HttpAuth = HttpAuth()
    timeout_s: float = 10.0
    #: only alerts routed to this receiver (Alertmanager's `receiver` filter)
    receiver: str | None = None
    #: only alerts matching these matchers, e.g. 'team="payments"' (`filter` parameter)
    filters: tuple[str, ...] = ()


@dataclass(frozen=True)
class LogFields:
    """Field names in the log indices (SPEC §8: they differ between deployments).

    The defaults are the AI GYM pipeline's: fluentd keeps the record's `timestamp` (no
    logstash_format, so no `@timestamp`) and the index template maps level, service,
    component and trace_id as keywords. On dynamically mapped indices use the `.keyword`
    sub-fields (`level.keyword`): filters and aggregations need exact values."""

    timestamp: str = "timestamp"
    level: str = "level"
    service: str = "service"
    component: str = "component"
    message: str = "message"
    trace_id: str = "trace_id"


@dataclass(frozen=True)
class ElasticsearchBackend:
    urls: tuple[str, ...]
    indices: tuple[str, ...] = ("aigym-errors-*", "aigym-logs-*")
    levels: tuple[str, ...] = ("ERROR", "FATAL")
    fields: LogFields = LogFields()
    auth: HttpAuth = HttpAuth()
    timeout_s: float = 10.0


@dataclass(frozen=True)
class JaegerBackend:
    url: str
    auth: HttpAuth = HttpAuth()
    timeout_s: float = 10.0


@dataclass(frozen=True)
class WazuhBackend:
    """Either the indexer (OpenSearch API) or the manager's alerts.json (or both)."""

    indexer_url: str | None = None
    index: str = "wazuh-alerts-4.x-*"
    alerts_json: str | None = None
    auth: HttpAuth = HttpAuth()
    timeout_s: float = 10.0


@dataclass(frozen=True)
class PostgresBackend:
    dsn: str
    timeout_s: float = 10.0


@dataclass(frozen=True)
class PagerDutyBackend:
    routing_key: str
    url: str = "https://events.pagerduty.com/v2/enqueue"
    timeout_s: float = 10.0


@dataclass(frozen=True)
class Backends:
    prometheus: PrometheusBackend | None = None
    alertmanager: tuple[AlertmanagerBackend, ...] = ()
    elasticsearch: ElasticsearchBackend | None = None
    jaeger: JaegerBackend | None = None
    wazuh: WazuhBackend | None = None
    postgres: PostgresBackend | None = None
    pagerduty: PagerDutyBackend | None = None
    #: the shared incident store (PostgreSQL); None: incidents are not kept
    incidents: PostgresBackend | None = None


# --------------------------------------------------------------------------- panes


@dataclass(frozen=True)
class PaneConfig:
    """One overview pane's schedule."""

    refresh_s: float
    timeout_s: float = 10.0
    enabled: bool = True


#: each pane's default schedule, from the pane registry (obsconsole/panes.py)
DEFAULT_PANES: Mapping[str, PaneConfig] = {p.id: PaneConfig(p.refresh_s, p.timeout_s) for p in PANES}


@dataclass(frozen=True)
class Panes:
    refresh: Mapping[str, PaneConfig] = field(default_factory=lambda: dict(DEFAULT_PANES))
    #: error stream: events kept in memory (SPEC: default 5,000)
    errors_buffer: int = 5000
    #: Wazuh pane: minimum rule level shown (SPEC §10 dashboard: 5)
    security_min_level: int = 5
    #: latency chart span in minutes
    latency_chart_minutes: int = 15


# --------------------------------------------------------------------------- routing


@dataclass(frozen=True)
class Channel:
    """A notification channel (SPEC §5)."""

    name: str
    kind: str  # pagerduty | slack | email | webhook
    severities: tuple[str, ...]
    categories: tuple[str, ...]
    escalation_min: tuple[float, ...] = (0,)
    target: str = ""
    #: (start_hour, end_hour) UTC during which the channel is active; None = always
    active_hours_utc: tuple[int, int] | None = None
    policy: str = ""


@dataclass(frozen=True)
class LabelMapping:
    """Which label names a service, and aliases between names (SPEC §3-4)."""

    service_label: str = "service"
    aliases: Mapping[str, str] = field(default_factory=dict)
    #: extra PromQL label matchers for the HTTP metrics, e.g. 'env="prod"' (SPEC §3: the
    #: selectors differ between deployments)
    http_selector: str = ""

    def canonical(self, service: str) -> str:
        return self.aliases.get(service, service)


# --------------------------------------------------------------------------- context


@dataclass(frozen=True)
class DemoSettings:
    """The built-in synthetic platform instead of real backends."""

    seed: int = 1
    #: seconds after start when the scripted incident begins
    incident_after_s: float = 20.0
    #: panes whose demo source fails (to see the error state)
    faults: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    name: str
    backends: Backends = Backends()
    demo: DemoSettings | None = None
    panes: Panes = Panes()
    thresholds: Thresholds = Thresholds()
    slos: tuple[SLODefinition, ...] = ()
    channels: tuple[Channel, ...] = ()
    labels: LabelMapping = LabelMapping()
    #: default duration of an ack (a silence), seconds
    ack_duration_s: float = 15 * 60


@dataclass(frozen=True)
class Config:
    path: str  # the file it came from, or "<built-in demo>"
    contexts: Mapping[str, Context]
    current_context: str
    theme: str = "dark"
    keymap: str = "default"
    audit_log: str | None = None
    #: ring the terminal bell on a new critical alert group or when the console turns
    #: CRITICAL (the toast and the terminal title change either way)
    bell: bool = True

    @property
    def context(self) -> Context:
        return self.contexts[self.current_context]
