#!/usr/bin/env python3
"""What does obsconsole cost on an SSH login, compared with a bare Textual app?

Runs a baseline (benchmarks/bare_app.py) and the target (``python -m obsconsole demo``,
or ``--cmd``) in the same run, each in its own pseudo-terminal of a fixed size, and
reports for each, with the ratio target/baseline:

* time to first populated frame: the app writes ``time.monotonic()`` to the file named by
  ``$OBSCONSOLE_READY_FILE`` once its first complete frame is on screen; we subtract the
  monotonic time taken just before spawning it (CLOCK_MONOTONIC is system-wide on Linux,
  so both processes read the same clock). Median of ``--repeat`` start-ups.
* steady-state CPU, as % of one core: utime+stime (and reaped children) of the process
  tree from /proc/<pid>/stat, at the start and end of a window that opens ``--settle``
  seconds after the first populated frame.
* terminal output, bytes/s: everything the app writes to the terminal during the window
  (the parent keeps reading the pty master the whole time).
* peak RSS: VmHWM from /proc/<pid>/status (summed over the process tree), read just
  before the app is asked to quit.

Then it prints the targets and PASS/FAIL for each. Exit status: 0 if every target
passed, 1 if one failed or could not be measured, 2 on a usage error.

Linux only (pty, /proc). Run it with the interpreter that has obsconsole installed:

    .venv/bin/python benchmarks/tui_cost.py [--seconds 10] [--repeat 5] [--cmd "..."]
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import json
import os
import re
import select
import shlex
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")

READY_TIMEOUT_S = 30.0
QUIT_GRACE_S = 3.0

# Targets from the issue.
TARGET_FIRST_FRAME_RATIO = 2.5  # first populated frame <= 2.5 x bare Textual app
TARGET_CPU_PERCENT = 1.0  # steady-state CPU <= 1 % of one core
TARGET_BYTES_PER_S = 1500.0  # terminal output <= 1,500 bytes/s
TARGET_RSS_MB = 80.0  # peak RSS <= 80 MB (10^6 bytes)

_ANSI_RE = re.compile(
    rb"\x1b(?:\[[0-9;?<>=$ ]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|.)"
)


# --------------------------------------------------------------------------------------
# /proc helpers


def _read_stat(pid: int) -> tuple[int, int] | None:
    """(ppid, utime+stime+cutime+cstime in ticks) of one process, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    # The command name is in parentheses and may contain spaces: split after the last ')'.
    fields = raw[raw.rindex(b")") + 2 :].split()
    # fields[0] is state (field 3 of proc(5)); ppid is field 4; utime..cstime are 14..17.
    ppid = int(fields[1])
    ticks = sum(int(x) for x in fields[11:15])
    return ppid, ticks


def _process_tree(root: int) -> list[int]:
    """root and all its live descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        st = _read_stat(int(entry))
        if st is not None:
            children.setdefault(st[0], []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def tree_cpu_ticks(root: int) -> int:
    """CPU ticks used so far by the tree under root (a reaped child's time is in its
    parent's cutime/cstime, so the sum stays consistent while children come and go)."""
    total = 0
    for pid in _process_tree(root):
        st = _read_stat(pid)
        if st is not None:
            total += st[1]
    return total


def tree_peak_rss_bytes(root: int) -> int | None:
    total, found = 0, False
    for pid in _process_tree(root):
        try:
            text = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        m = re.search(r"^VmHWM:\s+(\d+)\s+kB", text, re.M)
        if m:
            total += int(m.group(1)) * 1024
            found = True
    return total if found else None


# --------------------------------------------------------------------------------------
# one app in one pty


@dataclass
class Sample:
    """One start-up of one command."""

    first_frame_s: float | None = None  # None: never populated
    first_byte_s: float | None = None
    failure: str | None = None  # why first_frame_s is None


@dataclass
class Steady:
    window_s: float = 0.0
    cpu_percent: float | None = None
    bytes_per_s: float | None = None
    peak_rss_bytes: int | None = None
    failure: str | None = None


@dataclass
class AppResult:
    label: str
    argv: list[str]
    samples: list[Sample] = field(default_factory=list)
    steady: Steady | None = None

    @property
    def first_frame_median(self) -> float | None:
        vals = [s.first_frame_s for s in self.samples if s.first_frame_s is not None]
        return statistics.median(vals) if vals else None

    @property
    def first_frame_failure(self) -> str | None:
        fails = [s.failure for s in self.samples if s.first_frame_s is None]
        return fails[0] if fails else None


class PtyApp:
    """A command running in its own pseudo-terminal and session, with the master read
    continuously by pump()."""

    def __init__(self, argv: list[str], cols: int, rows: int, ready_file: Path) -> None:
        self.argv = argv
        self.ready_file = ready_file
        self.total_bytes = 0
        self.first_byte_at: float | None = None
        self.tail = bytearray()  # last output, for error messages
        self.master: int | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.cols, self.rows = cols, rows

    def start(self) -> float:
        """Spawn; return time.monotonic() taken just before the spawn."""
        env = dict(os.environ)
        env.update(
            TERM="xterm-256color",
            COLUMNS=str(self.cols),
            LINES=str(self.rows),
            OBSCONSOLE_READY_FILE=str(self.ready_file),
        )
        # Measure what a user gets: bytecode caches are written and reused.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for var in ("TEXTUAL", "TEXTUAL_DEBUG", "TEXTUAL_DEVTOOLS_PORT", "TEXTUAL_FPS"):
            env.pop(var, None)
        with contextlib.suppress(FileNotFoundError):
            self.ready_file.unlink()

        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", self.rows, self.cols, 0, 0))
        os.set_blocking(master, False)
        self.master = master

        def make_controlling_tty() -> None:  # runs in the child, after setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        spawned_at = time.monotonic()
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=env,
                cwd=REPO_ROOT,
                start_new_session=True,
                preexec_fn=make_controlling_tty,  # no threads in this program: safe
                close_fds=True,
            )
        finally:
            os.close(slave)
        return spawned_at

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def pump(self, timeout: float) -> int:
        """Read whatever the app wrote, waiting up to timeout seconds; return bytes read."""
        if self.master is None:
            time.sleep(timeout)
            return 0
        got = 0
        try:
            ready, _, _ = select.select([self.master], [], [], timeout)
        except InterruptedError:
            return 0
        if not ready:
            return 0
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except BlockingIOError:
                break
            except OSError as exc:  # EIO: the slave side is closed (app exited)
                if exc.errno == errno.EIO:
                    self._close_master()
                    break
                raise
            if not chunk:
                self._close_master()
                break
            if self.first_byte_at is None:
                self.first_byte_at = time.monotonic()
            got += len(chunk)
            self.tail += chunk
            del self.tail[:-8192]
        self.total_bytes += got
        return got

    def pump_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.pump(min(left, 0.05))

    def send(self, data: bytes) -> None:
        if self.master is None:
            return
        with contextlib.suppress(OSError):
            os.write(self.master, data)

    def ready_time(self) -> float | None:
        try:
            text = self.ready_file.read_text().strip()
        except FileNotFoundError:
            return None
        try:
            return float(text)
        except ValueError:
            return None  # being written (an app that does not write atomically)

    def wait_ready(self, timeout: float) -> tuple[float | None, str | None]:
        """Pump output until the ready file appears, the app exits or timeout passes."""
        end = time.monotonic() + timeout
        while True:
            stamp = self.ready_time()
            if stamp is not None:
                return stamp, None
            if not self.alive():
                self.pump(0)
                return None, f"exited with code {self.proc.returncode} before populating" + self.tail_text()
            if time.monotonic() >= end:
                return None, f"never populated (no ready file after {timeout:.0f} s)"
            self.pump(0.02)

    def tail_text(self) -> str:
        text = _ANSI_RE.sub(b"", bytes(self.tail)).decode("utf-8", "replace")
        lines = [ln.rstrip() for ln in text.replace("\r", "\n").split("\n") if ln.strip()]
        return (": " + " | ".join(lines[-6:])) if lines else ""

    def stop(self, quit_keys: bytes) -> None:
        """Ask nicely (quit key, then ctrl+q / ctrl+c), then SIGTERM, then SIGKILL; reap."""
        if self.proc is None:
            return
        steps: list[tuple[str, bytes | int]] = [
            ("key", quit_keys),
            ("key", b"\x11\x03"),
            ("sig", signal.SIGTERM),
        ]
        for kind, what in steps:
            if not self.alive():
                break
            if kind == "key":
                self.send(what)  # type: ignore[arg-type]
            else:
                self._signal_group(what)  # type: ignore[arg-type]
            end = time.monotonic() + QUIT_GRACE_S
            while self.alive() and time.monotonic() < end:
                self.pump(0.05)
        if self.alive():
            self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        # Anything left in the session (children that outlived the app) goes too.
        self._signal_group(signal.SIGKILL)
        self._close_master()

    def _signal_group(self, sig: int) -> None:
        # start_new_session: the process group id is the pid
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)

    def _close_master(self) -> None:
        if self.master is not None:
            os.close(self.master)
            self.master = None


# --------------------------------------------------------------------------------------
# the benchmark


def start_once(argv: list[str], opts: argparse.Namespace, tmp: Path) -> tuple[PtyApp, Sample, float | None]:
    app = PtyApp(argv, opts.cols, opts.rows, tmp / "ready")
    try:
        spawned_at = app.start()
    except OSError as exc:  # command not found, not executable, ...
        app._close_master()
        return app, Sample(failure=f"could not start: {exc}"), None
    stamp, failure = app.wait_ready(READY_TIMEOUT_S)
    sample = Sample(failure=failure)
    if stamp is not None:
        sample.first_frame_s = stamp - spawned_at
    if app.first_byte_at is not None:
        sample.first_byte_s = app.first_byte_at - spawned_at
    return app, sample, stamp


def startup_only(result: AppResult, opts: argparse.Namespace, tmp: Path, record: bool) -> None:
    app, sample, _ = start_once(result.argv, opts, tmp)
    try:
        if record:
            result.samples.append(sample)
    finally:
        app.stop(opts.quit_keys)


def full_run(result: AppResult, opts: argparse.Namespace, tmp: Path) -> None:
    app, sample, _ = start_once(result.argv, opts, tmp)
    steady = Steady()
    try:
        result.samples.append(sample)
        if not app.alive():
            steady.failure = sample.failure or "exited"
            return
        app.pump_for(opts.settle)
        if not app.alive():
            steady.failure = f"exited with code {app.proc.returncode} while settling" + app.tail_text()
            return
        bytes0, ticks0, t0 = app.total_bytes, tree_cpu_ticks(app.pid), time.monotonic()
        app.pump_for(opts.seconds)
        ticks1, t1 = tree_cpu_ticks(app.pid), time.monotonic()
        # Drain what was written up to t1 before counting.
        app.pump(0)
        bytes1 = app.total_bytes
        if not app.alive():
            steady.failure = f"exited with code {app.proc.returncode} during the window" + app.tail_text()
            return
        steady.window_s = t1 - t0
        steady.cpu_percent = 100.0 * (ticks1 - ticks0) / CLK_TCK / steady.window_s
        steady.bytes_per_s = (bytes1 - bytes0) / steady.window_s
        steady.peak_rss_bytes = tree_peak_rss_bytes(app.pid)
    finally:
        result.steady = steady
        app.stop(opts.quit_keys)


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def _unit(value: float | None, spec: str, unit: str) -> str:
    return "—" if value is None else format(value, spec) + unit


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b <= 0:
        return "—"
    return f"{a / b:.2f}×"


def report(base: AppResult, target: AppResult, opts: argparse.Namespace) -> tuple[str, bool]:
    bs, ts = base.steady or Steady(), target.steady or Steady()
    mb = lambda v: None if v is None else v / 1e6  # noqa: E731

    rows = [
        ("first populated frame (s)", base.first_frame_median, target.first_frame_median, ".3f"),
        ("steady CPU (% of one core)", bs.cpu_percent, ts.cpu_percent, ".2f"),
        ("terminal output (bytes/s)", bs.bytes_per_s, ts.bytes_per_s, ",.0f"),
        ("peak RSS (MB)", mb(bs.peak_rss_bytes), mb(ts.peak_rss_bytes), ".1f"),
    ]
    out = []
    out.append(
        f"tui_cost: {opts.cols}x{opts.rows}, startup median of {opts.repeat} (after {opts.warmup} warm-up), "
        f"window {opts.seconds:g} s after {opts.settle:g} s settle"
    )
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    out.append(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load}")
    out.append(f"  baseline: {shlex.join(base.argv)}")
    out.append(f"  target:   {shlex.join(target.argv)}")
    out.append("")
    w = max(len(r[0]) for r in rows)
    out.append(f"{'metric':<{w}}  {'bare':>10}  {'target':>10}  {'target/bare':>11}")
    for name, b, t, spec in rows:
        out.append(f"{name:<{w}}  {_fmt(b, spec):>10}  {_fmt(t, spec):>10}  {_ratio(t, b):>11}")
    for label, res in (("bare", base), ("target", target)):
        samples = ", ".join(_fmt(s.first_frame_s, ".3f") for s in res.samples)
        first_bytes = [s.first_byte_s for s in res.samples if s.first_byte_s is not None]
        fb = f"; first byte on the terminal {statistics.median(first_bytes):.3f} s" if first_bytes else ""
        out.append(f"  {label} first-frame samples (s): {samples}{fb}")
    problems = []
    for label, res in (("bare", base), ("target", target)):
        if res.first_frame_failure:
            problems.append(f"  {label}: first frame: {res.first_frame_failure}")
        if res.steady and res.steady.failure and res.steady.failure != res.first_frame_failure:
            problems.append(f"  {label}: steady state: {res.steady.failure}")
    if problems:
        out.append("")
        out.append("problems:")
        out.extend(problems)

    # Targets.
    def verdict(ok: bool | None) -> str:
        return {True: "PASS", False: "FAIL", None: "FAIL (not measured)"}[ok]

    ff_t, ff_b = target.first_frame_median, base.first_frame_median
    checks = [
        (
            f"first populated frame <= {TARGET_FIRST_FRAME_RATIO:g}x bare",
            _ratio(ff_t, ff_b) if ff_t is not None else "not populated",
            None if ff_t is None or ff_b is None else ff_t <= TARGET_FIRST_FRAME_RATIO * ff_b,
        ),
        (
            f"steady CPU <= {TARGET_CPU_PERCENT:g} % of one core",
            _unit(ts.cpu_percent, ".2f", " %"),
            None if ts.cpu_percent is None else ts.cpu_percent <= TARGET_CPU_PERCENT,
        ),
        (
            f"terminal output <= {TARGET_BYTES_PER_S:,.0f} bytes/s",
            _unit(ts.bytes_per_s, ",.0f", " bytes/s"),
            None if ts.bytes_per_s is None else ts.bytes_per_s <= TARGET_BYTES_PER_S,
        ),
        (
            f"peak RSS <= {TARGET_RSS_MB:g} MB",
            _unit(mb(ts.peak_rss_bytes), ".1f", " MB"),
            None if ts.peak_rss_bytes is None else ts.peak_rss_bytes <= TARGET_RSS_MB * 1e6,
        ),
    ]
    out.append("")
    out.append("targets (target app):")
    cw = max(len(c[0]) for c in checks)
    vw = max(len(c[1]) for c in checks)
    for name, value, ok in checks:
        out.append(f"  {name:<{cw}}  {value:>{vw}}  {verdict(ok)}")
    all_ok = all(ok is True for _, _, ok in checks)
    return "\n".join(out), all_ok


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Measure obsconsole's start-up, idle CPU, terminal output and memory "
        "against a bare Textual app, each in a pseudo-terminal.",
    )
    p.add_argument(
        "--cmd",
        help='command to benchmark instead of "python -m obsconsole demo" '
        "(shell-quoted; it must honour $OBSCONSOLE_READY_FILE)",
    )
    p.add_argument("--baseline-cmd", help="baseline command instead of benchmarks/bare_app.py")
    p.add_argument("--seconds", type=float, default=30.0, help="measurement window (default 30)")
    p.add_argument(
        "--settle",
        type=float,
        default=5.0,
        help="seconds after the first populated frame before the window opens (default 5)",
    )
    p.add_argument("--size", default="120x40", help="terminal COLSxROWS (default 120x40)")
    p.add_argument(
        "--repeat", type=int, default=3, help="start-ups per command; the median is reported (default 3)"
    )
    p.add_argument(
        "--warmup",
        type=int,
        default=1,
        help="untimed start-ups per command first, so bytecode caches exist (default 1)",
    )
    p.add_argument("--quit-keys", default="q", help="keys sent first to quit the apps (default q)")
    p.add_argument("--json", metavar="PATH", help="also write the raw results as JSON")
    opts = p.parse_args(argv)
    m = re.fullmatch(r"(\d+)x(\d+)", opts.size)
    if not m:
        p.error("--size must look like 120x40")
    opts.cols, opts.rows = int(m.group(1)), int(m.group(2))
    if opts.repeat < 1 or opts.warmup < 0 or opts.seconds <= 0 or opts.settle < 0:
        p.error("--repeat >= 1, --warmup >= 0, --seconds > 0, --settle >= 0")
    opts.quit_keys = opts.quit_keys.encode()
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    if not sys.platform.startswith("linux"):
        print("tui_cost.py needs Linux (/proc, pty)", file=sys.stderr)
        return 2
    if not opts.baseline_cmd:
        import importlib.util

        if importlib.util.find_spec("textual") is None:
            print(
                f"tui_cost: {sys.executable} cannot import textual; run this script with the "
                "interpreter that has obsconsole installed, e.g. .venv/bin/python",
                file=sys.stderr,
            )
            return 2
    base_argv = (
        shlex.split(opts.baseline_cmd) if opts.baseline_cmd else [sys.executable, str(HERE / "bare_app.py")]
    )
    target_argv = shlex.split(opts.cmd) if opts.cmd else [sys.executable, "-m", "obsconsole", "demo"]
    base = AppResult("bare", base_argv)
    target = AppResult("target", target_argv)

    # SIGTERM/SIGHUP to us: unwind through the finally blocks so the apps are reaped.
    def _raise(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _raise)
    signal.signal(signal.SIGHUP, _raise)

    with tempfile.TemporaryDirectory(prefix="tui_cost.") as tmpdir:
        tmp = Path(tmpdir)
        # Start-ups are interleaved (bare, target, bare, ...) so drift hits both alike; the
        # last start-up of each is the full run that also measures the steady state.
        for i in range(opts.warmup + opts.repeat - 1):
            record = i >= opts.warmup
            for res in (base, target):
                print(f"tui_cost: {'start-up' if record else 'warm-up'} {res.label} ...", file=sys.stderr)
                startup_only(res, opts, tmp, record)
        for res in (base, target):
            print(
                f"tui_cost: full run {res.label} (settle {opts.settle:g} s, window {opts.seconds:g} s) ...",
                file=sys.stderr,
            )
            full_run(res, opts, tmp)

    text, ok = report(base, target, opts)
    print(text)
    if opts.json:
        data = {
            "size": [opts.cols, opts.rows],
            "seconds": opts.seconds,
            "settle": opts.settle,
            "results": [{**asdict(r), "first_frame_median_s": r.first_frame_median} for r in (base, target)],
            "all_targets_passed": ok,
        }
        Path(opts.json).write_text(json.dumps(data, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
