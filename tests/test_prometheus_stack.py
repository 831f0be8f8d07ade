"""The Prometheus source against a real Prometheus scraping a real node-exporter and the
instrumented sample service (tests/stack.py starts them on 127.0.0.1)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from obsconsole.config import load_config
from obsconsole.model import SLODefinition
from obsconsole.logic import slo as slo_logic
from obsconsole.model import SLOState
from obsconsole.sources.prometheus import PrometheusSource


EXAMPLE = Path(__file__).resolve().parents[1] / "config.example.yaml"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def write_config(tmp_path: Path, stack: Any, extra: str = "") -> Path:
    """A context pointing at the stack, with a short rate window (the stack scrapes every
    second; 10 s holds ten samples)."""
    ams = "\n".join(f"      - url: {u}" for u in stack.alertmanager_urls)
    path = tmp_path / "config.yaml"
    path.write_text(
        "contexts:\n"
        "  stack:\n"
        f"    prometheus:\n      url: {stack.prometheus_url}\n      rate_window: 10s\n"
        f"    alertmanager:\n{ams}\n"
        "    panes:\n"
        "      infra: {refresh: 1s, timeout: 5s}\n"
        "      latency: {refresh: 1s, timeout: 5s}\n"
        "      slo: {refresh: 1s, timeout: 5s}\n"
        "      alerts: {refresh: 1s, timeout: 5s}\n" + extra
    )
    return path


def source_for(tmp_path: Path, stack: Any, extra: str = "") -> PrometheusSource:
    ctx = load_config(write_config(tmp_path, stack, extra)).context
    return PrometheusSource(ctx.backends.prometheus, ctx, utc_now)


async def eventually(check, what: str, timeout_s: float = 40.0):
    """Poll an async check until it returns a truthy value (the stack scrapes every 1 s)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    last: Any = None
    while asyncio.get_running_loop().time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def value_of(rows: list[dict]) -> float:
    assert rows, "the direct query returned nothing"
    return float(rows[0]["value"][1])


async def test_infra_gauges_equal_the_same_promql_asked_directly(fresh_stack, tmp_path: Path) -> None:
    src = source_for(tmp_path, fresh_stack)

    async def complete():
        hosts = await src.fetch_hosts()
        return hosts if hosts and all(h.cpu_pct is not None and h.net_bytes_per_s is not None and h.cpu_history for h in hosts) else None

    hosts = await eventually(complete, "every node-exporter gauge")
    assert len(hosts) == 1
    host = hosts[0]
    assert host.host == "127.0.0.1"
    assert host.mem_pct == pytest.approx(value_of(fresh_stack.query(src.q.memory())), abs=1.0)
    assert host.disk_pct == pytest.approx(value_of(fresh_stack.query(src.q.disk())), abs=0.5)
    # CPU moves with every 1 s scrape: "equal" within what a scrape can change
    assert host.cpu_pct == pytest.approx(value_of(fresh_stack.query(src.q.cpu())), abs=25.0)
    assert 0.0 <= host.cpu_pct <= 100.0
    assert host.net_bytes_per_s is not None and host.net_bytes_per_s >= 0
    assert host.cpu_history, "the sparkline has points"


async def test_a_slow_service_shows_p95_above_two_seconds(fresh_stack, tmp_path: Path) -> None:
    src = source_for(tmp_path, fresh_stack)
    fresh_stack.degrade("aigym-api", latency_s=3.0)

    async def slow_api():
        services = {s.service: s for s in await src.fetch_latency()}
        api = services.get("aigym-api")
        return services if api and api.p95_s and api.p95_s > 2.0 else None

    services = await eventually(slow_api, "aigym-api p95 above 2 s")
    assert services["aigym-api"].p99_s >= services["aigym-api"].p95_s > 2.0
    assert services["aigym-auth"].p95_s < 1.0  # the others are untouched
    assert services["aigym-api"].p95_history, "the chart has points"


async def test_the_5xx_ratio_matches_the_injected_share(fresh_stack, tmp_path: Path) -> None:
    src = source_for(tmp_path, fresh_stack)
    fresh_stack.degrade("aigym-auth", error_share=0.2)

    async def settled():
        # settled once the whole 10 s rate window lies inside the degradation
        auth = {s.service: s for s in await src.fetch_latency()}.get("aigym-auth")
        return auth if auth and auth.error_ratio and abs(auth.error_ratio - 0.2) < 0.01 else None

    auth = await eventually(settled, "a 20 % 5xx ratio on aigym-auth")
    assert auth.error_ratio == pytest.approx(0.2, abs=0.01)
    assert auth.requests_per_s == pytest.approx(200, rel=0.15)



async def test_a_service_without_5xx_series_reads_zero_and_one_without_requests_reads_null(
    fresh_stack, tmp_path: Path
) -> None:
    """A service serving 200 req/s that never failed has no `status=~"5.."` series at all
    (client libraries create label children on first use): its 5xx ratio is 0, not
    "no data". Only a service with no requests in the window has no ratio (0/0)."""
    src = source_for(tmp_path, fresh_stack)
    fresh_stack.degrade("aigym-conversations", requests_per_tick=0)
    with fresh_stack.without_status_series("aigym-api", "500"):

        def settled() -> bool:
            # the api's 5xx series has left the 10 s window, the conversations' requests too
            no_5xx = fresh_stack.query('rate(http_requests_total{service="aigym-api",status=~"5.."}[10s])') == []
            idle = fresh_stack.query('sum(rate(http_requests_total{service="aigym-conversations"}[10s])) == 0')
            return no_5xx and bool(idle)

        fresh_stack.wait_until(settled, 40, "no 5xx series for aigym-api, no requests for aigym-conversations")
        services = {s.service: s for s in await src.fetch_latency()}
    api, conversations = services["aigym-api"], services["aigym-conversations"]
    assert api.error_ratio == 0.0
    assert api.requests_per_s == pytest.approx(200, rel=0.15)
    assert conversations.error_ratio is None
    assert conversations.requests_per_s == 0.0


EDGE_SLO = """    slos:
      - id: edge-availability
        service: aigym-edge-functions
        description: 2xx / all requests
        target: 99%
        window: 20s
        fast_burn: {factor: 1.5, long: 10s, short: 5s}
        slow_burn: {factor: 3, long: 20s, short: 10s}
        good_query: 'sum(rate(http_requests_total{service="{service}",status=~"2.."}[{window}]))'
        total_query: 'sum(rate(http_requests_total{service="{service}"}[{window}]))'
"""


async def test_slo_budget_and_burn_rates_match_hand_computed_values(fresh_stack, tmp_path: Path) -> None:
    """2 % errors against a 99 % objective: the budget (1 %) is spent twice over.
    error ratio 0.02 → burn = 0.02 / 0.01 = 2.0 on every window;
    budget remaining = 1 - 2.0 = -1.0 (overspent by 100 %, not clamped at 0);
    fast condition (1.5×) fires, slow condition (3×) does not; state: violated."""
    src = source_for(tmp_path, fresh_stack, EDGE_SLO)
    slos = src.ctx.slos
    assert [s.id for s in slos] == ["edge-availability"]
    fresh_stack.degrade("aigym-edge-functions", error_share=0.02)

    async def settled():
        (m,) = await src.fetch_slo_measurements(slos)
        ratios = [r for r in m.error_ratios.values()]
        ok = all(r is not None and abs(r - 0.02) < 0.002 for r in ratios)
        return m if ok else None

    measured = await eventually(settled, "every SLO window at 2 % errors", timeout_s=60)
    status = slo_logic.evaluate(slos[0], measured)
    assert status.sli == pytest.approx(0.98, abs=0.002)
    assert status.fast_burn == pytest.approx(2.0, abs=0.2)
    assert status.slow_burn == pytest.approx(2.0, abs=0.2)
    assert status.budget_remaining == pytest.approx(-1.0, abs=0.2)
    assert status.fast_firing and not status.slow_firing
    assert status.state is SLOState.VIOLATED


SLOTH_SLO = """    slos:
      - id: auth-availability
        service: aigym-auth
        target: 99.9%
        window: 30d
        source: sloth
        fast_burn: {factor: 14.4, long: 1h, short: 5m}
        slow_burn: {factor: 6, long: 6h, short: 30m}
"""


async def test_sloth_slos_are_read_from_the_recorded_series(fresh_stack, tmp_path: Path) -> None:
    src = source_for(tmp_path, fresh_stack, SLOTH_SLO)
    (slo,) = src.ctx.slos
    assert slo.source == "sloth"

    async def recorded():
        (m,) = await src.fetch_slo_measurements([slo])
        return m if m.error_ratios.get(300.0) is not None else None

    measured = await eventually(recorded, "sloth's recorded 5m error ratio")
    direct = value_of(fresh_stack.query('slo:sli_error:ratio_rate5m{sloth_slo="auth-availability"}'))
    assert measured.error_ratios[300.0] == pytest.approx(direct, abs=0.005)
    assert set(measured.error_ratios) == {slo.window_s, 3600.0, 300.0, 21600.0, 1800.0}


async def test_check_reports_prometheus_version_and_latency(stack, tmp_path: Path) -> None:
    src = source_for(tmp_path, stack)
    (status,) = await src.describe()
    assert status.reachable and status.version and status.version.startswith("2.")
    assert status.latency_s is not None and status.latency_s >= 0


async def test_an_unreachable_prometheus_is_one_line_naming_it(tmp_path: Path) -> None:
    import socket

    from obsconsole.model import SourceError

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    class Down:
        prometheus_url = f"http://127.0.0.1:{port}"
        alertmanager_urls = [f"http://127.0.0.1:{port}"]

    src = source_for(tmp_path, Down())
    with pytest.raises(SourceError) as caught:
        await src.fetch_hosts()
    assert caught.value.kind == "unreachable"
    assert f"127.0.0.1:{port}" in caught.value.message and "\n" not in caught.value.message


async def test_the_default_database_slo_reads_supabase_db_transactions(fresh_stack, tmp_path: Path) -> None:
    """SPEC §7's database-performance SLO (commits / (commits + rollbacks)) on the
    sample's postgres_exporter-named counters: a 1 % rollback share against 99.5 % burns
    the budget at 0.01 / 0.005 = 2×."""
    src = source_for(tmp_path, fresh_stack)
    (db,) = [s for s in src.ctx.slos if s.id == "database-performance"]
    fresh_stack.degrade("aigym-api", rollback_share=0.01)

    async def settled():
        (m,) = await src.fetch_slo_measurements([db])
        short = m.error_ratios.get(db.fast.short_s)
        return m if short is not None and abs(short - 0.01) < 0.002 else None

    measured = await eventually(settled, "a 1 % rollback ratio on supabase-db", timeout_s=90)
    status = slo_logic.evaluate(db, measured)
    assert status.sli is not None and status.sli < 1.0
    assert slo_logic.burn_rate(measured.error_ratios[db.fast.short_s], db.target) == pytest.approx(2.0, abs=0.4)



def windows_of(slo: SLODefinition) -> list[float]:
    return sorted({slo.window_s, slo.fast.long_s, slo.fast.short_s, slo.slow.long_s, slo.slow.short_s})


async def test_the_example_configs_slo_queries_run_on_a_real_prometheus(stack) -> None:
    """config.example.yaml as shipped, its prod context pointed at the stack: every SLO
    query it builds (the four defaults and its own, written with PromQL's braces) is
    accepted by Prometheus, and the SLO pane's fetch measures them."""
    ctx = load_config(EXAMPLE, environ={"PROM_URL": stack.prometheus_url}).contexts["prod"]
    src = PrometheusSource(ctx.backends.prometheus, ctx, utc_now)
    assert [s.id for s in ctx.slos] == [
        "auth-availability", "api-latency", "ai-conversation-success", "database-performance", "content-availability",
    ]
    content = ctx.slos[-1]
    assert src.q.slo_error_ratio(content, 3600) == (
        '1 - ((sum(increase(http_requests_total{service="aigym-content",status=~"2.."}[1h]))) '
        '/ (sum(increase(http_requests_total{service="aigym-content"}[1h]))))'
    )
    for slo in ctx.slos:
        for window in windows_of(slo):
            stack.query(src.q.slo_error_ratio(slo, window))  # raises on HTTP 400 (a parse error)

    async def measured():
        found = {m.slo_id: m for m in await src.fetch_slo_measurements(ctx.slos)}
        return found if found["database-performance"].error_ratio_window is not None else None

    found = await eventually(measured, "the database SLO measured on the stack")
    assert 0.0 <= found["auth-availability"].error_ratio_window <= 1.0
    # the stack has no aigym-content service: no data, not an error
    assert found["content-availability"].error_ratio_window is None
