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
import json
import os
import re
import shlex
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.ptyapp import PtyApp, tree_cpu_ticks, tree_peak_rss_bytes  # noqa: E402
CLK_TCK = os.sysconf("SC_CLK_TCK")

READY_TIMEOUT_S = 30.0

# Targets from the issue.
TARGET_FIRST_FRAME_RATIO = 2.5  # first populated frame <= 2.5 x bare Textual app
TARGET_CPU_PERCENT = 1.0  # steady-state CPU <= 1 % of one core
TARGET_BYTES_PER_S = 1500.0  # terminal output <= 1,500 bytes/s
TARGET_RSS_MB = 80.0  # peak RSS <= 80 MB (10^6 bytes)



# --------------------------------------------------------------------------------------
# /proc helpers


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
