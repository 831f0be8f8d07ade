"""A small instrumented service for the tests: it simulates the AI GYM services' traffic
and exposes it as Prometheus metrics, and can be told over HTTP to degrade.

    python tests/sample_service.py --port 9400      (--port 0: any free port, printed)

GET  /metrics     the metrics (Prometheus text format)
GET  /control     the current settings of every service
POST /control     {"service": "aigym-api", "latency_s": 3.0, "error_share": 0.2, ...}
                  partial updates; an unknown service or key, or a bad value -> 400
POST /reset       every service back to healthy (the defaults)

Settings per service (defaults in DEFAULTS): latency_s, error_share (share of requests
answered 500), conversation_failure_share, auth_failures_per_s, rollback_share, requests_per_tick. The
conversation, auth and rollback settings drive aigym_conversations_total,
aigym_auth_failures_total and supabase-db's transaction counters whichever service they
are set on (those metrics carry no service label): set them on aigym-conversations,
aigym-auth and aigym-api.

Traffic is simulated, not random: every 100 ms each service records `requests_per_tick`
requests (default 20, i.e. 200 req/s); an `error_share` of 0.2 makes exactly every fifth
one a 500 (an accumulator, not a coin), so the ratio a query computes is the injected one.
Latencies spread ±8 % around the configured value but never leave the histogram bucket
that holds it, so quantiles are predictable (3.0 s: every observation in (2.5, 5]).

Metrics (own CollectorRegistry):
    http_request_duration_seconds{service, endpoint, status}   histogram
    http_requests_total{service, endpoint, status}              counter
    aigym_conversations_total{status="completed"|"failed"}      counter
    aigym_auth_failures_total                                    counter
    pg_stat_database_xact_commit{datname="postgres"}            rising, as postgres_exporter
    pg_stat_database_xact_rollback{datname="postgres"}          names them (supabase-db)
Every status series exists from the start (at 0), so a healthy service's 5xx ratio is 0,
not absent.
"""

from __future__ import annotations

import argparse
import json
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

SERVICES = ("aigym-api", "aigym-auth", "aigym-conversations", "aigym-edge-functions")
ENDPOINT = {
    "aigym-api": "/rest/v1/content_items",
    "aigym-auth": "/auth/v1/token",
    "aigym-conversations": "/functions/v1/chat",
    "aigym-edge-functions": "/functions/v1/score",
}
DEFAULTS: dict[str, float] = {
    "latency_s": 0.08,
    "error_share": 0.0,
    "conversation_failure_share": 0.0,
    "auth_failures_per_s": 0.0,
    "rollback_share": 0.0,
    "requests_per_tick": 20,
}
#: settings that are shares: 0 to 1
SHARES = ("error_share", "conversation_failure_share", "rollback_share")
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0)
TICK_S = 0.1
CONVERSATIONS_PER_TICK = 5
TRANSACTIONS_PER_TICK = 10
#: the spread of the observed latencies around the configured one (±8 %), in 5 steps
SPREAD = tuple(0.92 + 0.16 * i / 4 for i in range(5))


class _Share:
    """Deterministic share: `next()` is True for exactly `share` of the calls."""

    def __init__(self) -> None:
        self.acc = 0.0

    def next(self, share: float) -> bool:
        self.acc += share
        if self.acc >= 1.0 - 1e-9:
            self.acc -= 1.0
            return True
        return False


def bucket_of(value: float) -> tuple[float, float]:
    """The histogram bucket (lower, upper] holding `value` (upper inf above the last)."""
    lower = 0.0
    for upper in BUCKETS:
        if value <= upper:
            return lower, upper
        lower = upper
    return lower, math.inf


def latencies(base: float) -> tuple[float, ...]:
    """The observed latencies for a configured one: ±8 %, kept inside base's bucket."""
    lower, upper = bucket_of(base)
    # just above the lower bound (buckets are (lower, upper]); 0 stays 0
    floor = lower + (upper - lower) * 1e-6 if math.isfinite(upper) else lower * (1 + 1e-6)
    return tuple(min(upper, max(floor, base * f)) if base > 0 else 0.0 for f in SPREAD)


class SampleService:
    """The simulated services; `start()` serves HTTP and ticks in daemon threads."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1", extra_services: tuple[str, ...] = ()) -> None:
        #: the simulated services; extra ones (e.g. a hostile name for the sanitizer
        #: tests) serve endpoint "/"
        self.services = SERVICES + tuple(extra_services)
        self.registry = CollectorRegistry()
        labels = ["service", "endpoint", "status"]
        self.duration = Histogram(
            "http_request_duration_seconds", "Request duration in seconds",
            labels, buckets=BUCKETS, registry=self.registry,
        )
        self.requests = Counter("http_requests_total", "HTTP requests", labels, registry=self.registry)
        self.conversations = Counter(
            "aigym_conversations_total", "AI conversations by outcome", ["status"], registry=self.registry,
        )
        self.auth_failures = Counter("aigym_auth_failures_total", "Failed logins", registry=self.registry)
        # postgres_exporter's names have no _total suffix, which prometheus_client adds to
        # every Counter: a Gauge that only ever goes up gives the exact name (rate() does
        # not look at the TYPE line)
        self.commits = Gauge(
            "pg_stat_database_xact_commit", "Transactions committed", ["datname"], registry=self.registry,
        )
        self.rollbacks = Gauge(
            "pg_stat_database_xact_rollback", "Transactions rolled back", ["datname"], registry=self.registry,
        )
        self.commits.labels("postgres")
        self.rollbacks.labels("postgres")
        for service in self.services:
            for status in ("200", "500"):
                self.duration.labels(service, ENDPOINT.get(service, "/"), status)
                self.requests.labels(service, ENDPOINT.get(service, "/"), status)
        for status in ("completed", "failed"):
            self.conversations.labels(status)
        self.lock = threading.Lock()
        self.settings: dict[str, dict[str, float]] = {}
        self._reset_locked()
        self._stop = threading.Event()
        self._host = host
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ traffic

    def tick(self) -> None:
        """Record one tick (100 ms) of traffic for every service."""
        with self.lock:
            for service, cfg in self.settings.items():
                endpoint = ENDPOINT.get(service, "/")
                observed = latencies(float(cfg["latency_s"]))
                share = float(cfg["error_share"])
                for i in range(int(cfg["requests_per_tick"])):
                    status = "500" if self._errors[service].next(share) else "200"
                    self.duration.labels(service, endpoint, status).observe(observed[i % len(observed)])
                    self.requests.labels(service, endpoint, status).inc()
            conv_share = max(float(c["conversation_failure_share"]) for c in self.settings.values())
            for _ in range(CONVERSATIONS_PER_TICK):
                failed = self._conv.next(conv_share)
                self.conversations.labels("failed" if failed else "completed").inc()
            rollback_share = max(float(c["rollback_share"]) for c in self.settings.values())
            for _ in range(TRANSACTIONS_PER_TICK):
                counter = self.rollbacks if self._rollback.next(rollback_share) else self.commits
                counter.labels("postgres").inc()
            self._auth_acc += sum(float(c["auth_failures_per_s"]) for c in self.settings.values()) * TICK_S
            whole = int(self._auth_acc + 1e-9)
            if whole:
                self.auth_failures.inc(whole)
                self._auth_acc -= whole

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            self.tick()
            next_at += TICK_S
            delay = next_at - time.monotonic()
            if delay < -1.0:  # fell far behind (a suspended machine): do not burst
                next_at = time.monotonic()
            self._stop.wait(max(0.0, delay))

    # ------------------------------------------------------------------ control

    def update(self, body: dict[str, Any]) -> None:
        """Apply a partial update {"service": ..., key: value, ...}; ValueError if invalid."""
        service = body.get("service")
        if service not in self.services:
            raise ValueError(f"unknown service {service!r} (have: {', '.join(self.services)})")
        changes = {k: v for k, v in body.items() if k != "service"}
        unknown = sorted(set(changes) - set(DEFAULTS))
        if unknown:
            raise ValueError(f"unknown setting(s) {', '.join(unknown)} (have: {', '.join(DEFAULTS)})")
        for key, value in changes.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{key}: expected a number >= 0, got {value!r}")
            if key in SHARES and value > 1:
                raise ValueError(f"{key}: a share is 0 to 1, got {value!r}")
            if key == "requests_per_tick" and value != int(value):
                raise ValueError(f"{key}: expected a whole number, got {value!r}")
        with self.lock:
            for key, value in changes.items():
                self.settings[service][key] = int(value) if key == "requests_per_tick" else float(value)

    def reset(self) -> None:
        """Every service healthy again."""
        with self.lock:
            self._reset_locked()

    def _reset_locked(self) -> None:
        self.settings = {s: dict(DEFAULTS) for s in self.services}
        self._errors = {s: _Share() for s in self.services}
        self._conv = _Share()
        self._rollback = _Share()
        self._auth_acc = 0.0

    def current(self) -> dict[str, dict[str, float]]:
        with self.lock:
            return {s: dict(v) for s, v in self.settings.items()}

    # ------------------------------------------------------------------ HTTP

    def start(self) -> int:
        """Serve and tick in daemon threads; returns the bound port."""
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _send(self, code: int, body: bytes, ctype: str = "application/json") -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, code: int, value: Any) -> None:
                self._send(code, json.dumps(value).encode())

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, generate_latest(service.registry), CONTENT_TYPE_LATEST)
                elif path == "/control":
                    self._json(200, service.current())
                else:
                    self._json(404, {"error": f"not found: GET {path}"})

            def do_POST(self) -> None:
                path = self.path.split("?", 1)[0]
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if path == "/reset":
                    service.reset()
                    self._json(200, service.current())
                    return
                if path != "/control":
                    self._json(404, {"error": f"not found: POST {path}"})
                    return
                try:
                    body = json.loads(raw or b"{}")
                    if not isinstance(body, dict):
                        raise ValueError("expected a JSON object")
                    service.update(body)
                except ValueError as exc:  # json.JSONDecodeError is a ValueError
                    self._json(400, {"error": str(exc)})
                    return
                self._json(200, service.current()[body["service"]])

        self._server = ThreadingHTTPServer((self._host, self._port), Handler)
        self._server.daemon_threads = True
        self._port = int(self._server.server_address[1])
        for target in (self._server.serve_forever, self._run):
            thread = threading.Thread(target=target, daemon=True, name=f"sample-service-{target.__name__}")
            thread.start()
            self._threads.append(thread)
        return self._port

    @property
    def port(self) -> int:
        return self._port

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        for thread in self._threads:
            thread.join(5)
        self._threads.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--port", type=int, default=9400, help="0: any free port (default 9400)")
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    service = SampleService(args.port, args.host)
    port = service.start()
    print(f"sample service on http://{args.host}:{port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        service.stop()


if __name__ == "__main__":
    main()
