"""The Wazuh source (obsconsole/sources/wazuh.py, sources/tail.py) and the security pane.

alerts.json is a real file written line by line by the test, rotated (renamed, a new file
started) and truncated the way wazuh-analysisd and logrotate do. The indexer is the
OpenSearch-style stand-in (tests/standins/elastic/) fed through its `_bulk` API.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import json
import os
import random
import socket
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from obsconsole.config import HttpAuth, WazuhBackend
from obsconsole.logic import wazuh as logic
from obsconsole.model import SecurityTop, SecurityView, SourceError
from obsconsole.sources.tail import MAX_LINE, LineTail
from obsconsole.sources.wazuh import WazuhSource
from tests.helpers import FROZEN, frozen_demo_app, running, settle, wait_until
from tests.standins.elastic import Standin, start_standin

NOW = FROZEN
ATTACKER = "203.0.113.45"


# --------------------------------------------------------------------------- helpers


def wazuh_time(at: datetime) -> str:
    """The way wazuh-analysisd writes times: milliseconds and +0000 (no colon)."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def alert(n: int, level: int = 5, description: str = "Failed authentication attempt", *,
          rule_id: str = "100002", srcip: str = "192.0.2.10", age_s: float | None = None) -> dict[str, Any]:
    """Alert number `n`, `age_s` seconds before NOW (default: n seconds before)."""
    at = NOW - timedelta(seconds=n if age_s is None else age_s)
    return {
        "timestamp": wazuh_time(at),
        "rule": {"level": level, "description": description, "id": rule_id, "groups": ["aigym", "authentication"]},
        "agent": {"id": "003", "name": "aigym-api-1"},
        "id": f"{int(at.timestamp())}.{n}",
        "full_log": json.dumps({"srcip": srcip, "n": n}),
        "data": {"srcip": srcip},
        "location": "/var/log/aigym/auth.json",
    }


def line(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode() + b"\n"


class AlertsLog:
    """Plays wazuh-analysisd: appends to alerts.json through one open handle, rotates by
    renaming and starting a new file, or is truncated in place (copytruncate)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle = open(path, "ab", buffering=0)
        self.rotated: list[Path] = []

    def write(self, data: bytes) -> None:
        self.handle.write(data)

    def rename_away(self) -> Path:
        """The first half of a rotation: the file gets its dated name (the writer's
        handle still points at it)."""
        target = self.path.with_name(f"{self.path.name}.{len(self.rotated) + 1}")
        os.rename(self.path, target)
        self.rotated.append(target)
        return target

    def start_new_file(self) -> None:
        self.handle.close()
        self.handle = open(self.path, "ab", buffering=0)

    def rotate(self) -> None:
        self.rename_away()
        self.start_new_file()

    def truncate(self) -> None:
        os.truncate(self.path, 0)

    def close(self) -> None:
        self.handle.close()


@pytest.fixture
def log(tmp_path: Path) -> Iterator[AlertsLog]:
    writer = AlertsLog(tmp_path / "alerts.json")
    yield writer
    writer.close()


def file_source(path: Path, *, capacity: int = 5000, indexer_url: str | None = None) -> WazuhSource:
    backend = WazuhBackend(indexer_url=indexer_url, alerts_json=str(path),
                           auth=HttpAuth(username="admin", password="secret"), timeout_s=2.0)
    return WazuhSource(backend, lambda: NOW, capacity=capacity)


def indexer_source(url: str, password: str = "secret", timeout_s: float = 2.0) -> WazuhSource:
    backend = WazuhBackend(indexer_url=url, auth=HttpAuth(username="admin", password=password), timeout_s=timeout_s)
    return WazuhSource(backend, lambda: NOW)


def closed_port_url() -> str:
    """A URL on which nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def one_line(message: str) -> bool:
    return "\n" not in message and "Traceback" not in message and len(message) < 400


# --------------------------------------------------------------------------- the tail


def test_a_partial_line_is_completed_by_the_next_read(log: AlertsLog) -> None:
    tail = LineTail(str(log.path))
    log.write(b"one\ntw")
    assert tail.read() == [b"one"]
    assert tail.read() == []
    log.write(b"o\nthr")
    assert tail.read() == [b"two"]
    log.write(b"ee\n")
    assert tail.read() == [b"three"]


def test_rotation_finishes_the_old_file_then_reads_the_new_one(log: AlertsLog) -> None:
    tail = LineTail(str(log.path))
    log.write(b"a1\na2\na3\n")
    assert tail.read() == [b"a1", b"a2", b"a3"]
    log.write(b"a4\na5\n")  # appended right before the rotation, never read from the path
    log.rotate()
    log.write(b"b1\nb2\n")
    assert tail.read() == [b"a4", b"a5", b"b1", b"b2"]
    log.write(b"b3\n")
    assert tail.read() == [b"b3"]
    assert tail.stats.rotations == 1


def test_a_line_finished_through_the_old_handle_after_the_rename_is_not_lost(log: AlertsLog) -> None:
    tail = LineTail(str(log.path))
    log.write(b"a1\na2-be")
    assert tail.read() == [b"a1"]
    log.rename_away()
    log.write(b"gun\n")  # the writer still holds the old file
    assert tail.read() == [b"a2-begun"]  # the path is gone for now: keep reading the old file
    log.start_new_file()
    log.write(b"b1\n")
    assert tail.read() == [b"b1"]


def test_an_unfinished_last_line_of_a_rotated_file_is_delivered(log: AlertsLog) -> None:
    tail = LineTail(str(log.path))
    log.write(b"a1\na2")
    assert tail.read() == [b"a1"]
    log.rotate()
    log.write(b"b1\n")
    assert tail.read() == [b"a2", b"b1"]


def test_truncation_starts_again_from_the_beginning(log: AlertsLog) -> None:
    tail = LineTail(str(log.path))
    log.write(b"first line\nsecond line\n")
    assert tail.read() == [b"first line", b"second line"]
    log.truncate()
    log.write(b"new\n")  # shorter than what was read before
    assert tail.read() == [b"new"]
    assert tail.stats.truncations == 1


def test_truncation_rewritten_past_the_old_offset_is_noticed(log: AlertsLog) -> None:
    tail = LineTail(str(log.path))
    log.write(b"a1\na2\n")
    assert tail.read() == [b"a1", b"a2"]
    log.truncate()
    log.write(b"b1 is longer\nb2\n")  # the file is already longer than the old offset
    assert tail.read() == [b"b1 is longer", b"b2"]
    assert tail.stats.truncations == 1


def test_a_missing_file_is_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "alerts.json"
    tail = LineTail(str(path))
    assert tail.read() == [] and not tail.is_open
    path.write_bytes(b"x\n")
    assert tail.read() == [b"x"]


def test_an_over_long_line_is_dropped_without_being_held(log: AlertsLog) -> None:
    tail = LineTail(str(log.path), max_line=100)
    log.write(b"before\n" + b"x" * 60)
    assert tail.read() == [b"before"]
    for _ in range(5):  # the long line arrives in pieces, across reads
        log.write(b"x" * 60)
        assert tail.read() == []
        assert len(tail._partial) <= 100
    log.write(b"\nafter\n")
    assert tail.read() == [b"after"]
    assert tail.stats.oversized == 1


def test_a_line_over_one_megabyte_is_skipped_with_the_default_limit(log: AlertsLog) -> None:
    tail = LineTail(str(log.path))
    log.write(b"{" + b"a" * (MAX_LINE + 10) + b"}\n" + b"ok\n")
    assert tail.read() == [b"ok"]
    assert tail.stats.oversized == 1


def test_the_first_read_of_a_big_file_starts_at_a_whole_line_near_its_end(log: AlertsLog) -> None:
    log.write(b"".join(b"line %04d\n" % i for i in range(100)))  # 10 bytes a line
    tail = LineTail(str(log.path), initial_backlog=55)
    assert tail.read() == [b"line %04d" % i for i in range(95, 100)]  # 5.5 lines back: the half is skipped
    exact = LineTail(str(log.path), initial_backlog=50)
    assert exact.read() == [b"line %04d" % i for i in range(95, 100)]  # on a line start: nothing lost
    near_start = LineTail(str(log.path), initial_backlog=1000 - 30)  # 30 bytes in: line 3 starts there
    assert near_start.read() == [b"line %04d" % i for i in range(3, 100)]


def test_a_read_budget_spreads_a_backlog_over_reads_without_losing_lines(log: AlertsLog) -> None:
    tail = LineTail(str(log.path), budget=25)
    assert tail.read() == []  # the tail follows the file from here
    log.write(b"".join(b"line %04d\n" % i for i in range(10)))
    log.rotate()
    log.write(b"new\n")
    got: list[bytes] = []
    for _ in range(10):
        got += tail.read()
    assert got == [b"line %04d" % i for i in range(10)] + [b"new"]


@pytest.mark.parametrize("seed", range(25))
def test_random_writes_rotations_and_truncations_lose_and_duplicate_nothing(tmp_path: Path, seed: int) -> None:
    """A writer appends numbered lines (sometimes in two halves), the file is rotated or
    truncated between reads; every line written arrives exactly once, in order.

    Truncation only happens once the reader has read everything (lines truncated away
    before anyone read them are lost by the writer, not the tail), and at most one
    rotation happens between two reads (Wazuh rotates daily; polls are seconds apart).
    """
    r = random.Random(seed)
    log = AlertsLog(tmp_path / "alerts.json")
    tail = LineTail(str(log.path), max_line=200, budget=r.choice([64, 4096, 1 << 20]))
    written: list[bytes] = []
    got: list[bytes] = []
    half: bytes | None = None  # the second half of a line being written
    caught_up, rotated_since_read = True, False
    assert tail.read() == []  # the tail follows the file from here
    try:
        for _ in range(300):
            op = r.random()
            if half is not None and op < 0.5:
                log.write(half)
                half, caught_up = None, False
            elif op < 0.55:
                text = b"L%05d-" % len(written) + b"y" * r.randint(0, 40)
                written.append(text)
                cut = r.randint(1, len(text))
                if half is None:
                    log.write(text[:cut])
                    half = text[cut:] + b"\n"
                else:
                    log.write(half + text + b"\n")
                    half = None
                caught_up = False
            elif op < 0.8:
                if half is None:
                    text = b"L%05d" % len(written)
                    written.append(text)
                    log.write(text + b"\n")
                    caught_up = False
            elif op < 0.85 and not rotated_since_read:
                if half is not None:
                    log.write(half)
                    half = None
                log.rotate()
                rotated_since_read = True
            elif op < 0.88 and caught_up and half is None:
                log.truncate()
            else:
                got += tail.read()
                while (more := tail.read()):  # a small budget needs several reads
                    got += more
                caught_up, rotated_since_read = half is None, False
        if half is not None:
            log.write(half)
        while (more := tail.read()):
            got += more
    finally:
        log.close()
    assert got == written


# --------------------------------------------------------------------------- alerts.json source


async def test_alerts_json_shows_new_alerts_newest_first_with_top_ten_and_brute_force(log: AlertsLog) -> None:
    source = file_source(log.path)
    docs = [alert(n, level=5) for n in range(1, 13)]
    docs += [alert(20 + n, 3, "Successful user authentication", rule_id="100001") for n in range(4)]
    docs += [alert(30, 8, f"Multiple authentication failures from same source IP: {ATTACKER}",
                   rule_id="100003", srcip=ATTACKER),
             alert(31, 10, "Successful authentication after multiple failures", rule_id="100004", srcip=ATTACKER),
             alert(32, 12, "SQL injection attempt detected", rule_id="100101", srcip="198.51.100.9")]
    for doc in docs:
        log.write(line(doc))
    view = await source.fetch_security_events(5, 200)
    shown = [d for d in docs if d["rule"]["level"] >= 5]
    assert [e.id for e in view.events] == [d["id"] for d in sorted(shown, key=lambda d: d["timestamp"], reverse=True)]
    counts = Counter((d["rule"]["level"], d["rule"]["description"]) for d in shown)
    assert view.top == logic.rank_top(SecurityTop(lv, text, n) for (lv, text), n in counts.items())
    assert view.top[0] == SecurityTop(12, "SQL injection attempt detected", 1)
    assert view.brute_force_ips == (ATTACKER,)
    assert (view.skipped_lines, view.warnings) == (0, ())
    # the next poll reads only what was appended
    log.write(line(alert(0, 7, "Access to sensitive data endpoints", rule_id="100105")))
    again = await source.fetch_security_events(5, 200)
    assert len(again.events) == len(view.events) + 1 and again.events[0].rule_id == "100105"
    await source.aclose()


async def test_malformed_lines_are_skipped_and_counted_not_raised(log: AlertsLog) -> None:
    source = file_source(log.path)
    log.write(line(alert(1)))
    log.write(b"not json at all\n")
    log.write(b'{"truncated": "ali\n')
    log.write(b"[1, 2, 3]\n")
    log.write(line({"timestamp": wazuh_time(NOW), "rule": {"description": "no level"}}))
    log.write(b"\xff\xfe invalid utf-8\n")
    log.write(b"[" * 100_000 + b"\n")  # nesting deep enough to exhaust the JSON parser
    log.write(b"\n   \n")  # blank lines are not alerts and not errors either
    log.write(line(alert(2)))
    # an alert with invalid UTF-8 inside a string is kept, the bad bytes replaced
    log.write(line(alert(3)).replace(b'"description": "', b'"description": "bad \xff\xfe '))
    view = await source.fetch_security_events(5, 200)
    assert [e.id for e in view.events] == [alert(1)["id"], alert(2)["id"], alert(3)["id"]]
    assert view.events[2].description.startswith("bad \ufffd\ufffd ")
    assert view.skipped_lines == 6


async def test_alerts_json_survives_rotation_and_truncation_end_to_end(log: AlertsLog) -> None:
    source = file_source(log.path)
    log.write(line(alert(1)) + line(alert(2)))
    assert len((await source.fetch_security_events(5, 200)).events) == 2
    log.write(line(alert(3)))
    log.rotate()
    log.write(line(alert(4)))
    log.write(line(alert(5))[:20])  # half a line
    assert {e.id for e in (await source.fetch_security_events(5, 200)).events} == {alert(n)["id"] for n in (1, 2, 3, 4)}
    log.write(line(alert(5))[20:])
    log.truncate()  # copytruncate after the reader caught up... then new alerts
    log.write(line(alert(6)))
    view = await source.fetch_security_events(5, 200)
    assert sorted(e.id for e in view.events) == sorted(alert(n)["id"] for n in (1, 2, 3, 4, 6))
    assert len({e.id for e in view.events}) == len(view.events)


async def test_alerts_json_holds_at_most_capacity_alerts_newest_first(log: AlertsLog) -> None:
    source = file_source(log.path, capacity=10)
    for n in range(1, 51):
        log.write(line(alert(n)))
    view = await source.fetch_security_events(5, 200)
    assert [e.id for e in view.events] == [alert(n)["id"] for n in range(1, 11)]
    assert view.top == (SecurityTop(5, "Failed authentication attempt", 10),)


async def test_alerts_json_keeps_the_last_24_hours_at_or_above_the_minimum_level(log: AlertsLog) -> None:
    source = file_source(log.path)
    log.write(line(alert(1, level=4)))
    log.write(line(alert(2, level=6, age_s=25 * 3600)))
    log.write(line(alert(3, level=6, age_s=23 * 3600)))
    view = await source.fetch_security_events(5, 200)
    assert [e.id for e in view.events] == [alert(3, age_s=23 * 3600)["id"]]


async def test_alerts_json_that_does_not_exist_yet_is_a_warning_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "alerts.json"
    source = file_source(path)
    view = await source.fetch_security_events(5, 200)
    assert view.events == () and view.warnings == (f"wazuh alerts.json at {path}: no such file yet",)
    path.write_bytes(line(alert(1)))
    view = await source.fetch_security_events(5, 200)
    assert len(view.events) == 1 and view.warnings == ()


async def test_alerts_json_that_cannot_be_read_fails_in_one_line(tmp_path: Path) -> None:
    source = file_source(tmp_path)  # a directory
    with pytest.raises(SourceError) as info:
        await source.fetch_security_events(5, 200)
    assert info.value.kind == "unreachable" and one_line(info.value.message)
    assert info.value.message == f"wazuh alerts.json at {tmp_path}: not a regular file"


async def test_an_unreadable_alerts_json_is_an_auth_error(log: AlertsLog) -> None:
    log.path.chmod(0)
    # root reads any file: as root (CI), read it as `nobody` for the length of the test
    # (whose lazy imports from root's interpreter would fail: import what the read needs)
    as_root = os.geteuid() == 0
    if as_root:
        import concurrent.futures.thread  # noqa: F401

        os.seteuid(65534)
    try:
        with pytest.raises(SourceError) as info:
            await file_source(log.path).fetch_security_events(5, 200)
    finally:
        if as_root:
            os.seteuid(0)
    assert info.value.kind == "auth" and "permission denied" in info.value.message


async def test_with_the_indexer_down_alerts_json_is_shown_and_the_indexer_named(log: AlertsLog) -> None:
    url = closed_port_url()
    source = file_source(log.path, indexer_url=url)
    log.write(line(alert(1)))
    view = await source.fetch_security_events(5, 200)
    assert [e.id for e in view.events] == [alert(1)["id"]]
    (warning,) = view.warnings
    assert warning.startswith(f"wazuh indexer at {url}: ") and one_line(warning)
    statuses = await source.describe()
    assert [(s.target, s.reachable) for s in statuses] == [(url, False), (str(log.path), True)]
    await source.aclose()


async def test_with_both_parts_down_the_error_names_both_in_one_line(tmp_path: Path) -> None:
    url = closed_port_url()
    source = file_source(tmp_path, indexer_url=url)
    with pytest.raises(SourceError) as info:
        await source.fetch_security_events(5, 200)
    message = info.value.message
    assert f"wazuh indexer at {url}" in message and f"wazuh alerts.json at {tmp_path}" in message
    assert one_line(message)
    await source.aclose()


# --------------------------------------------------------------------------- demo and pane


async def test_the_demo_flags_the_scripted_attacker_and_ranks_its_alerts_first() -> None:
    from obsconsole.sources.demo import DemoPlatform

    platform = DemoPlatform(1, lambda: NOW, started_at=NOW - timedelta(seconds=60))
    view = await platform.fetch_security_events(5, 200)
    assert isinstance(view, SecurityView) and view.brute_force_ips == (ATTACKER,)
    assert 0 < len(view.top) <= 10 and view.top == logic.rank_top(view.top)
    assert view.top[0].level == max(e.level for e in view.events)


async def test_t_switches_the_security_pane_to_the_top_ten_and_back() -> None:
    app = frozen_demo_app()
    async with running(app, (120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        pane = app.overview.pane("security")
        view: SecurityView = pane.snapshot.value
        assert ATTACKER in str(pane.border_title)
        await pilot.press("t")
        table = pane.table
        await wait_until(pilot, lambda: [str(c.label) for c in table.columns.values()] == ["Severity", "Event Type", "Count"],
                         "the top 10 columns")
        assert table.row_count == len(view.top) > 0
        first = [cell.plain for cell in table.get_row_at(0)]
        assert first[0].split()[0] == str(view.top[0].level)
        assert first[2] == f"{view.top[0].count:,}"
        assert "top" in str(pane.border_title) and "24 h" in str(pane.border_title)
        await pilot.press("t")
        await wait_until(pilot, lambda: [str(c.label) for c in table.columns.values()][:3] == ["time", "lvl", "rule"],
                         "the event columns again")
        assert table.row_count == len(view.events)


# --------------------------------------------------------------------------- indexer

#: the fields the console reads, typed as the Wazuh index template types them
WAZUH_TEMPLATE = {"mappings": {"properties": {
    "timestamp": {"type": "date", "format": "date_optional_time||epoch_millis"},
    "id": {"type": "keyword"},
    "rule": {"properties": {
        "id": {"type": "keyword"}, "level": {"type": "long"}, "description": {"type": "keyword"},
        "groups": {"type": "keyword"},
        "mitre": {"properties": {"id": {"type": "keyword"}, "tactic": {"type": "keyword"}}},
    }},
    "agent": {"properties": {"id": {"type": "keyword"}, "name": {"type": "keyword"}}},
    "data": {"properties": {"srcip": {"type": "keyword"}}},
    "location": {"type": "keyword"},
    "full_log": {"type": "text"},
}}}
AUTH = ("admin", "secret")

#: a day of alerts across two daily indices: levels 3-12, repeated descriptions, two
#: brute-force sources (the older one only in yesterday's index), and alerts older than 24 h
INDEXED = (
    [alert(n, 5, age_s=n * 600) for n in range(1, 40)]                                          # failed logins
    + [alert(100 + n, 3, "Successful user authentication", rule_id="100001", age_s=n * 300) for n in range(20)]
    + [alert(200 + n, 7, "Access to sensitive data endpoints", rule_id="100105", age_s=n * 900) for n in range(30)]
    + [alert(300 + n, 8, "Excessive API requests triggering rate limiting", rule_id="100103",
             age_s=3600 + n * 60) for n in range(12)]
    + [alert(400, 8, f"Multiple authentication failures from same source IP: {ATTACKER}", rule_id="100003",
             srcip=ATTACKER, age_s=120),
       alert(401, 10, "Successful authentication after multiple failures - possible brute force success",
             rule_id="100004", srcip=ATTACKER, age_s=60),
       alert(402, 9, "Multiple 401 responses from same source", rule_id="100104", srcip="198.51.100.23",
             age_s=20 * 3600),
       alert(403, 12, "SQL injection attempt detected", rule_id="100101", srcip="192.0.2.66", age_s=7200)]
    + [alert(500 + n, 12, "SQL injection attempt detected", rule_id="100101", age_s=25 * 3600 + n)
       for n in range(5)]                                                                        # too old
)


def index_name(doc: dict[str, Any]) -> str:
    return "wazuh-alerts-4.x-" + doc["timestamp"][:10].replace("-", ".")


def bulk(url: str, docs: list[dict[str, Any]]) -> None:
    """Index `docs` into their daily indices through the `_bulk` API, as Filebeat does."""
    for name in sorted({index_name(d) for d in docs}):
        httpx.put(f"{url}/{name}", json=WAZUH_TEMPLATE, auth=AUTH).raise_for_status()
    body = "".join(json.dumps({"index": {"_index": index_name(d), "_id": d["id"]}}) + "\n" + json.dumps(d) + "\n"
                   for d in docs)
    answer = httpx.post(f"{url}/_bulk", content=body, auth=AUTH,
                        headers={"content-type": "application/x-ndjson"})
    answer.raise_for_status()
    assert answer.json()["errors"] is False


@pytest.fixture(scope="module")
def indexer() -> Iterator[Standin]:
    with start_standin("opensearch", users={"admin": "secret"}) as server:
        bulk(server.url, INDEXED)
        yield server


def expected_shown(min_level: int) -> list[dict[str, Any]]:
    """The indexed alerts the pane should show, newest first."""
    day_ago = wazuh_time(NOW - timedelta(hours=24))
    shown = [d for d in INDEXED if d["rule"]["level"] >= min_level and d["timestamp"] >= day_ago]
    return sorted(shown, key=lambda d: (d["timestamp"], d["id"]), reverse=True)  # ties: by id, as merged


async def test_indexer_returns_alerts_at_or_above_the_level_newest_first(indexer: Standin) -> None:
    source = indexer_source(indexer.url)
    view = await source.fetch_security_events(5, 200)
    assert [e.id for e in view.events] == [d["id"] for d in expected_shown(5)]
    assert view.events[0].timestamp == NOW  # "…+0000" read back from the indexer
    assert (await source.fetch_security_events(8, 3)).events == tuple(
        e for e in view.events if e.level >= 8)[:3]
    assert view.warnings == () and view.skipped_lines == 0
    await source.aclose()


async def test_indexer_top_ten_equals_the_counts_of_the_indexed_alerts(indexer: Standin) -> None:
    source = indexer_source(indexer.url)
    view = await source.fetch_security_events(5, 5)  # the top counts all of them, not the 5 shown
    counts = Counter((d["rule"]["level"], d["rule"]["description"]) for d in expected_shown(5))
    assert view.top == logic.rank_top(SecurityTop(lv, text, n) for (lv, text), n in counts.items())
    assert view.top[0] == SecurityTop(12, "SQL injection attempt detected", 1)  # the older 5 are past 24 h
    assert SecurityTop(5, "Failed authentication attempt", 39) in view.top
    await source.aclose()


async def test_indexer_names_every_brute_force_source_of_the_day_most_recent_first(indexer: Standin) -> None:
    source = indexer_source(indexer.url)
    view = await source.fetch_security_events(5, 5)  # the 20 h old 100104 is not among the 5 shown
    assert view.brute_force_ips == (ATTACKER, "198.51.100.23")
    await source.aclose()


async def test_indexer_and_alerts_json_together_show_each_alert_once(indexer: Standin, log: AlertsLog) -> None:
    shared = INDEXED[0]
    only_in_file = alert(900, 6, "User authentication during off-hours", rule_id="100006", age_s=1)
    log.write(line(shared) + line(only_in_file))
    source = file_source(log.path, indexer_url=indexer.url)
    view = await source.fetch_security_events(5, 500)
    ids = [e.id for e in view.events]
    assert len(ids) == len(set(ids)) == len(expected_shown(5)) + 1
    assert only_in_file["id"] in ids
    assert view.top[0] == SecurityTop(12, "SQL injection attempt detected", 1)  # the indexer's count
    await source.aclose()


async def test_describe_reports_the_indexer_version(indexer: Standin) -> None:
    source = indexer_source(indexer.url)
    (status,) = await source.describe()
    assert (status.backend, status.target, status.reachable) == ("wazuh", indexer.url, True)
    assert status.version is not None and status.version.startswith("opensearch 2.")
    assert status.latency_s is not None and status.latency_s >= 0
    await source.aclose()


async def test_a_wrong_password_is_an_auth_error_in_one_line(indexer: Standin) -> None:
    source = indexer_source(indexer.url, password="wrong")
    with pytest.raises(SourceError) as info:
        await source.fetch_security_events(5, 200)
    assert info.value.kind == "auth"
    assert info.value.message == f"wazuh indexer at {indexer.url}: HTTP 401, credentials refused"
    assert "wrong" not in str(info.value)
    (status,) = await source.describe()
    assert not status.reachable and status.detail == info.value.message
    await source.aclose()


@pytest.mark.parametrize(
    ("arm", "kind", "says"),
    [
        (lambda s: s.fail_next(503, times=2), "bad_response", "HTTP 503: no_shard_available_action_exception"),
        (lambda s: s.fail_next(500, {"error": {"type": "search_phase_execution_exception",
                                               "reason": "all shards\nfailed"}, "status": 500}, times=2),
         "bad_response", "HTTP 500: search_phase_execution_exception: all shards failed"),
        (lambda s: s.fail_with_html(502, times=2), "bad_response", "HTTP 502: the answer is an HTML page"),
        (lambda s: s.fail_next(200, "<html><body>Please log in</body></html>", "text/html", times=2),
         "bad_response", "the answer is an HTML page"),
        (lambda s: s.truncate_next(times=2), "bad_response", "not valid JSON (truncated?)"),
        (lambda s: s.delay_next(1.5, times=2), "timeout", "no answer in 0.5 s"),
        (lambda s: s.fail_next(403, {"error": {"type": "security_exception", "reason": "no permissions"},
                                     "status": 403}, times=2),
         "auth", "HTTP 403, the user may not read wazuh-alerts-4.x-*"),
    ],
    ids=["503", "opensearch-error", "proxy-html", "login-page", "truncated", "timeout", "forbidden"],
)
async def test_indexer_failures_are_one_line_source_errors(indexer: Standin, arm: Any, kind: str, says: str) -> None:
    source = indexer_source(indexer.url, timeout_s=0.5)
    arm(indexer)  # both searches of the poll fail
    with pytest.raises(SourceError) as info:
        await source.fetch_security_events(5, 200)
    assert info.value.kind == kind
    assert info.value.message.startswith(f"wazuh indexer at {indexer.url}: ") and says in info.value.message
    assert one_line(info.value.message)
    await source.aclose()
    # the indexer answers again afterwards (no fault left armed for other tests)
    assert (await indexer_source(indexer.url).fetch_security_events(5, 1)).events


async def test_partial_search_results_are_shown_with_a_warning(indexer: Standin) -> None:
    partial = {"took": 3, "timed_out": False, "_shards": {"total": 3, "successful": 2, "skipped": 0, "failed": 1},
               "hits": {"total": {"value": 1, "relation": "eq"}, "hits": [{"_index": "x", "_id": "1", "_source": INDEXED[0]},
                                                                        {"_index": "x", "_id": "2", "_source": {"no": "alert"}}]}}
    indexer.fail_next(200, partial, times=2)
    view = await indexer_source(indexer.url).fetch_security_events(5, 200)
    assert [e.id for e in view.events] == [INDEXED[0]["id"]]
    assert view.warnings == (
        f"wazuh indexer at {indexer.url}: 1 of 3 shards failed: results are partial",
        f"wazuh indexer at {indexer.url}: 1 of 2 documents are not Wazuh alerts (no timestamp or rule level)",
    )


async def test_an_unreachable_indexer_is_one_line_naming_its_url() -> None:
    url = closed_port_url()
    with pytest.raises(SourceError) as info:
        await indexer_source(url).fetch_security_events(5, 200)
    assert info.value.kind == "unreachable" and one_line(info.value.message)
    assert info.value.message == f"wazuh indexer at {url}: cannot connect (refused, or the host is down)"


async def test_the_indexer_search_asks_for_what_the_pane_shows(indexer: Standin) -> None:
    source = indexer_source(indexer.url)
    before = len(indexer.request_log)
    await source.fetch_security_events(6, 50)
    searches = [r for r in indexer.request_log[before:] if urlsplit(r.path).path.endswith("/_search")]
    assert {unquote(urlsplit(r.path).path) for r in searches} == {"/wazuh-alerts-4.x-*/_search"}
    main = next(r.json() for r in searches if r.json()["size"] == 50)
    assert main["sort"] == [{"timestamp": {"order": "desc"}}]
    assert {"range": {"rule.level": {"gte": 6}}} in main["query"]["bool"]["filter"]
    assert {"range": {"timestamp": {"gte": "2026-11-27T14:00:00.000Z"}}} in main["query"]["bool"]["filter"]
    await source.aclose()
