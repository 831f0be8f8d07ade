"""The Textual application: the overview screen of six panes fed by the hub.

Flow: the hub (obsconsole/hub.py) polls each pane's query on its own schedule and calls
back with a `Snapshot`; the app turns that into a `SnapshotUpdated` message (a newer one
for the same pane replaces an unprocessed older one, so a slow terminal never works
through a backlog); the pane renders it. Start-up paints first and connects after.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import sys
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.message import Message
from textual.screen import Screen
from textual.notifications import SeverityLevel
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from obsconsole.actions.audit import AuditLog
from obsconsole.config import Config
from obsconsole.locations import default_audit_log
from obsconsole.logic import warroom
from obsconsole.logic.sanitize import clean
from obsconsole.model import ActionResult, AlertsView, Health, Severity, Snapshot, SourceError
from obsconsole.panes import BY_ID
from obsconsole.session import Session, pane_health
from obsconsole.sources.build import Missing, Sources
from obsconsole.ui.actions import ACTIONS_BY_ID, ActionSpec, available, bindings
from obsconsole.ui.widgets.header import PaneTabs, StatusHeader, header_line
from obsconsole.ui.custom.keymaps import load_keymap
from obsconsole.ui.widgets.line import show
from obsconsole.ui.messages import (
    AlertActionRequested,
    ChartPointsChanged,
    IncidentDeclareRequested,
    LogQueryChanged,
    PanePauseToggled,
    ServiceShown,
    WarRoomRequested,
)
from obsconsole.ui.commands import ActionsProvider
from obsconsole.ui.panes import PANE_CLASSES
from obsconsole.ui.panes.alerts import AlertsPane
from obsconsole.ui.panes.base import Pane, RoomChanged
from obsconsole.ui.widgets.table import same_cell
from obsconsole.ui.panes.errors import ErrorsPane
from obsconsole.ui.panes.latency import LatencyPane
from obsconsole.ui.screens import Dialog, HelpScreen, key_display
from obsconsole.ui.terminal import terminal_driver
from obsconsole.ui.custom.themes import choose_theme, load_themes

if TYPE_CHECKING:
    from obsconsole.actions.incidents import Change

Clock = Callable[[], datetime]

#: below this size one pane fills the screen and a tab strip shows the others
COMPACT_WIDTH = 100
COMPACT_HEIGHT = 30
#: from this width the grid has three columns
WIDE_WIDTH = 180

READONLY_NOTICE = "alerts.readonly-notice"



def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class SnapshotUpdated(Message):
    """The hub has a new result (or error) for a pane."""

    def __init__(self, key: str, snapshot: Snapshot[Any]) -> None:
        super().__init__()
        self.key = key
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotUpdated) and message.key == self.key


class OverviewScreen(Screen[None]):
    """Header, the six panes (grid, or one pane with a tab strip), footer."""

    BINDINGS = bindings("overview") + [
        # In --readonly the alerts pane's ack keys are disabled (and hidden); they then
        # reach this binding, which says why instead of doing nothing. It lives here, not
        # on the pane, because a keymap replaces every binding of a key on one node. Its
        # keys follow the ack keys of the keymap (ObsConsoleApp.on_mount).
        Binding("a,A,e", "readonly_notice", show=False, id=READONLY_NOTICE),
    ]

    def __init__(self) -> None:
        super().__init__(id="overview")
        self.zoomed: str | None = None
        self.active_pane: str = "infra"
        self._panes: list[Pane] | None = None
        #: the grid rows last set (setting them again costs a full repaint)
        self._rows_spec: str | None = None

    @property
    def oc(self) -> "ObsConsoleApp":
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        if self.oc.standalone_war_room:
            # `obsconsole incident`: the war room is the console and escape quits, so the
            # panes would only be built, styled and fed behind it (a third of its
            # start-up). The hub still runs: the war room reads its results.
            yield Static(Text("Opening the war room…  (q quits)"), id="opening")
            return
        yield StatusHeader(id="header")
        yield PaneTabs(id="tabs")
        with Container(id="panes"):
            # grid order: the half-width panes in pairs, then the wide ones (see
            # apply_layout); numbers, tab order and the tab strip keep pane order
            for cls in sorted(PANE_CLASSES, key=lambda c: (c.wide, c.greedy)):
                if cls.pane_id in self.oc.queries:
                    yield cls(self.oc.ctx)
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        if self.oc.standalone_war_room:
            self.oc.screen_ready = True
            return
        self.apply_layout()
        self.oc.screen_ready = True
        self.oc.refresh_header()
        first = self.panes()[0] if self.panes() else None
        if first is not None:
            self.active_pane = first.pane_id
            first.focus_target().focus()

    def panes(self) -> list[Pane]:
        """The panes in their numbered order (composed once: kept once mounted, as this
        is asked on every update and every second)."""
        if self._panes is not None:
            return self._panes
        found = sorted(self.query(Pane), key=lambda p: p.number)
        if self.is_mounted:
            self._panes = found
        return found

    def pane(self, pane_id: str) -> Pane | None:
        for p in self.panes():
            if p.pane_id == pane_id:
                return p
        return None

    def on_descendant_focus(self, event: Any) -> None:
        node = event.widget
        while node is not None and not isinstance(node, Pane):
            node = node.parent
        if isinstance(node, Pane) and node.pane_id != self.active_pane:
            self.active_pane = node.pane_id
            self.apply_layout()

    def on_resize(self) -> None:
        self.apply_layout()

    def on_room_changed(self, event: RoomChanged) -> None:
        event.stop()
        self.apply_layout()

    @property
    def single(self) -> bool:
        w, h = self.size
        return self.zoomed is not None or w < COMPACT_WIDTH or h < COMPACT_HEIGHT

    def apply_layout(self) -> None:
        if self.oc.standalone_war_room:
            return
        single = self.single
        container = self.query_one("#panes")
        container.set_class(single, "-single")
        panes = self.panes()
        # fewer panes (some left out) use the room: no empty cells
        count = 1 if single else max(1, len(panes))
        columns = min(3 if self.size.width >= WIDE_WIDTH else 2, count)
        container.styles.grid_size_columns = columns
        if single or columns != 2:
            for p in panes:
                _set_span(p, 1)
            # the last pane in the grid (the error stream) takes what the last row leaves
            grid = list(container.query(Pane))
            if grid and not single and count % columns:
                _set_span(grid[-1], columns - count % columns + 1)
            container.styles.grid_size_rows = -(-count // columns)
            self._set_rows(container, "1fr")
        else:
            self._size_rows(container, panes)
        shown = self.zoomed or self.active_pane
        for p in self.panes():
            p.set_class(p.pane_id == shown, "-shown")
        show(self.query_one(PaneTabs), single)
        self.refresh_tabs()

    def _size_rows(self, container: Container, panes: list[Pane]) -> None:
        """Two columns: the half-width panes side by side, each row as tall as its
        panes need (six hosts do not take twelve rows); the wide panes (alerts, then
        the error stream) span both columns, so alert names and error messages get the
        width, and the error stream takes every row left."""
        half = [p for p in container.query(Pane) if not p.wide]
        wide = [p for p in container.query(Pane) if p.wide]
        rows: list[list[Pane]] = [half[i:i + 2] for i in range(0, len(half), 2)] + [[p] for p in wide]
        for p in panes:
            _set_span(p, 2 if p.wide or (len(half) % 2 and p is half[-1]) else 1)
        available = max(1, container.size.height or self.size.height - 2)
        # a row is as tall as its non-greedy panes need (a list beside a short table
        # shows what fits)
        wants = [max((p.wanted_height() for p in row if not p.greedy), default=available) for row in rows]
        # the last row (the error stream, or the last pair) takes the rest
        fixed = wants[:-1]
        spare = available - sum(fixed)
        floor = 8
        if spare < floor and fixed:
            # too little room: shrink the fixed rows evenly, none below 5
            scale = max(0.0, (available - floor)) / max(1, sum(fixed))
            fixed = [max(5, int(w * scale)) for w in fixed]
        container.styles.grid_size_rows = len(rows)
        self._set_rows(container, " ".join([str(h) for h in fixed] + ["1fr"]))

    def _set_rows(self, container: Container, rows: str) -> None:
        """Only a real change: every assignment costs a layout pass (a full repaint)."""
        if self._rows_spec != rows:
            self._rows_spec = rows
            container.styles.grid_rows = rows

    def refresh_tabs(self) -> None:
        if not self.single or self.oc.standalone_war_room:
            return
        shown = self.zoomed or self.active_pane
        tabs = [(p.number, BY_ID[p.pane_id].short, p.health, p.pane_id == shown) for p in self.panes()]
        self.query_one(PaneTabs).show(tabs, self.oc.palette, self.size.width)

    # ------------------------------------------------------------------ actions

    def action_focus_pane(self, number: int) -> None:
        for p in self.panes():
            if p.number == number:
                self.focus_pane(p)
                return

    def action_cycle_pane(self, step: int) -> None:
        panes = self.panes()
        if not panes:
            return
        ids = [p.pane_id for p in panes]
        index = ids.index(self.active_pane) if self.active_pane in ids else 0
        self.focus_pane(panes[(index + step) % len(panes)])

    def focus_pane(self, pane: Pane) -> None:
        self.active_pane = pane.pane_id
        if self.zoomed is not None:
            self.zoomed = pane.pane_id
        self.apply_layout()
        pane.focus_target().focus()

    def action_toggle_maximize(self) -> None:
        self.zoomed = None if self.zoomed else self.active_pane
        self.apply_layout()
        pane = self.pane(self.active_pane)
        if pane is not None:
            pane.focus_target().focus()
            self.call_after_refresh(pane.rerender)

    def action_restore(self) -> None:
        """esc: clear the pane's filter, else leave the maximised view, else dismiss the
        toasts (a CRITICAL one stays 30 s and, at 80×24, covers a pane's last rows)."""
        pane = self.pane(self.active_pane)
        if pane is not None and pane.clear_filter():
            return
        if self.zoomed is not None:
            self.action_toggle_maximize()
        elif self.oc.screen.query("Toast"):
            self.oc.clear_notifications()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "readonly_notice":
            return self.oc.readonly and self.active_pane == "alerts" and self.zoomed in (None, "alerts")
        return True

    def action_readonly_notice(self) -> None:
        self.notify("read-only: acks are disabled, and declaring incidents (started with --readonly)",
                    severity="warning", timeout=5)

    def action_toggle_pause(self) -> None:
        self.oc.toggle_pause()

    def action_refresh_now(self) -> None:
        self.oc.hub.refresh_now()
        self.notify("Refreshing every pane now", timeout=2)


def _set_span(pane: Pane, span: int) -> None:
    if pane.styles.column_span != span:
        pane.styles.column_span = span


#: back to CRITICAL within this many seconds of leaving it: no new bell or toast
FLAP_S = 60.0


class ObsConsoleApp(App[None]):
    """obsconsole's TUI. Everything it shows comes from `queries` through the hub."""

    CSS_PATH = "app.tcss"
    TITLE = "obsconsole"
    BINDINGS = bindings("app")
    COMMANDS = App.COMMANDS | {ActionsProvider}

    def __init__(
        self,
        config: Config,
        *,
        clock: Clock | None = None,
        sources: Sources | None = None,
        readonly: bool = False,
        theme: str | None = None,
        keymap: str | None = None,
        refresh_s: float | None = None,
        demo_elapsed_s: float = 0.0,
        war_room: int | str | None = None,
    ) -> None:
        super().__init__(driver_class=terminal_driver())
        #: `obsconsole incident [ID]`: the incident whose war room opens at start
        #: ("latest": the most recent open one)
        self.war_room = war_room
        #: that war room has read its incident (for the ready file)
        self.war_room_ready = False
        #: the war room is the whole console: the overview's panes are never built
        self.standalone_war_room = war_room is not None
        self.config = config
        self.ctx = config.context
        self.clock: Clock = clock or utc_now
        self.readonly = readonly
        # the war room alone (`obsconsole incident`) polls only what it shows, and the
        # incidents (their NOTIFY listener lives on that query)
        self.session = Session.open(self.ctx, self.clock, self._hub_updated, sources=sources,
                                    refresh_s=refresh_s, demo_elapsed_s=demo_elapsed_s,
                                    only=(*warroom.SHOWN, "incidents") if war_room is not None else None)
        self.sources = self.session.sources
        self.queries = self.session.queries
        self.hub = self.session.hub
        self.themes = load_themes()
        self.theme_name = choose_theme(theme, config.theme, self.themes)
        self.palette = self.themes.palette(self.theme_name)
        loaded = load_keymap(keymap or config.keymap)
        self.keymap_bindings = loaded.bindings
        self.problems = self.themes.problems + loaded.problems
        self._ready_written = False
        self.audit = AuditLog(config.audit_log or default_audit_log())
        #: the overview screen is composed (before that there is nothing to update)
        self.screen_ready = False
        self._last_header: Any = None
        #: what the terminal was last told (its title) and which critical groups it rang for
        self._told_health: Health | None = None
        #: when the console last stopped being CRITICAL (a flap back within FLAP_S
        #: does not ring again: the toast and bell are for news)
        self._critical_ended_at: datetime | None = None
        self._rang_for: set[str] = set()
        self._title_pushed = False
        #: every alarm raised (bell + toast), newest last: what a test or a user can check
        self.alarms: list[str] = []
        #: the screen and how many toasts it showed at the last tick (_reap_toasts)
        self._toasts_seen: tuple[object, int] = (None, 0)

    # ------------------------------------------------------------------ setup

    def get_default_screen(self) -> Screen[Any]:
        return OverviewScreen()

    def on_mount(self) -> None:
        for theme in self.themes.themes.values():
            self.register_theme(theme)
        self.theme = self.theme_name
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        ack_keys = [self.keymap_bindings.get(i, ACTIONS_BY_ID[i].key) for i in ("alerts.ack", "alerts.unack", "alerts.extend", "alerts.declare")]
        self.set_keymap({**self.keymap_bindings, READONLY_NOTICE: ",".join(ack_keys)})
        if self.problems:
            self.notify("\n".join(self.problems), title="Config problems", severity="warning", timeout=15)
        # paint first, connect after: the hub starts once the first frame is out. The war
        # room alone has nothing to paint before its incident and the results it shows
        # are in: its queries start at once, under the war room's building.
        if self.standalone_war_room:
            self.hub.start()
        else:
            self.call_after_refresh(self.hub.start)
        self.run_worker(self.session.follow_incidents(), name="incident store listener", group="session",
                        exit_on_error=False)
        self.set_interval(1.0, self._tick)
        if self.war_room is not None:
            self.run_worker(self._open_war_room_at_start(), name="war room", group="session", exit_on_error=False)

    async def _open_war_room_at_start(self) -> None:
        """`obsconsole incident [ID]`: the war room is the console; escape quits. If it
        cannot open, the console says why and quits (there is nothing else to show)."""
        from obsconsole.ui.screens.warroom import WarRoomScreen

        incident_id = self.war_room
        if isinstance(self.sources.incidents, Missing):
            self.exit(return_code=3, message="obsconsole incident: this context has no incident store (incidents: {dsn: ...})")
            return
        try:
            if incident_id == "latest":
                latest = await self.session.latest_open_incident()
                if latest is None:
                    self.exit(return_code=3, message="obsconsole incident: no open incident (obsconsole incident list --all)")
                    return
                incident_id = latest.id
            await self.push_screen(WarRoomScreen(int(incident_id), standalone=True))
        except SourceError as exc:
            self.exit(return_code=3, message=f"obsconsole incident: the incident store: {exc.message}")
        except Exception as exc:  # noqa: BLE001 - a dead "Opening…" screen is worse
            self.exit(return_code=1, message=f"obsconsole incident: could not open the war room: "
                                             f"{type(exc).__name__}: {clean(str(exc), 200)}")

    def open_war_room(self, incident_id: int) -> None:
        """`w` on the incidents pane: the war room over the overview; escape goes back."""
        from obsconsole.ui.screens.warroom import WarRoomScreen

        if self._has_incident_store("The war room"):
            self.push_screen(WarRoomScreen(incident_id))

    async def on_unmount(self) -> None:
        self._restore_terminal_title()
        await self.session.close()

    def _theme_changed(self, theme: Any) -> None:
        self.theme_name = theme.name
        self.palette = self.themes.palette(theme.name)
        if not self.screen_ready:
            return
        for pane in self.overview.panes():
            pane.rerender()
        room = self._war_room()
        if room is not None:
            room.rerender()
        self._tick()

    @property
    def overview(self) -> OverviewScreen:
        # the default screen is always at the bottom of the stack (modals go above it)
        return self.screen_stack[0]  # type: ignore[return-value]

    @property
    def live(self) -> bool:
        """The overview is on screen and the app is not shutting down. Timers and hub
        results can still arrive while Textual tears the screens down (it stops
        `_running` first, then prunes the widgets, then empties the stack): they are
        dropped quietly."""
        return self.screen_ready and self._running and not self._exit and bool(self.screen_stack)

    def notify(
        self,
        message: str | Text,
        *,
        title: str | Text = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """The one way to show a toast. Textual's toast takes a `str` and reads it as
        markup by default: a Rich `Text` made it raise (and the app exit), and a `[/x]`
        in an alert name or an error message would have too. So a `Text` is shown as its
        plain text, and a `str` is not markup unless a caller says so."""
        if isinstance(message, Text):
            message, markup = message.plain, False
        if isinstance(title, Text):
            title = title.plain
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def _reap_toasts(self) -> None:
        """A toast whose time is up goes, even if the timer that should have removed it
        was lost with a dialog it was first shown over (a "copied" toast raised in a
        detail once stayed on the overview for over a minute, hiding a pane's border).
        Textual 8 keeps the collection private: this reads it, and uses its own refresh."""
        notifications = getattr(self, "_notifications", None)
        if notifications is None:
            return
        expired = [n for n in notifications if n.has_expired]
        for n in expired:
            self._unnotify(n, refresh=False)
        toasts = self.screen.query("Toast")
        shown = [getattr(t, "_notification", None) for t in toasts]
        if expired or any(n is not None and (n.has_expired or n not in notifications) for n in shown):
            self._refresh_notifications()
        # A toast gone can leave its last row painted on a pane's border (seen at 80×24,
        # a lone ▌ over the subtitle, until something else redrew that row): once the
        # number of toasts falls, the whole screen is drawn again, once.
        screen_toasts = (self.screen, len(shown))
        before = self._toasts_seen
        self._toasts_seen = screen_toasts
        if before[0] is screen_toasts[0] and screen_toasts[1] < before[1]:
            self.screen.refresh()

    # ------------------------------------------------------------------ data

    def _hub_updated(self, key: str, snapshot: Snapshot[Any]) -> None:
        self.post_message(SnapshotUpdated(key, snapshot))

    def on_snapshot_updated(self, message: SnapshotUpdated) -> None:
        if not self.live:
            return
        pane = self.overview.pane(message.key)
        if pane is not None:
            query = self.queries[message.key]
            retry_in_s = self.hub.retry_delay_s(message.key) if message.snapshot.error is not None else None
            pane.show_snapshot(message.snapshot, pane_health(query, message.snapshot), self.clock(), retry_in_s)
            if message.key == "incidents" and message.snapshot.has_value:
                alerts = self.overview.pane("alerts")
                if isinstance(alerts, AlertsPane):
                    alerts.set_incidents(message.snapshot.value)
            if not self.overview.single:
                self.overview.apply_layout()
            self.overview.refresh_tabs()
        self.refresh_header()
        self._tell()
        room = self._war_room()
        if room is not None:
            room.snapshots_changed()
        self.populated()

    def populated(self) -> None:
        """Once every pane holds its first result (for `obsconsole incident`: once the war
        room has drawn its incident and the results it shows): the ready file, after
        that frame is out."""
        if self.war_room is not None:
            ready = self.war_room_ready
        else:
            ready = all(self.hub.has_result(k) for k in self.queries)
        if not self._ready_written and ready:
            self._ready_written = True
            self.call_after_refresh(self._write_ready_file)
            # what start-up built (Textual, the widgets, the first data) lives as long as
            # the console: out of the collector's way, so a full collection does not
            # land on a keypress (one cost 200 ms scrolling a thousand incidents). Not in
            # headless runs: a test process would keep every earlier test's garbage.
            if not self.is_headless:
                gc.freeze()

    def _write_ready_file(self) -> None:
        """For benchmarks/tui_cost.py: the moment every pane holds its first result."""
        path = os.environ.get("OBSCONSOLE_READY_FILE")
        if path:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(f"{time.monotonic()}\n")

    # ------------------------------------------------------------------ being told

    def _tell(self) -> None:
        """Make someone in another tmux window notice: a new critical alert group, or the
        console turning CRITICAL, rings the bell (unless `bell: false`), shows a toast and
        puts the state in the terminal title (`obsconsole · CRITICAL · <context>`)."""
        health = self.overall_health()
        news: list[str] = []
        now = self.clock()
        if health is Health.CRITICAL and self._told_health not in (None, Health.CRITICAL):
            flapped = self._critical_ended_at is not None and (now - self._critical_ended_at).total_seconds() < FLAP_S
            if not flapped:
                news.append("obsconsole is CRITICAL")
        if self._told_health is Health.CRITICAL and health is not Health.CRITICAL:
            self._critical_ended_at = now
        alerts = self.hub.snapshots().get("alerts")
        if alerts is not None and isinstance(alerts.value, AlertsView):
            critical = {g.key: g for g in alerts.value.groups
                        if g.severity is Severity.CRITICAL and g.status != "acknowledged"}
            for key, group in critical.items():
                if key not in self._rang_for:
                    news.append(f"new CRITICAL alert: {clean(group.service, 40)} · {clean(group.title, 80)}")
            # a group that resolves and fires again rings again
            self._rang_for = set(critical)
        if health is not self._told_health:
            self._told_health = health
            self._set_terminal_title(health)
        if news:
            self.alarms.extend(news)
            if self.config.bell:
                self.bell()
            self.notify("\n".join(news), title="CRITICAL", severity="error", timeout=30)

    def _set_terminal_title(self, health: Health) -> None:
        """OSC 2 with the console's state; the terminal's own title is pushed first and
        popped on exit (xterm's title stack: CSI 22 / 23 t)."""
        driver = self._driver
        if driver is None or self.is_headless:
            return
        words = {Health.OK: "OK", Health.WARNING: "WARNING", Health.CRITICAL: "CRITICAL", Health.UNKNOWN: "UNKNOWN"}
        if not self._title_pushed:
            self._title_pushed = True
            driver.write("\x1b[22;2t")
        driver.write(f"\x1b]2;obsconsole · {words[health]} · {clean(self.ctx.name, 40)}\x07")

    def _restore_terminal_title(self) -> None:
        if self._title_pushed and self._driver is not None:
            self._title_pushed = False
            # terminals without a title stack ignore the pop: name the console as gone
            self._driver.write("\x1b]2;\x07\x1b[23;2t")

    def show_service(self, service: str) -> None:
        """From an alert group: the error stream narrowed to `service`, and the service
        selected in the latency pane (with its p95 chart); the error pane gets focus."""
        screen = self.overview
        errors = screen.pane("errors")
        latency = screen.pane("latency")
        if isinstance(errors, ErrorsPane):
            errors.show_service(service)
        if isinstance(latency, LatencyPane):
            latency.select_service(service)
        target = errors or latency
        if target is None:
            self.notify(f"No error or latency pane in this context to show {service} in.", severity="warning")
            return
        screen.focus_pane(target)

    def overall_health(self) -> Health:
        return self.session.health()

    def _tick(self) -> None:
        if not self.live:
            return
        self._reap_toasts()
        now = self.clock()
        for pane in self.overview.panes():
            pane.refresh_status(now)
        self.refresh_header()

    def refresh_header(self) -> None:
        if not self.live or self.standalone_war_room:
            return
        screen = self.overview
        line = header_line(
            self.ctx.name,
            self.readonly,
            self.hub.all_paused,
            self.overall_health(),
            self.clock(),
            self.palette,
            screen.size.width,
        )
        if not same_cell(line, self._last_header):
            self._last_header = line
            screen.query_one(StatusHeader).update(line)

    # ------------------------------------------------------------------ actions

    def toggle_pause(self) -> None:
        if self.hub.all_paused:
            self.hub.resume_all()
        else:
            self.hub.pause_all()
        for pane in self.overview.panes():
            pane.paused = self.hub.is_paused(pane.pane_id)
        self._tick()

    def toggle_pane_pause(self, pane_id: str) -> None:
        if self.hub.is_paused(pane_id):
            self.hub.resume(pane_id)
        else:
            self.hub.pause(pane_id)
        pane = self.overview.pane(pane_id)
        if pane is not None:
            pane.paused = self.hub.is_paused(pane_id)
        self._tick()

    def action_help(self) -> None:
        """`?`, on every screen: the keys, those of the dialog it was opened over first."""
        if isinstance(self.screen, HelpScreen):
            return
        dialog = None
        if self.screen is not self.overview:
            # the dialog's own keys (not the scrolling and focus keys every screen has)
            dialog = [
                (key_display(active.binding.key_display or key), active.binding.description)
                for key, active in self.screen.active_bindings.items()
                if active.node is self.screen and active.enabled and active.binding.description
                and key != "question_mark"
            ] + list(self.screen.HELP_EXTRA if isinstance(self.screen, Dialog) else ())
        pane = self.overview.pane(self.overview.active_pane)
        self.push_screen(HelpScreen(self.keymap_bindings, pane.title if pane else None,
                                    pane.pane_id if pane else None, self.readonly, dialog))

    # ------------------------------------------------------------------ what panes ask

    def on_log_query_changed(self, message: LogQueryChanged) -> None:
        self.sources.errors.set_query(message.query)
        self.hub.refresh_now(message.pane_id)

    def on_chart_points_changed(self, message: ChartPointsChanged) -> None:
        self.sources.set_points(message.pane_id, message.points)

    def on_pane_pause_toggled(self, message: PanePauseToggled) -> None:
        self.toggle_pane_pause(message.pane_id)

    def on_service_shown(self, message: ServiceShown) -> None:
        self.show_service(message.service)

    def on_alert_action_requested(self, message: AlertActionRequested) -> None:
        source = self.sources.alerts
        if isinstance(source, Missing):
            self.notify("Acks need an Alertmanager; this context has none.", severity="warning")
            return
        # shown as Alertmanager has it afterwards, not as we hope it went
        self.run_worker(self._reported(message.run(source, self.audit, self.clock), "alerts"),
                        name="alerts action", group="alerts-action", exclusive=True, exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a worker's error lands: shown as a failed action (an action
        that raised did not do what it said), never a crash."""
        if event.state is WorkerState.ERROR and event.worker.group == "alerts-action":
            error = event.worker.error
            self.report(ActionResult(False, f"{event.worker.name} FAILED: {clean(str(error), 200)}",
                                     (type(error).__name__,)))
            if "alerts" in self.queries:
                self.hub.refresh_now("alerts")

    def _has_incident_store(self, what: str) -> bool:
        """Whether the context has an incident store; a notice naming `what` if not."""
        if isinstance(self.sources.incidents, Missing) or "incidents" not in self.queries:
            self.notify(f"{what} needs an incident store; this context has none (incidents: {{dsn: ...}}).",
                        severity="warning")
            return False
        return True

    def on_incident_declare_requested(self, message: IncidentDeclareRequested) -> None:
        from obsconsole.actions.incidents import declare

        if not self._has_incident_store("Declaring"):
            return
        plan = dataclasses.replace(message.plan,
                                   suggestions=self.session.suggested(message.plan.services, message.plan.alerts))
        self.run_worker(self._reported(declare(plan, self.sources.incidents, self.audit, self.clock,
                                               self.sources.pagerduty), "incidents"),
                        name="declare", group="alerts-action", exclusive=True, exit_on_error=False)

    def on_war_room_requested(self, message: WarRoomRequested) -> None:
        self.open_war_room(message.incident_id)

    def incident_change(self, change: Change, after: Callable[[], None] | None = None) -> None:
        """A change to an incident from the war room: audited, mirrored to PagerDuty when
        configured, reported (FAILED when the store did not take it), then read again."""
        from obsconsole.actions.incidents import Context, change as run_change

        ctx = Context(self.sources.incidents, self.audit, self.clock, self.sources.pagerduty)

        async def work() -> ActionResult:
            try:
                return await self._reported(run_change(change, ctx), "incidents")
            finally:
                if after is not None:
                    after()

        self.run_worker(work(), name=change.words, group="alerts-action", exit_on_error=False)

    async def _reported(self, action: Awaitable[ActionResult], pane_id: str) -> ActionResult:
        """Run an action, show its result, and read the pane it changed again at once."""
        result = await action
        self.report(result)
        self.hub.refresh_now(pane_id)
        return result

    def report(self, result: ActionResult) -> None:
        """Show what an action did; a failure stays on screen until dismissed."""
        body = result.summary + ("\n" + "\n".join(result.details) if result.details else "")
        if result.ok:
            self.notify(body, title="Done", timeout=8)
        else:
            self.notify(body, title="FAILED", severity="error", timeout=60)

    def keymap_keys(self, spec: ActionSpec) -> str:
        return self.keymap_bindings.get(spec.id, spec.key)

    def _war_room(self) -> Any:
        """The war room, when it is the screen on top (no import: a console that never
        opened one has not loaded its module, and asks this on every result)."""
        module = sys.modules.get("obsconsole.ui.screens.warroom")
        return self.screen if module is not None and isinstance(self.screen, module.WarRoomScreen) else None

    def palette_actions(self) -> list[ActionSpec]:
        """What the palette offers here: in the war room its own actions and the app's;
        elsewhere everything but the war room's."""
        in_war_room = self._war_room() is not None
        return [a for a in available(self.readonly) if a.palette
                and (a.scope in ("warroom", "app") if in_war_room else a.scope != "warroom")]

    async def run_spec(self, spec: ActionSpec) -> None:
        """Run an action-table row from the palette on the widget its scope names."""
        screen = self.overview
        pane = screen.pane(screen.active_pane)
        target: Any
        if spec.scope == "app":
            target = self
        elif spec.scope == "warroom":
            target = self._war_room()
        elif spec.scope == "overview":
            target = screen
        elif spec.scope == "pane":
            target = pane
        elif spec.scope in BY_ID:  # a pane's own action acts on that pane
            target = screen.pane(spec.scope)
        else:
            target = pane.focus_target() if pane is not None else None
        if target is None:
            return
        await self.run_action(spec.action, target)
