"""Elasticsearch: the error stream (SPEC §8), on the official async client over httpx.

The tail reads ERROR/FATAL events (the configured levels) across the configured indices
(`aigym-errors-*` and `aigym-logs-*`: an ERROR can sit in either), newest first.

How a poll stays exact when many events share a timestamp: each poll opens a point in
time (PIT) and pages with `search_after` on (timestamp, `_shard_doc`), the unique
tie-breaker Elasticsearch documents for PIT searches, so no page boundary can skip or
repeat an event. Between polls the tail re-reads from a little before the newest
timestamp it has seen (`TAIL_LAG_S`, for events indexed late or sharing that
timestamp) and `logic.logs.TailState` drops what it already delivered.

Floods: a poll reads at most `FLOOD_BUDGET` new events. Beyond that it does not queue:
it keeps the newest page as a sample, jumps past the rest and reports the real rate.

Free text is never query syntax: its whole words go into `match` queries (analysed like
the indexed text, no syntax) as a prefilter, and every hit is confirmed with
`logic.logs.matches`, a literal substring test. A text without certainly-whole words
("pool exh") is matched literally among the newest events of the lookback.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping

from obsconsole.config import Context, ElasticsearchBackend, LogFields
from obsconsole.logic import logs as loglogic
from obsconsole.logic.fields import buckets, clip, error_reason, get_path, parse_time, scalar_text
from obsconsole.logic.buffer import EventBuffer
from obsconsole.model import (
    ErrorStream,
    LogBucket,
    LogEvent,
    LogLevel,
    LogQuery,
    ServiceErrors,
    SourceError,
)
from obsconsole.model import BackendStatus

Clock = Callable[[], datetime]

#: how far back the first poll, the histogram and the breakdown look (SPEC §8: now-1h)
LOOKBACK_S = 3600.0
#: histogram bar width
BUCKET_S = 60.0
#: at most this many service names are offered to the service filter
SERVICES_SEEN = 100
#: re-read this much before the newest event seen (late indexing, shared timestamps)
TAIL_LAG_S = 15.0
#: hits per page
PAGE = 500
#: new events one poll reads before it calls it a flood and keeps a sample
FLOOD_BUDGET = 2000
#: how long Elasticsearch keeps a poll's point in time (a poll takes well under this)
PIT_KEEP_ALIVE = "1m"


# pragma: no mutate start
# Transport (the client, points in time, paging, the searches it sends): exercised
# against Elasticsearch by tests/test_elasticsearch.py; the answers are read by the pure
# functions below, which mutation testing covers (tests/test_answers.py).
class ElasticsearchSource:
    """LogSource over Elasticsearch (see the module docstring)."""

    def __init__(self, backend: ElasticsearchBackend, ctx: Context, clock: Clock) -> None:
        self.backend = backend
        self.ctx = ctx
        self.clock = clock
        self.log_query = LogQuery()
        self._client: Any = None
        self._reset()

    def _reset(self) -> None:
        self._tail = loglogic.TailState(TAIL_LAG_S)
        self._buffer: EventBuffer[LogEvent] = EventBuffer(self.ctx.panes.errors_buffer)
        self._last_poll: float | None = None
        self._skipped = 0
        self._for_query = self.log_query

    # ------------------------------------------------------------------ transport

    def _connect(self) -> Any:
        """The client, built on first use (the library costs ~0.12 s to import: only
        contexts with Elasticsearch pay it)."""
        if self._client is None:
            try:
                from elasticsearch import AsyncElasticsearch
            except ImportError:
                raise SourceError(
                    "config", "the elasticsearch client is not installed: reinstall obsconsole (pip install obsconsole)"
                ) from None
            auth = self.backend.auth
            kwargs: dict[str, Any] = {}
            if auth.api_key:
                kwargs["api_key"] = auth.api_key
            elif auth.bearer_token:
                kwargs["bearer_auth"] = auth.bearer_token
            elif auth.username:
                kwargs["basic_auth"] = (auth.username, auth.password or "")
            if auth.ca_bundle:
                kwargs["ca_certs"] = auth.ca_bundle
            if any(u.lower().startswith("https://") for u in self.backend.urls):
                kwargs["verify_certs"] = auth.verify_tls
            self._client = AsyncElasticsearch(
                list(self.backend.urls),
                node_class="httpxasync",
                headers=dict(auth.headers) or None,
                request_timeout=self.backend.timeout_s,
                # the hub backs off; retries inside a poll would only hide an outage
                max_retries=0,
                retry_on_timeout=False,
                **kwargs,
            )
        return self._client

    async def _call(self, method: str, **kwargs: Any) -> Any:
        """One client call; every failure becomes a one-line SourceError."""
        where = ", ".join(self.backend.urls)
        client = self._connect()
        try:
            response = await getattr(client, method)(**kwargs)
        except Exception as exc:  # the client's exceptions, mapped below
            raise _source_error(exc, where, self.backend.timeout_s) from None
        body = getattr(response, "body", response)
        if not isinstance(body, Mapping):
            raise SourceError("bad_response", f"elasticsearch at {where}: expected a JSON object, got {type(body).__name__}")
        return body

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()

    async def describe(self) -> list[BackendStatus]:
        started = time.perf_counter()
        target = ", ".join(self.backend.urls)
        try:
            info = await self._call("info")
        except SourceError as exc:
            return [BackendStatus("elasticsearch", target, False, None, None, exc.message)]
        version = info.get("version", {}) if isinstance(info.get("version"), Mapping) else {}
        return [BackendStatus(
            "elasticsearch", target, True, str(version.get("number") or "?"),
            time.perf_counter() - started, str(info.get("cluster_name") or ""),
        )]

    # ------------------------------------------------------------------ the stream

    def set_query(self, query: LogQuery) -> None:
        """Narrow the stream; the next poll starts a new tail for it."""
        self.log_query = query

    async def fetch_error_stream(self, limit: int) -> ErrorStream:
        if self.log_query != self._for_query:
            self._reset()
        query = self.log_query
        now = self.clock()
        started = time.monotonic()
        tail_task = asyncio.ensure_future(self._poll_tail(query, now, limit))
        overview_task = asyncio.ensure_future(self._overview(query, now))
        try:
            (fresh, new_total, sampled), (histogram, services, seen) = await asyncio.gather(tail_task, overview_task)
        except BaseException:
            for task in (tail_task, overview_task):
                task.cancel()
            raise
        self._buffer.merge(fresh)
        rate = None
        if self._last_poll is not None:
            rate = new_total / max(1e-3, started - self._last_poll)
        self._last_poll = started
        return ErrorStream(
            events=tuple(self._buffer.items()[:limit]),
            histogram=histogram,
            bucket_s=BUCKET_S,
            by_service=services,
            new_events=new_total,
            rate_per_s=rate,
            sampled=sampled,
            skipped=self._skipped,
            query=query,
            services=seen,
        )

    async def _poll_tail(self, query: LogQuery, now: datetime, limit: int) -> tuple[list[LogEvent], int, bool]:
        """New events since the last poll: (events, how many arrived, sampled?)."""
        since = self._tail.since
        first = since is None
        start = now - timedelta(seconds=LOOKBACK_S) if first else since
        body_query = self._query(query, start)
        pit = await self._call(
            "open_point_in_time", index=",".join(self.backend.indices), keep_alive=PIT_KEEP_ALIVE,
            ignore_unavailable=True,
        )
        pit_id = pit.get("id")
        if not isinstance(pit_id, str):
            raise SourceError("bad_response", "elasticsearch: opening a point in time returned no id")
        try:
            if first:
                # the newest `limit` events, newest first
                hits, pit_id, total = await self._pages(pit_id, body_query, "desc", min(limit, FLOOD_BUDGET))
                events = _events(hits, query, self.backend.fields)
                fresh = self._tail.admit(reversed(events))
                return fresh, len(fresh), False
            # the re-read overlap (events already delivered, at most TAIL_LAG_S of them)
            # does not count towards the flood budget
            overlap = len(self._tail)
            hits, pit_id, total = await self._pages(
                pit_id, body_query, "asc", FLOOD_BUDGET + overlap, stop_over_budget=True
            )
            if total - overlap <= FLOOD_BUDGET:
                fresh = self._tail.admit(_events(hits, query, self.backend.fields))
                return fresh, len(fresh), False
            # a flood: keep the newest page as a sample, skip the rest; what arrived is
            # what is newer than the newest event seen before (the overlap re-read
            # after an earlier jump would count twice)
            newest, pit_id, _ = await self._pages(pit_id, body_query, "desc", PAGE)
            sample = _events(newest, query, self.backend.fields)
            arrived = await self._count(pit_id, self._query(query, self._tail.watermark or start, after=True))
            fresh = self._tail.admit(reversed(sample))
            if sample:
                self._tail.jump(sample[0].timestamp)
            self._skipped += max(0, arrived - len(fresh))
            return fresh, arrived, True
        finally:
            await self._close_pit(pit_id)

    async def _pages(
        self, pit_id: str, query: Mapping[str, Any], order: str, budget: int, *, stop_over_budget: bool = False
    ) -> tuple[list[Mapping[str, Any]], str, int]:
        """Hits in (timestamp, _shard_doc) order within the PIT, up to `budget`, paged
        with search_after. Returns (hits, the latest PIT id, total matching).
        stop_over_budget: stop after the first page when the total exceeds the budget
        (a flood: the caller samples instead of reading pages it will not keep)."""
        ts = self.backend.fields.timestamp
        sort = [{ts: {"order": order}}, {"_shard_doc": {"order": order}}]
        hits: list[Mapping[str, Any]] = []
        after: list[Any] | None = None
        total = 0
        while len(hits) < budget:
            size = min(PAGE, budget - len(hits))
            kwargs: dict[str, Any] = {
                "pit": {"id": pit_id, "keep_alive": PIT_KEEP_ALIVE},
                "query": query,
                "sort": sort,
                "size": size,
                "track_total_hits": after is None,
            }
            if after is not None:
                kwargs["search_after"] = after
            body = await self._call("search", **kwargs)
            pit_id = body.get("pit_id") if isinstance(body.get("pit_id"), str) else pit_id
            page = _hits(body)
            if after is None:
                total = _total(body)
                if stop_over_budget and total > budget:
                    return page, pit_id, total
            hits.extend(page)
            if len(page) < size:
                break
            after = page[-1].get("sort")
            if not isinstance(after, list):
                raise SourceError("bad_response", "elasticsearch: a hit without sort values")
        return hits, pit_id, total

    async def _count(self, pit_id: str, query: Mapping[str, Any]) -> int:
        body = await self._call(
            "search", pit={"id": pit_id, "keep_alive": PIT_KEEP_ALIVE}, query=query, size=0, track_total_hits=True
        )
        return _total(body)

    async def _close_pit(self, pit_id: str) -> None:
        try:
            await self._call("close_point_in_time", id=pit_id)
        except SourceError:
            pass  # it expires by itself after PIT_KEEP_ALIVE

    async def _overview(
        self, query: LogQuery, now: datetime
    ) -> tuple[tuple[LogBucket, ...], tuple[ServiceErrors, ...], tuple[str, ...]]:
        """The histogram and the service → component breakdown over LOOKBACK_S, and
        every service seen in that window with the service filter left out (what the
        pane's `s` cycles through: a second, small search only while a filter is on)."""
        f = self.backend.fields
        start = now - timedelta(seconds=LOOKBACK_S)
        seen_task = None
        if query.services:
            seen_task = asyncio.ensure_future(self._services_seen(LogQuery(text=query.text, levels=query.levels), start, now))
        try:
            histogram, services, seen = await self._overview_search(query, start, now)
            if seen_task is not None:
                seen = await seen_task
        finally:
            if seen_task is not None and not seen_task.done():
                seen_task.cancel()
        return histogram, services, seen

    async def _services_seen(self, query: LogQuery, start: datetime, now: datetime) -> tuple[str, ...]:
        aggs = await self._aggregate(query, start, now, {
            "seen": {"terms": {"field": self.backend.fields.service, "size": SERVICES_SEEN}},
        })
        return _seen(aggs.get("seen"))

    async def _overview_search(
        self, query: LogQuery, start: datetime, now: datetime
    ) -> tuple[tuple[LogBucket, ...], tuple[ServiceErrors, ...], tuple[str, ...]]:
        f = self.backend.fields
        aggs = await self._aggregate(query, start, now, {
            "timeline": {
                "date_histogram": {
                    "field": f.timestamp,
                    "fixed_interval": f"{int(BUCKET_S)}s",
                    "min_doc_count": 0,
                    "extended_bounds": {"min": _millis(start), "max": _millis(now)},
                }
            },
            "services": {
                "terms": {"field": f.service, "size": 10},
                "aggs": {"components": {"terms": {"field": f.component, "size": 10}}},
            },
            "seen": {"terms": {"field": f.service, "size": SERVICES_SEEN}},
        })
        return _timeline(aggs.get("timeline")), _services(aggs.get("services")), _seen(aggs.get("seen"))

    async def _aggregate(
        self, query: LogQuery, start: datetime, now: datetime, aggs: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        """Aggregations only (no hits) over the query's events between start and now;
        an answer without them is empty."""
        body = await self._call(
            "search",
            index=",".join(self.backend.indices),
            ignore_unavailable=True,
            allow_no_indices=True,
            size=0,
            query=self._query(query, start, now),
            aggs=dict(aggs),
        )
        return _aggregations(body)

    def _query(
        self, query: LogQuery, start: datetime, end: datetime | None = None, *, after: bool = False
    ) -> dict[str, Any]:
        """The bool query: levels, services, the time range (from `start`, or strictly
        after it) and the text, all as JSON values (SPEC §8 fix: a service filter is a
        filter, not a bare should)."""
        f = self.backend.fields
        levels = [lvl.value for lvl in query.levels] or list(self.backend.levels)
        time_range: dict[str, Any] = {"gt" if after else "gte": start.isoformat()}
        if end is not None:
            time_range["lte"] = end.isoformat()
        filters: list[dict[str, Any]] = [
            {"terms": {f.level: levels}},
            {"range": {f.timestamp: time_range}},
        ]
        if query.services:
            filters.append({"terms": {f.service: list(query.services)}})
        out: dict[str, Any] = {"bool": {"filter": filters}}
        whole = loglogic.whole_words(query.text)
        if whole:
            # a prefilter only: every hit is confirmed literally (`_events`)
            out["bool"]["must"] = [{
                "bool": {
                    "should": [
                        {"match": {field: {"query": whole, "operator": "and"}}}
                        for field in (f.message, "error.message", "error.name")
                    ],
                    "minimum_should_match": 1,
                }
            }]
        return out


def _source_error(exc: BaseException, where: str, timeout_s: float) -> SourceError:
    """The client's exception as one line naming the cluster."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None) or getattr(getattr(exc, "meta", None), "status", None)
    if name in ("ConnectionTimeout",) or isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return SourceError("timeout", f"elasticsearch at {where}: no answer in {timeout_s:g} s")
    if name == "ConnectionError":
        return SourceError("unreachable", f"elasticsearch at {where}: cannot connect (refused, or the host is down)")
    if name == "UnsupportedProductError":
        return SourceError("bad_response", f"elasticsearch at {where}: the server is not Elasticsearch (no X-Elastic-Product header)")
    if name == "SerializationError":
        return SourceError("bad_response", f"elasticsearch at {where}: the answer is not valid JSON (truncated, or a proxy's page)")
    if status in (401, 403):
        return SourceError("auth", f"elasticsearch at {where}: HTTP {status}, credentials refused")
    if isinstance(status, int):
        return SourceError("bad_response", f"elasticsearch at {where}: HTTP {status}: {_reason(exc)}")
    return SourceError("bad_response", f"elasticsearch at {where}: {name}: {' '.join(str(exc).split())[:160]}")


def _reason(exc: BaseException) -> str:
    """Elasticsearch's error type and reason, or the start of a non-JSON body."""
    body = getattr(exc, "body", None)
    found = error_reason(body)
    if found is not None:
        return found
    text = body if isinstance(body, str) else str(getattr(exc, "message", "") or exc)
    return " ".join(text.split())[:120] or type(exc).__name__
# pragma: no mutate end


# --------------------------------------------------------------------------- parsing


def _events(hits: list[Mapping[str, Any]], query: LogQuery, fields: LogFields) -> list[LogEvent]:
    """Hits → events (malformed ones dropped), confirmed against the literal query."""
    out = []
    for hit in hits:
        event = _event(hit, fields)
        if event is not None and loglogic.matches(event, query):
            out.append(event)
    return out


def _event(hit: Mapping[str, Any], f: LogFields) -> LogEvent | None:
    """One search hit as an event, its fields found by the configured names; None
    without a _source object or a readable timestamp."""
    src = hit.get("_source")
    if not isinstance(src, Mapping):
        return None
    ts = parse_time(get_path(src, f.timestamp))
    if ts is None:
        return None
    error = src.get("error") if isinstance(src.get("error"), Mapping) else {}
    return LogEvent(
        id=f"{hit.get('_index', '')}/{hit.get('_id', '')}",
        timestamp=ts,
        level=LogLevel.parse(_text(get_path(src, f.level))),
        service=_text(get_path(src, f.service)),
        message=_text(get_path(src, f.message)),
        component=_text(get_path(src, f.component)),
        trace_id=_text(get_path(src, f.trace_id)),
        span_id=_text(src.get("span_id")),
        correlation_id=_text(src.get("correlation_id")),
        host=_text(src.get("hostname") or get_path(src, "host.name")),
        error_name=_text(error.get("name")),
        error_message=_text(error.get("message")),
        error_stack=_text(error.get("stack")),
        metadata=_metadata(src.get("metadata")),
    )


def _aggregations(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """A search answer's aggregations; an answer without them is empty."""
    found = body.get("aggregations")
    return found if isinstance(found, Mapping) else {}


def _text(value: Any) -> str:
    """A field as bounded text; a list (some shippers send tags as one) joined."""
    if isinstance(value, list):
        return clip(", ".join(scalar_text(v) for v in value[:100]))
    return scalar_text(value)


def _metadata(value: Any) -> dict[str, Any]:
    """`metadata` with its values bounded like every other field (at most 50 keys)."""
    if not isinstance(value, Mapping):
        return {}
    return {str(k)[:100]: _text(v) if not isinstance(v, (int, float, bool)) else v
            for k, v in list(value.items())[:50]}


def _millis(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def _hits(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    hits = body.get("hits")
    inner = hits.get("hits") if isinstance(hits, Mapping) else None
    if not isinstance(inner, list):
        raise SourceError("bad_response", "elasticsearch: the search answer has no hits.hits list")
    return [h for h in inner if isinstance(h, Mapping)]


def _total(body: Mapping[str, Any]) -> int:
    hits = body.get("hits")
    total = hits.get("total") if isinstance(hits, Mapping) else None
    if isinstance(total, Mapping):
        total = total.get("value")
    return total if isinstance(total, int) else 0


def _timeline(agg: Any) -> tuple[LogBucket, ...]:
    out = []
    for b in buckets(agg):
        start, count = parse_time(b.get("key")), b.get("doc_count")
        if start is not None and isinstance(count, int):
            out.append(LogBucket(start, count))
    return tuple(out)


def _seen(agg: Any) -> tuple[str, ...]:
    """Service names of a terms aggregation, sorted."""
    return tuple(sorted({_text(b.get("key")) for b in buckets(agg)} - {""}))


def _services(agg: Any) -> tuple[ServiceErrors, ...]:
    return tuple(
        ServiceErrors(
            _text(b.get("key")),
            int(b.get("doc_count") or 0),
            tuple((_text(c.get("key")), int(c.get("doc_count") or 0)) for c in buckets(b.get("components"))),
        )
        for b in buckets(agg)
    )
