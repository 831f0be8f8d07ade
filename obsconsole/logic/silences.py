"""Acks are Alertmanager silences: which matchers ack an alert group, what they select,
and how long an ack has left. Pure functions."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Iterable, Mapping

from obsconsole.model import Alert, AlertGroup, Matcher, Silence


def matchers_for_group(group: AlertGroup, service_label: str) -> tuple[Matcher, ...]:
    """Matchers that select exactly the alerts of `group` as they are labelled: the
    alert names (a regex when there are several), the service label values, and the
    category. Values are escaped, so a label with regex characters matches literally."""
    names = sorted({a.labels.get("alertname", a.name) for a in group.alerts})
    services = sorted({a.labels[service_label] for a in group.alerts if service_label in a.labels})
    categories = sorted({a.labels["category"] for a in group.alerts if "category" in a.labels})
    out = [_one_of("alertname", names)]
    if services:
        out.append(_one_of(service_label, services))
    if categories:
        out.append(_one_of("category", categories))
    return tuple(out)


def _one_of(name: str, values: list[str]) -> Matcher:
    if len(values) == 1:
        return Matcher(name, values[0])
    return Matcher(name, "|".join(re.escape(v) for v in values), is_regex=True)


def matches(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    """Alertmanager's semantics: every matcher must hold; regexes are anchored; a
    missing label is the empty string. An invalid regex matches nothing, with `=~` or
    `!~`: Alertmanager refuses such a silence, so it silences nothing."""
    for m in matchers:
        value = labels.get(m.name, "")
        if m.is_regex:
            try:
                hit = re.fullmatch(m.value, value) is not None
            except re.error:
                return False
        else:
            hit = value == m.value
        if hit != m.is_equal:
            return False
    return True


def selected(matchers: Iterable[Matcher], alerts: Iterable[Alert]) -> tuple[Alert, ...]:
    """The alerts a silence with `matchers` would silence right now."""
    ms = tuple(matchers)
    return tuple(a for a in alerts if matches(ms, a.labels))


def remaining_s(silence: Silence, now: datetime) -> float:
    return max(0.0, (silence.ends_at - now).total_seconds())


def countdown(seconds: float) -> str:
    """14:59 (mm:ss), or 1:02:03 past an hour."""
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}:{(s % 3600) // 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"
