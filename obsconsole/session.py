"""One context, opened: its sources, each enabled pane's query and the hub that polls
them. The App and the headless snapshot both open a `Session`, so building sources,
binding the pane specs to them and scheduling the polls exists once. No Textual here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Collection, Mapping

from obsconsole.hub import Hub, OnUpdate
from obsconsole.logic import warroom
from obsconsole.model import Health, Incident, LinkedAlert, Snapshot, SloBurn, SourceError, TimelineEvent, worst
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


@dataclass(frozen=True)
class WarRoomRecord:
    """One incident as the war room reads it from the store: the events are those after
    the id the reader last saw (all of them the first time)."""

    incident: Incident
    events: tuple[TimelineEvent, ...]
    linked: tuple[LinkedAlert, ...]


@dataclass
class Session:
    ctx: Context
    clock: Clock
    sources: Sources
    queries: dict[str, PaneQuery]
    hub: Hub
    #: called with (incident id, event id) for every change any console makes (the war
    #: room listens here; the incidents pane is refreshed by follow_incidents itself)
    incident_listeners: list[Callable[[int, int], None]] = field(default_factory=list)

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
        only: Collection[str] | None = None,
    ) -> Session:
        """Build the sources (unless given), bind the panes to them and schedule each
        enabled pane on the hub (`refresh_s` overrides every interval; `only`: just
        those panes' queries). The hub is not started: the caller starts it in its event
        loop."""
        sources = sources or build_sources(ctx, clock, elapsed_s=demo_elapsed_s)
        queries = {k: q for k, q in pane_queries(ctx, sources).items() if only is None or k in only}
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
                    await store.listen(self._incident_changed)
                    self.hub.refresh_now("incidents")  # what was missed while not listening
                    self._incident_changed(0, 0)
                except SourceError:
                    pass  # the pane's own poll shows the store down, with the data's age
            await asyncio.sleep(relisten_s)

    @property
    def hears_incident_changes(self) -> bool:
        """LISTEN is up: other consoles' changes arrive by themselves (else: poll)."""
        store = self.sources.incidents
        return isinstance(store, IncidentStore) and store.listening

    def _incident_changed(self, incident_id: int, event_id: int) -> None:
        self.hub.refresh_now("incidents")
        for listener in list(self.incident_listeners):
            listener(incident_id, event_id)

    # ------------------------------------------------------------------ the war room

    async def war_room(self, incident_id: int, after: int = 0) -> WarRoomRecord:
        """The incident, its timeline events after `after`, its linked alerts."""
        store = self.sources.incidents
        incident = await store.get(incident_id)
        events = await store.events(incident_id, after=after)
        linked = await store.linked(incident_id)
        return WarRoomRecord(incident, events, linked)

    async def latest_open_incident(self) -> Incident | None:
        found = await self.sources.incidents.list(limit=1)
        return found[0] if found else None

    def suggested(self, services: tuple[str, ...], linked: tuple[LinkedAlert, ...]) -> tuple[str, ...]:
        """SPEC §6's automated responses for an incident of `services` about to be
        declared with `linked` alerts, from what the console holds now (its alert groups,
        its error stream): they are recorded in the new incident's timeline."""
        snaps = self.hub.snapshots()
        alerts, errors = snaps.get("alerts"), snaps.get("errors")
        groups = alerts.value.groups if alerts is not None and alerts.has_value else ()
        events = errors.value.events if errors is not None and errors.has_value else ()
        return warroom.suggested(services, linked, groups, events, self.ctx.channels)

    async def slo_burn(self, incident: Incident) -> tuple[SloBurn, ...]:
        """The error budget each SLO of the incident's services spent since it began
        (empty when no SLO concerns them; None inside when the backend cannot say)."""
        slos = [s for s in self.ctx.slos if warroom.concerns(s.service, incident.services)]
        if not slos:
            return ()
        end = incident.resolved_at or self.clock()
        since = max(60.0, round((end - incident.created_at).total_seconds() / 60.0) * 60.0)
        try:
            measured = await self.sources.slo.fetch_slo_measurements([warroom.burn_window(s, since) for s in slos])
        except SourceError:
            return tuple(SloBurn(s.id, s.service, None, None) for s in slos)
        by_id = {m.slo_id: m for m in measured}
        return tuple(warroom.slo_burn(s, by_id[s.id], since) if s.id in by_id else SloBurn(s.id, s.service, None, None)
                     for s in slos)

    async def close(self) -> None:
        await self.hub.stop()
        await self.sources.aclose()
