"""Durations as people write them: "500ms", "30s", "5m", "1h30m", "30d", "2w" or "10".

Pure: the config loader reads `refresh:` / `timeout:` / `window:` with it and the ack
dialog reads the duration typed by the user, so both accept exactly the same forms.
"""

from __future__ import annotations

import math
import re
from typing import Mapping

_DURATION_UNITS: Mapping[str, float] = {
    "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0,
}
# "ms" before "m": otherwise "500ms" would read as 500 minutes followed by junk.
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_DURATION_FULL = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+")


def _plain_number(text: str) -> float | None:
    """A finite number written without a unit ("10", "2.5", "1e3"), else None."""
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_duration(value: str | int | float) -> float:
    """Seconds from a number (already seconds) or a string such as "500ms", "30s", "5m",
    "1h30m", "30d", "2w" or "10". Negative values parse (callers decide whether they are
    allowed). Raises ValueError for anything else."""
    if isinstance(value, bool):  # bool is an int to Python, never a duration to a human
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        sign = -1.0 if text.startswith("-") else 1.0
        text = text.lstrip("+-")
        number = _plain_number(text)
        if number is not None:
            seconds = sign * number
        elif _DURATION_FULL.fullmatch(text):
            parts = _DURATION_PART.findall(text)
            seconds = sign * sum(float(n) * _DURATION_UNITS[u] for n, u in parts)
        else:
            raise ValueError(f"not a duration: {value!r}")
    else:
        raise ValueError(f"not a duration: {value!r}")
    if not math.isfinite(seconds):
        raise ValueError(f"not a duration: {value!r}")
    return seconds
