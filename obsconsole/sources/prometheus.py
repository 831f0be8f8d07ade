"""Prometheus (and Thanos / Mimir / Cortex: the same HTTP API) through
prometheus-api-client.

The client is synchronous (requests), so every call runs in a worker thread
(`asyncio.to_thread`), never on the event loop. Everything is computed in PromQL on the
server (quantiles, ratios, SLO error ratios over 30 days); the console pulls results,
not raw series. Range queries (sparklines, the latency chart) ask for as many points as
the pane can draw.

Failures become `SourceError`: unreachable, timeout, auth (401/403), bad_response
(an answer that is not Prometheus JSON, or a query error).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping, Sequence

from obsconsole.config import Context, PrometheusBackend, fill_slo_query
from obsconsole.model import (
    HostGauge,
    ServiceLatency,
    SLODefinition,
    SLOMeasurement,
    SourceError,
)
from obsconsole.model import BackendStatus
from obsconsole.sources.http import auth_headers

Clock = Callable[[], datetime]

#: how far back the CPU sparkline and the latency chart reach
CPU_HISTORY_S = 300.0
LATENCY_HISTORY_S = 15 * 60.0


# pragma: no mutate start
# Queries and transport (the client in a thread, its errors): run against a real
# Prometheus by tests/test_prometheus_stack.py; the answers are read by the pure
# functions below, which mutation testing covers (tests/test_answers.py).
def promql_duration(seconds: float) -> str:
    """Seconds as a PromQL duration: 300 → 5m, 2592000 → 30d, 90 → 90s."""
    s = int(round(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size and s % size == 0:
            return f"{s // size}{unit}"
    return f"{max(s, 1)}s"


def _selector(*matchers: str) -> str:
    parts = [m for m in matchers if m]
    return "{" + ",".join(parts) + "}" if parts else ""


class PromQL:
    """The queries of SPEC §2, §3 and §7 (with its FIXes), for one label mapping."""

    def __init__(self, service_label: str, http_selector: str, rate_window_s: float) -> None:
        self.svc = service_label
        self.sel = http_selector
        self.w = promql_duration(rate_window_s)

    # ---- infra (SPEC §2)
    def cpu(self) -> str:
        return f'100 - (avg by (instance) (irate(node_cpu_seconds_total{{mode="idle"}}[{self.w}])) * 100)'

    def memory(self) -> str:
        return "(1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes) * 100"

    def disk(self) -> str:
        # FIX (SPEC §2): used %, not free %; the fullest filesystem of each host
        fs = 'fstype!~"tmpfs|overlay|squashfs|ramfs|devtmpfs"'
        return (
            f"max by (instance) ((1 - node_filesystem_avail_bytes{{{fs}}} "
            f"/ node_filesystem_size_bytes{{{fs}}}) * 100)"
        )

    def network(self) -> str:
        dev = 'device!="lo"'
        return (
            f"sum by (instance) (rate(node_network_receive_bytes_total{{{dev}}}[{self.w}]) "
            f"+ rate(node_network_transmit_bytes_total{{{dev}}}[{self.w}]))"
        )

    # ---- latency (SPEC §3)
    def quantile(self, q: float) -> str:
        # FIX (SPEC §3): sum by (le, service) before histogram_quantile
        sel = _selector(self.sel)
        return (
            f"histogram_quantile({q}, sum by (le, {self.svc}) "
            f"(rate(http_request_duration_seconds_bucket{sel}[{self.w}])))"
        )

    def error_ratio(self) -> str:
        # FIX (SPEC §3): 5xx of a service over all requests of that service.
        # A service that never failed usually has no 5xx series at all (client libraries
        # create a label child on first use): `or … * 0` gives it a 5xx rate of 0, so its
        # ratio is 0, not absent. Only a service without requests has no ratio (0/0: NaN).
        five = _selector('status=~"5.."', self.sel)
        every = f"sum by ({self.svc}) (rate(http_requests_total{_selector(self.sel)}[{self.w}]))"
        return (
            f"(sum by ({self.svc}) (rate(http_requests_total{five}[{self.w}])) or ({every} * 0)) "
            f"/ {every}"
        )

    def request_rate(self) -> str:
        return f"sum by ({self.svc}) (rate(http_requests_total{_selector(self.sel)}[{self.w}]))"

    # ---- SLOs (SPEC §7)
    def slo_error_ratio(self, slo: SLODefinition, window_s: float) -> str:
        """The error ratio (bad / all, 0-1) over `window_s`, computed by the server."""
        window = promql_duration(window_s)
        if slo.source == "sloth":
            # sloth records one series per window: slo:sli_error:ratio_rate<window>
            return f'slo:sli_error:ratio_rate{window}{{sloth_slo="{slo.id}"}}'
        # only the named placeholders: PromQL's own braces stay as written
        subst = {"window": window, "service_label": self.svc, "service": slo.service}
        good = fill_slo_query(slo.good_query, subst)
        total = fill_slo_query(slo.total_query, subst)
        return f"1 - (({good}) / ({total}))"


class PrometheusSource:
    """Infra gauges, latency and SLO measurements from one Prometheus."""

    def __init__(self, backend: PrometheusBackend, ctx: Context, clock: Clock) -> None:
        self.backend = backend
        self.ctx = ctx
        self.clock = clock
        self.q = PromQL(ctx.labels.service_label, ctx.labels.http_selector, backend.rate_window_s)
        self._client: Any = None
        #: points the panes can draw (the UI sets these from its width)
        self.cpu_points = 30
        self.latency_points = 60

    # ------------------------------------------------------------------ transport

    def _connect(self) -> Any:
        """The client, built on first use (requests and the client cost ~55 ms to
        import: only for contexts that have a Prometheus)."""
        if self._client is None:
            try:
                import requests
                from prometheus_api_client import PrometheusConnect
                from urllib3.util.retry import Retry
            except ImportError:
                # a dependency of obsconsole: only a broken install lacks it
                raise SourceError(
                    "config", "the Prometheus client (prometheus-api-client) is not installed: reinstall obsconsole"
                ) from None

            auth = self.backend.auth
            session = requests.Session()
            session.verify = auth.ca_bundle or auth.verify_tls
            headers = auth_headers(auth)
            basic = (auth.username, auth.password) if auth.username else None
            self._client = PrometheusConnect(
                url=self.backend.url,
                headers=headers or None,
                auth=basic,
                session=session,
                # the hub backs off; retries inside a poll would only hide an outage
                retry=Retry(total=0, connect=0, read=0, status=0),
                timeout=self.backend.timeout_s,
            )
        return self._client

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """One client call, its failures turned into SourceError (runs in a thread)."""
        import requests
        from prometheus_api_client.exceptions import PrometheusApiClientException

        where = self.backend.url
        try:
            return getattr(self._connect(), method)(*args, **kwargs)
        except requests.exceptions.Timeout:
            raise SourceError("timeout", f"prometheus at {where}: no answer in {self.backend.timeout_s:g} s") from None
        except requests.exceptions.ConnectionError as exc:
            raise SourceError("unreachable", f"prometheus at {where}: {_reason(exc)}") from None
        except PrometheusApiClientException as exc:
            text = " ".join(str(exc).split())[:300]
            if "401" in text or "403" in text:
                raise SourceError("auth", f"prometheus at {where}: refused the credentials ({text[:80]})") from None
            raise SourceError("bad_response", f"prometheus at {where}: {text}") from None
        except (ValueError, KeyError, TypeError) as exc:
            # the client parses JSON itself: a proxy's HTML page ends up here
            raise SourceError("bad_response", f"prometheus at {where}: not a Prometheus answer ({type(exc).__name__})") from None
        except requests.exceptions.RequestException as exc:
            raise SourceError("unreachable", f"prometheus at {where}: {_reason(exc)}") from None

    async def _in_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a blocking client call in a worker thread. The client (and its imports:
        requests, urllib3) is built here, on the event loop's thread, first: imports
        racing in several threads against the loop's own (the Elasticsearch client also
        loads urllib3) can fail with Python's import _DeadlockError."""
        self._connect()
        return await asyncio.to_thread(fn, *args)

    async def instant(self, promql: str) -> list[dict[str, Any]]:
        result = await self._in_thread(self._call, "custom_query", promql)
        if not isinstance(result, list):
            raise SourceError("bad_response", f"prometheus at {self.backend.url}: expected a vector for {promql[:60]}")
        return result

    async def range(self, promql: str, span_s: float, points: int) -> list[dict[str, Any]]:
        end = self.clock()
        start = end - timedelta(seconds=span_s)
        step = promql_duration(max(1.0, span_s / max(2, points)))
        result = await self._in_thread(self._call, "custom_query_range", promql, start, end, step)
        if not isinstance(result, list):
            raise SourceError("bad_response", f"prometheus at {self.backend.url}: expected a matrix for {promql[:60]}")
        return result

    # ------------------------------------------------------------------ infra

    async def fetch_hosts(self) -> tuple[HostGauge, ...]:
        cpu, mem, disk, net, history = await asyncio.gather(
            self.instant(self.q.cpu()),
            self.instant(self.q.memory()),
            self.instant(self.q.disk()),
            self.instant(self.q.network()),
            self.range(self.q.cpu(), CPU_HISTORY_S, self.cpu_points),
        )
        return hosts_from(cpu, mem, disk, net, history)

    # ------------------------------------------------------------------ latency

    async def fetch_latency(self) -> tuple[ServiceLatency, ...]:
        p50, p95, p99, errors, rate = await asyncio.gather(
            self.instant(self.q.quantile(0.5)),
            self.instant(self.q.quantile(0.95)),
            self.instant(self.q.quantile(0.99)),
            self.instant(self.q.error_ratio()),
            self.instant(self.q.request_rate()),
        )
        history = await self.range(self.q.quantile(0.95), LATENCY_HISTORY_S, self.latency_points)
        return latency_from(p50, p95, p99, errors, rate, history, self.q.svc, self.ctx.labels.aliases)

    # ------------------------------------------------------------------ SLOs

    async def fetch_slo_measurements(self, slos: Sequence[SLODefinition]) -> tuple[SLOMeasurement, ...]:
        async def measure(slo: SLODefinition) -> SLOMeasurement:
            windows = sorted({slo.window_s, slo.fast.long_s, slo.fast.short_s, slo.slow.long_s, slo.slow.short_s})
            results = await asyncio.gather(*(self.instant(self.q.slo_error_ratio(slo, w)) for w in windows))
            return measurement_from(slo, dict(zip(windows, results)))

        return tuple(await asyncio.gather(*(measure(s) for s in slos)))

    # ------------------------------------------------------------------ check

    async def describe(self) -> list[BackendStatus]:
        started = time.perf_counter()
        try:
            info = await self._in_thread(self._buildinfo)
        except SourceError as exc:
            return [BackendStatus("prometheus", self.backend.url, False, None, None, exc.message)]
        latency = time.perf_counter() - started
        return [BackendStatus("prometheus", self.backend.url, True, info.get("version"), latency)]

    def _buildinfo(self) -> Mapping[str, Any]:
        import requests

        client = self._connect()
        try:
            response = client._session.get(
                f"{self.backend.url}/api/v1/status/buildinfo",
                headers=client.headers, auth=client.auth, timeout=self.backend.timeout_s,
            )
        except requests.exceptions.Timeout:
            raise SourceError("timeout", f"no answer in {self.backend.timeout_s:g} s") from None
        except requests.exceptions.RequestException as exc:
            raise SourceError("unreachable", _reason(exc)) from None
        if response.status_code in (401, 403):
            raise SourceError("auth", f"HTTP {response.status_code}")
        try:
            return response.json()["data"]
        except (ValueError, KeyError, TypeError):
            # Thanos / Mimir may not serve buildinfo: reachable all the same
            return {"version": f"unknown (HTTP {response.status_code})"}


# --------------------------------------------------------------------------- helpers


def _reason(exc: BaseException) -> str:
    """The useful end of a requests error chain, in one line."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out", "certificate verify failed"):
        if marker in text:
            return marker.lower()
    return " ".join(text.split())[:160] or type(exc).__name__
# pragma: no mutate end


# --------------------------------------------------------------------------- answers


def hosts_from(
    cpu: list[dict[str, Any]],
    mem: list[dict[str, Any]],
    disk: list[dict[str, Any]],
    net: list[dict[str, Any]],
    history: list[dict[str, Any]],
) -> tuple[HostGauge, ...]:
    """The infra gauges from the four instant vectors (by `instance`) and the CPU
    matrix, one per instance, sorted by instance."""
    by = {name: _by_label(rows, "instance") for name, rows in
          (("cpu", cpu), ("mem", mem), ("disk", disk), ("net", net))}
    hist = {r["metric"].get("instance", ""): tuple(_num(v) or 0.0 for _, v in r.get("values", []))
            for r in history}
    instances = sorted(set().union(*[set(d) for d in by.values()]))
    names = _host_names(instances)
    return tuple(
        HostGauge(
            host=names[i],
            cpu_pct=by["cpu"].get(i),
            mem_pct=by["mem"].get(i),
            disk_pct=by["disk"].get(i),
            net_bytes_per_s=by["net"].get(i),
            cpu_history=hist.get(i, ()),
        )
        for i in instances
    )


def latency_from(
    p50: list[dict[str, Any]],
    p95: list[dict[str, Any]],
    p99: list[dict[str, Any]],
    errors: list[dict[str, Any]],
    rate: list[dict[str, Any]],
    history: list[dict[str, Any]],
    svc: str,
    aliases: Mapping[str, str],
) -> tuple[ServiceLatency, ...]:
    """Per-service latency from the five instant vectors (by the `svc` label) and the
    p95 matrix, named by their alias, sorted by the label's value."""
    cols = [_by_label(rows, svc) for rows in (p50, p95, p99, errors, rate)]
    hist = {
        r["metric"].get(svc, ""): tuple(
            (float(ts), v) for ts, raw in r.get("values", []) if (v := _num(raw)) is not None
        )
        for r in history
    }
    services = sorted(set().union(*[set(c) for c in cols]) - {""})
    return tuple(
        ServiceLatency(
            service=aliases.get(s, s),
            p50_s=cols[0].get(s),
            p95_s=cols[1].get(s),
            p99_s=cols[2].get(s),
            # no request at all in the window: 0/0 is NaN, shown as no data
            error_ratio=cols[3].get(s),
            requests_per_s=cols[4].get(s),
            p95_history=hist.get(s, ()),
        )
        for s in services
    )


def measurement_from(slo: SLODefinition, answers: Mapping[float, list[dict[str, Any]]]) -> SLOMeasurement:
    """An SLO's error ratios from the answers of its queries, by window (seconds)."""
    ratios = {w: _scalar(rows) for w, rows in answers.items()}
    return SLOMeasurement(slo.id, ratios[slo.window_s], ratios)


def _num(raw: Any) -> float | None:
    """A Prometheus sample value ("1.5", "NaN", "+Inf") as a float; NaN/Inf → None."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return value


def _by_label(rows: list[dict[str, Any]], label: str) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for row in rows:
        metric = row.get("metric") or {}
        value = row.get("value") or [None, None]
        out[str(metric.get(label, ""))] = _num(value[1] if len(value) > 1 else None)
    return out


def _scalar(rows: list[dict[str, Any]]) -> float | None:
    """The one value of an aggregated query (None when empty or not a number)."""
    if not rows:
        return None
    value = rows[0].get("value") or [None, None]
    ratio = _num(value[1] if len(value) > 1 else None)
    if ratio is None:
        return None
    # rounding in rate() can give -1e-17 or 1.0000000002: a ratio stays in [0, 1]
    return min(1.0, max(0.0, ratio))


def _host_names(instances: list[str]) -> dict[str, str]:
    """`host:9100` → `host` when that stays unique (ports only add noise on screen)."""
    short = {i: i.rsplit(":", 1)[0] if ":" in i and not i.endswith("]") else i for i in instances}
    if len(set(short.values())) != len(short):
        return {i: i for i in instances}
    return short


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
