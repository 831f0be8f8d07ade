"""The table every pane draws: a row cursor with one rule for all tables, and updates
that send only the cells that changed."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from obsconsole.ui.actions import bindings

Cell = Text | str
Row = tuple[str, Sequence[Cell]]  # (stable row key, cells)

def same_cell(a: Cell | None, b: Cell | None) -> bool:
    """Equal as displayed. `Text.__eq__` ignores the base style and justification, so a
    value that only changed colour (crossed a threshold) would not be redrawn."""
    if isinstance(a, Text) and isinstance(b, Text):
        return ((a.plain, a.style, a._spans, a.justify, a.overflow, a.no_wrap)
                == (b.plain, b.style, b._spans, b.justify, b.overflow, b.no_wrap))
    return a == b


#: the key of the one row that says why a table is empty (never opens a detail)
EMPTY_ROW = "\x00empty"


class PaneTable(DataTable, inherit_bindings=False):
    """A row-cursor table whose keys come from the action table (ids `table.*`).

    The cursor rule, the same in every table: until the user moves the cursor, it stays
    on the first row (the most urgent alert, the newest error), whatever the updates
    bring; once the user has moved it, it stays on the row they chose (by key) until
    that row goes away or they move it back to the top. `pinned_key` is that choice.
    """

    BINDINGS = bindings("table")

    def __init__(self, **kwargs: Any) -> None:
        # cursor_foreground_priority: the selected row keeps its health colours
        super().__init__(
            cursor_type="row", zebra_stripes=False, cursor_foreground_priority="renderable", **kwargs
        )
        # what is on screen, to send only changed cells on the next update
        self._row_keys: list[str] = []
        self._row_cells: list[list[Cell]] = []
        #: the row the user moved the cursor to (None: the first row, whatever it is)
        self.pinned_key: str | None = None
        # set while rows are replaced: cursor moves then are not the user's
        self._replacing = False
        #: (row key, column key) → how many times update_cell changed that cell since
        #: the rows were last replaced (part of the key of a drawn cell, see _render_cell)
        self._cell_versions: dict[tuple[Any, Any], int] = {}
        #: moved by anything that adds or removes rows or columns (part of the same key:
        #: a key removed and added again is another cell)
        self._generation = 0

    def _update_dimensions(self, new_rows: Iterable[Any]) -> None:
        """Textual measures each cell of each new row, for the columns sized to their
        content. Ours all have a width set (fit_columns), so the measuring changes
        nothing; with the error stream's rows all new at each poll it was a third of
        the pane's work. Only the scrollable size is computed (Textual 8's hook)."""
        if any(c.auto_width for c in self.columns.values()):
            super()._update_dimensions(new_rows)
        else:
            super()._update_dimensions(())

    # ------------------------------------------------------------------ drawing cells
    #
    # Textual draws each cell through Rich (Padding inside Styled inside render_lines:
    # about 75 µs a cell) and keys its cache of drawn cells by a counter that every
    # update_cell moves, so one changed age cell had every cell on screen drawn again, and
    # a page of a thousand incidents took 150-200 ms a keypress. Here a drawn cell is kept
    # until that cell changes, and a one-line Text that fits its column (nearly every cell
    # of every pane) is drawn directly: the same segments, checked against Textual's own
    # drawing in tests/test_table.py. Anything else goes to Textual.

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> Any:
        if row_index < max(0, self.fixed_rows) or column_index < max(0, self.fixed_columns):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        key = ("cell", self._generation, row_key, column_key, row_index, column_index,
               self._cell_versions.get((row_key, column_key), 0), base_style, width, cursor, hover,
               self.show_cursor, self._show_hover_cursor, self._pseudo_class_state)
        lines = self._cell_render_cache.get(key)
        if lines is None:
            lines = self._draw_text_cell(row_index, column_index, base_style, width, cursor, hover)
            if lines is None:
                lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
            self._cell_render_cache[key] = lines
        return lines

    def _draw_text_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                        cursor: bool, hover: bool) -> list[list[Segment]] | None:
        """One row-high cell holding a one-line `Text` that fits, drawn as Textual would
        (padding, the cell's justification, the cursor's styles around the text's own);
        None for anything else."""
        row_key = self._row_locations.get_key(row_index)
        if row_key is None or self.rows[row_key].height != 1:
            return None
        cell = self._get_row_renderables(row_index).cells[column_index]
        if not isinstance(cell, Text):
            return None
        pad = self.cell_padding
        inner = width - 2 * pad
        plain = cell.plain
        length = cell.cell_len
        if inner < 0 or length > inner or "\n" in plain or "\t" in plain:
            return None
        justify = cell.justify
        line = cell
        if justify == "right" or justify == "left":
            if justify == "right" and plain != plain.rstrip():
                return None  # Rich strips trailing blanks first
            if length < inner:
                line = cell.copy()
                if justify == "right":
                    line.pad_left(inner - length)
                else:
                    line.pad_right(inner - length)
                length = inner
        elif justify not in (None, "default"):
            return None
        null = Style.null()
        segments = [Segment(" " * pad, null)] if pad else []
        console = self.app.console
        # Text.render leaves out the text's own style (Rich applies it as a span when it
        # lays the text out): under the spans, as Rich does
        drawn: Any = line.render(console)
        if line.style:
            drawn = Segment.apply_style(drawn, style=console.get_style(line.style))
        segments += drawn
        if length < inner:
            segments.append(Segment(" " * (inner - length), null))
        if pad:
            segments.append(Segment(" " * pad, null))
        component, post = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")
        pre = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component
        styled = list(Segment.apply_style(segments, style=pre, post_style=post))
        return [styled]

    def update_cell(self, row_key: Any, column_key: Any, value: Any, *, update_width: bool = False) -> None:
        super().update_cell(row_key, column_key, value, update_width=update_width)
        # RowKey and ColumnKey hash and compare as their string values
        cell = (str(getattr(row_key, "value", row_key)), str(getattr(column_key, "value", column_key)))
        self._cell_versions[cell] = self._cell_versions.get(cell, 0) + 1

    def clear(self, columns: bool = False) -> Any:
        self._cell_versions.clear()
        return super().clear(columns)

    def add_row(self, *cells: Any, **kwargs: Any) -> Any:
        self._generation += 1
        return super().add_row(*cells, **kwargs)

    def remove_row(self, row_key: Any) -> None:
        self._generation += 1
        super().remove_row(row_key)

    def add_column(self, *args: Any, **kwargs: Any) -> Any:
        self._generation += 1
        return super().add_column(*args, **kwargs)

    def remove_column(self, column_key: Any) -> None:
        self._generation += 1
        super().remove_column(column_key)

    def watch_cursor_coordinate(self, old: Coordinate, new: Coordinate) -> None:
        super().watch_cursor_coordinate(old, new)
        if self._replacing or old == new:
            return
        # the user moved the cursor: back on the first row it follows the top again
        self.pinned_key = None if new.row == 0 else self._key_at(new.row)

    def _key_at(self, row: int) -> str | None:
        if not 0 <= row < len(self._row_keys):
            return None
        return self._row_keys[row]

    def selected_key(self) -> str | None:
        if self.row_count == 0:
            return None
        return self._key_at(self.cursor_row)

    def replace_rows(self, columns: Sequence[tuple[str, int | None]], rows: Iterable[Row]) -> None:
        """Show `rows` under `columns` ((label, width)), with the cursor on the row the
        user chose (or on the first row) and that row where it was on screen."""
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
        pinned = self.pinned_key
        old_index = self._row_keys.index(pinned) if pinned in self._row_keys else 0
        old_scroll = self.scroll_y
        self._replacing = True
        try:
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
            if pinned is not None and pinned in self._row_keys:
                index = self._row_keys.index(pinned)
                self.move_cursor(row=index, scroll=False)
                # the chosen row stays where it was on screen while rows come and go
                self.scroll_y = max(0, min(old_scroll + index - old_index, self.max_scroll_y))
            else:
                # nothing chosen, or the chosen row is gone: the first row
                self.pinned_key = None
                self.move_cursor(row=0, scroll=False)
                self.scroll_y = 0
        finally:
            self._replacing = False

    def visible_keys(self) -> list[str]:
        """The keys of the rows on screen now (with one row either side)."""
        top = max(0, int(self.scroll_y) - 1)
        return self._row_keys[top : top + self.size.height + 2]

    def update_cells(self, key: str, cells: dict[str, Cell]) -> None:
        """Change some cells of one row (by column label), sending only those that
        differ from what is on screen; labels not shown are skipped."""
        if key not in self._row_keys:
            return
        row = self._row_cells[self._row_keys.index(key)]
        labels = [str(c.label) for c in self.columns.values()]
        for label, cell in cells.items():
            if label in labels:
                i = labels.index(label)
                if i < len(row) and not same_cell(row[i], cell):
                    row[i] = cell
                    self.update_cell(key, label, cell)
