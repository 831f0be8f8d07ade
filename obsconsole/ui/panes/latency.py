"""Pane 2: per service p50 / p95 / p99 and 5xx %, coloured by the SPEC §3 thresholds,
with the selected service's p95 over the last 15 minutes: a plotext chart when the pane
is tall enough, a one-line sparkline otherwise."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable

from obsconsole.ui.widgets.line import Line, show
from obsconsole.ui.messages import ChartPointsChanged

from obsconsole.logic import thresholds
from obsconsole.logic.sanitize import inert_cell
from obsconsole.model import ServiceLatency
from obsconsole.ui.panes.base import Column, Pane
from obsconsole.ui.widgets.table import PaneTable, Row
from obsconsole.ui.formats import count_of, human_ratio, human_seconds, sparkline

#: below this many content rows the chart is replaced by a sparkline line
CHART_MIN_HEIGHT = 16


class LatencyPane(Pane):
    pane_id = "latency"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.selected_service: str | None = None
        #: mounted the first time there is room for it (plotext is imported then, not at
        #: start-up: start-up is paid on every SSH login)
        self.chart: Any = None

    def compose_body(self) -> ComposeResult:
        yield PaneTable(classes="pane-table")
        yield Line("", classes="latency-trend")

    def extra_rows(self) -> int:
        return 1  # the p95 trend line

    def columns(self) -> Sequence[Column]:
        return [
            Column("service", 20, flex=True),
            Column("p50", 6),
            Column("p95", 6),
            Column("p99", 6),
            Column("5xx", 5),
            Column("req/s", 6, drop=1),
        ]

    def rows(self, value: tuple[ServiceLatency, ...]) -> Iterable[Row]:
        t = self.ctx.thresholds
        p = self.palette
        for s in value:
            lat = t.latency_p95_s
            yield s.service, [
                inert_cell(s.service, self.width_of("service"), p.health(thresholds.latency_health(s, t))),
                Text(human_seconds(s.p50_s), justify="right"),
                Text(human_seconds(s.p95_s), style=p.health(lat.health(s.p95_s)), justify="right"),
                Text(human_seconds(s.p99_s), style=p.health(lat.health(s.p99_s)), justify="right"),
                Text(human_ratio(s.error_ratio), style=p.health(t.error_ratio.health(s.error_ratio)), justify="right"),
                Text("–" if s.requests_per_s is None else f"{s.requests_per_s:.0f}", justify="right"),
            ]

    def summary(self, value: tuple[ServiceLatency, ...]) -> str:
        return f"{count_of(len(value), 'service')} · p95 limit {self.ctx.thresholds.latency_p95_s.warning:g}s"

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key.value and event.row_key.value != self.selected_service:
            self.selected_service = event.row_key.value
            if self.snapshot.has_value:
                self.after_render(self.snapshot.value)

    def select_service(self, service: str) -> None:
        """Put the cursor on `service` (its p95 is then charted), as if the user had."""
        try:
            row = self.table.get_row_index(service)
        except Exception:  # not a service this pane shows
            return
        self.table.move_cursor(row=row)

    def _selected(self, value: tuple[ServiceLatency, ...]) -> ServiceLatency | None:
        if not value:
            return None
        for s in value:
            if s.service == self.selected_service:
                return s
        # nothing chosen yet: the worst service is the interesting one
        t = self.ctx.thresholds
        return max(value, key=lambda s: (thresholds.latency_health(s, t).value % 3, s.p95_s or 0))

    def after_render(self, value: tuple[ServiceLatency, ...]) -> None:
        s = self._selected(value)
        trend = self.query_one(".latency-trend", Line)
        tall = self.content_size.height >= CHART_MIN_HEIGHT
        # range queries fetch as many points as the chart or sparkline can draw
        points = self.content_size.width * (2 if tall else 1)  # braille: 2 points a cell
        if points:  # a pane not on screen (one pane at a time at 80×24) has no width
            self.post_message(ChartPointsChanged(self.pane_id, points))
        show_chart = tall and s is not None and bool(s.p95_history)
        if show_chart and self.chart is None:
            from textual_plotext import PlotextPlot

            self.chart = PlotextPlot(classes="latency-chart")
            self.mount(self.chart, after=trend)
        if self.chart is not None:
            show(self.chart, show_chart)
        show(trend, not show_chart)
        if s is None:
            trend.update("")
            return
        points = [v for _, v in s.p95_history]
        limit = self.ctx.thresholds.latency_p95_s
        style = self.palette.health(limit.health(s.p95_s))
        if not show_chart:
            line = Text()
            line.append(f"{s.service[:18]} p95 {self.ctx.panes.latency_chart_minutes}m ", style=self.palette.muted)
            width = max(0, self.content_size.width - len(line) - 10)
            line.append_text(sparkline(points, width, 0.0, max(points + [limit.warning]) if points else None, style))
            line.append(f" {human_seconds(s.p95_s)}", style=style)
            trend.update(line)
            return
        chart = self.chart
        plt = chart.plt
        plt.clear_data()
        plt.clear_figure()
        xs = [(ts - s.p95_history[-1][0]) / 60.0 for ts, _ in s.p95_history]
        plt.plot(xs, points, marker="braille", color="cyan")
        plt.horizontal_line(limit.warning, color="orange")
        plt.title(f"{s.service} p95 (s) · last {self.ctx.panes.latency_chart_minutes} min · limit {limit.warning:g}s")
        plt.xlabel("minutes ago")
        plt.ylim(0, max(points + [limit.warning]) * 1.15)
        chart.refresh()

    def detail(self, key: str) -> tuple[str, list[tuple[str, Any]]] | None:
        for s in self.snapshot.value or ():
            if s.service == key:
                last = s.p95_history[-1][0] if s.p95_history else None
                return f"Service {s.service}", [
                    ("service", s.service),
                    ("p50", human_seconds(s.p50_s)),
                    ("p95", human_seconds(s.p95_s)),
                    ("p99", human_seconds(s.p99_s)),
                    ("5xx ratio", human_ratio(s.error_ratio)),
                    ("requests/s", "–" if s.requests_per_s is None else f"{s.requests_per_s:.1f}"),
                    ("p95 limits", f"warning {self.ctx.thresholds.latency_p95_s.warning:g}s, critical {self.ctx.thresholds.latency_p95_s.critical:g}s"),
                    ("p95 history", f"{len(s.p95_history)} points to {datetime.fromtimestamp(last, timezone.utc):%H:%M:%S} UTC" if last else "none"),
                ]
        return None

