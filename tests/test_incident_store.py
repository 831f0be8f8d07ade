"""The shared incident store against a real PostgreSQL (tests/pg.py): migrations once
under a lock, the lifecycle, concurrent edits, NOTIFY to other consoles, a restart in
the middle, and nothing of the DSN's password in any message."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Iterator

import pytest

from obsconsole.actions.audit import actor
from obsconsole.model import IncidentConflict, IncidentStatus, LinkedAlert, Severity, SourceError
from obsconsole.sources.incidents import IncidentStore
from tests.pg import PASSWORD, Postgres, missing
from tests.stack import under_ci


@pytest.fixture(scope="module")
def pg() -> Iterator[Postgres]:
    problem = missing()
    if problem:
        (pytest.fail if under_ci() else pytest.skip)(problem)
    server = Postgres()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture
def dsn(pg: Postgres) -> str:
    """A database of its own for each test."""
    return pg.create_database(f"t_{uuid.uuid4().hex[:12]}")


async def opened(dsn: str, actor: str = "ana@laptop") -> IncidentStore:
    store = IncidentStore(dsn, actor, timeout_s=5)
    await store.migrate()
    return store


async def wait_for(condition, what: str, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout_s:g} s for {what}")
        await asyncio.sleep(0.01)


async def test_ten_consoles_starting_together_apply_the_migrations_once(dsn: str) -> None:
    stores = [IncidentStore(dsn, f"console{i}@host", timeout_s=10) for i in range(10)]
    try:
        applied = await asyncio.gather(*(s.migrate() for s in stores))
        assert sorted(applied) == [[]] * 9 + [[1, 2]]
        assert await stores[0].list() == ()
    finally:
        for s in stores:
            await s.aclose()


async def test_a_declared_incident_is_investigating_with_its_declared_event_and_author(dsn: str) -> None:
    store = await opened(dsn)
    try:
        incident = await store.declare("  API error rate high  ", Severity.HIGH, ["aigym-api"], "5xx at 12%",
                                       alerts=["fp2", "fp1", "fp1"])
        assert (incident.title, incident.status, incident.severity, incident.services, incident.version) == (
            "API error rate high", IncidentStatus.INVESTIGATING, Severity.HIGH, ("aigym-api",), 1)
        assert incident.created_by == "ana@laptop" and incident.commander is None and incident.resolved_at is None
        events = await store.events(incident.id)
        assert [(e.kind, e.actor) for e in events] == [
            ("declared", "ana@laptop"), ("alert_linked", "ana@laptop"), ("alert_linked", "ana@laptop")]
        assert events[0].payload == {"title": "API error rate high", "severity": "high", "services": ["aigym-api"]}
        assert await store.linked_alerts(incident.id) == ("fp1", "fp2")
        assert [i.id for i in await store.list()] == [incident.id]
    finally:
        await store.aclose()


async def test_a_declaration_records_its_suggestions_after_the_declared_event(dsn: str) -> None:
    store = await opened(dsn)
    try:
        incident = await store.declare("Brute force on auth", Severity.CRITICAL, ["aigym-auth"], alerts=["fp9"],
                                       suggestions=["security incident: escalate now to slack-security"])
        events = await store.events(incident.id)
        assert [e.kind for e in events] == ["declared", "alert_linked", "suggestion"]
        assert events[-1].payload == {"text": "security incident: escalate now to slack-security"}
        assert events[-1].actor == "ana@laptop"
    finally:
        await store.aclose()


async def test_the_second_of_two_concurrent_changes_is_told_and_writes_nothing(dsn: str) -> None:
    ana, ben = await opened(dsn, "ana@a"), await opened(dsn, "ben@b")
    try:
        incident = await ana.declare("Disk full", Severity.MEDIUM, ["aigym-db"])
        seen_by_ben = await ben.get(incident.id)
        after = await ana.update(incident.id, incident.version, status=IncidentStatus.IDENTIFIED)
        assert (after.status, after.version) == (IncidentStatus.IDENTIFIED, 2)
        assert after.acknowledged_at is not None
        with pytest.raises(IncidentConflict) as told:
            await ben.update(incident.id, seen_by_ben.version, status=IncidentStatus.MONITORING, commander="ben")
        assert (told.value.current.status, told.value.current.version) == (IncidentStatus.IDENTIFIED, 2)
        now = await ben.get(incident.id)
        assert (now.status, now.commander, now.version) == (IncidentStatus.IDENTIFIED, None, 2)
        assert [e.kind for e in await ben.events(incident.id)] == ["declared", "status"]
    finally:
        await ana.aclose()
        await ben.aclose()


async def test_reopening_needs_a_reason_and_clears_the_resolution(dsn: str) -> None:
    store = await opened(dsn)
    try:
        incident = await store.declare("Login failures", Severity.CRITICAL, ["aigym-auth"])
        resolved = await store.update(incident.id, 1, status=IncidentStatus.RESOLVED)
        assert resolved.resolved_at is not None
        assert [i.id for i in await store.list()] == []
        assert [i.id for i in await store.list(include_resolved=True)] == [incident.id]
        with pytest.raises(ValueError, match="reopening a resolved incident needs a reason"):
            await store.update(incident.id, 2, status=IncidentStatus.INVESTIGATING)
        with pytest.raises(ValueError, match="already resolved"):
            await store.update(incident.id, 2, status=IncidentStatus.RESOLVED)
        reopened = await store.update(incident.id, 2, status=IncidentStatus.INVESTIGATING, reason="errors are back")
        assert (reopened.status, reopened.resolved_at, reopened.version) == (IncidentStatus.INVESTIGATING, None, 3)
        last = (await store.events(incident.id))[-1]
        assert (last.kind, last.payload) == ("status", {"from": "resolved", "to": "investigating", "reason": "errors are back"})
    finally:
        await store.aclose()


async def test_a_note_written_by_one_console_reaches_another_by_notify(dsn: str) -> None:
    # the store only hears by LISTEN/NOTIFY (it never polls), so hearing at all is the
    # proof; how fast is measured by benchmarks/notify_latency.py, not asserted here
    ana, ben = await opened(dsn, "ana@a"), await opened(dsn, "ben@b")
    heard: list[tuple[int, int]] = []
    try:
        incident = await ana.declare("Latency", Severity.HIGH, ["aigym-api"])
        await ben.listen(lambda i, e: heard.append((i, e)))
        note = await ana.note(incident.id, "rolled back 1.4.2")
        await wait_for(lambda: heard, "the notification")
        assert heard == [(incident.id, note.id)]
        fresh = await ben.events(incident.id, after=note.id - 1)
        assert [(e.kind, e.actor, e.payload) for e in fresh] == [("note", "ana@a", {"text": "rolled back 1.4.2"})]
    finally:
        await ana.aclose()
        await ben.aclose()


async def test_a_restart_fails_writes_visibly_then_both_consoles_catch_up_without_duplicates(pg: Postgres, dsn: str) -> None:
    ana, ben = await opened(dsn, "ana@a"), await opened(dsn, "ben@b")
    heard: list[int] = []
    try:
        incident = await ana.declare("DB failover", Severity.CRITICAL, ["supabase-db"])
        await ben.listen(lambda i, e: heard.append(e))
        last_seen = (await ben.events(incident.id))[-1].id
        pg.stop()
        with pytest.raises(SourceError) as failed:
            await ana.note(incident.id, "written while the store is down")
        assert failed.value.kind in ("unreachable", "refused")
        assert PASSWORD not in str(failed.value)
        pg.start()
        note = await ana.note(incident.id, "after the restart")  # reconnects by itself
        await ben.listen(lambda i, e: heard.append(e))  # what a console does after losing its listener
        missed = await ben.events(incident.id, after=last_seen)
        assert [(e.kind, e.payload["text"]) for e in missed] == [("note", "after the restart")]
        assert [e.id for e in missed] == [note.id]
    finally:
        await ana.aclose()
        await ben.aclose()


async def test_hostile_titles_and_notes_are_stored_as_written(dsn: str) -> None:
    store = await opened(dsn)
    try:
        title = "'); DROP TABLE incidents; -- \x1b[31m[bold]x[/bold]"
        incident = await store.declare(title, Severity.LOW, ["svc$1"])
        note = await store.note(incident.id, "$1 $2 %s {0} \\x00")
        assert (await store.get(incident.id)).title == title
        assert (await store.events(incident.id))[-1].payload == {"text": "$1 $2 %s {0} \\x00"}
        # PostgreSQL cannot hold NUL: it is kept visible, the incident is not refused
        nul = await store.declare("pasted\x00line", Severity.LOW, ["a\x00b"], "d\x00")
        await store.note(nul.id, "n\x00")
        assert ((await store.get(nul.id)).title, (await store.get(nul.id)).services) == ("pasted␀line", ("a␀b",))
        assert (await store.events(nul.id))[-1].payload == {"text": "n␀"}
        broken = await store.declare("broken\ud800surrogate", Severity.LOW, ["s"])
        assert broken.title == "broken\ufffdsurrogate"
        assert note.kind == "note"
    finally:
        await store.aclose()


async def test_no_message_shows_the_password(pg: Postgres) -> None:
    wrong = IncidentStore(pg.dsn().replace(PASSWORD, "not-" + PASSWORD), "x@y", timeout_s=5)
    with pytest.raises(SourceError) as refused:
        await wrong.migrate()
    assert refused.value.kind == "refused" and "password authentication failed" in str(refused.value)
    assert PASSWORD not in str(refused.value)
    closed = IncidentStore(f"postgresql://obsconsole:{PASSWORD}@127.0.0.1:1/obsconsole", "x@y", timeout_s=5)
    with pytest.raises(SourceError) as unreachable:
        await closed.get(1)
    assert unreachable.value.kind == "unreachable"
    assert "127.0.0.1:1/obsconsole" in str(unreachable.value) and PASSWORD not in str(unreachable.value)


# ------------------------------------------------------------------ the command line


def cli(config: str, *argv: str) -> tuple[int, str, str]:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "obsconsole", "--config", config, *argv],
                          capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout, done.stderr


def test_the_command_line_declares_lists_updates_and_shows_incidents(dsn: str, tmp_path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("contexts:\n  prod:\n    prometheus: {url: http://127.0.0.1:9}\n"
                      f"    incidents: {{dsn: '{dsn}'}}\n")
    assert cli(str(config), "db", "migrate")[:2] == (0, "applied migrations 1, 2\n")
    assert cli(str(config), "db", "migrate")[0] == 0  # nothing left: up to date

    code, out, err = cli(str(config), "incident", "new", "--title", "API 5xx", "--severity", "high",
                         "--service", "aigym-api", "--service", "aigym-auth")
    assert (code, err) == (0, "")
    number = int(out)
    assert cli(str(config), "incident", "update", str(number), "--status", "identified",
               "--commander", "ana", "--note", "pool exhausted")[:2] == (0, f"incident {number} updated\n")

    code, out, _ = cli(str(config), "incident", "list", "--format", "json")
    [listed] = json.loads(out)
    assert (listed["id"], listed["title"], listed["severity"], listed["status"], listed["commander"],
            listed["services"], listed["version"]) == (number, "API 5xx", "high", "identified", "ana",
                                                       ["aigym-api", "aigym-auth"], 2)
    code, out, _ = cli(str(config), "incident", "show", str(number), "--format", "json")
    assert [e["kind"] for e in json.loads(out)["timeline"]] == ["declared", "status", "commander", "note"]

    # refused changes say why, in one line, and write nothing
    assert cli(str(config), "incident", "update", str(number), "--status", "identified")[::2] == (
        2, "obsconsole: the incident is already identified\n")
    assert cli(str(config), "incident", "update", "999", "--note", "x")[::2] == (
        3, "obsconsole: no incident 999: nothing was written\n")


def test_the_command_line_says_when_the_store_is_down_without_the_password(pg: Postgres, tmp_path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("contexts:\n  prod:\n    prometheus: {url: http://127.0.0.1:9}\n"
                      f"    incidents: {{dsn: 'postgresql://obsconsole:{PASSWORD}@127.0.0.1:1/obsconsole'}}\n")
    code, out, err = cli(str(config), "incident", "list")
    assert code == 3 and out == ""
    assert err.startswith("obsconsole: incident store 127.0.0.1:1/obsconsole: ConnectionRefusedError")
    assert cli(str(config), "incident", "new", "--title", "t", "--severity", "low", "--service", "s")[2].endswith(
        ": nothing was written\n")
    assert PASSWORD not in err


# ------------------------------------------------------------------ two consoles on one store


async def test_a_change_from_the_command_line_is_on_the_consoles_screen_by_notify(pg: Postgres, dsn: str, tmp_path) -> None:
    """A console (the app, on this store alone) and the CLI: each change reaches the
    incidents pane by NOTIFY, long before the pane's 30 s poll (each is waited for 5 s at
    most; how fast it is, is measured by benchmarks/notify_latency.py, not asserted
    here); a restart of the store shows the pane STALE, then it catches up by itself."""
    from obsconsole.config import load_config
    from obsconsole.ui.app import ObsConsoleApp
    from tests.helpers import WIDE, running, settle, wait_until

    config = tmp_path / "config.yaml"
    config.write_text(f"audit_log: {tmp_path / 'audit.jsonl'}\ncontexts:\n  prod:\n    incidents: {{dsn: '{dsn}'}}\n")
    app = ObsConsoleApp(load_config(str(config), environ={}))
    assert list(app.queries) == ["incidents"]

    def table() -> list[str]:
        pane = app.overview.pane("incidents")
        return [" ".join(str(c) for c in pane.table.get_row_at(i)) for i in range(pane.table.row_count)]

    def title() -> str:
        return str(app.overview.pane("incidents").border_title)

    async with running(app, WIDE) as pilot:
        await settle(pilot)
        assert table() == ["no open incident"]
        code, out, _ = cli(str(config), "incident", "new", "--title", "Checkout down", "--severity", "critical",
                           "--service", "aigym-api")
        assert code == 0
        await wait_until(pilot, lambda: any("Checkout down" in row for row in table()), "the new incident", 5)
        await wait_until(pilot, lambda: "CRITICAL" in str(app.overview.query_one("#header").render()), "the header CRITICAL")

        cli(str(config), "incident", "update", out.strip(), "--status", "identified", "--commander", "ana")
        await wait_until(pilot, lambda: any("identified" in row and "ana" in row for row in table()), "the change", 5)

        pg.stop()
        app.hub.refresh_now("incidents")
        await wait_until(pilot, lambda: "STALE" in title(), "the pane STALE while the store is down", 15)
        assert any("identified" in row for row in table()), "the last good data stays"
        pg.start()
        cli(str(config), "incident", "update", out.strip(), "--status", "monitoring")
        await wait_until(pilot, lambda: any("monitoring" in row for row in table()) and "STALE" not in title(),
                         "caught up after the restart, without a restart of the console", 15)


async def test_two_consoles_war_rooms_see_each_others_changes_and_survive_a_restart(pg: Postgres, dsn: str, tmp_path) -> None:
    """The war room of one incident in a console, changes from the command line (a second
    console): each is on the war room's timeline by NOTIFY; with the store stopped the
    war room says so and a note from it FAILS; started again, it catches up by itself
    with every event once."""
    from obsconsole.config import load_config
    from obsconsole.ui.app import ObsConsoleApp
    from obsconsole.ui.screens.warroom import WarRoomScreen
    from tests.helpers import WIDE, running, wait_until

    store = await opened(dsn, "ben@b")
    incident = await store.declare("Checkout down", Severity.CRITICAL, ["aigym-api"],
                                   alerts=[LinkedAlert("fp1", "APIErrorRateHigh", "aigym-api", "high")])
    await store.aclose()
    config = tmp_path / "config.yaml"
    config.write_text(f"audit_log: {tmp_path / 'audit.jsonl'}\ncontexts:\n  prod:\n    incidents: {{dsn: '{dsn}'}}\n")
    app = ObsConsoleApp(load_config(str(config), environ={}), war_room=incident.id)

    def timeline() -> list[str]:
        screen = app.screen
        return [f"{e.actor} {e.kind}" for e in screen.events] if isinstance(screen, WarRoomScreen) else []

    def header() -> str:
        return str(app.screen.query_one("#wr-header").render()) if isinstance(app.screen, WarRoomScreen) else ""

    async with running(app, WIDE) as pilot:
        await wait_until(pilot, lambda: timeline() == ["ben@b declared", "ben@b alert_linked"], "the war room", 10)
        assert "NOT ACKNOWLEDGED" in header()
        code, _, err = cli(str(config), "incident", "update", str(incident.id), "--commander", "ana", "--note", "on it")
        assert (code, err) == (0, "")
        await wait_until(pilot, lambda: len(timeline()) == 4, "the CLI's changes on the timeline", 5)
        assert timeline()[2:] == [f"{actor()} commander", f"{actor()} note"]
        assert "commander ana" in header() and "acknowledged after" in header()

        pg.stop()
        app.screen.load()
        await wait_until(pilot, lambda: "incident store: " in header(), "the war room says the store is down", 15)
        await pilot.press("n", *"while down", "enter")
        await wait_until(pilot, lambda: any(n.title == "FAILED" and "nothing was written" in n.message
                                            for n in app._notifications), "the note FAILED", 15)
        pg.start()
        cli(str(config), "incident", "update", str(incident.id), "--status", "monitoring")
        await wait_until(pilot, lambda: len(timeline()) == 5 and "incident store: " not in header(),
                         "caught up after the restart", 20)
        ids = [e.id for e in app.screen.events]
        assert ids == sorted(set(ids)), "no event twice"
        assert timeline()[-1] == f"{actor()} status"


def test_export_writes_a_post_mortem_of_the_incident_in_markdown_and_json(dsn: str, tmp_path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"contexts:\n  prod:\n    incidents: {{dsn: '{dsn}'}}\n")
    code, out, _ = cli(str(config), "incident", "new", "--title", "<b>Checkout</b> down | `x`", "--severity", "high",
                       "--service", "aigym-api")
    number = out.strip()
    cli(str(config), "incident", "update", number, "--commander", "ana", "--note", "pool raised")
    cli(str(config), "incident", "update", number, "--status", "resolved")
    code, md, err = cli(str(config), "incident", "export", number, "--format", "md")
    assert (code, err) == (0, "")
    assert md.startswith(f"# Post-mortem: incident #{number} — &lt;b&gt;Checkout&lt;/b&gt; down \\| \\`x\\`\n")
    for section in ("## Summary", "## Key times", "## Timeline", "## Root cause", "## Action items"):
        assert section in md
    assert "note: pool raised" in md and "status investigating → resolved" in md
    code, raw, _ = cli(str(config), "incident", "export", number, "--format", "json")
    doc = json.loads(raw)
    assert doc["incident"]["title"] == "<b>Checkout</b> down | `x`"
    assert doc["incident"]["status"] == "resolved"
    assert [e["kind"] for e in doc["timeline"]] == ["declared", "commander", "note", "status"]
    assert doc["durations_s"]["time_to_detect"] == 0.0  # no linked alert: impact starts at the declaration
    assert doc["durations_s"]["time_to_resolve"] is not None
    assert cli(str(config), "incident", "export", "999")[::2] == (3, "obsconsole: no incident 999\n")
