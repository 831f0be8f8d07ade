"""Run a test module in several local time zones.

The machines that run the suite are usually on UTC, where "local time" and UTC agree and
a conversion that forgets the zone cannot be caught. A module that does

    from tests.tz import local_zone  # noqa: F401  (autouse: each test in three zones)

runs each of its tests three times, with TZ set (and `time.tzset()` called) to UTC,
Asia/Kolkata (+05:30, not a whole hour) and America/New_York (-05:00/-04:00, with DST).
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta
from typing import Iterator

import pytest

#: zone name -> (POSIX equivalent when the system has no tz database, UTC offset on 1 Jan 2025)
ZONES = {
    "UTC": ("UTC0", timedelta(0)),
    "Asia/Kolkata": ("IST-5:30", timedelta(hours=5, minutes=30)),
    "America/New_York": ("EST5EDT,M3.2.0,M11.1.0", timedelta(hours=-5)),
}


def _set_tz(value: str | None) -> None:
    if value is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = value
    time.tzset()


def _offset() -> timedelta | None:
    return datetime(2025, 1, 1, 12, 0).astimezone().utcoffset()


@pytest.fixture(autouse=True, params=list(ZONES))
def local_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """The process's local time zone for one test; restored afterwards."""
    name = request.param
    posix, offset = ZONES[name]
    before = os.environ.get("TZ")
    _set_tz(name)
    if _offset() != offset:  # no tz database here: the POSIX rule says the same
        _set_tz(posix)
    assert _offset() == offset, f"could not switch the local zone to {name}"
    try:
        yield name
    finally:
        _set_tz(before)
