"""How table cells sort when the user presses `o` or clicks a header: by what they read."""

from __future__ import annotations

import pytest

from obsconsole.logic.ordering import cell_key, descending_first, sorted_rows
from tests.tz import local_zone  # noqa: F401  (autouse: every test in UTC, Asia/Kolkata, America/New_York)


@pytest.mark.parametrize(
    ("smaller", "larger"),
    [
        ("330ms", "2.24s"),
        ("9%", "10%"),
        ("59s", "1m"),
        ("1h30m", "2h"),
        ("3h43m", "1d"),
        ("6.2 MB/s", "12.5 MB/s"),
        ("900 KB/s", "1.1 MB/s"),
        ("1,985/s", "2,001/s"),
        ("█░  23%", "██░  52%"),
        ("-1", "0"),
        ("CRIT", "HIGH"),
        ("HIGH", "MED"),
        ("MED", "LOW"),
        ("LOW", "INFO"),
        ("aigym-api-2", "aigym-db-1"),
    ],
)
def test_cells_sort_by_what_they_say(smaller: str, larger: str) -> None:
    assert cell_key(smaller) < cell_key(larger)


def test_names_with_digits_are_text_and_blanks_are_blank() -> None:
    assert cell_key("aigym-api-1") == (2, "aigym-api-1")
    assert cell_key("–") == (3, "") and cell_key("  ") == (3, "")
    assert cell_key("2.5s") == (1, 2.5)
    assert cell_key("1h30m") == (1, 5400.0)
    assert cell_key("CRIT") == (0, 0.0)


def test_blanks_stay_last_in_both_directions_and_ties_keep_the_panes_order() -> None:
    rows = [("a", ["2s"]), ("b", ["–"]), ("c", ["500ms"]), ("d", ["2s"]), ("e", ["1m"])]
    assert sorted_rows(rows, 0, descending=False) == ["c", "a", "d", "e", "b"]
    assert sorted_rows(rows, 0, descending=True) == ["e", "a", "d", "c", "b"]


def test_quantities_sort_largest_first_and_words_a_to_z_first() -> None:
    assert descending_first(["52%", "40%", "–", "61%"]) is True
    assert descending_first(["aigym-api", "supabase-db"]) is False
    assert descending_first(["CRIT", "LOW"]) is False
    assert descending_first(["–", "–"]) is False
