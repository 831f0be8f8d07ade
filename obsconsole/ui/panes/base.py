"""What every overview pane shares: a bordered box whose title carries the pane number,
a summary and the data's age; a one-line error state that keeps the last good data
visible; a placeholder until the first result; a row filter (`/`); Enter for detail.

A pane only renders `Snapshot`s handed to it by the app (which gets them from the hub).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, Iterable, Sequence, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input

from obsconsole.config import Context
from obsconsole.logic import ordering
from obsconsole.logic.sanitize import clean, inert
from obsconsole.model import Health, Snapshot
from obsconsole.panes import BY_ID
from obsconsole.ui.actions import bindings
from obsconsole.ui.widgets.line import Line, WrappedLine, show
from obsconsole.ui.widgets.table import EMPTY_ROW, Cell, PaneTable, Row, same_cell
from obsconsole.ui.messages import ChartPointsChanged, ConsoleView, PanePauseToggled
from obsconsole.ui.colours import Palette
from obsconsole.ui.formats import coarse_age, short_interval

#: DataTable draws one cell of padding on each side of every column
PAD = 1
#: room kept for the table's vertical scrollbar
SCROLLBAR = 2


@dataclass(frozen=True)
class Column:
    """A table column. `flex` columns share what the fixed ones leave (at least `width`);
    columns with a `drop` rank are removed, highest rank first, when the pane is too
    narrow for everything."""

    label: str
    width: int
    flex: bool = False
    drop: int = 0
    justify: str = "left"
    #: a flex column grows at most to this width (0: no limit); what it does not take
    #: goes to the other flex columns (a service name needs 20, a message all it gets)
    cap: int = 0


def fit_columns(columns: Sequence[Column], available: int) -> dict[str, int]:
    """Width of each column that fits `available` cells (dropped columns are absent)."""
    kept = list(columns)

    def cost(cols: list[Column]) -> int:
        return sum(c.width + 2 * PAD for c in cols)

    while cost(kept) > available:
        droppable = [c for c in kept if c.drop]
        if not droppable:
            break
        kept.remove(max(droppable, key=lambda c: c.drop))
    widths = {c.label: c.width for c in kept}
    flex = [c for c in kept if c.flex]
    spare = available - cost(kept)
    while flex and spare > 0:
        share, extra = divmod(spare, len(flex))
        growing = []
        for i, c in enumerate(flex):
            grow = share + (1 if i < extra else 0)
            if c.cap:
                grow = min(grow, max(0, c.cap - widths[c.label]))
            widths[c.label] += grow
            spare -= grow
            if not c.cap or widths[c.label] < c.cap:
                growing.append(c)
        if len(growing) == len(flex):
            break
        flex = growing
    return widths

_UNSET = object()

def _plain(cell: Cell) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


#: pane id → the widget class that draws it (filled as the pane modules are imported)
PANE_WIDGETS: dict[str, type["Pane"]] = {}


class RoomChanged(Message):
    """A pane needs a different number of rows (its filter box opened or closed): the
    overview sizes its rows again."""


class Pane(Vertical):
    """Base of the overview panes. Subclasses set the class attributes and implement
    `columns`, `rows`, `summary` and `detail`."""

    BINDINGS = bindings("pane")

    #: the registry's id (obsconsole/panes.py): the number and title come from there
    pane_id: ClassVar[str] = ""
    number: ClassVar[int] = 0
    title: ClassVar[str] = ""
    #: in the two-column overview, spans both columns (long names and messages)
    wide: ClassVar[bool] = False
    #: its rows grow with events (it takes the room that is left, not its row count)
    greedy: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.pane_id:
            spec = BY_ID[cls.pane_id]
            cls.number, cls.title = spec.number, spec.title
            PANE_WIDGETS[cls.pane_id] = cls

    def __init__(self, ctx: Context) -> None:
        super().__init__(id=f"pane-{self.pane_id}", classes="pane")
        self.ctx = ctx
        self.snapshot: Snapshot[Any] = Snapshot(None, None)
        self.health: Health = Health.UNKNOWN
        self.filter_text = ""
        self.paused = False
        self._rendered: Any = _UNSET
        self._table: PaneTable | None = None
        #: fitted column widths of the last render, by label
        self.widths: dict[str, int] = {}
        self._last_title: Text | None = None
        pane_cfg = ctx.panes.refresh.get(self.pane_id)
        #: the pane's refresh interval, and how late a result may be before it is "old"
        self.interval_s: float = pane_cfg.refresh_s if pane_cfg else 10.0
        self.grace_s: float = pane_cfg.timeout_s if pane_cfg else 10.0
        self._last_error: Text | None = None
        #: the column the rows are sorted by (its label) and the direction; None: the
        #: pane's own order (most urgent / newest first)
        self.sort_label: str | None = None
        self.sort_descending = False
        #: when the hub tries again after a failure (wall clock), for the error line
        self.retry_at: datetime | None = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        # kept: they are read on every update and every second (no DOM query each time)
        self.error_line = WrappedLine("", classes="pane-error")
        self.placeholder = Line("waiting for the first result…", classes="pane-placeholder")
        self.filter_box = Input(placeholder="filter rows (Enter apply, Esc clear)", classes="pane-filter")
        yield self.error_line
        yield self.placeholder
        yield from self.compose_body()
        yield self.filter_box

    def compose_body(self) -> ComposeResult:
        yield PaneTable(classes="pane-table")

    @property
    def table(self) -> PaneTable:
        if self._table is None:
            self._table = self.query_one(PaneTable)  # raises until composed
        return self._table

    def focus_target(self) -> PaneTable:
        return self.table

    @property
    def console(self) -> ConsoleView:
        """What a pane may read from the App (it asks for the rest with messages)."""
        return cast(ConsoleView, self.app)

    @property
    def palette(self) -> Palette:
        return self.console.palette

    # ------------------------------------------------------------------ data

    @property
    def live(self) -> bool:
        """Mounted, in an app that is not shutting down: updates arriving otherwise (a
        timer or a hub result racing the exit) are dropped."""
        return self.is_mounted and bool(getattr(self.app, "live", True))

    def show_snapshot(self, snap: Snapshot[Any], health: Health, now: datetime,
                      retry_in_s: float | None = None) -> None:
        """Take a new snapshot from the hub; re-render the body only if the data changed.
        `retry_in_s`: after a failure, when the hub polls again."""
        if not self.live:
            return
        self.retry_at = (now + timedelta(seconds=retry_in_s)) if snap.error is not None and retry_in_s is not None else None
        self.snapshot = snap
        self.health = health
        if snap.has_value:
            show(self.placeholder, False)
            if snap.value != self._rendered:
                self.rerender()
        elif snap.error is not None:
            self.placeholder.update(
                Text("no data yet", style="italic")
            )
        self.refresh_status(now)

    def rerender(self) -> None:
        """Render the current snapshot again (data, theme, filter, sort or size changed)."""
        value = self.snapshot.value
        if value is None or not self.live:
            return
        self._rendered = value
        specs = list(self.columns())
        self.widths = fit_columns(specs, self.content_size.width - SCROLLBAR)
        keep = [i for i, c in enumerate(specs) if c.label in self.widths]
        shown = [c for c in specs if c.label in self.widths]
        rows: list[Row] = []
        for key, cells in self.rows(value):
            if self._matches((key, cells)):
                rows.append((key, [cells[i] for i in keep]))
        rows = self._sorted(rows, [c.label for c in shown])
        columns = [(c.label, self.widths[c.label]) for c in shown]
        if not rows:
            empty = self._empty_text()
            if empty is not None:
                # one column as wide as the table, one row saying why it is empty
                width = max(10, self.content_size.width - SCROLLBAR - 2 * PAD)
                empty.truncate(width, overflow="ellipsis")
                columns, rows = [("", width)], [(EMPTY_ROW, [empty])]
        self.table.replace_rows(columns, rows)
        self.after_render(value)
        sparkline = self.widths.get("cpu trend")
        if sparkline:
            self.post_message(ChartPointsChanged(self.pane_id, sparkline))

    def _sorted(self, rows: list[Row], labels: list[str]) -> list[Row]:
        if self.sort_label is None or self.sort_label not in labels:
            return rows
        column = labels.index(self.sort_label)
        texts = [(key, [_plain(c) for c in cells]) for key, cells in rows]
        order = ordering.sorted_rows(texts, column, self.sort_descending)
        by_key = dict(rows)
        return [(key, by_key[key]) for key in order]

    def _empty_text(self) -> Text | None:
        """No rows: say why in the table itself (a filter that matches nothing, or the
        pane's own word for nothing, e.g. "no alert firing")."""
        if self.filter_text:
            words = Text("no row matches ", style="italic")
            words.append_text(inert(self.filter_text, max_len=40))
            words.append(" · esc clears the filter", style="italic")
            return words
        empty = self.empty_text()
        return Text(empty, style="italic") if empty else None

    def empty_text(self) -> str:
        """What an empty table says when no filter is set ("" : nothing)."""
        return ""

    def wanted_height(self) -> int:
        """Rows this pane needs to show everything it holds: borders, the table's
        header and rows, the error line; at least 5. Greedy panes want a screenful."""
        if self.greedy:
            return 1000
        try:
            rows = self.table.row_count
        except Exception:  # not composed yet
            rows = 1
        error = 1 if self.error_line.display else 0
        box = 1 if self.filter_box.display else 0
        return max(5, 2 + 1 + max(1, rows) + error + box + self.extra_rows())

    def extra_rows(self) -> int:
        """Lines the pane draws besides its table (a trend line)."""
        return 0

    def width_of(self, label: str, default: int = 20) -> int:
        """The fitted width of a column (for cutting text to it)."""
        return self.widths.get(label, default)

    def after_render(self, value: Any) -> None:
        """Hook for panes with more than a table (charts)."""

    def columns(self) -> Sequence[Column]:
        raise NotImplementedError

    def rows(self, value: Any) -> Iterable[Row]:
        raise NotImplementedError

    def summary(self, value: Any) -> str:
        """A few words for the title, e.g. "6 hosts"."""
        return ""

    def detail(self, key: str) -> tuple[str, list[tuple[str, Any]]] | None:
        """(title, [(field, value)]) for the row `key`, or None."""
        return None

    def warning(self) -> Text | None:
        """A partial problem to show in the error line while the data is good (e.g. one
        of two Alertmanagers down)."""
        return None

    def _matches(self, row: Row) -> bool:
        if not self.filter_text:
            return True
        needle = self.filter_text.casefold()
        return any(needle in (c.plain if isinstance(c, Text) else str(c)).casefold() for c in row[1])

    # ------------------------------------------------------------------ status

    def refresh_status(self, now: datetime) -> None:
        """Title (number, name, summary, age) and the one-line error state."""
        if not self.live:
            return
        snap = self.snapshot
        title = Text()
        title.append(f"{self.number} ", style="bold")
        title.append(self.title, style="bold")
        if snap.has_value:
            summary = self.summary(snap.value)
            if summary:
                title.append(f" · {summary}")
        age = snap.age(now)
        if snap.error is not None:
            title.append(" · ")
            title.append("STALE " if snap.has_value else "NO DATA", style=self.palette.health(Health.UNKNOWN))
            if snap.has_value:
                title.append(coarse_age(age), style=self.palette.health(Health.UNKNOWN))
        elif snap.has_value and age is not None:
            # On schedule, the age is only ever "at most one interval": say how often it
            # refreshes, and the title (whose change repaints the whole pane) stays the
            # same between refreshes. Late data shows its real age, in the warning style.
            if age <= self.interval_s + self.grace_s:
                title.append(f" · every {short_interval(self.interval_s)}", style=self.palette.muted)
            else:
                title.append(f" · {coarse_age(age)} old", style=self.palette.health(Health.WARNING))
        if self.paused:
            title.append(" · PAUSED", style="reverse")
        # a border title change repaints the whole pane: only assign real changes
        if not same_cell(title, self._last_title):
            self._last_title = title
            self.border_title = title
        parts = []
        if self.sort_label is not None:
            parts.append(f"sorted by {self.sort_label} {'↓' if self.sort_descending else '↑'}")
        if self.filter_text:
            parts.append(f"filter: {clean(self.filter_text, 40)}")
        subtitle = " · ".join(parts)
        if subtitle != str(self.border_subtitle or ""):
            self.border_subtitle = Text(subtitle) if subtitle else None

        error = self.error_line
        warning = self.warning() if snap.error is None else None
        if warning is not None:
            if not same_cell(warning, self._last_error):
                self._last_error = warning
                error.update(warning)
            show(error, True)
        elif snap.error is not None:
            line = Text("⚠ ", style=self.palette.health(Health.CRITICAL))
            line.append(clean(snap.error.one_line(), 300))
            if snap.has_value:
                line.append(f" · showing data from {coarse_age(age)} ago", style="italic")
            if snap.failures > 1:
                line.append(f" · {snap.failures} failures", style=self.palette.muted)
            if self.retry_at is not None and not self.paused:
                line.append(f" · next try {self.retry_at.astimezone(timezone.utc):%H:%M:%S} UTC", style=self.palette.muted)
            if not same_cell(line, self._last_error):
                self._last_error = line
                error.update(line)
            show(error, True)
        else:
            self._last_error = None
            show(error, False)
        self.set_class(snap.error is not None, "-error")

    # ------------------------------------------------------------------ events

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value
        if key is None or key == EMPTY_ROW:
            return
        found = self.detail(key)
        if found is None:
            return
        from obsconsole.ui.screens import DetailScreen

        title, fields = found
        self.app.push_screen(DetailScreen(title, fields))

    def on_resize(self) -> None:
        if self.snapshot.has_value:
            self.rerender()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        """A click on a column header sorts by it; a second click reverses."""
        event.stop()
        label = str(event.label)
        if label == self.sort_label:
            self.sort_descending = not self.sort_descending
        else:
            self._sort_by(label)
        self._resorted()

    def _sort_by(self, label: str | None) -> None:
        self.sort_label = label
        if label is None:
            return
        value = self.snapshot.value
        labels = [c.label for c in self.columns()]
        column = labels.index(label)
        texts = [_plain(cells[column]) for _, cells in (self.rows(value) if value is not None else ())]
        self.sort_descending = ordering.descending_first(texts)

    def _resorted(self) -> None:
        self.rerender()
        self.refresh_status(self.console.clock())

    def action_cycle_sort(self) -> None:
        """`o`: sort by the next column (after the last: the pane's own order)."""
        labels = [c.label for c in self.columns() if c.label in self.widths]
        if not labels:
            return
        index = labels.index(self.sort_label) + 1 if self.sort_label in labels else 0
        self._sort_by(labels[index] if index < len(labels) else None)
        self._resorted()

    def action_reverse_sort(self) -> None:
        """`O`: reverse the sort (sorting by the first column if there was none)."""
        if self.sort_label is None:
            self.action_cycle_sort()
            return
        self.sort_descending = not self.sort_descending
        self._resorted()

    # ------------------------------------------------------------------ actions

    def action_start_search(self) -> None:
        box = self.filter_box
        box.value = self.filter_text
        box.display = True
        box.focus()
        self.post_message(RoomChanged())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._set_filter(event.value.strip())

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.filter_text = event.value.strip()
        self.rerender()

    def clear_filter(self) -> bool:
        """Escape: close the filter box / drop the filter. True if there was one."""
        box = self.filter_box
        had = bool(self.filter_text) or box.display
        if had:
            box.value = ""
            self._set_filter("")
        return had

    def _set_filter(self, text: str) -> None:
        self.filter_text = text
        box = self.filter_box
        box.display = False
        self.post_message(RoomChanged())
        self.focus_target().focus()
        self.rerender()
        self.refresh_status(self.console.clock())

    def action_toggle_pane_pause(self) -> None:
        self.post_message(PanePauseToggled(self.pane_id))
