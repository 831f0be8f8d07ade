"""How a table cell sorts: what the user reads decides the order, so `330ms` comes
before `2.24s`, `CRIT` before `LOW`, `9%` before `10%`, and a blank (`–`) goes last in
either direction. Pure functions over the cell's plain text."""

from __future__ import annotations

import re
from typing import Iterable

#: severity words as the panes print them, most severe first
SEVERITY_RANK = {
    "crit": 0, "critical": 0, "high": 1, "med": 2, "medium": 2, "low": 3, "info": 4,
}

#: unit → factor to the base unit (seconds, bytes/s, a plain count)
_UNITS = {
    "": 1.0, "%": 1.0,
    "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0,
    "b/s": 1.0, "kb/s": 1e3, "mb/s": 1e6, "gb/s": 1e9, "tb/s": 1e12,
    "/s": 1.0, "/min": 1.0 / 60, "k": 1e3,
}

# a quantity: optional bar glyphs / sign before it, then one or more number+unit parts
# (`1h30m` is two), nothing after but blanks
_PART = r"(\d[\d,]*(?:\.\d+)?)\s*([kmgt]?b/s|ms|/min|/s|s|m|h|d|w|%|k)?"
_QUANTITY = re.compile(rf"^[^\w\d+-]*([-+]?)((?:{_PART}\s*)+)$", re.IGNORECASE)
_ONE = re.compile(_PART, re.IGNORECASE)

# classes: what sorts before what in ascending order
_SEVERITY, _NUMBER, _TEXT, _BLANK = 0, 1, 2, 3


def cell_key(text: str) -> tuple[int, float | str]:
    """The sort key of one cell's text: (class, value)."""
    plain = text.strip()
    if not plain or plain in ("–", "-", "—"):
        return (_BLANK, "")
    folded = plain.casefold()
    if folded in SEVERITY_RANK:
        return (_SEVERITY, float(SEVERITY_RANK[folded]))
    quantity = _QUANTITY.match(plain)
    if quantity is not None:
        total = 0.0
        for number, unit in _ONE.findall(quantity.group(2)):
            total += float(number.replace(",", "")) * _UNITS[(unit or "").casefold()]
        return (_NUMBER, -total if quantity.group(1) == "-" else total)
    return (_TEXT, folded)


def descending_first(texts: Iterable[str]) -> bool:
    """Whether a column is first sorted largest first: when most of its cells are
    quantities (the busiest host, the slowest service on top); names, severities and
    other words sort ascending first (A→Z, CRIT→INFO)."""
    kinds = [cell_key(t)[0] for t in texts]
    filled = [k for k in kinds if k != _BLANK]
    return bool(filled) and sum(1 for k in filled if k == _NUMBER) * 2 > len(filled)


def sorted_rows(rows: list[tuple[str, list[str]]], column: int, descending: bool) -> list[str]:
    """Row keys ordered by the text of `column` (rows given as (key, cell texts)).
    Blanks stay last in both directions; ties keep the panes' own order."""
    keyed = [(cell_key(texts[column]) if column < len(texts) else (_BLANK, ""), i, key)
             for i, (key, texts) in enumerate(rows)]
    filled = [k for k in keyed if k[0][0] != _BLANK]
    blank = [k for k in keyed if k[0][0] == _BLANK]
    # Python's sort is stable in both directions: ties keep the panes' order
    filled.sort(key=lambda k: (k[0][0], k[0][1]), reverse=descending)
    return [key for _, _, key in filled + blank]
