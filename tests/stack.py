"""A real monitoring stack on 127.0.0.1 for the tests, and for a person (scripts/stack).

Started from the Debian packages: Prometheus (scraping every second and evaluating the
SPEC §4 rules), node-exporter, one or two Alertmanagers (unclustered), and the sample
service of tests/sample_service.py. Free ports, a temporary directory, logs kept there
(a start-up failure quotes them), everything stopped at the end even when a test fails.

Fixtures (registered by tests/conftest.py):
    stack          session: Prometheus + 1 Alertmanager + node-exporter + sample service
    fresh_stack    function: `stack`, with every degradation and silence reset first
    stack_two_am   session: the same with two unclustered Alertmanagers

CLI (scripts/stack):  python -m tests.stack up|down|degrade ... [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest
import yaml

HERE = Path(__file__).resolve().parent
RULES = HERE / "data" / "prometheus" / "aigym-rules.yml"

BINARIES = {
    "prometheus": ("prometheus", "prometheus"),
    "promtool": ("promtool", "prometheus"),
    "alertmanager": ("prometheus-alertmanager", "prometheus-alertmanager"),
    "node_exporter": ("prometheus-node-exporter", "prometheus-node-exporter"),
}

#: tests wait seconds, not minutes: alert `for:` and rate windows are shortened
TEST_FOR = "2s"
TEST_RANGE = "10s"


def binary(name: str) -> str | None:
    return shutil.which(BINARIES[name][0])


def missing_binaries() -> list[str]:
    return [f"{BINARIES[n][0]} (Debian package {BINARIES[n][1]})" for n in BINARIES if binary(n) is None]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def shortened_rules(text: str) -> str:
    """The rules with every alert's `for:` at TEST_FOR and 1m/5m ranges at TEST_RANGE
    (recording rules keep their windows: they are sloth's names)."""
    data = yaml.safe_load(text)
    for group in data["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                rule["for"] = TEST_FOR
                rule["expr"] = re.sub(r"\[(1m|5m)\]", f"[{TEST_RANGE}]", rule["expr"])
    return yaml.safe_dump(data, sort_keys=False)


@dataclass
class Proc:
    """One server process: how to start it, where it logs, how to tell it is ready."""

    name: str
    args: list[str]
    ready_url: str
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 30.0) -> None:
        with self.log.open("ab") as log:
            self.popen = subprocess.Popen(
                self.args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{self.tail()}")
            try:
                if httpx.get(self.ready_url, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} not ready at {self.ready_url} after {timeout_s:g} s:\n{self.tail()}")

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.terminate()
        try:
            self.popen.wait(5)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(5)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@dataclass
class Stack:
    prometheus_url: str
    alertmanager_urls: list[str]
    node_exporter_url: str
    sample_url: str
    workdir: Path
    procs: dict[str, Proc] = field(default_factory=dict)
    sample: Any = None

    # ------------------------------------------------------------------ control

    def degrade(self, service: str, **settings: float) -> None:
        """Tell the sample service to misbehave (latency_s, error_share, ...)."""
        response = httpx.post(f"{self.sample_url}/control", json={"service": service, **settings}, timeout=5)
        response.raise_for_status()

    def reset(self) -> None:
        """Healthy services and no active silences in any Alertmanager."""
        httpx.post(f"{self.sample_url}/reset", timeout=5).raise_for_status()
        for i, url in enumerate(self.alertmanager_urls):
            if not self.procs[f"alertmanager{i}"].popen or self.procs[f"alertmanager{i}"].popen.poll() is not None:
                continue
            for s in httpx.get(f"{url}/api/v2/silences", timeout=5).json():
                if s["status"]["state"] != "expired":
                    httpx.delete(f"{url}/api/v2/silence/{s['id']}", timeout=5)

    def query(self, promql: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.prometheus_url}/api/v1/query", params={"query": promql}, timeout=10)
        response.raise_for_status()
        return response.json()["data"]["result"]

    def wait_until(self, predicate: Callable[[], Any], timeout_s: float = 30.0, what: str = "") -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                result = predicate()
            except httpx.HTTPError:
                result = None
            if result:
                return result
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what or predicate}")

    def wait_for_alert(self, alertname: str, alertmanager_index: int = 0, timeout_s: float = 45.0) -> dict[str, Any]:
        url = self.alertmanager_urls[alertmanager_index]

        def found() -> dict[str, Any] | None:
            alerts = httpx.get(f"{url}/api/v2/alerts", timeout=5).json()
            return next((a for a in alerts if a["labels"].get("alertname") == alertname), None)

        return self.wait_until(found, timeout_s, f"{alertname} in {url}")

    # ------------------------------------------------------------------ processes

    def stop_prometheus(self) -> None:
        self.procs["prometheus"].stop()

    def start_prometheus(self) -> None:
        self.procs["prometheus"].start()

    def stop_alertmanager(self, index: int) -> None:
        self.procs[f"alertmanager{index}"].stop()

    def start_alertmanager(self, index: int) -> None:
        self.procs[f"alertmanager{index}"].start()

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            proc.stop()
        if self.sample is not None:
            self.sample.stop()

    def write_console_config(self, path: Path, *, clustered: bool = False) -> Path:
        """An obsconsole config with one context, "stack", pointing here."""
        ams = [{"url": u, **({"cluster": "stack"} if clustered else {})} for u in self.alertmanager_urls]
        config = {
            "contexts": {
                "stack": {
                    "prometheus": {"url": self.prometheus_url, "rate_window": "15s"},
                    "alertmanager": ams,
                }
            }
        }
        path.write_text("# written by tests/stack.py\n" + yaml.safe_dump(config, sort_keys=False))
        return path


def start_stack(workdir: Path, alertmanagers: int = 1, sample_port: int = 0) -> Stack:
    """Start everything; on any failure, stop what was started and raise."""
    sys.path.insert(0, str(HERE))
    from sample_service import SampleService  # noqa: E402  (tests/ is not a package path)

    workdir.mkdir(parents=True, exist_ok=True)
    rules = workdir / "rules.yml"
    rules.write_text(shortened_rules(RULES.read_text()))
    sample = SampleService(sample_port)
    port = sample.start()
    ne_port, prom_port = free_port(), free_port()
    am_ports = [free_port() for _ in range(alertmanagers)]
    stack = Stack(
        prometheus_url=f"http://127.0.0.1:{prom_port}",
        alertmanager_urls=[f"http://127.0.0.1:{p}" for p in am_ports],
        node_exporter_url=f"http://127.0.0.1:{ne_port}",
        sample_url=f"http://127.0.0.1:{port}",
        workdir=workdir,
        sample=sample,
    )
    am_config = workdir / "alertmanager.yml"
    am_config.write_text(yaml.safe_dump({
        "route": {"receiver": "console", "group_by": ["alertname", "service"], "group_wait": "1s",
                  "group_interval": "1s", "repeat_interval": "1h"},
        "receivers": [{"name": "console"}],
    }))
    prom_config = workdir / "prometheus.yml"
    prom_config.write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules)],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{p}" for p in am_ports]}]}]},
        "scrape_configs": [
            {"job_name": "aigym-sample", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]},
            {"job_name": "node", "static_configs": [{"targets": [f"127.0.0.1:{ne_port}"]}]},
        ],
    }))
    procs = {
        "node_exporter": Proc("node-exporter", [
            binary("node_exporter"), f"--web.listen-address=127.0.0.1:{ne_port}",
            "--collector.disable-defaults", "--collector.cpu", "--collector.meminfo",
            "--collector.filesystem", "--collector.netdev",
        ], f"{stack.node_exporter_url}/metrics", workdir / "node-exporter.log"),
    }
    for i, p in enumerate(am_ports):
        procs[f"alertmanager{i}"] = Proc(f"alertmanager{i}", [
            binary("alertmanager"), f"--config.file={am_config}", f"--storage.path={workdir / f'am{i}'}",
            f"--web.listen-address=127.0.0.1:{p}", "--cluster.listen-address=",
        ], f"http://127.0.0.1:{p}/-/ready", workdir / f"alertmanager{i}.log")
    procs["prometheus"] = Proc("prometheus", [
        binary("prometheus"), f"--config.file={prom_config}", f"--storage.tsdb.path={workdir / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{prom_port}", "--web.enable-lifecycle",
        "--storage.tsdb.retention.time=1d",
    ], f"{stack.prometheus_url}/-/ready", workdir / "prometheus.log")
    stack.procs = procs
    try:
        for proc in procs.values():
            proc.start()
        stack.wait_until(
            lambda: {r["labels"]["job"] for r in httpx.get(f"{stack.prometheus_url}/api/v1/targets", timeout=5)
                     .json()["data"]["activeTargets"] if r["health"] == "up"} >= {"aigym-sample", "node"},
            60, "Prometheus to scrape both targets",
        )
    except BaseException:
        stack.stop()
        raise
    return stack


# --------------------------------------------------------------------------- fixtures


def _require_binaries() -> None:
    missing = missing_binaries()
    if missing:
        pytest.skip("not installed: " + ", ".join(missing) + " (scripts/test installs them)")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    _require_binaries()
    started = start_stack(tmp_path_factory.mktemp("stack"))
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def fresh_stack(stack: Stack) -> Stack:
    stack.reset()
    return stack


@pytest.fixture(scope="session")
def stack_two_am(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    _require_binaries()
    started = start_stack(tmp_path_factory.mktemp("stack2"), alertmanagers=2)
    try:
        yield started
    finally:
        started.stop()


# --------------------------------------------------------------------------- CLI


def _cli() -> None:
    parser = argparse.ArgumentParser(prog="scripts/stack", description="A local monitoring stack for obsconsole.")
    parser.add_argument("command", choices=("up", "down", "degrade", "reset"))
    parser.add_argument("args", nargs="*", help="degrade: SERVICE key=value ...")
    parser.add_argument("--dir", default=os.environ.get("OBSCONSOLE_STACK_DIR", "/tmp/obsconsole-stack"))
    parser.add_argument("--alertmanagers", type=int, default=1)
    opts = parser.parse_args()
    workdir = Path(opts.dir)
    state = workdir / "stack.json"
    if opts.command == "up":
        if missing_binaries():
            sys.exit("not installed: " + ", ".join(missing_binaries()))
        if state.exists():
            sys.exit(f"a stack is already up ({state}); run `scripts/stack down` first")
        stack = start_stack(workdir, opts.alertmanagers)
        config = stack.write_console_config(workdir / "config.yaml")
        # keep the sample service alive in a child of its own; servers keep running
        stack.sample.stop()
        sample = subprocess.Popen(
            [sys.executable, str(HERE / "sample_service.py"), "--port", stack.sample_url.rsplit(":", 1)[1]],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        pids = {name: p.popen.pid for name, p in stack.procs.items() if p.popen}
        pids["sample"] = sample.pid
        state.write_text(json.dumps({"pids": pids, "sample_url": stack.sample_url,
                                     "prometheus_url": stack.prometheus_url,
                                     "alertmanager_urls": stack.alertmanager_urls}, indent=2))
        print(f"prometheus    {stack.prometheus_url}\nalertmanager  {', '.join(stack.alertmanager_urls)}\n"
              f"node-exporter {stack.node_exporter_url}\nsample        {stack.sample_url}\n\n"
              f"obsconsole --config {config}\nscripts/stack degrade aigym-api error_share=0.2 latency_s=3")
        return
    if not state.exists():
        sys.exit(f"no stack is up ({state} not found)")
    info = json.loads(state.read_text())
    if opts.command == "down":
        for name, pid in info["pids"].items():
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        state.unlink()
        print("stopped")
    elif opts.command == "reset":
        httpx.post(f"{info['sample_url']}/reset", timeout=5).raise_for_status()
    else:
        if not opts.args:
            sys.exit("degrade: SERVICE key=value ...")
        body: dict[str, Any] = {"service": opts.args[0]}
        for pair in opts.args[1:]:
            key, _, value = pair.partition("=")
            body[key] = float(value)
        response = httpx.post(f"{info['sample_url']}/control", json=body, timeout=5)
        print(response.text)


if __name__ == "__main__":
    _cli()
