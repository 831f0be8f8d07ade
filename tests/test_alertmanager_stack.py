"""Alerts and acks against real Alertmanagers fed by a real Prometheus evaluating the
SPEC §4 rules (tests/stack.py). Pilot drives the console as a person would."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx

from obsconsole.actions.audit import actor
from obsconsole.config import load_config
from obsconsole.logic.silences import matches
from obsconsole.model import Matcher
from obsconsole.ui.screens.ack import AckScreen
from obsconsole.ui.app import ObsConsoleApp
from obsconsole.ui.widgets.table import PaneTable
from tests.helpers import running, wait_until
from tests.matcher_cases import CASES
from tests.test_prometheus_stack import write_config

WIDE = (120, 40)


def console(tmp_path: Path, stack: Any) -> ObsConsoleApp:
    return ObsConsoleApp(load_config(write_config(tmp_path, stack)))


def alert_rows(app: ObsConsoleApp) -> list[str]:
    table = app.overview.pane("alerts").query_one(PaneTable)
    return [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def until(pilot: Any, predicate, what: str, timeout_s: float = 45.0) -> None:
    """Real rules fire on Prometheus's schedule: a longer deadline than the demo's."""
    await wait_until(pilot, predicate, what, timeout_s)


def expire_all(stack: Any) -> None:
    """No silences left over from another test."""
    for url in stack.alertmanager_urls:
        for s in active_silences(url):
            httpx.delete(f"{url}/api/v2/silence/{s['id']}", timeout=5)


def silences(url: str) -> list[dict]:
    return httpx.get(f"{url}/api/v2/silences", timeout=5).json()


def active_silences(url: str) -> list[dict]:
    return [s for s in silences(url) if s["status"]["state"] == "active"]


async def test_a_firing_rule_reaches_the_alerts_pane_grouped(fresh_stack, tmp_path: Path) -> None:
    fresh_stack.degrade("aigym-api", error_share=0.2, latency_s=3.0)
    fresh_stack.wait_for_alert("APIErrorRateHigh")
    app = console(tmp_path, fresh_stack)
    async with running(app, WIDE) as pilot:
        await until(pilot, lambda: any("API error rate" in r for r in alert_rows(app)), "the alert on screen")
        view = app.hub.snapshot("alerts").value
        group = next(g for g in view.groups if any(a.name == "APIErrorRateHigh" for a in g.alerts))
        assert (group.service, group.category, group.severity.value) == ("aigym-api", "application", "high")
        assert any("HIGH" in r and "aigym-api" in r for r in alert_rows(app))


async def test_ack_creates_the_silence_and_shift_a_expires_it(fresh_stack, tmp_path: Path) -> None:
    expire_all(fresh_stack)
    fresh_stack.degrade("aigym-api", error_share=0.2)
    fresh_stack.wait_for_alert("APIErrorRateHigh")
    am = fresh_stack.alertmanager_urls[0]
    app = console(tmp_path, fresh_stack)
    async with running(app, WIDE) as pilot:
        await until(pilot, lambda: any("API error rate" in r for r in alert_rows(app)), "the alert")
        await pilot.press("5")
        table = app.overview.pane("alerts").query_one(PaneTable)
        row = next(i for i, r in enumerate(alert_rows(app)) if "API error rate" in r)
        table.move_cursor(row=row)
        await pilot.press("a")
        assert isinstance(app.screen, AckScreen)
        before = datetime.now(timezone.utc)
        await pilot.press("enter")
        await until(pilot, lambda: active_silences(am), "the silence in Alertmanager")
        (silence,) = active_silences(am)
        group = app.overview.pane("alerts")._selected_group()
        # the group is APIErrorRateHigh, joined by APIResponseTimeHigh if an earlier
        # test's latency has not been forgotten yet
        alertname = {
            ("APIErrorRateHigh",): Matcher("alertname", "APIErrorRateHigh"),
            ("APIErrorRateHigh", "APIResponseTimeHigh"): Matcher(
                "alertname", "APIErrorRateHigh|APIResponseTimeHigh", is_regex=True),
        }[tuple(sorted({a.name for a in group.alerts}))]
        expected = (alertname, Matcher("service", "aigym-api"), Matcher("category", "application"))
        assert sorted((m["name"], m["value"], m["isRegex"], m.get("isEqual", True)) for m in silence["matchers"]) == sorted(
            (m.name, m.value, m.is_regex, m.is_equal) for m in expected)
        fired = next(a for a in group.alerts if a.name == "APIErrorRateHigh")
        assert matches(expected, fired.labels)  # the silence selects the alert we acked
        assert silence["createdBy"] == actor()
        assert silence["comment"] == f"ACK by {actor()}"
        ends = datetime.fromisoformat(silence["endsAt"].replace("Z", "+00:00"))
        assert timedelta(minutes=14) < ends - before < timedelta(minutes=16)
        # the pane says acked only once Alertmanager reports the alert silenced
        await until(pilot, lambda: any("acked" in r and "API error rate" in r for r in alert_rows(app)), "acked on screen")

        await pilot.press("A")
        await until(pilot, lambda: not active_silences(am), "the silence to expire")
        assert any(s["id"] == silence["id"] and s["status"]["state"] == "expired" for s in silences(am))
        await until(pilot, lambda: not any("acked" in r for r in alert_rows(app)), "the ack gone from the screen")


async def test_two_alertmanagers_show_each_alert_once_and_an_ack_silences_both(stack_two_am, tmp_path: Path) -> None:
    stack = stack_two_am
    stack.reset()
    expire_all(stack)
    stack.degrade("aigym-api", error_share=0.2)
    for i in range(2):
        stack.wait_for_alert("APIErrorRateHigh", alertmanager_index=i)
    app = console(tmp_path, stack)
    async with running(app, WIDE) as pilot:
        await until(pilot, lambda: any("API error rate" in r for r in alert_rows(app)), "the alert")
        assert sum("API error rate" in r for r in alert_rows(app)) == 1
        view = app.hub.snapshot("alerts").value
        alert = next(a for g in view.groups for a in g.alerts if a.name == "APIErrorRateHigh")
        assert set(alert.origins) == set(stack.alertmanager_urls)

        await pilot.press("5")
        row = next(i for i, r in enumerate(alert_rows(app)) if "API error rate" in r)
        app.overview.pane("alerts").query_one(PaneTable).move_cursor(row=row)
        await pilot.press("a", "enter")
        for url in stack.alertmanager_urls:  # unclustered: each got its own silence
            await until(pilot, lambda url=url: active_silences(url), f"a silence in {url}")
        await until(pilot, lambda: any("acked" in r for r in alert_rows(app)), "acked on screen")

        down = stack.alertmanager_urls[1]
        stack.stop_alertmanager(1)
        try:
            pane = app.overview.pane("alerts")
            await until(pilot, lambda: down in str(pane.query_one(".pane-error").render()), "the down peer named")
            assert any("API error rate" in r for r in alert_rows(app)), "the other peer's alerts stay"
            assert not pane.has_class("-error")
        finally:
            stack.start_alertmanager(1)
        for url in stack.alertmanager_urls:
            for s in active_silences(url):
                httpx.delete(f"{url}/api/v2/silence/{s['id']}", timeout=5)


async def test_killing_prometheus_stales_the_metric_panes_only_and_they_recover(fresh_stack, tmp_path: Path) -> None:
    fresh_stack.degrade("aigym-api", error_share=0.2)
    fresh_stack.wait_for_alert("APIErrorRateHigh")
    app = console(tmp_path, fresh_stack)
    metric_panes = ("infra", "latency", "slo")
    async with running(app, WIDE) as pilot:
        await until(pilot, lambda: all(app.hub.snapshot(p).has_value for p in (*metric_panes, "alerts")), "first data")
        fresh_stack.stop_prometheus()
        try:
            await until(pilot, lambda: all(app.overview.pane(p).has_class("-error") for p in metric_panes),
                        "the metric panes in error")
            for p in metric_panes:
                pane = app.overview.pane(p)
                assert "STALE" in str(pane.border_title), pane.border_title  # with the data's age
                assert "unreachable" in str(pane.query_one(".pane-error").render())
                assert app.hub.snapshot(p).value is not None  # the last good data is kept
            before = app.hub.snapshot("alerts").attempted_at
            await until(pilot, lambda: app.hub.snapshot("alerts").attempted_at != before, "alerts to keep updating")
            assert app.hub.snapshot("alerts").error is None
            assert not app.overview.pane("alerts").has_class("-error")
        finally:
            fresh_stack.start_prometheus()
        await until(pilot, lambda: not any(app.overview.pane(p).has_class("-error") for p in metric_panes),
                    "the metric panes to recover without a keypress", timeout_s=60)


def test_alertmanager_silences_exactly_what_the_matcher_table_says(fresh_stack) -> None:
    """The case table of tests/matcher_cases.py (also checked against the console's own
    `silences.matches` in tests/test_silences.py), against the real Alertmanager: one
    alert per case, one silence per case with the case's matchers (plus the case's own
    label, so cases cannot silence each other), and Alertmanager says which alerts it
    silenced."""
    am = fresh_stack.alertmanager_urls[0]
    now = datetime.now(timezone.utc)

    def stamp(t: datetime) -> str:
        return t.isoformat().replace("+00:00", "Z")

    def post_alerts(ends: datetime) -> None:
        body = [{"labels": {**case.labels, "matcher_case": case.id},
                 "startsAt": stamp(now - timedelta(minutes=1)), "endsAt": stamp(ends)} for case in CASES]
        response = httpx.post(f"{am}/api/v2/alerts", json=body, timeout=5)
        assert response.status_code == 200, response.text

    post_alerts(now + timedelta(minutes=10))
    created: list[str] = []
    try:
        refused: dict[str, bool] = {}
        for case in CASES:
            matchers = [{"name": m.name, "value": m.value, "isRegex": m.is_regex, "isEqual": m.is_equal}
                        for m in case.matchers]
            matchers.append({"name": "matcher_case", "value": case.id, "isRegex": False, "isEqual": True})
            response = httpx.post(f"{am}/api/v2/silences", timeout=5, json={
                "matchers": matchers, "startsAt": stamp(now), "endsAt": stamp(now + timedelta(minutes=10)),
                "createdBy": "tests/test_alertmanager_stack.py", "comment": case.id})
            refused[case.id] = response.status_code == 400
            if response.status_code == 200:
                created.append(response.json()["silenceID"])
            else:
                assert response.status_code == 400, f"{case.id}: {response.status_code} {response.text}"
        assert refused == {case.id: case.refused for case in CASES}

        expected = {case.id: case.silenced for case in CASES}

        def seen() -> dict[str, bool]:
            return {a["labels"]["matcher_case"]: bool(a["status"]["silencedBy"])
                    for a in fresh_stack.alerts() if "matcher_case" in a["labels"]}

        deadline = time.monotonic() + 15
        while seen() != expected and time.monotonic() < deadline:
            time.sleep(0.2)
        assert seen() == expected
    finally:
        for silence_id in created:
            httpx.delete(f"{am}/api/v2/silence/{silence_id}", timeout=5)
        post_alerts(now)  # resolved: gone from the alerts list
