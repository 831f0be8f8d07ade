"""The demo's building blocks: stable randomness, the daily load curve and the incident
timeline.

Everything the demo shows is a pure function of (seed, a time, the timeline). Randomness
is never drawn from a shared generator (that would make results depend on call order);
it is derived from a stable hash of (seed, stream name, time bucket). Python's `hash()`
of a string is salted per process, so BLAKE2 is used instead.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

DAY_S = 86_400.0

#: the incident ramps up over this many seconds, and back down when it recovers
RAMP_S = 15.0
#: seconds after the incident starts when recovery begins (~2 minutes, SPEC brief)
RECOVERY_AT_S = 120.0
#: seconds after the incident starts when everything is calm again
INCIDENT_END_S = RECOVERY_AT_S + RAMP_S
#: the integral of the intensity over the whole incident (two half ramps + the plateau)
_INCIDENT_AREA = RECOVERY_AT_S


def stable_int(*parts: object) -> int:
    """A 64-bit integer that depends only on `parts` (same in every process)."""
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def rng(*parts: object) -> random.Random:
    """A private generator for one (seed, stream, bucket): draws never leak elsewhere."""
    return random.Random(stable_int(*parts))


@lru_cache(maxsize=65_536)
def unit_noise(seed: int, stream: str, bucket: int) -> float:
    """A value in [-1, 1) for one bucket of one stream (cached: histories re-ask often)."""
    return stable_int(seed, stream, bucket) / 2.0**63 - 1.0


def smooth_noise(seed: int, stream: str, ts: float, period_s: float) -> float:
    """Value noise in [-1, 1]: random knots every `period_s`, smoothly joined, so a gauge
    wanders instead of jumping at every sample."""
    pos = ts / period_s
    knot = math.floor(pos)
    frac = pos - knot
    frac = frac * frac * (3.0 - 2.0 * frac)  # smoothstep: no kinks at the knots
    a = unit_noise(seed, stream, knot)
    b = unit_noise(seed, stream, knot + 1)
    return a + (b - a) * frac


def daily_load(ts: float) -> float:
    """Traffic as a share of the daily peak, 0-1: lowest at 03:00 UTC, peak at 15:00 UTC."""
    hour = (ts % DAY_S) / 3600.0
    return 0.5 - 0.5 * math.cos(2.0 * math.pi * (hour - 3.0) / 24.0)


def to_datetime(ts: float) -> datetime:
    """Unix seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(ts, tz=timezone.utc)


def to_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _intensity_at(u: float) -> float:
    """Incident intensity (0 calm … 1 full) `u` seconds after the incident starts."""
    if u <= 0.0 or u >= INCIDENT_END_S:
        return 0.0
    if u < RAMP_S:
        return u / RAMP_S
    if u < RECOVERY_AT_S:
        return 1.0
    return 1.0 - (u - RECOVERY_AT_S) / RAMP_S


def _intensity_area(u: float) -> float:
    """The integral of `_intensity_at` from the incident start up to `u` (closed form)."""
    if u <= 0.0:
        return 0.0
    if u < RAMP_S:
        return u * u / (2.0 * RAMP_S)
    if u < RECOVERY_AT_S:
        return RAMP_S / 2.0 + (u - RAMP_S)
    if u < INCIDENT_END_S:
        d = u - RECOVERY_AT_S
        return RECOVERY_AT_S - RAMP_S / 2.0 + d - d * d / (2.0 * RAMP_S)
    return _INCIDENT_AREA


@dataclass(frozen=True)
class Timeline:
    """The scripted story of one demo platform (hashable: it keys the caches).

    Attributes:
        seed: the platform's seed.
        started_ts: unix seconds when the console started (elapsed 0).
        incident_after_s: elapsed seconds when the scripted incident begins.
    """

    seed: int
    started_ts: float
    incident_after_s: float

    @property
    def incident_ts(self) -> float:
        """Unix seconds when the incident begins."""
        return self.started_ts + self.incident_after_s

    def intensity(self, ts: float) -> float:
        """0 in calm (including all history before the console started), 1 at the peak."""
        return _intensity_at(ts - self.incident_ts)

    def mean_intensity(self, start_ts: float, end_ts: float) -> float:
        """The average intensity over [start_ts, end_ts] (analytic, so any window is O(1))."""
        if end_ts <= start_ts:
            return self.intensity(end_ts)
        area = _intensity_area(end_ts - self.incident_ts) - _intensity_area(
            start_ts - self.incident_ts
        )
        return area / (end_ts - start_ts)

    def phase(self, ts: float) -> str:
        """"calm" before the incident, "incident" until it has fully recovered, then
        "recovered"."""
        u = ts - self.incident_ts
        if u < 0.0:
            return "calm"
        if u < INCIDENT_END_S:
            return "incident"
        return "recovered"
