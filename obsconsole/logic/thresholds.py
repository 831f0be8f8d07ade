"""Health of what the panes show, against the configured thresholds (SPEC §2-3).

Pure functions: the UI colours by them and `obsconsole snapshot` derives its exit code
from them, so the screen and the exit code cannot disagree.

The threshold types (`Bands`, `Limits`, `Thresholds`) live here, beside the one rule that
reads them (`limit_health`): the config loader fills them (`obsconsole.config` re-exports
them), but logic must not import config, and a gauge's colour must not have two
definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from obsconsole.model import (
    AlertGroup,
    Health,
    HostGauge,
    ServiceLatency,
    SLOStatus,
    worst,
)


def limit_health(value: float | None, warning: float, critical: float) -> Health:
    """A value against a two-level upper limit: at or above `critical` is CRITICAL, at or
    above `warning` is WARNING, below is OK; a missing value is UNKNOWN."""
    if value is None:
        return Health.UNKNOWN
    if value >= critical:
        return Health.CRITICAL
    if value >= warning:
        return Health.WARNING
    return Health.OK


@dataclass(frozen=True)
class Bands:
    """Colour bands for a percentage gauge (SPEC §2): >= warning is WARNING, >= critical
    is CRITICAL, >= saturated is CRITICAL shown emphasised."""

    warning: float
    critical: float
    saturated: float

    def health(self, value: float | None) -> Health:
        return limit_health(value, self.warning, self.critical)


@dataclass(frozen=True)
class Limits:
    """A two-level upper limit (latency seconds, error ratio)."""

    warning: float
    critical: float

    def health(self, value: float | None) -> Health:
        return limit_health(value, self.warning, self.critical)


@dataclass(frozen=True)
class Thresholds:
    """Defaults from SPEC §2-3 and §7."""

    cpu: Bands = Bands(70, 85, 95)
    memory: Bands = Bands(80, 90, 95)
    disk: Bands = Bands(80, 90, 95)
    #: p95 latency in seconds: warning 2 s, critical 5 s (SPEC §3)
    latency_p95_s: Limits = Limits(2.0, 5.0)
    #: 5xx ratio: warning 1 %, critical 5 % (SPEC §3)
    error_ratio: Limits = Limits(0.01, 0.05)
    #: remaining budget below this is at_risk (SPEC §7)
    slo_budget_at_risk: float = 0.10


def host_health(h: HostGauge, t: Thresholds) -> Health:
    """Worst of CPU, memory and disk; a gauge that is missing does not count (the host
    may simply not export it), but a host with no gauge at all is UNKNOWN."""
    parts = [
        (t.cpu, h.cpu_pct),
        (t.memory, h.mem_pct),
        (t.disk, h.disk_pct),
    ]
    known = [bands.health(v) for bands, v in parts if v is not None]
    return worst(known) if known else Health.UNKNOWN


def latency_health(s: ServiceLatency, t: Thresholds) -> Health:
    """Worst of p95 and the 5xx ratio."""
    known = []
    if s.p95_s is not None:
        known.append(t.latency_p95_s.health(s.p95_s))
    if s.error_ratio is not None:
        known.append(t.error_ratio.health(s.error_ratio))
    return worst(known) if known else Health.UNKNOWN


def hosts_health(hosts: Iterable[HostGauge], t: Thresholds) -> Health:
    return worst([host_health(h, t) for h in hosts])


def services_health(services: Iterable[ServiceLatency], t: Thresholds) -> Health:
    return worst([latency_health(s, t) for s in services])


def slos_health(slos: Iterable[SLOStatus]) -> Health:
    return worst([s.state.health for s in slos])


def alerts_health(groups: Iterable[AlertGroup]) -> Health:
    """Active groups count by severity; acknowledged groups are shown but do not raise
    the exit code (someone is on it)."""
    return worst([g.severity.health for g in groups if g.status != "acknowledged"])


def sort_worst_first(hosts: Iterable[HostGauge], t: Thresholds) -> list[HostGauge]:
    """Hosts ordered for display: worst health first, then highest CPU, then name."""
    rank = {Health.CRITICAL: 0, Health.UNKNOWN: 1, Health.WARNING: 2, Health.OK: 3}
    return sorted(
        hosts,
        key=lambda h: (rank[host_health(h, t)], -(h.cpu_pct or 0.0), h.host),
    )
