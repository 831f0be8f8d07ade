"""Ack latency: from the confirming keypress to the silence being visible through
Alertmanager's API, on loopback, against the real stack of tests/stack.py.

    python benchmarks/ack_latency.py [--runs 10]

Starts Prometheus, Alertmanager, node-exporter and the sample service (Debian packages),
fires APIErrorRateHigh, then repeats: `a` on the alert group, Enter, and a thread polling
GET /api/v2/silences every 2 ms notes when the silence appears. Prints each run and the
median / p95 / max against the target (<= 200 ms). Not a test: figures go in notes.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from obsconsole.config import load_config  # noqa: E402
from obsconsole.ui.screens.ack import AckScreen  # noqa: E402
from obsconsole.ui.app import ObsConsoleApp  # noqa: E402
from obsconsole.ui.panes.base import PaneTable  # noqa: E402
from tests.stack import start_stack  # noqa: E402

TARGET_S = 0.200


class SilenceWatcher(threading.Thread):
    """Polls Alertmanager until an active silence shows up; records when."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.seen_at: float | None = None
        self.stop_flag = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=2) as client:
            while not self.stop_flag.is_set():
                silences = client.get(f"{self.url}/api/v2/silences").json()
                if any(s["status"]["state"] == "active" for s in silences):
                    self.seen_at = time.perf_counter()
                    return
                time.sleep(0.002)


def expire_all(url: str) -> None:
    for s in httpx.get(f"{url}/api/v2/silences", timeout=5).json():
        if s["status"]["state"] != "expired":
            httpx.delete(f"{url}/api/v2/silence/{s['id']}", timeout=5)


async def measure(config_path: Path, am: str, runs: int) -> list[float]:
    app = ObsConsoleApp(load_config(config_path))
    results: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.overview.pane("alerts").query_one(PaneTable)
        for _ in range(600):
            if table.row_count:
                break
            await pilot.pause(0.1)
        await pilot.press("5")
        for _ in range(runs):
            expire_all(am)
            await pilot.pause(1.5)  # let the pane see the alert unsilenced again
            table.move_cursor(row=0)
            await pilot.press("a")
            assert isinstance(app.screen, AckScreen), "the ack dialog did not open"
            watcher = SilenceWatcher(am)
            watcher.start()
            started = time.perf_counter()
            await pilot.press("enter")
            for _ in range(500):
                if watcher.seen_at is not None:
                    break
                await pilot.pause(0.005)
            watcher.stop_flag.set()
            if watcher.seen_at is None:
                raise SystemExit("the silence never appeared")
            results.append(watcher.seen_at - started)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description="keypress-to-silence latency against a real Alertmanager")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="obsconsole-ack-"))
    stack = start_stack(workdir)
    try:
        config = stack.write_console_config(workdir / "config.yaml")
        stack.degrade("aigym-api", error_share=0.2)
        stack.wait_for_alert("APIErrorRateHigh")
        am = stack.alertmanager_urls[0]
        results = asyncio.run(measure(config, am, args.runs))
    finally:
        stack.stop()
    for i, r in enumerate(results, 1):
        print(f"run {i:2d}: {r * 1000:6.1f} ms")
    ordered = sorted(results)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    median = statistics.median(results)
    print(f"\nack latency (keypress → silence visible in Alertmanager, loopback), {len(results)} runs:")
    print(f"  median {median * 1000:.1f} ms · p95 {p95 * 1000:.1f} ms · max {max(results) * 1000:.1f} ms")
    verdict = "PASS" if p95 <= TARGET_S else "FAIL"
    print(f"  target p95 <= {TARGET_S * 1000:.0f} ms: {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
