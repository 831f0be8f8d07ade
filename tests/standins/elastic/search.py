"""Search: the request body and URL parameters, its execution over the indices (one
shard each; partial results and "all shards failed"), ``_source`` filtering, and points
in time."""

from __future__ import annotations

import base64
import copy
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .aggs import _Agg, _Row, _parse_aggs
from .errors import (
    _ShardError,
    _all_shards_failed,
    _cause,
    _error,
    _illegal,
    _parsing,
    _shard_failure,
    _token_name,
    _unsupported,
)
from .mapping import _LONG_MAX, _Index
from .query import _Binder, _Env, _parse_query, _q_match_all
from .routes import _flag
from .sort import _Hit, _SortSpec, _bind_sort, _compare, _parse_sort, _parse_url_sort, _search_after_value, _sort_key
from .text import _as_text, _wildcard


_MAX_RESULT_WINDOW = 10_000


@dataclass
class _Search:
    """A parsed search request."""

    query: _Binder
    post_filter: _Binder | None = None
    size: int = 10
    from_: int = 0
    sort: list[_SortSpec] | None = None
    search_after: list[Any] | None = None
    source: tuple[bool, list[str], list[str]] = (True, [], [])
    track_total_hits: bool | int = _MAX_RESULT_WINDOW
    track_scores: bool = False
    aggs: list[_Agg] | None = None
    pit: dict[str, Any] | None = None
    """``{"id", "keep_alive"}`` when the search runs in a point in time."""


_SEARCH_KEYS_UNSUPPORTED = {
    "highlight", "collapse", "fields", "docvalue_fields", "stored_fields", "script_fields",
    "runtime_mappings", "min_score", "explain", "version", "seq_no_primary_term",
    "indices_boost", "rescore", "slice", "stats", "suggest", "knn", "profile", "ext",
    "retriever", "terminate_after", "rank", "sub_searches",
}  # fmt: skip


def _parse_search(body: Any, params: Mapping[str, str], env: _Env) -> _Search:
    body = {} if body is None else body
    if not isinstance(body, dict):
        raise _parsing("Unexpected token, expected START_OBJECT")
    search = _Search(query=_q_match_all({}, env))
    pit = body.get("pit")
    if pit is not None:
        if not isinstance(pit, dict) or not isinstance(pit.get("id"), str):
            raise _parsing("[pit] requires an object with an [id]")
        search.pit = pit
    for key, value in body.items():
        if key == "query":
            search.query = _parse_query(value, env)
        elif key == "post_filter":
            search.post_filter = _parse_query(value, env)
        elif key in ("size", "from"):
            setattr(search, "size" if key == "size" else "from_", _int_param(key, value))
        elif key == "pit":
            continue  # read above: the sort depends on it
        elif key == "sort":
            search.sort = _parse_sort(value, env.face, pit=search.pit is not None)
        elif key == "search_after":
            if not isinstance(value, list):
                raise _parsing("[search_after] values must be an array")
            search.search_after = value
        elif key == "_source":
            search.source = _parse_source(value)
        elif key == "track_total_hits":
            search.track_total_hits = value if isinstance(value, bool) else _int_param(key, value)
        elif key == "track_scores":
            search.track_scores = bool(value)
        elif key in ("aggs", "aggregations"):
            if search.aggs is not None:
                raise _parsing(f"Found two aggregation definitions in [{key}]")
            search.aggs = _parse_aggs(value, env)
        elif key == "timeout":
            continue  # answers are immediate
        elif key in _SEARCH_KEYS_UNSUPPORTED:
            raise _unsupported(f"search option [{key}]")
        else:
            raise _parsing(f"Unknown key for a {_token_name(value)} in [{key}].")
    if "size" in params:
        search.size = _int_param("size", params["size"])
    if "from" in params:
        search.from_ = _int_param("from", params["from"])
    if "sort" in params:
        search.sort = _parse_url_sort(params["sort"], env.face, pit=search.pit is not None)
    if "_source" in params:
        flag = params["_source"].lower()
        search.source = _parse_source(flag == "true" if flag in ("true", "false") else params["_source"].split(","))
    enabled, includes, excludes = search.source
    if "_source_includes" in params:
        enabled, includes = True, params["_source_includes"].split(",")
    if "_source_excludes" in params:
        enabled, excludes = True, params["_source_excludes"].split(",")
    search.source = (enabled, includes, excludes)
    if "track_total_hits" in params:
        text = params["track_total_hits"].lower()
        search.track_total_hits = (
            text != "false" if text in ("true", "false", "") else _int_param("track_total_hits", text)
        )
    if "track_scores" in params:
        search.track_scores = _flag(params, "track_scores", False)
    return search


def _int_param(name: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _illegal(f"Failed to parse int parameter [{name}] with value [{value}]") from None
    if name in ("size", "from") and number < 0:
        raise _illegal(f"[{name}] parameter cannot be negative, found [{number}]")
    return number


def _parse_source(value: Any) -> tuple[bool, list[str], list[str]]:
    if isinstance(value, bool):
        return value, [], []
    if isinstance(value, str):
        return True, [value], []
    if isinstance(value, list):
        return True, [_as_text(v) for v in value], []
    if isinstance(value, dict):
        for key in value:
            if key not in ("includes", "include", "excludes", "exclude"):
                raise _parsing(f"Unknown key for a {_token_name(value[key])} in [{key}].")

        def patterns(*keys: str) -> list[str]:
            found = next((value[k] for k in keys if k in value), [])
            return [found] if isinstance(found, str) else list(found)

        return True, patterns("includes", "include"), patterns("excludes", "exclude")
    raise _parsing("Expected one of [TRUE, FALSE, VALUE_STRING, START_ARRAY, START_OBJECT] for [_source]")


def _filter_source(source: dict[str, Any], includes: list[str], excludes: list[str]) -> dict[str, Any]:
    """_source filtering: a matching path keeps its whole subtree, minus excludes."""
    include_res = [_wildcard(p) for p in includes]
    exclude_res = [_wildcard(p) for p in excludes]

    def filter_value(value: Any, path: str, included: bool) -> tuple[bool, Any]:
        if isinstance(value, dict):
            kept = filter_object(value, path + ".", included)
            return bool(kept) or (included and not value), kept
        if isinstance(value, list):
            items = [filter_value(item, path, included) for item in value]
            kept_items = [item for keep, item in items if keep]
            return bool(kept_items) or (included and not value), kept_items
        return included, value

    def filter_object(obj: dict[str, Any], prefix: str, included: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in obj.items():
            path = prefix + key
            if any(r.fullmatch(path) for r in exclude_res):
                continue
            inside = included or not include_res or any(r.fullmatch(path) for r in include_res)
            keep, kept = filter_value(value, path, inside)
            if keep:
                out[key] = kept
        return out

    return filter_object(source, "", False)


def _execute(search: _Search, indices: list[_Index], live: Mapping[str, _Index]) -> dict[str, Any]:
    """Search ``indices`` (each one shard) and build the response; ``live`` is the
    store's indices by name, which the count of failed shards reads."""
    if search.from_ + search.size > _MAX_RESULT_WINDOW and indices:
        reason = (
            f"Result window is too large, from + size must be less than or equal to: [{_MAX_RESULT_WINDOW}] "
            f"but was [{search.from_ + search.size}]. See the scroll api for a more efficient way to request "
            "large data sets. This limit can be set by changing the [index.max_result_window] index level setting."
        )
        raise _all_shards_failed([(ix.name, _cause("illegal_argument_exception", reason)) for ix in indices])
    specs = search.sort or []
    scored = not specs or search.track_scores or any(s.field == "_score" for s in specs)
    failures: list[tuple[str, dict[str, Any]]] = []
    matched: list[_Row] = []
    hits: list[_Hit] = []
    total = 0
    for ordinal, ix in enumerate(indices):
        try:
            rows, index_hits, count = _search_index(search, ix, ordinal, specs)
        except _ShardError as failure:
            failures.append((ix.name, failure.cause))
            continue
        matched += rows
        hits += index_hits
        total += count
    if indices and len(failures) == len(indices):
        raise _all_shards_failed(failures)
    total_shards = sum(ix.shards for ix in indices)
    failed_shards = sum(live[name].shards for name, _ in failures)
    shards: dict[str, Any] = {
        "total": total_shards,
        "successful": total_shards - failed_shards,
        "skipped": 0,
        "failed": failed_shards,
    }
    if failures:
        shards["failures"] = [_shard_failure(name, cause) for name, cause in failures]
    if specs:
        ordered = sorted(hits, key=_sort_key(specs))
    else:
        ordered = sorted(hits, key=lambda hit: (-hit[4], hit[1], hit[3].seq))
    page = ordered[search.from_ : search.from_ + search.size]
    enabled, includes, excludes = search.source
    hit_list = []
    for values, _, ix, doc, score in page:
        hit: dict[str, Any] = {
            "_index": ix.name,
            "_id": doc.id,
            "_score": score if scored else None,
        }
        if enabled:
            hit["_source"] = (
                _filter_source(doc.source, includes, excludes)
                if includes or excludes
                else copy.deepcopy(doc.source)
            )
        if specs:
            hit["sort"] = values
        hit_list.append(hit)
    hits_out: dict[str, Any] = {}
    if search.track_total_hits is not False:
        limit = _LONG_MAX if search.track_total_hits is True else int(search.track_total_hits)
        hits_out["total"] = {
            "value": min(total, limit),
            "relation": "eq" if total <= limit else "gte",
        }
    if not indices:
        hits_out["max_score"] = 0.0
    elif scored and page:
        hits_out["max_score"] = max(hit[4] for hit in hits)
    else:
        hits_out["max_score"] = None
    hits_out["hits"] = hit_list
    response: dict[str, Any] = {"timed_out": False, "_shards": shards, "hits": hits_out}
    if search.aggs is not None and indices:
        response["aggregations"] = {agg.name: agg.compute(matched) for agg in search.aggs}
    return response


def _search_index(
    search: _Search, ix: _Index, ordinal: int, specs: list[_SortSpec]
) -> tuple[list[_Row], list[_Hit], int]:
    """One shard's work: the matching rows (for aggregations), the hits after
    post_filter and search_after, and the total (which ignores search_after, as in
    ES). Raises _ShardError."""
    matcher = search.query(ix)
    post = search.post_filter(ix) if search.post_filter else None
    bound = [_bind_sort(ix, spec, ordinal) for spec in specs]
    after = None
    if search.search_after is not None:
        if search.from_ > 0:
            raise _ShardError(
                "search_exception",
                "`from` parameter must be set to 0 when `search_after` is used.",
            )
        if not specs:
            raise _ShardError("illegal_argument_exception", "Sort must contain at least one field.")
        if len(search.search_after) != len(specs):
            raise _ShardError(
                "illegal_argument_exception",
                f"search_after has {len(search.search_after)} value(s) but sort has {len(specs)}.",
            )
        after = [
            _search_after_value(b.kind, ix.fields.get(b.spec.field), b.spec, value)
            for b, value in zip(bound, search.search_after, strict=True)
        ]
    for agg in search.aggs or []:
        agg.check(ix)
    rows: list[_Row] = []
    hits: list[_Hit] = []
    total = 0
    for doc in ix.docs.values():
        score = matcher(doc)
        if score is None:
            continue
        rows.append((ix, doc))
        if post is not None and post(doc) is None:
            continue
        total += 1
        values = [b.read(doc, score) for b in bound]
        if after is not None and _compare(values, after, specs) <= 0:
            continue
        hits.append((values, ordinal, ix, doc, score))
    return rows, hits, total


class _PointsInTime:
    """Open points in time: id -> (frozen copies of the indices, expiry in epoch ms)."""

    def __init__(self) -> None:
        self.held: dict[str, tuple[list[_Index], int]] = {}

    def open(self, indices: list[_Index], expiry_ms: int) -> str:
        """Freeze the documents of ``indices`` as they are now; returns the new id."""
        frozen = []
        for ix in indices:
            clone = copy.copy(ix)
            clone.docs = dict(ix.docs)
            frozen.append(clone)
        pit_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        self.held[pit_id] = (frozen, expiry_ms)
        return pit_id

    def indices(self, pit: Mapping[str, Any], now_ms: int) -> list[_Index]:
        """The frozen indices of ``{"id", "keep_alive"}`` (a keep_alive extends it), or
        ES's 404 for an unknown or expired id."""
        held = self.held.get(pit["id"])
        if held is None or held[1] < now_ms:
            self.held.pop(pit["id"], None)
            raise _error(404, "search_context_missing_exception", f"No search context found for id [{pit['id']}]")
        frozen, expiry = held
        if "keep_alive" in pit:
            expiry = max(expiry, now_ms + _keep_alive_ms(str(pit["keep_alive"])))
        self.held[pit["id"]] = (frozen, expiry)
        return frozen

    def close(self, pit_id: str) -> bool:
        """Free a point in time; False when the id was not open."""
        return self.held.pop(pit_id, None) is not None


def _keep_alive_ms(text: str) -> int:
    """A time value such as ``1m`` or ``30s`` in milliseconds."""
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d)", text.strip())
    if match is None:
        raise _error(400, "parse_exception", f"failed to parse setting [keep_alive] with value [{text}] as a time value")
    unit = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}[match.group(2)]
    return int(match.group(1)) * unit
