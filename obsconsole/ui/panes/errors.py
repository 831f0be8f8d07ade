"""Pane 3: the error stream. Above the table, the errors per minute over the last hour
(a histogram drawn in block characters) and the services (→ components) they come from;
then the events, newest first, level-coloured: time, level, service, trace id, message.

The source keeps the tail (bounded: panes.errors.buffer); this pane shows what it holds.
`/` searches on the server (literal text), `l` and `s` cycle the level and service
filters, `f` stops following (the view holds still while events keep arriving), `y`
copies the selected event's trace id (or its message) through OSC 52 and shows it for
selection where the terminal does not take OSC 52. Under a flood the title shows the
real rate and that the rows are a sample.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from rich.text import Text
from textual.app import ComposeResult

from obsconsole.logic import logs as loglogic
from obsconsole.logic.sanitize import clean, inert, inert_cell
from obsconsole.model import ErrorStream, Health, LogEvent, LogLevel, LogQuery, Snapshot
from obsconsole.ui.actions import bindings
from obsconsole.ui.widgets.line import Line, show
from obsconsole.ui.messages import LogQueryChanged
from obsconsole.ui.panes.base import Column, Pane
from obsconsole.ui.widgets.table import PaneTable, Row
from obsconsole.ui.formats import count_of, sparkline

#: rows drawn in the table (the source holds more)
MAX_ROWS = 1000
#: the level filters `l` cycles through (empty: the configured levels)
LEVEL_CYCLE: tuple[tuple[LogLevel, ...], ...] = (
    (),
    (LogLevel.FATAL,),
    (LogLevel.ERROR,),
    (LogLevel.WARN, LogLevel.ERROR, LogLevel.FATAL),
)
#: below this many content rows the histogram and breakdown lines are left out
OVERVIEW_MIN_HEIGHT = 8


class ErrorsPane(Pane):
    pane_id = "errors"
    wide = True
    greedy = True

    BINDINGS = bindings("pane") + bindings("errors")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: what the stream is narrowed to (the source gets it with LogQueryChanged)
        self.log_query = LogQuery()
        #: the user held the stream with `f`
        self.held = False
        #: the stream on screen (held still while not following)
        self.shown: ErrorStream | None = None
        #: events that arrived while not following (each counted once)
        self.missed = 0

    @property
    def following(self) -> bool:
        """Newest on top, kept in view: unless held with `f`, or the cursor was moved
        away from the top (the rows then hold still under it)."""
        return not self.held and not self._cursor_away()

    def _cursor_away(self) -> bool:
        try:
            return self.table.pinned_key is not None
        except Exception:  # not composed yet
            return False

    def compose_body(self) -> ComposeResult:
        yield Line("", classes="errors-histogram")
        yield Line("", classes="errors-services")
        yield PaneTable(classes="pane-table")

    # ------------------------------------------------------------------ data

    def show_snapshot(self, snap: Snapshot[Any], health: Health, now: Any, retry_in_s: float | None = None) -> None:
        if snap.has_value and snap.value is not self.snapshot.value and self.live:
            if self.following or self.shown is None:
                self.shown = snap.value
                self.missed = 0
            else:
                self.missed += snap.value.new_events
        super().show_snapshot(snap, health, now, retry_in_s)

    def on_data_table_row_highlighted(self, event: Any) -> None:
        """The cursor moved: back on the top row the stream follows again (and catches
        up); away from it, the title says the view is held."""
        self.refresh_status(self.console.clock())

    def refresh_status(self, now: Any) -> None:
        # Following shows the newest stream, whatever made it follow again (the cursor
        # back on top, `f`, a held row that went away): checked on every status refresh
        # (each second and each cursor move), so no path can leave a stale view unheld.
        if self.live and self.following and self.snapshot.has_value and self.shown is not self.snapshot.value:
            self.shown = self.snapshot.value
            self.missed = 0
            self.rerender()
        super().refresh_status(now)

    @property
    def events(self) -> tuple[LogEvent, ...]:
        return self.shown.events if self.shown is not None else ()

    def columns(self) -> Sequence[Column]:
        return [
            Column("time", 8),
            Column("lvl", 5),
            Column("service", 12, flex=True, cap=20),
            Column("trace", 8, drop=1),
            Column("message", 24, flex=True),
        ]

    def rows(self, value: Any) -> Iterable[Row]:
        p = self.palette
        width = self.width_of("message")
        service_w = self.width_of("service")
        for e in self.events[:MAX_ROWS]:
            yield e.id, [
                Text(e.timestamp.strftime("%H:%M:%S"), style=p.muted),
                Text(e.level.value, style=self.level_style(e.level)),
                inert_cell(e.service, service_w),
                inert_cell(e.trace_id[:8], 8, p.muted),
                inert_cell(e.message, width),
            ]

    def level_style(self, level: LogLevel) -> str:
        p = self.palette
        if level is LogLevel.FATAL:
            return p.health(Health.CRITICAL)
        if level is LogLevel.ERROR:
            return p.health(Health.CRITICAL).replace("bold ", "")
        if level is LogLevel.WARN:
            return p.health(Health.WARNING)
        return p.muted

    def _matches(self, row: Row) -> bool:
        """The filter box narrows the rows while typing, with the same literal match the
        server search uses (so hidden fields and cut-off text count too)."""
        if not self.filter_text:
            return True
        event = self._event(row[0])
        return event is not None and loglogic.matches(event, LogQuery(text=self.filter_text))

    def after_render(self, value: Any) -> None:
        stream = self.shown
        tall = self.content_size.height >= OVERVIEW_MIN_HEIGHT
        histogram = self.query_one(".errors-histogram", Line)
        services = self.query_one(".errors-services", Line)
        show(histogram, tall and stream is not None and bool(stream.histogram))
        show(services, tall and stream is not None and bool(stream.by_service))
        if stream is None or not tall:
            return
        width = max(10, self.content_size.width - 2)
        if stream.histogram:
            counts = [b.count for b in stream.histogram]
            label = Text(f" max {max(counts)}/min, last {len(counts)} min", style=self.palette.muted)
            histogram.update(self._bars(counts, max(1, width - len(label))) + label)
        if stream.by_service:
            line = Text(no_wrap=True, overflow="ellipsis")
            for i, s in enumerate(stream.by_service):
                if i:
                    line.append(" · ", style=self.palette.muted)
                line.append(clean(s.service, 40) + " ")
                line.append(str(s.count), style="bold")
                parts = [f"{clean(c, 30)} {n}" for c, n in s.components[:3]]
                if parts:
                    line.append(f" ({', '.join(parts)})", style=self.palette.muted)
            line.truncate(width, overflow="ellipsis")
            services.update(line)

    def _bars(self, counts: list[int], width: int) -> Text:
        """The histogram: a minute without errors is a muted dot, so that any bar, however
        low, means at least one error."""
        shown = counts[-width:]
        blocks = sparkline(shown, width).plain
        style = self.palette.health(Health.CRITICAL).replace("bold ", "")
        bars = Text()
        for count, block in zip(shown, blocks):
            bars.append(block if count else "·", style=style if count else self.palette.muted)
        return bars

    def summary(self, value: ErrorStream) -> str:
        stream = self.shown or value
        text = ""
        if not self.following:
            # first, so that a narrow title never cuts it off
            why = "f" if self.held else "cursor · home follows"
            text = f"HELD ({why})" + (f" · {self.missed:,} new" if self.missed else "") + " · "
        text += count_of(len(stream.events), "event")
        # the rate only when it is news (≥ 1/s): the histogram shows the per-minute
        # counts, and a title that changes every poll repaints the whole pane
        if stream.rate_per_s is not None and stream.rate_per_s >= 1:
            text += f" · {_rate(stream.rate_per_s)}"
        if stream.sampled:
            text += " · FLOOD: a sample"
        narrowed = _describe(stream.query)
        if narrowed:
            text += f" · {narrowed}"
        return text

    def detail(self, key: str) -> tuple[str, list[tuple[str, Any]]] | None:
        e = self._event(key)
        if e is None:
            return None
        fields: list[tuple[str, Any]] = [
            ("timestamp", e.timestamp.isoformat()),
            ("level", e.level.value),
            ("service", e.service),
            ("component", e.component),
            ("host", e.host),
            ("message", e.message),
            ("trace_id", e.trace_id or "–"),
            ("span_id", e.span_id or "–"),
            ("correlation_id", e.correlation_id or "–"),
            ("error.name", e.error_name),
            ("error.message", e.error_message),
            ("error.stack", e.error_stack),
        ]
        for k, v in sorted(e.metadata.items(), key=lambda kv: str(kv[0])):
            fields.append((f"metadata.{k}", v))
        if e.trace_id:
            fields.append(("open trace", f"trace {e.trace_id} (the trace view arrives with the Jaeger backend)"))
        return f"{e.level.value} {e.service} {e.timestamp:%H:%M:%S}", [(k, v) for k, v in fields if v not in ("", None)]

    def _event(self, key: str) -> LogEvent | None:
        for e in self.events:
            if e.id == key:
                return e
        return None

    # ------------------------------------------------------------------ actions

    def _source_query(self) -> LogQuery:
        return self.log_query

    def _narrow(self, query: LogQuery) -> None:
        """Hand the source a new query (it is fetched at once); show it when it arrives."""
        self.log_query = query
        self.post_message(LogQueryChanged(self.pane_id, query))
        self.held = False
        self.table.pinned_key = None
        self.refresh_status(self.console.clock())

    def show_service(self, service: str) -> None:
        """Narrow the stream to one service (from an alert group's `s`)."""
        query = self._source_query()
        self._narrow(LogQuery(text=query.text, levels=query.levels, services=(service,)))

    def _set_filter(self, text: str) -> None:
        """Enter in the filter box: search on the server, literally."""
        super()._set_filter(text)
        query = self._source_query()
        if query.text != text:
            self._narrow(LogQuery(text=text, levels=query.levels, services=query.services))

    def action_cycle_level(self) -> None:
        query = self._source_query()
        index = LEVEL_CYCLE.index(query.levels) if query.levels in LEVEL_CYCLE else 0
        levels = LEVEL_CYCLE[(index + 1) % len(LEVEL_CYCLE)]
        self._narrow(LogQuery(text=query.text, levels=levels, services=query.services))

    def action_cycle_service(self) -> None:
        query = self._source_query()
        # every service of the window, as the source saw it without the service filter
        latest = self.snapshot.value
        known = sorted(set(latest.services if latest is not None else ()) | set(query.services))
        cycle: list[tuple[str, ...]] = [()] + [(s,) for s in known]
        index = cycle.index(query.services) if query.services in cycle else 0
        services = cycle[(index + 1) % len(cycle)]
        self._narrow(LogQuery(text=query.text, levels=query.levels, services=services))

    def action_toggle_follow(self) -> None:
        """`f`: hold the view still, or follow again (newest on top, cursor there too)."""
        if self.following:
            self.held = True
        else:
            self.held = False
            self.table.pinned_key = None
            if self.snapshot.has_value:
                self.shown = self.snapshot.value
                self.missed = 0
                self.rerender()
            self.table.move_cursor(row=0)
        self.refresh_status(self.console.clock())

    def action_copy_field(self) -> None:
        key = self.table.selected_key()
        event = self._event(key) if key else None
        if event is None:
            self.app.notify("no event selected", severity="warning")
            return
        name, value = ("trace_id", event.trace_id) if event.trace_id else ("message", event.message)
        text = clean(value, 4096)
        self.app.copy_to_clipboard(text)
        shown = inert(text, max_len=300)
        self.app.notify(
            Text.assemble(f"copied {name} (OSC 52; if your terminal ignores it, select it here):\n", shown),
            title="Copy",
            timeout=10,
        )


def _rate(per_s: float) -> str:
    return f"{per_s:,.0f}/s" if per_s >= 10 else f"{per_s:.1f}/s"


def _describe(query: LogQuery) -> str:
    parts = []
    if query.levels:
        parts.append("+".join(level.value for level in query.levels))
    if query.services:
        parts.append(", ".join(clean(s, 30) for s in query.services))
    if query.text:
        parts.append(f"“{clean(query.text, 30)}”")
    return " ".join(parts)
