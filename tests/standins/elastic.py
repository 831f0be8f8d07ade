"""An in-process Elasticsearch 8 / OpenSearch 2 stand-in for the console's tests.

Neither Elasticsearch nor the Wazuh indexer (OpenSearch) can be installed from the
registries the test suite may use, so this module answers the part of their REST API the
console relies on, from documents held in memory, with the documented response and error
shapes. Data goes in through the real ``_bulk`` API. Queries get the real semantics
wherever the console could get them wrong: text fields are analysed (``term`` on a text
field sees lower-case tokens, ``level.keyword`` sees the whole value), dates are instants
with date math and ES's rounding rules, ``bool`` needs one ``should`` only when nothing
else is required, ``simple_query_string`` is a port of Lucene's parser (so ``a -b`` with
the default OR operator matches nearly everything, as in ES), and whatever is not
implemented is refused with a 400 in Elasticsearch's error shape, never ignored.

Usage::

    with start_standin() as es:                         # the Elasticsearch 8 face
        client = Elasticsearch(es.url)
        helpers.bulk(client, actions)
        es.fail_next(status=503)                         # the next _search answers 503
        ...
    with start_standin("opensearch", users={"admin": "secret"}) as wazuh:
        httpx.post(f"{wazuh.url}/wazuh-alerts-4.x-*/_search", auth=("admin", "secret"), json=...)

``now`` in date math is the ``clock`` given to start_standin (real time by default), so
tests can freeze it. ``request_log`` records every request as ``(method, path, body,
headers)`` (``.query`` and ``.json()`` decode them) and ``documents()`` shows what is stored.

The two faces
    ``elasticsearch``: ``GET /`` reports ``version`` (default 8.19.3, build_flavor default)
    and every response carries ``X-Elastic-Product: Elasticsearch``, without which the
    official client refuses the server. ``Accept``/``Content-Type`` may carry
    ``application/vnd.elasticsearch+json; compatible-with=N`` for N = major or major - 1,
    as ES checks them (so a 9.x client is refused by the default 8.x face with the real
    400 ``media_type_header_exception``; start with ``version="9.1.0"`` for a 9.x server);
    responses then use the same media type. Optional basic auth (``users``) and API keys
    (``api_keys``, header ``Authorization: ApiKey base64(id:key)``) with ES's 401
    ``security_exception``. ``_id`` cannot be sorted or aggregated on (ES 8 refuses field
    data on ``_id``); ``_shard_doc`` (unique across the searched indices) needs a point in time.
    ``opensearch`` (the Wazuh indexer): ``version.distribution: opensearch`` (2.19.1), no
    product header, so the official client raises ``UnsupportedProductError``; the
    security plugin's 401 (``text/plain`` "Unauthorized", ``WWW-Authenticate: Basic
    realm="OpenSearch Security"``) when ``users`` are given; vendor media types refused
    with 406 as OpenSearch does; ``date_histogram.interval`` still accepted (deprecated
    there, removed in ES 8); sorting on ``_id`` allowed.

Endpoints
    ``GET|HEAD /``; ``POST|PUT /_bulk`` and ``/{index}/_bulk`` (``index``, ``create`` and
    ``delete`` actions, ``refresh``: documents are searchable at once anyway);
    ``GET|POST /_search`` and ``/{target}/_search`` (comma lists, wildcards, exclusions,
    ``ignore_unavailable``, ``allow_no_indices``, ``expand_wildcards``); ``PUT /{index}``
    (``mappings.properties``/``dynamic``, ``settings.number_of_shards|replicas``),
    ``GET|HEAD|DELETE /{index}``; ``GET|POST /_refresh``, ``/{index}/_refresh``;
    ``GET /_cluster/health``; ``GET /_cat/indices?format=json``; points in time (Elasticsearch
    face): ``POST /{target}/_pit?keep_alive=1m`` freezes the documents of the target,
    ``POST /_search`` with ``pit: {id, keep_alive}`` (no index in the path) searches them
    and answers ``pit_id``, ``DELETE /_pit`` frees it; an unknown or expired id is 404
    ``search_context_missing_exception``. Other paths answer ES's
    400 "no handler found for uri [...]" (a single unknown segment is an index name, as in
    ES), a known path with another method 405 with ``Allow``, and unknown URL parameters
    ES's 400 "contains unrecognized parameter".

Mappings
    Dynamic mapping as ES does it: JSON booleans ``boolean``, integers ``long``, other
    numbers ``float``, strings that parse as ``strict_date_optional_time`` (and hold two
    ``-``, ``:`` or ``/``, ES's guard) ``date``, other strings ``text`` with a ``keyword``
    sub-field (``ignore_above: 256``), objects
    flattened to dotted names (``rule.level``; dotted keys in ``_source`` mean the same).
    Explicit types: text, keyword (``ignore_above``), date (``format`` among
    strict_date_optional_time, date_optional_time, epoch_millis, epoch_second), long,
    integer, short, byte, double, float, half_float, boolean, object, and
    multi-fields (``fields``). A value that does not fit its field fails that bulk item
    with ES's ``document_parsing_exception`` (``mapper_parsing_exception`` on OpenSearch).

Query DSL
    bool (must, filter, should, must_not, minimum_should_match as N, -N, P%, -P%), term
    (``case_insensitive``), terms, range (gt/gte/lt/lte, from/to/include_*, ``format``; on
    dates ISO 8601 with or without zone and fraction, epoch millis, date math
    ``now-1h/d`` and ``2024-01-01||+1M`` with ES's rounding: gt/lte round up, and a
    missing time of day rounds up to 23:59:59.999), match (operator, minimum_should_match,
    lenient, zero_terms_query), match_phrase (slop), match_all, match_none, exists (also on
    objects and with wildcards), constant_score, simple_query_string (fields with
    wildcards and ``^boost``, default_operator, flags, lenient, fuzzy_prefix_length,
    fuzzy_transpositions, fuzzy_max_expansions accepted but not applied; the whole
    ``+ | - " * ( ) ~N \\`` syntax). ``_id`` and ``_index`` may be used in term/terms.
    The standard analyser is approximated: Unicode word characters, joined across
    ``. ' ’ :`` between letters and ``. , ; ' ’`` between digits (UAX #29), lower-cased,
    no stop words.

Search body
    query, post_filter, size (default 10), from, sort (strings, ``{field: order}``,
    ``{field: {order, missing, unmapped_type, mode: min|max}}``, ``_score``, ``_doc``;
    missing values last, as ES substitutes them: Long.MAX/MIN for numbers and dates, null
    for keywords), search_after (values as returned in ``sort``, dates as epoch millis or
    date strings), _source (bool, pattern or list, includes/excludes), track_total_hits,
    track_scores, timeout (accepted), aggs/aggregations. URL parameters ``size``,
    ``from``, ``sort`` (``field:desc``), ``_source*``, ``track_total_hits``,
    ``track_scores`` override the body as in ES. Hits carry ``_index``, ``_id``,
    ``_score``, ``_source`` and ``sort`` (dates as epoch millis). ``from + size`` above
    10000 is ES's "Result window is too large".

Aggregations
    terms (field, size, min_doc_count >= 1, order by ``_count``/``_key``, missing, nested
    sub-aggregations), date_histogram (fixed_interval, calendar_interval, min_doc_count
    default 0 filling the gaps between the first and last bucket, extended_bounds,
    time_zone UTC only), value_count, cardinality (exact), min, max, avg, sum.

Errors
    Parse errors answer at the top level as ES does (``parsing_exception`` "unknown query
    [x]", "Unknown key for a START_OBJECT in [x].", ``x_content_parse_exception``
    "[date_histogram] unknown field [interval]"); errors ES raises per shard (field data on
    a text field, an unmapped sort field, a date or number that does not parse, search_after
    of the wrong length) answer as ``search_phase_execution_exception`` "all shards failed"
    with the cause in ``root_cause``/``caused_by``, or as partial results with
    ``_shards.failures`` when some indices succeed. Each index is searched as one shard
    (``number_of_shards`` only changes the counts reported); node id and uuids are made up. Error reasons omit the ``[line:col]`` position ES prefixes.

Not implemented (answered with a 400 that names the feature)
    Scroll, aliases, data streams, templates, ingest pipelines, the
    ``update`` bulk action, query_string, prefix/wildcard/regexp/fuzzy/ids/nested queries,
    highlight, collapse, fields/docvalue_fields, filter_path, typed_keys,
    rest_total_hits_as_int, time zones other than UTC, custom date formats, terms ordered
    by a sub-aggregation, other aggregation types. Scores are not BM25: every matching
    scoring clause adds its boost (1.0), so ordering by ``_score`` only ranks documents
    that match more clauses first.

Fault injection (for the console's error paths): ``fail_next``, ``fail_with_html``,
``truncate_next`` and ``delay_next`` each apply to the next ``times`` requests to a
``_search`` endpoint, in the order they were armed. Mind that the official client retries
429, 502, 503 and 504 (three retries by default): arm more failures than that or build
the client with ``max_retries=0``.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import copy
import functools
import gzip
import heapq
import itertools
import json
import math
import re
import threading
import time
import traceback
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, BinaryIO, NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["LoggedRequest", "Standin", "start_standin"]

_MAX_RESULT_WINDOW = 10_000
_MAX_BUCKETS = 65_536
_LONG_MAX = 2**63 - 1
_LONG_MIN = -(2**63)
_NODE_ID = "c3RhbmRpbi1ub2RlLTAx"
_DEFAULT_FORMATS = ("strict_date_optional_time", "epoch_millis")


# --------------------------------------------------------------------------- public API


class LoggedRequest(NamedTuple):
    """One request as the stand-in received it: ``(method, path, body, headers)``."""

    method: str
    path: str
    """The request target as sent: path and query string, still percent-encoded."""
    body: str
    """The body as text ("" when there is none; gzip already undone)."""
    headers: dict[str, str]

    @property
    def query(self) -> dict[str, str]:
        """The decoded query-string parameters."""
        return dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))

    def json(self) -> Any:
        """The body parsed: a JSON value, or a list of objects for NDJSON."""
        if "ndjson" in {k.lower(): v for k, v in self.headers.items()}.get("content-type", ""):
            return [json.loads(line) for line in self.body.splitlines() if line.strip()]
        return json.loads(self.body)


def start_standin(
    flavor: str = "elasticsearch",
    *,
    users: Mapping[str, str] | None = None,
    api_keys: Mapping[str, str] | None = None,
    version: str | None = None,
    clock: Callable[[], float] = time.time,
) -> Standin:
    """Start a stand-in on 127.0.0.1 with a free port and return its handle.

    Args:
        flavor: ``"elasticsearch"`` or ``"opensearch"`` (the Wazuh indexer's face).
        users: user name -> password; when given (or ``api_keys``), every request must
            authenticate with HTTP basic auth.
        api_keys: API key id -> key, accepted as ``Authorization: ApiKey
            base64(id:key)``; Elasticsearch face only.
        version: the version ``GET /`` reports; its major decides which
            ``compatible-with`` media types the Elasticsearch face accepts.
        clock: seconds since the epoch, the ``now`` of date math.
    """
    faces = {"elasticsearch": _elasticsearch_face, "opensearch": _opensearch_face}
    if flavor not in faces:
        raise ValueError(f"unknown flavor {flavor!r}: use one of {sorted(faces)}")
    if api_keys and flavor != "elasticsearch":
        raise ValueError("API keys are an Elasticsearch feature; use users for OpenSearch")
    return Standin(faces[flavor](version), users or {}, api_keys or {}, clock)


class Standin:
    """A running stand-in: its URL, its documents, its request log and fault injection."""

    def __init__(
        self,
        face: _Face,
        users: Mapping[str, str],
        api_keys: Mapping[str, str],
        clock: Callable[[], float],
    ) -> None:
        self.flavor = face.flavor
        self._face = face
        self._users = dict(users)
        self._api_keys = dict(api_keys)
        self._store = _Store(face, clock)
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []
        self._log: list[LoggedRequest] = []
        self._stopping = threading.Event()
        self._server = _Server(self)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{face.flavor}-standin",
            daemon=True,
        )
        self._thread.start()

    def __enter__(self) -> Standin:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving; requests held by ``delay_next`` are released. Idempotent."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def request_log(self) -> list[LoggedRequest]:
        """A snapshot of every request received so far, oldest first."""
        with self._lock:
            return list(self._log)

    def documents(self, index: str | None = None) -> list[dict[str, Any]]:
        """Stored documents as ``{"_index", "_id", "_source"}``, by index name then
        indexing order.

        Args:
            index: an index name, a wildcard pattern or a comma list; None for all.
        """
        return self._store.documents(index)

    def fail_next(
        self,
        status: int = 503,
        body: str | bytes | Mapping[str, Any] | None = None,
        content_type: str = "application/json",
        *,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` searches with ``status`` and ``body``.

        Without a body the answer is an ES-shaped error for the status (e.g. 503
        ``no_shard_available_action_exception``). The Elasticsearch face still adds its
        product header: the server itself answered.
        """
        if body is None:
            payload = _injected_error(status)
        elif isinstance(body, Mapping):
            payload = json.dumps(body).encode()
        else:
            payload = body.encode() if isinstance(body, str) else body
        headers = [("content-type", content_type), *self._face.product_headers]
        self._arm(_Fault("reply", times, reply=_Reply(status, headers, payload)))

    def fail_with_html(self, status: int = 502, *, times: int = 1) -> None:
        """Answer the next ``times`` searches with a reverse proxy's HTML page (``text/html``,
        no product header: the request never reached the server). With ``status=200`` (a
        portal page) the official client raises UnsupportedProductError only before its
        first verified answer; afterwards it returns the page as a str body."""
        phrase = _REASON_PHRASES.get(status, "Error")
        page = (
            f"<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n"
        ).encode()
        headers = [("content-type", "text/html"), ("server", "nginx")]
        self._arm(_Fault("reply", times, reply=_Reply(status, headers, page)))

    def truncate_next(self, *, times: int = 1) -> None:
        """Cut the next ``times`` search answers in half: a valid start of JSON whose
        ``content-length`` matches the cut body, as a broken proxy would send it."""
        self._arm(_Fault("truncate", times))

    def delay_next(self, seconds: float, *, times: int = 1) -> None:
        """Hold the next ``times`` searches for ``seconds`` before answering them."""
        self._arm(_Fault("delay", times, seconds=seconds))

    # ---------------------------------------------------------------- request handling

    def _arm(self, fault: _Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self) -> _Fault | None:
        with self._lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            fault.remaining -= 1
            if fault.remaining == 0:
                self._faults.pop(0)
            return fault

    def _answer(self, method: str, target: str, headers: Mapping[str, str], raw: bytes) -> _Reply:
        """Everything between the parsed HTTP request and the bytes of the answer."""
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self._lock:
            self._log.append(LoggedRequest(method, target, raw.decode("utf-8", "replace"), dict(headers)))
        fault = self._take_fault() if parts.path.rstrip("/").endswith("/_search") else None
        if fault is not None and fault.kind == "reply":
            assert fault.reply is not None
            return fault.reply
        if fault is not None and fault.kind == "delay":
            self._stopping.wait(fault.seconds)
        reply = self._reply(method, parts.path, target, query, headers, raw)
        if fault is not None and fault.kind == "truncate":
            return _Reply(reply.status, reply.headers, reply.body[: len(reply.body) // 2])
        return reply

    def _reply(
        self,
        method: str,
        path: str,
        target: str,
        query: dict[str, str],
        headers: Mapping[str, str],
        raw: bytes,
    ) -> _Reply:
        extra: list[tuple[str, str]] = []
        content_type = self._face.json_type
        try:
            content_type = self._negotiate(headers, bool(raw))
            self._authenticate(headers, target)
            status, payload = self._store.dispatch(method, path, query, raw)
        except _EsError as error:
            status, payload, extra = error.status, error.body, error.headers
        if payload is None:
            body = b""
        elif isinstance(payload, str):
            body, content_type = payload.encode(), "text/plain; charset=UTF-8"
        else:
            indent = 2 if query.get("pretty") not in (None, "false") else None
            separators = None if indent else (",", ":")
            body = json.dumps(payload, indent=indent, separators=separators).encode()
        headers_out = [("content-type", content_type), *self._face.product_headers, *extra]
        return _Reply(status, headers_out, body)

    def _negotiate(self, headers: Mapping[str, str], has_body: bool) -> str:
        """Check Accept/Content-Type as the server does; return the answer's media type."""
        accept = headers.get("Accept") or ""
        content_type = headers.get("Content-Type")
        if has_body:
            base = (content_type or "").split(";")[0].strip().lower()
            if base not in self._face.body_media_types:
                message = (
                    "Content-Type header is missing"
                    if content_type is None
                    else f"Content-Type header [{content_type}] is not supported"
                )
                raise _EsError(406, {"error": message, "status": 406})
        if not self._face.compat_media_types:
            return self._face.json_type
        major = int(self._face.version.split(".")[0])
        accept_version = _compat_version(accept)
        body_version = _compat_version(content_type or "") if has_body else None

        def refuse(reason: str) -> _EsError:
            header_reason = "Invalid media-type value on headers [Content-Type, Accept]"
            return _error(
                400,
                "media_type_header_exception",
                header_reason,
                caused_by=_cause("status_exception", reason),
            )

        allowed = (major, major - 1)
        if accept_version is not None and accept_version not in allowed:
            raise refuse(
                f"Accept version must be either version {major} or {major - 1}, "
                f"but found {accept_version}. Accept={accept}"
            )
        if has_body:
            if body_version is not None and body_version not in allowed:
                raise refuse(
                    f"Content-Type version must be either version {major} or {major - 1}, "
                    f"but found {body_version}. Content-Type={content_type}"
                )
            if (body_version is None) != (accept_version is None):
                raise refuse(
                    "A compatible version is required on both Content-Type and Accept "
                    "headers if either one has requested a compatible version. "
                    f"Accept={accept}, Content-Type={content_type}"
                )
            if body_version != accept_version:
                raise refuse(
                    "Content-Type and Accept version requested have to match. "
                    f"Accept={accept}, Content-Type={content_type}"
                )
        if accept_version is None:
            return self._face.json_type
        return f"application/vnd.elasticsearch+json;compatible-with={accept_version}"

    def _authenticate(self, headers: Mapping[str, str], target: str) -> None:
        if not self._users and not self._api_keys:
            return
        scheme, _, credentials = (headers.get("Authorization") or "").partition(" ")
        decoded = _b64_pair(credentials.strip())
        if scheme.lower() == "basic" and decoded and self._users.get(decoded[0]) == decoded[1]:
            return
        if scheme.lower() == "apikey" and decoded and self._api_keys.get(decoded[0]) == decoded[1]:
            return
        if self.flavor == "opensearch":
            challenge = [("WWW-Authenticate", 'Basic realm="OpenSearch Security"')]
            raise _EsError(401, "Unauthorized", challenge)
        challenges = ['Basic realm="security", charset="UTF-8"', "ApiKey"]
        extra: dict[str, Any] = {"header": {"WWW-Authenticate": challenges}}
        if not scheme:
            reason = f"missing authentication credentials for REST request [{target}]"
        elif scheme.lower() == "basic" and decoded:
            reason = f"unable to authenticate user [{decoded[0]}] for REST request [{target}]"
        else:
            reason = (
                "unable to authenticate with provided credentials and anonymous access is not allowed for this request"
            )
            if scheme.lower() == "apikey" and decoded:
                extra["additional_unsuccessful_credentials"] = f"API key: unable to find apikey with id {decoded[0]}"
        raise _error(
            401,
            "security_exception",
            reason,
            headers=[("WWW-Authenticate", value) for value in challenges],
            **extra,
        )


# ------------------------------------------------------------------------------ faces


@dataclass(frozen=True)
class _Face:
    """What differs between the Elasticsearch and the OpenSearch answers."""

    flavor: str
    version: str
    info: dict[str, Any]
    product_headers: tuple[tuple[str, str], ...]
    json_type: str
    body_media_types: frozenset[str]
    compat_media_types: bool
    """ES 7.11+ accepts application/vnd.elasticsearch+json; compatible-with=N."""
    id_fielddata: bool
    """OpenSearch (forked from ES 7.10) still loads field data on _id; ES 8 refuses."""
    legacy_interval: bool
    """OpenSearch still accepts the deprecated date_histogram ``interval``."""
    doc_error_type: str


def _elasticsearch_face(version: str | None) -> _Face:
    version = version or "8.19.3"
    return _Face(
        flavor="elasticsearch",
        version=version,
        info={
            "name": "standin-es-01",
            "cluster_name": "aigym-logs",
            "cluster_uuid": "dDNaSG8zUWF5U0ZmV3N0YW5kaW4",
            "version": {
                "number": version,
                "build_flavor": "default",
                "build_type": "docker",
                "build_hash": "0000000000000000000000000000000000000000",
                "build_date": "2025-09-01T00:00:00.000000000Z",
                "build_snapshot": False,
                "lucene_version": "9.12.2" if version.startswith("8.") else "10.2.2",
                "minimum_wire_compatibility_version": "7.17.0",
                "minimum_index_compatibility_version": "7.0.0",
            },
            "tagline": "You Know, for Search",
        },
        product_headers=(("X-Elastic-Product", "Elasticsearch"),),
        json_type="application/json",
        body_media_types=frozenset(
            {
                "application/json",
                "application/x-ndjson",
                "application/vnd.elasticsearch+json",
                "application/vnd.elasticsearch+x-ndjson",
            }
        ),
        compat_media_types=True,
        id_fielddata=False,
        legacy_interval=False,
        doc_error_type="document_parsing_exception",
    )


def _opensearch_face(version: str | None) -> _Face:
    version = version or "2.19.1"
    return _Face(
        flavor="opensearch",
        version=version,
        info={
            "name": "wazuh-indexer-01",
            "cluster_name": "wazuh-cluster",
            "cluster_uuid": "b3BlbnNlYXJjaC1zdGFuZGluLTAx",
            "version": {
                "distribution": "opensearch",
                "number": version,
                "build_type": "rpm",
                "build_hash": "0000000000000000000000000000000000000000",
                "build_date": "2025-03-01T00:00:00.000000Z",
                "build_snapshot": False,
                "lucene_version": "9.12.1",
                "minimum_wire_compatibility_version": "7.10.0",
                "minimum_index_compatibility_version": "7.0.0",
            },
            "tagline": "The OpenSearch Project: https://opensearch.org/",
        },
        product_headers=(),
        json_type="application/json; charset=UTF-8",
        body_media_types=frozenset({"application/json", "application/x-ndjson"}),
        compat_media_types=False,
        id_fielddata=True,
        legacy_interval=True,
        doc_error_type="mapper_parsing_exception",
    )


def _compat_version(media_type: str) -> int | None:
    match = re.search(r"compatible-with\s*=\s*(\d+)", media_type)
    return int(match.group(1)) if match else None


# ----------------------------------------------------------------------------- errors


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


# ------------------------------------------------------------------------------ dates

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ISO_DATE = re.compile(
    r"(?P<y>\d{4})(?:-(?P<M>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<h>\d{2})(?::(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?"
    r"(?P<z>Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?"
)
_EPOCH_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_DATE_FORMATS = {"strict_date_optional_time", "date_optional_time", "epoch_millis", "epoch_second"}
_MATH_STEP = re.compile(r"([+-])(\d+)([yMwdhHms])|/([yMwdhHms])")


def _millis(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _moment(millis: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=millis)


def _format_millis(millis: int) -> str:
    """ES's default rendering of a date: ``2024-05-01T12:00:00.000Z``."""
    moment = _moment(millis)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def _parse_iso(text: str, round_up: bool) -> int:
    """strict_date_optional_time; a rounded-up parse fills the missing time of day with
    23:59:59.999 (and a missing month or day with 01), as ES's range queries do."""
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        raise ValueError(text)
    g = match.groupdict()

    def part(name: str, high: int) -> int:
        return int(g[name]) if g[name] else (high if round_up else 0)

    millis = int(g["f"][:3].ljust(3, "0")) if g["f"] else (999 if round_up else 0)
    zone = UTC
    if g["z"] and g["z"] != "Z":
        digits = g["z"][1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        zone = timezone(offset if g["z"][0] == "+" else -offset)
    moment = datetime(
        int(g["y"]),
        int(g["M"] or 1),
        int(g["d"] or 1),
        part("h", 23),
        part("m", 59),
        part("s", 59),
        tzinfo=zone,
    )
    return _millis(moment) + millis


def _parse_date_text(text: str, formats: tuple[str, ...], round_up: bool) -> int:
    for name in formats:
        try:
            if name in ("strict_date_optional_time", "date_optional_time"):
                return _parse_iso(text, round_up)
            if _EPOCH_NUMBER.fullmatch(text):
                scale = 1000 if name == "epoch_second" else 1
                return int(float(text) * scale)
        except ValueError:
            continue
    raise ValueError(text)


def _date_math(value: Any, formats: tuple[str, ...], now_ms: int, round_up: bool) -> int:
    """A date, epoch number or date-math expression (``now-1h/d``, ``2024-01-01||+1M``)."""
    text = _as_text(value)
    if text.startswith("now"):
        base, steps = now_ms, text[3:]
    elif "||" in text:
        anchor, steps = text.split("||", 1)
        base = _parse_date_text(anchor, formats, round_up and not steps)
    else:
        return _parse_date_text(text, formats, round_up)
    moment, position = _moment(base), 0
    while position < len(steps):
        step = _MATH_STEP.match(steps, position)
        if step is None:
            raise ValueError(text)
        sign, amount, unit, rounding = step.groups()
        if rounding:
            moment = _round_moment(moment, rounding, up=round_up)
        else:
            moment = _shift(moment, int(amount) * (1 if sign == "+" else -1), unit)
        position = step.end()
    return _millis(moment)


def _shift(moment: datetime, amount: int, unit: str) -> datetime:
    """Calendar arithmetic as java.time does it (month ends clamp)."""
    if unit in ("y", "M", "q"):
        months = amount * {"y": 12, "M": 1, "q": 3}[unit]
        year, month = divmod(moment.month - 1 + months, 12)
        year += moment.year
        last_day = calendar.monthrange(year, month + 1)[1]
        return moment.replace(year=year, month=month + 1, day=min(moment.day, last_day))
    seconds = {"w": 604800, "d": 86400, "h": 3600, "H": 3600, "m": 60, "s": 1}[unit]
    return moment + timedelta(seconds=amount * seconds)


def _round_moment(moment: datetime, unit: str, *, up: bool = False) -> datetime:
    """Round down to the start of ``unit`` (UTC); up: to the last millisecond of it."""
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    start = {
        "y": lambda: day.replace(month=1, day=1),
        "q": lambda: day.replace(month=(moment.month - 1) // 3 * 3 + 1, day=1),
        "M": lambda: day.replace(day=1),
        "w": lambda: day - timedelta(days=moment.weekday()),
        "d": lambda: day,
        "h": lambda: moment.replace(minute=0, second=0, microsecond=0),
        "H": lambda: moment.replace(minute=0, second=0, microsecond=0),
        "m": lambda: moment.replace(second=0, microsecond=0),
        "s": lambda: moment.replace(microsecond=0),
    }[unit]()
    return _shift(start, 1, unit) - timedelta(milliseconds=1) if up else start


def _date_formats(spec: Any) -> tuple[str, ...]:
    names = tuple(str(spec).split("||"))
    for name in names:
        if name not in _DATE_FORMATS:
            raise _unsupported(f"date format [{name}]")
    return names


# --------------------------------------------------------------------------- analysis

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


def _edit_distance(a: str, b: str, limit: int, transpositions: bool) -> int:
    """Levenshtein distance (optimal string alignment when ``transpositions``), capped
    at ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            if transpositions and i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        before, previous = previous, current
        if min(current) > limit:
            return limit + 1
    return previous[-1]


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


# ------------------------------------------------------------------- mapping and index

_KINDS = {
    "text": "text",
    "keyword": "keyword",
    "date": "date",
    "long": "long",
    "integer": "long",
    "short": "long",
    "byte": "long",
    "double": "double",
    "float": "double",
    "half_float": "double",
    "boolean": "boolean",
}
_TYPE_PARAMS = {
    "text": set(),
    "keyword": {"ignore_above"},
    "date": {"format"},
    "long": set(),
    "double": set(),
    "boolean": set(),
}


@dataclass
class _Field:
    """A searchable field: a mapped leaf, or a multi-field such as ``level.keyword``."""

    name: str
    type: str
    source: str
    """The dotted path of the value in _source (the parent's for a multi-field)."""
    ignore_above: int | None = None
    formats: tuple[str, ...] = _DEFAULT_FORMATS
    subfields: list[_Field] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return _KINDS[self.type]

    def mapping(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"type": self.type}
        if self.ignore_above is not None:
            spec["ignore_above"] = self.ignore_above
        if self.formats != _DEFAULT_FORMATS:
            spec["format"] = "||".join(self.formats)
        if self.subfields:
            spec["fields"] = {f.name.rsplit(".", 1)[1]: f.mapping() for f in self.subfields}
        return spec


@dataclass
class _Doc:
    """A stored document and its indexed values."""

    id: str
    source: dict[str, Any]
    seq: int
    version: int
    values: dict[str, list[Any]]
    """Field name -> indexed values: tokens for text, millis for dates, and so on."""
    positions: dict[str, dict[str, list[int]]]
    """Text field -> token -> positions, for phrases."""
    present: set[str]
    """Fields with a value (an empty string counts, as in ES)."""


class _Index:
    """One index: its mapping (explicit and dynamic) and its documents."""

    def __init__(self, name: str, face: _Face, body: Any = None) -> None:
        self.name = name
        self.uuid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        self.face = face
        self.created = int(time.time() * 1000)
        self.fields: dict[str, _Field] = {}
        self.objects: set[str] = set()
        self.dynamic: bool | str = True
        self.shards, self.replicas = 1, 1
        self.docs: dict[str, _Doc] = {}
        self._seq = itertools.count()
        if body is not None:
            self._configure(body)

    # ------------------------------------------------------------- explicit mapping

    def _configure(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise _parsing("request body is required to be an object")
        for key, value in body.items():
            if key == "mappings":
                self._apply_mappings(value)
            elif key == "settings":
                self._apply_settings(value)
            else:
                raise _unsupported(f"index creation option [{key}]")

    def _apply_settings(self, settings: Any) -> None:
        flat: dict[str, Any] = {}
        for key, value in (settings or {}).items():
            if key == "index" and isinstance(value, dict):
                flat.update(value)
            else:
                flat[key.removeprefix("index.")] = value
        for key, value in flat.items():
            if key == "number_of_shards":
                self.shards = int(value)
            elif key == "number_of_replicas":
                self.replicas = int(value)
            else:
                raise _unsupported(f"index setting [index.{key}]")

    def _apply_mappings(self, mappings: Any) -> None:
        if not isinstance(mappings, dict):
            raise _error(
                400,
                "mapper_parsing_exception",
                "Failed to parse mapping: mappings must be an object",
            )
        for key, value in mappings.items():
            if key == "properties":
                self._add_properties(value, "")
            elif key == "dynamic":
                dynamic = {"true": True, "false": False, "strict": "strict"}.get(_as_text(value))
                if dynamic is None:
                    raise _unsupported(f"dynamic mapping [{value}]")
                self.dynamic = dynamic
            else:
                raise _unsupported(f"mapping option [{key}]")

    def _add_properties(self, properties: Any, prefix: str) -> None:
        if not isinstance(properties, dict):
            raise _error(
                400,
                "mapper_parsing_exception",
                f"Expected map for property [properties] on field [{prefix.rstrip('.') or '_doc'}]",
            )
        for name, spec in properties.items():
            path = prefix + name
            if not isinstance(spec, dict):
                raise _error(
                    400,
                    "mapper_parsing_exception",
                    f"Expected map for property [{name}] but got a {type(spec).__name__}",
                )
            if spec.get("type", "object") == "object":
                if set(spec) - {"type", "properties"}:
                    raise _unsupported(
                        f"object mapping parameters {sorted(set(spec) - {'type', 'properties'})} on [{path}]"
                    )
                self.objects.add(path)
                self._add_properties(spec.get("properties", {}), path + ".")
            else:
                self._register(self._field_from_spec(path, path, spec, top=True))

    def _field_from_spec(self, name: str, source: str, spec: dict[str, Any], *, top: bool) -> _Field:
        type_ = spec.get("type")
        if type_ not in _KINDS:
            raise _unsupported(f"field type [{type_}] (field [{name}])")
        allowed = {"type"} | _TYPE_PARAMS[_KINDS[type_]] | ({"fields"} if top else set())
        for param in spec:
            if param not in allowed:
                raise _unsupported(f"mapping parameter [{param}] on field [{name}]")
        made = _Field(name, type_, source)
        if "ignore_above" in spec:
            made.ignore_above = int(spec["ignore_above"])
        if "format" in spec:
            made.formats = _date_formats(spec["format"])
        for sub, sub_spec in (spec.get("fields") or {}).items():
            made.subfields.append(self._field_from_spec(f"{name}.{sub}", source, sub_spec, top=False))
        return made

    def _register(self, made: _Field) -> None:
        self.fields[made.name] = made
        for sub in made.subfields:
            self.fields[sub.name] = sub

    def mapping(self) -> dict[str, Any]:
        """The mapping as GET /{index} shows it."""
        properties: dict[str, Any] = {}

        def node(path: str) -> dict[str, Any]:
            children = properties
            for part in path.split(".")[:-1]:
                children = children.setdefault(part, {}).setdefault("properties", {})
            return children

        for path in sorted(self.objects):
            node(path).setdefault(path.rsplit(".", 1)[-1], {}).setdefault("properties", {})
        for made in self.fields.values():
            if made.source == made.name:
                node(made.name)[made.name.rsplit(".", 1)[-1]] = made.mapping()
        mapping: dict[str, Any] = {"properties": properties}
        if self.dynamic is not True:
            mapping["dynamic"] = _as_text(self.dynamic)
        return mapping

    # ------------------------------------------------------------------- documents

    def parse_document(self, doc_id: str, source: Any) -> tuple[_Doc, dict[str, _Field], set[str]]:
        """Index ``source`` against the mapping; returns the document and the dynamic
        mapping additions to commit with it. Raises _DocError."""
        if not isinstance(source, dict):
            raise _DocError(
                self.face.doc_error_type,
                "failed to parse, document is empty" if not source else "Malformed content, must start with an object",
            )
        new_fields: dict[str, _Field] = {}
        new_objects: set[str] = set()
        values: dict[str, list[Any]] = {}
        positions: dict[str, dict[str, list[int]]] = {}
        present: set[str] = set()
        next_position: dict[str, int] = {}

        def lookup(path: str) -> _Field | None:
            return self.fields.get(path) or new_fields.get(path)

        def refuse_new(path: str) -> None:
            parent, _, leaf = path.rpartition(".")
            raise _DocError(
                "strict_dynamic_mapping_exception",
                f"mapping set to strict, dynamic introduction of [{leaf}] within [{parent or '_doc'}] is not allowed",
            )

        def enter_object(path: str, value: Any) -> None:
            parts = path.split(".")
            for end in range(1, len(parts) + 1):
                prefix = ".".join(parts[:end])
                existing = lookup(prefix)
                if existing is not None:
                    raise _DocError(
                        self.face.doc_error_type,
                        f"failed to parse field [{prefix}] of type [{existing.type}] in document "
                        f"with id '{doc_id}'. Preview of field's value: '{_preview(value)}'",
                    )
                if prefix not in self.objects and prefix not in new_objects:
                    if self.dynamic == "strict":
                        refuse_new(prefix)
                    new_objects.add(prefix)

        def leaf(path: str, value: Any) -> None:
            if "." in path:
                enter_object(path.rsplit(".", 1)[0], {path.rsplit(".", 1)[1]: value})
            if path in self.objects or path in new_objects:
                raise _DocError(
                    self.face.doc_error_type,
                    f"object mapping for [{path}] tried to parse field [{path}] as object, but found a concrete value",
                )
            target = lookup(path)
            if target is None:
                if self.dynamic == "strict":
                    refuse_new(path)
                if self.dynamic is False:
                    return
                target = _dynamic_field(path, value)
                new_fields[target.name] = target
            for each in (target, *target.subfields):
                index_value(each, value)

        def index_value(target: _Field, value: Any) -> None:
            converted = _convert(target, value, doc_id, self.face.doc_error_type)
            kind, name = target.kind, target.name
            if kind == "keyword" and target.ignore_above is not None and len(converted) > target.ignore_above:
                return
            present.add(name)
            if kind == "text":
                tokens = _analyze(converted)
                start = next_position.get(name, 0)
                table = positions.setdefault(name, {})
                for offset, token in enumerate(tokens):
                    table.setdefault(token, []).append(start + offset)
                next_position[name] = start + len(tokens) + 100  # position_increment_gap
                values.setdefault(name, []).extend(tokens)
            else:
                values.setdefault(name, []).append(converted)

        def walk(value: Any, path: str) -> None:
            if isinstance(value, dict):
                if path:
                    enter_object(path, value)
                for key, child in value.items():
                    if not key.strip(" ."):
                        raise _DocError(self.face.doc_error_type, "field name cannot be an empty string")
                    walk(child, f"{path}.{key}" if path else key)
            elif isinstance(value, list):
                for child in value:
                    walk(child, path)
            elif value is not None:
                leaf(path, value)

        walk(source, "")
        doc = _Doc(doc_id, source, 0, 1, values, positions, present)
        return doc, new_fields, new_objects

    def store(self, doc: _Doc, new_fields: dict[str, _Field], new_objects: set[str]) -> _Doc:
        """Commit a parsed document (a re-indexed id moves to the end, as in Lucene)."""
        for made in new_fields.values():
            self._register(made)
        self.objects |= new_objects
        previous = self.docs.pop(doc.id, None)
        doc.version = previous.version + 1 if previous else 1
        doc.seq = next(self._seq)
        self.docs[doc.id] = doc
        return doc

    def delete(self, doc_id: str) -> tuple[_Doc | None, int]:
        """Remove a document; returns it (None when absent) and the operation's _seq_no."""
        return self.docs.pop(doc_id, None), next(self._seq)


def _dynamic_field(path: str, value: Any) -> _Field:
    """ES's dynamic mapping for a new field, from its first value."""
    if isinstance(value, bool):
        return _Field(path, "boolean", path)
    if isinstance(value, int):
        return _Field(path, "long", path)
    if isinstance(value, float):
        return _Field(path, "float", path)
    text = _as_text(value)
    # ES only tries its date formats on strings with two ':', '-' or '/' ("2024" stays text)
    if any(text.count(mark) > 1 for mark in ":-/"):
        try:
            _parse_iso(text, round_up=False)
        except ValueError:
            pass
        else:
            return _Field(path, "date", path)
    keyword = _Field(f"{path}.keyword", "keyword", path, ignore_above=256)
    return _Field(path, "text", path, subfields=[keyword])


def _preview(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_preview(v)}" for k, v in value.items()) + "}"
    return _as_text(value)


def _convert(target: _Field, value: Any, doc_id: str, error_type: str) -> Any:
    """A _source value as the field indexes it; raises _DocError when it does not fit."""
    kind = target.kind

    def fail(cause: dict[str, Any]) -> _DocError:
        return _DocError(
            error_type,
            f"failed to parse field [{target.name}] of type [{target.type}] in document with "
            f"id '{doc_id}'. Preview of field's value: '{_preview(value)}'",
            cause,
        )

    if kind in ("text", "keyword"):
        return _as_text(value)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if value in ("true", "false", ""):
            return value == "true"
        raise fail(
            _cause(
                "illegal_argument_exception",
                f"Failed to parse value [{_as_text(value)}] as only [true] or [false] are allowed.",
            )
        )
    if isinstance(value, bool):
        token = "VALUE_TRUE" if value else "VALUE_FALSE"
        reason = f"Current token ({token}) not numeric, can not use numeric value accessors"
        raise fail(_cause("illegal_argument_exception", reason))
    if kind == "date":
        try:
            if isinstance(value, (int, float)) and "epoch_millis" in target.formats:
                return int(value)
            return _parse_date_text(_as_text(value), target.formats, round_up=False)
        except ValueError:
            fmt = "||".join(target.formats)
            raise fail(
                _cause(
                    "illegal_argument_exception",
                    f"failed to parse date field [{_as_text(value)}] with format [{fmt}]",
                )
            ) from None
    try:
        number = float(value) if isinstance(value, str) else value
    except ValueError:
        raise fail(_cause("number_format_exception", f'For input string: "{value}"')) from None
    if not math.isfinite(number):
        raise fail(
            _cause(
                "illegal_argument_exception",
                f"[{kind}] supports only finite values, but got [{value}]",
            )
        )
    if kind == "long":
        number = int(number)
        if not _LONG_MIN <= number <= _LONG_MAX:
            raise fail(_cause("illegal_argument_exception", f"Value [{value}] is out of range for a long"))
        return number
    return float(number)


# --------------------------------------------------------------------------- query DSL

_Matcher = Callable[[_Doc], "float | None"]
"""A bound query: the document's score, or None when it does not match."""
_Binder = Callable[[_Index], _Matcher]
"""A parsed query: binds to one index (field types), raising _ShardError as ES would."""


@dataclass(frozen=True)
class _Env:
    """Per-request context of query parsing."""

    now_ms: int
    face: _Face


def _parse_query(node: Any, env: _Env) -> _Binder:
    if not isinstance(node, dict):
        raise _parsing("[_na] query malformed, must start with start_object")
    if not node:
        raise _parsing("query malformed, empty clause found")
    if len(node) > 1:
        raise _parsing(f"[{next(iter(node))}] malformed query, expected [END_OBJECT] but found [FIELD_NAME]")
    ((name, body),) = node.items()
    parser = _QUERIES.get(name)
    if parser is None:
        if name in _KNOWN_QUERIES:
            raise _unsupported(f"query [{name}]")
        raise _error(
            400,
            "parsing_exception",
            f"unknown query [{name}]",
            caused_by=_cause("named_object_not_found_exception", f"unknown field [{name}]"),
        )
    return parser(body, env)


def _object(body: Any, query: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _parsing(f"[{query}] query malformed, no start_object after query name")
    return body


def _check_keys(body: Mapping[str, Any], query: str, allowed: set[str], unsupported: Iterable[str] = ()) -> None:
    for key in body:
        if key in unsupported:
            raise _unsupported(f"[{query}] parameter [{key}]")
        if key not in allowed:
            raise _parsing(f"[{query}] query does not support [{key}]")


def _one_field(body: Any, query: str) -> tuple[str, Any]:
    body = _object(body, query)
    if len(body) != 1:
        if not body:
            raise _illegal(f"[{query}] query requires a field name")
        first, second = list(body)[:2]
        raise _parsing(f"[{query}] query doesn't support multiple fields, found [{first}] and [{second}]")
    return next(iter(body.items()))


def _boost(body: Mapping[str, Any]) -> float:
    return float(body.get("boost", 1.0))


def _q_match_all(body: Any, env: _Env) -> _Binder:
    body = _object(body, "match_all")
    _check_keys(body, "match_all", {"boost"}, {"_name"})
    boost = _boost(body)
    return lambda ix: lambda doc: boost


def _q_match_none(body: Any, env: _Env) -> _Binder:
    _check_keys(_object(body, "match_none"), "match_none", set(), {"_name"})
    return lambda ix: lambda doc: None


def _q_constant_score(body: Any, env: _Env) -> _Binder:
    body = _object(body, "constant_score")
    _check_keys(body, "constant_score", {"filter", "boost"}, {"_name"})
    if "filter" not in body:
        raise _parsing("[constant_score] requires a 'filter' element")
    inner, boost = _parse_query(body["filter"], env), _boost(body)

    def bind(ix: _Index) -> _Matcher:
        matcher = inner(ix)
        return lambda doc: None if matcher(doc) is None else boost

    return bind


def _msm_rule(spec: Any) -> Callable[[int], int]:
    """ES's minimum_should_match (N, -N, P%, -P%) as a function of the optional clause count."""
    text = _as_text(spec).strip()
    if "<" in text:
        raise _unsupported(f"conditional minimum_should_match [{text}]")
    percent = text.endswith("%")
    try:
        number = int(text[:-1] if percent else text)
    except ValueError:
        raise _illegal(f"Failed to parse minimum_should_match [{text}]") from None

    def required(optional: int) -> int:
        if percent:
            calc = optional * number / 100
            result = optional + int(calc) if calc < 0 else int(calc)
        else:
            result = optional + number if number < 0 else number
        return max(result, 0)

    return required


def _q_bool(body: Any, env: _Env) -> _Binder:
    body = _object(body, "bool")
    occurs = ("must", "filter", "should", "must_not")
    _check_keys(body, "bool", {*occurs, "minimum_should_match", "boost", "adjust_pure_negative"}, {"_name"})
    clauses: dict[str, list[_Binder]] = {}
    for occur in occurs:
        value = body.get(occur, [])
        clauses[occur] = [_parse_query(q, env) for q in (value if isinstance(value, list) else [value])]
    msm = _msm_rule(body["minimum_should_match"]) if "minimum_should_match" in body else None
    boost, empty = _boost(body), not any(clauses.values())

    def bind(ix: _Index) -> _Matcher:
        must = [b(ix) for b in clauses["must"]]
        filters = [b(ix) for b in clauses["filter"]]
        should = [b(ix) for b in clauses["should"]]
        must_not = [b(ix) for b in clauses["must_not"]]
        required = msm(len(should)) if msm is not None else 0
        if should and not must and not filters:
            required = max(required, 1)  # Lucene: nothing else required, one should must match

        def match(doc: _Doc) -> float | None:
            if empty:
                return boost
            score = 0.0
            for matcher in must:
                got = matcher(doc)
                if got is None:
                    return None
                score += got
            if any(matcher(doc) is None for matcher in filters):
                return None
            if any(matcher(doc) is not None for matcher in must_not):
                return None
            scores = [s for s in (matcher(doc) for matcher in should) if s is not None]
            if len(scores) < required:
                return None
            return (score + sum(scores)) * boost

        return match

    return bind


def _term_value(target: _Field, value: Any) -> Any:
    """A query value as the field indexes it; raises _ShardError when it cannot be."""
    kind = target.kind
    if kind in ("text", "keyword"):
        return _as_text(value)
    if kind == "boolean":
        if isinstance(value, bool) or value in ("true", "false", ""):
            return value if isinstance(value, bool) else value == "true"
        reason = f"Can't parse boolean value [{_as_text(value)}], expected [true] or [false]"
        raise _ShardError(
            "query_shard_exception",
            f"failed to create query: {reason}",
            _cause("illegal_argument_exception", reason),
        )
    try:
        number = float(value)
    except (TypeError, ValueError):
        reason = f'For input string: "{_as_text(value)}"'
        raise _ShardError(
            "query_shard_exception",
            f"failed to create query: {reason}",
            _cause("number_format_exception", reason),
        ) from None
    if kind == "long":
        return int(number) if number.is_integer() else None  # 5.5 never equals a long
    return number


def _date_bound(target: _Field, value: Any, formats: tuple[str, ...] | None, env: _Env, round_up: bool) -> int:
    formats = formats or target.formats
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and "epoch_millis" in formats:
            return int(value)
        return _date_math(value, formats, env.now_ms, round_up)
    except ValueError:
        fmt = "||".join(formats)
        reason = f"failed to parse date field [{_as_text(value)}] with format [{fmt}]"
        raise _ShardError(
            "parse_exception", f"{reason}: [{reason}]", _cause("illegal_argument_exception", reason)
        ) from None


def _values_predicate(
    ix: _Index, name: str, values: list[Any], env: _Env, case_insensitive: bool = False
) -> Callable[[_Doc], bool]:
    """term/terms: does the field hold one of ``values`` (as the field indexes them)?"""
    if name == "_id":
        ids = {_as_text(v) for v in values}
        return lambda doc: doc.id in ids
    if name == "_index":
        hit = ix.name in {_as_text(v) for v in values}
        return lambda doc: hit
    target = ix.fields.get(name)
    if target is None:
        return lambda doc: False
    if target.kind == "date":  # a term on a date is the range [value rounded down, rounded up]
        spans = [(_date_bound(target, v, None, env, False), _date_bound(target, v, None, env, True)) for v in values]
        return lambda doc: any(lo <= x <= hi for x in doc.values.get(name, ()) for lo, hi in spans)
    wanted = {_term_value(target, v) for v in values}
    if case_insensitive and target.kind in ("text", "keyword"):
        folded = {w.lower() for w in wanted}
        return lambda doc: any(x.lower() in folded for x in doc.values.get(name, ()))
    return lambda doc: any(x in wanted for x in doc.values.get(name, ()))


def _q_term(body: Any, env: _Env) -> _Binder:
    name, spec = _one_field(body, "term")
    options = spec if isinstance(spec, dict) else {"value": spec}
    _check_keys(options, "term", {"value", "boost", "case_insensitive"}, {"_name"})
    if "value" not in options or options["value"] is None:
        raise _illegal("value cannot be null")
    value = options["value"]
    if isinstance(value, (list, dict)):
        raise _parsing("[term] query does not support array of values")
    boost, insensitive = _boost(options), bool(options.get("case_insensitive", False))

    def bind(ix: _Index) -> _Matcher:
        test = _values_predicate(ix, name, [value], env, insensitive)
        return lambda doc: boost if test(doc) else None

    return bind


def _q_terms(body: Any, env: _Env) -> _Binder:
    body = _object(body, "terms")
    fields = [k for k in body if k not in ("boost", "_name")]
    if "_name" in body:
        raise _unsupported("[terms] parameter [_name]")
    if len(fields) != 1:
        raise _parsing(
            "[terms] query requires a field"
            if not fields
            else f"[terms] query does not support multiple fields, found [{fields[0]}] and [{fields[1]}]"
        )
    name, values = fields[0], body[fields[0]]
    if isinstance(values, dict):
        raise _unsupported("terms lookup")
    if not isinstance(values, list):
        raise _parsing(f"[terms] unknown token [{_token_name(values)}] after [{name}]")
    if len(values) > 65536:
        raise _illegal(
            f"The number of terms [{len(values)}] used in the Terms Query request has exceeded the allowed maximum of [65536]."
        )
    boost = _boost(body)

    def bind(ix: _Index) -> _Matcher:
        test = _values_predicate(ix, name, values, env)
        return lambda doc: boost if test(doc) else None

    return bind


_RANGE_KEYS = {
    "gt",
    "gte",
    "lt",
    "lte",
    "from",
    "to",
    "include_lower",
    "include_upper",
    "format",
    "time_zone",
    "boost",
    "relation",
}


def _q_range(body: Any, env: _Env) -> _Binder:
    name, spec = _one_field(body, "range")
    spec = _object(spec, "range")
    _check_keys(spec, "range", _RANGE_KEYS, {"_name"})
    lower: tuple[Any, bool] | None = None
    upper: tuple[Any, bool] | None = None
    for key, value in spec.items():
        if value is None:
            continue
        if key in ("gt", "gte"):
            lower = (value, key == "gte")
        elif key in ("lt", "lte"):
            upper = (value, key == "lte")
        elif key == "from":
            lower = (value, bool(spec.get("include_lower", True)))
        elif key == "to":
            upper = (value, bool(spec.get("include_upper", True)))
    if _as_text(spec.get("time_zone", "UTC")).upper() not in ("UTC", "Z", "+00:00", "ETC/UTC"):
        raise _unsupported(f"[range] time_zone [{spec['time_zone']}]")
    if _as_text(spec.get("relation", "intersects")).lower() != "intersects":
        raise _unsupported(f"[range] relation [{spec['relation']}]")
    formats = _date_formats(spec["format"]) if "format" in spec else None
    boost = _boost(spec)

    def bind(ix: _Index) -> _Matcher:
        target = ix.fields.get(name)
        if target is None:
            return lambda doc: None
        kind = target.kind

        def bound(value: Any, inclusive: bool, is_lower: bool) -> Any:
            if kind == "date":  # gt and lte round up, gte and lt round down
                return _date_bound(target, value, formats, env, round_up=(is_lower != inclusive))
            if kind in ("text", "keyword"):
                return _as_text(value)
            converted = _term_value(target, value)
            return float(value) if converted is None else converted

        lo = (bound(lower[0], lower[1], True), lower[1]) if lower else None
        hi = (bound(upper[0], upper[1], False), upper[1]) if upper else None

        def inside(x: Any) -> bool:
            if lo is not None and (x < lo[0] or (x == lo[0] and not lo[1])):
                return False
            return hi is None or not (x > hi[0] or (x == hi[0] and not hi[1]))

        return lambda doc: boost if any(inside(x) for x in doc.values.get(name, ())) else None

    return bind


def _q_exists(body: Any, env: _Env) -> _Binder:
    body = _object(body, "exists")
    _check_keys(body, "exists", {"field", "boost"}, {"_name"})
    if "field" not in body:
        raise _illegal("[exists] must be provided with a [field]")
    pattern, boost = _as_text(body["field"]), _boost(body)
    wildcard = _wildcard(pattern)

    def bind(ix: _Index) -> _Matcher:
        if pattern in ("_id", "_index"):
            return lambda doc: boost
        names = [n for n in ix.fields if wildcard.fullmatch(n) or n.startswith(pattern + ".")]
        return lambda doc: boost if any(n in doc.present for n in names) else None

    return bind


def _wildcard(pattern: str) -> re.Pattern[str]:
    """ES field and index patterns: only ``*`` is special, and it crosses dots."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


def _text_options(body: Any, query: str, allowed: set[str], unsupported: set[str]) -> tuple[str, dict[str, Any]]:
    name, spec = _one_field(body, query)
    options = spec if isinstance(spec, dict) else {"query": spec}
    _check_keys(options, query, allowed, unsupported)
    if "query" not in options or options["query"] is None:
        raise _parsing("No text specified for text query")
    zero = _as_text(options.get("zero_terms_query", "none")).lower()
    if zero not in ("none", "all"):
        raise _illegal(f"Unsupported zero_terms_query value [{zero}]")
    return name, options


def _leaf_matcher(ix: _Index, name: str, text: Any, env: _Env, lenient: bool) -> Callable[[_Doc], bool] | None:
    """How match/match_phrase treat a field that is not text: the keyword analyser
    (whole value) for keywords, term semantics otherwise; None for an unmapped field."""
    target = ix.fields.get(name)
    if target is None and name not in ("_id", "_index"):
        return None
    try:
        return _values_predicate(ix, name, [text], env)
    except _ShardError:
        if lenient:
            return lambda doc: False
        raise


_MATCH_KEYS = {
    "query", "operator", "minimum_should_match", "lenient", "zero_terms_query", "boost",
    "auto_generate_synonyms_phrase_query", "fuzzy_transpositions", "max_expansions", "prefix_length",
}  # fmt: skip


def _q_match(body: Any, env: _Env) -> _Binder:
    name, options = _text_options(body, "match", _MATCH_KEYS, {"fuzziness", "analyzer", "fuzzy_rewrite", "_name"})
    operator = _as_text(options.get("operator", "or")).lower()
    if operator not in ("or", "and"):
        raise _illegal(f"operator needs to be either [and] or [or], but was [{operator}]")
    text, boost = options["query"], _boost(options)
    lenient = bool(options.get("lenient", False))
    zero_all = _as_text(options.get("zero_terms_query", "none")).lower() == "all"
    msm = _msm_rule(options["minimum_should_match"]) if "minimum_should_match" in options else None

    def bind(ix: _Index) -> _Matcher:
        target = ix.fields.get(name)
        if target is not None and target.kind == "text":
            tokens = _analyze(_as_text(text))
            if not tokens:
                return (lambda doc: boost) if zero_all else (lambda doc: None)
            required = len(tokens) if operator == "and" else max(1, msm(len(tokens)) if msm else 1)

            def match(doc: _Doc) -> float | None:
                table = doc.positions.get(name, {})
                hits = sum(1 for token in tokens if token in table)
                return boost * hits if hits >= required else None

            return match
        test = _leaf_matcher(ix, name, text, env, lenient)
        if test is None:
            return lambda doc: None
        return lambda doc: boost if test(doc) else None

    return bind


def _q_match_phrase(body: Any, env: _Env) -> _Binder:
    name, options = _text_options(
        body, "match_phrase", {"query", "slop", "zero_terms_query", "boost"}, {"analyzer", "_name"}
    )
    text, slop, boost = options["query"], int(options.get("slop", 0)), _boost(options)
    zero_all = _as_text(options.get("zero_terms_query", "none")).lower() == "all"

    def bind(ix: _Index) -> _Matcher:
        target = ix.fields.get(name)
        if target is not None and target.kind == "text":
            tokens = _analyze(_as_text(text))
            if not tokens:
                return (lambda doc: boost) if zero_all else (lambda doc: None)
            return lambda doc: boost if _phrase_matches(doc.positions.get(name, {}), tokens, slop) else None
        test = _leaf_matcher(ix, name, text, env, lenient=False)
        if test is None:
            return lambda doc: None
        return lambda doc: boost if test(doc) else None

    return bind


# ----------------------------------------------------------------- simple_query_string

_SQS_FLAGS = {
    "AND": 1 << 0,
    "NOT": 1 << 1,
    "OR": 1 << 2,
    "PREFIX": 1 << 3,
    "PHRASE": 1 << 4,
    "PRECEDENCE": 1 << 5,
    "ESCAPE": 1 << 6,
    "WHITESPACE": 1 << 7,
    "FUZZY": 1 << 8,
    "NEAR": 1 << 9,
    "SLOP": 1 << 9,
}
_SQS_ALL = (1 << 10) - 1
_MUST, _SHOULD, _MUST_NOT = "must", "should", "must_not"


def _sqs_flags(spec: Any) -> int:
    if isinstance(spec, int) and not isinstance(spec, bool):
        return spec & _SQS_ALL if spec >= 0 else _SQS_ALL
    flags = 0
    for name in _as_text(spec).upper().split("|"):
        name = name.strip()
        if name == "ALL":
            flags |= _SQS_ALL
        elif name in _SQS_FLAGS:
            flags |= _SQS_FLAGS[name]
        elif name not in ("NONE", ""):
            raise _illegal(f"Unknown simple_query_string flag [{name}]")
    return flags


@dataclass
class _LuceneBool:
    """A BooleanQuery being built by the simple query parser."""

    clauses: list[tuple[str, Any]]


def _match_everything(doc: _Doc) -> float | None:
    return 1.0


def _lucene_bool(clauses: list[tuple[str, _Matcher]]) -> _Matcher:
    """Lucene's BooleanQuery: musts all match, must_nots none, and without a must at
    least one should (a clause list of only must_nots matches nothing)."""
    must = [m for occur, m in clauses if occur == _MUST]
    should = [m for occur, m in clauses if occur == _SHOULD]
    must_not = [m for occur, m in clauses if occur == _MUST_NOT]

    def match(doc: _Doc) -> float | None:
        score = 0.0
        for matcher in must:
            got = matcher(doc)
            if got is None:
                return None
            score += got
        if any(matcher(doc) is not None for matcher in must_not):
            return None
        scores = [s for s in (matcher(doc) for matcher in should) if s is not None]
        if not must and not scores:
            return None
        return score + sum(scores)

    return match


def _compile_lucene(node: Any) -> _Matcher:
    if isinstance(node, _LuceneBool):
        return _lucene_bool([(occur, _compile_lucene(child)) for occur, child in node.clauses])
    return node


@dataclass
class _SqsState:
    start: int
    end: int
    top: Any = None
    current: str | None = None
    previous: str | None = None
    negations: int = 0


class _SimpleQueryParser:
    """A port of Lucene's SimpleQueryParser: never fails, extraneous syntax is ignored.

    The ``make_*`` callables build a query for one term, prefix, fuzzy term or phrase
    across the target fields, or return None when analysis leaves nothing (then the
    clause is dropped, as Lucene drops it).
    """

    def __init__(
        self,
        text: str,
        flags: int,
        default_occur: str,
        make_term: Callable[[str], _Matcher | None],
        make_prefix: Callable[[str], _Matcher | None],
        make_fuzzy: Callable[[str, int], _Matcher | None],
        make_phrase: Callable[[str, int], _Matcher | None],
    ) -> None:
        self.text, self.flags, self.default_occur = text, flags, default_occur
        self.make_term, self.make_prefix = make_term, make_prefix
        self.make_fuzzy, self.make_phrase = make_fuzzy, make_phrase

    def parse(self) -> _Matcher:
        state = _SqsState(0, len(self.text))
        self._sub_query(state)
        return (lambda doc: None) if state.top is None else _compile_lucene(state.top)

    def _on(self, flag: str) -> bool:
        return bool(self.flags & _SQS_FLAGS[flag])

    def _sub_query(self, state: _SqsState) -> None:
        text = self.text
        while state.start < state.end:
            char = text[state.start]
            if char == "(" and self._on("PRECEDENCE"):
                self._consume_sub_query(state)
            elif char == ")" and self._on("PRECEDENCE"):
                state.start += 1  # extraneous
            elif char == '"' and self._on("PHRASE"):
                self._consume_phrase(state)
            elif char in "+|" and self._on("AND" if char == "+" else "OR"):
                if state.current is None and state.top is not None:
                    state.current = _MUST if char == "+" else _SHOULD
                state.start += 1
            elif char == "-" and self._on("NOT"):
                state.negations += 1
                state.start += 1
                continue  # the negation applies to what follows
            elif char in " \t\n\r" and self._on("WHITESPACE"):
                state.start += 1
            else:
                self._consume_token(state)
            state.negations = 0

    def _consume_sub_query(self, state: _SqsState) -> None:
        text = self.text
        start = state.start = state.start + 1
        depth, escaped = 1, False
        while state.start < state.end:
            char = text[state.start]
            if not escaped:
                if char == "\\" and self._on("ESCAPE"):
                    escaped = True
                    state.start += 1
                    continue
                if char == "(":
                    depth += 1
                elif char == ")":
                    depth -= 1
                    if depth == 0:
                        break
            escaped = False
            state.start += 1
        if state.start == state.end:
            state.start = start  # never closed: the "(" is extraneous
        elif state.start == start:
            state.current = None  # "()" : the pending operator applied to nothing
            state.start += 1
        else:
            inner = _SqsState(start, state.start)
            self._sub_query(inner)
            self._build(state, inner.top)
            state.start += 1

    def _consume_phrase(self, state: _SqsState) -> None:
        text = self.text
        start = state.start = state.start + 1
        copied: list[str] = []
        escaped = has_slop = False
        while state.start < state.end:
            char = text[state.start]
            if not escaped:
                if char == "\\" and self._on("ESCAPE"):
                    escaped = True
                    state.start += 1
                    continue
                if char == '"':
                    if state.end > state.start + 1 and text[state.start + 1] == "~" and self._on("NEAR"):
                        state.start += 1
                        has_slop = state.end > state.start + 1
                    break
            escaped = False
            copied.append(char)
            state.start += 1
        if state.start == state.end:
            state.start = start  # never closed: the quote is extraneous
        elif state.start == start:
            state.current = None
            state.start += 1
        else:
            slop = self._fuzziness(state) if has_slop else 0
            self._build(state, self.make_phrase("".join(copied), slop))
            state.start += 1

    def _consume_token(self, state: _SqsState) -> None:
        text = self.text
        copied: list[str] = []
        escaped = prefix = fuzzy = False
        while state.start < state.end:
            char = text[state.start]
            if not escaped:
                if char == "\\" and self._on("ESCAPE"):
                    escaped, prefix = True, False
                    state.start += 1
                    continue
                if self._token_finished(char):
                    break
                if copied and char == "~" and self._on("FUZZY"):
                    fuzzy = True
                    break
                prefix = bool(copied) and char == "*" and self._on("PREFIX")
            escaped = False
            copied.append(char)
            state.start += 1
        if not copied:
            return
        token = "".join(copied)
        if fuzzy:
            edits = min(self._fuzziness(state), 2)
            branch = self.make_term(token) if edits == 0 else self.make_fuzzy(token, edits)
        elif prefix:
            branch = self.make_prefix(token[:-1])
        else:
            branch = self.make_term(token)
        self._build(state, branch)

    def _token_finished(self, char: str) -> bool:
        return (
            (char == '"' and self._on("PHRASE"))
            or (char == "|" and self._on("OR"))
            or (char == "+" and self._on("AND"))
            or (char in "()" and self._on("PRECEDENCE"))
            or (char in " \t\n\r" and self._on("WHITESPACE"))
        )

    def _fuzziness(self, state: _SqsState) -> int:
        """The number after ``~`` (none means 2, garbage means 0), leaving the position
        on the character that ended it."""
        digits: list[str] = []
        while state.start < state.end:
            state.start += 1
            if state.start < state.end:
                if self._token_finished(self.text[state.start]):
                    break
                digits.append(self.text[state.start])
        text = "".join(digits)
        if not text:
            return 2
        if re.fullmatch(r"[+-]?\d{1,10}", text) and int(text) < 2**31:
            return max(int(text), 0)
        return 0

    def _build(self, state: _SqsState, branch: Any) -> None:
        if branch is None:
            return
        if state.negations % 2 == 1:
            branch = _LuceneBool([(_SHOULD, _match_everything), (_MUST_NOT, branch)])
        if state.top is None:
            state.top = branch
        else:
            if state.current is None:
                state.current = self.default_occur
            if state.previous != state.current:
                state.top = _LuceneBool([(state.current, state.top)])
            state.top.clauses.append((state.current, branch))
            state.previous = state.current
        state.current = None


_SQS_KEYS = {
    "query", "fields", "default_operator", "flags", "lenient", "boost", "analyze_wildcard",
    "auto_generate_synonyms_phrase_query", "fuzzy_prefix_length", "fuzzy_max_expansions",
    "fuzzy_transpositions",
}  # fmt: skip


def _q_simple_query_string(body: Any, env: _Env) -> _Binder:
    body = _object(body, "simple_query_string")
    for key in body:
        if key in ("minimum_should_match", "quote_field_suffix", "analyzer", "_name"):
            raise _unsupported(f"[simple_query_string] parameter [{key}]")
        if key not in _SQS_KEYS:
            raise _parsing(f"[simple_query_string] unsupported field [{key}]")
    if body.get("analyze_wildcard"):
        raise _unsupported("[simple_query_string] analyze_wildcard")
    if not isinstance(body.get("query"), str):
        raise _parsing("[simple_query_string] query text missing")
    text = body["query"]
    fields = body.get("fields") or []
    if isinstance(fields, str):
        fields = [fields]
    operator = _as_text(body.get("default_operator", "or")).lower()
    if operator not in ("or", "and"):
        raise _illegal(f"operator needs to be either [and] or [or], but was [{operator}]")
    flags = _sqs_flags(body.get("flags", "ALL"))
    all_fields = not fields or "*" in fields
    lenient = bool(body.get("lenient", all_fields))
    prefix_length = int(body.get("fuzzy_prefix_length", 0))
    transpositions = bool(body.get("fuzzy_transpositions", True))
    boost = _boost(body)

    def bind(ix: _Index) -> _Matcher:
        targets = _resolve_fields(ix, fields)

        def per_field(build: Callable[[_Field], Callable[[_Doc], bool] | None]) -> _Matcher | None:
            tests = []
            for target in targets:
                try:
                    test = build(target)
                except _ShardError:
                    if not lenient:
                        raise
                    test = lambda doc: False  # noqa: E731 - a lenient field matches nothing
                if test is not None:
                    tests.append(test)
            if not tests:
                return None
            return lambda doc: 1.0 if any(test(doc) for test in tests) else None

        def term(token: str) -> _Matcher | None:
            def build(target: _Field) -> Callable[[_Doc], bool] | None:
                if target.kind == "text":
                    tokens = _analyze(token)
                    if not tokens:
                        return None
                    combine = all if operator == "and" else any
                    return lambda doc: combine(t in doc.positions.get(target.name, {}) for t in tokens)
                return _values_predicate(ix, target.name, [token], env)

            return per_field(build)

        def prefix(token: str) -> _Matcher | None:
            def build(target: _Field) -> Callable[[_Doc], bool]:
                if target.kind not in ("text", "keyword"):
                    raise _ShardError(
                        "query_shard_exception",
                        f"Can only use prefix queries on keyword, text and wildcard fields - not on [{target.name}] which is of type [{target.type}]",
                    )
                start = token.lower() if target.kind == "text" else token
                return lambda doc: any(v.startswith(start) for v in doc.values.get(target.name, ()))

            return per_field(build)

        def fuzzy(token: str, edits: int) -> _Matcher | None:
            def build(target: _Field) -> Callable[[_Doc], bool]:
                if target.kind not in ("text", "keyword"):
                    raise _ShardError(
                        "query_shard_exception",
                        f"Can only use fuzzy queries on keyword and text fields - not on [{target.name}] which is of type [{target.type}]",
                    )
                wanted = token.lower() if target.kind == "text" else token
                head = wanted[:prefix_length]
                return lambda doc: any(
                    v.startswith(head) and _edit_distance(v, wanted, edits, transpositions) <= edits
                    for v in doc.values.get(target.name, ())
                )

            return per_field(build)

        def phrase(words: str, slop: int) -> _Matcher | None:
            def build(target: _Field) -> Callable[[_Doc], bool] | None:
                if target.kind == "text":
                    tokens = _analyze(words)
                    if not tokens:
                        return None
                    return lambda doc: _phrase_matches(doc.positions.get(target.name, {}), tokens, slop)
                return _values_predicate(ix, target.name, [words], env)

            return per_field(build)

        occur = _MUST if operator == "and" else _SHOULD
        matcher = _SimpleQueryParser(text, flags, occur, term, prefix, fuzzy, phrase).parse()
        return lambda doc: None if (score := matcher(doc)) is None else score * boost

    return bind


def _resolve_fields(ix: _Index, patterns: list[str]) -> list[_Field]:
    """Field names with optional ``*`` and ``^boost``; no names means every field."""
    if not patterns:
        return list(ix.fields.values())
    found: dict[str, _Field] = {}
    for pattern in patterns:
        name = _as_text(pattern).split("^", 1)[0]
        if "*" in name:
            regex = _wildcard(name)
            found.update((n, f) for n, f in ix.fields.items() if regex.fullmatch(n))
        elif name in ix.fields:
            found[name] = ix.fields[name]
    return list(found.values())


_QUERIES: dict[str, Callable[[Any, _Env], _Binder]] = {
    "bool": _q_bool,
    "term": _q_term,
    "terms": _q_terms,
    "range": _q_range,
    "match": _q_match,
    "match_phrase": _q_match_phrase,
    "match_all": _q_match_all,
    "match_none": _q_match_none,
    "exists": _q_exists,
    "constant_score": _q_constant_score,
    "simple_query_string": _q_simple_query_string,
}
_KNOWN_QUERIES = {
    "query_string", "prefix", "wildcard", "regexp", "fuzzy", "ids", "nested", "has_child",
    "has_parent", "multi_match", "match_bool_prefix", "match_phrase_prefix", "combined_fields",
    "dis_max", "function_score", "boosting", "script", "script_score", "geo_distance",
    "geo_bounding_box", "more_like_this", "terms_set", "intervals", "distance_feature",
    "pinned", "rank_feature", "span_term", "span_near", "wrapper", "knn", "semantic",
}  # fmt: skip


# ------------------------------------------------------------------------------- sort


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


# ------------------------------------------------------------------------ aggregations

_CALENDAR_UNITS = {
    "1m": "m", "minute": "m", "1h": "h", "hour": "h", "1d": "d", "day": "d",
    "1w": "w", "week": "w", "1M": "M", "month": "M", "1q": "q", "quarter": "q",
    "1y": "y", "year": "y",
}  # fmt: skip
_FIXED_UNITS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}

_Row = tuple[_Index, _Doc]
_Hit = tuple[list[Any], int, _Index, _Doc, float]
"""Sort values, shard ordinal, index, document, score."""


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


# ----------------------------------------------------------------------------- search


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


# ------------------------------------------------------------------------------ store

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
        #: open points in time: id -> (frozen copies of the indices, expiry in epoch ms)
        self.pits: dict[str, tuple[list[_Index], int]] = {}

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
            indices = self._pit_indices(search.pit, env.now_ms)
            extra["pit_id"] = search.pit["id"]
        else:
            indices = self._resolve(target or "_all", params)
        response = self._execute(search, indices)
        return 200, {"took": int((time.perf_counter() - started) * 1000), **extra, **response}

    def open_pit(self, params: dict[str, str], raw: bytes, target: str) -> tuple[int, Any]:
        """``POST /{target}/_pit?keep_alive=1m``: the documents as they are now, searchable
        by id until keep_alive passes (each search with it extends it)."""
        if self.face.flavor != "elasticsearch":
            raise _unsupported("point in time on this face")
        if "keep_alive" not in params:
            raise _error(400, "action_request_validation_exception", "Validation Failed: 1: [keep_alive] is not specified;")
        keep_ms = _keep_alive_ms(params["keep_alive"])
        frozen = []
        for ix in self._resolve(target, params):
            clone = copy.copy(ix)
            clone.docs = dict(ix.docs)
            frozen.append(clone)
        pit_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        self.pits[pit_id] = (frozen, int(self.clock() * 1000) + keep_ms)
        shards = len(frozen)
        return 200, {"id": pit_id, "_shards": {"total": shards, "successful": shards, "skipped": 0, "failed": 0}}

    def close_pit(self, params: dict[str, str], raw: bytes) -> tuple[int, Any]:
        """``DELETE /_pit`` with ``{"id": ...}``."""
        body = _json_body(raw) if raw.strip() else None
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise _error(400, "action_request_validation_exception", "Validation Failed: 1: [id] is missing;")
        freed = self.pits.pop(body["id"], None) is not None
        return (200 if freed else 404), {"succeeded": True, "num_freed": int(freed)}

    def _pit_indices(self, pit: Mapping[str, Any], now_ms: int) -> list[_Index]:
        held = self.pits.get(pit["id"])
        if held is None or held[1] < now_ms:
            self.pits.pop(pit["id"], None)
            raise _error(404, "search_context_missing_exception", f"No search context found for id [{pit['id']}]")
        frozen, expiry = held
        if "keep_alive" in pit:
            expiry = max(expiry, now_ms + _keep_alive_ms(str(pit["keep_alive"])))
        self.pits[pit["id"]] = (frozen, expiry)
        return frozen

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

    def _execute(self, search: _Search, indices: list[_Index]) -> dict[str, Any]:
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
                rows, index_hits, count = self._search_index(search, ix, ordinal, specs)
            except _ShardError as failure:
                failures.append((ix.name, failure.cause))
                continue
            matched += rows
            hits += index_hits
            total += count
        if indices and len(failures) == len(indices):
            raise _all_shards_failed(failures)
        total_shards = sum(ix.shards for ix in indices)
        failed_shards = sum(self.indices[name].shards for name, _ in failures)
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
        self, search: _Search, ix: _Index, ordinal: int, specs: list[_SortSpec]
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


def _sort_key(specs: list[_SortSpec]) -> Callable[[_Hit], Any]:
    """Sort values first; ties go to shard (index) order, then indexing order, as in ES."""

    def compare(a: _Hit, b: _Hit) -> int:
        result = _compare(a[0], b[0], specs)
        if result:
            return result
        left, right = (a[1], a[3].seq), (b[1], b[3].seq)
        return (left > right) - (left < right)

    return functools.cmp_to_key(compare)


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


def _keep_alive_ms(text: str) -> int:
    """A time value such as ``1m`` or ``30s`` in milliseconds."""
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d)", text.strip())
    if match is None:
        raise _error(400, "parse_exception", f"failed to parse setting [keep_alive] with value [{text}] as a time value")
    unit = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}[match.group(2)]
    return int(match.group(1)) * unit


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


# ------------------------------------------------------------------------------- HTTP


@dataclass(frozen=True)
class _Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class _Fault:
    """An armed fault: ``reply`` answers instead of the server, ``truncate`` cuts the
    answer, ``delay`` holds the request."""

    kind: str
    remaining: int
    reply: _Reply | None = None
    seconds: float = 0.0


def _b64_pair(credentials: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, colon, secret = decoded.partition(":")
    return (name, secret) if colon else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, standin: Standin) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.standin = standin

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (a timeout test, a closed pool) is not an error here."""
        import sys

        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the clients' connection pools expect
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall
    server: _Server

    def do_GET(self) -> None:
        standin = self.server.standin
        raw = self._read_body()
        try:
            reply = standin._answer(self.command, self.path, self.headers, raw)
        except Exception:  # a bug in the stand-in: answer like ES's 500, with the traceback
            reason = traceback.format_exc()
            body = json.dumps(_error(500, "exception", reason).body).encode()
            reply = _Reply(500, [("content-type", "application/json")], body)
        if standin._stopping.is_set():  # stopped: no answer, even on a kept-alive connection
            self.close_connection = True
            return
        self.send_response_only(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output free of access-log lines."""

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            raw = _read_chunked(self.rfile)
        else:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if (self.headers.get("Content-Encoding") or "").lower() == "gzip":
            raw = gzip.decompress(raw)
        return raw


def _read_chunked(stream: BinaryIO) -> bytes:
    body = bytearray()
    while True:
        size = int(stream.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while stream.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return bytes(body)
        body += stream.read(size)
        stream.readline()
