"""The demo's Alertmanager: SPEC §4 rules evaluated on the demo's own series.

The `for:` durations are compressed (3m / 2m become 5 s) so the scripted incident
visibly goes pending → firing → resolved within a few minutes. Rules are evaluated like
Prometheus does, at fixed ticks: an alert is firing at `now` when its condition held at
every tick of the run ending at the latest tick, for at least `for_s`; it started firing
(`startsAt`) `for_s` after the run began. Resolved alerts simply leave the active list.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Callable

from obsconsole.model import Alert, Severity
from obsconsole.sources.demo.curves import Timeline, to_datetime
from obsconsole.sources.demo.metrics import disk_pct, error_ratio, p95_s
from obsconsole.sources.demo.topology import HOSTS, SERVICE_BY_NAME

#: Prometheus' evaluation_interval, compressed along with the `for:` durations
EVAL_INTERVAL_S = 1.0
#: never scan further back than this (the incident lasts ~135 s)
_MAX_RUN_TICKS = 900

RUNBOOK_BASE = "https://runbooks.aigym.example"


@dataclass(frozen=True)
class Rule:
    """One alerting rule: `value(tl, ts) > threshold` for `for_s` seconds."""

    name: str
    severity: Severity
    category: str
    service: str
    instance: str
    threshold: float
    for_s: float
    value: Callable[[Timeline, float], float]
    title: str
    #: formatted with {value} and {threshold}
    description: str
    runbook: str
    #: the condition ignores the incident and holds for hours (a capacity notice): its
    #: run is not scanned tick by tick but dated from a stable hour before the start
    steady: bool = False

    def labels(self) -> dict[str, str]:
        return {
            "alertname": self.name,
            "severity": self.severity.value,
            "category": self.category,
            "service": self.service,
            "instance": self.instance,
        }


_API = SERVICE_BY_NAME["aigym-api"]
_WORKER_1 = next(h for h in HOSTS if h.name == "aigym-worker-1")

RULES: tuple[Rule, ...] = (
    Rule(
        name="APIResponseTimeHigh",
        severity=Severity.MEDIUM,
        category="performance",
        service="aigym-api",
        instance="aigym-api-1:8080",
        threshold=2.0,
        for_s=5.0,  # 3m in SPEC §4, compressed
        value=lambda tl, ts: p95_s(tl, _API, ts),
        title="API response time high",
        description="p95 latency of aigym-api is {value:.2f} s (threshold {threshold:g} s)",
        runbook="api-response-time-high",
    ),
    Rule(
        name="APIErrorRateHigh",
        severity=Severity.HIGH,
        category="application",
        service="aigym-api",
        instance="aigym-api-1:8080",
        threshold=0.05,
        for_s=5.0,  # 2m in SPEC §4, compressed
        value=lambda tl, ts: error_ratio(tl, _API, ts),
        title="API error rate high",
        description="5xx ratio of aigym-api is {value:.1%} (threshold {threshold:.0%})",
        runbook="api-error-rate-high",
    ),
    # Not a SPEC §4 rule: a low-severity capacity notice so that calm is not empty. The
    # worker's disk sits in the 70s all the time, so it has been firing for hours.
    Rule(
        name="DiskUsageElevated",
        severity=Severity.LOW,
        category="infrastructure",
        service="aigym-worker",
        instance="aigym-worker-1:9100",
        threshold=70.0,
        for_s=3600.0,
        value=lambda tl, ts: disk_pct(tl, _WORKER_1, ts),
        title="Disk usage elevated",
        description="disk of aigym-worker-1 is {value:.1f} % used (notice above {threshold:g} %)",
        runbook="disk-space",
        steady=True,
    ),
)


def fingerprint(labels: dict[str, str]) -> str:
    """A stable 16-hex-digit id of a label set, like Alertmanager's."""
    text = "\x1f".join(f"{k}={labels[k]}" for k in sorted(labels))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _firing_since(tl: Timeline, rule: Rule, now: float) -> tuple[float, float] | None:
    """(starts_at unix seconds, latest value) if `rule` fires at `now`, else None."""
    tick = math.floor(now / EVAL_INTERVAL_S) * EVAL_INTERVAL_S
    latest = rule.value(tl, tick)
    if not latest > rule.threshold:
        return None
    if rule.steady:
        hours_before = 2 + tl.seed % 5
        since = math.floor(tl.started_ts / 3600.0) * 3600.0 - hours_before * 3600.0
        return since, latest
    need = math.ceil(rule.for_s / EVAL_INTERVAL_S)
    run_start = tick
    # calm values never cross the thresholds, so a run is at most the incident long
    for k in range(1, _MAX_RUN_TICKS + 1):
        t = tick - k * EVAL_INTERVAL_S
        if not rule.value(tl, t) > rule.threshold:
            break
        run_start = t
    if (tick - run_start) < need * EVAL_INTERVAL_S:
        return None  # pending
    return run_start + need * EVAL_INTERVAL_S, latest


def active_alerts(tl: Timeline, now: float) -> tuple[Alert, ...]:
    """Firing alerts at `now`, most severe first, newest first within a severity."""
    alerts: list[Alert] = []
    for rule in RULES:
        fired = _firing_since(tl, rule, now)
        if fired is None:
            continue
        starts_ts, value = fired
        labels = rule.labels()
        alerts.append(
            Alert(
                fingerprint=fingerprint(labels),
                name=rule.name,
                severity=rule.severity,
                category=rule.category,
                service=rule.service,
                starts_at=to_datetime(starts_ts),
                labels=labels,
                annotations={
                    "title": rule.title,
                    "description": rule.description.format(
                        value=value, threshold=rule.threshold
                    ),
                    "runbook_url": f"{RUNBOOK_BASE}/{rule.runbook}",
                },
                state="active",
                origins=("demo://alertmanager",),
            )
        )
    alerts.sort(key=lambda a: (-a.severity.rank, -a.starts_at.timestamp(), a.name))
    return tuple(alerts)
