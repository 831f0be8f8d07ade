"""The HTTP server and its handle: ``start_standin``, ``Standin`` (URL, documents,
request log, fault injection) and the request handler."""

from __future__ import annotations

import gzip
import json
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from .errors import _REASON_PHRASES, _EsError, _error, _injected_error
from .faces import _Face, _authenticate, _elasticsearch_face, _negotiate, _opensearch_face
from .store import _Store
from ..http import Served


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


class Standin(Served):
    """A running stand-in: its URL, its documents, its request log and fault injection."""

    LENGTH_HEADER = "content-length"  # as Elasticsearch spells it

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
        # stop() also releases the requests held by ``delay_next``
        self.url = self._serve(f"{face.flavor}-standin")

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

    def _body(self, headers: Any, raw: bytes) -> bytes:
        if (headers.get("Content-Encoding") or "").lower() == "gzip":
            return gzip.decompress(raw)
        return raw

    def _answer(self, method: str, target: str, headers: Any, raw: bytes) -> _Reply:
        try:
            return self._answer_request(method, target, headers, raw)
        except Exception:  # a bug in the stand-in: answer like ES's 500, with the traceback
            reason = traceback.format_exc()
            body = json.dumps(_error(500, "exception", reason).body).encode()
            return _Reply(500, [("content-type", "application/json")], body)

    def _answer_request(self, method: str, target: str, headers: Mapping[str, str], raw: bytes) -> _Reply:
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
            content_type = _negotiate(self._face, headers, bool(raw))
            _authenticate(self._face, self._users, self._api_keys, headers, target)
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


