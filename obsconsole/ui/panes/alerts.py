"""Pane 5: active alerts grouped per SPEC §4 (same service and category within 5
minutes; the group takes the highest severity), severity colour, age, status, and
whether the group reaches any notification channel (SPEC §5)."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from rich.text import Text

from obsconsole.logic import incidents
from obsconsole.logic.sanitize import inert
from obsconsole.model import AlertGroup, Health, Severity
from obsconsole.ui.panes.base import Column, Pane, Row
from obsconsole.ui.styles import human_age


SEVERITY_SHORT = {
    Severity.CRITICAL: "CRIT",
    Severity.HIGH: "HIGH",
    Severity.MEDIUM: "MED",
    Severity.LOW: "LOW",
    Severity.INFO: "INFO",
}


class AlertsPane(Pane):
    pane_id = "alerts"
    number = 5
    title = "Alerts"

    def columns(self) -> Sequence[Column]:
        return [
            Column("sev", 4),
            Column("alert", 20, flex=True),
            Column("age", 5),
            Column("status", 8),
        ]

    def rows(self, value: tuple[AlertGroup, ...]) -> Iterable[Row]:
        p = self.palette
        now = self.app.clock()  # type: ignore[attr-defined]
        for g in value:
            more = f" (+{len(g.alerts) - 1})" if len(g.alerts) > 1 else ""
            unrouted = incidents.is_unrouted(g, self.ctx.channels, now)
            status = Text(g.status if g.status != "acknowledged" else "acked")
            if unrouted:
                status = Text("unrouted", style=p.health(Health.WARNING))
            what = inert(f"{g.service} · ", style="bold", max_len=60) + inert(g.title + more, max_len=200)
            what.truncate(self.width_of("alert"), overflow="ellipsis")
            yield g.key, [
                Text(SEVERITY_SHORT[g.severity], style=p.severity(g.severity)),
                what,
                Text(human_age((now - g.first_at).total_seconds()), justify="right"),
                status,
            ]

    def summary(self, value: tuple[AlertGroup, ...]) -> str:
        firing = sum(len(g.alerts) for g in value)
        if not value:
            return "none firing"
        return f"{_n(len(value), 'group')}, {_n(firing, 'alert')}"

    def detail(self, key: str) -> tuple[str, list[tuple[str, Any]]] | None:
        now = self.app.clock()  # type: ignore[attr-defined]
        for g in self.snapshot.value or ():
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
                    + (f" · next escalation in {human_age(r.next_step_in_s)}" if r.next_step_in_s is not None else "")
                    for r in routes) or "UNROUTED: reaches no channel"),
            ]
            for i, a in enumerate(g.alerts, 1):
                prefix = f"alert {i}"
                fields.append((prefix, f"{a.name} [{a.severity.value}] since {a.starts_at:%H:%M:%S} UTC, state {a.state}"))
                for k, v in sorted(a.annotations.items()):
                    fields.append((f"{prefix} {k}", v))
                fields.append((f"{prefix} labels", ", ".join(f"{k}={v}" for k, v in sorted(a.labels.items()))))
            return f"Alert group {g.service}/{g.category}", fields
        return None


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")
