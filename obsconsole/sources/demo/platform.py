"""`DemoPlatform`: the synthetic AI GYM platform behind every pane interface.

It implements InfraSource, LatencySource, SLOSource, AlertSource, LogSource and
SecuritySource (sources/base.py) and answers `describe()` for four simulated backends.
Every answer is a pure function of (seed, clock(), started_at, incident_after_s): two
platforms built alike agree at the same clock reading whatever was asked before, which
is what makes frozen-clock snapshots and tests reproducible.

Story (elapsed seconds, default incident_after_s=20):
  0-20     calm: everything OK, a low disk notice, a trickle of errors, routine logins
  20-35    aigym-api degrades (DB pool exhausted): p95 → ~3.6 s, 5xx → ~10 %
  ~30-45   a brute force from 203.0.113.45 (Wazuh 100002 ×5 → 100003 → 100004)
  ~30-150  APIResponseTimeHigh (medium) and APIErrorRateHigh (high) fire; error burst
  140-155  recovery; alerts resolve; api-latency's SLO budget stays spent
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Iterable, Sequence

from obsconsole.model import (
    Alert,
    HostGauge,
    LogEvent,
    SecurityEvent,
    ServiceLatency,
    SLODefinition,
    SLOMeasurement,
    SourceError,
)
from obsconsole.sources.base import BackendStatus
from obsconsole.sources.demo import alerts, logs, metrics, security, slo
from obsconsole.sources.demo.curves import Timeline, to_utc

#: pane id → the simulated backend that serves it (as a real deployment would)
PANE_BACKENDS: dict[str, str] = {
    "infra": "prometheus",
    "latency": "prometheus",
    "slo": "prometheus",
    "alerts": "alertmanager",
    "errors": "elasticsearch",
    "security": "wazuh",
}

#: simulated backends and their versions, in `obsconsole check` order
BACKEND_VERSIONS: dict[str, str] = {
    "prometheus": "demo 2.53.0",
    "alertmanager": "demo 0.27.0",
    "elasticsearch": "demo 8.14.1",
    "wazuh": "demo 4.8.0",
}


class DemoPlatform:
    """The built-in synthetic platform.

    Args:
        seed: varies the noise, the calm error budgets and the event details.
        clock: returns the current time (aware UTC; naive is taken as UTC).
        started_at: elapsed 0 of the story; defaults to `clock()` now.
        incident_after_s: elapsed seconds when the scripted incident begins.
        faults: pane ids whose fetch fails as if its backend refused the connection.

    Raises:
        ValueError: a fault names an unknown pane.
    """

    def __init__(
        self,
        seed: int,
        clock: Callable[[], datetime],
        *,
        started_at: datetime | None = None,
        incident_after_s: float = 20.0,
        faults: Iterable[str] = (),
    ) -> None:
        self._clock = clock
        self.seed = seed
        self.started_at = to_utc(started_at if started_at is not None else clock())
        self.incident_after_s = float(incident_after_s)
        self.faults = frozenset(faults)
        unknown = sorted(self.faults - PANE_BACKENDS.keys())
        if unknown:
            raise ValueError(
                f"unknown demo fault pane(s) {', '.join(unknown)}; "
                f"expected some of {', '.join(PANE_BACKENDS)}"
            )
        self._timeline = Timeline(seed, self.started_at.timestamp(), self.incident_after_s)

    # ------------------------------------------------------------------ the story

    def _now(self) -> float:
        return to_utc(self._clock()).timestamp()

    def elapsed(self) -> float:
        """Seconds since `started_at` per the clock (negative if the clock is earlier)."""
        return self._now() - self._timeline.started_ts

    def incident_phase(self) -> str:
        """"calm", "incident" (until fully recovered) or "recovered"."""
        return self._timeline.phase(self._now())

    def _check(self, pane: str) -> None:
        if pane in self.faults:
            backend = PANE_BACKENDS[pane]
            raise SourceError(
                "unreachable",
                f"demo: {backend} at demo://{backend} refused the connection (fault injected)",
            )

    # ------------------------------------------------------------------ sources

    async def fetch_hosts(self) -> tuple[HostGauge, ...]:
        """InfraSource: six hosts with 30 CPU samples at 10 s steps."""
        self._check("infra")
        return metrics.host_gauges(self._timeline, self._now())

    async def fetch_latency(self) -> tuple[ServiceLatency, ...]:
        """LatencySource: five services with 15 minutes of p95 at 15 s steps."""
        self._check("latency")
        return metrics.service_latencies(self._timeline, self._now())

    async def fetch_slo_measurements(
        self, slos: Sequence[SLODefinition]
    ) -> tuple[SLOMeasurement, ...]:
        """SLOSource: error ratios over each SLO's window and its four burn windows."""
        self._check("slo")
        return slo.measure_all(self._timeline, slos, self._now())

    async def fetch_alerts(self) -> tuple[Alert, ...]:
        """AlertSource: firing alerts, most severe first."""
        self._check("alerts")
        return alerts.active_alerts(self._timeline, self._now())

    async def fetch_errors(self, limit: int) -> tuple[LogEvent, ...]:
        """LogSource: ERROR/FATAL events of the last hour, newest first, at most `limit`."""
        self._check("errors")
        return logs.recent_errors(self._timeline, self._now(), limit)

    async def fetch_security_events(
        self, min_level: int, limit: int
    ) -> tuple[SecurityEvent, ...]:
        """SecuritySource: Wazuh alerts of the last 24 h at or above `min_level`."""
        self._check("security")
        return security.security_events(self._timeline, self._now(), min_level, limit)

    async def describe(self) -> list[BackendStatus]:
        """One status per simulated backend; a backend with a faulted pane is unreachable."""
        out = []
        for backend, version in BACKEND_VERSIONS.items():
            faulted = sorted(p for p in self.faults if PANE_BACKENDS[p] == backend)
            out.append(
                BackendStatus(
                    backend=backend,
                    target=f"demo://{backend}",
                    reachable=not faulted,
                    version=None if faulted else version,
                    latency_s=None if faulted else 0.0,
                    detail=f"fault injected ({', '.join(faulted)})" if faulted else "",
                )
            )
        return out
