"""Pane 6: Wazuh security events: level, rule id, description, agent, srcip, MITRE id
(level >= 5 by default). Brute-force patterns (rules 100003, 100004, 100104) are flagged
and their source addresses named in the title.

`t` switches the table to the Wazuh dashboard's "Security Events (24h)" panel (SPEC
§10): the top 10 (level, description) of the last 24 h with their counts, highest level
first, and back.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from rich.text import Text

from obsconsole.logic.sanitize import clean, inert, inert_cell
from obsconsole.logic.wazuh import is_brute_force, level_health, level_severity
from obsconsole.model import Health, SecurityEvent, SecurityTop, SecurityView
from obsconsole.panes import SECURITY_LIMIT
from obsconsole.ui.actions import bindings
from obsconsole.ui.panes.base import Column, Pane
from obsconsole.ui.widgets.table import Row
from obsconsole.ui.formats import count_of

#: brute-force addresses named in the title; more are counted
TITLE_IPS = 2


class SecurityPane(Pane):
    greedy = True
    BINDINGS = bindings("pane") + bindings("security")

    pane_id = "security"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: the table shows the 24 h top 10 instead of the events
        self.showing_top = False

    def columns(self) -> Sequence[Column]:
        if self.showing_top:
            # the dashboard panel's columns (SPEC §10)
            return [Column("Severity", 11), Column("Event Type", 20, flex=True), Column("Count", 6)]
        return [
            Column("time", 8),
            Column("lvl", 3),
            Column("rule", 6),
            Column("description", 14, flex=True),
            Column("agent", 12, drop=3),
            Column("srcip", 15, drop=1),
            Column("mitre", 5, drop=2),
        ]

    def rows(self, value: SecurityView) -> Iterable[Row]:
        if self.showing_top:
            return (self._top_row(i, row) for i, row in enumerate(value.top))
        flagged = set(value.brute_force_ips)
        return (self._event_row(e, flagged) for e in value.events)

    def _event_row(self, e: SecurityEvent, flagged: set[str]) -> Row:
        p = self.palette
        style = p.health(level_health(e.level))
        flag = "⚑ " if is_brute_force(e) else ""
        # the flag's style carries over to the description; unflagged rows stay plain
        description = (Text(flag, style=style) if flag else Text()) + inert_cell(
            e.description, self.width_of("description") - len(flag), style if flag else ""
        )
        # the failed logins of a flagged address belong to the attack too
        ip_style = p.health(Health.WARNING) if e.srcip in flagged else ""
        return e.id, [
            Text(e.timestamp.strftime("%H:%M:%S"), style=p.muted),
            Text(str(e.level), style=style, justify="right"),
            inert_cell(e.rule_id, 6),
            description,
            inert_cell(e.agent_name, 12),
            inert_cell(e.srcip or "–", 15, ip_style),
            inert_cell(",".join(e.mitre_ids) or "–", 5),
        ]

    def _top_row(self, index: int, row: SecurityTop) -> Row:
        style = self.palette.health(level_health(row.level))
        return f"top-{index}", [
            Text(f"{row.level:>2} {level_severity(row.level).value}", style=style),
            inert_cell(row.description, self.width_of("Event Type")),
            Text(f"{row.count:,}", justify="right"),
        ]

    def summary(self, value: SecurityView) -> str:
        level = self.ctx.panes.security_min_level
        if self.showing_top:
            text = f"top {len(value.top)} of 24 h ≥ lvl {level}"
        elif len(value.events) >= SECURITY_LIMIT:
            text = f"newest {SECURITY_LIMIT} ≥ lvl {level}"
        else:
            text = f"{count_of(len(value.events), 'event')} ≥ lvl {level}"
        ips = value.brute_force_ips
        if ips:
            # first: an attacker's address is what the title must not cut off
            named = ", ".join(clean(ip, 45) for ip in ips[:TITLE_IPS])
            more = f" +{len(ips) - TITLE_IPS}" if len(ips) > TITLE_IPS else ""
            text = f"⚑ brute force {named}{more} · {text}"
        return text

    def warning(self) -> Text | None:
        """Partial trouble while the data is good: a failed part (indexer or
        alerts.json) and alerts.json lines that were not alerts."""
        view: SecurityView | None = self.snapshot.value
        if view is None or not (view.warnings or view.skipped_lines):
            return None
        parts = list(view.warnings)
        if view.skipped_lines:
            parts.append(f"{count_of(view.skipped_lines, 'alerts.json line')} skipped (not alerts)")
        line = Text("⚠ partial: ", style=self.palette.health(Health.WARNING))
        line.append_text(inert("; ".join(parts), max_len=300))
        return line

    def detail(self, key: str) -> tuple[str, list[tuple[str, Any]]] | None:
        view: SecurityView | None = self.snapshot.value
        if view is None:
            return None
        if self.showing_top:
            return self._top_detail(view, int(key.removeprefix("top-")))
        for e in view.events:
            if e.id == key:
                return self._event_detail(e)
        return None

    def _top_detail(self, view: SecurityView, index: int) -> tuple[str, list[tuple[str, Any]]] | None:
        if index >= len(view.top):
            return None
        row = view.top[index]
        return f"Top 10 (24 h): level {row.level}", [
            ("rule.level", f"{row.level} ({level_severity(row.level).value})"),
            ("rule.description", row.description),
            ("alerts in 24 h", f"{row.count:,}"),
        ]

    def _event_detail(self, e: SecurityEvent) -> tuple[str, list[tuple[str, Any]]]:
        fields: list[tuple[str, Any]] = [
            ("id", e.id),
            ("timestamp", e.timestamp.isoformat()),
            ("rule.id", e.rule_id),
            ("rule.level", f"{e.level} ({level_severity(e.level).value})"),
            ("rule.description", e.description),
            ("rule.groups", ", ".join(e.groups)),
            ("rule.mitre.id", ", ".join(e.mitre_ids)),
            ("rule.mitre.tactic", ", ".join(e.mitre_tactics)),
            ("agent", f"{e.agent_id} {e.agent_name}".strip()),
            ("data.srcip", e.srcip),
            ("location", e.location),
            ("full_log", e.full_log),
        ]
        if is_brute_force(e):
            fields.append(("pattern", "brute force (repeated authentication failures from one source)"))
        return f"Wazuh rule {e.rule_id} level {e.level}", [(k, v) for k, v in fields if v]

    # ------------------------------------------------------------------ actions

    def action_toggle_top(self) -> None:
        self.showing_top = not self.showing_top
        self.rerender()
        self.refresh_status(self.console.clock())
