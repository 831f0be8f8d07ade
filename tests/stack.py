"""A real monitoring stack on 127.0.0.1 for the tests, and for a person (scripts/stack).

Started from the Debian packages (prometheus, prometheus-alertmanager,
prometheus-node-exporter): Prometheus scraping every second the sample service of
tests/sample_service.py (job "aigym-sample") and node-exporter (job "node"), evaluating
every second the SPEC §4 rules of tests/data/prometheus/aigym-rules.yml (a copy with
`for:` and range windows shortened, see `shortened_rules`) and sending alerts to one or
two Alertmanagers. Free ports, one work directory (configs, data, one log per process:
a start-up failure quotes the last 30 lines), everything stopped at the end, also when a
test fails.

A missing package skips the tests that need it, and the terminal summary says which and
why; under CI (`CI=true`, as `.ci/run` runs) it fails them instead, with one line naming
the Debian package: a CI run without its real servers must not pass while testing nothing.

Fixtures (registered by `pytest_plugins = ["tests.stack"]` in tests/conftest.py):
    stack                     module:   Prometheus + 1 Alertmanager + node-exporter + sample
    fresh_stack               function: `stack` after reset() (healthy services, no silences)
    stack_two_am              module:   the same with two UNclustered Alertmanagers
    stack_two_am_clustered    module:   two Alertmanagers that gossip (one cluster)

CLI (scripts/stack):  python -m tests.stack up|down|status|degrade|reset [--dir DIR]
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
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest
import yaml

HERE = Path(__file__).resolve().parent
RULES = HERE / "data" / "prometheus" / "aigym-rules.yml"
SAMPLE_SERVICE = HERE / "sample_service.py"

#: name -> (executable, Debian package)
BINARIES = {
    "prometheus": ("prometheus", "prometheus"),
    "promtool": ("promtool", "prometheus"),
    "alertmanager": ("prometheus-alertmanager", "prometheus-alertmanager"),
    "amtool": ("amtool", "prometheus-alertmanager"),
    "node_exporter": ("prometheus-node-exporter", "prometheus-node-exporter"),
    # not a server: the terminal the pty tests drive the app in (`require("tmux")`)
    "tmux": ("tmux", "tmux"),
}
#: the binaries a stack runs
SERVERS = ("prometheus", "alertmanager", "node_exporter")

#: tests wait seconds, not minutes: every alert's `for:` and range window are shortened
TEST_FOR = "2s"
TEST_RANGE = "10s"
#: Prometheus re-sends firing alerts this often; an alert stays valid in Alertmanager for
#: 4x this after the last send (so 20 s after Prometheus stops), and a restarted
#: Alertmanager has the firing alerts back within this
RESEND_DELAY = "5s"
START_TIMEOUT_S = 30.0
LOG_TAIL_LINES = 30


def binary(name: str) -> str | None:
    """The path of one of BINARIES, or None when its package is not installed."""
    return shutil.which(BINARIES[name][0])


def missing_packages(names: tuple[str, ...] = SERVERS) -> list[str]:
    """The Debian packages of the missing binaries among `names` (each once, in order)."""
    return list(dict.fromkeys(BINARIES[n][1] for n in names if binary(n) is None))


def not_installed(packages: list[str]) -> str:
    """One line: what is missing and the command that installs it."""
    verb = "is" if len(packages) == 1 else "are"
    return f"{', '.join(packages)} {verb} not installed: apt-get install {' '.join(packages)}"


def under_ci() -> bool:
    """`CI` is set to something other than empty, 0, false or no (CI=true in .ci/run)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


#: the not_installed() lines given this session (for the terminal summary)
_NOT_INSTALLED: set[str] = set()


def require(*names: str) -> None:
    """In a test or fixture: the binaries `names` (keys of BINARIES, default SERVERS) must
    be installed. A missing one skips the test, or fails it under CI, with one line
    naming its Debian package."""
    packages = missing_packages(names or SERVERS)
    if not packages:
        return
    message = not_installed(packages)
    _NOT_INSTALLED.add(message)
    if under_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line per missing package set: how many tests it skipped (or failed, under CI).
    `-ra` lists every test; this says in one place what to install."""
    if not _NOT_INSTALLED:
        return
    outcome = "failed: CI=true" if under_ci() else "skipped"
    reports = [r for key in ("skipped", "error", "failed") for r in terminalreporter.stats.get(key, [])]
    terminalreporter.write_sep("-", "real servers")
    for message in sorted(_NOT_INSTALLED):
        count = sum(1 for r in reports if message in getattr(r, "longreprtext", ""))
        terminalreporter.write_line(f"{message} ({count} test{'' if count == 1 else 's'} {outcome})")


def free_port() -> int:
    """A port nothing listens on right now (the caller retries if it is taken meanwhile)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_RANGE = re.compile(r"\[\d+[smhdwy](?:\d+[smhdwy])*\]")


def shortened_rules(text: str, for_: str = TEST_FOR, range_: str = TEST_RANGE) -> str:
    """The rules file with every alert's `for:` set to `for_` and every range window in
    an alert's expr (`[5m]`, `[1h]`...) set to `range_`. Recording rules keep their
    windows: they are sloth's names (slo:sli_error:ratio_rate5m is a 5m ratio)."""
    data = yaml.safe_load(text)
    for group in data["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                rule["for"] = for_
                rule["expr"] = _RANGE.sub(f"[{range_}]", rule["expr"])
    return "# generated by tests/stack.py from aigym-rules.yml: for and ranges shortened\n" + yaml.safe_dump(
        data, sort_keys=False, width=1000
    )


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Proc:
    """One server process on 127.0.0.1: how to start it on a port, where it logs, how to
    tell it is ready. `port` is chosen at the first start (retried on a race with another
    process for it) and kept on restarts."""

    name: str
    make_args: Callable[[int], list[str]]
    ready_path: str
    log: Path
    port: int = 0
    popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def start(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Start and wait until ready. A first start whose port was taken meanwhile
        retries on another port; a restart keeps its port (others know it)."""
        if self.running:
            return
        attempts = 1 if self.port else 5
        for attempt in range(attempts):
            if not self.port or attempt:
                self.port = free_port()
            try:
                self._start_once(timeout_s)
                return
            except _PortTaken:
                continue
        raise RuntimeError(
            f"{self.name}: port {self.port} already in use ({attempts} attempt(s)); last log lines"
            f" ({self.log}):\n{_tail(self.log)}"
        )

    def _start_once(self, timeout_s: float) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            log.write(f"--- {time.strftime('%H:%M:%S')} starting {self.name} on port {self.port}\n".encode())
            log.flush()
            self.popen = subprocess.Popen(
                self.make_args(self.port), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C in the terminal reaches pytest, not the servers
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                with self.log.open("rb") as f:
                    f.seek(offset)
                    text = f.read().decode(errors="replace")
                if "address already in use" in text.lower():
                    raise _PortTaken()
                raise RuntimeError(
                    f"{self.name} exited with code {self.popen.returncode} at start-up; last log lines"
                    f" ({self.log}):\n{_tail(self.log)}"
                )
            try:
                ready = httpx.get(self.url + self.ready_path, timeout=1).status_code == 200
                if ready and self.popen.poll() is None:  # ours answered, not a squatter
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"{self.name} not ready at {self.url}{self.ready_path} after {timeout_s:g} s; last log lines"
            f" ({self.log}):\n{_tail(self.log)}"
        )

    def stop(self) -> None:
        """terminate, wait 5 s, kill."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(5)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        self.popen = None


class _PortTaken(Exception):
    pass


@dataclass
class Stack:
    prometheus_url: str
    alertmanager_urls: list[str]
    node_exporter_url: str
    sample_url: str
    workdir: Path
    procs: dict[str, Proc] = field(default_factory=dict, repr=False)
    #: the in-process SampleService (None when the sample service is a process in procs)
    sample: Any = field(default=None, repr=False)
    clustered: bool = False

    # ------------------------------------------------------------------ control

    def degrade(self, service: str, **settings: float) -> None:
        """Tell the sample service to misbehave: latency_s, error_share,
        conversation_failure_share, auth_failures_per_s, rollback_share, requests_per_tick."""
        response = httpx.post(f"{self.sample_url}/control", json={"service": service, **settings}, timeout=5)
        if response.status_code != 200:
            raise AssertionError(f"POST {self.sample_url}/control: {response.status_code} {response.text}")

    def reset(self) -> None:
        """Every service healthy again, and no active silence in any running Alertmanager
        (acks from an earlier test would hide alerts)."""
        httpx.post(f"{self.sample_url}/reset", timeout=5).raise_for_status()
        for i, url in enumerate(self.alertmanager_urls):
            if not self.procs[f"alertmanager{i}"].running:
                continue
            for silence in httpx.get(f"{url}/api/v2/silences", timeout=5).json():
                if silence["status"]["state"] != "expired":
                    httpx.delete(f"{url}/api/v2/silence/{silence['id']}", timeout=5)

    @contextmanager
    def without_status_series(self, service: str, status: str = "500") -> Iterator[None]:
        """While inside: the sample service stops exporting `service`'s series with that
        status (counter and histogram), as a client library that creates label children
        lazily does for a service that never failed. Restored (at 0) on exit. Needs the
        in-process sample service, and the service must not be told to fail meanwhile."""
        sample = self.sample
        if sample is None:
            raise RuntimeError("without_status_series needs the in-process sample service")
        endpoint = sys.modules[type(sample).__module__].ENDPOINT.get(service, "/")
        with sample.lock:
            sample.requests.remove(service, endpoint, status)
            sample.duration.remove(service, endpoint, status)
        try:
            yield
        finally:
            with sample.lock:
                sample.requests.labels(service, endpoint, status)
                sample.duration.labels(service, endpoint, status)

    def query(self, promql: str, at: float | None = None) -> list[dict[str, Any]]:
        """An instant query (at unix time `at`, default now); returns data.result."""
        params: dict[str, Any] = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        response = httpx.get(f"{self.prometheus_url}/api/v1/query", params=params, timeout=10)
        if response.status_code != 200:
            raise AssertionError(f"query {promql!r}: {response.status_code} {response.text}")
        return response.json()["data"]["result"]

    def wait_until(self, predicate: Callable[[], Any], timeout_s: float = 30.0, what: str = "") -> Any:
        """Poll every 0.2 s until `predicate()` is truthy (HTTP errors count as not yet);
        returns that value, or raises AssertionError after timeout_s."""
        deadline = time.monotonic() + timeout_s
        last: Any = None
        while True:
            try:
                last = predicate()
            except httpx.HTTPError as exc:
                last = exc
            else:
                if last:
                    return last
            if time.monotonic() >= deadline:
                raise AssertionError(f"timed out waiting for {what or predicate} (last: {last!r})")
            time.sleep(0.2)

    def alerts(self, alertmanager_index: int = 0) -> list[dict[str, Any]]:
        """GET /api/v2/alerts of one Alertmanager."""
        response = httpx.get(f"{self.alertmanager_urls[alertmanager_index]}/api/v2/alerts", timeout=5)
        response.raise_for_status()
        return response.json()

    def wait_for_alert(
        self,
        alertname: str,
        alertmanager_index: int = 0,
        timeout_s: float = 40.0,
        labels: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Wait until the Alertmanager lists an alert of that name (and those labels);
        returns its JSON (labels, annotations, fingerprint, status, ...)."""
        want = {"alertname": alertname, **(labels or {})}

        def found() -> dict[str, Any] | None:
            return next(
                (a for a in self.alerts(alertmanager_index)
                 if all(a["labels"].get(k) == v for k, v in want.items())),
                None,
            )

        url = self.alertmanager_urls[alertmanager_index]
        return self.wait_until(found, timeout_s, f"alert {want} in {url}")

    # ------------------------------------------------------------------ processes

    def stop_prometheus(self) -> None:
        self.procs["prometheus"].stop()

    def start_prometheus(self, wait_for_scrapes: bool = True) -> None:
        """Same port, same TSDB directory: the data survives. Waits (unless told not to)
        until both targets are scraped again (Prometheus' discovery takes ~5 s)."""
        self.procs["prometheus"].start()
        if wait_for_scrapes:
            self.wait_for_targets()

    def wait_for_targets(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Until Prometheus has scraped the sample service and node-exporter."""

        def both_up() -> bool:
            response = httpx.get(f"{self.prometheus_url}/api/v1/targets", timeout=5)
            targets = response.json()["data"]["activeTargets"]
            return {t["labels"]["job"] for t in targets if t["health"] == "up"} >= {"aigym-sample", "node"}

        try:
            self.wait_until(both_up, timeout_s, "Prometheus to scrape both targets")
        except AssertionError as exc:
            raise RuntimeError(f"{exc}; last Prometheus log lines:\n{_tail(self.procs['prometheus'].log)}") from None

    def stop_alertmanager(self, index: int) -> None:
        self.procs[f"alertmanager{index}"].stop()

    def start_alertmanager(self, index: int) -> None:
        """Same port and storage (its silences survive); Prometheus re-sends the firing
        alerts within RESEND_DELAY."""
        self.procs[f"alertmanager{index}"].start()

    def stop(self) -> None:
        """Stop everything (each step tried even if another fails)."""
        for proc in reversed(list(self.procs.values())):
            try:
                proc.stop()
            except Exception:  # noqa: BLE001 - keep stopping the others
                pass
        if self.sample is not None:
            self.sample.stop()
            self.sample = None

    def write_console_config(
        self,
        path: Path,
        *,
        clustered: bool = False,
        rate_window: str = "15s",
        refresh: str | None = None,
    ) -> Path:
        """An obsconsole config.yaml with one context, "stack", pointing at this stack.
        clustered: every Alertmanager in cluster "stack" (else each its own cluster).
        rate_window: the range of rate() in gauge/latency queries (the stack is young).
        refresh: if given, the refresh of the metric and alert panes."""
        ams = [{"url": u, **({"cluster": "stack"} if clustered else {})} for u in self.alertmanager_urls]
        context: dict[str, Any] = {
            "prometheus": {"url": self.prometheus_url, "rate_window": rate_window},
            "alertmanager": ams,
        }
        if refresh is not None:
            context["panes"] = {p: {"refresh": refresh} for p in ("infra", "latency", "slo", "alerts")}
        config = {"context": "stack", "contexts": {"stack": context}}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"# written by tests/stack.py for the stack in {self.workdir}\n"
            + yaml.safe_dump(config, sort_keys=False)
        )
        return path


# --------------------------------------------------------------------------- start


def _alertmanager_config() -> dict[str, Any]:
    return {
        "route": {
            "receiver": "console",
            "group_by": ["alertname", "service"],
            "group_wait": "1s",
            "group_interval": "1s",
            "repeat_interval": "1h",
        },
        "receivers": [{"name": "console"}],  # no integrations: the console reads the API
    }


def _prometheus_config(
    rules: Path, sample_target: str, node_target: str, am_targets: list[str], instance_label: str | None = None
) -> dict[str, Any]:
    node: dict[str, Any] = {"job_name": "node", "static_configs": [{"targets": [node_target]}]}
    if instance_label is not None:
        node["relabel_configs"] = [{"target_label": "instance", "replacement": instance_label}]
    return {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules)],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": am_targets}]}]},
        "scrape_configs": [
            {"job_name": "aigym-sample", "static_configs": [{"targets": [sample_target]}]},
            node,
        ],
    }


def start_stack(
    workdir: Path,
    alertmanagers: int = 1,
    *,
    clustered: bool = False,
    sample_in_process: bool = True,
    instance_label: str | None = None,
    extra_services: tuple[str, ...] = (),
) -> Stack:
    """Start everything in `workdir`; on any failure stop what was started and raise
    (RuntimeError with the failing process's last log lines).

    clustered: the Alertmanagers gossip as one cluster (else --cluster.listen-address="").
    sample_in_process: the sample service runs in a thread of this process (tests);
    False runs it as a process like the others (scripts/stack up).
    instance_label: node-exporter's `instance` label (relabelled), e.g. hostile text.
    extra_services: more sample services (in-process only), e.g. with a hostile name."""
    missing = missing_packages()
    if missing:
        raise RuntimeError(not_installed(missing))
    workdir.mkdir(parents=True, exist_ok=True)
    rules = workdir / "rules.yml"
    rules.write_text(shortened_rules(RULES.read_text()))
    am_config = workdir / "alertmanager.yml"
    am_config.write_text(yaml.safe_dump(_alertmanager_config(), sort_keys=False))
    prom_config = workdir / "prometheus.yml"

    procs: dict[str, Proc] = {}
    sample: Any = None
    stack = Stack("", [], "", "", workdir, procs, clustered=clustered)
    try:
        # the sample service
        if sample_in_process:
            SampleService = _sample_service_class()
            sample = SampleService(port=0, extra_services=extra_services)
            stack.sample = sample
            stack.sample_url = f"http://127.0.0.1:{sample.start()}"
        else:
            procs["sample"] = Proc(
                "sample-service",
                lambda port: [sys.executable, str(SAMPLE_SERVICE), "--port", str(port)],
                "/metrics", workdir / "sample-service.log",
            )
            procs["sample"].start()
            stack.sample_url = procs["sample"].url

        # node-exporter: only the collectors the console reads (others are noise, and
        # some fail in containers)
        procs["node_exporter"] = Proc(
            "node-exporter",
            lambda port: [
                binary("node_exporter"), f"--web.listen-address=127.0.0.1:{port}",
                "--collector.disable-defaults", "--collector.cpu", "--collector.meminfo",
                "--collector.filesystem", "--collector.netdev", "--collector.loadavg",
            ],
            "/metrics", workdir / "node-exporter.log",
        )
        procs["node_exporter"].start()
        stack.node_exporter_url = procs["node_exporter"].url

        # Alertmanagers (before Prometheus: its config lists them)
        cluster_ports = [free_port() for _ in range(alertmanagers)] if clustered else []
        for i in range(alertmanagers):
            procs[f"alertmanager{i}"] = Proc(
                f"alertmanager{i}",
                lambda port, i=i: [
                    binary("alertmanager"), f"--config.file={am_config}",
                    f"--storage.path={workdir / f'alertmanager{i}'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    *_cluster_args(i, cluster_ports),
                ],
                "/-/ready", workdir / f"alertmanager{i}.log",
            )
            procs[f"alertmanager{i}"].start()
        stack.alertmanager_urls = [procs[f"alertmanager{i}"].url for i in range(alertmanagers)]

        # Prometheus
        prom_config.write_text(yaml.safe_dump(_prometheus_config(
            rules, stack.sample_url.removeprefix("http://"), stack.node_exporter_url.removeprefix("http://"),
            [u.removeprefix("http://") for u in stack.alertmanager_urls], instance_label,
        ), sort_keys=False))
        procs["prometheus"] = Proc(
            "prometheus",
            lambda port: [
                binary("prometheus"), f"--config.file={prom_config}",
                f"--storage.tsdb.path={workdir / 'prometheus-data'}",
                "--storage.tsdb.retention.time=2d",
                f"--web.listen-address=127.0.0.1:{port}", "--web.enable-lifecycle",
                f"--rules.alert.resend-delay={RESEND_DELAY}",
            ],
            "/-/ready", workdir / "prometheus.log",
        )
        procs["prometheus"].start()
        stack.prometheus_url = procs["prometheus"].url
        stack.wait_for_targets()
    except BaseException:
        stack.stop()
        raise
    return stack


def _sample_service_class() -> Any:
    try:
        from tests.sample_service import SampleService
    except ImportError:  # tests/ is not importable as a package from here
        if str(HERE) not in sys.path:
            sys.path.insert(0, str(HERE))
        from sample_service import SampleService  # type: ignore[no-redef]
    return SampleService


def _cluster_args(index: int, cluster_ports: list[int]) -> list[str]:
    if not cluster_ports:
        return ["--cluster.listen-address="]  # no gossip: an unclustered peer
    own = cluster_ports[index]
    return [
        f"--cluster.listen-address=127.0.0.1:{own}",
        f"--cluster.advertise-address=127.0.0.1:{own}",
        *(f"--cluster.peer=127.0.0.1:{p}" for j, p in enumerate(cluster_ports) if j != index),
        "--cluster.settle-timeout=2s",
        "--cluster.reconnect-interval=1s",
        "--cluster.pushpull-interval=2s",
    ]


# --------------------------------------------------------------------------- fixtures


def _stack_fixture(factory: pytest.TempPathFactory, name: str, **kwargs: Any) -> Iterator[Stack]:
    require(*SERVERS)
    started = start_stack(factory.mktemp(name), **kwargs)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Prometheus + one Alertmanager + node-exporter + sample service, for this module."""
    yield from _stack_fixture(tmp_path_factory, "stack")


@pytest.fixture
def fresh_stack(stack: Stack) -> Stack:
    """`stack`, reset: healthy services, no active silences (what earlier tests did to
    Prometheus' history stays: rate windows take their length to forget it)."""
    stack.reset()
    return stack


@pytest.fixture(scope="module")
def stack_two_am(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack with two unclustered Alertmanagers, both receiving every alert."""
    yield from _stack_fixture(tmp_path_factory, "stack2am", alertmanagers=2)


@pytest.fixture(scope="module")
def stack_two_am_clustered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack with two Alertmanagers gossiping as one cluster (silences replicate)."""
    yield from _stack_fixture(tmp_path_factory, "stack2amc", alertmanagers=2, clustered=True)


# --------------------------------------------------------------------------- CLI

STATE = "stack.json"


def _pid_alive(pid: int, exe: str) -> bool:
    """The process exists and still runs `exe` (a pid reused by another program is not ours)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[-1].startswith(("Z", "X")):
            return False  # a zombie: exited, waiting to be reaped
    except OSError:
        return False
    return bool(cmdline) and os.path.basename(cmdline[0].decode(errors="replace")) == os.path.basename(exe)


def _running(info: dict[str, Any]) -> dict[str, int]:
    return {name: p["pid"] for name, p in info["processes"].items() if _pid_alive(p["pid"], p["exe"])}


def _cmd_up(opts: argparse.Namespace, workdir: Path) -> int:
    state = workdir / STATE
    if state.exists():
        info = json.loads(state.read_text())
        if _running(info):
            print(f"a stack is already up in {workdir}: `scripts/stack down` first", file=sys.stderr)
            return 1
        state.unlink()
    missing = missing_packages()
    if missing:
        print(f"scripts/stack: {not_installed(missing)}", file=sys.stderr)
        return 2
    try:
        stack = start_stack(workdir, opts.alertmanagers, clustered=opts.clustered, sample_in_process=False)
    except RuntimeError as exc:
        print(f"scripts/stack: {exc}", file=sys.stderr)
        return 1
    config = stack.write_console_config(workdir / "config.yaml", clustered=opts.clustered,
                                        rate_window="1m", refresh="2s")
    info = {
        "prometheus_url": stack.prometheus_url,
        "alertmanager_urls": stack.alertmanager_urls,
        "node_exporter_url": stack.node_exporter_url,
        "sample_url": stack.sample_url,
        "config": str(config),
        "processes": {
            name: {"pid": p.popen.pid, "exe": p.popen.args[0], "log": str(p.log)}  # type: ignore[union-attr,index]
            for name, p in stack.procs.items()
        },
    }
    state.write_text(json.dumps(info, indent=2) + "\n")
    for name, pid in info["processes"].items():
        (workdir / f"{name}.pid").write_text(f"{pid['pid']}\n")
    # the processes run in sessions of their own: they outlive this command
    print(
        f"prometheus     {stack.prometheus_url}\n"
        f"alertmanager   {' '.join(stack.alertmanager_urls)}\n"
        f"node-exporter  {stack.node_exporter_url}\n"
        f"sample         {stack.sample_url}\n"
        f"logs, data     {workdir}\n\n"
        f"obsconsole --config {config}\n"
        "scripts/stack degrade aigym-api error_share=0.2 latency_s=3   # then: scripts/stack reset\n"
        "scripts/stack down"
    )
    return 0


def _cmd_down(workdir: Path) -> int:
    state = workdir / STATE
    if not state.exists():
        print(f"no stack is up in {workdir}", file=sys.stderr)
        return 1
    info = json.loads(state.read_text())
    procs = info["processes"]
    running = _running(info)
    for name in reversed(list(procs)):  # Prometheus first, the sample service last
        if name in running:
            os.kill(running[name], signal.SIGTERM)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _running(info):
        time.sleep(0.1)
    for name, pid in _running(info).items():
        os.kill(pid, signal.SIGKILL)
    state.unlink()
    for name in procs:
        (workdir / f"{name}.pid").unlink(missing_ok=True)
    print(f"stopped: {', '.join(running) or 'nothing was running'}")
    return 0


def _load(workdir: Path) -> dict[str, Any] | None:
    state = workdir / STATE
    if not state.exists():
        print(f"no stack is up in {workdir} (scripts/stack up)", file=sys.stderr)
        return None
    return json.loads(state.read_text())


def _number(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() else value


def _cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/stack", description="A local Prometheus/Alertmanager/node-exporter stack for obsconsole.",
    )
    parser.add_argument("--dir", default=os.environ.get("OBSCONSOLE_STACK_DIR", "/tmp/obsconsole-stack"),
                        help="work directory: configs, data, logs, pids (default $OBSCONSOLE_STACK_DIR "
                             "or /tmp/obsconsole-stack)")
    # --dir also after the command (`up --dir DIR`)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the stack in the background", parents=[common])
    up.add_argument("--alertmanagers", type=int, default=1, choices=(1, 2, 3))
    up.add_argument("--clustered", action="store_true", help="the Alertmanagers gossip as one cluster")
    sub.add_parser("down", help="stop it", parents=[common])
    sub.add_parser("status", help="URLs and which processes run", parents=[common])
    degrade = sub.add_parser("degrade", help="SERVICE key=value ...: make a sample service misbehave", parents=[common])
    degrade.add_argument("service")
    degrade.add_argument("settings", nargs="+", metavar="key=value",
                         help="latency_s, error_share, conversation_failure_share, auth_failures_per_s, "
                              "requests_per_tick")
    sub.add_parser("reset", help="every sample service healthy again", parents=[common])
    opts = parser.parse_args(argv)
    workdir = Path(opts.dir).resolve()

    if opts.command == "up":
        return _cmd_up(opts, workdir)
    if opts.command == "down":
        return _cmd_down(workdir)
    info = _load(workdir)
    if info is None:
        return 1
    if opts.command == "status":
        running = _running(info)
        for name, p in info["processes"].items():
            print(f"{name:15} {'running' if name in running else 'STOPPED':8} pid {p['pid']:<8} {p['log']}")
        print(f"\nprometheus {info['prometheus_url']}  alertmanager {' '.join(info['alertmanager_urls'])}"
              f"  sample {info['sample_url']}\nobsconsole --config {info['config']}")
        return 0 if len(running) == len(info["processes"]) else 1
    try:
        if opts.command == "reset":
            response = httpx.post(f"{info['sample_url']}/reset", timeout=5)
        else:
            body: dict[str, Any] = {"service": opts.service}
            for pair in opts.settings:
                key, sep, value = pair.partition("=")
                try:
                    body[key] = _number(value) if sep else None
                except ValueError:
                    body[key] = value  # the service says what is wrong with it
            response = httpx.post(f"{info['sample_url']}/control", json=body, timeout=5)
    except httpx.HTTPError as exc:
        print(f"scripts/stack: the sample service at {info['sample_url']} did not answer: {exc}", file=sys.stderr)
        return 1
    print(response.text)
    return 0 if response.status_code == 200 else 1


if __name__ == "__main__":
    sys.exit(_cli())
