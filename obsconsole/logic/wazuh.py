"""Wazuh alerts (SPEC §10), the pure parts: one alert document → `SecurityEvent`, rule
level → severity, the dashboard's 24 h top 10, and which addresses brute-force.

Both ways of reading Wazuh (the indexer's `_source` documents and the manager's
alerts.json lines) carry the same alert JSON, so both go through `parse_alert`. Alerts
are written by whoever can make an agent log something: every field is coerced or the
alert is dropped (`None`), and parsing never raises.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from obsconsole.logic.fields import get_path, parse_time, scalar_text
from obsconsole.model import Health, SecurityEvent, SecurityTop, SecurityView, Severity

#: rules that mean "someone is guessing passwords" (SPEC §10): 100003 five failures from
#: one source in 300 s, 100004 a success after failures, 100104 twenty 401s in 300 s
BRUTE_FORCE_RULES = frozenset({"100003", "100004", "100104"})

#: the dashboard panel looks back 24 h and shows 10 rows (SPEC §10)
TOP_WINDOW_S = 24 * 3600.0
TOP_ROWS = 10

#: Wazuh's rule levels go from 0 to 15 (16 in some rule sets); anything else is not a level
MAX_LEVEL = 16
#: most list items kept per list field (groups, MITRE ids and tactics)
MAX_LIST_ITEMS = 50

#: level → severity, highest band first. SPEC §10's rules put attacks at 12 (SQL
#: injection), what needs a look at 8-11 (brute force, XSS, rate-limit and 401 floods),
#: the dashboard's threshold at 5 (a failed login) and routine events at 3 (a login).
_BANDS = ((12, Severity.CRITICAL), (8, Severity.HIGH), (5, Severity.MEDIUM), (3, Severity.LOW))


def level_severity(level: int) -> Severity:
    """The severity band of a Wazuh rule level (see `_BANDS`)."""
    for lowest, severity in _BANDS:
        if level >= lowest:
            return severity
    return Severity.INFO


def level_health(level: int) -> Health:
    """The display colour of a rule level: 12+ is an attack (critical), 8+ needs a look
    (warning), the rest is shown for context."""
    severity = level_severity(level)
    if severity is Severity.CRITICAL:
        return Health.CRITICAL
    if severity is Severity.HIGH:
        return Health.WARNING
    return Health.OK


def is_brute_force(event: SecurityEvent) -> bool:
    return event.rule_id in BRUTE_FORCE_RULES


def brute_force_ips(events: Iterable[SecurityEvent]) -> tuple[str, ...]:
    """Source addresses of brute-force alerts, each once, in the order of `events`
    (newest first in, most recent attacker first out)."""
    return tuple(dict.fromkeys(e.srcip for e in events if is_brute_force(e) and e.srcip))


# --------------------------------------------------------------------------- top 10


def rank_top(rows: Iterable[SecurityTop], n: int = TOP_ROWS) -> tuple[SecurityTop, ...]:
    """The `n` rows an on-call engineer should see first: highest level, then most
    frequent, then by description (so equal rows keep a stable order)."""
    return tuple(sorted(rows, key=lambda r: (-r.level, -r.count, r.description))[:n])


def top_events(
    events: Iterable[SecurityEvent],
    now: datetime,
    min_level: int,
    *,
    window_s: float = TOP_WINDOW_S,
    n: int = TOP_ROWS,
) -> tuple[SecurityTop, ...]:
    """The dashboard panel computed from events: count per (level, description) of the
    events at or above `min_level` since `window_s` before `now` (inclusive), ranked by
    `rank_top`. Both ends as the indexer's range query (`gte` now-24h, no upper bound)
    counts them: an alert stamped exactly 24 h ago counts, and so do alerts stamped after
    `now` (a manager's clock ahead of ours must not hide its alerts)."""
    oldest = now - timedelta(seconds=window_s)
    counts = Counter((e.level, e.description) for e in events if e.level >= min_level and e.timestamp >= oldest)
    return rank_top((SecurityTop(level, text, count) for (level, text), count in counts.items()), n)


def merge_events(
    *parts: Iterable[SecurityEvent], limit: int
) -> tuple[SecurityEvent, ...]:
    """Events from several reads of the same alerts (the indexer is fed from alerts.json),
    each alert once by its `id` (the first part's copy wins), newest first, at most
    `limit`."""
    seen: dict[str, SecurityEvent] = {}
    for part in parts:
        for e in part:
            seen.setdefault(e.id, e)
    ordered = sorted(seen.values(), key=lambda e: (e.timestamp, e.id), reverse=True)
    return tuple(ordered[: max(0, limit)])


def merge_views(views: Iterable[SecurityView], limit: int) -> SecurityView:
    """One view from the parts of a source that answered, most complete part first (the
    indexer, then alerts.json): events each once, the top 10 of the first part that has
    one (the parts count the same alerts, so their counts cannot be added), every
    flagged address, every skipped line and warning."""
    views = list(views)
    return SecurityView(
        events=merge_events(*(v.events for v in views), limit=limit),
        top=next((v.top for v in views if v.top), ()),
        brute_force_ips=tuple(dict.fromkeys(ip for v in views for ip in v.brute_force_ips)),
        skipped_lines=sum(v.skipped_lines for v in views),
        warnings=tuple(w for v in views for w in v.warnings),
    )


# --------------------------------------------------------------------------- parsing


def parse_alert(raw: Any) -> SecurityEvent | None:
    """One Wazuh alert document as a `SecurityEvent`, or None when it is not one (no
    usable timestamp or rule level). Never raises: missing fields are empty, wrong
    types are coerced (a level "10" is 10, a single group string is a one-item list)."""
    if not isinstance(raw, Mapping):
        return None
    timestamp = parse_timestamp(get_path(raw, "timestamp") or get_path(raw, "@timestamp"))
    level = parse_level(get_path(raw, "rule.level"))
    if timestamp is None or level is None:
        return None
    rule_id = scalar_text(get_path(raw, "rule.id"))
    agent_id = scalar_text(get_path(raw, "agent.id"))
    location = scalar_text(get_path(raw, "location"))
    full_log = scalar_text(get_path(raw, "full_log"))
    event_id = scalar_text(get_path(raw, "id")) or _content_id(timestamp, rule_id, agent_id, location, full_log)
    return SecurityEvent(
        id=event_id,
        timestamp=timestamp,
        rule_id=rule_id,
        level=level,
        description=scalar_text(get_path(raw, "rule.description")),
        agent_id=agent_id,
        agent_name=scalar_text(get_path(raw, "agent.name")),
        srcip=scalar_text(get_path(raw, "data.srcip")),
        groups=_texts(get_path(raw, "rule.groups")),
        mitre_ids=_texts(get_path(raw, "rule.mitre.id")),
        mitre_tactics=_texts(get_path(raw, "rule.mitre.tactic")),
        location=location,
        full_log=full_log,
    )


def parse_timestamp(value: Any) -> datetime | None:
    """An alert time as an aware UTC datetime, or None. Wazuh writes
    `2026-11-28T14:00:00.123+0000`; the indexer may also hold `Z` times or epoch
    milliseconds (`logic.fields.parse_time` reads them all)."""
    return parse_time(value)


def parse_level(value: Any) -> int | None:
    """A rule level 0-16 from an int, an integral float or a string of digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        value = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not (len(text) <= 3 and text.isdigit() and text.isascii()):  # "".isdigit() is False
            return None
        value = int(text)
    if isinstance(value, int) and 0 <= value <= MAX_LEVEL:
        return value
    return None


def _texts(value: Any) -> tuple[str, ...]:
    """A list field (groups, MITRE ids): its scalar items as text; one string is a list of one."""
    items = value if isinstance(value, list) else [value]
    return tuple(t for t in (scalar_text(v) for v in items[:MAX_LIST_ITEMS]) if t)


def _content_id(*fields: Any) -> str:
    """An id for an alert that has none (older managers, hand-written tests), derived from
    its content so that both reads of the same alert get the same id."""
    digest = hashlib.sha256("\x1f".join(str(f) for f in fields).encode("utf-8", "replace"))
    return "sha256:" + digest.hexdigest()[:24]
