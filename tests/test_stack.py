"""The test stack itself (tests/stack.py, tests/sample_service.py, scripts/stack): real
components, really started, really wired, and the rules file they evaluate."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from obsconsole.config import load_config
from tests.sample_service import SampleService
from tests.stack import BINARIES, RULES, TEST_FOR, TEST_RANGE, Proc, Stack, binary, require, shortened_rules

REPO = Path(__file__).resolve().parent.parent

#: SPEC §3, with a range short enough for a stack that scrapes every second
ERROR_RATIO = (
    'sum by (service) (rate(http_requests_total{status=~"5.."}[15s]))'
    " / sum by (service) (rate(http_requests_total[15s]))"
)
P95 = "histogram_quantile(0.95, sum by (le, service) (rate(http_request_duration_seconds_bucket[15s])))"


def by_service(rows: list[dict]) -> dict[str, float]:
    return {r["metric"]["service"]: float(r["value"][1]) for r in rows}


def gone(pid: int) -> bool:
    """No such process, or only a zombie waiting for its (adopted) parent to reap it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].startswith(("Z", "X"))
    except OSError:
        return True


def rules_of(text: str) -> list[dict]:
    return [rule for group in yaml.safe_load(text)["groups"] for rule in group["rules"]]


# --------------------------------------------------------------------------- rules file


def test_the_rules_pass_promtool_as_shipped_and_as_shortened(tmp_path: Path) -> None:
    require("promtool")
    short = tmp_path / "short.yml"
    short.write_text(shortened_rules(RULES.read_text()))
    count = len(rules_of(RULES.read_text()))
    for path in (RULES, short):
        result = subprocess.run([binary("promtool"), "check", "rules", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"SUCCESS: {count} rules found" in result.stdout


def test_the_rules_are_the_spec_alerts_with_the_fixes_and_full_labels() -> None:
    rules = rules_of(RULES.read_text())
    alerts = {r["alert"]: r for r in rules if "alert" in r}
    assert set(alerts) == {
        "HighCPUUsage", "MemoryUsageHigh", "DiskSpaceRunningOut", "APIResponseTimeHigh", "APIErrorRateHigh",
        "DatabaseConnectionsHigh", "AIConversationFailureRate", "UnauthorizedAccessAttempts",
        "SuspiciousUserActivity", "DailyActiveUsersDropped", "ConversationQualityDeclined",
    }
    for name, rule in alerts.items():
        assert {"severity", "category"} <= set(rule["labels"]), name
        # service: fixed, or kept from the series by the expression's `by (..., service)`
        assert "service" in rule["labels"] or "service)" in rule["expr"], name
        assert {"title", "description", "runbook_url"} <= set(rule["annotations"]), name
        assert "$value" in rule["annotations"]["description"], name
        assert rule["annotations"]["runbook_url"].startswith("https://runbooks.aigym.example/"), name
    assert "sum by (le, service)" in alerts["APIResponseTimeHigh"]["expr"]
    ratio = " ".join(alerts["APIErrorRateHigh"]["expr"].split())
    assert 'sum by (service) (rate(http_requests_total{status=~"5.."}[5m])) / sum by (service) (rate(http_requests_total[5m]))' in ratio
    assert "< 10" in alerts["DiskSpaceRunningOut"]["expr"] and "free" in alerts["DiskSpaceRunningOut"]["annotations"]["description"].lower()
    assert (alerts["APIErrorRateHigh"]["for"], alerts["APIResponseTimeHigh"]["for"]) == ("2m", "3m")


def test_the_shortened_rules_wait_seconds_and_keep_the_recording_windows() -> None:
    shipped, short = rules_of(RULES.read_text()), rules_of(shortened_rules(RULES.read_text()))
    assert [r.get("alert") or r.get("record") for r in short] == [r.get("alert") or r.get("record") for r in shipped]
    for rule in short:
        if "alert" in rule:
            assert rule["for"] == TEST_FOR
            ranges = {part.split("]")[0] for part in rule["expr"].split("[")[1:]}
            assert ranges <= {TEST_RANGE}, rule["alert"]
    assert [r["expr"] for r in short if "record" in r] == [r["expr"] for r in shipped if "record" in r]


# --------------------------------------------------------------------------- sample service


def test_the_sample_service_records_exact_shares_and_in_bucket_latencies() -> None:
    service = SampleService()  # not started: ticks by hand
    service.update({"service": "aigym-api", "error_share": 0.2, "latency_s": 3.0})
    service.update({"service": "aigym-conversations", "conversation_failure_share": 0.1})
    service.update({"service": "aigym-auth", "auth_failures_per_s": 7})
    for _ in range(10):  # one second
        service.tick()
    value = service.registry.get_sample_value
    api = {"service": "aigym-api", "endpoint": "/rest/v1/content_items"}
    assert value("http_requests_total", {**api, "status": "500"}) == 40
    assert value("http_requests_total", {**api, "status": "200"}) == 160
    for status, n in (("500", 40), ("200", 160)):  # every 3 s request within (2.5, 5]
        labels = {**api, "status": status}
        assert value("http_request_duration_seconds_bucket", {**labels, "le": "2.5"}) == 0
        assert value("http_request_duration_seconds_bucket", {**labels, "le": "5.0"}) == n
    auth = {"service": "aigym-auth", "endpoint": "/auth/v1/token"}
    assert value("http_requests_total", {**auth, "status": "500"}) == 0  # exists at 0
    assert value("http_request_duration_seconds_bucket", {**auth, "status": "200", "le": "0.05"}) == 0
    assert value("http_request_duration_seconds_bucket", {**auth, "status": "200", "le": "0.1"}) == 200
    assert value("aigym_conversations_total", {"status": "failed"}) == 5
    assert value("aigym_conversations_total", {"status": "completed"}) == 45
    assert value("aigym_auth_failures_total") == 7
    service.reset()
    service.tick()
    assert value("http_requests_total", {**api, "status": "500"}) == 40


def test_the_sample_service_takes_partial_updates_and_refuses_unknown_keys() -> None:
    service = SampleService(port=0)
    url = f"http://127.0.0.1:{service.start()}"
    try:
        assert httpx.post(f"{url}/control", json={"service": "aigym-api", "error_share": 0.2}).status_code == 200
        settings = httpx.get(f"{url}/control").json()
        assert settings["aigym-api"]["error_share"] == 0.2 and settings["aigym-api"]["latency_s"] == 0.08
        for body, error in (
            ({"service": "aigym-api", "latency": 3}, "unknown setting(s) latency"),
            ({"service": "aigym-nope", "latency_s": 3}, "unknown service 'aigym-nope'"),
            ({"service": "aigym-api", "error_share": 1.5}, "error_share"),
            ({"service": "aigym-api", "latency_s": "slow"}, "latency_s"),
        ):
            response = httpx.post(f"{url}/control", json=body)
            assert response.status_code == 400 and error in response.json()["error"], (body, response.text)
        assert httpx.post(f"{url}/control", content=b"not json").status_code == 400
        assert httpx.post(f"{url}/reset").status_code == 200
        assert httpx.get(f"{url}/control").json()["aigym-api"]["error_share"] == 0.0
        metrics = httpx.get(f"{url}/metrics").text
        assert "http_request_duration_seconds_bucket" in metrics and "aigym_auth_failures_total" in metrics
    finally:
        service.stop()


# --------------------------------------------------------------------------- the stack


def test_prometheus_scrapes_the_sample_service_and_node_exporter(stack: Stack) -> None:
    up = {r["metric"]["job"]: r["value"][1] for r in stack.query("up")}
    assert up == {"aigym-sample": "1", "node": "1"}
    assert stack.query('node_memory_MemTotal_bytes{job="node"}'), "node-exporter's meminfo"
    assert stack.query('node_filesystem_size_bytes{job="node"}'), "node-exporter's filesystem"


def test_a_degraded_service_shows_the_injected_5xx_ratio(fresh_stack: Stack) -> None:
    fresh_stack.degrade("aigym-edge-functions", error_share=0.2)

    def settled() -> dict[str, float] | None:
        ratios = by_service(fresh_stack.query(ERROR_RATIO))
        ratio = ratios.get("aigym-edge-functions")
        return ratios if ratio is not None and abs(ratio - 0.2) <= 0.01 else None

    ratios = fresh_stack.wait_until(settled, 45, "a 5xx ratio of 0.2 on aigym-edge-functions")
    assert ratios["aigym-edge-functions"] == pytest.approx(0.2, abs=0.01)
    assert ratios["aigym-auth"] == 0.0  # healthy services: 0, not absent


def test_api_error_rate_high_fires_and_reaches_alertmanager_with_its_labels(fresh_stack: Stack) -> None:
    fresh_stack.degrade("aigym-api", error_share=0.2)
    fresh_stack.wait_until(
        lambda: fresh_stack.query('ALERTS{alertname="APIErrorRateHigh",alertstate="firing",service="aigym-api"}'),
        40, "APIErrorRateHigh firing in Prometheus",
    )
    alert = fresh_stack.wait_for_alert("APIErrorRateHigh", labels={"service": "aigym-api"})
    labels = alert["labels"]
    assert (labels["severity"], labels["category"], labels["service"]) == ("high", "application", "aigym-api")
    assert alert["status"]["state"] == "active"
    assert alert["annotations"]["title"] == "API error rate high"
    assert "aigym-api" in alert["annotations"]["description"] and "%" in alert["annotations"]["description"]
    assert alert["annotations"]["runbook_url"] == "https://runbooks.aigym.example/api-error-rate-high"


def test_a_three_second_latency_pushes_the_p95_above_two_seconds(fresh_stack: Stack) -> None:
    fresh_stack.degrade("aigym-conversations", latency_s=3.0)
    p95 = fresh_stack.wait_until(
        lambda: (v := by_service(fresh_stack.query(P95))) and v.get("aigym-conversations", 0) > 2 and v,
        30, "p95 of aigym-conversations above 2 s",
    )
    assert p95["aigym-conversations"] <= 5.0  # inside the (2.5, 5] bucket
    assert p95["aigym-auth"] < 0.1


def test_the_sloth_series_are_recorded_with_sloths_names_and_labels(stack: Stack) -> None:
    ids = {"sloth_id": "aigym-auth-auth-availability", "sloth_service": "aigym-auth", "sloth_slo": "auth-availability"}
    for window in ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"):
        rows = stack.wait_until(lambda w=window: stack.query(f"slo:sli_error:ratio_rate{w}"), 20, f"ratio_rate{window}")
        assert {k: rows[0]["metric"][k] for k in ids} == ids
        assert float(rows[0]["value"][1]) == pytest.approx(0.0, abs=0.05)
    assert float(stack.query('slo:objective:ratio{sloth_slo="auth-availability"}')[0]["value"][1]) == 0.999
    assert float(stack.query('slo:error_budget:ratio{sloth_slo="auth-availability"}')[0]["value"][1]) == pytest.approx(0.001)


def test_prometheus_restarts_on_the_same_port_with_its_data(fresh_stack: Stack) -> None:
    query = 'http_requests_total{service="aigym-auth",status="200"}'

    def a_second_ago() -> tuple[float, dict] | None:
        # a fresh stack may not have scraped yet (when this test runs first)
        at = time.time() - 1
        found = fresh_stack.query(query, at=at)
        return (at, found[0]) if len(found) == 1 else None

    before, old = fresh_stack.wait_until(a_second_ago, 20, "a sample stored a second ago")
    fresh_stack.stop_prometheus()
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{fresh_stack.prometheus_url}/-/ready", timeout=2)
    fresh_stack.start_prometheus()
    (kept,) = fresh_stack.query(query, at=before)
    assert kept["value"] == old["value"]
    fresh_stack.wait_until(
        lambda: float(fresh_stack.query(query)[0]["value"][1]) > float(old["value"][1]) + 200,
        20, "new samples after the restart",
    )


def test_the_console_config_points_at_the_stack(stack: Stack, tmp_path: Path) -> None:
    ctx = load_config(stack.write_console_config(tmp_path / "config.yaml")).context
    assert ctx.backends.prometheus.url == stack.prometheus_url
    assert [am.url for am in ctx.backends.alertmanager] == stack.alertmanager_urls
    assert [am.cluster for am in ctx.backends.alertmanager] == [None]
    ctx = load_config(stack.write_console_config(tmp_path / "c.yaml", clustered=True, refresh="2s")).context
    assert [am.cluster for am in ctx.backends.alertmanager] == ["stack"]


def test_two_unclustered_alertmanagers_both_receive_the_alert(stack_two_am: Stack) -> None:
    stack_two_am.reset()
    stack_two_am.degrade("aigym-api", error_share=0.2)
    first = stack_two_am.wait_for_alert("APIErrorRateHigh", 0, labels={"service": "aigym-api"})
    second = stack_two_am.wait_for_alert("APIErrorRateHigh", 1, labels={"service": "aigym-api"})
    assert first["fingerprint"] == second["fingerprint"]
    for url in stack_two_am.alertmanager_urls:
        assert httpx.get(f"{url}/api/v2/status", timeout=5).json()["cluster"]["status"] == "disabled"


def test_two_clustered_alertmanagers_share_a_silence(stack_two_am_clustered: Stack) -> None:
    stack = stack_two_am_clustered
    first, second = stack.alertmanager_urls
    stack.wait_until(
        lambda: all(
            len(httpx.get(f"{u}/api/v2/status", timeout=5).json()["cluster"].get("peers") or []) == 2
            for u in (first, second)
        ),
        20, "the two Alertmanagers to peer",
    )
    silence = {
        "matchers": [{"name": "alertname", "value": "APIErrorRateHigh", "isRegex": False}],
        "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "endsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 600)),
        "createdBy": "test", "comment": "gossip",
    }
    silence_id = httpx.post(f"{first}/api/v2/silences", json=silence, timeout=5).json()["silenceID"]
    stack.wait_until(
        lambda: any(s["id"] == silence_id for s in httpx.get(f"{second}/api/v2/silences", timeout=5).json()),
        20, "the silence gossiped to the second Alertmanager",
    )


def test_scripts_stack_starts_degrades_and_stops_a_stack(tmp_path: Path) -> None:
    require("prometheus", "alertmanager", "node_exporter")
    workdir = tmp_path / "stack"
    env = {**os.environ, "OBSCONSOLE_STACK_DIR": str(workdir), "OBSCONSOLE_VENV": sys.prefix}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(REPO / "scripts" / "stack"), *args], env=env, capture_output=True,
                              text=True, timeout=90)

    up = run("up")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert f"obsconsole --config {workdir / 'config.yaml'}" in up.stdout
        ctx = load_config(workdir / "config.yaml").context
        prometheus = ctx.backends.prometheus.url
        assert httpx.get(f"{prometheus}/-/ready", timeout=5).status_code == 200
        assert run("up").returncode == 1  # already up
        degraded = run("degrade", "aigym-api", "error_share=0.2", "latency_s=3")
        assert degraded.returncode == 0, degraded.stdout + degraded.stderr
        (sample_pid,) = [int(p.read_text()) for p in workdir.glob("sample.pid")]
        sample_url = next(line.split()[1] for line in up.stdout.splitlines() if line.startswith("sample "))
        assert httpx.get(f"{sample_url}/control", timeout=5).json()["aigym-api"]["latency_s"] == 3.0
        assert run("degrade", "aigym-api", "nope=1").returncode == 1
        assert run("status").returncode == 0
    finally:
        down = run("down")
    assert down.returncode == 0, down.stdout + down.stderr
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{prometheus}/-/ready", timeout=2)
    assert gone(sample_pid), "the sample service process stopped"
    assert run("status").returncode == 1


def test_a_server_that_fails_to_start_is_reported_with_its_log(tmp_path: Path) -> None:
    require("prometheus")
    config = tmp_path / "broken.yml"
    config.write_text("scrape_configs: [{job_name: x, static_configs: [{targets: ['nope']}], bogus_key: 1}]\n")
    proc = Proc(
        "prometheus",
        lambda port: [binary("prometheus"), f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
                      f"--web.listen-address=127.0.0.1:{port}"],
        "/-/ready", tmp_path / "prometheus.log",
    )
    with pytest.raises(RuntimeError) as caught:
        proc.start()
    message = str(caught.value)
    assert "prometheus exited with code" in message and "bogus_key" in message
    assert not proc.running


def test_a_port_taken_meanwhile_is_retried_on_another(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require("node_exporter")
    import tests.stack as stack_module

    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = iter([taken])
        real_free_port = stack_module.free_port
        monkeypatch.setattr(stack_module, "free_port", lambda: next(ports, None) or real_free_port())
        proc = Proc(
            "node-exporter",
            lambda port: [binary("node_exporter"), f"--web.listen-address=127.0.0.1:{port}",
                          "--collector.disable-defaults", "--collector.cpu"],
            "/metrics", tmp_path / "node-exporter.log",
        )
        try:
            proc.start()
            assert proc.running and proc.port != taken
            assert "address already in use" in (tmp_path / "node-exporter.log").read_text()
        finally:
            proc.stop()


# --------------------------------------------------------------------------- missing servers


def path_without(tmp_path: Path, *hidden: str) -> str:
    """A PATH directory holding every installed binary of the stack except `hidden`
    (executable names), as on a machine where that package is not installed."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for executable, _package in BINARIES.values():
        found = shutil.which(executable)
        if executable not in hidden and found is not None:
            (bin_dir / executable).symlink_to(found)
    return str(bin_dir)


def pytest_without_prometheus(tmp_path: Path, ci: bool) -> subprocess.CompletedProcess[str]:
    """Two Prometheus tests run by pytest with the prometheus binary hidden from PATH."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PATH"] = path_without(tmp_path, "prometheus")
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider", "-q",
         "tests/test_prometheus_stack.py", "-k", "infra_gauges or check_reports"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )


def test_under_ci_a_missing_server_fails_the_run_naming_its_debian_package(tmp_path: Path) -> None:
    require("alertmanager", "node_exporter")
    run = pytest_without_prometheus(tmp_path, ci=True)
    assert run.returncode == 1, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert "prometheus is not installed: apt-get install prometheus (2 tests failed: CI=true)" in lines, run.stdout
    assert "2 errors" in lines[-1], lines[-1]


def test_elsewhere_a_missing_server_skips_and_the_summary_says_why(tmp_path: Path) -> None:
    require("alertmanager", "node_exporter")
    run = pytest_without_prometheus(tmp_path, ci=False)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert "prometheus is not installed: apt-get install prometheus (2 tests skipped)" in lines, run.stdout
    assert "2 skipped" in lines[-1], lines[-1]
