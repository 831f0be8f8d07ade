"""The demo platform: deterministic in (seed, clock), calm is OK, the scripted incident
happens on time and recovers."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from obsconsole.config import DEFAULT_SLOS, PANE_IDS, Thresholds
from obsconsole.model import Health, LogLevel, Severity, SourceError
from obsconsole.sources.base import (
    AlertSource,
    InfraSource,
    LatencySource,
    LogSource,
    SecuritySource,
    SLOSource,
)
from obsconsole.sources.demo import DemoPlatform
from tests.clock import PEAK

UTC = timezone.utc
#: 15:00 UTC is the daily peak: the hardest time for "calm is OK"
START = PEAK
HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")
ATTACKER = "203.0.113.45"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def at(self, seconds: float, start: datetime = START) -> "FakeClock":
        self.now = start + timedelta(seconds=seconds)
        return self


def make(
    seed: int = 1, at: float = 0.0, start: datetime = START, **kw: Any
) -> tuple[DemoPlatform, FakeClock]:
    """A platform started at `start` and a clock `at` seconds later."""
    clock = FakeClock(start)
    platform = DemoPlatform(seed, clock, started_at=start, **kw)
    clock.at(at, start)
    return platform, clock


async def everything(p: DemoPlatform) -> dict[str, Any]:
    return {
        "hosts": await p.fetch_hosts(),
        "latency": await p.fetch_latency(),
        "slo": await p.fetch_slo_measurements(DEFAULT_SLOS),
        "alerts": await p.fetch_alerts(),
        "errors": await p.fetch_errors(5000),
        "security": await p.fetch_security_events(0, 5000),
        "describe": await p.describe(),
    }


def latency_of(rows, service):
    return next(r for r in rows if r.service == service)


def burn(ratio: float | None, target: float) -> float:
    assert ratio is not None
    return ratio / (1.0 - target)


# --------------------------------------------------------------------------- contract


def test_demo_platform_implements_every_pane_interface():
    p, _ = make()
    for proto in (InfraSource, LatencySource, SLOSource, AlertSource, LogSource, SecuritySource):
        assert isinstance(p, proto)


def test_importing_the_demo_does_not_import_textual():
    code = "import sys, obsconsole.sources.demo; sys.exit('textual' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_started_at_defaults_to_the_clock_at_construction():
    clock = FakeClock(START)
    p = DemoPlatform(1, clock)
    assert p.started_at == START
    clock.now = START + timedelta(seconds=42.5)
    assert p.elapsed() == pytest.approx(42.5)


def test_incident_phase_goes_calm_incident_recovered():
    p, clock = make(incident_after_s=20)
    phases = {t: (clock.at(t), p.incident_phase())[1] for t in (0, 19, 21, 60, 150, 200, 3600)}
    assert phases == {0: "calm", 19: "calm", 21: "incident", 60: "incident",
                      150: "incident", 200: "recovered", 3600: "recovered"}


async def test_every_time_value_is_timezone_aware_utc():
    p, _ = make(at=60)
    data = await everything(p)
    stamps = [a.starts_at for a in data["alerts"]]
    stamps += [e.timestamp for e in data["errors"]] + [e.timestamp for e in data["security"].events]
    assert stamps
    assert all(s.utcoffset() == timedelta(0) for s in stamps)


# --------------------------------------------------------------------------- determinism


async def test_same_seed_and_clock_give_identical_results():
    a, _ = make(seed=7, at=75)
    b, _ = make(seed=7, at=75)
    assert await everything(a) == await everything(b)


async def test_call_order_and_earlier_calls_do_not_change_results():
    a, clock_a = make(seed=3)
    for t in (5, 300, 45, 120):  # a's history of calls at other times
        clock_a.at(t)
        await everything(a)
    clock_a.at(61)
    b, _ = make(seed=3, at=61)
    # b asks in the reverse order, for the first time
    b_result = {
        "describe": await b.describe(),
        "security": await b.fetch_security_events(0, 5000),
        "errors": await b.fetch_errors(5000),
        "alerts": await b.fetch_alerts(),
        "slo": await b.fetch_slo_measurements(DEFAULT_SLOS),
        "latency": await b.fetch_latency(),
        "hosts": await b.fetch_hosts(),
    }
    assert await everything(a) == b_result


async def test_different_seeds_give_different_results():
    a, _ = make(seed=1, at=60)
    b, _ = make(seed=2, at=60)
    da, db = await everything(a), await everything(b)
    for key in ("hosts", "latency", "slo", "errors", "security"):
        assert da[key] != db[key], key


# --------------------------------------------------------------------------- calm


@pytest.mark.parametrize("hour", [0, 3, 6, 9, 12, 15, 18, 21])
@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_calm_start_is_ok_against_default_thresholds_at_any_hour(hour, seed):
    start = START.replace(hour=hour)
    p, clock = make(seed=seed, start=start)
    th = Thresholds()
    for t in (0.0, 10.0, 19.0):
        clock.at(t, start)
        for h in await p.fetch_hosts():
            assert th.cpu.health(h.cpu_pct) is Health.OK, h
            assert th.memory.health(h.mem_pct) is Health.OK, h
            assert th.disk.health(h.disk_pct) is Health.OK, h
            assert all(th.cpu.health(v) is Health.OK for v in h.cpu_history), h
        for s in await p.fetch_latency():
            assert th.latency_p95_s.health(s.p95_s) is Health.OK, s
            assert th.error_ratio.health(s.error_ratio) is Health.OK, s
            assert all(th.latency_p95_s.health(v) is Health.OK for _, v in s.p95_history), s
        alerts = await p.fetch_alerts()
        assert all(a.severity.rank <= Severity.LOW.rank for a in alerts), alerts


async def test_calm_has_a_trickle_of_errors_across_services():
    p, _ = make(at=0)
    events = await p.fetch_errors(5000)
    assert 50 <= len(events) <= 250  # one every ~20-40 s over the hour
    assert len({e.service for e in events}) >= 4
    assert all(e.level in (LogLevel.ERROR, LogLevel.FATAL) for e in events)


async def test_calm_hosts_are_six_named_hosts_with_a_busy_database_and_a_fuller_disk():
    p, _ = make(at=0)
    hosts = {h.host: h for h in await p.fetch_hosts()}
    assert len(hosts) == 6 and all(name.startswith("aigym-") for name in hosts)
    db = next(h for name, h in hosts.items() if "db" in name)
    assert db.mem_pct == max(h.mem_pct for h in hosts.values())
    assert 70 <= max(h.disk_pct for h in hosts.values()) < 80


async def test_histories_have_the_documented_shape():
    p, clock = make(at=30)
    now = clock().timestamp()
    for h in await p.fetch_hosts():
        assert len(h.cpu_history) == 30 and h.cpu_history[-1] == h.cpu_pct
    for s in await p.fetch_latency():
        stamps = [ts for ts, _ in s.p95_history]
        assert stamps[-1] == pytest.approx(now) and stamps[0] == pytest.approx(now - 900)
        assert all(b - a == pytest.approx(15) for a, b in zip(stamps, stamps[1:]))
        assert s.p95_history[-1][1] == s.p95_s
        assert s.p50_s <= s.p95_s <= s.p99_s


# --------------------------------------------------------------------------- incident


async def test_at_60s_aigym_api_is_slow_and_failing():
    p, _ = make(at=60)
    rows = await p.fetch_latency()
    api = latency_of(rows, "aigym-api")
    assert 3.0 <= api.p95_s <= 4.5 and api.p99_s > api.p95_s
    assert 0.07 <= api.error_ratio <= 0.13
    assert max(v for _, v in api.p95_history) > 2.0 > min(v for _, v in api.p95_history)
    th = Thresholds()
    for other in rows:
        if other.service != "aigym-api":
            assert th.latency_p95_s.health(other.p95_s) is Health.OK, other
            assert th.error_ratio.health(other.error_ratio) is Health.OK, other


async def test_at_60s_the_api_hosts_run_hotter_but_not_critical():
    calm, _ = make(at=0)
    hot, _ = make(at=60)
    before = {h.host: h.cpu_pct for h in await calm.fetch_hosts()}
    after = {h.host: h.cpu_pct for h in await hot.fetch_hosts()}
    assert after["aigym-api-1"] > before["aigym-api-1"] + 15
    assert all(Thresholds().cpu.health(v) is not Health.CRITICAL for v in after.values())


async def test_at_60s_api_alerts_fire_with_spec_severities_and_annotations():
    p, clock = make(at=60)
    alerts = {a.name: a for a in await p.fetch_alerts()}
    latency, errors = alerts["APIResponseTimeHigh"], alerts["APIErrorRateHigh"]
    assert (latency.severity, latency.category) == (Severity.MEDIUM, "performance")
    assert (errors.severity, errors.category) == (Severity.HIGH, "application")
    for a in (latency, errors):
        assert a.service == "aigym-api"
        assert {"alertname", "severity", "category", "service", "instance"} <= set(a.labels)
        assert a.labels["alertname"] == a.name and a.labels["severity"] == a.severity.value
        assert a.annotations["runbook_url"].startswith("https://runbooks.aigym.example/")
        assert a.annotations["title"] and a.annotations["description"]
        assert HEX16.match(a.fingerprint)
        # fired after the incident began (20 s) and the compressed `for:` (5 s)
        assert START + timedelta(seconds=25) <= a.starts_at <= clock()
    assert "s" in latency.annotations["description"] and "%" in errors.annotations["description"]


async def test_alert_identity_is_stable_while_it_fires():
    p, clock = make(at=60)
    first = {a.name: (a.fingerprint, a.starts_at) for a in await p.fetch_alerts()}
    clock.at(100)
    later = {a.name: (a.fingerprint, a.starts_at) for a in await p.fetch_alerts()}
    assert first == later


async def test_alerts_are_pending_before_the_for_duration_has_passed():
    p, _ = make(at=22)  # 2 s into the ramp: p95 has not even crossed 2 s
    assert not [a for a in await p.fetch_alerts() if a.name.startswith("API")]


async def test_at_60s_aigym_api_bursts_errors_with_trace_ids():
    p, clock = make(at=60)
    recent = [e for e in await p.fetch_errors(5000)
              if (clock() - e.timestamp).total_seconds() <= 30]
    api = [e for e in recent if e.service == "aigym-api"]
    assert len(api) >= 15
    assert {"handler", "db-pool", "upstream"} <= {e.component for e in api}
    for e in api:
        assert HEX32.match(e.trace_id) and HEX16.match(e.span_id)
        assert e.error_name and e.error_message and e.error_stack and e.metadata
        assert e.host in ("aigym-api-1", "aigym-api-2")
    clock.at(160)
    whole = [e for e in await p.fetch_errors(5000) if e.service == "aigym-api"]
    assert any(e.level is LogLevel.FATAL for e in whole)


async def test_brute_force_from_one_address_escalates_in_order():
    p, clock = make(at=60)
    events = (await p.fetch_security_events(0, 5000)).events
    attack = sorted((e for e in events if e.srcip == ATTACKER), key=lambda e: e.timestamp)
    assert [e.rule_id for e in attack] == ["100002"] * 5 + ["100003", "100004"]
    assert [e.level for e in attack] == [5] * 5 + [8, 10]
    gaps = [(b.timestamp - a.timestamp).total_seconds() for a, b in zip(attack[:5], attack[1:5])]
    assert all(1.0 <= g <= 2.0 for g in gaps)
    for e in attack[5:]:
        assert e.mitre_ids == ("T1110",) and e.mitre_tactics == ("Credential Access",)
    for e in attack:
        assert e.agent_name.startswith("aigym-") and e.agent_id and e.location and e.full_log
        assert ATTACKER in e.full_log and "authentication" in e.groups
    assert START + timedelta(seconds=20) <= attack[0].timestamp <= clock()


async def test_the_brute_force_has_not_happened_before_the_incident():
    p, _ = make(at=15)
    assert not [e for e in (await p.fetch_security_events(0, 5000)).events if e.srcip == ATTACKER]


async def test_security_events_filter_by_level_newest_first_and_limit():
    p, _ = make(at=60)
    events = (await p.fetch_security_events(7, 20)).events
    assert 0 < len(events) <= 20
    assert all(e.level >= 7 for e in events)
    assert [e.timestamp for e in events] == sorted((e.timestamp for e in events), reverse=True)
    everything_ = (await p.fetch_security_events(0, 100_000)).events
    assert {e.level for e in everything_} >= {3, 5, 7, 8, 10}
    assert len({e.id for e in everything_}) == len(everything_)
    assert len((await p.fetch_security_events(0, 3)).events) == 3


# --------------------------------------------------------------------------- recovery


async def test_at_200s_the_platform_has_recovered():
    p, _ = make(at=200)
    assert p.incident_phase() == "recovered"
    alerts = await p.fetch_alerts()
    assert all(a.severity.rank <= Severity.LOW.rank for a in alerts), alerts
    th = Thresholds()
    for s in await p.fetch_latency():
        assert s.p95_s < 2.0 and th.error_ratio.health(s.error_ratio) is Health.OK, s
    for h in await p.fetch_hosts():
        assert th.cpu.health(h.cpu_pct) is Health.OK, h


async def test_after_recovery_the_error_burst_stops():
    p, clock = make(at=260)
    last_min = [e for e in await p.fetch_errors(5000)
                if (clock() - e.timestamp).total_seconds() <= 60]
    assert len(last_min) <= 6


# --------------------------------------------------------------------------- SLOs


async def test_slo_measurements_cover_every_window_of_every_slo():
    p, _ = make(at=0)
    measured = {m.slo_id: m for m in await p.fetch_slo_measurements(DEFAULT_SLOS)}
    assert set(measured) == {s.id for s in DEFAULT_SLOS}
    for slo in DEFAULT_SLOS:
        m = measured[slo.id]
        assert m.error_ratio_window is not None
        for w in (slo.fast.long_s, slo.fast.short_s, slo.slow.long_s, slo.slow.short_s):
            assert m.error_ratios[w] is not None and 0.0 <= m.error_ratios[w] <= 1.0


async def test_slos_are_healthy_with_budget_partly_spent_before_the_incident():
    p, _ = make(at=0)
    for slo, m in zip(DEFAULT_SLOS, await p.fetch_slo_measurements(DEFAULT_SLOS)):
        remaining = 1.0 - burn(m.error_ratio_window, slo.target)
        assert 0.3 <= remaining <= 0.9, (slo.id, remaining)
        for cond in (slo.fast, slo.slow):
            assert burn(m.error_ratios[cond.long_s], slo.target) < cond.factor
            assert burn(m.error_ratios[cond.short_s], slo.target) < cond.factor


async def test_the_incident_burns_api_latency_fast_and_its_budget_stays_spent():
    slo = next(s for s in DEFAULT_SLOS if s.id == "api-latency")
    auth = next(s for s in DEFAULT_SLOS if s.id == "auth-availability")
    p, clock = make(at=0)
    before = (await p.fetch_slo_measurements([slo]))[0]
    clock.at(60)
    during, auth_during = await p.fetch_slo_measurements([slo, auth])
    assert burn(during.error_ratios[slo.fast.long_s], slo.target) > 12
    assert burn(during.error_ratios[slo.fast.short_s], slo.target) > 12
    assert 1.0 < burn(auth_during.error_ratios[auth.fast.short_s], auth.target) < auth.fast.factor
    clock.at(200)
    after = (await p.fetch_slo_measurements([slo]))[0]
    assert burn(after.error_ratios[slo.fast.short_s], slo.target) < slo.fast.factor
    spent = burn(after.error_ratio_window, slo.target) - burn(before.error_ratio_window, slo.target)
    assert spent > 0.3


# --------------------------------------------------------------------------- faults


_FETCHES = {
    "infra": lambda p: p.fetch_hosts(),
    "latency": lambda p: p.fetch_latency(),
    "slo": lambda p: p.fetch_slo_measurements(DEFAULT_SLOS),
    "alerts": lambda p: p.fetch_alerts(),
    "errors": lambda p: p.fetch_errors(10),
    "security": lambda p: p.fetch_security_events(5, 10),
}


@pytest.mark.parametrize("pane", PANE_IDS)
async def test_a_fault_fails_exactly_its_pane(pane):
    p, _ = make(at=30, faults=[pane])
    for other, fetch in _FETCHES.items():
        if other == pane:
            with pytest.raises(SourceError) as info:
                await fetch(p)
            assert info.value.kind == "unreachable"
            assert "demo://" in info.value.message and "fault injected" in info.value.message
        else:
            await fetch(p)


async def test_describe_reports_five_backends_and_marks_faulted_ones_unreachable():
    healthy, _ = make()
    rows = await healthy.describe()
    assert [r.backend for r in rows] == ["prometheus", "alertmanager", "elasticsearch", "wazuh", "incidents"]
    assert all(r.reachable and r.target == f"demo://{r.backend}" and r.version for r in rows)
    faulty, _ = make(faults=["security"])
    state = {r.backend: r.reachable for r in await faulty.describe()}
    assert state == {
        "prometheus": True, "alertmanager": True, "elasticsearch": True, "wazuh": False, "incidents": True
    }


def test_an_unknown_fault_pane_is_rejected():
    with pytest.raises(ValueError, match="nope"):
        make(faults=["nope"])


# --------------------------------------------------------------------------- logs


async def test_fetch_errors_respects_the_limit_and_keeps_ids_unique_and_stable():
    p, clock = make(at=90)
    ten = await p.fetch_errors(10)
    assert len(ten) == 10
    everything_ = await p.fetch_errors(5000)
    assert len(everything_) < 5000
    assert everything_[:10] == ten
    assert len({e.id for e in everything_}) == len(everything_)
    stamps = [e.timestamp for e in everything_]
    assert stamps == sorted(stamps, reverse=True)
    assert (clock() - stamps[-1]) <= timedelta(hours=1)
    clock.at(120)
    later = {e.id: e for e in await p.fetch_errors(5000)}
    assert all(later[e.id] == e for e in everything_ if e.id in later)
    assert await p.fetch_errors(0) == ()


# --------------------------------------------------------------------------- incidents


async def test_the_scripted_incident_is_declared_picked_up_and_monitored_at_its_times() -> None:
    """Incident at 20 s: declared 30 s in (50 s), picked up at 75 s, monitoring at 160 s
    (the platform calm again at 155 s); each step stamped at its scripted time."""
    p, clock = make(at=49)
    assert (await p.fetch_incidents()).incidents == ()
    clock.at(50)
    [s] = (await p.fetch_incidents()).incidents
    i = s.incident
    assert (i.id, i.status.value, i.severity.value, i.commander, i.services, s.linked_alerts) == (
        1, "investigating", "high", None, ("aigym-api", "supabase-db"), 2)
    assert (i.created_at, i.created_by) == (START + timedelta(seconds=50), "oncall-bot@demo")
    clock.at(120)  # a late poll sees the same story
    [s] = (await p.fetch_incidents()).incidents
    assert (s.incident.status.value, s.incident.commander, s.incident.updated_at) == (
        "identified", "maria@demo", START + timedelta(seconds=75))
    clock.at(160)
    [s] = (await p.fetch_incidents()).incidents
    assert (s.incident.status.value, s.incident.version) == ("monitoring", 3)
    kinds = [(e.kind, e.actor, (e.at - START).total_seconds()) for e in p.incidents.events(1)]
    assert kinds == [("declared", "oncall-bot@demo", 50.0), ("alert_linked", "oncall-bot@demo", 50.0),
                     ("alert_linked", "oncall-bot@demo", 50.0), ("status", "maria@demo", 75.0),
                     ("commander", "maria@demo", 75.0), ("note", "maria@demo", 75.0),
                     ("status", "maria@demo", 160.0)]
