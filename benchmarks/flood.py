#!/usr/bin/env python3
"""A log flood: does the console stay bounded and responsive?

    .venv/bin/python benchmarks/flood.py [--rate 2000] [--seconds 60] [--size 120x40]

Starts the Elasticsearch stand-in (tests/standins/elastic.py), feeds it `--rate` ERROR
events per second through the official client's bulk API (in batches every 100 ms, from
a thread), and runs `obsconsole` pointed at it in a pseudo-terminal, focused on the error
pane. Meanwhile it presses a key every ~0.5 s (down / up in the error table) and times
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
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.ptyapp import PtyApp, tree_peak_rss_bytes  # noqa: E402
from tests.standins.elastic import start_standin  # noqa: E402

TARGET_RSS_MB = 120.0
TARGET_P99_S = 0.100
KEYS = (b"\x1b[B", b"\x1b[A")  # down, up


class Feeder(threading.Thread):
    """Bulk-indexes `rate` events/s until stopped."""

    def __init__(self, url: str, rate: int) -> None:
        super().__init__(daemon=True)
        self.url, self.rate = url, rate
        self.sent = 0
        self.stop_flag = threading.Event()
        self.behind_s = 0.0

    def run(self) -> None:
        from elasticsearch import Elasticsearch, helpers

        client = Elasticsearch(self.url, request_timeout=30)
        per_tick = max(1, self.rate // 10)
        next_at = time.monotonic()
        while not self.stop_flag.is_set():
            at = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
            actions = [
                {"_index": "aigym-errors-flood", "_source": {
                    "@timestamp": at, "level": "ERROR", "service": f"aigym-svc-{(self.sent + i) % 7}",
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--rate", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--size", default="120x40")
    opts = parser.parse_args()
    cols, rows = (int(v) for v in opts.size.split("x"))

    tmp = Path(tempfile.mkdtemp(prefix="obsconsole-flood-"))
    server = start_standin("elasticsearch")
    config = tmp / "config.yaml"
    config.write_text(
        "contexts:\n  flood:\n"
        f"    elasticsearch:\n      url: {server.url}\n      indices: [aigym-errors-*]\n"
    )
    feeder = Feeder(server.url, opts.rate)
    app = PtyApp([sys.executable, "-m", "obsconsole", "--config", str(config)], cols, rows, tmp / "ready", record=False)
    latencies: list[float] = []
    peak = 0
    titles: set[str] = set()
    try:
        feeder.start()
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
            for m in re.finditer(rb"[^\x1b]{0,60}FLOOD[^\x1b]{0,30}", bytes(app.tail)):
                titles.add(m.group(0).decode("utf-8", "replace").strip())
    finally:
        feeder.stop_flag.set()
        app.stop(b"q")
        server.stop()

    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]

    rss_mb = peak / 1e6
    print(f"flood: {feeder.sent:,} events in {opts.seconds:.0f} s ({feeder.sent / opts.seconds:,.0f}/s requested {opts.rate:,}/s)")
    if feeder.behind_s > 0.5:
        print(f"  (the feeder fell {feeder.behind_s:.1f} s behind: the stand-in could not ingest faster)")
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
