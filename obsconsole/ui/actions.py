"""The action table: one row per user action, feeding key bindings, the command palette
and the `?` help screen, so a key and its palette entry cannot drift apart.

Every binding has a stable namespaced id (`pane.maximize`); keymaps (keymaps/*.yaml)
map ids to keys and are applied with `App.set_keymap`.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

from obsconsole.panes import PANES


@dataclass(frozen=True)
class ActionSpec:
    """One user action.

    Attributes:
        id: stable binding id, used by keymaps (`area.verb`, kebab-case).
        key: default key(s), comma-separated Textual key names.
        action: the Textual action string run on the widget of `scope`.
        title: palette entry, "area: Verb".
        help: one line for the help screen.
        scope: "app" (bound on the App: works on every screen), "overview" (the
            overview screen), "pane" (the focused pane), or "table" (the focused
            table's cursor).
        show: shown in the footer.
        mutating: changes a system (hidden by --readonly).
        palette: offered in the command palette.
    """

    id: str
    key: str
    action: str
    title: str
    help: str
    scope: str = "app"
    show: bool = False
    mutating: bool = False
    palette: bool = True
    key_display: str | None = None
    #: the footer's one-word label (defaults to the title's verb)
    label: str = ""

    def binding(self) -> Binding:
        return Binding(
            self.key,
            self.action,
            self.label or self.title.split(": ", 1)[-1],
            show=self.show,
            id=self.id,
            key_display=self.key_display,
        )


ACTIONS: tuple[ActionSpec, ...] = (
    # ---- app
    ActionSpec("app.help", "question_mark", "help", "app: Show keys", "Show every key of the app and of the focused pane", show=True, key_display="?", label="Keys"),
    ActionSpec("app.palette", "ctrl+p,colon", "command_palette", "app: Command palette", "Open the command palette", show=True, palette=False, label="Palette"),
    ActionSpec("app.pause", "p", "toggle_pause", "app: Pause / resume refresh", "Pause or resume every refresh", show=True, scope="overview", label="Pause"),
    ActionSpec("app.refresh", "r", "refresh_now", "app: Refresh now", "Refresh every pane now", show=True, scope="overview", label="Refresh"),
    ActionSpec("app.quit", "q", "quit", "app: Quit", "Quit obsconsole", show=True, label="Quit"),
    # one focus key per pane of the registry: its number
    *(ActionSpec(f"pane.focus-{p.number}", str(p.number), f"focus_pane({p.number})", f"pane: Go to {p.name}",
                 f"Focus pane {p.number}: {p.about}", scope="overview") for p in PANES),
    ActionSpec("pane.next", "tab", "cycle_pane(1)", "pane: Next pane", "Focus the next pane", palette=False, scope="overview"),
    ActionSpec("pane.previous", "shift+tab", "cycle_pane(-1)", "pane: Previous pane", "Focus the previous pane", palette=False, scope="overview"),
    ActionSpec("pane.maximize", "m", "toggle_maximize", "pane: Maximise / restore", "Maximise the focused pane, or restore the overview", show=True, scope="overview", label="Maximise"),
    ActionSpec("pane.restore", "escape", "restore", "pane: Restore overview", "Clear the pane filter, else leave the maximised view, else dismiss the toasts", palette=False, scope="overview"),
    # ---- pane (bindings live on the pane widget: they act on the focused pane)
    ActionSpec("pane.search", "slash", "start_search", "pane: Filter rows", "Filter the focused pane's rows by text", scope="pane", key_display="/"),
    ActionSpec("pane.pause", "P", "toggle_pane_pause", "pane: Pause / resume this pane", "Pause or resume the focused pane's refresh", scope="pane"),
    ActionSpec("pane.sort", "o", "cycle_sort", "pane: Sort by next column", "Sort the rows by the next column (a click on a header sorts by it); after the last, the pane's own order", scope="pane"),
    ActionSpec("pane.sort-reverse", "O", "reverse_sort", "pane: Reverse sort", "Reverse the sort order", scope="pane"),
    # ---- alerts pane (mutating: hidden by --readonly)
    ActionSpec("alerts.ack", "a", "ack", "alerts: Acknowledge", "Acknowledge the selected alert group (a silence, after a confirmation)", scope="alerts", mutating=True, show=True, label="Ack"),
    ActionSpec("alerts.unack", "A", "unack", "alerts: Expire acknowledgement", "Expire the selected group's ack (its silences)", scope="alerts", mutating=True, show=True, label="Unack"),
    ActionSpec("alerts.extend", "e", "extend_ack", "alerts: Extend acknowledgement", "Extend the selected group's ack by the ack duration from now", scope="alerts", mutating=True, show=True, label="Extend"),
    ActionSpec("alerts.declare", "i", "declare", "incident: Declare from alerts", "Declare an incident from the selected alert group (title, severity and services prefilled, its alerts linked), after a confirmation", scope="alerts", mutating=True, show=True, label="Incident"),
    ActionSpec("alerts.service", "s", "show_service", "alerts: Show the service's errors and latency", "Filter the error stream to the selected group's service and select it in the latency pane", scope="alerts", show=True, label="Service"),
    # ---- incidents pane
    ActionSpec("incidents.war-room", "w", "war_room", "incident: Open the war room", "Open the war room of the selected incident: its clocks, timeline, linked alerts, errors, latency and SLO budget", scope="incidents", show=True, label="War room"),
    # ---- war room (mutating: hidden by --readonly; each is audited)
    ActionSpec("warroom.note", "n", "note", "war room: Add a note", "Add a note to the incident's timeline", scope="warroom", mutating=True, show=True, label="Note"),
    ActionSpec("warroom.status", "S", "status", "war room: Change status", "Move the incident on: investigating, identified, monitoring, resolved (reopening asks why)", scope="warroom", mutating=True, show=True, label="Status"),
    ActionSpec("warroom.commander", "c", "commander", "war room: Set commander", "Name the incident commander (you, by default): acknowledges the incident and stops its escalation", scope="warroom", mutating=True, show=True, label="Commander"),
    ActionSpec("warroom.severity", "v", "severity", "war room: Change severity", "Raise or lower the incident's severity", scope="warroom", mutating=True, show=True, label="Severity"),
    ActionSpec("warroom.link", "L", "link", "war room: Link alerts", "Link the firing alerts of the incident's services not linked yet", scope="warroom", mutating=True, show=True, label="Link"),
    ActionSpec("warroom.unlink", "U", "unlink", "war room: Unlink the selected alert", "Unlink the alert under the cursor in the linked alerts", scope="warroom", mutating=True, show=True, label="Unlink"),
    ActionSpec("warroom.back", "escape", "back", "war room: Back to the overview", "Dismiss the toasts, else leave the war room (obsconsole incident: quit)", scope="warroom", palette=False, show=True, label="Back"),
    # ---- error stream pane
    ActionSpec("errors.level", "l", "cycle_level", "errors: Cycle level filter", "Show the configured levels, FATAL, ERROR, or WARN and above", scope="errors", show=True, label="Level"),
    ActionSpec("errors.service", "s", "cycle_service", "errors: Cycle service filter", "Show every service seen in the last hour, one at a time, then all", scope="errors", show=True, label="Service"),
    ActionSpec("errors.follow", "f", "toggle_follow", "errors: Follow on / off", "Hold the stream still (events keep arriving and are counted) or follow it again; moving the cursor off the top row holds it too", scope="errors", show=True, label="Follow"),
    ActionSpec("errors.copy", "y", "copy_field", "errors: Copy trace id", "Copy the selected event's trace id (or message) to the clipboard (OSC 52)", scope="errors", show=True, label="Copy"),
    # ---- security pane
    ActionSpec("security.top", "t", "toggle_top", "security: Top 10 / events", "Switch the table between the events and the top 10 of the last 24 h (by level, then count)", scope="security", show=True, label="Top 10"),
    # ---- table cursor (bindings live on every pane table)
    ActionSpec("table.detail", "enter", "select_cursor", "pane: Open detail", "Open the detail of the selected row", scope="table", palette=True),
    ActionSpec("table.down", "down", "cursor_down", "table: Down", "Move the cursor down", scope="table", palette=False),
    ActionSpec("table.up", "up", "cursor_up", "table: Up", "Move the cursor up", scope="table", palette=False),
    ActionSpec("table.page-down", "pagedown", "page_down", "table: Page down", "Move one page down", scope="table", palette=False),
    ActionSpec("table.page-up", "pageup", "page_up", "table: Page up", "Move one page up", scope="table", palette=False),
    ActionSpec("table.top", "home", "scroll_top", "table: Top", "Go to the first row", scope="table", palette=False),
    ActionSpec("table.bottom", "end", "scroll_bottom", "table: Bottom", "Go to the last row", scope="table", palette=False),
    ActionSpec("table.left", "left", "scroll_left", "table: Scroll left", "Scroll left", scope="table", palette=False),
    ActionSpec("table.right", "right", "scroll_right", "table: Scroll right", "Scroll right", scope="table", palette=False),
)

ACTIONS_BY_ID = {a.id: a for a in ACTIONS}


def bindings(scope: str, readonly: bool = False) -> list[Binding]:
    """The Textual bindings of one scope (the source of every BINDINGS list)."""
    return [a.binding() for a in ACTIONS if a.scope == scope and not (readonly and a.mutating)]


def available(readonly: bool) -> list[ActionSpec]:
    """Actions a user may invoke now (`--readonly` hides every mutating one)."""
    return [a for a in ACTIONS if not (readonly and a.mutating)]
