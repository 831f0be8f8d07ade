"""Pane 5: active alerts grouped per SPEC §4 (same service and category within 5
minutes; the group takes the highest severity), severity colour, age, status, whether
the group reaches any notification channel (SPEC §5), and acks.

`a` acknowledges the selected group (a silence in Alertmanager, after a confirmation
that shows exactly what will be silenced), `A` expires the ack, `e` extends it. The
pane shows a group as acked only when Alertmanager says its alerts are silenced.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Iterable, Sequence

from rich.text import Text

from obsconsole.actions import ack as ack_actions
from obsconsole.logic import incidents, lifecycle, silences, warroom
from obsconsole.logic.sanitize import inert
from obsconsole.model import AlertGroup, AlertsView, Health, IncidentsView, Severity
from obsconsole.ui.actions import bindings
from obsconsole.ui.messages import AlertActionRequested, IncidentDeclareRequested, ServiceShown
from obsconsole.ui.panes.base import Column, Pane
from obsconsole.ui.widgets.table import Row
from obsconsole.ui.formats import SEVERITY_SHORT, count_of, human_age


#: actions hidden by --readonly (they change Alertmanager)
MUTATING = frozenset({"ack", "unack", "extend_ack", "declare"})


class AlertsPane(Pane):
    BINDINGS = bindings("pane") + bindings("alerts")

    pane_id = "alerts"
    #: fingerprint → (incident id, acknowledged) of the open incidents' linked alerts
    incident_links: dict[str, tuple[int, bool]] = {}
    wide = True

    def columns(self) -> Sequence[Column]:
        return [
            Column("sev", 4),
            Column("alert", 20, flex=True),
            Column("age", 5),
            # "acked 1:29:59" whole: a countdown cut to "acked 1:29:" misleads
            Column("status", 13),
        ]

    @property
    def view(self) -> AlertsView | None:
        return self.snapshot.value

    def rows(self, value: AlertsView) -> Iterable[Row]:
        p = self.palette
        now = self.console.clock()
        for g in value.groups:
            more = f" (+{len(g.alerts) - 1})" if len(g.alerts) > 1 else ""
            what = inert(f"{g.service} · ", style="bold", max_len=60) + inert(g.title + more, max_len=200)
            acks = value.acks(g)
            if g.status == "acknowledged" and acks:
                s = acks[0]
                what.append(" — acked by ", style=p.muted)
                what.append_text(inert(s.created_by.split("@")[0], max_len=30))
                left = silences.countdown(silences.remaining_s(s, now))
                status = Text(f"acked {left}", style=p.health(Health.OK))
            elif acks:
                # silenced somewhere but not everywhere: not an ack
                status = Text("part-ack", style=p.health(Health.WARNING))
            elif incidents.is_unrouted(g, self.ctx.channels, now):
                status = Text("unrouted", style=p.health(Health.WARNING))
            elif (incident := self._incident_of(g)) is not None and incident[1]:
                # its incident is acknowledged: escalation stopped, someone is on it
                status = Text(f"incident #{incident[0]}", style=p.health(Health.OK))
            elif (step := warroom.group_escalation(g, self.ctx.channels, now)) is not None:
                status = Text(f"esc {silences.countdown(step.in_s)}", style=p.health(Health.WARNING))
            else:
                status = Text("active")
            what.truncate(self.width_of("alert"), overflow="ellipsis")
            yield g.key, [
                Text(SEVERITY_SHORT[g.severity], style=p.severity(g.severity)),
                what,
                # a clock skewed ahead (or a startsAt in the future) is not a negative age
                Text(human_age(max(0.0, (now - g.first_at).total_seconds())), justify="right"),
                status,
            ]

    def set_incidents(self, view: IncidentsView | None) -> None:
        """The open incidents (from the App, on each incidents update): a group linked
        to an acknowledged one has its escalation stopped."""
        links: dict[str, tuple[int, bool]] = {}
        for s in view.incidents if view else ():
            for fp in s.fingerprints:
                links.setdefault(fp, (s.incident.id, s.incident.acknowledged_at is not None))
        if links != self.incident_links:
            self.incident_links = links
            self.rerender()

    def _incident_of(self, group: AlertGroup) -> tuple[int, bool] | None:
        found = [self.incident_links[a.fingerprint] for a in group.alerts if a.fingerprint in self.incident_links]
        return max(found, key=lambda f: (f[1], -f[0])) if found else None

    def summary(self, value: AlertsView) -> str:
        if not value.groups:
            return "none firing"
        firing = sum(len(g.alerts) for g in value.groups)
        acked = sum(1 for g in value.groups if g.status == "acknowledged")
        text = f"{count_of(len(value.groups), 'group')}, {count_of(firing, 'alert')}"
        return text + (f", {acked} acked" if acked else "")

    def warning(self) -> Text | None:
        view = self.view
        if view is None or not view.peers_down:
            return None
        line = Text("⚠ partial: ", style=self.palette.health(Health.WARNING))
        line.append(inert("; ".join(view.peers_down), max_len=300))
        line.append(" · showing the other Alertmanagers' alerts", style="italic")
        return line

    def refresh_status(self, now: Any) -> None:
        super().refresh_status(now)
        # ack countdowns tick: redraw (only the changed cells are sent)
        view = self.view
        if view is not None and view.groups:
            # ack countdowns and escalation clocks tick
            self.rerender()

    def detail(self, key: str) -> tuple[str, list[tuple[str, Any]]] | None:
        now = self.console.clock()
        view = self.view
        for g in view.groups if view else ():
            if g.key != key:
                continue
            routes = incidents.routes(g, self.ctx.channels, now)
            fields: list[tuple[str, Any]] = [
                ("group", f"{g.service} / {g.category}"),
                ("severity", g.severity.value),
                ("status", g.status),
                ("first alert", f"{g.first_at:%Y-%m-%d %H:%M:%S} UTC ({human_age((now - g.first_at).total_seconds())} ago)"),
                ("routes to", ", ".join(
                    f"{r.channel}{'' if r.active else ' (off-hours)'}"
                    + (f" · next escalation in {human_age(r.next_step_in_s)}" if r.next_step_in_s is not None else " · last step reached")
                    for r in routes) or "UNROUTED: reaches no channel"),
            ]
            for s in view.acks(g):
                fields.append(("ack", f"{s.created_by} until {s.ends_at:%H:%M:%S} UTC "
                                      f"({silences.countdown(silences.remaining_s(s, now))} left) · silence {s.id} · {s.comment}"))
            for i, a in enumerate(g.alerts, 1):
                prefix = f"alert {i}"
                fields.append((prefix, f"{a.name} [{a.severity.value}] since {a.starts_at:%H:%M:%S} UTC, state {a.state}"))
                for k, v in sorted(a.annotations.items()):
                    fields.append((f"{prefix} {k}", v))
                fields.append((f"{prefix} labels", ", ".join(f"{k}={v}" for k, v in sorted(a.labels.items()))))
                if a.origins:
                    fields.append((f"{prefix} from", ", ".join(a.origins)))
            return f"Alert group {g.service}/{g.category}", fields
        return None

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in MUTATING and self.console.readonly:
            # hidden; the overview screen's `readonly_notice` then says why
            return False
        return True

    def empty_text(self) -> str:
        return "no alert firing"

    def action_show_service(self) -> None:
        """`s`: the selected group's service in the error stream and the latency pane."""
        group = self._selected_group()
        if group is None:
            self.app.notify("Select an alert group first.", severity="warning")
            return
        self.post_message(ServiceShown(group.service))

    def _selected_group(self) -> AlertGroup | None:
        key = self.table.selected_key()
        view = self.view
        if key is None or view is None:
            return None
        return next((g for g in view.groups if g.key == key), None)

    def _target(self) -> tuple[AlertGroup, AlertsView] | None:
        """What an ack key acts on: the selected group and the view it is in; None, with
        a notice, when nothing is selected. Acting on a group chooses it: the cursor
        stays on it when the list reorders (an `e` right after an ack, once the incident
        has pushed new groups above it, extends the group just acked)."""
        group = self._selected_group()
        if group is None or self.view is None:
            self.app.notify("Select an alert group first.", severity="warning")
            return None
        self.table.pinned_key = group.key
        return group, self.view

    def action_ack(self) -> None:
        target = self._target()
        if target is None:
            return
        group, view = target
        every = [a for g in view.groups for a in g.alerts]
        plan = ack_actions.plan_ack(group, every, self.ctx.labels.service_label, self.ctx.ack_duration_s)
        from obsconsole.ui.screens.ack import AckScreen

        def confirmed(final: ack_actions.AckPlan | None) -> None:
            if final is not None:
                self.post_message(AlertActionRequested(partial(ack_actions.ack, final)))

        self.app.push_screen(AckScreen(plan), confirmed)

    def action_declare(self) -> None:
        """`i`: declare an incident from the selected group, after a confirmation."""
        target = self._target()
        if target is None:
            return
        group = target[0]
        from obsconsole.ui.screens.declare import DeclareScreen

        def confirmed(final: lifecycle.DeclarePlan | None) -> None:
            if final is not None:
                self.post_message(IncidentDeclareRequested(final))

        self.app.push_screen(DeclareScreen(lifecycle.plan_declare(group)), confirmed)

    def action_unack(self) -> None:
        target = self._target()
        if target is not None:
            group, view = target
            self.post_message(AlertActionRequested(partial(ack_actions.unack, group, view)))

    def action_extend_ack(self) -> None:
        target = self._target()
        if target is not None:
            group, view = target
            duration = self.ctx.ack_duration_s
            self.post_message(AlertActionRequested(
                lambda source, audit, clock: ack_actions.extend(group, view, source, audit, clock, duration)))
