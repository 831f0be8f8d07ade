"""A small instrumented service for the tests: it simulates the AI GYM services' traffic
and exposes it as Prometheus metrics, and can be told over HTTP to degrade.

    python tests/sample_service.py --port 9400

GET /metrics      the metrics (Prometheus text format)
GET /control      the current settings of every service
POST /control     {"service": "aigym-api", "latency_s": 3.0, "error_share": 0.2, ...}
POST /reset       every service back to healthy

Traffic is simulated, not random: every 100 ms each service records `requests_per_tick`
requests; an `error_share` of 0.2 makes exactly every fifth one a 500, so the ratio a
query computes is the injected one. Latencies stay inside one histogram bucket around
the configured value, so quantiles are predictable.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
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
    "requests_per_tick": 20,
}
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0)
TICK_S = 0.1
CONVERSATIONS_PER_TICK = 5


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


class SampleService:
    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self.registry = CollectorRegistry()
        self.duration = Histogram(
            "http_request_duration_seconds", "Request duration",
            ["service", "endpoint", "status"], buckets=BUCKETS, registry=self.registry,
        )
        self.requests = Counter(
            "http_requests_total", "Requests", ["service", "endpoint", "status"], registry=self.registry,
        )
        self.conversations = Counter(
            "aigym_conversations_total", "AI conversations", ["status"], registry=self.registry,
        )
        self.auth_failures = Counter("aigym_auth_failures_total", "Failed logins", registry=self.registry)
        self.lock = threading.Lock()
        self.settings = {s: dict(DEFAULTS) for s in SERVICES}
        self._errors = {s: _Share() for s in SERVICES}
        self._conv = _Share()
        self._auth_acc = 0.0
        self._stop = threading.Event()
        self._host = host
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ traffic

    def tick(self) -> None:
        with self.lock:
            settings = {s: dict(v) for s, v in self.settings.items()}
        for service, cfg in settings.items():
            n = int(cfg["requests_per_tick"])
            base = float(cfg["latency_s"])
            for i in range(n):
                status = "500" if self._errors[service].next(float(cfg["error_share"])) else "200"
                # ±8 % around the configured latency: stays within one bucket
                latency = base * (0.92 + 0.16 * (i % 5) / 4)
                self.duration.labels(service, ENDPOINT[service], status).observe(latency)
                self.requests.labels(service, ENDPOINT[service], status).inc()
        conv = settings["aigym-conversations"]
        for _ in range(CONVERSATIONS_PER_TICK):
            failed = self._conv.next(float(conv["conversation_failure_share"]))
            self.conversations.labels("failed" if failed else "completed").inc()
        self._auth_acc += float(settings["aigym-auth"]["auth_failures_per_s"]) * TICK_S
        whole = int(self._auth_acc)
        if whole:
            self.auth_failures.inc(whole)
            self._auth_acc -= whole

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            self.tick()
            next_at += TICK_S
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    # ------------------------------------------------------------------ control

    def update(self, body: dict[str, Any]) -> None:
        service = body.get("service")
        if service not in self.settings:
            raise ValueError(f"unknown service {service!r} (have: {', '.join(SERVICES)})")
        changes = {k: v for k, v in body.items() if k != "service"}
        unknown = sorted(set(changes) - set(DEFAULTS))
        if unknown:
            raise ValueError(f"unknown setting(s) {', '.join(unknown)} (have: {', '.join(DEFAULTS)})")
        for key, value in changes.items():
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{key}: expected a number >= 0, got {value!r}")
        with self.lock:
            self.settings[service].update({k: float(v) for k, v in changes.items()})

    def reset(self) -> None:
        with self.lock:
            self.settings = {s: dict(DEFAULTS) for s in SERVICES}

    # ------------------------------------------------------------------ HTTP

    def start(self) -> int:
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

            def do_GET(self) -> None:
                if self.path == "/metrics":
                    self._send(200, generate_latest(service.registry), CONTENT_TYPE_LATEST)
                elif self.path == "/control":
                    with service.lock:
                        self._send(200, json.dumps(service.settings).encode())
                else:
                    self._send(404, b'{"error": "not found"}')

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                if self.path == "/reset":
                    service.reset()
                    self._send(200, b'{"ok": true}')
                    return
                if self.path != "/control":
                    self._send(404, b'{"error": "not found"}')
                    return
                try:
                    body = json.loads(raw or b"{}")
                    if not isinstance(body, dict):
                        raise ValueError("expected a JSON object")
                    service.update(body)
                except (ValueError, json.JSONDecodeError) as exc:
                    self._send(400, json.dumps({"error": str(exc)}).encode())
                    return
                self._send(200, b'{"ok": true}')

        self._server = ThreadingHTTPServer((self._host, self._port), Handler)
        self._port = self._server.server_address[1]
        for target in (self._server.serve_forever, self._run):
            thread = threading.Thread(target=target, daemon=True)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=9400)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    service = SampleService(args.port, args.host)
    port = service.start()
    print(f"sample service on http://{args.host}:{port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        service.stop()


if __name__ == "__main__":
    main()
