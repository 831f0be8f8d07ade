"""The pane registry: every overview pane, once, without Textual.

A `PaneSpec` says what a pane is (id, number, names), which backend feeds it, how often
by default, what it asks its source and how healthy the answer is. The config defaults,
the sources built for a context, the demo, the CLI's snapshot and `check`, the focus keys,
the help and the tab strip are all derived from `PANES`. The widget that draws a pane is
one module under `ui/panes/`, found by the same id.

Adding a pane: one `PaneSpec` here, its widget module, its source if new, its tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping

from obsconsole.logic import incidents, slo, thresholds
from obsconsole.model import AlertsView, Health, Severity

if TYPE_CHECKING:
    from obsconsole.config import Context
    from obsconsole.sources.build import Sources

#: security events fetched per poll (the pane shows the newest)
SECURITY_LIMIT = 200


@dataclass(frozen=True)
class PaneSpec:
    id: str
    #: its key and its place: panes are numbered 1… in screen order
    number: int
    #: the pane's title; `name` in "Go to …"; `short` on the tab strip at 80×24
    title: str
    name: str
    short: str
    #: what the pane shows, for the help of its focus key
    about: str
    #: the kind of backend that feeds it (a `backends:` key of the config)
    backend: str
    #: default schedule (seconds): each pane refreshes as fast as its data changes
    refresh_s: float
    timeout_s: float
    #: what the pane asks its source for, in a context
    fetch: Callable[["Context", "Sources"], Awaitable[Any]]
    #: how healthy an answer is (a pane that only informs is always OK)
    health: Callable[["Context", Any], Health]


async def _infra(ctx: Context, sources: Sources) -> Any:
    return await sources.infra.fetch_hosts()


async def _latency(ctx: Context, sources: Sources) -> Any:
    return await sources.latency.fetch_latency()


async def _errors(ctx: Context, sources: Sources) -> Any:
    return await sources.errors.fetch_error_stream(ctx.panes.errors_buffer)


async def _slos(ctx: Context, sources: Sources) -> Any:
    measured = await sources.slo.fetch_slo_measurements(ctx.slos)
    return slo.evaluate_all(ctx.slos, measured, ctx.thresholds.slo_budget_at_risk)


async def _alerts(ctx: Context, sources: Sources) -> AlertsView:
    state = await sources.alerts.fetch_alert_state()
    return AlertsView(
        groups=incidents.group_alerts(state.alerts, ctx.labels.aliases),
        silences={s.id: s for s in state.silences},
        peers_down=tuple(state.peers_down),
    )


async def _security(ctx: Context, sources: Sources) -> Any:
    return await sources.security.fetch_security_events(ctx.panes.security_min_level, SECURITY_LIMIT)


async def _incidents(ctx: Context, sources: Sources) -> Any:
    return await sources.incidents.fetch_incidents()


def _incidents_health(ctx: Context, view: Any) -> Health:
    """An open critical incident is CRITICAL, an open high one WARNING: the header says
    an incident is on even when the graphs have calmed down."""
    severities = {s.incident.severity for s in view.incidents}
    if Severity.CRITICAL in severities:
        return Health.CRITICAL
    return Health.WARNING if Severity.HIGH in severities else Health.OK


def _informs(ctx: Context, value: Any) -> Health:
    return Health.OK


PANES: tuple[PaneSpec, ...] = (
    # node-exporter is scraped every 10-15 s (SPEC §2): refreshing faster is waste
    PaneSpec("infra", 1, "Infrastructure", "Infrastructure", "Infra", "infrastructure gauges",
             "prometheus", 15.0, 10.0, _infra, lambda ctx, v: thresholds.hosts_health(v, ctx.thresholds)),
    PaneSpec("latency", 2, "API latency", "API latency", "Latency", "API latency",
             "prometheus", 15.0, 10.0, _latency, lambda ctx, v: thresholds.services_health(v, ctx.thresholds)),
    # a live tail: the one pane where seconds matter
    PaneSpec("errors", 3, "Error stream", "Error stream", "Errors", "error stream",
             "elasticsearch", 5.0, 10.0, _errors, _informs),
    # burn rates over 5 min to 6 h windows move slowly (SPEC §13: near-real-time class)
    PaneSpec("slo", 4, "SLO budgets", "SLO budgets", "SLO", "SLO budgets",
             "prometheus", 60.0, 10.0, _slos, lambda ctx, v: thresholds.slos_health(v)),
    PaneSpec("alerts", 5, "Alerts", "Alerts", "Alerts", "alerts",
             "alertmanager", 10.0, 10.0, _alerts, lambda ctx, v: thresholds.alerts_health(v.groups)),
    # security events are shown for investigation; the alert rules decide pages
    PaneSpec("security", 6, "Security (Wazuh)", "Security", "Security", "Wazuh security events",
             "wazuh", 15.0, 10.0, _security, _informs),
    # the shared store: changes arrive by NOTIFY at once; the poll is the safety net
    PaneSpec("incidents", 7, "Incidents", "Incidents", "Incidents", "open incidents",
             "incidents", 30.0, 10.0, _incidents, _incidents_health),
)

PANE_IDS: tuple[str, ...] = tuple(p.id for p in PANES)
BY_ID: Mapping[str, PaneSpec] = {p.id: p for p in PANES}
