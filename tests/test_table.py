"""PaneTable draws one-line text cells itself (Textual's way costs ~75 µs a cell, and a
page of a thousand incidents was 150-200 ms a keypress). What it draws must be what
Textual would have drawn, segment for segment, cursor and styles included; a cell that
changes must be drawn again; anything it does not handle goes to Textual."""

from __future__ import annotations

import pytest
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widgets import DataTable

from obsconsole.ui.widgets.table import PaneTable
from tests.helpers import running, wait_until

pytestmark = pytest.mark.asyncio


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield PaneTable()


def _cells() -> list[Text]:
    spans = Text("api-gateway down")
    spans.stylize("bold red", 0, 11)
    spans.stylize(Style(bgcolor="blue"), 4, 7)
    return [
        Text("investigating"),
        Text("crit", style="bold red"),
        Text("crit", style=Style(color="white", bgcolor="red")),
        Text("42", justify="right"),
        Text("42", justify="right", style=Style(bgcolor="#303030")),
        Text("left", justify="left", style="on green"),
        Text("default", justify="default"),
        Text(""),
        Text("", justify="right"),
        Text("exactly12345"),       # fills a 12-wide inner cell
        Text("日本語のタイトル"),      # wide characters: 16 cells
        Text("é with e\u0301"),
        Text("✔ ok 🔥"),
        Text("ellipsis if long", overflow="ellipsis"),
        spans,
    ]


def _textual(table: PaneTable, row: int, column: int, style: Style, width: int,
             cursor: bool, hover: bool) -> list[Strip]:
    """The cell as Textual itself draws it (DataTable's method, not ours)."""
    table._cell_render_cache.clear()
    lines = DataTable._render_cell(table, row, column, style, width, cursor, hover)
    return [Strip(line).simplify() for line in lines]


async def test_text_cells_are_drawn_as_textual_draws_them() -> None:
    app = TableApp()
    async with running(app, (120, 30)) as pilot:
        table = app.query_one(PaneTable)
        cells = _cells()
        table.replace_rows([("c", 20)], [(str(i), [c]) for i, c in enumerate(cells)])
        await wait_until(pilot, lambda: "investigating" in _screen_text(table), "the cells on screen")
        drawn = 0
        for row in range(len(cells)):
            for width in (22, 18, 14):           # padding 1 each side: inner 20, 16, 12
                for base in (Style(), Style(color="#d0d0d0", bgcolor="#101010")):
                    for cursor, hover in ((False, False), (True, False), (False, True), (True, True)):
                        ours = table._draw_text_cell(row, 0, base, width, cursor, hover)
                        if ours is None:
                            continue
                        drawn += 1
                        theirs = _textual(table, row, 0, base, width, cursor, hover)
                        assert [Strip(line).simplify() for line in ours] == theirs, (cells[row], width, cursor, hover)
        # every cell of the corpus fits at 20 and is drawn directly, at 3 widths or fewer
        assert drawn >= len(cells) * 2 * 4


async def test_what_it_does_not_handle_goes_to_textual() -> None:
    app = TableApp()
    async with running(app, (120, 30)) as pilot:
        table = app.query_one(PaneTable)
        rows = [
            ("long", [Text("far too long for this column")]),
            ("lines", [Text("two\nlines")]),
            ("tab", [Text("a\tb")]),
            ("centre", [Text("mid", justify="center")]),
            ("trailing", [Text("x  ", justify="right")]),
        ]
        table.replace_rows([("c", 10)], rows)
        await wait_until(pilot, lambda: table.row_count == len(rows), "the rows")
        for row in range(len(rows)):
            assert table._draw_text_cell(row, 0, Style(), 12, False, False) is None, rows[row][0]
        # and they still show, through Textual
        await wait_until(pilot, lambda: "far too lo" in _screen_text(table) and "two" in _screen_text(table),
                         "the long and the two-line cells drawn by Textual")


def _screen_text(table: PaneTable) -> str:
    return "\n".join(table.render_line(y).text for y in range(table.size.height))


async def test_a_changed_cell_is_drawn_again_and_the_others_are_kept() -> None:
    app = TableApp()
    async with running(app, (120, 30)) as pilot:
        table = app.query_one(PaneTable)
        table.replace_rows([("id", 6), ("age", 8)], [(str(i), [Text(f"#{i}"), Text("10s")]) for i in range(5)])
        await wait_until(pilot, lambda: "10s" in _screen_text(table), "the first ages")
        table.update_cells("2", {"age": Text("11s")})
        await wait_until(pilot, lambda: _screen_text(table).count("11s") == 1, "row 2's new age on screen")
        lines = _screen_text(table).splitlines()
        assert "#2" in lines[3] and "11s" in lines[3]          # header, then rows 0, 1, 2
        assert all("10s" in lines[i] for i in (1, 2, 4, 5))
        # the rows replaced: nothing drawn before is shown again
        table.replace_rows([("id", 6), ("age", 8)], [(str(i), [Text(f"#{i}"), Text("1m")]) for i in range(5)])
        await wait_until(pilot, lambda: "10s" not in _screen_text(table) and "11s" not in _screen_text(table)
                         and _screen_text(table).count("1m") == 5, "the replaced ages")


async def test_the_cursor_row_keeps_its_highlight_and_a_click_selects_the_row_clicked() -> None:
    app = TableApp()
    async with running(app, (120, 30)) as pilot:
        table = app.query_one(PaneTable)
        table.replace_rows([("name", 10)], [(str(i), [Text(f"row{i}")]) for i in range(6)])
        table.focus()
        await wait_until(pilot, lambda: table.has_focus and "row5" in _screen_text(table), "the table focused")
        cursor_bg = table.get_component_rich_style("datatable--cursor").bgcolor
        await pilot.press("down", "down")
        await wait_until(pilot, lambda: table.cursor_row == 2, "the cursor on row 2")
        line = table.render_line(3)                              # header, rows 0..2
        assert "row2" in line.text
        assert any(seg.style is not None and seg.style.bgcolor == cursor_bg for seg in line if seg.text.strip())
        other = table.render_line(2)
        assert not any(seg.style is not None and seg.style.bgcolor == cursor_bg for seg in other if seg.text.strip())
        # the mouse metadata names the row: a click on row 4 selects row 4
        await pilot.click(PaneTable, offset=(3, 5))
        await wait_until(pilot, lambda: table.cursor_row == 4, "the cursor on the clicked row 4")


async def test_a_row_removed_and_added_again_under_its_key_shows_its_new_cells() -> None:
    app = TableApp()
    async with running(app, (120, 30)) as pilot:
        table = app.query_one(PaneTable)
        table.replace_rows([("id", 6), ("state", 10)], [("a", [Text("#a"), Text("firing")])])
        await wait_until(pilot, lambda: "firing" in _screen_text(table), "the first state")
        table.remove_row("a")
        table.add_row(Text("#a"), Text("resolved"), key="a")
        await wait_until(pilot, lambda: "resolved" in _screen_text(table), "the row added again")
        assert "firing" not in _screen_text(table)
