"""The demo's Prometheus-like series: host gauges and service latency at any instant.

Each value is a function of (timeline, host or service, unix time), so a history is just
the same function sampled at earlier times, and the current value is its last sample.
"""

from __future__ import annotations

from obsconsole.model import HostGauge, ServiceLatency
from obsconsole.sources.demo.curves import Timeline, daily_load, smooth_noise
from obsconsole.sources.demo.topology import HOSTS, SERVICES, HostSpec, ServiceSpec

#: node-exporter scrape step and the sparkline's length (SPEC §2: 10-15 s scrapes)
CPU_STEP_S = 10.0
CPU_SAMPLES = 30
#: the latency chart: 15 minutes at a 15 s query_range step (61 points, both ends)
LATENCY_STEP_S = 15.0
LATENCY_SAMPLES = 61


def _clamp(value: float, low: float = 0.0, high: float = 100.0) -> float:
    return max(low, min(high, value))


def cpu_pct(tl: Timeline, host: HostSpec, ts: float) -> float:
    """CPU % of `host` at `ts`: load curve, noise, and the incident on the API hosts."""
    value = (
        host.cpu_base
        + host.cpu_load * daily_load(ts)
        + host.cpu_noise * smooth_noise(tl.seed, f"cpu:{host.name}", ts, 20.0)
        + host.incident_cpu * tl.intensity(ts)
    )
    return round(_clamp(value), 2)


def mem_pct(tl: Timeline, host: HostSpec, ts: float) -> float:
    value = (
        host.mem_base
        + host.mem_load * daily_load(ts)
        + 2.0 * smooth_noise(tl.seed, f"mem:{host.name}", ts, 60.0)
        + host.incident_mem * tl.intensity(ts)
    )
    return round(_clamp(value), 2)


def disk_pct(tl: Timeline, host: HostSpec, ts: float) -> float:
    # disks drift over hours, not seconds: a slow knot period keeps the gauge believable
    value = (
        host.disk_base
        + host.disk_swing * smooth_noise(tl.seed, f"disk:{host.name}", ts, 3600.0)
        + 0.3 * smooth_noise(tl.seed, f"disk-jitter:{host.name}", ts, 120.0)
    )
    return round(_clamp(value), 2)


def net_bytes_per_s(tl: Timeline, host: HostSpec, ts: float) -> float:
    load = daily_load(ts)
    noise = 1.0 + 0.15 * smooth_noise(tl.seed, f"net:{host.name}", ts, 30.0)
    # retries during the incident add traffic on the affected hosts
    surge = 1.0 + 0.25 * tl.intensity(ts) * (host.incident_cpu > 10)
    return round((host.net_base + host.net_load * load) * noise * surge, 1)


def host_gauge(tl: Timeline, host: HostSpec, ts: float) -> HostGauge:
    """One host's gauges at `ts` with the last CPU_SAMPLES CPU samples (oldest first)."""
    history = tuple(
        cpu_pct(tl, host, ts - CPU_STEP_S * k) for k in range(CPU_SAMPLES - 1, -1, -1)
    )
    return HostGauge(
        host=host.name,
        cpu_pct=history[-1],
        mem_pct=mem_pct(tl, host, ts),
        disk_pct=disk_pct(tl, host, ts),
        net_bytes_per_s=net_bytes_per_s(tl, host, ts),
        cpu_history=history,
    )


def host_gauges(tl: Timeline, ts: float) -> tuple[HostGauge, ...]:
    return tuple(host_gauge(tl, host, ts) for host in HOSTS)


# --------------------------------------------------------------------------- latency


def _blend(calm: float, incident: float | None, intensity: float) -> float:
    if incident is None or intensity <= 0.0:
        return calm
    return calm + (incident - calm) * intensity


def _quantiles(tl: Timeline, svc: ServiceSpec, ts: float) -> tuple[float, float, float]:
    """(p50, p95, p99) seconds of `svc` at `ts`, kept ordered p50 <= p95 <= p99."""
    slow = 1.0 + svc.load_slowdown * daily_load(ts)
    noise = 1.0 + 0.06 * smooth_noise(tl.seed, f"lat:{svc.name}", ts, 30.0)
    tail = 1.0 + 0.08 * smooth_noise(tl.seed, f"tail:{svc.name}", ts, 30.0)
    i = tl.intensity(ts)
    p50 = _blend(svc.p50_s * slow, svc.incident_p50_s, i) * noise
    p95 = _blend(svc.p95_s * slow, svc.incident_p95_s, i) * noise
    p99 = _blend(svc.p99_s * slow, svc.incident_p99_s, i) * noise * tail
    return p50, p95, max(p95, p99)


def p95_s(tl: Timeline, svc: ServiceSpec, ts: float) -> float:
    return round(_quantiles(tl, svc, ts)[1], 4)


def error_ratio(tl: Timeline, svc: ServiceSpec, ts: float) -> float:
    """The 5xx share of `svc` requests at `ts` (0-1)."""
    noise = 1.0 + 0.15 * smooth_noise(tl.seed, f"err:{svc.name}", ts, 20.0)
    calm = svc.error_ratio * (1.0 + 0.8 * daily_load(ts))
    return round((calm + svc.incident_errors * tl.intensity(ts)) * noise, 6)


def requests_per_s(tl: Timeline, svc: ServiceSpec, ts: float) -> float:
    noise = 1.0 + 0.05 * smooth_noise(tl.seed, f"rps:{svc.name}", ts, 15.0)
    return round((svc.rps_base + svc.rps_load * daily_load(ts)) * noise, 2)


def service_latency(tl: Timeline, svc: ServiceSpec, ts: float) -> ServiceLatency:
    p50, p95, p99 = _quantiles(tl, svc, ts)
    history = tuple(
        (ts - LATENCY_STEP_S * k, p95_s(tl, svc, ts - LATENCY_STEP_S * k))
        for k in range(LATENCY_SAMPLES - 1, -1, -1)
    )
    return ServiceLatency(
        service=svc.name,
        p50_s=round(p50, 4),
        p95_s=history[-1][1],
        p99_s=round(p99, 4),
        error_ratio=error_ratio(tl, svc, ts),
        requests_per_s=requests_per_s(tl, svc, ts),
        p95_history=history,
    )


def service_latencies(tl: Timeline, ts: float) -> tuple[ServiceLatency, ...]:
    return tuple(service_latency(tl, svc, ts) for svc in SERVICES)
