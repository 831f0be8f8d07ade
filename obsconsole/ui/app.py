"""The Textual application: the overview screen of six panes fed by the hub.

Flow: the hub (obsconsole/hub.py) polls each pane's query on its own schedule and calls
back with a `Snapshot`; the app turns that into a `SnapshotUpdated` message (a newer one
for the same pane replaces an unprocessed older one, so a slow terminal never works
through a backlog); the pane renders it. Start-up paints first and connects after.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from typing import Any, Callable

from textual.app import App, ComposeResult
from textual.containers import Container
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer

from obsconsole.actions.audit import AuditLog
from obsconsole.config import Config
from obsconsole.locations import default_audit_log
from obsconsole.hub import Hub
from obsconsole.model import ActionResult, Health, Snapshot
from obsconsole.queries import Sources, build_sources, overall_health, pane_health, pane_queries
from obsconsole.ui.actions import ActionSpec, available, bindings
from obsconsole.ui.header import PaneTabs, StatusHeader, header_line
from obsconsole.ui.keymaps import load_keymap
from obsconsole.ui.line import show
from obsconsole.ui.palette import ActionsProvider
from obsconsole.ui.panes import PANE_CLASSES
from obsconsole.ui.panes.base import Pane, same_cell
from obsconsole.ui.screens import HelpScreen
from obsconsole.ui.theming import choose_theme, load_themes

Clock = Callable[[], datetime]

#: below this size one pane fills the screen and a tab strip shows the others
COMPACT_WIDTH = 100
COMPACT_HEIGHT = 30
#: from this width the grid has three columns
WIDE_WIDTH = 180

SHORT_NAMES = {"infra": "Infra", "latency": "Latency", "errors": "Errors", "slo": "SLO", "alerts": "Alerts", "security": "Security"}


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

    BINDINGS = bindings("overview")

    def __init__(self) -> None:
        super().__init__(id="overview")
        self.zoomed: str | None = None
        self.active_pane: str = "infra"

    @property
    def oc(self) -> "ObsConsoleApp":
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield StatusHeader(id="header")
        yield PaneTabs(id="tabs")
        with Container(id="panes"):
            for cls in PANE_CLASSES:
                if cls.pane_id in self.oc.queries:
                    yield cls(self.oc.ctx)
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.apply_layout()
        self.oc.screen_ready = True
        self.oc.refresh_header()
        first = self.panes()[0] if self.panes() else None
        if first is not None:
            self.active_pane = first.pane_id
            first.focus_target().focus()

    def panes(self) -> list[Pane]:
        return list(self.query(Pane))

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

    @property
    def single(self) -> bool:
        w, h = self.size
        return self.zoomed is not None or w < COMPACT_WIDTH or h < COMPACT_HEIGHT

    def apply_layout(self) -> None:
        single = self.single
        container = self.query_one("#panes")
        container.set_class(single, "-single")
        # fewer panes (some left out) use the room: no empty cells
        count = 1 if single else max(1, len(self.panes()))
        columns = min(3 if self.size.width >= WIDE_WIDTH else 2, count)
        container.styles.grid_size_columns = columns
        container.styles.grid_size_rows = -(-count // columns)
        shown = self.zoomed or self.active_pane
        for p in self.panes():
            p.set_class(p.pane_id == shown, "-shown")
        show(self.query_one(PaneTabs), single)
        self.refresh_tabs()

    def refresh_tabs(self) -> None:
        if not self.single:
            return
        shown = self.zoomed or self.active_pane
        tabs = [(p.number, SHORT_NAMES[p.pane_id], p.health, p.pane_id == shown) for p in self.panes()]
        self.query_one(PaneTabs).show(tabs, self.oc.palette)

    # ------------------------------------------------------------------ actions

    def action_focus_pane(self, number: int) -> None:
        for p in self.panes():
            if p.number == number:
                self._focus(p)
                return

    def action_cycle_pane(self, step: int) -> None:
        panes = self.panes()
        if not panes:
            return
        ids = [p.pane_id for p in panes]
        index = ids.index(self.active_pane) if self.active_pane in ids else 0
        self._focus(panes[(index + step) % len(panes)])

    def _focus(self, pane: Pane) -> None:
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
        pane = self.pane(self.active_pane)
        if pane is not None and pane.clear_filter():
            return
        if self.zoomed is not None:
            self.action_toggle_maximize()

    def action_toggle_pause(self) -> None:
        self.oc.toggle_pause()

    def action_refresh_now(self) -> None:
        self.oc.hub.refresh_now()
        self.notify("Refreshing every pane now", timeout=2)


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
    ) -> None:
        super().__init__()
        self.config = config
        self.ctx = config.context
        self.clock: Clock = clock or utc_now
        self.readonly = readonly
        self.sources = sources or build_sources(self.ctx, self.clock, elapsed_s=demo_elapsed_s)
        self.queries = pane_queries(self.ctx, self.sources)
        self.hub = Hub(self.clock, self._hub_updated)
        for pid, query in self.queries.items():
            pane_cfg = self.ctx.panes.refresh[pid]
            self.hub.add(pid, query.fetch, refresh_s or pane_cfg.refresh_s, pane_cfg.timeout_s)
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

    # ------------------------------------------------------------------ setup

    def get_default_screen(self) -> Screen[Any]:
        return OverviewScreen()

    def on_mount(self) -> None:
        for theme in self.themes.themes.values():
            self.register_theme(theme)
        self.theme = self.theme_name
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.set_keymap(self.keymap_bindings)
        if self.problems:
            self.notify("\n".join(self.problems), title="Config problems", severity="warning", timeout=15)
        # paint first, connect after: the hub starts once the first frame is out
        self.call_after_refresh(self.hub.start)
        self.set_interval(1.0, self._tick)

    async def on_unmount(self) -> None:
        await self.hub.stop()
        await self.sources.aclose()

    def _theme_changed(self, theme: Any) -> None:
        self.theme_name = theme.name
        self.palette = self.themes.palette(theme.name)
        if not self.screen_ready:
            return
        for pane in self.overview.panes():
            pane.rerender()
        self._tick()

    @property
    def overview(self) -> OverviewScreen:
        # the default screen is always at the bottom of the stack (modals go above it)
        return self.screen_stack[0]  # type: ignore[return-value]

    # ------------------------------------------------------------------ data

    def _hub_updated(self, key: str, snapshot: Snapshot[Any]) -> None:
        self.post_message(SnapshotUpdated(key, snapshot))

    def on_snapshot_updated(self, message: SnapshotUpdated) -> None:
        pane = self.overview.pane(message.key)
        if pane is None:
            return
        query = self.queries[message.key]
        pane.show_snapshot(message.snapshot, pane_health(query, message.snapshot), self.clock())
        self.overview.refresh_tabs()
        self.refresh_header()
        if not self._ready_written and all(self.hub.has_result(k) for k in self.queries):
            self._ready_written = True
            self.call_after_refresh(self._write_ready_file)

    def _write_ready_file(self) -> None:
        """For benchmarks/tui_cost.py: the moment every pane holds its first result."""
        path = os.environ.get("OBSCONSOLE_READY_FILE")
        if path:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(f"{time.monotonic()}\n")

    def overall_health(self) -> Health:
        return overall_health(self.queries, self.hub.snapshots())

    def _tick(self) -> None:
        if not self.screen_ready:
            return
        now = self.clock()
        for pane in self.overview.panes():
            pane.refresh_status(now)
        self.refresh_header()

    def refresh_header(self) -> None:
        if not self.screen_ready:
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
        pane = self.overview.pane(self.overview.active_pane)
        self.push_screen(HelpScreen(self.keymap_bindings, pane.title if pane else None,
                                    pane.pane_id if pane else None, self.readonly))

    def report(self, result: ActionResult) -> None:
        """Show what an action did; a failure stays on screen until dismissed."""
        body = result.summary + ("\n" + "\n".join(result.details) if result.details else "")
        if result.ok:
            self.notify(body, title="Done", timeout=8)
        else:
            self.notify(body, title="FAILED", severity="error", timeout=60)

    def keymap_keys(self, spec: ActionSpec) -> str:
        return self.keymap_bindings.get(spec.id, spec.key)

    def palette_actions(self) -> list[ActionSpec]:
        return [a for a in available(self.readonly) if a.palette]

    async def run_spec(self, spec: ActionSpec) -> None:
        """Run an action-table row from the palette on the widget its scope names."""
        screen = self.overview
        pane = screen.pane(screen.active_pane)
        target: Any
        if spec.scope == "app":
            target = self
        elif spec.scope == "overview":
            target = screen
        elif spec.scope == "pane":
            target = pane
        elif spec.scope in SHORT_NAMES:  # a pane's own action acts on that pane
            target = screen.pane(spec.scope)
        else:
            target = pane.focus_target() if pane is not None else None
        if target is None:
            return
        await self.run_action(spec.action, target)
