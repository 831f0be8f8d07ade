"""An incident's record turned into a post-mortem skeleton (`obsconsole incident export`).

`review()` gathers what the store knows of one incident (the incident, its timeline, the
alerts linked to it, the error budget its services burned) into a `PostMortem` with the
milestones of the incident worked out; `to_markdown()` writes the skeleton a team fills
in, `to_json()` the same facts for tools. Pure: no I/O, time is passed in (`now`).

Milestones (all UTC; a naive datetime is taken to be UTC already):

- started_at: the start of impact: the earliest `starts_at` of the linked alerts, else
  the declaration. An alert that began firing only after the declaration does not move
  the start later than the declaration (impact cannot start after it was declared).
- detected_at: when the incident was declared (`created_at`).
- acknowledged_at: when a human took it on (the store sets it on the first commander or
  the first status change past investigating).
- mitigated_at: the first status change to monitoring; if the incident never went
  through monitoring, the first status change to resolved.
- resolved_at: when it was resolved, if it is resolved now (a reopened incident is open).

Durations (seconds, None when either end is unknown), one line each:

- time to detect: from the start of impact to the declaration.
- time to acknowledge: from the declaration to the acknowledgement.
- time to mitigate: from the start of impact to the mitigation.
- time to resolve: from the start of impact to the resolution.

Everything in the record that a person or an alert label wrote (titles, notes, reasons,
names, actors, services) is hostile text to the Markdown: it goes through
`sanitize.clean` (control characters and ESC sequences become visible pictures), newlines
become spaces, it is cut to a bounded length, every Markdown special character is
backslash-escaped and < > & become HTML entities, so it renders as the literal
characters that were typed. The JSON keeps text as it was:
JSON's own escaping makes it inert.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping

from obsconsole.logic.sanitize import clean, to_str
from obsconsole.model import Incident, IncidentStatus, LinkedAlert, SloBurn, TimelineEvent

UTC = timezone.utc

#: free text (title, description, notes, reasons) in the Markdown: longer is cut
MAX_TEXT = 2000
#: short fields (actors, services, alert names, fingerprints, payload values)
MAX_FIELD = 200

#: shown where a value is unknown
NONE = "—"

#: the definitions of the four durations, as the Markdown states them
DEFINITIONS: tuple[tuple[str, str], ...] = (
    ("time to detect", "from the start of impact to the declaration"),
    ("time to acknowledge", "from the declaration to the acknowledgement"
                            " (a commander named, or the status moved past investigating)"),
    ("time to mitigate", "from the start of impact to the first change to monitoring"
                         " (to resolved if it never was monitoring)"),
    ("time to resolve", "from the start of impact to the resolution"),
)

#: the sections left for people to write, each with its prompt
SKELETON: tuple[tuple[str, str], ...] = (
    ("What happened", "The story in plain words, in order: what users saw and what we did."),
    ("Impact", "Who was affected, how much and for how long (requests, customers, money, data)."),
    ("Root cause", "Why it happened, down to the cause we can act on (ask why until it is one)."),
    ("What went well", "What helped: alerts that fired, runbooks that worked, people who knew."),
    ("What went wrong", "What slowed us down or made it worse: gaps in alerts, tools, access or knowledge."),
    ("Action items", "One line each: what, who owns it, by when, and the ticket."),
)


@dataclass(frozen=True)
class PostMortem:
    """One incident's record with its milestones worked out (module docstring: their
    definitions). Built by `review()`; all milestones are UTC-aware datetimes."""

    incident: Incident
    #: the timeline, in event-id order (the order the store wrote it)
    events: tuple[TimelineEvent, ...]
    #: the linked alerts, earliest start first (unknown starts last)
    alerts: tuple[LinkedAlert, ...]
    #: the SLOs of the affected services, in the order given
    slos: tuple[SloBurn, ...]
    started_at: datetime
    detected_at: datetime
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None

    @property
    def time_to_detect(self) -> float | None:
        """Seconds from the start of impact to the declaration."""
        return _seconds(self.started_at, self.detected_at)

    @property
    def time_to_acknowledge(self) -> float | None:
        """Seconds from the declaration to the acknowledgement."""
        return _seconds(self.detected_at, self.acknowledged_at)

    @property
    def time_to_mitigate(self) -> float | None:
        """Seconds from the start of impact to the mitigation."""
        return _seconds(self.started_at, self.mitigated_at)

    @property
    def time_to_resolve(self) -> float | None:
        """Seconds from the start of impact to the resolution."""
        return _seconds(self.started_at, self.resolved_at)

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


def review(
    incident: Incident,
    events: Iterable[TimelineEvent],
    alerts: Iterable[LinkedAlert],
    slos: Iterable[SloBurn],
) -> PostMortem:
    """The post-mortem facts of `incident` from its record (module docstring: milestones)."""
    ordered = tuple(sorted(events, key=lambda e: e.id))
    linked = tuple(sorted(
        alerts,
        key=lambda a: (a.starts_at is None, _utc(a.starts_at) if a.starts_at else None, a.fingerprint),
    ))
    detected = _utc(incident.created_at)
    starts = [_utc(a.starts_at) for a in linked if a.starts_at is not None]
    started = min([detected, *starts])
    resolved = (
        _utc(incident.resolved_at)
        if incident.status is IncidentStatus.RESOLVED and incident.resolved_at is not None
        else None
    )
    return PostMortem(
        incident=incident,
        events=ordered,
        alerts=linked,
        slos=tuple(slos),
        started_at=started,
        detected_at=detected,
        acknowledged_at=_utc(incident.acknowledged_at) if incident.acknowledged_at else None,
        mitigated_at=_mitigated_at(ordered),
        resolved_at=resolved,
    )


def _mitigated_at(events: tuple[TimelineEvent, ...]) -> datetime | None:
    for target in (IncidentStatus.MONITORING.value, IncidentStatus.RESOLVED.value):
        for event in events:
            if event.kind == "status" and _plain(_payload(event).get("to")) == target:
                return _utc(event.at)
    return None


# ---------------------------------------------------------------------- Markdown


def to_markdown(pm: PostMortem, now: datetime) -> str:
    """The post-mortem skeleton in (GitHub-flavoured) Markdown; every text from the
    record renders literally (module docstring)."""
    inc = pm.incident
    now = _utc(now)
    still_open = f"{NONE} (still open at {_iso(now)})"
    out: list[str] = [
        f"# Post-mortem: incident #{inc.id} — {_md(inc.title, MAX_TEXT)}",
        "",
        f"*Generated by obsconsole at {_iso(now)}. The facts below come from the incident record;"
        " the sections after the timeline are for people to write.*",
        "",
        "## Summary",
        "",
        "| | |",
        "|---|---|",
        f"| severity | {_md(_plain(inc.severity))} |",
        f"| status | {_md(_plain(inc.status))} |",
        f"| services | {', '.join(_md(s) for s in inc.services) or NONE} |",
        f"| commander | {_md(inc.commander) if inc.commander else NONE} |",
        f"| declared by | {_md(inc.created_by) or NONE} |",
        f"| declared at | {_iso(pm.detected_at)} |",
        f"| resolved at | {_iso(pm.resolved_at) if pm.resolved_at else still_open} |",
        f"| description | {_md(inc.description, MAX_TEXT) or NONE} |",
        "",
        "## Key times",
        "",
        "| milestone | at (UTC) |",
        "|---|---|",
        f"| impact started | {_iso(pm.started_at)} |",
        f"| detected (declared) | {_iso(pm.detected_at)} |",
        f"| acknowledged | {_iso(pm.acknowledged_at) if pm.acknowledged_at else NONE} |",
        f"| mitigated | {_iso(pm.mitigated_at) if pm.mitigated_at else NONE} |",
        f"| resolved | {_iso(pm.resolved_at) if pm.resolved_at else still_open} |",
        "",
        "| measure | duration |",
        "|---|---|",
    ]
    durations = (pm.time_to_detect, pm.time_to_acknowledge, pm.time_to_mitigate, pm.time_to_resolve)
    for (name, _), seconds in zip(DEFINITIONS, durations):
        value = format_duration(seconds)
        if seconds is None and name == "time to resolve" and pm.is_open:
            value = still_open
        out.append(f"| {name} | {value} |")
    out.append("")
    out.append("How each was measured:")
    out.append("")
    out.extend(f"- {name[0].upper()}{name[1:]}: {definition}." for name, definition in DEFINITIONS)
    out.append("- Impact started: the earliest start of a linked alert, else the declaration.")
    out += ["", "## Linked alerts", ""]
    if pm.alerts:
        out += ["| name | service | severity | started | fingerprint |", "|---|---|---|---|---|"]
        for a in pm.alerts:
            started = _iso(_utc(a.starts_at)) if a.starts_at else NONE
            out.append(
                f"| {_md(a.name) or NONE} | {_md(a.service) or NONE} | {_md(a.severity) or NONE}"
                f" | {started} | {_md(a.fingerprint) or NONE} |"
            )
    else:
        out.append("*No alerts were linked to this incident.*")
    out += ["", "## SLO error budget burned", ""]
    if pm.slos:
        out += [
            "Shares of each SLO's whole error budget (100 % = untouched, negative = overspent).",
            "",
            "| slo | service | remaining at start | remaining now | burned |",
            "|---|---|---|---|---|",
        ]
        for s in pm.slos:
            out.append(
                f"| {_md(s.slo_id) or NONE} | {_md(s.service) or NONE} | {_remaining(s.remaining_at_start)}"
                f" | {_remaining(s.remaining_now)} | {format_percent(s.burned)} |"
            )
    else:
        out.append("*No SLO of the affected services was measured.*")
    out += ["", "## Timeline", ""]
    if pm.events:
        day = pm.detected_at.date()
        for event in pm.events:
            at = _utc(event.at)
            # the date only where the day changes: most incidents fit in one day
            stamp = at.strftime("%H:%M:%S UTC") if at.date() == day else at.strftime("%Y-%m-%d %H:%M:%S UTC")
            day = at.date()
            out.append(f"- {stamp} · {_md(event.actor) or NONE} · {describe(event)}")
    else:
        out.append("*The timeline is empty.*")
    for heading, prompt in SKELETON:
        out += ["", f"## {heading}", "", f"*{prompt}*"]
    out.append("")
    return "\n".join(out)


def describe(event: TimelineEvent, escape: Callable[..., str] | None = None) -> str:
    """What happened in one timeline event, in words, as inert Markdown (one line);
    `escape(value, limit)` makes each value inert another way (the war room: plain text)."""
    _md = escape or _markdown
    p = _payload(event)
    kind = event.kind
    if kind == "declared":
        services = p.get("services")
        names = ", ".join(_md(s) for s in services) if isinstance(services, list | tuple) else _md(services)
        return (f"declared: {_md(p.get('title'), MAX_TEXT)} (severity {_md(p.get('severity')) or NONE};"
                f" services: {names or NONE})")
    if kind == "status":
        text = f"status {_md(p.get('from')) or NONE} → {_md(p.get('to')) or NONE}"
        reason = _md(p.get("reason"), MAX_TEXT)
        return f"{text} (reason: {reason})" if reason.strip() else text
    if kind == "severity":
        return f"severity {_md(p.get('from')) or NONE} → {_md(p.get('to')) or NONE}"
    if kind == "commander":
        old, new = _md(p.get("from")), _md(p.get("to"))
        if not new:
            return f"commander {old} stood down" if old else "commander cleared"
        return f"commander changed from {old} to {new}" if old else f"commander set to {new}"
    if kind == "note":
        return f"note: {_md(p.get('text'), MAX_TEXT)}"
    if kind == "suggestion":
        return f"suggested: {_md(p.get('text'), MAX_TEXT)}"
    if kind in ("alert_linked", "alert_unlinked"):
        verb = "linked" if kind == "alert_linked" else "unlinked"
        name, service = _md(p.get("name")), _md(p.get("service"))
        if name:
            return f"alert {verb}: {name}" + (f" ({service})" if service else "")
        return f"alert {verb}: {_md(p.get('fingerprint')) or NONE}"
    fields = ", ".join(f"{_md(k)}={_md(_plain(v), MAX_TEXT)}" for k, v in p.items())
    return f"{_md(kind) or 'event'}: {fields}" if fields else _md(kind) or "event"


def format_duration(seconds: float | None) -> str:
    """A compact human duration: `0s`, `45s`, `4m05s`, `1h02m`, `2d03h`; `—` when unknown.
    Rounded to the second (minutes from an hour on, hours from a day on)."""
    if seconds is None or not math.isfinite(seconds):
        return NONE
    sign = "-" if seconds < 0 else ""
    total = int(round(abs(seconds)))
    if total < 60:
        return f"{sign}{total}s"
    if total < 3600:
        return f"{sign}{total // 60}m{total % 60:02d}s"
    minutes = int(round(total / 60))
    if minutes < 24 * 60:
        return f"{sign}{minutes // 60}h{minutes % 60:02d}m"
    hours = int(round(total / 3600))
    return f"{sign}{hours // 24}d{hours % 24:02d}h"


def format_percent(fraction: float | None) -> str:
    """A fraction of the budget as a percentage with one decimal (`25.0 %`, `-12.5 %`),
    never clamped; `—` when unknown."""
    if fraction is None or not math.isfinite(fraction):
        return NONE
    text = f"{fraction * 100:.1f}"
    return f"{'0.0' if text == '-0.0' else text} %"


def _remaining(fraction: float | None) -> str:
    text = format_percent(fraction)
    return f"{text} (overspent)" if fraction is not None and text.startswith("-") else text


#: every character Markdown could read as syntax, backslash-escaped (CommonMark lets any
#: ASCII punctuation be escaped, so escaping more is always safe; ~ is strikethrough and
#: $ math on GitHub). < > & become entities instead: they render as the same characters,
#: and the text holds no `<tag` even for a reader or filter that ignores backslashes.
_SPECIAL = "\\`*_{}[]()#+-.!|~$"
_ESCAPE: dict[int, str] = {ord(c): "\\" + c for c in _SPECIAL} | {
    ord("<"): "&lt;", ord(">"): "&gt;", ord("&"): "&amp;",
}
_NEWLINES = {ord("\r"): " ", ord("\n"): " ", 0x2028: " ", 0x2029: " ", 0x0B: " ", 0x0C: " ", 0x85: " "}


def _md(value: Any, limit: int = MAX_FIELD) -> str:
    return _markdown(value, limit)


def _markdown(value: Any, limit: int = MAX_FIELD) -> str:
    """`value` as one line of inert Markdown: newlines become spaces and the ends are
    trimmed (a table cell would trim them anyway), control characters become their
    visible pictures (sanitize.clean), specials are escaped, and text longer than `limit`
    characters is cut with a note of how much was cut."""
    if value is None:
        return ""
    text = to_str(_plain(value))
    cut = max(0, len(text) - limit)
    if cut:
        text = text[:limit]
    text = text.replace("\r\n", " ").translate(_NEWLINES).strip()
    text = clean(text, max_len=-1, multiline=False).translate(_ESCAPE)
    return f"{text} … ({cut:,} more characters cut)" if cut else text


# ---------------------------------------------------------------------- JSON


def to_json(pm: PostMortem, now: datetime) -> dict[str, Any]:
    """The post-mortem facts as a JSON-able dict (datetimes as ISO 8601 UTC strings,
    durations in seconds or None). Text is kept as recorded."""
    inc = pm.incident
    return {
        "incident": {
            "id": inc.id,
            "title": inc.title,
            "description": inc.description,
            "severity": _plain(inc.severity),
            "status": _plain(inc.status),
            "services": list(inc.services),
            "commander": inc.commander,
            "created_at": _json_time(inc.created_at),
            "created_by": inc.created_by,
            "updated_at": _json_time(inc.updated_at),
            "acknowledged_at": _json_time(inc.acknowledged_at),
            "resolved_at": _json_time(inc.resolved_at),
            "version": inc.version,
        },
        "milestones": {
            "started_at": _json_time(pm.started_at),
            "detected_at": _json_time(pm.detected_at),
            "acknowledged_at": _json_time(pm.acknowledged_at),
            "mitigated_at": _json_time(pm.mitigated_at),
            "resolved_at": _json_time(pm.resolved_at),
        },
        "durations_s": {
            "time_to_detect": _json_number(pm.time_to_detect),
            "time_to_acknowledge": _json_number(pm.time_to_acknowledge),
            "time_to_mitigate": _json_number(pm.time_to_mitigate),
            "time_to_resolve": _json_number(pm.time_to_resolve),
        },
        "alerts": [
            {
                "fingerprint": a.fingerprint,
                "name": a.name,
                "service": a.service,
                "severity": a.severity,
                "starts_at": _json_time(a.starts_at),
                "linked_at": _json_time(a.linked_at),
                "linked_by": a.linked_by,
            }
            for a in pm.alerts
        ],
        "slos": [
            {
                "slo_id": s.slo_id,
                "service": s.service,
                "remaining_at_start": _json_number(s.remaining_at_start),
                "remaining_now": _json_number(s.remaining_now),
                "burned": _json_number(s.burned),
            }
            for s in pm.slos
        ],
        "timeline": [
            {
                "id": e.id,
                "at": _json_time(e.at),
                "actor": e.actor,
                "kind": e.kind,
                "payload": _jsonable(_payload(e)),
            }
            for e in pm.events
        ],
        "generated_at": _json_time(now),
    }


def _json_time(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z` (sub-second digits kept when there are any)."""
    return None if value is None else _utc(value).isoformat().replace("+00:00", "Z")


def _json_number(value: float | None) -> float | None:
    # NaN and infinities are not JSON
    return float(value) if value is not None and math.isfinite(value) else None


def _jsonable(value: Any) -> Any:
    """Payload values as JSON can hold them (they came from JSON, but tests and older
    records may hold datetimes, enums or tuples)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return _json_number(value)
    if isinstance(value, enum.Enum):
        return _jsonable(value.value)
    if isinstance(value, datetime):
        return _json_time(value)
    if isinstance(value, Mapping):
        return {to_str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return to_str(value)


# ---------------------------------------------------------------------- helpers


def _utc(value: datetime) -> datetime:
    """`value` in UTC; a naive datetime is taken to be UTC already (never local time)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso(value: datetime) -> str:
    """UTC, to the second: `2025-03-04T12:03:10Z`."""
    return _utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (_utc(end) - _utc(start)).total_seconds()


def _payload(event: TimelineEvent) -> Mapping[str, Any]:
    return event.payload if isinstance(event.payload, Mapping) else {}


def plain_text(value: Any, limit: int = MAX_FIELD) -> str:
    """`value` as one line of plain text (control characters shown as pictures, long
    text cut): describe()'s escape for a terminal, where the widget makes it inert."""
    return clean(_plain(value) if value is not None else "", limit)


def _plain(value: Any) -> Any:
    """An enum's value (str() of a str-enum would give `Severity.HIGH`), else `value`."""
    return value.value if isinstance(value, enum.Enum) else value
