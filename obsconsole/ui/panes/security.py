"""Pane 6: Wazuh security events: level, rule id, description, agent, srcip, MITRE id
(level >= 5 by default). Brute-force patterns (rules 100003, 100004, 100104) are flagged."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from rich.text import Text

from obsconsole.logic.sanitize import inert, inert_cell
from obsconsole.model import Health, SecurityEvent
from obsconsole.queries import SECURITY_LIMIT
from obsconsole.ui.panes.base import Column, Pane, Row

BRUTE_FORCE_RULES = frozenset({"100003", "100004", "100104"})


def level_health(level: int) -> Health:
    """Wazuh rule level → display band (SPEC §10: 12+ is an attack, 8+ needs a look)."""
    if level >= 12:
        return Health.CRITICAL
    if level >= 8:
        return Health.WARNING
    return Health.OK


class SecurityPane(Pane):
    pane_id = "security"
    number = 6
    title = "Security (Wazuh)"

    def columns(self) -> Sequence[Column]:
        return [
            Column("time", 8),
            Column("lvl", 3),
            Column("rule", 6),
            Column("description", 14, flex=True),
            Column("agent", 12, drop=3),
            Column("srcip", 15, drop=1),
            Column("mitre", 5, drop=2),
        ]

    def rows(self, value: tuple[SecurityEvent, ...]) -> Iterable[Row]:
        p = self.palette
        for e in value:
            flag = "⚑ " if e.rule_id in BRUTE_FORCE_RULES else ""
            style = p.health(level_health(e.level))
            description = Text(flag, style=style) if flag else Text()
            yield e.id, [
                Text(e.timestamp.strftime("%H:%M:%S"), style=p.muted),
                Text(str(e.level), style=style, justify="right"),
                inert_cell(e.rule_id, 6),
                description + inert_cell(e.description, self.width_of("description") - len(flag), style if flag else ""),
                inert_cell(e.agent_name, 12),
                inert_cell(e.srcip or "–", 15),
                inert_cell(",".join(e.mitre_ids) or "–", 5),
            ]

    def summary(self, value: tuple[SecurityEvent, ...]) -> str:
        brute = {e.srcip for e in value if e.rule_id in BRUTE_FORCE_RULES and e.srcip}
        text = f"{len(value)} events ≥ lvl {self.ctx.panes.security_min_level}"
        if len(value) >= SECURITY_LIMIT:
            text = f"newest {SECURITY_LIMIT} ≥ lvl {self.ctx.panes.security_min_level}"
        if brute:
            text += f" · brute force from {len(brute)} IP{'s' if len(brute) > 1 else ''}"
        return text

    def detail(self, key: str) -> tuple[str, list[tuple[str, Any]]] | None:
        for e in self.snapshot.value or ():
            if e.id != key:
                continue
            fields: list[tuple[str, Any]] = [
                ("timestamp", e.timestamp.isoformat()),
                ("rule.id", e.rule_id),
                ("rule.level", str(e.level)),
                ("rule.description", e.description),
                ("rule.groups", ", ".join(e.groups)),
                ("rule.mitre.id", ", ".join(e.mitre_ids)),
                ("rule.mitre.tactic", ", ".join(e.mitre_tactics)),
                ("agent", f"{e.agent_id} {e.agent_name}".strip()),
                ("data.srcip", e.srcip),
                ("location", e.location),
                ("full_log", e.full_log),
            ]
            if e.rule_id in BRUTE_FORCE_RULES:
                fields.append(("pattern", "brute force (repeated authentication failures from one source)"))
            return f"Wazuh rule {e.rule_id} level {e.level}", [(k, v) for k, v in fields if v]
        return None
