"""What every overview pane shares: a bordered box whose title carries the pane number,
a summary and the data's age; a one-line error state that keeps the last good data
visible; a placeholder until the first result; a row filter (`/`); Enter for detail.

A pane only renders `Snapshot`s handed to it by the app (which gets them from the hub).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Iterable, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Input

from obsconsole.config import Context
from obsconsole.model import Health, Snapshot
from obsconsole.ui.actions import bindings
from obsconsole.ui.line import Line, WrappedLine, show
from obsconsole.ui.styles import Palette, coarse_age, short_interval

Cell = Text | str
Row = tuple[str, Sequence[Cell]]  # (stable row key, cells)

def same_cell(a: Cell | None, b: Cell | None) -> bool:
    """Equal as displayed. `Text.__eq__` ignores the base style and justification, so a
    value that only changed colour (crossed a threshold) would not be redrawn."""
    if isinstance(a, Text) and isinstance(b, Text):
        return (a.plain, a.style, a._spans, a.justify) == (b.plain, b.style, b._spans, b.justify)
    return a == b


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
    if flex and spare > 0:
        share, extra = divmod(spare, len(flex))
        for i, c in enumerate(flex):
            widths[c.label] += share + (1 if i < extra else 0)
    return widths

_UNSET = object()


class PaneTable(DataTable, inherit_bindings=False):
    """A row-cursor table whose keys come from the action table (ids `table.*`)."""

    BINDINGS = bindings("table")

    def __init__(self, **kwargs: Any) -> None:
        # cursor_foreground_priority: the selected row keeps its health colours
        super().__init__(
            cursor_type="row", zebra_stripes=False, cursor_foreground_priority="renderable", **kwargs
        )
        # what is on screen, to send only changed cells on the next update
        self._row_keys: list[str] = []
        self._row_cells: list[list[Cell]] = []

    def selected_key(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # cursor outside the rows while they are being replaced
            return None

    def replace_rows(self, columns: Sequence[tuple[str, int | None]], rows: Iterable[Row]) -> None:
        """Show `rows` under `columns` ((label, width)), keeping the cursor on the same
        row key and the scroll position where they were."""
        rows = list(rows)
        labels = [label for label, _ in columns]
        current = [str(c.label) for c in self.columns.values()]
        widths = [w for _, w in columns]
        current_widths = [c.width if not c.auto_width else None for c in self.columns.values()]
        same_columns = current == labels and current_widths == widths
        if same_columns and [k for k, _ in rows] == self._row_keys:
            # Same rows in the same order: update only the cells that changed, so the
            # terminal receives those cells and not the whole table.
            for (key, cells), old in zip(rows, self._row_cells):
                for label, new_cell, old_cell in zip(labels, cells, old):
                    if not same_cell(new_cell, old_cell):
                        self.update_cell(key, label, new_cell)
            self._row_cells = [list(cells) for _, cells in rows]
            return
        keep_key = self.selected_key()
        keep_scroll = self.scroll_y
        if not same_columns:
            self.clear(columns=True)
            for label, width in columns:
                self.add_column(label, width=width, key=label)
        else:
            self.clear()
        for key, cells in rows:
            self.add_row(*cells, key=key)
        self._row_keys = [k for k, _ in rows]
        self._row_cells = [list(cells) for _, cells in rows]
        if keep_key is not None:
            try:
                self.move_cursor(row=self.get_row_index(keep_key), scroll=False)
            except Exception:  # the row is gone: stay near where we were
                pass
        self.scroll_y = min(keep_scroll, self.max_scroll_y)


class Pane(Vertical):
    """Base of the overview panes. Subclasses set the class attributes and implement
    `columns`, `rows`, `summary` and `detail`."""

    BINDINGS = bindings("pane")

    pane_id: ClassVar[str] = ""
    number: ClassVar[int] = 0
    title: ClassVar[str] = ""

    def __init__(self, ctx: Context) -> None:
        super().__init__(id=f"pane-{self.pane_id}", classes="pane")
        self.ctx = ctx
        self.snapshot: Snapshot[Any] = Snapshot(None, None)
        self.health: Health = Health.UNKNOWN
        self.filter_text = ""
        self.paused = False
        self._rendered: Any = _UNSET
        #: fitted column widths of the last render, by label
        self.widths: dict[str, int] = {}
        self._last_title: Text | None = None
        pane_cfg = ctx.panes.refresh.get(self.pane_id)
        #: the pane's refresh interval, and how late a result may be before it is "old"
        self.interval_s: float = pane_cfg.refresh_s if pane_cfg else 10.0
        self.grace_s: float = pane_cfg.timeout_s if pane_cfg else 10.0
        self._last_error: Text | None = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield WrappedLine("", classes="pane-error")
        yield Line("waiting for the first result…", classes="pane-placeholder")
        yield from self.compose_body()
        yield Input(placeholder="filter rows (Enter apply, Esc clear)", classes="pane-filter")

    def compose_body(self) -> ComposeResult:
        yield PaneTable(classes="pane-table")

    @property
    def table(self) -> PaneTable:
        return self.query_one(PaneTable)

    def focus_target(self) -> PaneTable:
        return self.table

    @property
    def palette(self) -> Palette:
        return self.app.palette  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ data

    def show_snapshot(self, snap: Snapshot[Any], health: Health, now: datetime) -> None:
        """Take a new snapshot from the hub; re-render the body only if the data changed."""
        self.snapshot = snap
        self.health = health
        if snap.has_value:
            show(self.query_one(".pane-placeholder"), False)
            if snap.value != self._rendered:
                self.rerender()
        elif snap.error is not None:
            self.query_one(".pane-placeholder", Line).update(
                Text("no data yet", style="italic")
            )
        self.refresh_status(now)

    def rerender(self) -> None:
        """Render the current snapshot again (data, theme, filter or size changed)."""
        value = self.snapshot.value
        if value is None:
            return
        self._rendered = value
        specs = list(self.columns())
        self.widths = fit_columns(specs, self.content_size.width - SCROLLBAR)
        keep = [i for i, c in enumerate(specs) if c.label in self.widths]
        rows = []
        for key, cells in self.rows(value):
            if self._matches((key, cells)):
                rows.append((key, [cells[i] for i in keep]))
        self.table.replace_rows([(c.label, self.widths[c.label]) for c in specs if c.label in self.widths], rows)
        self.after_render(value)
        sparkline = self.widths.get("cpu trend")
        if sparkline:
            self.app.sources.set_points(self.pane_id, sparkline)  # type: ignore[attr-defined]

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
            # On schedule, the age is only ever "at most one interval": say that, and
            # the title (whose change repaints the whole pane) stays the same between
            # refreshes. Late data shows its real age, in the warning style.
            if age <= self.interval_s + self.grace_s:
                title.append(f" · ≤{short_interval(self.interval_s)}", style=self.palette.muted)
            else:
                title.append(f" · {coarse_age(age)} old", style=self.palette.health(Health.WARNING))
        if self.paused:
            title.append(" · PAUSED", style="reverse")
        # a border title change repaints the whole pane: only assign real changes
        if not same_cell(title, self._last_title):
            self._last_title = title
            self.border_title = title
        subtitle = f"filter: {self.filter_text}" if self.filter_text else ""
        if subtitle != (self.border_subtitle or ""):
            self.border_subtitle = Text(subtitle) if subtitle else None

        error = self.query_one(".pane-error", WrappedLine)
        warning = self.warning() if snap.error is None else None
        if warning is not None:
            if not same_cell(warning, self._last_error):
                self._last_error = warning
                error.update(warning)
            show(error, True)
        elif snap.error is not None:
            line = Text("⚠ ", style=self.palette.health(Health.CRITICAL))
            from obsconsole.logic.sanitize import clean

            line.append(clean(snap.error.one_line(), 300))
            if snap.has_value:
                line.append(f" · showing data from {coarse_age(age)} ago", style="italic")
            if snap.failures > 1:
                line.append(f" · {snap.failures} failures", style=self.palette.muted)
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
        if key is None:
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

    # ------------------------------------------------------------------ actions

    def action_start_search(self) -> None:
        box = self.query_one(".pane-filter", Input)
        box.value = self.filter_text
        box.display = True
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._set_filter(event.value.strip())

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.filter_text = event.value.strip()
        self.rerender()

    def clear_filter(self) -> bool:
        """Escape: close the filter box / drop the filter. True if there was one."""
        box = self.query_one(".pane-filter", Input)
        had = bool(self.filter_text) or box.display
        if had:
            box.value = ""
            self._set_filter("")
        return had

    def _set_filter(self, text: str) -> None:
        self.filter_text = text
        box = self.query_one(".pane-filter", Input)
        box.display = False
        self.focus_target().focus()
        self.rerender()
        self.refresh_status(self.app.clock())  # type: ignore[attr-defined]

    def action_toggle_pane_pause(self) -> None:
        self.app.toggle_pane_pause(self.pane_id)  # type: ignore[attr-defined]
