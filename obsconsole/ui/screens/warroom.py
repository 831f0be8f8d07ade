"""The war room: one incident on one screen.

A header with its id, title, severity, status, commander and ticking clocks (since
declared, time to acknowledge, since the last update, the next escalation); the live
timeline; its linked alerts, live from Alertmanager; the error stream of its services;
their latency and SLO budget spent since it began; Wazuh events when it is a security
incident. Keys (n S c v L U) change it; each change is audited and `--readonly` hides
them. What other consoles change arrives by NOTIFY (or the next poll) and is shown
within a second.

The incident's record comes from the session (`war_room`); the other rows come from the
panes' latest snapshots in the hub, filtered to the incident's services, so the war
room costs no extra polling of Prometheus, Alertmanager or Elasticsearch.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from obsconsole.logic import warroom
from obsconsole.logic.postmortem import describe, format_duration, plain_text
from obsconsole.logic.sanitize import inert, inert_cell
from obsconsole.model import (
    AlertGroup,
    AlertsView,
    ErrorStream,
    Health,
    Incident,
    IncidentStatus,
    LinkedAlert,
    SecurityView,
    SloBurn,
    SourceError,
    TimelineEvent,
)
from obsconsole.ui.actions import bindings
from obsconsole.ui.formats import SEVERITY_SHORT, human_age, human_ratio, human_seconds
from obsconsole.ui.widgets.table import PaneTable, Row

if TYPE_CHECKING:
    from obsconsole.session import Session
    from obsconsole.ui.app import ObsConsoleApp

#: how often the record is read again when no NOTIFY can tell us (the demo), and as the
#: safety net when one can
POLL_S = 2.0
POLL_LISTENING_S = 10.0
#: how often the SLO budget spent since the incident began is measured again
BURN_S = 30.0
#: the newest timeline events shown (the export has them all)
TIMELINE_ROWS = 2000


def _hms(at: datetime) -> str:
    return f"{at:%H:%M:%S}"


def _rest(table: PaneTable, *fixed: int) -> int:
    """The width left for a table's last column after the `fixed` ones (each column
    takes 2 more for its padding; 2 kept for a vertical scrollbar)."""
    return max(10, table.size.width - sum(fixed) - 2 * (len(fixed) + 1) - 2)


class WarRoomScreen(Screen[None]):
    BINDINGS = [*bindings("warroom"), Binding("q", "app.quit", "Quit", show=False)]

    def __init__(self, incident_id: int, *, standalone: bool = False) -> None:
        super().__init__(id="warroom")
        self.incident_id = incident_id
        #: opened by `obsconsole incident`: escape quits instead of going back
        self.standalone = standalone
        self.incident: Incident | None = None
        self.events: list[TimelineEvent] = []
        self.linked: tuple[LinkedAlert, ...] = ()
        self.burn: tuple[SloBurn, ...] = ()
        #: the store's last answer: when, and what went wrong since (None: fine)
        self.read_at: datetime | None = None
        self.problem: str | None = None
        self._loading = False
        self._again = False
        #: the panes' snapshots last drawn (the small tables are drawn again on change)
        self._seen: dict[str, Any] = {}
        #: what the timeline last showed: (event count, last id, width)
        self._timeline_drawn: tuple[int, int, int] | None = None

    @property
    def oc(self) -> ObsConsoleApp:
        return self.app  # type: ignore[return-value]

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(id="wr-header")
        with Horizontal(id="wr-body"):
            with Vertical(id="wr-left"):
                yield PaneTable(id="wr-timeline")
            with Vertical(id="wr-right"):
                yield PaneTable(id="wr-alerts")
                yield PaneTable(id="wr-errors")
                yield PaneTable(id="wr-services")
                yield PaneTable(id="wr-security")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        titles = {"wr-timeline": "timeline", "wr-alerts": "linked alerts", "wr-errors": "errors",
                  "wr-services": "latency and SLO budget since declared", "wr-security": "security events"}
        for table_id, title in titles.items():
            table = self.query_one(f"#{table_id}", PaneTable)
            table.border_title = title
            table.can_focus = table_id in ("wr-timeline", "wr-alerts")
        self.query_one("#wr-security").display = False
        self.session.incident_listeners.append(self._changed)
        self.set_interval(1.0, self._tick)
        self.set_interval(BURN_S, self._measure_burn)
        self.load()
        self.query_one("#wr-timeline", PaneTable).focus()
        self.render_all()

    def on_resize(self) -> None:
        # one column below 100 columns: the timeline over the alerts and services
        self.set_class(self.size.width < 100, "-narrow")
        self.call_after_refresh(self.render_all)

    def on_unmount(self) -> None:
        if self._changed in self.session.incident_listeners:
            self.session.incident_listeners.remove(self._changed)

    @property
    def session(self) -> Session:
        return self.oc.session

    # ------------------------------------------------------------------ reading

    def _changed(self, incident_id: int, _event_id: int) -> None:
        """NOTIFY from any console (0: the listener came back, re-read)."""
        if incident_id in (0, self.incident_id):
            self.load()

    def load(self) -> None:
        if self._loading:
            self._again = True  # one more read once this one is done
            return
        self._loading = True
        self.run_worker(self._load(), group="warroom-load", exit_on_error=False)

    async def _load(self) -> None:
        first = self.incident is None
        try:
            while True:
                self._again = False
                after = self.events[-1].id if self.events else 0
                try:
                    record = await self.session.war_room(self.incident_id, after)
                except SourceError as exc:
                    self.problem = exc.message
                else:
                    self.problem = None
                    self.read_at = self.oc.clock()
                    self.incident = record.incident
                    # only events after the last one held: none twice (the store's promise)
                    self.events.extend(record.events)
                    self.linked = record.linked
                if not self._again:
                    break
        finally:
            self._loading = False
        self.render_all()
        if first and self.incident is not None:
            # the SLO budget spent since declared: after the first frame (Prometheus
            # may take a while over a 30-day window)
            await self._measure_burn()

    async def _measure_burn(self) -> None:
        if self.incident is None:
            return
        self.burn = await self.session.slo_burn(self.incident)
        self._render_services()

    def _tick(self) -> None:
        """Once a second: the clocks; the alerts, errors and services if the panes'
        data changed; a read of the store when its poll is due (every POLL_S, or
        POLL_LISTENING_S while NOTIFY tells us of changes)."""
        now = self.oc.clock()
        due = POLL_LISTENING_S if self.session.hears_incident_changes else POLL_S
        if self.read_at is None or self.problem or (now - self.read_at).total_seconds() >= due:
            self.load()
        self._render_header()
        self.snapshots_changed()

    def snapshots_changed(self) -> None:
        """The alerts, errors, services and security tables, drawn again when the hub's
        results they show changed (the App calls this as each result arrives)."""
        if not self.is_mounted:
            return
        snapshots = self.oc.hub.snapshots()
        seen = {k: snapshots.get(k) for k in warroom.SHOWN}
        if seen != self._seen:
            self._seen = seen
            self._render_alerts()
            self._render_errors()
            self._render_services()
            self._render_security()
        self._tell_ready()

    def _tell_ready(self) -> None:
        """`obsconsole incident`: the first frame with the incident read and every result
        it shows drawn (for the ready file; the security events only for a security
        incident, as only then are they shown)."""
        if self.incident is None or not self.standalone or self.oc.war_room_ready:
            return
        needs = [k for k in ("alerts", "errors", "latency") if k in self.oc.queries]
        if self.query_one("#wr-security").display and "security" in self.oc.queries:
            needs.append("security")
        drawn = [self._seen.get(k) for k in needs]
        if all(snap is not None and (snap.has_value or snap.error is not None) for snap in drawn):
            self.oc.war_room_ready = True
            self.oc.populated()

    # ------------------------------------------------------------------ drawing

    def _snapshot(self, pane_id: str) -> Any:
        snap = self.oc.hub.snapshots().get(pane_id)
        return snap.value if snap is not None else None

    def _groups(self) -> tuple[AlertGroup, ...]:
        view: AlertsView | None = self._snapshot("alerts")
        return view.groups if view else ()

    def rerender(self) -> None:
        """Everything drawn again (the theme changed: every colour with it)."""
        self._seen = {}
        self.render_all()

    def render_all(self) -> None:
        if not self.is_mounted:
            return
        self._render_header()
        self._render_timeline()
        self._render_alerts()
        self._render_errors()
        self._render_services()
        self._render_security()
        self._seen = {k: self.oc.hub.snapshots().get(k) for k in warroom.SHOWN}
        self._tell_ready()

    def _render_header(self) -> None:
        header = self.query_one("#wr-header", Static)
        p = self.oc.palette
        now = self.oc.clock()
        i = self.incident
        if i is None:
            text = Text(f"incident #{self.incident_id}: ", style="bold")
            text.append(self.problem or "reading the incident store…",
                        style=p.health(Health.CRITICAL) if self.problem else "")
            header.update(text)
            header.border_title = f"war room · incident #{self.incident_id}"
            return
        linked = warroom.linked_groups(self._groups(), (a.fingerprint for a in self.linked))
        c = warroom.clocks(i, linked, self.oc.ctx.channels, now)
        header.border_title = f"war room · incident #{i.id}"
        title = Text()
        title.append(f"{SEVERITY_SHORT[i.severity]} ", style=f"bold {p.severity(i.severity)}")
        title.append_text(inert(i.title, style="bold", max_len=200))
        line2 = Text("status ", style="dim")
        line2.append(i.status.value.upper(), style="bold" + ("" if i.status is not IncidentStatus.MONITORING
                                                            else f" {p.health(Health.OK)}"))
        line2.append("  commander ", style="dim")
        line2.append_text(inert(i.commander or "– none –", max_len=60,
                                style="" if i.commander else p.health(Health.WARNING)))
        line2.append("  services ", style="dim")
        line2.append_text(inert(", ".join(i.services) or "–", max_len=120))
        clocks = Text("declared ", style="dim")
        clocks.append(f"{format_duration(c.since_declared_s)} ago")
        clocks.append(" · ", style="dim")
        if c.acknowledged_after_s is not None:
            clocks.append("acknowledged after ", style="dim")
            clocks.append(format_duration(c.acknowledged_after_s))
        else:
            clocks.append(f"NOT ACKNOWLEDGED {format_duration(c.unacknowledged_for_s)}", style=f"bold {p.health(Health.WARNING)}")
        clocks.append(" · updated ", style="dim")
        clocks.append(f"{format_duration(c.since_update_s)} ago", style=f"bold {p.health(Health.WARNING)}" if c.stale else "")
        if c.stale:
            clocks.append(" STALE", style=f"bold {p.health(Health.WARNING)}")
        clocks.append(" · next escalation ", style="dim")
        if c.next_escalation is not None:
            clocks.append(f"{inert(c.next_escalation.channel, max_len=40).plain} in {format_duration(c.next_escalation.in_s)}",
                          style=f"bold {p.health(Health.WARNING)}")
        else:
            clocks.append(f"none ({c.escalation_stopped})")
        lines = [title, line2, clocks]
        stream: ErrorStream | None = self._snapshot("errors")
        for hint in warroom.suggestions(i, self.linked, self._groups(), stream.events if stream else (),
                                        self.oc.ctx.channels, now):
            line = Text("suggested ", style="dim")
            line.append_text(inert(hint, max_len=200, style="italic"))
            lines.append(line)
        if self.problem:
            age = f"{human_age((now - self.read_at).total_seconds())} old" if self.read_at else "never read"
            lines.append(Text(f"incident store: {self.problem} · shown as read {age}; changes will fail",
                              style=f"bold {p.health(Health.CRITICAL)}"))
        header.update(Text("\n").join(lines))

    def _render_timeline(self) -> None:
        """The newest TIMELINE_ROWS events, drawn again only when they or the width
        changed. The cursor follows the newest event while it is on the last row (or
        was never moved); moved up, it stays where the user put it."""
        table = self.query_one("#wr-timeline", PaneTable)
        width = _rest(table, 8, 15)
        drawn = (len(self.events), self.events[-1].id if self.events else 0, width)
        if drawn == self._timeline_drawn:
            return
        following = self._timeline_drawn is None or table.row_count == 0 or table.cursor_row >= table.row_count - 1
        self._timeline_drawn = drawn
        rows: list[Row] = []
        for e in self.events[-TIMELINE_ROWS:]:
            rows.append((str(e.id), [Text(_hms(e.at), style="dim"), inert_cell(e.actor, 15),
                                     inert_cell(describe(e, plain_text), width)]))
        table.replace_rows([("time", 8), ("who", 15), ("what", width)], rows)
        if not self.problem:
            table.border_subtitle = f"{len(self.events)} events"
        else:
            table.border_subtitle = "store unreachable"
        if following and rows:
            table.move_cursor(row=len(rows) - 1, scroll=True)

    def _render_alerts(self) -> None:
        table = self.query_one("#wr-alerts", PaneTable)
        groups = self._groups()
        state = warroom.firing(self.linked, groups)
        p = self.oc.palette
        width = _rest(table, 4, 8)
        rows: list[Row] = []
        for a in self.linked:
            st = state[a.fingerprint]
            style = p.health(Health.CRITICAL) if st == "firing" else ("dim" if st == "resolved" else "")
            sev = SEVERITY_SHORT.get(a.severity, a.severity[:4].upper()) if a.severity else "?"
            what = " · ".join(x for x in (a.service, a.name or a.fingerprint) if x)
            rows.append((a.fingerprint, [Text(str(sev)), Text(st, style=style), inert_cell(what, width)]))
        table.replace_rows([("sev", 4), ("state", 8), ("alert", width)], rows)
        firing = sum(1 for s in state.values() if s == "firing")
        table.border_subtitle = f"{firing} firing of {len(self.linked)}" if self.linked else "none linked: L links"

    def _render_errors(self) -> None:
        table = self.query_one("#wr-errors", PaneTable)
        stream: ErrorStream | None = self._snapshot("errors")
        services = self.incident.services if self.incident else ()
        events = [e for e in (stream.events if stream else ()) if warroom.concerns(e.service, services)]
        width = _rest(table, 8, 5, 12)
        rows: list[Row] = [(e.id, [Text(_hms(e.timestamp), style="dim"), Text(e.level.value[:5]),
                                   inert_cell(e.service, 12), inert_cell(e.message, width)]) for e in events[:200]]
        table.replace_rows([("time", 8), ("level", 5), ("service", 12), ("message", width)], rows)
        table.border_title = Text("errors · ") + inert(", ".join(services) or "–", max_len=80)
        table.border_subtitle = "" if stream is not None else "no error stream"

    def _render_services(self) -> None:
        if not self.is_mounted or self.incident is None:
            return
        table = self.query_one("#wr-services", PaneTable)
        services = self.incident.services
        latency: Sequence[Any] = self._snapshot("latency") or ()
        rows: list[Row] = []
        for lat in latency:
            if warroom.concerns(lat.service, services):
                ratio = "–" if lat.error_ratio is None else f"{human_ratio(lat.error_ratio)} 5xx"
                p95 = "–" if lat.p95_s is None else f"p95 {human_seconds(lat.p95_s)}"
                rows.append((f"lat:{lat.service}", [inert_cell(lat.service, 14), Text(p95), Text(ratio)]))
        for b in self.burn:
            burned = "–" if b.burned is None else f"{b.burned * 100:.1f} % spent"
            now = "–" if b.remaining_now is None else f"{b.remaining_now * 100:.1f} % left"
            style = self.oc.palette.health(Health.CRITICAL) if (b.remaining_now or 0) < 0 else ""
            rows.append((f"slo:{b.slo_id}", [inert_cell(b.slo_id, 14), Text(burned), Text(now, style=style)]))
        table.replace_rows([("service · SLO", 14), ("p95 · spent", 11), ("5xx · left", _rest(table, 14, 11))], rows)

    def _render_security(self) -> None:
        box = self.query_one("#wr-security", PaneTable)
        security = self.incident is not None and warroom.is_security(
            self.linked, warroom.linked_groups(self._groups(), (a.fingerprint for a in self.linked)))
        box.display = security
        if not security:
            return
        view: SecurityView | None = self._snapshot("security")
        width = _rest(box, 8, 3, 16)
        rows: list[Row] = [(e.id, [Text(_hms(e.timestamp), style="dim"), Text(str(e.level)),
                                   inert_cell(e.agent_name or e.srcip, 16), inert_cell(e.description, width)])
                           for e in (view.events if view else ())[:100]]
        box.replace_rows([("time", 8), ("lvl", 3), ("agent", 16), ("event", width)], rows)

    # ------------------------------------------------------------------ keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("note", "status", "commander", "severity", "link", "unlink"):
            return not self.oc.readonly
        return True

    def action_back(self) -> None:
        """escape: dismiss the toasts first (they cover the right-hand column), then
        leave (quit, when opened by `obsconsole incident`)."""
        if self.query("Toast"):
            self.app.clear_notifications()
            return
        if self.standalone:
            self.app.exit()
        else:
            self.dismiss(None)

    def _ready(self) -> Incident | None:
        if self.incident is None:
            self.oc.notify("The incident has not been read yet: nothing to change.", severity="warning")
        return self.incident

    def _apply(self, change: Any) -> None:
        self.oc.incident_change(change, after=self.load)

    def action_note(self) -> None:
        from obsconsole.actions import incidents as act
        from obsconsole.ui.screens.prompt import Prompt

        if (i := self._ready()) is None:
            return
        self.app.push_screen(Prompt(f"Note on incident #{i.id}", "note", placeholder="what you saw or did"),
                             lambda text: self._apply(act.note(i.id, text)) if text else None)

    def action_status(self) -> None:
        from obsconsole.actions import incidents as act
        from obsconsole.logic.lifecycle import STATUSES
        from obsconsole.ui.screens.prompt import Choice

        if (i := self._ready()) is None:
            return
        options = [s.value for s in STATUSES if s is not i.status]

        def chosen(answer: tuple[str, str] | None) -> None:
            if answer:
                self._apply(act.set_status(i, IncidentStatus(answer[0]), answer[1]))

        self.app.push_screen(Choice(f"Status of incident #{i.id} (now {i.status.value})", options,
                                    reason="reason (needed to reopen)"), chosen)

    def action_severity(self) -> None:
        from obsconsole.actions import incidents as act
        from obsconsole.logic.lifecycle import SEVERITIES
        from obsconsole.ui.screens.prompt import Choice

        if (i := self._ready()) is None:
            return
        options = [s.value for s in SEVERITIES if s is not i.severity]
        self.app.push_screen(Choice(f"Severity of incident #{i.id} (now {i.severity.value})", options),
                             lambda answer: self._apply(act.set_severity(i, answer[0])) if answer else None)

    def action_commander(self) -> None:
        from obsconsole.actions import incidents as act
        from obsconsole.actions.audit import actor
        from obsconsole.ui.screens.prompt import Prompt

        if (i := self._ready()) is None:
            return
        self.app.push_screen(Prompt(Text(f"Commander of incident #{i.id} (now ") + inert(i.commander or "none", max_len=40) + ")", "commander",
                                    value=actor()),
                             lambda name: self._apply(act.set_commander(i, name)) if name else None)

    def action_link(self) -> None:
        from obsconsole.actions import incidents as act
        from obsconsole.logic.lifecycle import linked_alerts

        if (i := self._ready()) is None:
            return
        have = {a.fingerprint for a in self.linked}
        new = [a for g in self._groups() if warroom.concerns(g.service, i.services)
               for a in g.alerts if a.fingerprint not in have]
        if not new:
            self.oc.notify(f"No firing alert of {', '.join(i.services)} is left to link.", timeout=6)
            return
        alerts = linked_alerts(new)
        names = ", ".join(sorted({a.name for a in alerts}))
        self._apply(act.link(i.id, alerts, f"{len(alerts)} alert{'' if len(alerts) == 1 else 's'} ({names})"))

    def action_unlink(self) -> None:
        from obsconsole.actions import incidents as act

        if (i := self._ready()) is None:
            return
        table = self.query_one("#wr-alerts", PaneTable)
        key = table.selected_key()
        chosen = next((a for a in self.linked if a.fingerprint == key), None)
        if chosen is None:
            self.oc.notify("Select a linked alert first (tab to the linked alerts).", timeout=6)
            return
        self._apply(act.unlink(i.id, chosen.fingerprint, chosen.name or chosen.fingerprint))

