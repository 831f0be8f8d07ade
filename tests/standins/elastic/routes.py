"""Routing: which path and method reach which endpoint of the store, the URL
parameters each accepts, and ES's answers to the ones it does not."""

from __future__ import annotations

from collections.abc import Mapping

from .errors import _illegal


def _flag(params: Mapping[str, str], name: str, default: bool) -> bool:
    if name not in params:
        return default
    value = params[name].lower()
    if value not in ("", "true", "false"):
        raise _illegal(f"Failed to parse value [{params[name]}] as only [true] or [false] are allowed.")
    return value != "false"


def _check_params(path: str, params: Mapping[str, str], accepted: frozenset[str]) -> None:
    unknown = sorted(set(params) - accepted - {"pretty", "human", "error_trace"})
    if unknown:
        listed = ", ".join(f"[{name}]" for name in unknown)
        plural = "s" if len(unknown) > 1 else ""
        raise _illegal(
            f"request [{path}] contains unrecognized parameter{plural}: {listed} "
            f"(the test stand-in implements: {', '.join(sorted(accepted)) or 'none'})"
        )


_INDEX_OPTIONS = {"ignore_unavailable", "allow_no_indices", "expand_wildcards"}
_SEARCH_PARAMS = frozenset({
    *_INDEX_OPTIONS, "size", "from", "sort", "_source", "_source_includes", "_source_excludes",
    "track_total_hits", "track_scores", "timeout", "request_cache", "preference", "routing",
    "search_type", "ccs_minimize_roundtrips", "max_concurrent_shard_requests",
    "pre_filter_shard_size", "batched_reduce_size",
})  # fmt: skip
_BULK_PARAMS = frozenset({"refresh", "timeout", "wait_for_active_shards"})
_HEALTH_PARAMS = frozenset({
    "level", "local", "timeout", "master_timeout", "wait_for_status", "wait_for_nodes",
    "wait_for_active_shards", "wait_for_no_relocating_shards", "wait_for_no_initializing_shards",
    "wait_for_events",
})  # fmt: skip
_CAT_PARAMS = frozenset({"format", "v", *_INDEX_OPTIONS})
_INDEX_PARAMS = frozenset({
    *_INDEX_OPTIONS, "timeout", "master_timeout", "wait_for_active_shards", "local",
    "flat_settings", "include_defaults",
})  # fmt: skip
_ROUTES: list[tuple[tuple[str, ...], dict[str, str], frozenset[str]]] = [
    # path segments ("{}" is a target), method -> _Store method, accepted URL parameters
    ((), {"GET": "info", "HEAD": "info"}, frozenset()),
    (("_bulk",), {"POST": "bulk", "PUT": "bulk"}, _BULK_PARAMS),
    (("_search",), {"GET": "search", "POST": "search"}, _SEARCH_PARAMS),
    (("_pit",), {"DELETE": "close_pit"}, frozenset()),
    (("{}", "_pit"), {"POST": "open_pit"}, frozenset({*_INDEX_OPTIONS, "keep_alive", "preference", "routing"})),
    (("_refresh",), {"GET": "refresh", "POST": "refresh"}, frozenset(_INDEX_OPTIONS)),
    (("_cluster", "health"), {"GET": "health"}, _HEALTH_PARAMS),
    (("_cat", "indices"), {"GET": "cat_indices"}, _CAT_PARAMS),
    (("_cat", "indices", "{}"), {"GET": "cat_indices"}, _CAT_PARAMS),
    (("{}", "_bulk"), {"POST": "bulk", "PUT": "bulk"}, _BULK_PARAMS),
    (("{}", "_search"), {"GET": "search", "POST": "search"}, _SEARCH_PARAMS),
    (("{}", "_refresh"), {"GET": "refresh", "POST": "refresh"}, frozenset(_INDEX_OPTIONS)),
    (
        ("{}",),
        {"PUT": "create_index", "GET": "get_index", "HEAD": "index_exists", "DELETE": "delete_index"},
        _INDEX_PARAMS,
    ),
]


def _match_route(pattern: tuple[str, ...], segments: list[str]) -> list[str] | None:
    if len(pattern) != len(segments):
        return None
    groups = []
    for expected, actual in zip(pattern, segments, strict=True):
        if expected == "{}":
            groups.append(actual)
        elif expected != actual:
            return None
    return groups
