#!/usr/bin/env python3
"""A log flood: does the console stay bounded and responsive?

    .venv/bin/python benchmarks/flood.py [--rate 2000] [--seconds 60] [--size 120x40]

Starts the Elasticsearch stand-in (tests/standins/elastic/) in a separate process that
also feeds it `--rate` ERROR events per second through the official client's bulk API (in
batches every 100 ms; the index rolls over every 10 s and indices older than 30 s are
deleted, so the stand-in, which scans its documents in Python, keeps answering in time),
and runs `obsconsole` pointed at it in a pseudo-terminal, focused on the error pane.
The driver process only reads the terminal, so its own timing is not disturbed. Meanwhile it presses a key every ~0.5 s (down / up in the error table) and times
keypress → first byte of the repaint, each time after the terminal has been quiet for
100 ms so that a scheduled refresh is not mistaken for the answer.

Prints: events ingested, peak RSS of the console, keypress-to-repaint p50 / p99 / max,
what the pane's title said about the flood, and the targets (issue 4): peak RSS < 120 MB,
keypress-to-repaint p99 < 100 ms. Exit 0 if both are met. Not a test: figures go in notes.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.ptyapp import ANSI_RE, PtyApp, tree_peak_rss_bytes  # noqa: E402

TARGET_RSS_MB = 120.0
TARGET_P99_S = 0.100
KEYS = (b"\x1b[B", b"\x1b[A")  # down, up


class Feeder(threading.Thread):
    """Bulk-indexes `rate` events/s until stopped."""

    def __init__(self, url: str, rate: int, mapping: dict) -> None:
        super().__init__(daemon=True)
        self.url, self.rate, self.mapping = url, rate, mapping
        self.sent = 0
        self.stop_flag = threading.Event()
        self.behind_s = 0.0

    def run(self) -> None:
        from elasticsearch import Elasticsearch, helpers

        client = Elasticsearch(self.url, request_timeout=30)
        per_tick = max(1, self.rate // 10)
        next_at = time.monotonic()
        live: list[str] = []
        while not self.stop_flag.is_set():
            now = datetime.now(timezone.utc)
            at = now.isoformat().replace("+00:00", "Z")
            index = f"aigym-errors-flood-{int(now.timestamp()) // 10}"
            if not live or live[-1] != index:
                client.indices.create(index=index, mappings=self.mapping)
                live.append(index)
                while len(live) > 3:
                    client.indices.delete(index=live.pop(0), ignore_unavailable=True)
            actions = [
                {"_index": index, "_source": {
                    "timestamp": at, "level": "ERROR", "service": f"aigym-svc-{(self.sent + i) % 7}",
                    "component": "handler", "message": f"flood event {self.sent + i} connection reset by peer",
                    "trace_id": f"{self.sent + i:032x}",
                }}
                for i in range(per_tick)
            ]
            helpers.bulk(client, actions)
            self.sent += per_tick
            next_at += 0.1
            delay = next_at - time.monotonic()
            if delay > 0:
                self.stop_flag.wait(delay)
            else:
                self.behind_s = -delay
        client.close()


def serve(rate: int) -> int:
    """The other process: the stand-in and the feeder until stdin closes; then prints
    how many events were sent and how far behind the feeder fell."""
    from tests.logindex import MAPPING
    from tests.standins.elastic import start_standin

    server = start_standin("elasticsearch")
    feeder = Feeder(server.url, rate, MAPPING)
    feeder.start()
    print(server.url, flush=True)
    sys.stdin.read()  # until the driver closes the pipe
    feeder.stop_flag.set()
    feeder.join(5)
    server.stop()
    print(f"{feeder.sent} {feeder.behind_s:.2f}", flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--rate", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--size", default="120x40")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.serve:
        return serve(opts.rate)
    cols, rows = (int(v) for v in opts.size.split("x"))

    tmp = Path(tempfile.mkdtemp(prefix="obsconsole-flood-"))
    backend = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve", "--rate", str(opts.rate)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )
    url = backend.stdout.readline().strip()
    if not url.startswith("http"):
        raise SystemExit("the stand-in did not start")
    config = tmp / "config.yaml"
    config.write_text(
        "contexts:\n  flood:\n"
        f"    elasticsearch:\n      url: {url}\n      indices: [aigym-errors-*]\n"
    )
    app = PtyApp([sys.executable, "-m", "obsconsole", "--config", str(config)], cols, rows, tmp / "ready", record=True)
    latencies: list[float] = []
    peak = 0
    titles: set[str] = set()
    try:
        app.start()
        _, failure = app.wait_ready(30)
        if failure:
            raise SystemExit(f"obsconsole did not start: {failure}")
        app.send(b"3")  # the error pane
        app.pump_for(1.0)
        end = time.monotonic() + opts.seconds
        i = 0
        while time.monotonic() < end:
            # wait for a quiet terminal (no refresh in flight), then press and time
            quiet_since = time.monotonic()
            while time.monotonic() - quiet_since < 0.1:
                if app.pump(0.02):
                    quiet_since = time.monotonic()
            before = app.total_bytes
            pressed = time.monotonic()
            app.send(KEYS[i % 2])
            i += 1
            while app.total_bytes == before and time.monotonic() - pressed < 2.0:
                app.pump(0.001)
            if app.total_bytes > before:
                latencies.append(time.monotonic() - pressed)
            app.pump_for(0.4)
            peak = max(peak, tree_peak_rss_bytes(app.pid) or 0)
    finally:
        app.stop(b"q")
        backend.stdin.close()
        sent_line = backend.stdout.read().strip().splitlines()
        backend.wait(10)
    sent, behind = (int(sent_line[-1].split()[0]), float(sent_line[-1].split()[1])) if sent_line else (0, 0.0)
    plain = ANSI_RE.sub(b"", bytes(app.output)).decode("utf-8", "replace")
    for m in re.finditer(r"Error stream[^╮\n]{0,80}FLOOD[^╮\n─]{0,20}", plain):
        titles.add(m.group(0).strip())

    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]

    rss_mb = peak / 1e6
    print(f"flood: {sent:,} events sent while the console ran ({opts.rate:,}/s requested)")
    if behind > 0.5:
        print(f"  (the feeder fell {behind:.1f} s behind: the stand-in could not ingest faster)")
    print(f"console peak RSS: {rss_mb:.1f} MB")
    if ordered:
        print(f"keypress → repaint over {len(ordered)} presses: p50 {statistics.median(ordered) * 1000:.1f} ms · "
              f"p99 {pct(0.99) * 1000:.1f} ms · max {ordered[-1] * 1000:.1f} ms")
    print("pane title under the flood: " + (sorted(titles)[-1] if titles else "(no FLOOD title seen)"))
    ok_rss = rss_mb < TARGET_RSS_MB
    ok_p99 = bool(ordered) and pct(0.99) < TARGET_P99_S
    print(f"targets: peak RSS < {TARGET_RSS_MB:.0f} MB: {'PASS' if ok_rss else 'FAIL'} · "
          f"keypress-to-repaint p99 < {TARGET_P99_S * 1000:.0f} ms: {'PASS' if ok_p99 else 'FAIL'}")
    return 0 if ok_rss and ok_p99 else 1


if __name__ == "__main__":
    sys.exit(main())
