"""The error stream's pure parts: literal matching, the histogram and the per-service
breakdown, and the tail's bookkeeping (which events are new, flood sampling).

The Elasticsearch source asks the server for the same things (a query, a
date_histogram, a terms aggregation); the demo computes them here from its events, and
the Elasticsearch source uses `matches` to confirm its server-side text search literally.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Iterable, Sequence

from obsconsole.model import LogBucket, LogEvent, LogLevel, LogQuery, ServiceErrors

#: the fields a free-text search looks in (SPEC §8 names)
SEARCHED_FIELDS = ("message", "service", "component", "trace_id", "correlation_id", "error_name", "error_message")


def matches(event: LogEvent, query: LogQuery, default_levels: Sequence[LogLevel] = ()) -> bool:
    """Whether `event` passes `query`: level (the query's, else the defaults), service,
    and the text as a literal, case-insensitive substring of one searched field."""
    levels = query.levels or tuple(default_levels)
    if levels and event.level not in levels:
        return False
    if query.services and event.service not in query.services:
        return False
    if query.text:
        needle = query.text.casefold()
        return any(needle in str(getattr(event, f) or "").casefold() for f in SEARCHED_FIELDS)
    return True


def whole_words(text: str) -> str:
    """The part of a search text made of whole words, for a server-side full-text
    prefilter: the first and last whitespace-separated chunks are dropped when they touch
    the ends of the text, since the user may have typed only part of a word there
    ("pool exh" is in "pool exhausted", but no index holds the token "exh"). Empty when
    nothing is certainly whole: then only the literal match decides.

    The result is data for a `match` query, which analyses it like the indexed text and
    has no query syntax."""
    chunks = text.split()
    if not chunks:
        return ""
    if not text[:1].isspace():
        chunks = chunks[1:]
    if chunks and not text[-1:].isspace():
        chunks = chunks[:-1]
    return " ".join(chunks)


def histogram(
    events: Iterable[LogEvent], now: datetime, window_s: float, bucket_s: float
) -> tuple[LogBucket, ...]:
    """Counts per `bucket_s` over the `window_s` before `now`, oldest first, empty buckets
    included; buckets are aligned to multiples of bucket_s since the epoch (as
    Elasticsearch's fixed_interval aligns them)."""
    if bucket_s <= 0 or window_s <= 0:
        return ()
    end = now.timestamp()
    first = math.floor((end - window_s) / bucket_s) * bucket_s
    n = int(math.floor(end / bucket_s) * bucket_s - first) // int(bucket_s) + 1
    counts = [0] * n
    for e in events:
        index = int((e.timestamp.timestamp() - first) // bucket_s)
        if 0 <= index < n and e.timestamp.timestamp() <= end:
            counts[index] += 1
    start = datetime.fromtimestamp(first, timezone.utc)
    return tuple(LogBucket(start + timedelta(seconds=i * bucket_s), c) for i, c in enumerate(counts))


def by_service(events: Iterable[LogEvent], top: int = 10) -> tuple[ServiceErrors, ...]:
    """Events per service and, within each, per component; largest first (ties by
    name), at most `top` of each."""
    services: Counter[str] = Counter()
    components: dict[str, Counter[str]] = {}
    for e in events:
        services[e.service] += 1
        components.setdefault(e.service, Counter())[e.component or "–"] += 1
    ranked = sorted(services.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return tuple(
        ServiceErrors(s, n, tuple(sorted(components[s].items(), key=lambda kv: (-kv[1], kv[0]))[:top]))
        for s, n in ranked
    )


class TailState:
    """Which events a tail has already delivered, so a poll that re-reads an overlap
    (events sharing the last timestamp, late arrivals inside the lag) adds each event
    once. Memory is bounded by the lag: ids older than `watermark - lag` are forgotten,
    and the next poll starts there."""

    def __init__(self, lag_s: float) -> None:
        self.lag_s = lag_s
        self.watermark: datetime | None = None
        self._seen: dict[str, datetime] = {}

    @property
    def since(self) -> datetime | None:
        """Where the next poll starts reading (inclusive)."""
        if self.watermark is None:
            return None
        return self.watermark - timedelta(seconds=self.lag_s)

    def admit(self, events: Iterable[LogEvent]) -> list[LogEvent]:
        """The events not delivered before, in the order given; records them."""
        fresh = []
        for e in events:
            if e.id in self._seen:
                continue
            self._seen[e.id] = e.timestamp
            fresh.append(e)
            if self.watermark is None or e.timestamp > self.watermark:
                self.watermark = e.timestamp
        self._forget()
        return fresh

    def jump(self, to: datetime) -> None:
        """A flood skipped ahead: continue from `to`."""
        if self.watermark is None or to > self.watermark:
            self.watermark = to
        self._forget()

    def _forget(self) -> None:
        since = self.since
        if since is not None:
            self._seen = {k: t for k, t in self._seen.items() if t >= since}

    def __len__(self) -> int:
        return len(self._seen)
