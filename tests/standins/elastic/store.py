"""The store: the indices and the endpoints that read and write them (bulk, search,
points in time, index administration, health, _cat)."""

from __future__ import annotations

import base64
import copy
import itertools
import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from .errors import _DocError, _EsError, _cause, _error, _illegal, _index_not_found, _token_name, _unsupported
from .faces import _Face
from .mapping import _Index
from .query import _Env
from .routes import _ROUTES, _check_params, _flag, _match_route
from .search import _PointsInTime, _execute, _keep_alive_ms, _parse_search
from .text import _as_text, _wildcard


_BULK_ACTIONS = ("index", "create", "delete", "update")
_INVALID_INDEX_CHARS = set('\\/*?"<>| ,#:')


class _Store:
    """The indices and the endpoints that read and write them."""

    def __init__(self, face: _Face, clock: Callable[[], float]) -> None:
        self.face = face
        self.clock = clock
        self.indices: dict[str, _Index] = {}
        self.lock = threading.RLock()
        self._auto_ids = itertools.count(1)
        self.pits = _PointsInTime()

    # ------------------------------------------------------------------ routing

    def dispatch(self, method: str, path: str, params: dict[str, str], raw: bytes) -> tuple[int, Any]:
        segments = [unquote(s) for s in path.strip("/").split("/")] if path.strip("/") else []
        for pattern, methods, accepted in _ROUTES:
            groups = _match_route(pattern, segments)
            if groups is None:
                continue
            if method not in methods:
                allowed = ", ".join(sorted(methods))
                message = f"Incorrect HTTP method for uri [{path}] and method [{method}], allowed: [{allowed}]"
                raise _EsError(405, {"error": message, "status": 405}, [("Allow", ",".join(sorted(methods)))])
            _check_params(path, params, accepted)
            handler = getattr(self, methods[method])
            with self.lock:
                return handler(params, raw, *groups)
        raise _EsError(400, {"error": f"no handler found for uri [{path}] and method [{method}]"})

    # ------------------------------------------------------------------ endpoints

    def info(self, params: dict[str, str], raw: bytes) -> tuple[int, Any]:
        return 200, self.face.info

    def health(self, params: dict[str, str], raw: bytes) -> tuple[int, Any]:
        if params.get("level", "cluster") != "cluster":
            raise _unsupported(f"cluster health level [{params['level']}]")
        primaries = sum(ix.shards for ix in self.indices.values())
        unassigned = sum(ix.shards * ix.replicas for ix in self.indices.values())
        total = primaries + unassigned
        return 200, {
            "cluster_name": self.face.info["cluster_name"],
            "status": "yellow" if unassigned else "green",
            "timed_out": False,
            "number_of_nodes": 1,
            "number_of_data_nodes": 1,
            "active_primary_shards": primaries,
            "active_shards": primaries,
            "relocating_shards": 0,
            "initializing_shards": 0,
            "unassigned_shards": unassigned,
            "delayed_unassigned_shards": 0,
            "number_of_pending_tasks": 0,
            "number_of_in_flight_fetch": 0,
            "task_max_waiting_in_queue_millis": 0,
            "active_shards_percent_as_number": 100.0 * primaries / total if total else 100.0,
        }

    def cat_indices(self, params: dict[str, str], raw: bytes, target: str = "*") -> tuple[int, Any]:
        if params.get("format") != "json":
            raise _unsupported("_cat output other than format=json")
        rows = []
        for ix in self._resolve(target, params):
            size = f"{sum(len(json.dumps(doc.source)) for doc in ix.docs.values())}b"
            rows.append(
                {
                    "health": "yellow" if ix.replicas else "green",
                    "status": "open",
                    "index": ix.name,
                    "uuid": ix.uuid,
                    "pri": str(ix.shards),
                    "rep": str(ix.replicas),
                    "docs.count": str(len(ix.docs)),
                    "docs.deleted": "0",
                    "store.size": size,
                    "pri.store.size": size,
                }
            )
        return 200, rows

    def refresh(self, params: dict[str, str], raw: bytes, target: str = "_all") -> tuple[int, Any]:
        indices = self._resolve(target, params)
        total = sum(ix.shards * (1 + ix.replicas) for ix in indices)
        return 200, {"_shards": {"total": total, "successful": sum(ix.shards for ix in indices), "failed": 0}}

    def create_index(self, params: dict[str, str], raw: bytes, name: str) -> tuple[int, Any]:
        _validate_index_name(name)
        if name in self.indices:
            existing = self.indices[name]
            raise _error(
                400,
                "resource_already_exists_exception",
                f"index [{name}/{existing.uuid}] already exists",
                index_uuid=existing.uuid,
                index=name,
            )
        self.indices[name] = _Index(name, self.face, _json_body(raw) if raw else None)
        return 200, {"acknowledged": True, "shards_acknowledged": True, "index": name}

    def get_index(self, params: dict[str, str], raw: bytes, target: str) -> tuple[int, Any]:
        return 200, {
            ix.name: {
                "aliases": {},
                "mappings": ix.mapping(),
                "settings": {
                    "index": {
                        "number_of_shards": str(ix.shards),
                        "number_of_replicas": str(ix.replicas),
                        "uuid": ix.uuid,
                        "provided_name": ix.name,
                        "creation_date": str(ix.created),
                    }
                },
            }
            for ix in self._resolve(target, params)
        }

    def index_exists(self, params: dict[str, str], raw: bytes, target: str) -> tuple[int, Any]:
        try:
            found = self._resolve(target, {"allow_no_indices": "false", **params})
        except _EsError:
            return 404, None
        return (200 if found else 404), None

    def delete_index(self, params: dict[str, str], raw: bytes, target: str) -> tuple[int, Any]:
        names = target.split(",")
        if any("*" in name or name == "_all" for name in names):
            raise _illegal("Wildcard expressions or all indices are not allowed")
        for name in names:
            if name not in self.indices and not _flag(params, "ignore_unavailable", False):
                raise _index_not_found(name)
        for name in names:
            self.indices.pop(name, None)
        return 200, {"acknowledged": True}

    def bulk(self, params: dict[str, str], raw: bytes, default_index: str | None = None) -> tuple[int, Any]:
        started = time.perf_counter()
        refresh = params.get("refresh", "false")
        if refresh not in ("", "true", "false", "wait_for"):
            raise _illegal(f"Unknown value for refresh: [{refresh}].")
        operations = _parse_bulk(raw, default_index)
        items = [
            self._bulk_item(action, index, doc_id, source, refresh) for action, index, doc_id, source in operations
        ]
        took = int((time.perf_counter() - started) * 1000)
        errors = any("error" in item[next(iter(item))] for item in items)
        return 200, {"errors": errors, "took": took, "items": items}

    def search(self, params: dict[str, str], raw: bytes, target: str | None = None) -> tuple[int, Any]:
        started = time.perf_counter()
        env = _Env(int(self.clock() * 1000), self.face)
        search = _parse_search(_json_body(raw) if raw.strip() else None, params, env)
        extra: dict[str, Any] = {}
        if search.pit is not None:
            if target is not None:
                raise _error(
                    400, "action_request_validation_exception",
                    "Validation Failed: 1: [indices] cannot be used with point in time. "
                    "Do not specify any index with point in time.;",
                )
            indices = self.pits.indices(search.pit, env.now_ms)
            extra["pit_id"] = search.pit["id"]
        else:
            indices = self._resolve(target or "_all", params)
        response = _execute(search, indices, self.indices)
        return 200, {"took": int((time.perf_counter() - started) * 1000), **extra, **response}

    def open_pit(self, params: dict[str, str], raw: bytes, target: str) -> tuple[int, Any]:
        """``POST /{target}/_pit?keep_alive=1m``: the documents as they are now, searchable
        by id until keep_alive passes (each search with it extends it)."""
        if self.face.flavor != "elasticsearch":
            raise _unsupported("point in time on this face")
        if "keep_alive" not in params:
            raise _error(400, "action_request_validation_exception", "Validation Failed: 1: [keep_alive] is not specified;")
        keep_ms = _keep_alive_ms(params["keep_alive"])
        indices = self._resolve(target, params)
        pit_id = self.pits.open(indices, int(self.clock() * 1000) + keep_ms)
        shards = len(indices)
        return 200, {"id": pit_id, "_shards": {"total": shards, "successful": shards, "skipped": 0, "failed": 0}}

    def close_pit(self, params: dict[str, str], raw: bytes) -> tuple[int, Any]:
        """``DELETE /_pit`` with ``{"id": ...}``."""
        body = _json_body(raw) if raw.strip() else None
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise _error(400, "action_request_validation_exception", "Validation Failed: 1: [id] is missing;")
        freed = self.pits.close(body["id"])
        return (200 if freed else 404), {"succeeded": True, "num_freed": int(freed)}

    # ------------------------------------------------------------------ internals

    def documents(self, target: str | None) -> list[dict[str, Any]]:
        with self.lock:
            indices = self._resolve(target or "_all", {"ignore_unavailable": "true"})
            return [
                {"_index": ix.name, "_id": doc.id, "_source": copy.deepcopy(doc.source)}
                for ix in indices
                for doc in ix.docs.values()
            ]

    def _resolve(self, expression: str, params: Mapping[str, str]) -> list[_Index]:
        """Index names, wildcards and exclusions to indices, ordered by name (the shard
        order results tie-break on)."""
        ignore_unavailable = _flag(params, "ignore_unavailable", False)
        allow_no_indices = _flag(params, "allow_no_indices", True)
        expand = {w.strip() for w in params.get("expand_wildcards", "open").split(",")}
        chosen: dict[str, None] = {}
        for position, part in enumerate(p for p in expression.split(",") if p):
            if part.startswith("-") and position > 0:
                regex = _wildcard(part[1:])
                for name in [n for n in chosen if regex.fullmatch(n)]:
                    del chosen[name]
                continue
            if part in ("_all", "*") or "*" in part:
                pattern = "*" if part == "_all" else part
                regex = _wildcard(pattern)
                found = (
                    []
                    if expand == {"none"}
                    else [
                        n
                        for n in self.indices
                        if regex.fullmatch(n) and (pattern.startswith(".") or not n.startswith("."))
                    ]
                )
                if not found and not allow_no_indices:
                    raise _index_not_found(part)
                chosen.update(dict.fromkeys(found))
            elif part in self.indices:
                chosen[part] = None
            elif not ignore_unavailable:
                raise _index_not_found(part)
        if not chosen and not allow_no_indices:
            raise _index_not_found(expression)
        return [self.indices[name] for name in sorted(chosen)]

    def _bulk_item(self, action: str, name: str, doc_id: str | None, source: Any, refresh: str) -> dict[str, Any]:
        ix = self.indices.get(name)
        result: dict[str, Any] = {"_index": name, "_id": doc_id}
        if action == "delete":
            if ix is None:
                result.update(status=404, error=_index_not_found(name).body["error"]["root_cause"][0])
                return {action: result}
            deleted, seq_no = ix.delete(doc_id or "")
            result.update(
                _version=(deleted.version + 1) if deleted else 1,
                result="deleted" if deleted else "not_found",
                _shards=self._shards(ix),
                _seq_no=seq_no,
                _primary_term=1,
                status=200 if deleted else 404,
            )
            return {action: result}
        if ix is None:
            try:
                _validate_index_name(name)
            except _EsError as invalid:
                result.update(status=400, error=invalid.body["error"]["root_cause"][0])
                return {action: result}
            ix = self.indices[name] = _Index(name, self.face)
        if doc_id is None:
            doc_id = base64.urlsafe_b64encode(next(self._auto_ids).to_bytes(15, "big")).decode()
            result["_id"] = doc_id
        if action == "create" and doc_id in ix.docs:
            current = ix.docs[doc_id].version
            reason = f"[{doc_id}]: version conflict, document already exists (current version [{current}])"
            error = _cause(
                "version_conflict_engine_exception",
                reason,
                index_uuid=ix.uuid,
                shard="0",
                index=name,
            )
            result.update(status=409, error=error)
            return {action: result}
        try:
            doc, new_fields, new_objects = ix.parse_document(doc_id, source)
        except _DocError as bad:
            result.update(status=400, error=bad.cause)
            return {action: result}
        updated = doc_id in ix.docs
        stored = ix.store(doc, new_fields, new_objects)
        result.update(
            _version=stored.version,
            result="updated" if updated else "created",
            _shards=self._shards(ix),
            _seq_no=stored.seq,
            _primary_term=1,
        )
        if refresh == "true" or refresh == "":
            result["forced_refresh"] = True
        result["status"] = 200 if updated else 201
        return {action: result}

    @staticmethod
    def _shards(ix: _Index) -> dict[str, int]:
        return {"total": 1 + ix.replicas, "successful": 1, "failed": 0}


def _parse_bulk(raw: bytes, default_index: str | None) -> list[tuple[str, str, str | None, Any]]:
    """The whole NDJSON body, validated before anything is written (as ES does)."""
    if raw and not raw.endswith(b"\n"):
        raise _illegal("The bulk request must be terminated by a newline [\\n]")
    lines = raw.split(b"\n")
    operations = []
    missing_index = []
    number = 0
    while number < len(lines):
        line = lines[number].strip()
        number += 1
        if not line:
            continue
        try:
            header = json.loads(line)
        except ValueError:
            raise _illegal(
                f"Malformed action/metadata line [{number}], expected START_OBJECT or END_OBJECT but found [VALUE_STRING]"
            ) from None
        if not isinstance(header, dict) or len(header) != 1:
            raise _illegal(
                f"Malformed action/metadata line [{number}], expected START_OBJECT or END_OBJECT but found [{_token_name(header)}]"
            )
        ((action, meta),) = header.items()
        if action not in _BULK_ACTIONS:
            raise _illegal(
                f"Malformed action/metadata line [{number}], expected one of [create, delete, index, update] but found [{action}]"
            )
        if action == "update":
            raise _unsupported("bulk action [update]")
        if not isinstance(meta, dict):
            raise _illegal(
                f"Malformed action/metadata line [{number}], expected a simple value for field [{action}] but found [{_token_name(meta)}]"
            )
        for key in meta:
            if key not in ("_index", "_id"):
                raise _illegal(f"Action/metadata line [{number}] contains an unknown parameter [{key}]")
        index = meta.get("_index", default_index)
        doc_id = None if meta.get("_id") is None else _as_text(meta["_id"])
        if doc_id == "":
            raise _error(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: if _id is specified it must not be empty;",
            )
        if index is None:
            missing_index.append(len(operations) + 1)
        source = None
        if action != "delete":
            if number >= len(lines) or not lines[number].strip():
                raise _illegal("The bulk request must be terminated by a newline [\\n]")
            try:
                source = json.loads(lines[number])
            except ValueError:
                source = lines[number].decode("utf-8", "replace")
            number += 1
        operations.append((action, index, doc_id, source))
    if missing_index:
        problems = " ".join(f"{i}: index is missing;" for i in missing_index)
        raise _error(400, "action_request_validation_exception", f"Validation Failed: {problems}")
    if not operations:
        raise _error(400, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
    return operations


def _validate_index_name(name: str) -> None:
    def invalid(why: str) -> _EsError:
        return _error(
            400,
            "invalid_index_name_exception",
            f"Invalid index name [{name}], {why}",
            index_uuid="_na_",
            index=name,
        )

    if name != name.lower():
        raise invalid("must be lowercase")
    if _INVALID_INDEX_CHARS & set(name):
        raise invalid(f"must not contain the following characters [{', '.join(sorted(_INVALID_INDEX_CHARS))}]")
    if name[0] in "_-+":
        raise invalid("must not start with '_', '-', or '+'")
    if name in (".", "..") or len(name.encode()) > 255:
        raise invalid("must not be '.' or '..'" if name in (".", "..") else "index name is too long")


def _json_body(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError as bad:
        raise _error(400, "x_content_parse_exception", f"Failed to parse request body: {bad}") from None
