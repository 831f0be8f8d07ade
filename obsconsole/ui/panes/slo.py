"""Pane 4: SLO budgets: target, window, SLI, budget remaining (negative shown as
overspent, never clamped), fast and slow burn rates, status."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from rich.text import Text

from obsconsole.logic.sanitize import inert_cell
from obsconsole.model import Health, SLOState, SLOStatus
from obsconsole.ui.panes.base import Column, Pane
from obsconsole.ui.widgets.table import Row
from obsconsole.ui.formats import count_of, human_window


class SLOPane(Pane):
    pane_id = "slo"

    def columns(self) -> Sequence[Column]:
        return [
            Column("slo", 16, flex=True),
            Column("target", 6),
            Column("win", 3, drop=4),
            Column("sli", 7, drop=2),
            Column("budget", 9),
            Column("fast", 5),
            Column("slow", 5, drop=3),
            Column("status", 8),
        ]

    def rows(self, value: tuple[SLOStatus, ...]) -> Iterable[Row]:
        p = self.palette
        for s in value:
            style = p.health(s.state.health)
            yield s.slo_id, [
                inert_cell(s.slo_id, self.width_of("slo")),
                Text(_pct(s.target, 2), justify="right"),
                Text(human_window(s.window_s), justify="right"),
                Text(_pct(s.sli, 3), justify="right"),
                _budget(s.budget_remaining, p.health(_budget_health(s)), ),
                _burn(s.fast_burn, s.fast_firing, p.health(Health.CRITICAL)),
                _burn(s.slow_burn, s.slow_firing, p.health(Health.WARNING)),
                Text(s.state.value, style=style),
            ]

    def summary(self, value: tuple[SLOStatus, ...]) -> str:
        bad = [s for s in value if s.state is not SLOState.HEALTHY]
        return count_of(len(value), "SLO") + (f", {len(bad)} not healthy" if bad else "")

    def detail(self, key: str) -> tuple[str, list[tuple[str, Any]]] | None:
        for s in self.snapshot.value or ():
            if s.slo_id != key:
                continue
            slo = next((d for d in self.ctx.slos if d.id == key), None)
            fields: list[tuple[str, Any]] = [
                ("slo", s.slo_id),
                ("service", s.service),
                ("sli", s.description),
                ("target", _pct(s.target, 3)),
                ("window", human_window(s.window_s)),
                ("measured", _pct(s.sli, 4)),
                ("error budget", f"{(1 - s.target) * 100:.3g}% of requests"),
                ("budget remaining", _budget_words(s.budget_remaining)),
                ("status", s.state.value),
            ]
            if slo is not None:
                fields += [
                    ("fast burn", f"{_x(s.fast_burn)} over {human_window(slo.fast.long_s)} (fires above {slo.fast.factor:g}× over {human_window(slo.fast.long_s)} and {human_window(slo.fast.short_s)}){' · FIRING' if s.fast_firing else ''}"),
                    ("slow burn", f"{_x(s.slow_burn)} over {human_window(slo.slow.long_s)} (fires above {slo.slow.factor:g}× over {human_window(slo.slow.long_s)} and {human_window(slo.slow.short_s)}){' · FIRING' if s.slow_firing else ''}"),
                ]
            return f"SLO {s.slo_id}", fields
        return None


def _pct(v: float | None, digits: int) -> str:
    if v is None:
        return "no data"
    return f"{v * 100:.{digits}f}".rstrip("0").rstrip(".") + "%"


def _x(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}×"


def _budget_health(s: SLOStatus) -> Health:
    if s.budget_remaining is None:
        return Health.UNKNOWN
    if s.budget_remaining <= 0:
        return Health.CRITICAL
    if s.budget_remaining < 0.10:
        return Health.WARNING
    return Health.OK


def _budget(v: float | None, style: str) -> Text:
    if v is None:
        return Text("no data", style="italic")
    if v < 0:
        return Text(f"{v * 100:.0f}% over", style=style, justify="right")
    return Text(f"{v * 100:.0f}% left", style=style, justify="right")


def _budget_words(v: float | None) -> str:
    if v is None:
        return "no data"
    if v < 0:
        return f"overspent by {-v * 100:.1f}% of the budget"
    return f"{v * 100:.1f}% of the budget left"


def _burn(v: float | None, firing: bool, style: str) -> Text:
    if v is None:
        return Text("–", justify="right")
    return Text(f"{v:.1f}×", style=style if firing else "", justify="right")
