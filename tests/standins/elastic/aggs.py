"""Aggregations: terms, date_histogram and the metrics, checked per index (shard
errors) and computed over the matching documents of every index that did not fail."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from .dates import _format_millis, _millis, _moment, _round_moment, _shift
from .errors import _ShardError, _cause, _error, _fielddata_error, _id_fielddata_error, _illegal, _parsing, _unsupported
from .mapping import _Doc, _Field, _Index
from .query import _Env, _date_bound
from .text import _as_text


_MAX_BUCKETS = 65_536
_CALENDAR_UNITS = {
    "1m": "m", "minute": "m", "1h": "h", "hour": "h", "1d": "d", "day": "d",
    "1w": "w", "week": "w", "1M": "M", "month": "M", "1q": "q", "quarter": "q",
    "1y": "y", "year": "y",
}  # fmt: skip
_FIXED_UNITS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}

_Row = tuple[_Index, _Doc]


def _agg_values(ix: _Index, name: str, doc: _Doc) -> list[Any]:
    if name == "_index":
        return [ix.name]
    if name == "_id":
        return [doc.id]
    return doc.values.get(name, [])


def _field_kind(rows: list[_Row], name: str, agg: str) -> str | None:
    if name in ("_index", "_id"):
        return "keyword"
    kinds = {ix.fields[name].kind for ix in {ix for ix, _ in rows} if name in ix.fields}
    if len(kinds) > 1:
        raise _illegal(
            f"Merging/Reducing the aggregations failed when computing the aggregation [{agg}] "
            "because: the field you gave in the aggregation query existed as two different "
            "types in two different indices"
        )
    return kinds.pop() if kinds else None


class _Agg(ABC):
    """A parsed aggregation: ``check`` per index (shard errors), ``compute`` over the
    matching documents of every index that did not fail."""

    accepts_subs = True

    def __init__(self, name: str, type_: str, field_name: str, kinds: set[str]) -> None:
        self.name, self.type, self.field, self.kinds = name, type_, field_name, kinds
        self.subs: list[_Agg] = []

    def check(self, ix: _Index) -> None:
        if self.field == "_id" and not ix.face.id_fielddata:
            raise _id_fielddata_error()
        target = ix.fields.get(self.field)
        if target is not None and target.kind == "text":
            raise _fielddata_error(ix.name, self.field)
        if target is not None and target.kind not in self.kinds:
            raise _ShardError(
                "illegal_argument_exception",
                f"Field [{self.field}] of type [{target.type}] is not supported for aggregation [{self.type}]",
            )
        for sub in self.subs:
            sub.check(ix)

    @abstractmethod
    def compute(self, rows: list[_Row]) -> dict[str, Any]:
        """The aggregation's result over ``rows``."""

    def _bucket(self, key: Any, kind: str | None, rows: list[_Row]) -> dict[str, Any]:
        bucket: dict[str, Any] = {}
        if kind == "date":
            bucket["key_as_string"] = _format_millis(key)
        bucket["key"] = int(key) if kind == "boolean" else key
        if kind == "boolean":
            bucket["key_as_string"] = "true" if key else "false"
        bucket["doc_count"] = len(rows)
        for sub in self.subs:
            bucket[sub.name] = sub.compute(rows)
        return bucket


class _Terms(_Agg):
    KEYS = frozenset(
        {"field", "size", "shard_size", "min_doc_count", "order", "missing", "execution_hint", "collect_mode"}
    )
    UNSUPPORTED = frozenset({
        "include", "exclude", "script", "value_type", "format", "shard_min_doc_count", "show_term_doc_count_error",
    })  # fmt: skip

    def __init__(self, name: str, body: dict[str, Any]) -> None:
        _agg_keys(body, "terms", self.KEYS, self.UNSUPPORTED)
        super().__init__(name, "terms", _agg_field(body), {"keyword", "long", "double", "date", "boolean"})
        self.size = int(body.get("size", 10))
        if self.size <= 0:
            raise _illegal(f"[size] must be greater than 0. Found [{self.size}] in [{name}]")
        self.min_doc_count = int(body.get("min_doc_count", 1))
        if self.min_doc_count < 1:
            raise _unsupported("terms min_doc_count 0")
        self.missing = body.get("missing")
        order = body.get("order", [{"_count": "desc"}])
        self.order: list[tuple[str, bool]] = []
        for item in order if isinstance(order, list) else [order]:
            if not isinstance(item, dict):
                raise _error(400, "x_content_parse_exception", "[terms] failed to parse field [order]")
            for key, direction in item.items():
                if key not in ("_count", "_key"):
                    raise _unsupported(f"terms order by [{key}]")
                self.order.append((key, _as_text(direction).lower() == "desc"))
        if ("_key", False) not in self.order and ("_key", True) not in self.order:
            self.order.append(("_key", False))

    def compute(self, rows: list[_Row]) -> dict[str, Any]:
        kind = _field_kind(rows, self.field, self.name)
        groups: dict[Any, list[_Row]] = {}
        for ix, doc in rows:
            keys = set(_agg_values(ix, self.field, doc))
            if not keys and self.missing is not None:
                keys = {self.missing}
            for key in keys:
                groups.setdefault(key, []).append((ix, doc))
        items = [(key, group) for key, group in groups.items() if len(group) >= self.min_doc_count]
        for criterion, desc in reversed(self.order):  # stable sorts, last criterion first
            if criterion == "_count":
                items.sort(key=lambda item: len(item[1]), reverse=desc)
            else:
                items.sort(key=lambda item: item[0], reverse=desc)
        kept, rest = items[: self.size], items[self.size :]
        return {
            "doc_count_error_upper_bound": 0,
            "sum_other_doc_count": sum(len(group) for _, group in rest),
            "buckets": [self._bucket(key, kind, group) for key, group in kept],
        }


class _DateHistogram(_Agg):
    KEYS = frozenset({"field", "fixed_interval", "calendar_interval", "min_doc_count", "extended_bounds", "time_zone"})
    UNSUPPORTED = frozenset({"offset", "format", "hard_bounds", "order", "keyed", "missing", "script"})

    def __init__(self, name: str, body: dict[str, Any], env: _Env) -> None:
        allowed = self.KEYS | ({"interval"} if env.face.legacy_interval else set())
        _agg_keys(body, "date_histogram", allowed, self.UNSUPPORTED)
        super().__init__(name, "date_histogram", _agg_field(body), {"date", "long", "double"})
        if _as_text(body.get("time_zone", "UTC")).upper() not in ("UTC", "Z", "+00:00", "ETC/UTC"):
            raise _unsupported(f"date_histogram time_zone [{body['time_zone']}]")
        self.fixed: int | None = None
        self.calendar: str | None = None
        if "fixed_interval" in body and "calendar_interval" in body:
            raise _illegal("Cannot use [fixed_interval] with [calendar_interval] configuration option.")
        if "interval" in body:  # OpenSearch only: a calendar unit if it names one
            legacy = _as_text(body["interval"])
            if legacy in _CALENDAR_UNITS:
                self.calendar = _CALENDAR_UNITS[legacy]
            else:
                self.fixed = self._parse_fixed(legacy, "interval")
        elif "calendar_interval" in body:
            unit = _CALENDAR_UNITS.get(_as_text(body["calendar_interval"]))
            if unit is None:
                raise _error(
                    400,
                    "x_content_parse_exception",
                    "[date_histogram] failed to parse field [calendar_interval]",
                    caused_by=_cause(
                        "illegal_argument_exception",
                        f"The supplied interval [{body['calendar_interval']}] could not be parsed as a calendar interval.",
                    ),
                )
            self.calendar = unit
        elif "fixed_interval" in body:
            self.fixed = self._parse_fixed(_as_text(body["fixed_interval"]), "fixed_interval")
        else:
            raise _illegal("Invalid interval specified, must be non-null and non-empty")
        self.min_doc_count = int(body.get("min_doc_count", 0))
        if self.min_doc_count < 0:
            raise _illegal(
                f"[min_doc_count] must be greater than or equal to 0. Found [{self.min_doc_count}] in [{name}]"
            )
        self.bounds: tuple[int | None, int | None] = (None, None)
        if "extended_bounds" in body:
            bounds = body["extended_bounds"]
            if not isinstance(bounds, dict) or set(bounds) - {"min", "max"}:
                raise _error(
                    400,
                    "x_content_parse_exception",
                    "[date_histogram] failed to parse field [extended_bounds]",
                )
            as_date = _Field(self.field, "date", self.field)
            low, high = (
                None if bounds.get(end) is None else _date_bound(as_date, bounds[end], None, env, round_up=False)
                for end in ("min", "max")
            )
            self.bounds = (low, high)

    @staticmethod
    def _parse_fixed(text: str, option: str) -> int:
        match = re.fullmatch(r"(\d+)(ms|s|m|h|d)", text)
        if match is None or int(match.group(1)) == 0:
            reason = (
                "Zero or negative time interval not supported"
                if match
                else f"failed to parse setting [date_histogram.fixedInterval] with value [{text}] as a time value: unit is missing or unrecognized"
            )
            raise _error(
                400,
                "x_content_parse_exception",
                f"[date_histogram] failed to parse field [{option}]",
                caused_by=_cause("illegal_argument_exception", reason),
            )
        return int(match.group(1)) * _FIXED_UNITS[match.group(2)]

    def _floor(self, millis: int) -> int:
        if self.fixed is not None:
            return millis // self.fixed * self.fixed
        assert self.calendar is not None
        return _millis(_round_moment(_moment(millis), self.calendar))

    def _next(self, key: int) -> int:
        if self.fixed is not None:
            return key + self.fixed
        assert self.calendar is not None
        return _millis(_shift(_moment(key), 1, self.calendar))

    def compute(self, rows: list[_Row]) -> dict[str, Any]:
        groups: dict[int, list[_Row]] = {}
        for ix, doc in rows:
            for key in {self._floor(int(v)) for v in _agg_values(ix, self.field, doc)}:
                groups.setdefault(key, []).append((ix, doc))
        if self.min_doc_count > 0:
            keys = sorted(k for k, group in groups.items() if len(group) >= self.min_doc_count)
        else:
            ends = [*groups, *(self._floor(b) for b in self.bounds if b is not None)]
            keys = []
            if ends:
                key, last = min(ends), max(ends)
                while key <= last:
                    keys.append(key)
                    if len(keys) > _MAX_BUCKETS:
                        raise _error(
                            400,
                            "too_many_buckets_exception",
                            f"Trying to create too many buckets. Must be less than or equal to: [{_MAX_BUCKETS}] but this "
                            "number of buckets was exceeded. This limit can be set by changing the [search.max_buckets] cluster level setting.",
                            max_buckets=_MAX_BUCKETS,
                        )
                    key = self._next(key)
        return {"buckets": [self._bucket(key, "date", groups.get(key, [])) for key in keys]}


class _Metric(_Agg):
    accepts_subs = False
    _NUMERIC = frozenset({"long", "double", "date", "boolean"})

    def __init__(self, name: str, type_: str, body: dict[str, Any]) -> None:
        allowed = {"field", "precision_threshold"} if type_ == "cardinality" else {"field"}
        _agg_keys(body, type_, allowed, {"script", "missing", "format"})
        kinds = {"keyword", *self._NUMERIC} if type_ in ("value_count", "cardinality") else self._NUMERIC
        super().__init__(name, type_, _agg_field(body), kinds)

    def compute(self, rows: list[_Row]) -> dict[str, Any]:
        kind = _field_kind(rows, self.field, self.name)
        values = [v for ix, doc in rows for v in _agg_values(ix, self.field, doc)]
        if self.type == "value_count":
            return {"value": len(values)}
        if self.type == "cardinality":
            return {"value": len(set(values))}
        numbers = [float(v) for v in values]
        if self.type == "sum":
            return {"value": sum(numbers)}
        if self.type == "avg":
            return {"value": sum(numbers) / len(numbers) if numbers else None}
        value = (min if self.type == "min" else max)(numbers) if numbers else None
        result: dict[str, Any] = {"value": value}
        if kind == "date" and value is not None:
            result["value_as_string"] = _format_millis(int(value))
        return result


def _agg_keys(body: Any, type_: str, allowed: Iterable[str], unsupported: Iterable[str]) -> None:
    if not isinstance(body, dict):
        raise _parsing(f"Expected [START_OBJECT] under [{type_}]")
    for key in body:
        if key in unsupported:
            raise _unsupported(f"[{type_}] parameter [{key}]")
        if key not in allowed:
            raise _error(400, "x_content_parse_exception", f"[{type_}] unknown field [{key}]")


def _agg_field(body: dict[str, Any]) -> str:
    if "field" not in body:
        raise _illegal("Required one of fields [field, script], but none were specified.")
    return _as_text(body["field"])


_METRICS = {"value_count", "cardinality", "min", "max", "avg", "sum"}
_KNOWN_AGGS = {
    "filter", "filters", "range", "date_range", "histogram", "composite", "top_hits", "stats",
    "extended_stats", "percentiles", "significant_terms", "nested", "missing", "global",
    "auto_date_histogram", "multi_terms", "rare_terms", "bucket_script", "bucket_selector",
    "bucket_sort", "sum_bucket", "avg_bucket", "max_bucket", "derivative", "cumulative_sum",
    "geo_bounds", "weighted_avg", "median_absolute_deviation", "variable_width_histogram",
}  # fmt: skip


def _parse_aggs(spec: Any, env: _Env) -> list[_Agg]:
    if not isinstance(spec, dict):
        raise _parsing("Unexpected token in [aggs], expected START_OBJECT")
    aggs = []
    for name, body in spec.items():
        if re.search(r"[\[\]>]", name):
            raise _parsing(
                f"Invalid aggregation name [{name}]. Aggregation names can contain any character except '[', ']', and '>'"
            )
        if not isinstance(body, dict):
            raise _parsing(f"Expected [START_OBJECT] under [{name}], but got a [VALUE] in [{name}]")
        types = [key for key in body if key not in ("aggs", "aggregations", "meta")]
        if not types:
            raise _parsing(f"Missing definition for aggregation [{name}]")
        if len(types) > 1:
            raise _parsing(f"Found two aggregation type definitions in [{name}]: [{types[0]}] and [{types[1]}]")
        if "meta" in body:
            raise _unsupported("aggregation [meta]")
        if "aggs" in body and "aggregations" in body:
            raise _parsing(f"Found two sub aggregation definitions under [{name}]")
        type_ = types[0]
        agg: _Agg
        if type_ == "terms":
            agg = _Terms(name, body[type_])
        elif type_ == "date_histogram":
            agg = _DateHistogram(name, body[type_], env)
        elif type_ in _METRICS:
            agg = _Metric(name, type_, body[type_])
        elif type_ in _KNOWN_AGGS:
            raise _unsupported(f"aggregation type [{type_}]")
        else:
            raise _parsing(f"Unknown aggregation type [{type_}]")
        subs = body.get("aggs", body.get("aggregations"))
        if subs is not None:
            if not agg.accepts_subs:
                raise _error(
                    400,
                    "aggregation_initialization_exception",
                    f"Aggregator [{name}] of type [{type_}] cannot accept sub-aggregations",
                )
            agg.subs = _parse_aggs(subs, env)
        aggs.append(agg)
    return aggs
