"""What each overview pane asks for, how healthy the answer is, and its JSON form.

This is the one place that ties a pane to its source, so the screen, the exit code of
`obsconsole snapshot` and its JSON all come from the same hub results. No Textual here.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Awaitable, Callable, Mapping

from obsconsole import __version__
from obsconsole.config import PANE_IDS, Context
from obsconsole.logic import incidents, slo, thresholds
from obsconsole.model import AlertsView, Health, Snapshot, SourceError, worst
from obsconsole.sources.base import BackendStatus

Clock = Callable[[], datetime]

PANE_TITLES: Mapping[str, str] = {
    "infra": "Infrastructure",
    "latency": "API latency",
    "errors": "Error stream",
    "slo": "SLO budgets",
    "alerts": "Alerts",
    "security": "Security (Wazuh)",
}

#: which backend feeds each pane (for messages and `check`)
PANE_BACKENDS: Mapping[str, str] = {
    "infra": "prometheus",
    "latency": "prometheus",
    "slo": "prometheus",
    "alerts": "alertmanager",
    "errors": "elasticsearch",
    "security": "wazuh",
}


#: security events fetched per poll (the pane shows the newest)
SECURITY_LIMIT = 200


@dataclass(frozen=True)
class PaneQuery:
    """A pane's data contract: how to fetch, how healthy the result is, how to export it."""

    pane_id: str
    title: str
    fetch: Callable[[], Awaitable[Any]]
    health: Callable[[Any], Health]


class _Missing:
    """Stands in for a backend a pane needs but the context lacks (or this version does
    not speak yet): every fetch fails with a one-line reason the pane shows."""

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

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        if not name.startswith("fetch_"):
            raise AttributeError(name)

        async def fail(*_args: Any, **_kwargs: Any) -> Any:
            raise self._error

        return fail


@dataclass
class Sources:
    """The backends of one context, one per pane (a backend may serve several panes)."""

    infra: Any
    latency: Any
    slo: Any
    alerts: Any
    errors: Any
    security: Any
    demo: Any = None
    #: configured backends no pane uses yet (listed by `check`)
    others: list[Any] = dataclasses.field(default_factory=list)

    def distinct(self) -> list[Any]:
        """Each backend object once (one object may serve several panes)."""
        seen: dict[int, Any] = {}
        for s in (self.infra, self.latency, self.slo, self.alerts, self.errors, self.security, *self.others):
            seen.setdefault(id(s), s)
        return list(seen.values())

    async def describe(self) -> list[BackendStatus]:
        out: list[BackendStatus] = []
        for source in self.distinct():
            describe = getattr(source, "describe", None)
            if describe is not None:
                out.extend(await describe())
        return out

    def set_points(self, pane_id: str, points: int) -> None:
        """How many points a pane can draw: range queries size their step to it."""
        target = {"infra": (self.infra, "cpu_points"), "latency": (self.latency, "latency_points")}.get(pane_id)
        if target is not None and hasattr(target[0], target[1]):
            setattr(target[0], target[1], max(10, points))

    async def aclose(self) -> None:
        for source in self.distinct():
            close = getattr(source, "aclose", None)
            if close is not None:
                await close()


def build_sources(ctx: Context, clock: Clock, *, elapsed_s: float = 0.0) -> Sources:
    """Instantiate the context's backends. Heavy client libraries are imported here,
    lazily, only for backends the context configures (start-up is paid on every login).

    `elapsed_s` (demo only) pretends the demo platform has been running that long.
    """
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
        return Sources(platform, platform, platform, platform, platform, platform, demo=platform)

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

    per_pane = {}
    for pane, backend in PANE_BACKENDS.items():
        if backend in backends:
            per_pane[pane] = backends[backend]
        elif not getattr(ctx.backends, backend):
            per_pane[pane] = _Missing(
                "config", f"no {backend} backend in context '{ctx.name}'"
            )
        else:
            per_pane[pane] = _Missing(
                "unsupported",
                f"the {backend} backend is not supported by this version yet",
                backend,
                backend_target(getattr(ctx.backends, backend)),
            )
    extra = [
        _Missing("unsupported", "", name, backend_target(getattr(ctx.backends, name)))
        for name in ("jaeger", "postgres", "pagerduty")
        if getattr(ctx.backends, name)
    ]
    return Sources(**per_pane, others=extra)


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


def pane_queries(ctx: Context, sources: Sources) -> dict[str, PaneQuery]:
    """The six overview queries, in screen order, for the enabled panes."""
    t = ctx.thresholds
    aliases = ctx.labels.aliases

    async def infra() -> Any:
        return await sources.infra.fetch_hosts()

    async def latency() -> Any:
        return await sources.latency.fetch_latency()

    async def errors() -> Any:
        return await sources.errors.fetch_error_stream(ctx.panes.errors_buffer)

    async def slos() -> Any:
        measured = await sources.slo.fetch_slo_measurements(ctx.slos)
        return slo.evaluate_all(ctx.slos, measured, t.slo_budget_at_risk)

    async def alerts() -> AlertsView:
        fetch_state = getattr(sources.alerts, "fetch_alert_state", None)
        if fetch_state is None:  # a source without silences (the demo)
            found, silenced, down = await sources.alerts.fetch_alerts(), (), ()
        else:
            state = await fetch_state()
            found, silenced, down = state.alerts, state.silences, state.peers_down
        return AlertsView(
            groups=incidents.group_alerts(found, aliases),
            silences={s.id: s for s in silenced},
            peers_down=tuple(down),
        )

    async def security() -> Any:
        return await sources.security.fetch_security_events(
            ctx.panes.security_min_level, SECURITY_LIMIT
        )

    table: dict[str, tuple[Callable[[], Awaitable[Any]], Callable[[Any], Health]]] = {
        "infra": (infra, lambda v: thresholds.hosts_health(v, t)),
        "latency": (latency, lambda v: thresholds.services_health(v, t)),
        "errors": (errors, lambda v: Health.OK),
        "slo": (slos, thresholds.slos_health),
        "alerts": (alerts, lambda v: thresholds.alerts_health(v.groups)),
        # security events are shown for investigation; the alert rules decide pages
        "security": (security, lambda v: Health.OK),
    }
    left_out = unconfigured_panes(sources)
    return {
        pid: PaneQuery(pid, PANE_TITLES[pid], fetch, health)
        for pid, (fetch, health) in table.items()
        if (ctx.panes.refresh.get(pid) is None or ctx.panes.refresh[pid].enabled)
        and pid not in left_out
    }


def unconfigured_panes(sources: Sources) -> dict[str, str]:
    """Panes whose backend the context does not configure, with the backend's name.

    They are left out of the screen, the polling and the health: a console pointed at a
    Prometheus alone is not UNKNOWN because it has no Elasticsearch.
    """
    out = {}
    for pid, backend in PANE_BACKENDS.items():
        source = getattr(sources, pid)
        if isinstance(source, _Missing) and source.kind == "config":
            out[pid] = backend
    return out


def pane_health(query: PaneQuery, snap: Snapshot[Any]) -> Health:
    """A pane's health: UNKNOWN when its latest attempt failed or it never answered."""
    if snap.error is not None or not snap.has_value:
        return Health.UNKNOWN
    return query.health(snap.value)


def overall_health(
    queries: Mapping[str, PaneQuery], snaps: Mapping[str, Snapshot[Any]]
) -> Health:
    return worst(
        [pane_health(q, snaps.get(pid, Snapshot(None, None))) for pid, q in queries.items()]
    )


# --------------------------------------------------------------------------- JSON


def jsonable(obj: Any) -> Any:
    """Model objects → JSON-ready values: dataclasses as objects, datetimes as ISO 8601,
    enums as their value, tuples as lists, float keys as strings."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return obj.value if not isinstance(obj, Health) else obj.name
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):  # NaN/Infinity are not JSON
        return None
    return obj


def snapshot_document(
    ctx: Context,
    queries: Mapping[str, PaneQuery],
    snaps: Mapping[str, Snapshot[Any]],
    now: datetime,
) -> dict[str, Any]:
    """The `obsconsole snapshot --format json` document (keys documented in README)."""
    panes = {}
    for pid in PANE_IDS:
        if pid not in queries:
            continue
        q = queries[pid]
        snap = snaps.get(pid, Snapshot(None, None))
        panes[pid] = {
            "title": q.title,
            "health": pane_health(q, snap).name,
            "fetched_at": snap.fetched_at.isoformat() if snap.fetched_at else None,
            "age_s": snap.age(now),
            "error": None
            if snap.error is None
            else {"kind": snap.error.kind, "message": snap.error.message},
            "data": jsonable(snap.value) if snap.has_value else None,
        }
    health = overall_health(queries, snaps)
    left_out = {pid: PANE_BACKENDS[pid] for pid in PANE_IDS if pid not in queries}
    return {
        "obsconsole": __version__,
        "context": ctx.name,
        "generated_at": now.isoformat(),
        "status": health.name,
        "exit_code": int(health),
        "panes": panes,
        # panes not shown: disabled in config, or their backend is not configured
        "panes_left_out": sorted(left_out),
    }
