"""Pane 7: the open incidents of the shared store: severity, title, status, commander,
age, time since the last update (stale after 30 minutes: the on-call rule of thumb for
"tell people something") and the alerts linked to each."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from rich.text import Text

from obsconsole.logic.sanitize import inert_cell
from obsconsole.logic.warroom import STALE_AFTER_S
from obsconsole.model import Health, IncidentsView, IncidentStatus
from obsconsole.ui.actions import bindings
from obsconsole.ui.formats import SEVERITY_SHORT, human_age
from obsconsole.ui.messages import WarRoomRequested
from obsconsole.ui.panes.base import Column, Pane
from obsconsole.ui.widgets.table import Row


class IncidentsPane(Pane):
    pane_id = "incidents"
    wide = True
    BINDINGS = bindings("pane") + bindings("incidents")

    def action_war_room(self) -> None:
        """`w`: the selected incident's war room."""
        key = self.table.selected_key()
        if key is None or not key.isdigit():
            view: IncidentsView | None = self.snapshot.value
            self.app.notify("Select an incident first." if view is not None and view.incidents
                            else "No open incident: no war room to open.", severity="warning")
            return
        self.post_message(WarRoomRequested(int(key)))

    def columns(self) -> Sequence[Column]:
        return [
            # narrow: the id goes first, then the age, the alert count, the commander
            Column("#", 4, justify="right", drop=4),
            Column("sev", 4),
            Column("incident", 20, flex=True),
            Column("status", 13),
            Column("commander", 10, flex=True, cap=16, drop=1),
            Column("age", 5, justify="right", drop=3),
            Column("updated", 11),
            Column("alerts", 6, justify="right", drop=2),
        ]

    def _ages(self, i: Any, now: Any) -> tuple[Text, Text]:
        """The age and "updated" cells of one incident at `now` (STALE from 30 min)."""
        since = max(0.0, (now - i.updated_at).total_seconds())
        updated = Text(f"{human_age(since)} ago")
        if since >= STALE_AFTER_S:
            updated = Text(f"STALE {human_age(since)}", style=self.palette.health(Health.WARNING))
        return Text(human_age(max(0.0, (now - i.created_at).total_seconds())), justify="right"), updated

    def rows(self, value: IncidentsView) -> Iterable[Row]:
        p = self.palette
        now = self.console.clock()
        for s in value.incidents:
            i = s.incident
            age, updated = self._ages(i, now)
            status_style = p.health(Health.OK) if i.status is IncidentStatus.MONITORING else ""
            yield str(i.id), [
                Text(str(i.id), justify="right"),
                Text(SEVERITY_SHORT[i.severity], style=p.severity(i.severity)),
                inert_cell(i.title, self.width_of("incident")),
                Text(i.status.value, style=status_style),
                inert_cell(i.commander or "– none –", self.width_of("commander")),
                age,
                updated,
                Text(str(s.linked_alerts), justify="right"),
            ]

    def refresh_status(self, now: Any) -> None:
        super().refresh_status(now)
        # the ages tick: "10s ago" must not stay on screen for the 30 s between polls.
        # Only the rows on screen are redrawn (a thousand open incidents: the others
        # get theirs when scrolled to, within a second), and only their changed cells.
        view: IncidentsView | None = self.snapshot.value
        if view is None or not view.incidents or not self.live:
            return
        by_id = {str(s.incident.id): s.incident for s in view.incidents}
        for key in self.table.visible_keys():
            incident = by_id.get(key)
            if incident is not None:
                age, updated = self._ages(incident, now)
                self.table.update_cells(key, {"age": age, "updated": updated})

    def summary(self, value: IncidentsView) -> str:
        if not value.incidents:
            return "none open"
        now = self.console.clock()
        stale = sum(1 for s in value.incidents if (now - s.incident.updated_at).total_seconds() >= STALE_AFTER_S)
        return f"{len(value.incidents)} open" + (f", {stale} stale" if stale else "")

    def empty_text(self) -> str:
        return "no open incident"

    def detail(self, key: str) -> tuple[str, list[tuple[str, Any]]] | None:
        view: IncidentsView | None = self.snapshot.value
        for s in view.incidents if view else ():
            i = s.incident
            if str(i.id) != key:
                continue
            return f"Incident #{i.id}", [
                ("title", i.title),
                ("severity", i.severity.value),
                ("status", i.status.value),
                ("commander", i.commander or "none"),
                ("services", ", ".join(i.services)),
                ("declared", f"{i.created_at:%Y-%m-%d %H:%M:%S} UTC by {i.created_by}"),
                ("last update", f"{i.updated_at:%Y-%m-%d %H:%M:%S} UTC"),
                ("acknowledged", f"{i.acknowledged_at:%Y-%m-%d %H:%M:%S} UTC" if i.acknowledged_at else "not yet"),
                ("linked alerts", s.linked_alerts),
                ("description", i.description),
            ]
        return None
