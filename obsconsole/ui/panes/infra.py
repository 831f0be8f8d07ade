"""Pane 1: per-host CPU / memory / disk bars coloured by band, network rate and a CPU
sparkline. Worst hosts first, so the ones that matter are visible when not all fit."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from rich.text import Text

from obsconsole.logic import thresholds
from obsconsole.logic.sanitize import inert_cell
from obsconsole.model import HostGauge
from obsconsole.ui.panes.base import Column, Pane
from obsconsole.ui.widgets.table import Row
from obsconsole.ui.formats import bar, count_of, human_rate, sparkline

_HOST_W = 14
_NET_W = 9


class InfraPane(Pane):
    pane_id = "infra"

    def columns(self) -> Sequence[Column]:
        # a bar is its cells plus " 63%" (5); the trend and net go first when narrow
        return [
            Column("host", _HOST_W),
            Column("cpu", 7, flex=True),
            Column("mem", 7, flex=True),
            Column("disk", 7, flex=True),
            Column("net", _NET_W, drop=1),
            Column("cpu trend", 10, flex=True, drop=2),
        ]

    def rows(self, value: tuple[HostGauge, ...]) -> Iterable[Row]:
        t = self.ctx.thresholds
        p = self.palette
        w = max(0, min(min(self.width_of(c) for c in ("cpu", "mem", "disk")) - 5, 24))
        trend_w = self.width_of("cpu trend", 0)
        for h in thresholds.sort_worst_first(value, t):
            cpu_style = p.health(t.cpu.health(h.cpu_pct))
            cells: list[Text | str] = [
                inert_cell(h.host, _HOST_W, p.health(thresholds.host_health(h, t))),
                bar(h.cpu_pct, w, cpu_style, p.mono),
                bar(h.mem_pct, w, p.health(t.memory.health(h.mem_pct)), p.mono),
                bar(h.disk_pct, w, p.health(t.disk.health(h.disk_pct)), p.mono),
                Text(human_rate(h.net_bytes_per_s), justify="right"),
            ]
            cells.append(sparkline(h.cpu_history, trend_w, 0.0, 100.0, cpu_style))
            yield h.host, cells

    def summary(self, value: tuple[HostGauge, ...]) -> str:
        t = self.ctx.thresholds
        bad = sum(1 for h in value if thresholds.host_health(h, t).value in (1, 2))
        return count_of(len(value), "host") + (f", {bad} over threshold" if bad else "")

    def detail(self, key: str) -> tuple[str, list[tuple[str, Any]]] | None:
        value = self.snapshot.value or ()
        for h in value:
            if h.host == key:
                return f"Host {h.host}", [
                    ("host", h.host),
                    ("cpu %", _pct(h.cpu_pct)),
                    ("memory %", _pct(h.mem_pct)),
                    ("disk used %", _pct(h.disk_pct)),
                    ("network", human_rate(h.net_bytes_per_s)),
                    ("cpu history (oldest first)", " ".join(f"{v:.0f}" for v in h.cpu_history)),
                    ("bands cpu / mem / disk", _bands(self.ctx)),
                ]
        return None


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}"


def _bands(ctx: Any) -> str:
    t = ctx.thresholds
    return " · ".join(
        f"{b.warning:g}/{b.critical:g}/{b.saturated:g}" for b in (t.cpu, t.memory, t.disk)
    )
