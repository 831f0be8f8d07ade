"""The backends of one context, built once and handed to every pane that needs them.

Heavy client libraries are imported here, lazily, only for backends the context
configures (start-up is paid on every login). A pane whose backend is missing gets a
`Missing` that fails every fetch with a one-line reason the pane shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from obsconsole.model import AlertState, BackendStatus, ClusterOutcome, Incident, LogQuery, SourceError
from obsconsole.panes import PANES
from obsconsole.sources.base import (
    AlertSource,
    IncidentSource,
    InfraSource,
    LatencySource,
    LogSource,
    SecuritySource,
    SLOSource,
)

if TYPE_CHECKING:
    from obsconsole.sources.pagerduty import PagerDuty
    from obsconsole.config import Context
    from obsconsole.sources.demo import DemoPlatform

Clock = Callable[[], datetime]


class Missing:
    """Stands in for a backend a pane needs but the context lacks (kind "config"), or
    one this version does not speak yet ("unsupported"): every call fails with a
    one-line reason the pane shows. It answers each source protocol."""

    def __init__(self, kind: str, message: str, backend: str = "", target: str = "") -> None:
        self._error = SourceError(kind, message)
        self._backend = backend
        self._target = target

    @property
    def kind(self) -> str:
        return self._error.kind

    async def describe(self) -> list[BackendStatus]:
        """A configured backend this version cannot speak to yet is listed as such."""
        if self._error.kind != "unsupported":
            return []
        return [BackendStatus(self._backend, self._target, False, None, None, "not supported by this version yet")]

    async def _fail(self, *_args: Any, **_kwargs: Any) -> Any:
        raise self._error

    fetch_hosts = fetch_latency = fetch_slo_measurements = fetch_alerts = _fail
    fetch_error_stream = fetch_security_events = fetch_incidents = _fail

    async def fetch_alert_state(self) -> AlertState:
        raise self._error

    async def create_silence(self, *_args: Any) -> list[ClusterOutcome]:
        raise self._error

    async def expire_silence(self, *_args: Any) -> ClusterOutcome:
        raise self._error

    async def declare(self, *_args: Any, **_kwargs: Any) -> Incident:
        raise self._error

    async def audit(self, *_args: Any) -> None:
        raise self._error

    log_query = LogQuery()

    def set_query(self, query: LogQuery) -> None:
        """Nothing to narrow."""


@dataclass
class Sources:
    """The backends of one context, one per pane (a backend may serve several panes)."""

    infra: InfraSource
    latency: LatencySource
    slo: SLOSource
    alerts: AlertSource
    errors: LogSource
    security: SecuritySource
    incidents: IncidentSource
    demo: DemoPlatform | None = None
    #: configured backends no pane uses yet (listed by `check`)
    others: list[Missing] = field(default_factory=list)
    #: PagerDuty's Events v2 API, when the context mirrors incidents there
    pagerduty: PagerDuty | None = None
    #: the source of each pane added to the registry beyond the six above (a pane on an
    #: existing backend needs no field here)
    more: dict[str, object] = field(default_factory=dict)

    def set_points(self, pane_id: str, points: int) -> None:
        """How many points a pane can draw: range queries size their step to it."""
        target = {"infra": (self.infra, "cpu_points"), "latency": (self.latency, "latency_points")}.get(pane_id)
        if target is not None and hasattr(target[0], target[1]):
            setattr(target[0], target[1], max(10, points))

    def for_pane(self, pane_id: str) -> object:
        return self.more[pane_id] if pane_id in self.more else getattr(self, pane_id)

    def distinct(self) -> list[object]:
        """Each backend object once (one object may serve several panes)."""
        seen: dict[int, object] = {}
        for s in (self.infra, self.latency, self.slo, self.alerts, self.errors, self.security, self.incidents,
                  *self.more.values(), *self.others, *([self.pagerduty] if self.pagerduty else [])):
            seen.setdefault(id(s), s)
        return list(seen.values())

    async def describe(self) -> list[BackendStatus]:
        out: list[BackendStatus] = []
        for source in self.distinct():
            describe: Callable[[], Awaitable[list[BackendStatus]]] | None = getattr(source, "describe", None)
            if describe is not None:
                out.extend(await describe())
        return out

    async def aclose(self) -> None:
        for source in self.distinct():
            close: Callable[[], Awaitable[None]] | None = getattr(source, "aclose", None)
            if close is not None:
                await close()


#: the panes with a typed field in `Sources`
_TYPED = ("infra", "latency", "slo", "alerts", "errors", "security", "incidents")


def build_sources(ctx: Context, clock: Clock, *, elapsed_s: float = 0.0) -> Sources:
    """Instantiate the context's backends. `elapsed_s` (demo only) pretends the demo
    platform has been running that long."""
    if ctx.demo is not None:
        from datetime import timedelta

        from obsconsole.sources.demo import DemoPlatform

        platform = DemoPlatform(
            seed=ctx.demo.seed,
            clock=clock,
            started_at=clock() - timedelta(seconds=elapsed_s),
            incident_after_s=ctx.demo.incident_after_s,
            faults=ctx.demo.faults,
        )
        return Sources(platform, platform, platform, platform, platform, platform, platform, demo=platform,
                       more={spec.id: platform for spec in PANES if spec.id not in _TYPED})

    backends: dict[str, Any] = {}
    if ctx.backends.prometheus is not None:
        from obsconsole.sources.prometheus import PrometheusSource

        backends["prometheus"] = PrometheusSource(ctx.backends.prometheus, ctx, clock)
    if ctx.backends.elasticsearch is not None:
        from obsconsole.sources.elasticsearch import ElasticsearchSource

        backends["elasticsearch"] = ElasticsearchSource(ctx.backends.elasticsearch, ctx, clock)
    if ctx.backends.alertmanager:
        from obsconsole.sources.alertmanager import AlertmanagerSource

        backends["alertmanager"] = AlertmanagerSource(ctx.backends.alertmanager, ctx, clock)
    if ctx.backends.wazuh is not None:
        from obsconsole.sources.wazuh import WazuhSource

        backends["wazuh"] = WazuhSource(ctx.backends.wazuh, clock)
    if ctx.backends.incidents is not None:
        from obsconsole.actions.audit import actor
        from obsconsole.sources.incidents import IncidentStore

        backends["incidents"] = IncidentStore(ctx.backends.incidents.dsn, actor(), timeout_s=ctx.backends.incidents.timeout_s)

    per_pane: dict[str, Any] = {}
    for spec in PANES:
        if spec.backend in backends:
            per_pane[spec.id] = backends[spec.backend]
        elif not getattr(ctx.backends, spec.backend):
            per_pane[spec.id] = Missing("config", f"no {spec.backend} backend in context '{ctx.name}'")
        else:
            per_pane[spec.id] = Missing(
                "unsupported",
                f"the {spec.backend} backend is not supported by this version yet",
                spec.backend,
                backend_target(getattr(ctx.backends, spec.backend)),
            )
    extra = [
        Missing("unsupported", "", name, backend_target(getattr(ctx.backends, name)))
        for name in ("jaeger", "postgres")
        if getattr(ctx.backends, name)
    ]
    pagerduty = None
    if ctx.backends.pagerduty is not None:
        from obsconsole.sources.pagerduty import PagerDuty

        pd = ctx.backends.pagerduty
        pagerduty = PagerDuty(pd.routing_key, url=pd.url, timeout_s=pd.timeout_s)
    typed = {k: v for k, v in per_pane.items() if k in _TYPED}
    return Sources(**typed, others=extra, more={k: v for k, v in per_pane.items() if k not in _TYPED},
                   pagerduty=pagerduty)


def backend_target(backend: Any) -> str:
    """Where a configured backend lives, for `check` (never a secret: DSNs are not shown)."""
    if isinstance(backend, tuple):
        return ", ".join(backend_target(b) for b in backend)
    for attr in ("url", "indexer_url", "alerts_json"):
        value = getattr(backend, attr, None)
        if value:
            return str(value)
    urls = getattr(backend, "urls", None)
    return ", ".join(urls) if urls else "(configured)"


def unconfigured_panes(sources: Sources) -> dict[str, str]:
    """Panes whose backend the context does not configure, with the backend's name.

    They are left out of the screen, the polling and the health: a console pointed at a
    Prometheus alone is not UNKNOWN because it has no Elasticsearch.
    """
    out = {}
    for spec in PANES:
        source = sources.for_pane(spec.id)
        if isinstance(source, Missing) and source.kind == "config":
            out[spec.id] = spec.backend
    return out
