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
    assert cell_key("-") == (3, "") and cell_key("—") == (3, "")  # hyphen and em dash too
    assert cell_key("2.5s") == (1, 2.5)
    assert cell_key("1h30m") == (1, 5400.0)
    assert cell_key("CRIT") == (0, 0.0)


def test_blanks_stay_last_in_both_directions_and_ties_keep_the_panes_order() -> None:
    rows = [("a", ["2s"]), ("b", ["–"]), ("c", ["500ms"]), ("d", ["2s"]), ("e", ["1m"])]
    assert sorted_rows(rows, 0, descending=False) == ["c", "a", "d", "e", "b"]
    assert sorted_rows(rows, 0, descending=True) == ["e", "a", "d", "c", "b"]


def test_ties_keep_the_panes_order_not_the_row_keys_order() -> None:
    rows = [("z", ["2s"]), ("m", ["5s"]), ("a", ["2s"]), ("k", ["2s"])]
    assert sorted_rows(rows, 0, descending=False) == ["z", "a", "k", "m"]
    assert sorted_rows(rows, 0, descending=True) == ["m", "z", "a", "k"]


def test_a_row_without_the_column_sorts_as_a_blank() -> None:
    rows = [("short", ["x"]), ("a", ["x", "3s"]), ("b", ["x", "1s"]), ("none", [])]
    assert sorted_rows(rows, 1, descending=False) == ["b", "a", "short", "none"]
    assert sorted_rows(rows, 1, descending=True) == ["a", "b", "short", "none"]


def test_a_mixed_column_puts_severities_then_quantities_then_words() -> None:
    rows = [("word", ["n/a"]), ("num", ["0"]), ("sev", ["INFO"]), ("big", ["9"]), ("crit", ["CRIT"])]
    assert sorted_rows(rows, 0, descending=False) == ["crit", "sev", "num", "big", "word"]
    assert sorted_rows(rows, 0, descending=True) == ["word", "big", "num", "sev", "crit"]


def test_quantities_sort_largest_first_and_words_a_to_z_first() -> None:
    assert descending_first(["52%", "40%", "–", "61%"]) is True
    assert descending_first(["aigym-api", "supabase-db"]) is False
    assert descending_first(["CRIT", "LOW"]) is False
    assert descending_first(["–", "–"]) is False


def test_a_column_sorts_largest_first_only_when_most_cells_are_quantities() -> None:
    assert descending_first(["5s", "aigym-api", "supabase-db"]) is False  # one in three
    assert descending_first(["5s", "aigym-api"]) is False  # half is not most
    assert descending_first(["5s", "7s", "aigym-api", "–"]) is True  # two in three filled
