"""Text as the stand-in indexes and matches it: the standard analyser (approximated),
Lucene's phrase test over token positions, any value as ES's text, and ``*`` patterns."""

from __future__ import annotations

import heapq
import re
from collections.abc import Mapping
from typing import Any


_WORD_RUN = re.compile(r"\w+(?:[.,;:'’]\w+)*")
_JOINER = re.compile(r"([.,;:'’])")


def _analyze(text: str) -> list[str]:
    """The standard analyser, approximated: UAX #29 words, lower-cased."""
    tokens: list[str] = []
    for run in _WORD_RUN.findall(text):
        pieces = _JOINER.split(run)
        current = pieces[0]
        for joiner, piece in zip(pieces[1::2], pieces[2::2], strict=True):
            left, right = current[-1], piece[0]
            between_letters = left.isalpha() and right.isalpha() and joiner in ".:'’"
            between_digits = left.isdigit() and right.isdigit() and joiner in ".,;'’"
            if between_letters or between_digits:
                current += joiner + piece
            else:
                tokens.append(current)
                current = piece
        tokens.append(current)
    return [token.lower() for token in tokens]


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _phrase_matches(positions: Mapping[str, list[int]], tokens: list[str], slop: int) -> bool:
    """Lucene's phrase test: the terms at offsets p_i - i spread over at most ``slop``."""
    lists = [sorted(p - i for p in positions.get(token, ())) for i, token in enumerate(tokens)]
    if not all(lists):
        return False
    heap = [(values[0], which, 0) for which, values in enumerate(lists)]
    heapq.heapify(heap)
    highest = max(values[0] for values in lists)
    while True:
        lowest, which, at = heapq.heappop(heap)
        if highest - lowest <= slop:
            return True
        if at + 1 == len(lists[which]):
            return False
        following = lists[which][at + 1]
        highest = max(highest, following)
        heapq.heappush(heap, (following, which, at + 1))


def _wildcard(pattern: str) -> re.Pattern[str]:
    """ES field and index patterns: only ``*`` is special, and it crosses dots."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))
