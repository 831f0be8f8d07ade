"""The console as a user runs it (the `obsconsole` command in a subprocess) against a
healthy real stack: Prometheus, Alertmanager, node-exporter and the sample service.

Its own module, so its stack (module scope) has never been degraded: every SLO window
holds only healthy traffic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.stack import Stack


def obsconsole(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "obsconsole", *args], capture_output=True, text=True, timeout=90
    )


def test_a_healthy_stack_snapshots_without_the_panes_it_has_no_backend_for(stack: Stack, tmp_path: Path) -> None:
    """Pointed at Prometheus and Alertmanager only, the console leaves the error and
    Wazuh panes out instead of calling itself UNKNOWN for want of Elasticsearch."""
    config = stack.write_console_config(tmp_path / "config.yaml")
    # every SLO has data once its short windows hold two scrapes
    stack.wait_until(lambda: stack.query("sum(rate(pg_stat_database_xact_commit[5m]))"), 30, "commit rate")
    run = obsconsole("snapshot", "--config", str(config), "--format", "json", "--timeout", "20")
    doc = json.loads(run.stdout)
    assert doc["panes_left_out"] == ["errors", "incidents", "security"]
    assert list(doc["panes"]) == ["infra", "latency", "slo", "alerts"]
    healths = {k: v["health"] for k, v in doc["panes"].items()}
    assert all(v["error"] is None for v in doc["panes"].values()), run.stdout
    # the sample service is healthy: its panes are OK (the gauges and alerts follow this
    # machine's real CPU, memory and disk, so they are not asserted)
    assert healths["latency"] == "OK" and healths["slo"] == "OK", healths
    slos = {s["slo_id"]: s for s in doc["panes"]["slo"]["data"]}
    assert set(slos) == {"auth-availability", "api-latency", "ai-conversation-success", "database-performance"}
    assert slos["database-performance"]["sli"] == pytest.approx(1.0)
    assert doc["status"] != "UNKNOWN"
    assert run.returncode == doc["exit_code"]


def test_check_names_the_backends_and_the_panes_left_out(stack: Stack, tmp_path: Path) -> None:
    config = stack.write_console_config(tmp_path / "config.yaml")
    run = obsconsole("check", "--config", str(config))
    lines = run.stdout.splitlines()
    assert lines[0] == "context stack"
    rows = {line.split()[0]: line for line in lines[2:] if line.split()[0] in ("prometheus", "alertmanager")}
    assert stack.prometheus_url in rows["prometheus"] and " yes " in rows["prometheus"]
    assert stack.alertmanager_urls[0] in rows["alertmanager"] and " yes " in rows["alertmanager"]
    assert "panes left out: errors (no elasticsearch), security (no wazuh), incidents (no incident store)" in lines
    assert run.returncode == 0, run.stdout
