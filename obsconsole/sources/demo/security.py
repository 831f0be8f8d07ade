"""The demo's Wazuh: alerts from the AI GYM local rules (SPEC §10).

Background events are generated per 60 s bucket (cached; depend only on seed and bucket):
successful logins (100001, level 3), the odd mistyped password (100002, 5), off-hours
logins between 22:00 and 06:00 UTC (100006, 6), personal-data reads (100105, 7) and now
and then a client hitting the rate limit (100103, 8).

The scripted attack runs alongside the incident: one address fails to log in five times a
second or two apart (100002 ×5), Wazuh correlates that into 100003 (level 8, T1110), and
a few seconds later the same address logs in successfully (100004, level 10, T1110).
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from obsconsole.logic import wazuh
from obsconsole.model import SecurityEvent, SecurityTop, SecurityView
from obsconsole.sources.demo.curves import Timeline, daily_load, rng, to_datetime
from obsconsole.sources.demo.topology import HOSTS

BUCKET_S = 60.0
#: the Wazuh dashboard panel looks back 24 h (SPEC §10)
WINDOW_S = 24 * 3600.0

ATTACKER_IP = "203.0.113.45"  # TEST-NET-3, documentation range
ATTACKED_ACCOUNT = "admin@aigym.example"
#: seconds after the incident starts when the first failed login arrives
ATTACK_AFTER_S = 10.0

_AUTH_LOG = "/var/log/aigym/auth.json"
_API_LOG = "/var/log/aigym/api-access.json"
_AUTH_AGENTS = ("aigym-api-1", "aigym-api-2")
_API_AGENTS = ("aigym-edge-1", "aigym-api-1", "aigym-api-2")
_AGENT_ID = {h.name: h.agent_id for h in HOSTS}

_T1110 = (("T1110",), ("Credential Access",))


@dataclass(frozen=True)
class _Rule:
    rule_id: str
    level: int
    description: str
    groups: tuple[str, ...]
    mitre_ids: tuple[str, ...] = ()
    mitre_tactics: tuple[str, ...] = ()


R_SUCCESS = _Rule("100001", 3, "Successful user authentication",
                  ("authentication", "authentication_success"))
R_FAILURE = _Rule("100002", 5, "Failed authentication attempt",
                  ("authentication", "authentication_failed"))
R_MULTI_FAIL = _Rule("100003", 8,
                     "Multiple authentication failures from same source IP: {srcip}",
                     ("authentication",), *_T1110)
R_SUCCESS_AFTER_FAIL = _Rule(
    "100004", 10,
    "Successful authentication after multiple failures - possible brute force success",
    ("authentication",), *_T1110)
R_OFF_HOURS = _Rule("100006", 6, "User authentication during off-hours",
                    ("authentication", "after_hours"))
R_RATE_LIMIT = _Rule("100103", 8, "Excessive API requests triggering rate limiting",
                     ("api_security",))
R_DATA_ACCESS = _Rule("100105", 7, "Access to sensitive data endpoints",
                      ("api_security", "data_access"))


def _make(
    rule: _Rule, ts: float, event_id: str, agent: str, srcip: str, location: str,
    payload: dict[str, object],
) -> SecurityEvent:
    # full_log is the decoded JSON line, as the rules say `decoded_as json`
    line = json.dumps({"timestamp": to_datetime(ts).isoformat(), **payload, "srcip": srcip},
                      separators=(",", ":"))
    return SecurityEvent(
        id=event_id,
        timestamp=to_datetime(ts),
        rule_id=rule.rule_id,
        level=rule.level,
        description=rule.description.format(srcip=srcip),
        agent_id=_AGENT_ID[agent],
        agent_name=agent,
        srcip=srcip,
        groups=rule.groups,
        mitre_ids=rule.mitre_ids,
        mitre_tactics=rule.mitre_tactics,
        location=location,
        full_log=line,
    )


def _user_ip(r: random.Random) -> str:
    # customers come from documentation ranges; the office from a private one
    return r.choice(
        (f"198.51.100.{r.randint(2, 254)}", f"192.0.2.{r.randint(2, 254)}",
         f"10.20.{r.randint(0, 9)}.{r.randint(2, 254)}")
    )


def _user(r: random.Random) -> str:
    return f"user{r.randint(100, 9999)}@aigym.example"


_Spec = tuple[_Rule, float, str, str, str, str, dict[str, object]]


@lru_cache(maxsize=4096)
def _bucket_specs(seed: int, bucket: int) -> tuple[_Spec, ...]:
    """What happens in one 60 s bucket, before it is dressed as alerts: (rule, time,
    id, agent, srcip, location, payload). Cheap: the 24 h top 10 counts these."""
    start = bucket * BUCKET_S
    r = rng(seed, "wazuh", bucket)
    hour = (start % 86_400.0) / 3600.0
    off_hours = hour >= 22.0 or hour < 6.0
    kinds: list[tuple[_Rule, str, str, dict[str, object]]] = []
    logins = round(1 + 3 * daily_load(start) + r.uniform(-1.0, 1.0))
    for _ in range(max(0, logins)):
        rule = R_OFF_HOURS if off_hours and r.random() < 0.3 else R_SUCCESS
        kinds.append((rule, _AUTH_LOG, r.choice(_AUTH_AGENTS),
                      {"event_type": "authentication_success", "user_email": _user(r)}))
    if r.random() < 0.2:
        kinds.append((R_FAILURE, _AUTH_LOG, r.choice(_AUTH_AGENTS),
                      {"event_type": "authentication_failure", "user_email": _user(r),
                       "reason": "invalid_password"}))
    if r.random() < 0.3:
        table = r.choice(("users", "profiles", "conversations"))
        kinds.append((R_DATA_ACCESS, _API_LOG, r.choice(_API_AGENTS),
                      {"request_method": "GET", "request_uri": f"/api/{table}",
                       "response_status": 200, "user_email": _user(r)}))
    if r.random() < 0.03:
        kinds.append((R_RATE_LIMIT, _API_LOG, r.choice(_API_AGENTS),
                      {"request_method": "POST", "request_uri": "/functions/v1/chat",
                       "response_status": 429, "count": 10}))
    specs = []
    for n, (rule, location, agent, payload) in enumerate(kinds):
        ts = start + r.uniform(0.0, BUCKET_S)
        # Wazuh ids are "<unix seconds>.<offset>"; a whole second lies in one bucket, so
        # the index makes it unique, and 1000+ keeps clear of the attack's ids
        specs.append((rule, ts, f"{int(ts)}.{1000 + n}", agent, _user_ip(r), location, payload))
    return tuple(specs)


@lru_cache(maxsize=4096)
def background_bucket(seed: int, bucket: int) -> tuple[SecurityEvent, ...]:
    """The background events of one 60 s bucket, newest first."""
    events = [_make(rule, ts, event_id, agent, srcip, location, payload)
              for rule, ts, event_id, agent, srcip, location, payload in _bucket_specs(seed, bucket)]
    events.sort(key=lambda e: (e.timestamp, e.id), reverse=True)
    return tuple(events)


@lru_cache(maxsize=64)
def attack_events(tl: Timeline) -> tuple[SecurityEvent, ...]:
    """The scripted brute force of this timeline, oldest first."""
    r = rng(tl.seed, "brute-force")
    agent = "aigym-api-1"
    ts = tl.incident_ts + ATTACK_AFTER_S
    events: list[SecurityEvent] = []
    base = {"user_email": ATTACKED_ACCOUNT, "user_agent": "python-requests/2.31.0"}
    for k in range(5):
        if k:
            ts += r.uniform(1.0, 2.0)  # a scripted guesser, a second or two apart
        events.append(_make(R_FAILURE, ts, f"{int(ts)}.{k + 1}", agent, ATTACKER_IP,
                            _AUTH_LOG, {"event_type": "authentication_failure",
                                        "reason": "invalid_password", **base}))
    ts += 0.2  # the correlation rule fires right after the fifth failure
    events.append(_make(R_MULTI_FAIL, ts, f"{int(ts)}.6", agent, ATTACKER_IP, _AUTH_LOG,
                        {"event_type": "authentication_failure", "failures": 5, **base}))
    ts += r.uniform(6.0, 9.0)
    events.append(_make(R_SUCCESS_AFTER_FAIL, ts, f"{int(ts)}.7", agent, ATTACKER_IP,
                        _AUTH_LOG, {"event_type": "authentication_success", **base}))
    return tuple(events)


def security_events(
    tl: Timeline, now: float, min_level: int, limit: int
) -> tuple[SecurityEvent, ...]:
    """At most `limit` events of the last 24 h up to `now` with level >= min_level,
    newest first."""
    if limit <= 0:
        return ()
    oldest = now - WINDOW_S
    attack = [e for e in attack_events(tl) if e.level >= min_level]
    out: list[SecurityEvent] = []
    bucket = math.floor(now / BUCKET_S)
    last = math.floor(oldest / BUCKET_S)
    while bucket >= last and len(out) < limit:
        lo, hi = bucket * BUCKET_S, (bucket + 1) * BUCKET_S
        chunk = [e for e in background_bucket(tl.seed, bucket) if e.level >= min_level]
        chunk += [e for e in attack if lo <= e.timestamp.timestamp() < hi]
        chunk.sort(key=lambda e: (e.timestamp, e.id), reverse=True)
        for event in chunk:
            if oldest < event.timestamp.timestamp() <= now:
                out.append(event)
                if len(out) >= limit:
                    break
        bucket -= 1
    return tuple(out)


def security_view(tl: Timeline, now: float, min_level: int, limit: int) -> SecurityView:
    """What the demo's Wazuh indexer answers: the newest `limit` events, and the top 10
    and brute-force addresses counted over the whole 24 h, as the indexer counts them
    (from the buckets' raw specs: dressing a day of alerts would cost ~50 ms)."""
    oldest = now - WINDOW_S
    counts: Counter[tuple[int, str]] = Counter()
    for bucket in range(math.floor(oldest / BUCKET_S), math.floor(now / BUCKET_S) + 1):
        for rule, ts, _id, _agent, srcip, _loc, _payload in _bucket_specs(tl.seed, bucket):
            if rule.level >= min_level and oldest < ts <= now:
                counts[(rule.level, rule.description.format(srcip=srcip))] += 1
    attack = [e for e in attack_events(tl) if e.level >= min_level and oldest < e.timestamp.timestamp() <= now]
    for e in attack:
        counts[(e.level, e.description)] += 1
    return SecurityView(
        events=security_events(tl, now, min_level, limit),
        top=wazuh.rank_top(SecurityTop(level, text, n) for (level, text), n in counts.items()),
        brute_force_ips=wazuh.brute_force_ips(reversed(attack)),
    )
