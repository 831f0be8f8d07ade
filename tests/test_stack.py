"""The test stack itself: real components, really started, really wired."""

from __future__ import annotations

import subprocess

import httpx
import pytest

from tests.stack import RULES, binary, shortened_rules


def test_the_alert_rules_pass_promtool_as_shipped_and_as_shortened(tmp_path) -> None:
    if binary("promtool") is None:
        pytest.skip("promtool not installed (Debian package prometheus)")
    short = tmp_path / "short.yml"
    short.write_text(shortened_rules(RULES.read_text()))
    for path in (RULES, short):
        result = subprocess.run([binary("promtool"), "check", "rules", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "SUCCESS: 21 rules found" in result.stdout


def test_prometheus_scrapes_the_sample_service_and_node_exporter(stack) -> None:
    up = {r["metric"]["job"]: r["value"][1] for r in stack.query("up")}
    assert up == {"aigym-sample": "1", "node": "1"}


def test_the_sample_service_refuses_unknown_settings(stack) -> None:
    response = httpx.post(f"{stack.sample_url}/control", json={"service": "aigym-api", "latency": 3}, timeout=5)
    assert response.status_code == 400 and "unknown setting" in response.json()["error"]


def test_a_degraded_service_fires_api_error_rate_high_into_alertmanager(fresh_stack) -> None:
    fresh_stack.degrade("aigym-api", error_share=0.2)
    alert = fresh_stack.wait_for_alert("APIErrorRateHigh")
    assert {k: alert["labels"][k] for k in ("severity", "category", "service")} == {
        "severity": "high", "category": "application", "service": "aigym-api"}
    assert alert["annotations"]["runbook_url"].endswith("/api-error-rate-high")


def test_the_two_alertmanager_stack_delivers_to_both(stack_two_am) -> None:
    stack_two_am.reset()
    stack_two_am.degrade("aigym-api", error_share=0.2)
    first = stack_two_am.wait_for_alert("APIErrorRateHigh", 0)
    second = stack_two_am.wait_for_alert("APIErrorRateHigh", 1)
    assert first["fingerprint"] == second["fingerprint"]
