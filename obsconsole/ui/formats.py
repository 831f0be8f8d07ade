"""Numbers, times and series as short text for narrow columns: ages, rates, windows,
bars and sparklines (the colours they take are passed in; see `colours`)."""

from __future__ import annotations

from rich.text import Text

from obsconsole.model import Severity

#: severities in four cells
SEVERITY_SHORT = {
    Severity.CRITICAL: "CRIT",
    Severity.HIGH: "HIGH",
    Severity.MEDIUM: "MED",
    Severity.LOW: "LOW",
    Severity.INFO: "INFO",
}


def bar(pct: float | None, width: int, style: str, mono: bool = False) -> Text:
    """A horizontal percentage bar followed by the number: `█████░░░ 63%`."""
    if pct is None:
        return Text("–".rjust(width + 4), style="dim")
    pct_clamped = max(0.0, min(100.0, pct))
    text = Text()
    if width > 0:
        filled = round(pct_clamped / 100.0 * width)
        text.append("█" * filled, style=style)
        text.append(("·" if mono else "░") * (width - filled), style="dim")
    text.append(f"{pct:4.0f}%", style=style)
    return text


_SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: tuple[float, ...] | list[float], width: int, lo: float | None = 0.0, hi: float | None = None, style: str = "") -> Text:
    """The last `width` values as block characters; the scale is lo..hi (hi = max)."""
    vals = list(values)[-width:] if width > 0 else []
    if not vals:
        return Text("")
    low = min(vals) if lo is None else lo
    high = max(vals) if hi is None else hi
    span = (high - low) or 1.0
    chars = []
    for v in vals:
        idx = int((min(max(v, low), high) - low) / span * (len(_SPARKS) - 1))
        chars.append(_SPARKS[idx])
    return Text("".join(chars), style=style)


def count_of(count: int, noun: str) -> str:
    """"1 host", "6 hosts": a count with its noun (plural by -s)."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def human_age(seconds: float | None) -> str:
    """3s, 59s, 1m05s, 12m, 3h05m, 2d."""
    if seconds is None:
        return "never"
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // 86400}d"


def coarse_age(seconds: float | None) -> str:
    """An age for titles, in steps that change rarely: <10s, 10s … 50s, 1m … 59m, 1h05m.

    A title that changes every second repaints its whole pane every second (that was
    24 KB/s of terminal output for six panes); in 10-second steps the change mostly
    coincides with the pane's own refresh, which repaints anyway.
    """
    if seconds is None or seconds >= 3600:
        return human_age(seconds)
    s = int(seconds)
    if s < 10:
        return "<10s"
    if s < 60:
        return f"{s // 10 * 10}s"
    return f"{s // 60}m"


def short_interval(seconds: float) -> str:
    """A configured interval or duration: 5s, 15s, 1m, 1m30s, 2h, 1h30m, 2d."""
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m" + (f"{s % 60:02d}s" if s % 60 else "")
    if s < 86400 or s % 86400:
        return f"{s // 3600}h" + (f"{(s % 3600) // 60:02d}m" if s % 3600 else "")
    return f"{s // 86400}d"


def human_rate(bytes_per_s: float | None) -> str:
    if bytes_per_s is None:
        return "–"
    value = float(bytes_per_s)
    for unit in ("B/s", "kB/s", "MB/s", "GB/s"):
        if value < 1000 or unit == "GB/s":
            return f"{value:.0f} {unit}" if value >= 100 or unit == "B/s" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB/s"


def human_seconds(seconds: float | None) -> str:
    """Latency: 18ms, 950ms, 2.31s."""
    if seconds is None:
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    return f"{seconds:.2f}s"


def human_ratio(r: float | None) -> str:
    """A share of requests: 0.4%, 9.9%, 12%."""
    if r is None:
        return "–"
    return f"{r * 100:.1f}%" if r < 0.1 else f"{r * 100:.0f}%"


def human_window(seconds: float) -> str:
    if seconds % 86400 == 0:
        return f"{int(seconds // 86400)}d"
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)}h"
    if seconds % 60 == 0:
        return f"{int(seconds // 60)}m"
    return f"{seconds:g}s"
