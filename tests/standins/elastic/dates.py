"""Dates as ES reads them: ISO 8601 and epoch formats, date math (``now-1h/d``,
``2024-01-01||+1M``) with ES's rounding, and calendar arithmetic as java.time does it."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from .errors import _unsupported
from .text import _as_text


_DEFAULT_FORMATS = ("strict_date_optional_time", "epoch_millis")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ISO_DATE = re.compile(
    r"(?P<y>\d{4})(?:-(?P<M>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<h>\d{2})(?::(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?"
    r"(?P<z>Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?"
)
_EPOCH_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_DATE_FORMATS = {"strict_date_optional_time", "date_optional_time", "epoch_millis", "epoch_second"}
_MATH_STEP = re.compile(r"([+-])(\d+)([yMwdhHms])|/([yMwdhHms])")


def _millis(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _moment(millis: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=millis)


def _format_millis(millis: int) -> str:
    """ES's default rendering of a date: ``2024-05-01T12:00:00.000Z``."""
    moment = _moment(millis)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def _parse_iso(text: str, round_up: bool) -> int:
    """strict_date_optional_time; a rounded-up parse fills the missing time of day with
    23:59:59.999 (and a missing month or day with 01), as ES's range queries do."""
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        raise ValueError(text)
    g = match.groupdict()

    def part(name: str, high: int) -> int:
        return int(g[name]) if g[name] else (high if round_up else 0)

    millis = int(g["f"][:3].ljust(3, "0")) if g["f"] else (999 if round_up else 0)
    zone = UTC
    if g["z"] and g["z"] != "Z":
        digits = g["z"][1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        zone = timezone(offset if g["z"][0] == "+" else -offset)
    moment = datetime(
        int(g["y"]),
        int(g["M"] or 1),
        int(g["d"] or 1),
        part("h", 23),
        part("m", 59),
        part("s", 59),
        tzinfo=zone,
    )
    return _millis(moment) + millis


def _parse_date_text(text: str, formats: tuple[str, ...], round_up: bool) -> int:
    for name in formats:
        try:
            if name in ("strict_date_optional_time", "date_optional_time"):
                return _parse_iso(text, round_up)
            if _EPOCH_NUMBER.fullmatch(text):
                scale = 1000 if name == "epoch_second" else 1
                return int(float(text) * scale)
        except ValueError:
            continue
    raise ValueError(text)


def _date_math(value: Any, formats: tuple[str, ...], now_ms: int, round_up: bool) -> int:
    """A date, epoch number or date-math expression (``now-1h/d``, ``2024-01-01||+1M``)."""
    text = _as_text(value)
    if text.startswith("now"):
        base, steps = now_ms, text[3:]
    elif "||" in text:
        anchor, steps = text.split("||", 1)
        base = _parse_date_text(anchor, formats, round_up and not steps)
    else:
        return _parse_date_text(text, formats, round_up)
    moment, position = _moment(base), 0
    while position < len(steps):
        step = _MATH_STEP.match(steps, position)
        if step is None:
            raise ValueError(text)
        sign, amount, unit, rounding = step.groups()
        if rounding:
            moment = _round_moment(moment, rounding, up=round_up)
        else:
            moment = _shift(moment, int(amount) * (1 if sign == "+" else -1), unit)
        position = step.end()
    return _millis(moment)


def _shift(moment: datetime, amount: int, unit: str) -> datetime:
    """Calendar arithmetic as java.time does it (month ends clamp)."""
    if unit in ("y", "M", "q"):
        months = amount * {"y": 12, "M": 1, "q": 3}[unit]
        year, month = divmod(moment.month - 1 + months, 12)
        year += moment.year
        last_day = calendar.monthrange(year, month + 1)[1]
        return moment.replace(year=year, month=month + 1, day=min(moment.day, last_day))
    seconds = {"w": 604800, "d": 86400, "h": 3600, "H": 3600, "m": 60, "s": 1}[unit]
    return moment + timedelta(seconds=amount * seconds)


def _round_moment(moment: datetime, unit: str, *, up: bool = False) -> datetime:
    """Round down to the start of ``unit`` (UTC); up: to the last millisecond of it."""
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    start = {
        "y": lambda: day.replace(month=1, day=1),
        "q": lambda: day.replace(month=(moment.month - 1) // 3 * 3 + 1, day=1),
        "M": lambda: day.replace(day=1),
        "w": lambda: day - timedelta(days=moment.weekday()),
        "d": lambda: day,
        "h": lambda: moment.replace(minute=0, second=0, microsecond=0),
        "H": lambda: moment.replace(minute=0, second=0, microsecond=0),
        "m": lambda: moment.replace(second=0, microsecond=0),
        "s": lambda: moment.replace(microsecond=0),
    }[unit]()
    return _shift(start, 1, unit) - timedelta(milliseconds=1) if up else start


def _date_formats(spec: Any) -> tuple[str, ...]:
    names = tuple(str(spec).split("||"))
    for name in names:
        if name not in _DATE_FORMATS:
            raise _unsupported(f"date format [{name}]")
    return names
