"""The demo's Elasticsearch: ERROR/FATAL log events (SPEC §8 fields).

Time is cut into 10 s buckets. Each bucket's events depend only on (timeline, bucket), so
they are generated once and cached, ids are stable across calls (`demo-<bucket>-<n>`),
and a 5,000-event request is a walk over cached tuples. In calm a trickle of errors comes
from every service (about one every 30 s); during the incident aigym-api bursts.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache

from obsconsole.model import LogEvent, LogLevel
from obsconsole.sources.demo.curves import Timeline, rng, to_datetime
from obsconsole.sources.demo.topology import SERVICE_BY_NAME

BUCKET_S = 10.0
#: the error stream covers the last hour (SPEC §8: error analysis over now-1h)
WINDOW_S = 3600.0
#: chance that a calm 10 s bucket holds one error: one every ~30 s on average
_CALM_CHANCE = 0.33
#: errors per 10 s bucket at full incident intensity
_BURST_PER_BUCKET = 11.0
_FATAL_SHARE = 0.08

ENVIRONMENT = "production"
VERSION = "2.14.3"


@dataclass(frozen=True)
class _Template:
    service: str
    component: str
    error_name: str
    error_message: str
    #: the log line; may use {method} {path} {status}
    message: str
    code: str
    frame: str  # "function (file)" of the innermost stack frame


_CALM: tuple[_Template, ...] = (
    _Template("aigym-auth", "token", "AuthApiError", "refresh token has been revoked",
              "token refresh failed for session", "refresh_token_revoked",
              "refreshSession (src/auth/session.ts"),
    _Template("aigym-conversations", "llm-client", "UpstreamTimeoutError",
              "model provider did not answer within 30000 ms",
              "AI completion timed out", "ETIMEDOUT", "complete (src/llm/client.ts"),
    _Template("aigym-edge-functions", "chat", "TypeError",
              "Cannot read properties of undefined (reading 'content')",
              "edge function chat threw", "EDGE_FUNCTION_ERROR",
              "handler (functions/chat/index.ts"),
    _Template("supabase-db", "postgres", "QueryCanceledError",
              "canceling statement due to statement timeout",
              "statement timeout on conversation_messages", "57014",
              "exec_simple_query (postgres.c"),
    _Template("aigym-api", "handler", "InternalServerError",
              "unexpected null organization_id in content_assignments",
              "{method} {path} failed with {status}", "500",
              "listAssignments (src/routes/assignments.ts"),
)

_BURST: tuple[_Template, ...] = (
    _Template("aigym-api", "db-pool", "PoolTimeoutError",
              "timed out acquiring a connection after 5000 ms (pool size 20)",
              "connection pool exhausted", "POOL_TIMEOUT",
              "acquire (src/db/pool.ts"),
    _Template("aigym-api", "handler", "ServiceUnavailableError",
              "no database connection available",
              "{method} {path} failed with {status}", "503",
              "handleRequest (src/server/handler.ts"),
    _Template("aigym-api", "upstream", "UpstreamError",
              "supabase-db reset the connection (ECONNRESET)",
              "upstream supabase-db failed", "ECONNRESET",
              "forward (src/upstream/postgrest.ts"),
)

_FATAL = _Template("aigym-api", "runtime", "WatchdogTimeout",
                   "event loop blocked for more than 10 s",
                   "worker process exiting: event loop blocked", "WATCHDOG",
                   "watchdog (src/server/watchdog.ts")

_ENDPOINTS: tuple[tuple[str, str], ...] = (
    ("GET", "/rest/v1/content_items"),
    ("POST", "/rest/v1/conversations"),
    ("GET", "/rest/v1/conversation_messages"),
    ("POST", "/functions/v1/chat"),
    ("GET", "/rest/v1/user_profiles"),
    ("PATCH", "/rest/v1/content_assignments"),
)


def _stack(t: _Template, r: random.Random) -> str:
    return (
        f"{t.error_name}: {t.error_message}\n"
        f"    at {t.frame}:{r.randint(20, 400)}:{r.randint(5, 40)})\n"
        f"    at processTicksAndRejections (node:internal/process/task_queues:95:5)"
    )


def _event(
    bucket: int, n: int, ts: float, t: _Template, level: LogLevel,
    r: random.Random, trace_id: str | None = None,
) -> LogEvent:
    method, path = r.choice(_ENDPOINTS)
    status = t.code if t.code.isdigit() and len(t.code) == 3 else "500"
    svc = SERVICE_BY_NAME[t.service]
    trace = trace_id or f"{r.getrandbits(128):032x}"
    metadata = {
        "http.method": method,
        "http.url": path,
        "http.status_code": int(status),
        "duration_ms": round(r.uniform(40, 5200), 1),
        "user_id": f"usr_{r.getrandbits(32):08x}",
        "session_id": f"ses_{r.getrandbits(40):010x}",
        "organization_id": f"org_{r.randint(1, 40):03d}",
        "environment": ENVIRONMENT,
        "version": VERSION,
        "error.code": t.code,
        "tags": ("errors", t.service),
    }
    return LogEvent(
        id=f"demo-{bucket}-{n:02d}",
        timestamp=to_datetime(ts),
        level=level,
        service=t.service,
        message=t.message.format(method=method, path=path, status=status),
        component=t.component,
        trace_id=trace,
        span_id=f"{r.getrandbits(64):016x}",
        correlation_id=f"cor_{r.getrandbits(48):012x}",
        host=r.choice(svc.hosts),
        error_name=t.error_name,
        error_message=t.error_message,
        error_stack=_stack(t, r),
        metadata=metadata,
    )


@lru_cache(maxsize=16_384)
def bucket_events(tl: Timeline, bucket: int) -> tuple[LogEvent, ...]:
    """Every error event of one 10 s bucket, newest first."""
    start = bucket * BUCKET_S
    r = rng(tl.seed, "logs", bucket)
    events: list[LogEvent] = []
    if r.random() < _CALM_CHANCE:
        ts = start + r.uniform(0.0, BUCKET_S)
        events.append(_event(bucket, len(events), ts, r.choice(_CALM), LogLevel.ERROR, r))
    intensity = tl.intensity(start + BUCKET_S / 2)
    if intensity > 0.0:
        count = max(0, round(_BURST_PER_BUCKET * intensity + r.uniform(-2.5, 2.5)))
        trace: str | None = None
        for _ in range(count):
            ts = start + r.uniform(0.0, BUCKET_S)
            fatal = r.random() < _FATAL_SHARE
            template = _FATAL if fatal else r.choice(_BURST)
            level = LogLevel.FATAL if fatal else LogLevel.ERROR
            # a failed request logs at several layers: reuse the previous trace id now
            # and then, so the error stream shows correlated events
            reuse = trace if trace is not None and r.random() < 0.3 else None
            event = _event(bucket, len(events), ts, template, level, r, reuse)
            trace = event.trace_id
            events.append(event)
    events.sort(key=lambda e: (e.timestamp, e.id), reverse=True)
    return tuple(events)


def recent_errors(tl: Timeline, now: float, limit: int) -> tuple[LogEvent, ...]:
    """At most `limit` events of the last hour up to `now`, newest first."""
    if limit <= 0:
        return ()
    oldest = now - WINDOW_S
    out: list[LogEvent] = []
    bucket = math.floor(now / BUCKET_S)
    last = math.floor(oldest / BUCKET_S)
    while bucket >= last and len(out) < limit:
        for event in bucket_events(tl, bucket):
            ts = event.timestamp.timestamp()
            if oldest < ts <= now:
                out.append(event)
                if len(out) >= limit:
                    break
        bucket -= 1
    return tuple(out)
