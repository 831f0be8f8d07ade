"""Hostile text through every pane, end to end: the corpus of tests/data/hostile/ goes in
through each backend's real API (Prometheus labels via the sample service and a
relabelled node-exporter, alerts posted to the real Alertmanager, log events bulk-indexed
into the Elasticsearch stand-in, Wazuh alerts appended to an alerts.json file) and the
console runs in a pseudo-terminal: its raw output must carry none of the corpus's control
sequences, while the text itself is on screen, inert."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
import yaml
from elasticsearch import Elasticsearch, helpers

from obsconsole.model import Severity
from obsconsole.model import LinkedAlert
from obsconsole.sources.incidents import IncidentStore
from tests import hostile
from tests.pg import Postgres
from tests.pg import missing as pg_missing
from tests.logindex import INDICES, create_log_indices
from tests.ptyapp import PtyApp
from tests.stack import Stack, start_stack, under_ci
from tests.standins.elastic import start_standin

UTC = timezone.utc
HOST = hostile.by_name("cursor-move") + hostile.by_name("window-title-bel") + hostile.by_name("bidi-override")
SERVICE = hostile.by_name("clear-screen") + hostile.by_name("rich-markup") + hostile.by_name("clipboard-osc52")
#: the newest log event's message (it has no trace id, so `y` copies the message): a
#: clipboard write, a window title, an 8-bit CSI and a bidi override in one line
COPY_MESSAGE = (hostile.by_name("clipboard-osc52") + hostile.by_name("window-title-bel")
                + hostile.by_name("c1-csi") + hostile.by_name("bidi-override"))
#: what the console itself writes to copy (Textual's App.copy_to_clipboard)
OSC52 = re.compile(rb"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07")
#: characters that must not reach a clipboard: C0, DEL, C1, bidi controls, line separators
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def stamp(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def hostile_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("hostile")
    stack: Stack = start_stack(work / "stack", instance_label=HOST, extra_services=(SERVICE,))
    es = start_standin("elasticsearch")
    pg = hostile_store()
    try:
        now = datetime.now(UTC)
        # Elasticsearch: every corpus string in every field the pane and detail show
        docs = []
        for i, entry in enumerate(hostile.entries()):
            text = entry.text
            docs.append({"_index": INDICES[0], "_source": {
                "timestamp": stamp(now - timedelta(seconds=30 + i)),
                "level": "FATAL" if i % 2 else "ERROR",
                "service": text[:300], "component": text[:300], "message": text,
                "trace_id": text[:64], "correlation_id": text[:64],
                "error": {"name": text[:100], "message": text, "stack": text},
                "metadata": {"note": text[:2000]},
            }})
        docs.append({"_index": INDICES[0], "_source": {
            "timestamp": stamp(now - timedelta(seconds=5)),
            "level": "ERROR", "service": "copy-target", "component": "copy", "message": COPY_MESSAGE,
            "error": {"name": "HostileCopy", "message": COPY_MESSAGE, "stack": COPY_MESSAGE},
        }})
        create_log_indices(es.url)
        client = Elasticsearch(es.url)
        helpers.bulk(client, docs, refresh="wait_for")
        client.close()

        # Wazuh: alerts.json lines, one per corpus string, and one with invalid UTF-8
        alerts_json = work / "alerts.json"
        with alerts_json.open("wb") as f:
            for i, entry in enumerate(hostile.short()):
                alert = {
                    "timestamp": (now - timedelta(seconds=20 + i)).strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
                    "id": f"hostile.{i}",
                    "rule": {"id": "100101", "level": 12, "description": entry.text,
                             "groups": [entry.text[:50]], "mitre": {"id": ["T1190"], "tactic": [entry.text[:40]]}},
                    "agent": {"id": "001", "name": entry.text[:80]},
                    "data": {"srcip": entry.text[:60]},
                    "location": entry.text[:80],
                    "full_log": entry.text,
                }
                f.write(json.dumps(alert).encode() + b"\n")
            f.write(
                b'{"timestamp": "' + now.strftime("%Y-%m-%dT%H:%M:%S.000+0000").encode()
                + b'", "id": "hostile.bytes", "rule": {"id": "100101", "level": 12, "description": "'
                + hostile.INVALID_UTF8 + b'"}, "agent": {"id": "002", "name": "raw-bytes"}}\n'
            )

        # Alertmanager: an alert whose labels and annotations are the corpus
        alert = {
            "labels": {"alertname": "HostileText", "service": SERVICE, "severity": "critical",
                       "category": "security", "instance": HOST},
            "annotations": {"summary": hostile.by_name("sgr-colour"), "description": hostile.by_name("c0-controls"),
                            "runbook_url": hostile.by_name("hyperlink-osc8"), "title": hostile.by_name("dcs")},
            "startsAt": stamp(now - timedelta(minutes=1)),
            "endsAt": stamp(now + timedelta(hours=1)),
        }
        httpx.post(f"{stack.alertmanager_urls[0]}/api/v2/alerts", json=[alert], timeout=5).raise_for_status()
        stack.wait_until(lambda: any(a["labels"]["alertname"] == "HostileText" for a in stack.alerts(0)), 20,
                         "the hostile alert in Alertmanager")
        stack.wait_until(lambda: stack.query('up{job="node"}'), 20, "the relabelled node-exporter")

        # the incident store: incidents whose title, commander and services are the corpus
        dsn = pg.create_database()
        asyncio.run(declare_hostile_incidents(dsn))

        config = work / "config.yaml"
        config.write_text(yaml.safe_dump({"contexts": {"hostile": {
            "prometheus": {"url": stack.prometheus_url, "rate_window": "15s"},
            "alertmanager": [{"url": stack.alertmanager_urls[0]}],
            "elasticsearch": {"url": es.url},
            "wazuh": {"alerts_json": str(alerts_json)},
            "incidents": {"dsn": dsn},
        }}}))
        yield {"config": config, "work": work}
    finally:
        pg.destroy()
        es.stop()
        stack.stop()


def hostile_store() -> Postgres:
    problem = pg_missing()
    if problem:
        (pytest.fail if under_ci() else pytest.skip)(problem)
    server = Postgres()
    server.init()
    server.start()
    return server


async def declare_hostile_incidents(dsn: str) -> None:
    store = IncidentStore(dsn, hostile.by_name("window-title-bel") + "@host")
    try:
        for entry in hostile.short():
            incident = await store.declare("INCIDENT-" + " ".join(entry.text.split())[:150] or "INCIDENT-",
                                           Severity.CRITICAL, [entry.text[:60]], entry.text)
            await store.update(incident.id, incident.version, commander=entry.text[:40] or "x")
            await store.note(incident.id, entry.text or "-")
            await store.link(incident.id, [LinkedAlert("fp-" + entry.name, entry.text[:80], entry.text[:60], "critical")])
    finally:
        await store.aclose()


def test_no_control_sequence_from_any_backend_reaches_the_terminal(hostile_world: dict[str, Any]) -> None:
    work: Path = hostile_world["work"]
    app = PtyApp([sys.executable, "-m", "obsconsole", "--config", str(hostile_world["config"])],
                 160, 50, work / "ready", record=True)
    app.start()
    try:
        _, failure = app.wait_ready(40)
        assert failure is None, failure
        # visit every pane and open a detail in each (the detail shows whole values)
        for pane in b"1234567":
            app.send(bytes([pane]))
            app.pump_for(0.4)
            app.send(b"m")  # maximised: the widest columns
            app.pump_for(0.4)
            app.send(b"\r")
            app.pump_for(0.6)
            app.send(b"\x1b")
            app.pump_for(0.3)
            app.send(b"m")
            app.pump_for(0.3)
        assert app.alive(), "the console exited while showing hostile text" + app.tail_text()
    finally:
        app.stop(b"q")
    raw = bytes(app.output)
    assert hostile.leaks(raw) == []
    shown = raw.decode("utf-8", "replace")
    # the text is there, inert: ESC drawn as ␛, markup as its brackets
    for marker in ("PWNED-TITLE", "MOVED-CURSOR", "CLEARED-SCREEN", "INJECTED-MARKUP", "⟨U+202E⟩", "INCIDENT-"):
        assert marker in shown, marker
    assert "␛" in shown
    assert "internal:" not in shown, "no pane failed inside the console"


def test_the_war_room_and_the_post_mortem_of_hostile_incidents_are_inert(hostile_world: dict[str, Any]) -> None:
    """Every hostile incident's war room (title, commander, services, its note and its
    linked alert are the corpus) through a real terminal, and its markdown export."""
    work: Path = hostile_world["work"]
    app = PtyApp([sys.executable, "-m", "obsconsole", "--config", str(hostile_world["config"])],
                 160, 50, work / "ready-war-room", record=True)
    app.start()
    try:
        _, failure = app.wait_ready(40)
        assert failure is None, failure
        app.send(b"7")
        app.pump_for(0.4)
        for _ in hostile.short():
            app.send(b"w")  # the selected incident's war room
            app.pump_for(0.7)
            app.send(b"\x1b")  # back (no toast to dismiss)
            app.pump_for(0.3)
            app.send(b"\x1b[B")  # down: the next incident
            app.pump_for(0.2)
        assert app.alive(), "the console exited in a hostile war room" + app.tail_text()
    finally:
        app.stop(b"q")
    raw = bytes(app.output)
    assert hostile.leaks(raw) == []
    shown = raw.decode("utf-8", "replace")
    assert "war room · incident #" in shown and "␛" in shown
    assert "note: " in shown
    assert "internal:" not in shown
    done = subprocess.run([sys.executable, "-m", "obsconsole", "--config", str(hostile_world["config"]),
                           "incident", "export", "1"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "<" not in done.stdout


def test_y_puts_a_hostile_message_and_trace_id_on_the_clipboard_inert(hostile_world: dict[str, Any]) -> None:
    """`y` copies with OSC 52: the text the console hands the terminal's clipboard must
    carry none of the corpus's escape sequences or control characters."""
    work: Path = hostile_world["work"]
    app = PtyApp([sys.executable, "-m", "obsconsole", "--config", str(hostile_world["config"])],
                 160, 50, work / "ready-copy", record=True)
    app.start()
    try:
        _, failure = app.wait_ready(40)
        assert failure is None, failure
        help_ = b"In the Error stream pane"
        # 3, then ? shows the error pane's keys: the pane has the focus (a key typed right
        # after 3 could still go to the pane that had it); q closes the help, y copies the
        # first row: the newest event, COPY_MESSAGE, without a trace id
        mark = len(app.output)
        app.send(b"3?")
        failure = app.wait_until(lambda out: help_ in out[mark:], 20, "3, ?: the help of the error pane")
        assert failure is None, failure
        mark = len(app.output)
        app.send(b"qy")
        failure = app.wait_until(lambda out: OSC52.search(out, mark) is not None and b"copied message" in out[mark:], 20,
                                 "y on the first row: an OSC 52 copy and the toast 'copied message'")
        assert failure is None, failure
        # still there (a crash report also names the toast's text): ?, then q, down, y on
        # the next row, the corpus's first entry (cursor-move), whose trace id is hostile
        mark = len(app.output)
        app.send(b"?")
        failure = app.wait_until(lambda out: help_ in out[mark:], 20, "?: the help again, after the copy")
        assert failure is None, failure
        mark = len(app.output)
        app.send(b"q\x1b[By")
        failure = app.wait_until(lambda out: OSC52.search(out, mark) is not None and b"copied trace_id" in out[mark:], 20,
                                 "q, down, y: a second OSC 52 copy and the toast 'copied trace_id'")
        assert failure is None, failure
        mark = len(app.output)
        app.send(b"?")
        failure = app.wait_until(lambda out: help_ in out[mark:], 20, "?: the help again, after the second copy")
        assert failure is None, failure
        assert app.alive(), "the console exited after copying" + app.tail_text()
    finally:
        app.stop(b"qq")  # the help is open: q closes it, q quits
    raw = bytes(app.output)
    assert b"Traceback" not in raw
    copies = [base64.b64decode(m).decode("utf-8") for m in OSC52.findall(raw)]
    assert len(copies) == 2, copies
    message, trace_id = copies
    assert CONTROL.findall(message) == [], message
    assert CONTROL.findall(trace_id) == [], trace_id
    # the text is all there, inert: the payloads as visible characters
    for marker in ("]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==", "clip", "]0;PWNED-TITLE", "title", "2JC1-CLEAR", "invoice", "txt.exe"):
        assert marker in message, (marker, message)
    assert "5;5HMOVED-CURSOR" in trace_id, trace_id
    # and nothing else of the corpus reached the terminal live: only the console's own
    # two OSC 52 writes, which are taken out before looking
    assert hostile.leaks(OSC52.sub(b"", raw)) == []


def test_the_svg_snapshot_shows_the_hostile_text_inert(hostile_world: dict[str, Any]) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "obsconsole", "snapshot", "--config", str(hostile_world["config"]),
         "--format", "svg", "--size", "200x60", "--timeout", "20"],
        capture_output=True, timeout=120,
    )
    svg = run.stdout.decode("utf-8")
    (hostile_world["work"] / "hostile.svg").write_text(svg)
    assert svg.startswith("<svg"), run.stderr[-500:]
    text = svg.replace("&#160;", " ")
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "␛]0;PWNED-TITLE" in text or "␛]0;PWNED" in text
    assert "[bold red]INJECTED" in text or "[bold red]" in text
    assert "⟨U+202E" in text  # (cut to its cell with an ellipsis in narrow columns)
    assert "⚠" not in text, "every pane has its data, none an error line"
    # the alert with invalid UTF-8 is shown, its bad bytes replaced
    assert "bad \ufffd\ufffd utf8" in text
    assert "skipped" not in text
