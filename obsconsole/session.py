"""One context, opened: its sources, each enabled pane's query and the hub that polls
them. The App and the headless snapshot both open a `Session`, so building sources,
binding the pane specs to them and scheduling the polls exists once. No Textual here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping

from obsconsole.hub import Hub, OnUpdate
from obsconsole.model import Health, Snapshot, SourceError, worst
from obsconsole.panes import PANES
from obsconsole.sources.build import Sources, build_sources, unconfigured_panes
from obsconsole.sources.incidents import IncidentStore

if TYPE_CHECKING:
    from obsconsole.config import Context

Clock = Callable[[], datetime]
#: how often a lost incident-store listener is tried again
RELISTEN_S = 2.0


@dataclass(frozen=True)
class PaneQuery:
    """A pane's spec bound to a context's sources: what the hub polls, and the health
    of what it got."""

    pane_id: str
    title: str
    fetch: Callable[[], Awaitable[Any]]
    health: Callable[[Any], Health]


def pane_queries(ctx: Context, sources: Sources) -> dict[str, PaneQuery]:
    """The enabled panes' queries, in screen order. A pane is left out when the config
    disables it or its backend is not configured."""
    left_out = unconfigured_panes(sources)
    out = {}
    for spec in PANES:
        schedule = ctx.panes.refresh.get(spec.id)
        if (schedule is not None and not schedule.enabled) or spec.id in left_out:
            continue
        out[spec.id] = PaneQuery(
            spec.id,
            spec.title,
            lambda spec=spec: spec.fetch(ctx, sources),
            lambda value, spec=spec: spec.health(ctx, value),
        )
    return out


def pane_health(query: PaneQuery, snap: Snapshot[Any]) -> Health:
    """A pane's health: UNKNOWN when its latest attempt failed or it never answered."""
    if snap.error is not None or not snap.has_value:
        return Health.UNKNOWN
    return query.health(snap.value)


def overall_health(queries: Mapping[str, PaneQuery], snaps: Mapping[str, Snapshot[Any]]) -> Health:
    return worst([pane_health(q, snaps.get(pid, Snapshot(None, None))) for pid, q in queries.items()])


@dataclass
class Session:
    ctx: Context
    clock: Clock
    sources: Sources
    queries: dict[str, PaneQuery]
    hub: Hub

    @classmethod
    def open(
        cls,
        ctx: Context,
        clock: Clock,
        on_update: OnUpdate | None = None,
        *,
        sources: Sources | None = None,
        refresh_s: float | None = None,
        demo_elapsed_s: float = 0.0,
    ) -> Session:
        """Build the sources (unless given), bind the panes to them and schedule each
        enabled pane on the hub (`refresh_s` overrides every interval). The hub is not
        started: the caller starts it in its event loop."""
        sources = sources or build_sources(ctx, clock, elapsed_s=demo_elapsed_s)
        queries = pane_queries(ctx, sources)
        hub = Hub(clock, on_update)
        for pid, query in queries.items():
            schedule = ctx.panes.refresh[pid]
            hub.add(pid, query.fetch, refresh_s or schedule.refresh_s, schedule.timeout_s)
        return cls(ctx, clock, sources, queries, hub)

    def health(self) -> Health:
        """The worst pane's health (UNKNOWN for a pane without a current answer)."""
        return overall_health(self.queries, self.hub.snapshots())

    def pane_health(self, pane_id: str, snap: Snapshot[Any]) -> Health:
        return pane_health(self.queries[pane_id], snap)

    async def follow_incidents(self, relisten_s: float = RELISTEN_S) -> None:
        """Keep a LISTEN on the incident store: every change any console or the CLI makes
        refreshes the incidents pane at once (its poll is only the safety net). A lost
        listener (the store restarted) is made again, and the pane re-read, by itself."""
        store = self.sources.incidents
        if not isinstance(store, IncidentStore) or "incidents" not in self.queries:
            return
        while True:
            if not store.listening:
                try:
                    await store.listen(lambda _incident, _event: self.hub.refresh_now("incidents"))
                    self.hub.refresh_now("incidents")  # what was missed while not listening
                except SourceError:
                    pass  # the pane's own poll shows the store down, with the data's age
            await asyncio.sleep(relisten_s)

    async def close(self) -> None:
        await self.hub.stop()
        await self.sources.aclose()
