"""Elasticsearch's error shapes: the top-level error body, per-shard failures, the
failure of one bulk item, and the errors injected by ``fail_next``."""

from __future__ import annotations

import json
from typing import Any


_NODE_ID = "c3RhbmRpbi1ub2RlLTAx"


class _EsError(Exception):
    """An answer other than success: status, body (JSON value, or text) and headers."""

    def __init__(self, status: int, body: Any, headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or []


class _ShardError(Exception):
    """A failure ES reports per shard (here: per index), such as sorting on a text field."""

    def __init__(self, type_: str, reason: str, caused_by: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.cause = _cause(type_, reason, caused_by)


class _DocError(Exception):
    """A document that does not fit the mapping: fails its bulk item only."""

    def __init__(self, type_: str, reason: str, caused_by: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.cause = _cause(type_, reason, caused_by)


def _cause(type_: str, reason: str, caused_by: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    cause: dict[str, Any] = {"type": type_, "reason": reason, **extra}
    if caused_by is not None:
        cause["caused_by"] = caused_by
    return cause


def _error(
    status: int,
    type_: str,
    reason: str,
    *,
    caused_by: dict[str, Any] | None = None,
    headers: list[tuple[str, str]] | None = None,
    **extra: Any,
) -> _EsError:
    """ES's error body: ``{"error": {"root_cause": [...], "type", "reason"}, "status"}``."""
    root = {"type": type_, "reason": reason, **extra}
    error = {"root_cause": [root], **_cause(type_, reason, caused_by, **extra)}
    return _EsError(status, {"error": error, "status": status}, headers)


def _parsing(reason: str) -> _EsError:
    return _error(400, "parsing_exception", reason)


def _illegal(reason: str) -> _EsError:
    return _error(400, "illegal_argument_exception", reason)


def _unsupported(what: str) -> _EsError:
    return _illegal(f"{what} is not implemented by the test stand-in")


def _index_not_found(name: str) -> _EsError:
    extra = {
        "resource.type": "index_or_alias",
        "resource.id": name,
        "index_uuid": "_na_",
        "index": name,
    }
    return _error(404, "index_not_found_exception", f"no such index [{name}]", **extra)


def _all_shards_failed(failures: list[tuple[str, dict[str, Any]]]) -> _EsError:
    roots = [{k: v for k, v in cause.items() if k != "caused_by"} for _, cause in failures]
    error = {
        "root_cause": roots,
        "type": "search_phase_execution_exception",
        "reason": "all shards failed",
        "phase": "query",
        "grouped": True,
        "failed_shards": [_shard_failure(index, cause) for index, cause in failures],
        "caused_by": failures[0][1],
    }
    return _EsError(400, {"error": error, "status": 400})


def _shard_failure(index: str, cause: dict[str, Any]) -> dict[str, Any]:
    return {"shard": 0, "index": index, "node": _NODE_ID, "reason": cause}


def _fielddata_error(index: str, name: str) -> _ShardError:
    return _ShardError(
        "illegal_argument_exception",
        f"Fielddata is disabled on [{name}] in [{index}]. Text fields are not optimised for "
        "operations that require per-document field data like aggregations and sorting, so "
        "these operations are disabled by default. Please use a keyword field instead. "
        f"Alternatively, set fielddata=true on [{name}] in order to load field data by "
        "uninverting the inverted index. Note that this can use significant memory.",
    )


def _id_fielddata_error() -> _ShardError:
    return _ShardError(
        "illegal_argument_exception",
        "Fielddata access on the _id field is disallowed, you can re-enable it by updating "
        "the dynamic cluster setting: indices.id_field_data.enabled",
    )


_INJECTED_TYPES = {
    400: "illegal_argument_exception",
    401: "security_exception",
    403: "security_exception",
    404: "index_not_found_exception",
    429: "es_rejected_execution_exception",
    500: "exception",
    503: "no_shard_available_action_exception",
}

_REASON_PHRASES = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


def _injected_error(status: int) -> bytes:
    type_ = _INJECTED_TYPES.get(status, "exception")
    return json.dumps(_error(status, type_, "failure injected by the test stand-in").body).encode()


def _token_name(value: Any) -> str:
    if isinstance(value, dict):
        return "START_OBJECT"
    if isinstance(value, list):
        return "START_ARRAY"
    if isinstance(value, bool):
        return "VALUE_BOOLEAN"
    if isinstance(value, (int, float)):
        return "VALUE_NUMBER"
    return "VALUE_NULL" if value is None else "VALUE_STRING"
