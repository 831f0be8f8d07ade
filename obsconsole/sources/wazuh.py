"""Wazuh 4.x (SPEC §10): security alerts from the indexer, the manager's alerts.json, or both.

The indexer speaks the OpenSearch API, which the `elasticsearch` client refuses (it
checks that the server is Elasticsearch), so it is read over httpx with the backend's
auth. A poll makes two `POST {index}/_search` calls at once: the newest alerts at or
above the pane's level over the last 24 h with the dashboard's top 10 (terms on
rule.level, then on rule.description), and the source addresses of the brute-force rules
(terms on data.srcip). Both are counted by the indexer over the whole 24 h. Field names
and types are those of the Wazuh index template (rule.description, rule.id and
data.srcip are keywords, rule.level a number, timestamp a date).

alerts.json (one alert per line, appended by wazuh-analysisd, rotated daily) is followed
by `sources.tail.LineTail` in a thread; the alerts it yields are kept in a bounded
buffer, and the top 10 is counted from what the buffer holds. A line that is not an
alert is skipped and counted, never raised.

With both configured, both are read at once and merged (each alert once, by its `id`);
if one part fails the pane shows the other with a one-line warning naming the failed
part; only when both fail does the fetch fail.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import quote

from obsconsole.config import WazuhBackend
from obsconsole.logic import wazuh as logic
from obsconsole.logic.buffer import EventBuffer
from obsconsole.logic.fields import buckets, clip, error_reason
from obsconsole.model import SecurityEvent, SecurityTop, SecurityView, SourceError
from obsconsole.model import BackendStatus
from obsconsole.sources.http import async_client, send
from obsconsole.sources.tail import LineTail

Clock = Callable[[], datetime]

#: alerts held from alerts.json (at or above the pane's level): a day of a busy manager
#: does not fit, so the file's top 10 counts the newest this many
FILE_CAPACITY = 5000
#: distinct source addresses of brute-force alerts the indexer reports
BRUTE_FORCE_IPS = 20


# pragma: no mutate start
# Transport (the parts read concurrently, their clients and files): exercised against a
# stand-in indexer and real files by tests/test_wazuh.py; the answers are read by the
# pure functions below, which mutation testing covers (tests/test_answers.py).
class WazuhSource:
    """SecuritySource (sources/base.py) over the parts of one Wazuh backend."""

    def __init__(self, backend: WazuhBackend, clock: Clock, *, capacity: int = FILE_CAPACITY) -> None:
        if not backend.indexer_url and not backend.alerts_json:
            raise ValueError("WazuhSource needs an indexer_url or an alerts_json path")
        self.clock = clock
        self.indexer = IndexerReader(backend.indexer_url, backend) if backend.indexer_url else None
        self.alerts_file = AlertsFileReader(backend.alerts_json, capacity) if backend.alerts_json else None

    async def fetch_security_events(self, min_level: int, limit: int) -> SecurityView:
        """The newest `limit` alerts at or above `min_level` of the last 24 h, the top 10
        and the brute-force addresses, from every configured part that answers."""
        now = self.clock()
        reads = []
        if self.indexer is not None:
            reads.append(self.indexer.read(min_level, limit, now))
        if self.alerts_file is not None:
            reads.append(asyncio.to_thread(self.alerts_file.read, min_level, limit, now))
        results = await asyncio.gather(*reads, return_exceptions=True)
        views = [r for r in results if isinstance(r, SecurityView)]
        errors = [_as_source_error(r) for r in results if not isinstance(r, SecurityView)]
        if not views:
            if len(errors) == 1:
                raise errors[0]
            raise SourceError(errors[0].kind, "; ".join(e.message for e in errors))
        failed = SecurityView(events=(), warnings=tuple(e.message for e in errors))
        return logic.merge_views([*views, failed], limit)

    async def describe(self) -> list[BackendStatus]:
        """One line per configured part: the indexer (version, cluster) and the file."""
        checks = []
        if self.indexer is not None:
            checks.append(self.indexer.describe())
        if self.alerts_file is not None:
            checks.append(asyncio.to_thread(self.alerts_file.describe))
        return list(await asyncio.gather(*checks))

    async def aclose(self) -> None:
        if self.indexer is not None:
            await self.indexer.aclose()
        if self.alerts_file is not None:
            await asyncio.to_thread(self.alerts_file.close)
# pragma: no mutate end


def _as_source_error(exc: BaseException) -> SourceError:
    """A part's failure as a SourceError (anything else is a bug, still one line)."""
    if isinstance(exc, SourceError):
        return exc
    if not isinstance(exc, Exception):  # cancellation and the like go through
        raise exc
    return SourceError("internal", f"wazuh: {type(exc).__name__}: {' '.join(str(exc).split())[:160]}")


# --------------------------------------------------------------------------- indexer


# pragma: no mutate start
# The indexer's transport and the searches it sends (tests/test_wazuh.py, against a
# stand-in); its answers are read by `_view` and the functions after it.
class IndexerReader:
    """The indexer part: two searches per poll over httpx (see the module docstring)."""

    def __init__(self, url: str, backend: WazuhBackend) -> None:
        self.url = url
        self.index = backend.index
        self.auth = backend.auth
        self.timeout_s = backend.timeout_s
        self._client: Any = None

    @property
    def where(self) -> str:
        return f"wazuh indexer at {self.url}"

    async def read(self, min_level: int, limit: int, now: datetime) -> SecurityView:
        """Both searches of a poll, concurrently; either failing fails the read."""
        path = f"/{quote(self.index, safe='*,')}/_search"
        answers = await asyncio.gather(
            self._request("POST", path, json=search_body(min_level, limit, now)),
            self._request("POST", path, json=brute_force_body(min_level, now)),
            return_exceptions=True,
        )
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer
        main, brute = answers
        return _view(main, brute, self.where)

    async def describe(self) -> BackendStatus:
        started = time.perf_counter()
        try:
            info = await self._request("GET", "/")
        except SourceError as exc:
            return BackendStatus("wazuh", self.url, False, None, None, exc.message)
        version = info.get("version") if isinstance(info.get("version"), Mapping) else {}
        name = f"{version.get('distribution') or 'opensearch'} {version.get('number') or '?'}"
        cluster = info.get("cluster_name")
        detail = f"indexer, cluster {cluster}" if isinstance(cluster, str) else "indexer"
        return BackendStatus("wazuh", self.url, True, name, time.perf_counter() - started, detail)

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> Mapping[str, Any]:
        """One call; the JSON object answered, or a SourceError in one line naming the URL."""
        if self._client is None:
            self._client = async_client(self.url, self.auth, self.timeout_s)
        response = await send(self._client, self.where, self.timeout_s, method, path, **kwargs)
        status = response.status_code
        if status == 401:
            raise SourceError("auth", f"{self.where}: HTTP 401, credentials refused")
        if status == 403:
            raise SourceError("auth", f"{self.where}: HTTP 403, the user may not read {self.index}")
        if status >= 400:
            raise SourceError("bad_response", f"{self.where}: HTTP {status}: {error_summary(response.content)}")
        try:
            answer = json.loads(response.content)
        except (ValueError, RecursionError):
            raise SourceError("bad_response", f"{self.where}: {not_json(response.content)}") from None
        if not isinstance(answer, Mapping):
            raise SourceError("bad_response", f"{self.where}: expected a JSON object, got {type(answer).__name__}")
        return answer


def search_body(min_level: int, limit: int, now: datetime) -> dict[str, Any]:
    """The main search of a poll: the newest `limit` alerts at or above `min_level` in
    the 24 h up to `now`, with the top-10 aggregation over all of them."""
    return {
        "size": max(0, limit),
        "sort": [{"timestamp": {"order": "desc"}}],
        "query": _alerts_query(min_level, now),
        "aggs": {
            # every level (Wazuh has 16), each with its 10 most frequent descriptions:
            # enough to rank the top 10 by level, then count, exactly
            "levels": {
                "terms": {"field": "rule.level", "size": logic.MAX_LEVEL + 1},
                "aggs": {"descriptions": {"terms": {"field": "rule.description", "size": logic.TOP_ROWS}}},
            },
        },
    }


def brute_force_body(min_level: int, now: datetime) -> dict[str, Any]:
    """The second search of a poll: the source addresses of the brute-force rules'
    alerts over the same 24 h, each with its latest alert time."""
    query = _alerts_query(min_level, now)
    query["bool"]["filter"].append({"terms": {"rule.id": sorted(logic.BRUTE_FORCE_RULES)}})
    return {
        "size": 0,
        "query": query,
        "aggs": {"srcips": {
            "terms": {"field": "data.srcip", "size": BRUTE_FORCE_IPS},
            "aggs": {"last": {"max": {"field": "timestamp"}}},
        }},
    }


def _alerts_query(min_level: int, now: datetime) -> dict[str, Any]:
    since = (now - timedelta(seconds=logic.TOP_WINDOW_S)).astimezone(timezone.utc)
    return {"bool": {"filter": [
        {"range": {"rule.level": {"gte": min_level}}},
        {"range": {"timestamp": {"gte": since.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"}}},
    ]}}
# pragma: no mutate end


def _view(body: Mapping[str, Any], brute: Mapping[str, Any], where: str) -> SecurityView:
    """A poll's two search answers (the main search, the brute-force one) as the view;
    warnings (partial answers, documents that are not alerts) start with `where`."""
    hits = body.get("hits")
    docs = hits.get("hits") if isinstance(hits, Mapping) else None
    if not isinstance(docs, list):
        raise SourceError("bad_response", f"{where}: the search answer has no hits.hits list")
    sources = [d.get("_source") if isinstance(d, Mapping) else None for d in docs]
    events = [e for e in map(logic.parse_alert, sources) if e is not None]
    warnings = list(dict.fromkeys(_search_warnings(body) + _search_warnings(brute)))
    if len(events) < len(docs):
        warnings.append(f"{len(docs) - len(events)} of {len(docs)} documents are not Wazuh alerts (no timestamp or rule level)")
    # the aggregation covers the whole 24 h; the events can only add addresses it
    # cut off (it keeps BRUTE_FORCE_IPS)
    ips = [*brute_force_rows(_aggregation(brute, "srcips")), *logic.brute_force_ips(events)]
    return SecurityView(
        events=tuple(events),
        top=logic.rank_top(top_rows(_aggregation(body, "levels"))),
        brute_force_ips=tuple(dict.fromkeys(ips)),
        warnings=tuple(f"{where}: {w}" for w in warnings),
    )


def _aggregation(body: Mapping[str, Any], name: str) -> Any:
    aggs = body.get("aggregations")
    return aggs.get(name) if isinstance(aggs, Mapping) else None


def top_rows(levels_agg: Any) -> list[SecurityTop]:
    """The (level, description, count) rows of the `levels` aggregation; malformed
    buckets are left out."""
    rows = []
    for level_bucket in buckets(levels_agg):
        level = logic.parse_level(level_bucket.get("key"))
        if level is None:
            continue
        for b in buckets(level_bucket.get("descriptions")):
            key, count = b.get("key"), b.get("doc_count")
            if isinstance(key, str) and isinstance(count, int) and not isinstance(count, bool):
                rows.append(SecurityTop(level, clip(key), count))
    return rows


def brute_force_rows(srcips_agg: Any) -> list[str]:
    """The addresses of the `srcips` aggregation, most recent alert first (sorted here:
    ordering terms by a sub-aggregation is not something every OpenSearch-alike does)."""
    def last(bucket: Mapping[str, Any]) -> float:
        metric = bucket.get("last")
        value = metric.get("value") if isinstance(metric, Mapping) else None
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else float("-inf")

    found = [b for b in buckets(srcips_agg) if isinstance(b.get("key"), str) and b["key"]]
    return [b["key"] for b in sorted(found, key=last, reverse=True)]


def _search_warnings(body: Mapping[str, Any]) -> list[str]:
    """A search that answered with part of the data says so (timed out, shards failed)."""
    out = []
    if body.get("timed_out") is True:
        out.append("the search timed out: results are partial")
    shards = body.get("_shards")
    failed = shards.get("failed") if isinstance(shards, Mapping) else None
    if isinstance(failed, int) and failed > 0:
        out.append(f"{failed} of {shards.get('total', '?')} shards failed: results are partial")
    return out


def error_summary(content: bytes) -> str:
    """An error answer in a few words: OpenSearch's `error.type: error.reason`, or what
    the body is when it is not OpenSearch's (a proxy's HTML page, plain text)."""
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        return not_json(content)
    return error_reason(body) or " ".join(json.dumps(body)[:200].split())


def not_json(content: bytes) -> str:
    """Why an answer that should be JSON is not, in a few words."""
    head = content[:512].lstrip().lower()
    if head.startswith(b"<!doctype html") or b"<html" in head:
        return "the answer is an HTML page, not JSON (a proxy's or login page?)"
    if not content.strip():
        return "the answer is empty"
    if content.lstrip()[:1] in (b"{", b"["):
        return "the answer is not valid JSON (truncated?)"
    text = " ".join(content[:120].decode("utf-8", "replace").split())
    return f"the answer is not JSON: {text}"


# --------------------------------------------------------------------------- alerts.json


# pragma: no mutate start
# The file's transport (the tail, the lock, stat): exercised on real files by
# tests/test_wazuh.py; its lines are read by `alerts_from` and `file_view` below.
class AlertsFileReader:
    """The alerts.json part: the tail, the alerts it held and the lines it skipped.

    Blocking (run it in a thread) and serialised by a lock: a poll the hub gave up on
    still finishes in its thread and keeps what it read, and the next poll waits for it,
    so nothing read is lost and no two threads move the tail at once.
    """

    def __init__(self, path: str, capacity: int) -> None:
        self.path = path
        self._tail = LineTail(path)
        self._buffer: EventBuffer[SecurityEvent] = EventBuffer(capacity)
        #: lines that were not alerts (not JSON, not an object, no timestamp or level)
        self.malformed = 0
        self._lock = threading.Lock()

    @property
    def where(self) -> str:
        return f"wazuh alerts.json at {self.path}"

    @property
    def skipped(self) -> int:
        """Lines skipped since the tail started: malformed or too long."""
        return self.malformed + self._tail.stats.oversized

    def read(self, min_level: int, limit: int, now: datetime) -> SecurityView:
        """Read what was appended, keep the alerts at or above `min_level`, and answer
        from what is held: the alerts of the last 24 h."""
        with self._lock:
            try:
                lines = self._tail.read()
            except OSError as exc:
                raise self._error(exc) from None
            alerts, malformed = alerts_from(lines, min_level)
            self.malformed += malformed
            self._buffer.merge(alerts)
            waiting = () if self._tail.is_open else (f"{self.where}: no such file yet",)
            return file_view(self._buffer.items(), min_level, limit, now, self.skipped, waiting)

    def _error(self, exc: OSError) -> SourceError:
        if isinstance(exc, PermissionError):
            return SourceError("auth", f"{self.where}: permission denied (the console's user needs read access)")
        why = exc.strerror or " ".join(str(exc).split()) or type(exc).__name__
        return SourceError("unreachable", f"{self.where}: {why}")

    def describe(self) -> BackendStatus:
        """Whether the file is there and readable, how big, how recently written."""
        started = time.perf_counter()
        try:
            st = os.stat(self.path)
        except OSError as exc:
            return BackendStatus("wazuh", self.path, False, None, None, self._error(exc).message)
        if not os.access(self.path, os.R_OK):
            return BackendStatus("wazuh", self.path, False, None, None, f"{self.where}: permission denied")
        written = datetime.fromtimestamp(st.st_mtime, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        detail = f"alerts.json, {st.st_size:,} bytes, last written {written}"
        return BackendStatus("wazuh", self.path, True, None, time.perf_counter() - started, detail)

    def close(self) -> None:
        with self._lock:
            self._tail.close()
# pragma: no mutate end


def alerts_from(lines: list[bytes], min_level: int) -> tuple[list[SecurityEvent], int]:
    """The alerts at or above `min_level` among alerts.json `lines`, and how many
    non-blank lines were not alerts (not JSON, not an object, no timestamp or level)."""
    out = []
    malformed = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            # invalid UTF-8 (a log line copied into full_log) becomes U+FFFD: the
            # alert is kept, the bad bytes shown as �
            event = logic.parse_alert(json.loads(line.decode("utf-8", errors="replace")))
        except (ValueError, RecursionError):  # not JSON
            event = None
        if event is None:
            malformed += 1
        elif event.level >= min_level:
            out.append(event)
    return out, malformed


def file_view(
    items: Sequence[SecurityEvent], min_level: int, limit: int, now: datetime, skipped: int, warnings: tuple[str, ...]
) -> SecurityView:
    """The view of the alerts held from the file (newest first): those at or above
    `min_level` of the 24 h up to `now`, the newest `limit` of them listed."""
    oldest = now - timedelta(seconds=logic.TOP_WINDOW_S)
    held = [e for e in items if e.level >= min_level and e.timestamp >= oldest]
    return SecurityView(
        events=tuple(held[: max(0, limit)]),
        top=logic.top_events(held, now, min_level),
        brute_force_ips=logic.brute_force_ips(held),
        skipped_lines=skipped,
        warnings=warnings,
    )
