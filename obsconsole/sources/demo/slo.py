"""The demo's SLO error ratios (SPEC §7): bad/total over the SLO window and each burn
window, computed in closed form so any window costs the same.

Calm: every SLO has spent part of its budget at a steady rate (seeded, 15-55 % of the
budget over its window) with a gentle daily swing, so burns stay well below 1.

The incident: a 2-minute incident cannot move a 10-minute (let alone 30-day) ratio far
enough to be worth watching, so, like the compressed `for:` durations of the alert rules,
the incident's share is measured over windows compressed by TIME_COMPRESSION (10 min →
30 s, 24 h → 72 min). api-latency then burns fast (well above its factor of 10) and loses
roughly 40 % of its budget, which stays spent after recovery; auth-availability burns a
little.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

from obsconsole.model import SLODefinition, SLOMeasurement
from obsconsole.sources.demo.curves import DAY_S, Timeline, stable_int

TIME_COMPRESSION = 20.0
#: relative amplitude of the daily swing of the calm error ratio
_DAILY_SWING = 0.2
_OMEGA = 2.0 * math.pi / DAY_S


@dataclass(frozen=True)
class _Model:
    """How one SLO's error ratio behaves.

    Attributes:
        spent_low, spent_high: the calm error ratio as a share of the allowed ratio (the
            budget spent over a window in calm), chosen per seed in this range.
        incident_errors: the error ratio added at full incident intensity.
    """

    spent_low: float
    spent_high: float
    incident_errors: float


_BY_ID: dict[str, _Model] = {
    "auth-availability": _Model(0.30, 0.50, 0.006),
    # requests slower than 2 s: with the DB pool dry, three quarters of them queue longer
    "api-latency": _Model(0.40, 0.55, 0.75),
    "ai-conversation-success": _Model(0.20, 0.45, 0.0),
    "database-performance": _Model(0.15, 0.35, 0.004),
}

#: SLOs the demo does not know by id get the incident of their service (5xx shares)
_INCIDENT_BY_SERVICE: dict[str, float] = {
    "aigym-api": 0.10,
    "aigym-auth": 0.005,
    "supabase-db": 0.002,
}


def _model(slo: SLODefinition) -> _Model:
    return _BY_ID.get(slo.id) or _Model(0.20, 0.50, _INCIDENT_BY_SERVICE.get(slo.service, 0.0))


def _unit(*parts: object) -> float:
    return stable_int(*parts) / 2.0**64


def _calm_mean(slo: SLODefinition, model: _Model, seed: int, a: float, b: float) -> float:
    """Mean calm error ratio over [a, b]: a constant plus a daily sine, integrated."""
    allowed = max(0.0, 1.0 - slo.target)
    spent = model.spent_low + (model.spent_high - model.spent_low) * _unit(seed, "slo", slo.id)
    phase = 2.0 * math.pi * _unit(seed, "slo-phase", slo.id)
    if b - a <= 0.0:
        swing = math.sin(_OMEGA * b + phase)
    else:
        swing = (math.cos(_OMEGA * a + phase) - math.cos(_OMEGA * b + phase)) / (_OMEGA * (b - a))
    return allowed * spent * (1.0 + _DAILY_SWING * swing)


def window_error_ratio(
    tl: Timeline, slo: SLODefinition, now: float, window_s: float
) -> float:
    """The error ratio (0-1) of `slo` over the `window_s` seconds ending at `now`."""
    model = _model(slo)
    ratio = _calm_mean(slo, model, tl.seed, now - window_s, now)
    if model.incident_errors:
        compressed = window_s / TIME_COMPRESSION
        ratio += model.incident_errors * tl.mean_intensity(now - compressed, now)
    return round(min(1.0, ratio), 9)


def measure(tl: Timeline, slo: SLODefinition, now: float) -> SLOMeasurement:
    """Ratios over the SLO window and over both windows of both burn conditions."""
    windows = {slo.fast.long_s, slo.fast.short_s, slo.slow.long_s, slo.slow.short_s}
    return SLOMeasurement(
        slo_id=slo.id,
        error_ratio_window=window_error_ratio(tl, slo, now, slo.window_s),
        error_ratios={w: window_error_ratio(tl, slo, now, w) for w in sorted(windows)},
    )


def measure_all(
    tl: Timeline, slos: Iterable[SLODefinition], now: float
) -> tuple[SLOMeasurement, ...]:
    return tuple(measure(tl, slo, now) for slo in slos)
