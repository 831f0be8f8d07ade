"""The pane contracts (the registry in obsconsole/panes.py, bound by obsconsole/session.py):
six queries per context, their health, the overall status / exit code and the
`snapshot --format json` document (obsconsole/export.py)."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from obsconsole import __version__
from obsconsole.config import (
    DEFAULT_CHANNELS,
    DEFAULT_PANES,
    DEFAULT_SLOS,
    PANE_IDS,
    Backends,
    Context,
    DemoSettings,
    PaneConfig,
    Panes,
    PostgresBackend,
    demo_config,
)
from obsconsole.logic import slo as slo_logic
from obsconsole.model import (
    AlertsView,
    FetchError,
    Health,
    SLOMeasurement,
    Snapshot,
    worst,
)
from obsconsole.export import jsonable, snapshot_document
from obsconsole.session import PaneQuery, Session, overall_health, pane_health, pane_queries
from obsconsole.sources.build import build_sources, unconfigured_panes
from tests.clock import PEAK

#: written out: which backend feeds each pane, and each pane's title
PANE_BACKENDS = {"infra": "prometheus", "latency": "prometheus", "errors": "elasticsearch",
                 "slo": "prometheus", "alerts": "alertmanager", "security": "wazuh", "incidents": "incidents"}
PANE_TITLES = {"infra": "Infrastructure", "latency": "API latency", "errors": "Error stream",
               "slo": "SLO budgets", "alerts": "Alerts", "security": "Security (Wazuh)", "incidents": "Incidents"}

UTC = timezone.utc
#: 15:00 UTC: the demo's daily peak, the hardest time for "calm is OK"
NOW = PEAK


def frozen() -> datetime:
    return NOW


def demo_context(**changes: Any) -> Context:
    ctx = demo_config().context
    return dataclasses.replace(ctx, **changes) if changes else ctx


async def fetch_all(
    ctx: Context, elapsed_s: float, fetched_at: datetime = NOW
) -> tuple[dict[str, PaneQuery], dict[str, Snapshot[Any]]]:
    """Every pane fetched once, with the demo `elapsed_s` into its story."""
    queries = pane_queries(ctx, build_sources(ctx, frozen, elapsed_s=elapsed_s))
    snaps = {pid: Snapshot(await q.fetch(), fetched_at, attempted_at=fetched_at) for pid, q in queries.items()}
    return queries, snaps


# --------------------------------------------------------------------------- the six panes


def test_the_demo_context_has_seven_queries_in_screen_order() -> None:
    ctx = demo_context()
    queries = pane_queries(ctx, build_sources(ctx, frozen))
    assert list(queries) == list(PANE_IDS) == ["infra", "latency", "errors", "slo", "alerts", "security", "incidents"]
    for pid, q in queries.items():
        assert q.pane_id == pid
        assert q.title == PANE_TITLES[pid]


def test_a_hand_built_demo_context_works_the_same() -> None:
    ctx = Context(name="demo", demo=DemoSettings(seed=1), slos=DEFAULT_SLOS, channels=DEFAULT_CHANNELS)
    queries = pane_queries(ctx, build_sources(ctx, frozen))
    assert len(queries) == 7


def test_a_disabled_pane_has_no_query_and_no_json_entry() -> None:
    refresh = dict(DEFAULT_PANES)
    refresh["security"] = PaneConfig(refresh_s=15.0, enabled=False)
    ctx = demo_context(panes=Panes(refresh=refresh))
    queries = pane_queries(ctx, build_sources(ctx, frozen))
    assert "security" not in queries and len(queries) == 6
    doc = snapshot_document(ctx, queries, {}, NOW)
    assert set(doc["panes"]) == set(PANE_IDS) - {"security"}


async def test_at_start_the_demo_is_healthy_everywhere() -> None:
    queries, snaps = await fetch_all(demo_context(), elapsed_s=0)
    for pid, q in queries.items():
        assert pane_health(q, snaps[pid]) is Health.OK, pid
    assert overall_health(queries, snaps) is Health.OK


async def test_a_minute_in_the_demo_incident_makes_the_console_critical() -> None:
    queries, snaps = await fetch_all(demo_context(), elapsed_s=60)
    healths = {pid: pane_health(q, snaps[pid]) for pid, q in queries.items()}
    # aigym-api at p95 ~3.6 s and ~10 % 5xx is past the 5 % critical ratio
    assert healths["latency"] is Health.CRITICAL
    assert overall_health(queries, snaps) is Health.CRITICAL


async def test_fetching_twice_with_a_frozen_clock_gives_the_same_answer() -> None:
    _, first = await fetch_all(demo_context(), elapsed_s=60)
    _, second = await fetch_all(demo_context(), elapsed_s=60)
    assert {k: v.value for k, v in first.items()} == {k: v.value for k, v in second.items()}


async def test_slo_pane_evaluates_every_configured_slo_in_order() -> None:
    ctx = demo_context()
    queries, snaps = await fetch_all(ctx, elapsed_s=0)
    assert [s.slo_id for s in snaps["slo"].value] == [s.id for s in ctx.slos]


# --------------------------------------------------------------------------- pane health


def test_a_pane_whose_latest_fetch_failed_is_unknown_even_with_old_data() -> None:
    ctx = demo_context()
    q = pane_queries(ctx, build_sources(ctx, frozen))["infra"]
    snap = Snapshot((), NOW - timedelta(seconds=30), FetchError("timeout", "prometheus: 10 s"), NOW, 1)
    assert pane_health(q, snap) is Health.UNKNOWN


def test_a_pane_that_never_answered_is_unknown() -> None:
    ctx = demo_context()
    q = pane_queries(ctx, build_sources(ctx, frozen))["alerts"]
    assert pane_health(q, Snapshot(None, None)) is Health.UNKNOWN


def test_a_pane_with_an_empty_answer_is_judged_on_it() -> None:
    ctx = demo_context()
    q = pane_queries(ctx, build_sources(ctx, frozen))["alerts"]
    assert pane_health(q, Snapshot(AlertsView(groups=()), NOW)) is Health.OK


async def test_one_unreadable_pane_makes_a_calm_console_unknown() -> None:
    queries, snaps = await fetch_all(demo_context(), elapsed_s=0)
    snaps["errors"] = dataclasses.replace(snaps["errors"], error=FetchError("unreachable", "es down"))
    assert overall_health(queries, snaps) is Health.UNKNOWN


async def test_a_pane_missing_from_the_snapshots_counts_as_unknown() -> None:
    queries, snaps = await fetch_all(demo_context(), elapsed_s=0)
    del snaps["security"]
    assert overall_health(queries, snaps) is Health.UNKNOWN


async def test_a_known_critical_outranks_an_unreadable_pane() -> None:
    queries, snaps = await fetch_all(demo_context(), elapsed_s=60)
    snaps["errors"] = dataclasses.replace(snaps["errors"], error=FetchError("timeout", "slow"))
    assert overall_health(queries, snaps) is Health.CRITICAL


@pytest.mark.parametrize(
    ("healths", "expected"),
    [
        ([], Health.OK),
        ([Health.OK], Health.OK),
        ([Health.OK, Health.WARNING], Health.WARNING),
        ([Health.WARNING, Health.UNKNOWN], Health.UNKNOWN),
        ([Health.UNKNOWN, Health.WARNING, Health.OK], Health.UNKNOWN),
        ([Health.UNKNOWN, Health.CRITICAL], Health.CRITICAL),
        ([Health.CRITICAL, Health.UNKNOWN, Health.WARNING, Health.OK], Health.CRITICAL),
    ],
)
def test_worst_ranks_critical_over_unknown_over_warning_over_ok(
    healths: list[Health], expected: Health
) -> None:
    assert worst(healths) is expected
    assert worst(tuple(reversed(healths))) is expected


def test_exit_codes_follow_the_monitoring_plugin_convention() -> None:
    assert [int(h) for h in (Health.OK, Health.WARNING, Health.CRITICAL, Health.UNKNOWN)] == [0, 1, 2, 3]


# --------------------------------------------------------------------------- JSON document

PANE_KEYS = {"title", "health", "fetched_at", "age_s", "error", "data"}


async def test_the_snapshot_document_is_strict_json_with_the_documented_keys() -> None:
    ctx = demo_context()
    queries, snaps = await fetch_all(ctx, elapsed_s=60, fetched_at=NOW - timedelta(seconds=4))
    doc = snapshot_document(ctx, queries, snaps, NOW)
    text = json.dumps(doc, allow_nan=False)
    assert json.loads(text) == doc
    assert set(doc) == {"obsconsole", "context", "generated_at", "status", "exit_code", "panes", "panes_left_out"}
    assert doc["panes_left_out"] == []
    assert doc["obsconsole"] == __version__
    assert doc["context"] == "demo"
    assert doc["generated_at"] == "2025-03-04T15:00:00+00:00"
    assert doc["status"] == "CRITICAL"
    assert doc["exit_code"] == 2
    assert list(doc["panes"]) == list(PANE_IDS)
    for pid, pane in doc["panes"].items():
        assert set(pane) == PANE_KEYS, pid
        assert pane["title"] == PANE_TITLES[pid]
        assert pane["fetched_at"] == "2025-03-04T14:59:56+00:00"
        assert pane["age_s"] == pytest.approx(4.0)
        assert pane["error"] is None
        assert pane["data"] is not None
    assert doc["panes"]["latency"]["health"] == "CRITICAL"
    assert doc["panes"]["errors"]["health"] == "OK"


async def test_a_calm_document_is_ok_with_exit_code_zero() -> None:
    ctx = demo_context()
    queries, snaps = await fetch_all(ctx, elapsed_s=0)
    doc = snapshot_document(ctx, queries, snaps, NOW)
    assert (doc["status"], doc["exit_code"]) == ("OK", 0)
    assert {p["health"] for p in doc["panes"].values()} == {"OK"}


async def test_pane_data_is_exported_as_plain_json_values() -> None:
    ctx = demo_context()
    queries, snaps = await fetch_all(ctx, elapsed_s=60)
    doc = snapshot_document(ctx, queries, snaps, NOW)
    host = doc["panes"]["infra"]["data"][0]
    assert {"host", "cpu_pct", "mem_pct", "disk_pct", "net_bytes_per_s", "cpu_history"} <= set(host)
    assert isinstance(host["cpu_history"], list)
    slo = doc["panes"]["slo"]["data"][0]
    assert slo["slo_id"] == "auth-availability"
    assert slo["state"] in {"healthy", "at_risk", "violated"}
    for group in doc["panes"]["alerts"]["data"]["groups"]:
        assert group["severity"] in {"critical", "high", "medium", "low", "info"}
        datetime.fromisoformat(group["first_at"])


async def test_an_error_snapshot_keeps_its_previous_data_and_reports_the_error() -> None:
    ctx = demo_context()
    queries, snaps = await fetch_all(ctx, elapsed_s=0, fetched_at=NOW - timedelta(seconds=90))
    good = snaps["infra"]
    snaps["infra"] = dataclasses.replace(
        good, error=FetchError("timeout", "prometheus did not answer in 10 s"), attempted_at=NOW, failures=3
    )
    doc = snapshot_document(ctx, queries, snaps, NOW)
    infra = doc["panes"]["infra"]
    assert infra["health"] == "UNKNOWN"
    assert infra["error"] == {"kind": "timeout", "message": "prometheus did not answer in 10 s"}
    assert infra["data"] == jsonable(good.value)
    assert infra["data"]
    assert infra["age_s"] == pytest.approx(90.0)
    assert doc["status"] == "UNKNOWN" and doc["exit_code"] == 3
    json.dumps(doc, allow_nan=False)


def test_a_pane_that_never_answered_exports_nulls() -> None:
    ctx = demo_context()
    queries = pane_queries(ctx, build_sources(ctx, frozen))
    doc = snapshot_document(ctx, queries, {}, NOW)
    for pane in doc["panes"].values():
        assert pane["health"] == "UNKNOWN"
        assert pane["fetched_at"] is None and pane["age_s"] is None and pane["data"] is None
    assert doc["exit_code"] == 3


def test_an_unbounded_burn_rate_still_makes_strict_json() -> None:
    # a 100 % objective with any error burns infinitely fast: JSON has no Infinity
    perfect = dataclasses.replace(DEFAULT_SLOS[0], target=1.0)
    status = slo_logic.evaluate(
        perfect, SLOMeasurement(perfect.id, 0.01, {perfect.fast.long_s: 0.01, perfect.fast.short_s: 0.01})
    )
    ctx = demo_context(slos=(perfect,))
    queries = pane_queries(ctx, build_sources(ctx, frozen))
    doc = snapshot_document(ctx, queries, {"slo": Snapshot((status,), NOW)}, NOW)
    text = json.dumps(doc, allow_nan=False)
    exported = json.loads(text)["panes"]["slo"]["data"][0]
    assert exported["state"] == "violated"
    assert exported["fast_burn"] is None


def test_jsonable_converts_model_values() -> None:
    assert jsonable(Health.WARNING) == "WARNING"
    assert jsonable((1, 2)) == [1, 2]
    assert jsonable({3600.0: 0.5}) == {"3600.0": 0.5}
    assert jsonable(float("nan")) is None
    assert jsonable(float("inf")) is None and jsonable(float("-inf")) is None
    assert jsonable(NOW) == "2025-03-04T15:00:00+00:00"


# --------------------------------------------------------------------------- no backends


async def test_panes_whose_backend_is_not_configured_are_left_out_and_named() -> None:
    ctx = Context(name="bare")
    sources = build_sources(ctx, frozen)
    assert pane_queries(ctx, sources) == {}
    assert unconfigured_panes(sources) == dict(PANE_BACKENDS)
    # a missing backend cannot make the document UNKNOWN: the panes are simply absent
    doc = snapshot_document(ctx, {}, {}, NOW)
    assert doc["panes"] == {} and doc["panes_left_out"] == sorted(PANE_IDS)
    assert (doc["status"], doc["exit_code"]) == ("OK", 0)


async def test_a_configured_backend_this_version_cannot_speak_fails_its_pane_in_one_line() -> None:
    ctx = Context(name="lab", backends=Backends(postgres=PostgresBackend(dsn="postgresql://x")))
    sources = build_sources(ctx, frozen)
    (status,) = await sources.describe()
    assert (status.backend, status.reachable) == ("postgres", False)
    assert "not supported" in status.detail


async def test_describe_lists_the_demo_backends_and_nothing_without_them() -> None:
    demo = await build_sources(demo_context(), frozen).describe()
    assert {s.backend for s in demo} == set(PANE_BACKENDS.values())
    assert all(s.reachable for s in demo)
    assert await build_sources(Context(name="bare"), frozen).describe() == []


def test_a_demo_service_that_never_fails_reads_a_zero_error_ratio_not_no_data() -> None:
    """As on a real Prometheus (the `or … * 0` in PromQL.error_ratio): a healthy service
    with traffic has a 5xx ratio of 0, never None (shown as no data)."""
    from obsconsole.sources.demo.curves import Timeline
    from obsconsole.sources.demo.metrics import service_latency
    from obsconsole.sources.demo.topology import ServiceSpec

    flawless = ServiceSpec("aigym-flawless", ("aigym-api-1",), 0.05, 0.1, 0.2, 0.0, 40, 0)
    latency = service_latency(Timeline(1, NOW.timestamp(), 20.0), flawless, NOW.timestamp() + 60)
    assert latency.error_ratio == 0.0
    assert latency.requests_per_s is not None and latency.requests_per_s > 0
    assert jsonable(latency)["error_ratio"] == 0.0


# ------------------------------------------------------------------ the session


def test_a_session_schedules_each_enabled_pane_on_its_interval_or_the_override() -> None:
    refresh = dict(DEFAULT_PANES)
    refresh["security"] = PaneConfig(refresh_s=15.0, enabled=False)
    ctx = demo_context(panes=Panes(refresh=refresh))
    session = Session.open(ctx, frozen)
    assert list(session.queries) == ["infra", "latency", "errors", "slo", "alerts", "incidents"]
    assert {k: session.hub.info(k).interval_s for k in session.hub.keys()} == {
        "infra": 15.0, "latency": 15.0, "errors": 5.0, "slo": 60.0, "alerts": 10.0, "incidents": 30.0}
    fast = Session.open(ctx, frozen, refresh_s=2.0)
    assert {fast.hub.info(k).interval_s for k in fast.hub.keys()} == {2.0}
    assert fast.sources is not session.sources  # each session builds its own


async def test_a_sessions_health_is_unknown_until_every_pane_answered_then_the_worst() -> None:
    session = Session.open(demo_context(), frozen)
    assert session.health() is Health.UNKNOWN
    session.hub.start()
    try:
        await session.hub.wait_first(timeout_s=10)
    finally:
        await session.close()
    assert session.health() is Health.OK  # the demo at its calm 15:00 peak
