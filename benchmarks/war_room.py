#!/usr/bin/env python3
"""The war room and the incidents pane under load, in a real terminal.

Three measurements, each app in its own pseudo-terminal (tests/ptyapp.py, 120x40 by
default), with targets and PASS/FAIL:

1. **war room start-up, demo**: time to first populated frame of
   ``python -m obsconsole incident --demo`` (the war room of the demo's scripted
   incident: it writes ``$OBSCONSOLE_READY_FILE`` once the war room has drawn its incident
   and the results it shows: alerts, errors, latency, and Wazuh events for a security
   incident), median of ``--repeat`` start-ups, against the bare
   Textual app (benchmarks/bare_app.py) in the same run, interleaved, after ``--warmup``
   untimed start-ups of each. Reuses benchmarks/tui_cost.py's start-up functions (its
   ``--cmd`` would also run its 5 s + 30 s steady-state window, not needed here).
   Target: <= 2.5x the bare app.
2. **incidents pane, 1,000 open incidents**: a real PostgreSQL on 127.0.0.1
   (tests/pg.py), the schema (``IncidentStore.migrate``), ``--incidents`` incidents
   declared through ``IncidentStore.declare``; ``python -m obsconsole --config FILE`` with a
   context ``bench`` holding that store and an unreachable Prometheus (127.0.0.1:9, so the
   Prometheus panes show their error at once). After the ready file: ``7`` (focus the
   incidents pane), ``m`` (maximise), then ``--keys`` keypresses (down, pagedown, end,
   up, pageup, home) one at a time. Each is timed from the write of the key to the
   pty to the last byte of its repaint: the first byte must come within 3 s, then the
   terminal must stay quiet for ``--quiet-ms`` (30 ms). Before each key the terminal must
   have been quiet for 100 ms (so a scheduled refresh in flight is not taken for the
   answer; one that starts while the key is handled is counted). Target: no keypress
   over 100 ms.
3. **war room, 10,000 timeline events**: on the same database, ``--events`` notes added
   to one incident (one transaction of INSERTs into incident_events, the store's trigger
   NOTIFYing each), then ``python -m obsconsole --config FILE incident ID``: time to first
   populated frame, then ``--keys`` keypresses (up, pageup, home, end, down, pagedown) in
   the timeline, timed the same way. Target: no keypress over 100 ms.

A key that moves nothing (already at the top or bottom) writes nothing of its own, and
both screens repaint every second (ages, clocks): such a key would be timed to that
scheduled repaint, up to a second. The sequences never press a key at an edge it is
already at. One exception needs care: in the war room, ``home`` moves the timeline's
cursor to the oldest event, and the war room's next redraw (its 1-second tick, its poll,
a NOTIFY) moves it back to the newest (the cursor rule takes row 0 for "follow", and the
timeline follows the bottom), which would make a down or end after ``home`` a no-op, or
not, depending on timing. So in the war room, after ``home`` has been timed, the script
waits 1.5 s and sends ``end`` (untimed): the cursor is then on the newest event whether
it moved back or not, and the sequence goes on from there. A key with no byte at all
within 3 s is listed as "no repaint" and left out of the figures.

Exit status: 0 if every target passed, 1 if one failed or could not be measured, 2 on a
usage error or when PostgreSQL is not installed.

Linux only (pty, /proc); needs Debian's ``postgresql`` package for parts 2 and 3. Run it
with the interpreter that has obsconsole installed:

    .venv/bin/python benchmarks/war_room.py                         # about a minute
    .venv/bin/python benchmarks/war_room.py --repeat 5 --keys 60
    .venv/bin/python benchmarks/war_room.py --incidents 1000 --events 10000 --json /tmp/wr.json
    .venv/bin/python benchmarks/war_room.py --skip-startup          # parts 2 and 3 only
    .venv/bin/python benchmarks/war_room.py --keep-db               # print the DSN and config, keep the
                                                                    # database up until Enter
    .venv/bin/python benchmarks/war_room.py --skip-startup --py-spy /tmp/wr-prof   # where the time goes
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(HERE))

import tui_cost  # noqa: E402  (benchmarks/tui_cost.py: start_once, startup_only, AppResult)
from tests.ptyapp import CLK_TCK, PtyApp, tree_cpu_ticks, tree_peak_rss_bytes  # noqa: E402

TARGET_FIRST_FRAME_RATIO = 2.5  # war room first populated frame <= 2.5 x bare Textual app
TARGET_KEY_MS = 100.0  # no keypress over 100 ms

READY_TIMEOUT_S = 60.0
BEFORE_KEY_QUIET_S = 0.1  # the terminal is quiet this long before a key is sent
BEFORE_KEY_MAX_WAIT_S = 2.0  # ... or this long has passed (an app that never goes quiet)
FIRST_BYTE_CAP_S = 3.0  # no byte within this: the key moved nothing ("no repaint")
KEY_CAP_S = 10.0  # a repaint that never ends is cut here
IDLE_WINDOW_S = 3.0  # after the keys: CPU and output with nobody typing (for context)

KEYS = {
    "up": b"\x1b[A",
    "down": b"\x1b[B",
    "pageup": b"\x1b[5~",
    "pagedown": b"\x1b[6~",
    "home": b"\x1b[H",
    "end": b"\x1b[F",
}

# Incidents pane: the cursor starts on the first (newest) incident. No key here lands on
# an edge it is already at, so each one moves the cursor.
INCIDENT_KEYS = (
    ["down"] * 4 + ["pagedown"] * 3 + ["end"] + ["up"] * 3 + ["pageup"] * 3 + ["home"]
    + ["down"] * 2 + ["pagedown"] * 2 + ["end"] + ["pageup"] * 2 + ["up"] * 2 + ["home"]
    + ["pagedown"] * 4 + ["down"] * 2 + ["end"] + ["up"] + ["home"] + ["pagedown"] + ["down"] * 2
    + ["pagedown"] + ["end"] + ["home"]
)
# War room timeline: the cursor starts on the newest event, the last row (of 2,000
# shown), and is put back there after each home (see the module docstring).
WAR_ROOM_KEYS = (
    ["up"] * 4 + ["pageup"] * 3 + ["down"] * 2 + ["pagedown"] + ["home"]
    + ["pageup"] * 3 + ["down"] * 2 + ["pagedown"] + ["up"] * 2 + ["end"] + ["pageup"] * 2 + ["home"]
    + ["up"] * 3 + ["pageup"] * 2 + ["down"] * 3 + ["pagedown"] + ["end"] + ["up"] + ["pageup"] * 2
    + ["down"] + ["pagedown"] + ["up"] + ["home"]
)
assert len(INCIDENT_KEYS) == 40 and len(WAR_ROOM_KEYS) == 40


def key_sequence(base: list[str], n: int) -> list[str]:
    """n keys: the base sequence, repeated as needed."""
    return [base[i % len(base)] for i in range(n)]


# --------------------------------------------------------------------------------------
# keypress timing


@dataclass
class KeyTime:
    key: str
    ms: float | None  # None: nothing was written within FIRST_BYTE_CAP_S
    first_byte_ms: float | None
    nbytes: int


@dataclass
class Interactive:
    """One app run: start-up, then keypresses."""

    label: str
    argv: list[str]
    first_frame_s: float | None = None
    peak_rss_bytes: int | None = None
    #: CPU (% of one core) and terminal bytes/s over IDLE_WINDOW_S without keys, after them
    idle_cpu_percent: float | None = None
    idle_bytes_per_s: float | None = None
    keys: list[KeyTime] = field(default_factory=list)
    failure: str | None = None

    def timed(self) -> list[float]:
        return [k.ms for k in self.keys if k.ms is not None]

    def silent(self) -> list[str]:
        return [k.key for k in self.keys if k.ms is None]


def wait_quiet(app: PtyApp, quiet_s: float, max_s: float) -> bool:
    """Pump until the app wrote nothing for quiet_s (True), or max_s passed (False)."""
    end = time.monotonic() + max_s
    quiet_since = time.monotonic()
    while True:
        now = time.monotonic()
        if now - quiet_since >= quiet_s:
            return True
        if now >= end or not app.alive():
            return False
        if app.pump(max(0.0, min(quiet_s - (now - quiet_since), end - now))):
            quiet_since = time.monotonic()


def time_key(app: PtyApp, name: str, quiet_s: float) -> KeyTime:
    """Write one key; the time to the last byte before quiet_s of silence."""
    wait_quiet(app, BEFORE_KEY_QUIET_S, BEFORE_KEY_MAX_WAIT_S)
    sent = time.monotonic()
    app.send(KEYS[name])
    first = last = None
    nbytes = 0
    while app.alive():
        now = time.monotonic()
        if last is None:
            timeout = sent + FIRST_BYTE_CAP_S - now
        else:
            timeout = min(last + quiet_s - now, sent + KEY_CAP_S - now)
        if timeout <= 0:
            break
        got = app.pump(timeout)
        if got:
            last = time.monotonic()
            first = first or last
            nbytes += got
    ms = lambda t: None if t is None else (t - sent) * 1000  # noqa: E731
    return KeyTime(name, ms(last), ms(first), nbytes)


def run_interactive(res: Interactive, opts: argparse.Namespace, tmp: Path, env: dict[str, str],
                    prelude: list[bytes], keys: list[str], end_after_home: bool = False) -> None:
    app = PtyApp(res.argv, opts.cols, opts.rows, tmp / "ready", env=env)
    try:
        spawned = app.start()
        stamp, failure = app.wait_ready(READY_TIMEOUT_S)
        if stamp is None:
            res.failure = failure
            return
        res.first_frame_s = stamp - spawned
        wait_quiet(app, 0.3, 5.0)
        for data in prelude:  # focus, maximise: untimed
            app.send(data)
            wait_quiet(app, 0.3, 5.0)
        spy = start_py_spy(opts, app.pid, res.label)
        try:
            for name in keys:
                if not app.alive():
                    res.failure = f"exited with code {app.proc.returncode} during the keypresses" + app.tail_text()
                    return
                res.keys.append(time_key(app, name, opts.quiet_ms / 1000))
                if end_after_home and name == "home":
                    # the war room may move the cursor back to the newest event by itself:
                    # put it there in any case (untimed), so the next key is never a no-op
                    app.pump_for(1.5)
                    app.send(KEYS["end"])
                    wait_quiet(app, 0.3, 3.0)
        finally:
            stop_py_spy(spy)
        wait_quiet(app, 0.3, 2.0)
        bytes0, ticks0, t0 = app.total_bytes, tree_cpu_ticks(app.pid), time.monotonic()
        app.pump_for(IDLE_WINDOW_S)
        ticks1, t1 = tree_cpu_ticks(app.pid), time.monotonic()
        app.pump(0)
        res.idle_cpu_percent = 100.0 * (ticks1 - ticks0) / CLK_TCK / (t1 - t0)
        res.idle_bytes_per_s = (app.total_bytes - bytes0) / (t1 - t0)
        res.peak_rss_bytes = tree_peak_rss_bytes(app.pid)
    finally:
        app.stop(b"q")


def start_py_spy(opts: argparse.Namespace, pid: int, label: str) -> subprocess.Popen[bytes] | None:
    """--py-spy DIR: sample the app during its keypresses (raw collapsed stacks, one line
    per stack with its count: `sort -t' ' -k2 -n` or flamegraph.pl read it)."""
    if not opts.py_spy:
        return None
    out = Path(opts.py_spy) / f"{label.replace(' ', '_')}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([opts.py_spy_bin, "record", "-p", str(pid), "-o", str(out), "-f", "raw", "-r", "200",
                             "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)  # attached
    print(f"war_room: py-spy -> {out}", file=sys.stderr)
    return proc


def stop_py_spy(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --------------------------------------------------------------------------------------
# the store


SERVICES = ["checkout", "payments", "search", "auth", "inventory", "shipping", "web", "api-gateway"]
WORDS = ("elevated 5xx on", "latency spike in", "queue backlog for", "disk filling on", "cert expiring for",
         "pod crashloop in", "replication lag on", "timeouts from")


async def fill_incidents(dsn: str, n: int) -> list[int]:
    """migrate(), then n incidents through IncidentStore.declare, 8 stores at once."""
    from obsconsole.model import Severity
    from obsconsole.sources.incidents import IncidentStore

    first = IncidentStore(dsn, "bench@war-room")
    await first.migrate()
    stores = [first] + [IncidentStore(dsn, f"bench{i}@war-room") for i in range(1, 8)]
    severities = list(Severity)
    rnd = random.Random(7)

    async def declare(store: IncidentStore, numbers: range) -> list[int]:
        ids = []
        for k in numbers:
            services = rnd.sample(SERVICES, 1 + k % 3)
            title = f"{WORDS[k % len(WORDS)]} {services[0]} #{k}" + " (again)" * (k % 4)
            ids.append((await store.declare(title, severities[k % len(severities)], services)).id)
        return ids

    try:
        chunks = [range(i, n, len(stores)) for i in range(len(stores))]
        found = await asyncio.gather(*(declare(s, c) for s, c in zip(stores, chunks)))
    finally:
        for s in stores:
            await s.aclose()
    return sorted(i for ids in found for i in ids)


async def fill_events(dsn: str, incident_id: int, n: int) -> int:
    """n notes on one incident, one transaction of INSERTs (the trigger NOTIFYs each).
    Returns how many timeline events the incident has."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        rows = [(incident_id, f"user{k % 7}@war-room",
                 json.dumps({"text": f"note {k}: " + "checked the dashboards, " * (k % 5) + "no change"}))
                for k in range(n)]
        async with conn.transaction():
            await conn.executemany(
                "INSERT INTO incident_events (incident_id, actor, kind, payload) VALUES ($1, $2, 'note', $3::jsonb)",
                rows)
            await conn.execute("UPDATE incidents SET updated_at = now() WHERE id = $1", incident_id)
        return await conn.fetchval("SELECT count(*) FROM incident_events WHERE incident_id = $1", incident_id)
    finally:
        await conn.close()


# --------------------------------------------------------------------------------------
# report


def _f(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))]


def key_summary(res: Interactive) -> dict[str, dict[str, float | int]]:
    """Per key name (and 'all'): count, p50, p95, max in ms; 'silent': keys with no repaint."""
    out: dict[str, dict[str, float | int]] = {}
    names = sorted({k.key for k in res.keys}, key=list(KEYS).index)
    for name in [*names, "all"]:
        vals = [k.ms for k in res.keys if k.ms is not None and (name == "all" or k.key == name)]
        silent = sum(1 for k in res.keys if k.ms is None and (name == "all" or k.key == name))
        if vals or silent:
            out[name] = {"n": len(vals), "silent": silent,
                         "p50": statistics.median(vals) if vals else float("nan"),
                         "p95": pct(vals, 95) if vals else float("nan"),
                         "max": max(vals) if vals else float("nan"),
                         "bytes": sum(k.nbytes for k in res.keys if name == "all" or k.key == name)}
    return out


def report(opts: argparse.Namespace, base: tui_cost.AppResult | None, demo: tui_cost.AppResult | None,
           pane: Interactive | None, room: Interactive | None, setup: dict[str, float]) -> tuple[str, bool]:
    out: list[str] = []
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    out.append(f"war_room: {opts.cols}x{opts.rows}, python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
               f"load average {load}")
    checks: list[tuple[str, str, bool | None]] = []
    problems: list[str] = []

    if base is not None and demo is not None:
        b, d = base.first_frame_median, demo.first_frame_median
        out.append("")
        out.append(f"1. war room start-up against the demo (median of {opts.repeat}, after {opts.warmup} warm-up)")
        out.append(f"   bare:     {shlex.join(base.argv)}")
        out.append(f"   war room: {shlex.join(demo.argv)}")
        out.append(f"   {'':<28}{'bare':>10}{'war room':>10}{'ratio':>8}")
        ratio = None if b is None or d is None or b <= 0 else d / b
        out.append(f"   {'first populated frame (s)':<28}{_f(b, '.3f'):>10}{_f(d, '.3f'):>10}"
                   f"{_f(ratio, '.2f') + ('×' if ratio else ''):>8}")
        for label, res in (("bare", base), ("war room", demo)):
            samples = ", ".join(_f(s.first_frame_s, ".3f") for s in res.samples)
            out.append(f"   {label} samples (s): {samples}")
            if res.first_frame_failure:
                problems.append(f"  1. {label}: {res.first_frame_failure}")
        checks.append((f"1. war room (demo) first frame <= {TARGET_FIRST_FRAME_RATIO:g}x bare",
                       "not populated" if ratio is None else f"{ratio:.2f}×",
                       None if ratio is None else ratio <= TARGET_FIRST_FRAME_RATIO))

    for number, res, what in ((2, pane, f"incidents pane, {opts.incidents:,} open incidents, maximised"),
                              (3, room, f"war room, one incident with {setup.get('events', opts.events):,.0f} "
                                        f"timeline events")):
        if res is None:
            continue
        out.append("")
        out.append(f"{number}. {what}")
        out.append(f"   {shlex.join(res.argv)}")
        rss = "—" if res.peak_rss_bytes is None else f"{res.peak_rss_bytes / 1e6:.1f} MB"
        out.append(f"   first populated frame {_f(res.first_frame_s, '.3f')} s; peak RSS {rss}")
        out.append(f"   "
                   f"idle after the keys ({IDLE_WINDOW_S:g} s): CPU {_f(res.idle_cpu_percent, '.1f')} % of one core, "
                   f"{_f(res.idle_bytes_per_s, ',.0f')} bytes/s")
        summary = key_summary(res)
        if summary:
            out.append(f"   {'key':<10}{'n':>4}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'bytes':>9}{'no repaint':>12}")
            for name, s in summary.items():
                out.append(f"   {name:<10}{s['n']:>4}{s['p50']:>9.1f}{s['p95']:>9.1f}{s['max']:>9.1f}"
                           f"{s['bytes']:>9,}{s['silent']:>12}")
            slow = sorted((k for k in res.keys if k.ms is not None and k.ms > TARGET_KEY_MS),
                          key=lambda k: -(k.ms or 0))
            if slow:
                out.append("   over target: " + ", ".join(
                    f"#{res.keys.index(k) + 1} {k.key} {k.ms:.0f} ms (first byte {k.first_byte_ms:.0f})"
                    for k in slow[:10]))
            if res.silent():
                out.append(f"   no repaint within {FIRST_BYTE_CAP_S:g} s: " + ", ".join(
                    f"#{i + 1} {k.key}" for i, k in enumerate(res.keys) if k.ms is None))
        if res.failure:
            problems.append(f"  {number}. {res.failure}")
        timed = res.timed()
        worst = max(timed) if timed else None
        ok = None if worst is None or res.failure else worst <= TARGET_KEY_MS
        checks.append((f"{number}. {'incidents pane' if number == 2 else 'war room timeline'}: "
                       f"every keypress <= {TARGET_KEY_MS:g} ms",
                       "not measured" if worst is None else f"max {worst:.0f} ms", ok))

    if setup:
        out.append("")
        out.append("setup: " + ", ".join(f"{k} {v:.1f} s" if k.endswith("_s") else f"{k} {v:,.0f}"
                                         for k, v in setup.items()))
    if problems:
        out.append("")
        out.append("problems:")
        out.extend(problems)
    out.append("")
    out.append("targets:")
    cw = max((len(c[0]) for c in checks), default=0)
    vw = max((len(c[1]) for c in checks), default=0)
    for name, value, ok in checks:
        verdict = {True: "PASS", False: "FAIL", None: "FAIL (not measured)"}[ok]
        out.append(f"  {name:<{cw}}  {value:>{vw}}  {verdict}")
    return "\n".join(out), bool(checks) and all(ok is True for _, _, ok in checks)


# --------------------------------------------------------------------------------------
# main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=3, help="start-ups per app in part 1; the median is reported (default 3)")
    p.add_argument("--warmup", type=int, default=1, help="untimed start-ups per app first in part 1 (default 1)")
    p.add_argument("--size", default="120x40", help="terminal COLSxROWS (default 120x40)")
    p.add_argument("--incidents", type=int, default=1000, help="open incidents in part 2 (default 1000)")
    p.add_argument("--events", type=int, default=10_000, help="timeline notes on the war room's incident (default 10000)")
    p.add_argument("--keys", type=int, default=40, help="keypresses timed in parts 2 and 3 (default 40)")
    p.add_argument("--quiet-ms", type=float, default=30.0, help="silence that ends a repaint (default 30 ms)")
    p.add_argument("--skip-startup", action="store_true", help="skip part 1")
    p.add_argument("--skip-store", action="store_true", help="skip parts 2 and 3 (no PostgreSQL)")
    p.add_argument("--keep-db", action="store_true", help="after the runs, keep PostgreSQL up until Enter")
    p.add_argument("--json", metavar="PATH", help="also write the raw results as JSON")
    p.add_argument("--py-spy", metavar="DIR",
                   help="sample each app with py-spy during its keypresses; raw stacks to DIR/<app>.txt")
    p.add_argument("--py-spy-bin", default=shutil.which("py-spy") or "/tmp/pyspy/bin/py-spy",
                   help="the py-spy executable (default: py-spy on PATH, else /tmp/pyspy/bin/py-spy)")
    opts = p.parse_args(argv)
    m = re.fullmatch(r"(\d+)x(\d+)", opts.size)
    if not m:
        p.error("--size must look like 120x40")
    opts.cols, opts.rows = int(m.group(1)), int(m.group(2))
    if opts.repeat < 1 or opts.warmup < 0 or opts.keys < 1 or opts.incidents < 1 or opts.events < 1:
        p.error("--repeat, --keys, --incidents, --events >= 1; --warmup >= 0")
    opts.quit_keys = b"q"  # for tui_cost.startup_only
    return opts


def part_startup(opts: argparse.Namespace, tmp: Path) -> tuple[tui_cost.AppResult, tui_cost.AppResult]:
    base = tui_cost.AppResult("bare", [sys.executable, str(HERE / "bare_app.py")])
    demo = tui_cost.AppResult("war room", [sys.executable, "-m", "obsconsole", "incident", "--demo"])
    for i in range(opts.warmup + opts.repeat):
        record = i >= opts.warmup
        for res in (base, demo):
            print(f"war_room: {'start-up' if record else 'warm-up'} {res.label} ...", file=sys.stderr)
            tui_cost.startup_only(res, opts, tmp, record)
    return base, demo


def part_store(opts: argparse.Namespace, tmp: Path, setup: dict[str, float]) -> tuple[Interactive | None, Interactive | None]:
    from tests.pg import Postgres, missing

    problem = missing()
    if problem:
        raise SystemExit(f"war_room: {problem} (or --skip-store)")
    pg = Postgres()
    try:
        started = time.monotonic()
        pg.init()
        pg.start()
        dsn = pg.create_database("war_room")
        setup["postgres_s"] = time.monotonic() - started

        print(f"war_room: declaring {opts.incidents:,} incidents ...", file=sys.stderr)
        started = time.monotonic()
        ids = asyncio.run(fill_incidents(dsn, opts.incidents))
        setup["incidents"] = len(ids)
        setup["declare_s"] = time.monotonic() - started

        home = tmp / "home"
        for sub in ("config", "state", "cache", "data"):
            (home / sub).mkdir(parents=True, exist_ok=True)
        env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"), "XDG_STATE_HOME": str(home / "state"),
               "XDG_CACHE_HOME": str(home / "cache"), "XDG_DATA_HOME": str(home / "data"),
               "USER": "bench"}
        config = tmp / "config.yaml"
        config.write_text(
            f"audit_log: {tmp / 'audit.jsonl'}\n"
            "contexts:\n"
            "  bench:\n"
            "    prometheus: {url: 'http://127.0.0.1:9'}\n"
            f"    incidents: {{dsn: '{dsn}'}}\n")
        py = [sys.executable, "-m", "obsconsole", "--config", str(config)]

        pane = Interactive("incidents pane", py)
        print(f"war_room: incidents pane, {opts.keys} keys ...", file=sys.stderr)
        run_interactive(pane, opts, tmp, env, [b"7", b"m"], key_sequence(INCIDENT_KEYS, opts.keys))

        target = ids[len(ids) // 2]
        print(f"war_room: adding {opts.events:,} notes to incident {target} ...", file=sys.stderr)
        started = time.monotonic()
        setup["events"] = asyncio.run(fill_events(dsn, target, opts.events))
        setup["notes_s"] = time.monotonic() - started

        room = Interactive("war room", [*py, "incident", str(target)])
        print(f"war_room: war room of incident {target}, {opts.keys} keys ...", file=sys.stderr)
        run_interactive(room, opts, tmp, env, [], key_sequence(WAR_ROOM_KEYS, opts.keys), end_after_home=True)
        if opts.keep_db:
            print(f"war_room: DSN {dsn}\nwar_room: config {config} (kept until Enter)", file=sys.stderr)
            input()
        return pane, room
    finally:
        pg.destroy()


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    if not sys.platform.startswith("linux"):
        print("war_room.py needs Linux (/proc, pty)", file=sys.stderr)
        return 2
    import importlib.util

    if importlib.util.find_spec("textual") is None or importlib.util.find_spec("asyncpg") is None:
        print(f"war_room: {sys.executable} cannot import textual and asyncpg; run this script with the "
              "interpreter that has obsconsole installed, e.g. .venv/bin/python", file=sys.stderr)
        return 2

    def _raise(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _raise)
    signal.signal(signal.SIGHUP, _raise)

    base = demo = None
    pane = room = None
    setup: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="war_room.") as tmpdir:
        tmp = Path(tmpdir)
        if not opts.skip_startup:
            base, demo = part_startup(opts, tmp)
        if not opts.skip_store:
            try:
                pane, room = part_store(opts, tmp, setup)
            except SystemExit as exc:
                if isinstance(exc.code, str):
                    print(exc.code, file=sys.stderr)
                    return 2
                raise

    text, ok = report(opts, base, demo, pane, room, setup)
    print(text)
    if opts.json:
        data = {
            "size": [opts.cols, opts.rows],
            "startup": None if base is None else [
                {**asdict(r), "first_frame_median_s": r.first_frame_median} for r in (base, demo)],
            "incidents_pane": None if pane is None else {**asdict(pane), "summary": key_summary(pane)},
            "war_room": None if room is None else {**asdict(room), "summary": key_summary(room)},
            "setup": setup,
            "all_targets_passed": ok,
        }
        Path(opts.json).write_text(json.dumps(data, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
