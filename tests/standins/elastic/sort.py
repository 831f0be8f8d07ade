"""Sorting: sort specs from the body or the URL, their binding to one index (field
data rules, missing values), search_after values, and the order of hits."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .dates import _DEFAULT_FORMATS, _parse_date_text
from .errors import _ShardError, _error, _fielddata_error, _id_fielddata_error, _illegal, _parsing, _unsupported
from .faces import _Face
from .mapping import _KINDS, _LONG_MAX, _LONG_MIN, _Doc, _Field, _Index
from .text import _as_text


_Hit = tuple[list[Any], int, _Index, _Doc, float]
"""Sort values, shard ordinal, index, document, score."""


@dataclass(frozen=True)
class _SortSpec:
    field: str
    desc: bool
    missing: Any = "_last"
    unmapped_type: str | None = None
    mode: str | None = None


def _parse_sort(value: Any, face: _Face, pit: bool = False) -> list[_SortSpec]:
    specs = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            specs.append(_SortSpec(item, desc=item == "_score"))
            continue
        if not isinstance(item, dict) or len(item) != 1:
            raise _parsing("malformed sort format, within the sort array, an object, or an actual string are allowed")
        ((name, options),) = item.items()
        options = {"order": options} if isinstance(options, str) else options
        if not isinstance(options, dict):
            raise _parsing(f"[sort] malformed sort value for [{name}]")
        allowed = {"order"} if name in ("_score", "_doc") else {"order", "missing", "unmapped_type", "mode"}
        for key in options:
            if key in ("nested", "numeric_type", "format", "script"):
                raise _unsupported(f"sort option [{key}]")
            if key not in allowed:
                raise _error(
                    400,
                    "x_content_parse_exception",
                    f"[{'score_sort' if name == '_score' else 'field_sort'}] unknown field [{key}]",
                )
        order = _as_text(options.get("order", "desc" if name == "_score" else "asc")).lower()
        if order not in ("asc", "desc"):
            raise _illegal(f"Unknown SortOrder [{order}]")
        mode = options.get("mode")
        if mode is not None and mode not in ("min", "max"):
            raise _unsupported(f"sort mode [{mode}]")
        unmapped = options.get("unmapped_type")
        if unmapped is not None and unmapped not in _KINDS:
            raise _unsupported(f"unmapped_type [{unmapped}]")
        specs.append(_SortSpec(name, order == "desc", options.get("missing", "_last"), unmapped, mode))
    return _check_sort(specs, face, pit)


def _parse_url_sort(text: str, face: _Face, pit: bool = False) -> list[_SortSpec]:
    specs = []
    for part in filter(None, text.split(",")):
        name, _, order = part.partition(":")
        specs.append(_SortSpec(name, (order or ("desc" if name == "_score" else "asc")).lower() == "desc"))
    return _check_sort(specs, face, pit)


def _check_sort(specs: list[_SortSpec], face: _Face, pit: bool = False) -> list[_SortSpec]:
    if face.flavor == "elasticsearch" and not pit and any(s.field == "_shard_doc" for s in specs):
        raise _error(
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: [_shard_doc] sort field cannot be used without [point in time];",
        )
    return specs


@dataclass(frozen=True)
class _BoundSort:
    """A sort key bound to one index: how to read a document's sort value."""

    spec: _SortSpec
    kind: str
    read: Callable[[_Doc, float], Any]


def _bind_sort(ix: _Index, spec: _SortSpec, ordinal: int = 0) -> _BoundSort:
    name = spec.field
    if name == "_shard_doc":
        # ES: the shard index in the high bits, the Lucene doc id in the low ones
        return _BoundSort(spec, "long", lambda doc, score: (ordinal << 32) | doc.seq)
    if name == "_score":
        return _BoundSort(spec, "double", lambda doc, score: score)
    if name == "_doc":
        return _BoundSort(spec, "long", lambda doc, score: doc.seq)
    if name == "_id" and not ix.face.id_fielddata:
        raise _id_fielddata_error()
    if name in ("_id", "_index"):
        return _BoundSort(spec, "keyword", lambda doc, score: doc.id if name == "_id" else ix.name)
    target = ix.fields.get(name)
    if target is not None:
        kind = target.kind
    elif spec.unmapped_type is not None:
        kind = _KINDS[spec.unmapped_type]
    else:
        raise _ShardError("query_shard_exception", f"No mapping found for [{name}] in order to sort on")
    if kind == "text":
        raise _fielddata_error(ix.name, name)
    if spec.missing in ("_last", "_first"):
        last = spec.missing == "_last"
        high = {"keyword": None, "double": math.inf}.get(kind, _LONG_MAX)
        low = {"keyword": None, "double": -math.inf}.get(kind, _LONG_MIN)
        substitute = high if last != spec.desc else low
    else:
        substitute = _search_after_value(kind, target, spec, spec.missing)
    pick = max if (spec.mode or ("max" if spec.desc else "min")) == "max" else min

    def read(doc: _Doc, score: float) -> Any:
        values = doc.values.get(name)
        if not values:
            return substitute
        value = pick(values)
        return int(value) if kind == "boolean" else value

    return _BoundSort(spec, kind, read)


def _search_after_value(kind: str, target: _Field | None, spec: _SortSpec, value: Any) -> Any:
    """A search_after (or sort ``missing``) value as the sort key compares it."""
    try:
        if value is None:
            if kind == "keyword":
                return None
            raise ValueError(value)
        if kind == "keyword":
            return _as_text(value)
        if kind == "date":
            if isinstance(value, (int, float)):
                return int(value)
            return _parse_date_text(_as_text(value), target.formats if target else _DEFAULT_FORMATS, round_up=False)
        if kind == "double":
            return float(value)
        if isinstance(value, bool):
            return int(value)
        return int(float(value)) if isinstance(value, str) else int(value)
    except (TypeError, ValueError, OverflowError):
        raise _ShardError(
            "illegal_argument_exception",
            f"Failed to parse search_after value for field [{spec.field}].",
        ) from None


def _compare(a: list[Any], b: list[Any], specs: list[_SortSpec]) -> int:
    """Compare two rows of sort values in sort order; a missing keyword (None) goes
    where ``missing`` puts it whatever the order."""
    for x, y, spec in zip(a, b, specs, strict=True):
        if x is None or y is None:
            if x is None and y is None:
                continue
            after = 1 if x is None else -1
            return after if spec.missing != "_first" else -after
        if x != y:
            result = 1 if x > y else -1
            return -result if spec.desc else result
    return 0


def _sort_key(specs: list[_SortSpec]) -> Callable[[_Hit], Any]:
    """Sort values first; ties go to shard (index) order, then indexing order, as in ES."""

    def compare(a: _Hit, b: _Hit) -> int:
        result = _compare(a[0], b[0], specs)
        if result:
            return result
        left, right = (a[1], a[3].seq), (b[1], b[3].seq)
        return (left > right) - (left < right)

    return functools.cmp_to_key(compare)
