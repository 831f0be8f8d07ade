"""The war room on the demo's in-memory store (the real store, two consoles on one
PostgreSQL: tests/test_incident_store.py). The clock is frozen 60 s into the demo: the
scripted incident #1 was declared 10 s before, nobody has acknowledged it yet."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from textual.widgets import OptionList

from obsconsole.cli import _war_room_argv
from obsconsole.model import Health, IncidentStatus
from obsconsole.ui.screens.prompt import Choice, Prompt
from obsconsole.ui.screens.warroom import WarRoomScreen
from tests.helpers import NARROW, WIDE, MutableClock, frozen_demo_app, running, settle, wait_for_exit, wait_until


def header(app) -> list[str]:
    return str(app.screen.query_one("#wr-header").render()).splitlines()


def table_rows(app, table_id: str) -> list[str]:
    table = app.screen.query_one(f"#{table_id}")
    return [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


def toasts(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


async def open_war_room(pilot) -> WarRoomScreen:
    app = pilot.app
    await settle(pilot)
    await pilot.press("7", "w")
    await wait_until(pilot, lambda: isinstance(app.screen, WarRoomScreen) and app.screen.incident is not None,
                     "the war room with its incident")
    return app.screen


async def test_w_on_the_incident_opens_its_war_room_with_its_clocks_timeline_and_alerts() -> None:
    clock = MutableClock()
    app = frozen_demo_app(elapsed_s=60, clock=clock)
    async with running(app, WIDE) as pilot:
        await open_war_room(pilot)
        assert header(app)[3].startswith("suggested recent traces of its errors: ")  # SPEC §6, for Jaeger
        assert len(header(app)[3].split(": ")[1].split(", ")) == 3
        assert header(app)[:3] == [
            "HIGH aigym-api: API error rate high (upstream supabase-db)",
            "status INVESTIGATING  commander – none –  services aigym-api, supabase-db",
            "declared 10s ago · NOT ACKNOWLEDGED 10s · updated 10s ago · next escalation pagerduty-oncall in 14m32s",
        ]
        what = [r.split(" ", 2)[2] for r in table_rows(app, "wr-timeline")]
        assert what[0].startswith("declared: aigym-api: API error rate")
        assert what[1].startswith("alert linked: APIResponseTimeHigh (") and len(what) == 3
        assert what[2].startswith("alert linked: APIErrorRateHigh (aig")
        assert {r.split(" ", 2)[1] for r in table_rows(app, "wr-timeline")} == {"oncall-bot@demo"}
        assert [r[:33] for r in table_rows(app, "wr-alerts")] == ["MED firing aigym-api · APIRespons",
                                                                  "HIGH firing aigym-api · APIErrorR"]
        # only the incident's services in the error stream
        errors = table_rows(app, "wr-errors")
        assert errors and all(r.split()[2] in ("aigym-api", "supabase-db") for r in errors)
        # no key pressed: the clocks tick
        clock.now += timedelta(seconds=10)  # (the script's engineer picks it up 5 s later)
        await wait_until(pilot, lambda: header(app)[2].startswith("declared 20s ago · NOT ACKNOWLEDGED 20s")
                         and header(app)[2].endswith("pagerduty-oncall in 14m22s"), "the clocks 10 s later")
        clock.now += timedelta(seconds=10)  # picked up: acknowledged, escalation stopped, on screen by itself
        await wait_until(pilot, lambda: header(app)[1].startswith("status IDENTIFIED  commander maria@demo")
                         and header(app)[2] == ("declared 30s ago · acknowledged after 25s · updated 5s ago · "
                                                "next escalation none (acknowledged)"), "the script's change")
        assert table_rows(app, "wr-timeline")[-1].split(" ", 2)[2].startswith("note: supabase-db connection pool")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.overview, "back on the overview")


async def test_a_note_a_status_a_commander_and_a_severity_are_saved_shown_and_audited() -> None:
    app = frozen_demo_app(elapsed_s=60)
    async with running(app, WIDE) as pilot:
        await open_war_room(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, Prompt), "the note dialog")
        await pilot.press(*"pool raised to 50", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, WarRoomScreen)
                         and table_rows(app, "wr-timeline")[-1].endswith("note: pool raised to 50"), "the note on the timeline")
        assert "Done: #1 note added" in toasts(app)

        await pilot.press("S")
        await wait_until(pilot, lambda: isinstance(app.screen, Choice), "the status dialog")
        options = app.screen.query_one(OptionList)
        assert [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)] == [
            "identified", "monitoring", "resolved"]
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, WarRoomScreen)
                         and header(app)[1].startswith("status MONITORING"), "the new status")
        assert table_rows(app, "wr-timeline")[-1].endswith("status investigating → monitoring")
        assert header(app)[2] == ("declared 10s ago · acknowledged after 10s · updated 0s ago · "
                                  "next escalation none (acknowledged)")

        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, Prompt), "the commander dialog")
        await pilot.press("ctrl+u", *"maria", "enter")  # the field holds $USER@host to start with
        await wait_until(pilot, lambda: isinstance(app.screen, WarRoomScreen)
                         and "commander maria " in header(app)[1], "the commander")

        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, Choice), "the severity dialog")
        await pilot.press("enter")  # the first other severity: critical
        await wait_until(pilot, lambda: isinstance(app.screen, WarRoomScreen)
                         and header(app)[0].startswith("CRIT "), "the new severity")

        store = app.sources.demo.incidents
        assert (store.get(1).status, store.get(1).commander, store.get(1).severity.value) == (
            IncidentStatus.MONITORING, "maria", "critical")
        done = [(r["action"], r["ok"]) for r in app.audit.read() if r["action"].startswith("incident.")]
        assert done == [("incident.note", True), ("incident.status", True), ("incident.commander", True),
                        ("incident.severity", True)]
        assert [r["action"] for r in app.sources.demo.audit_log] == [a for a, _ in done]


async def test_unlink_and_link_the_incidents_alerts() -> None:
    app = frozen_demo_app(elapsed_s=60)
    async with running(app, WIDE) as pilot:
        await open_war_room(pilot)
        await pilot.press("tab", "U")  # the linked alerts, their first row
        try:
            await wait_until(pilot, lambda: [r[:33] for r in table_rows(app, "wr-alerts")] == ["HIGH firing aigym-api · APIErrorR"],
                             "one alert left linked")
        except AssertionError:
            raise AssertionError(f"{toasts(app)} focused={app.focused!r} rows={table_rows(app, 'wr-alerts')}")
        assert table_rows(app, "wr-timeline")[-1].split(" ", 2)[2].startswith("alert unlinked: APIResponseTimeHigh")
        await pilot.press("L")
        await wait_until(pilot, lambda: len(table_rows(app, "wr-alerts")) == 2, "linked again")
        assert "Done: #1 linked 1 alert (APIResponseTimeHigh)" in toasts(app)
        await pilot.press("L")
        await wait_until(pilot, lambda: any("left to link" in t for t in toasts(app)), "nothing left to link")


async def test_a_change_based_on_an_old_version_fails_and_the_new_state_is_shown() -> None:
    app = frozen_demo_app(elapsed_s=60)
    async with running(app, WIDE) as pilot:
        screen = await open_war_room(pilot)
        # another console takes the incident between our read and our change
        await app.sources.demo.update(1, screen.incident.version, commander="someone-else")
        await pilot.press("S")
        await wait_until(pilot, lambda: isinstance(app.screen, Choice), "the status dialog")
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(t.startswith("FAILED: #1 status investigating → identified FAILED: "
                                                         "changed by someone else meanwhile") for t in toasts(app)),
                         "the conflict said")
        [failed] = [t for t in toasts(app) if t.startswith("FAILED")]
        assert "now investigating, high, commander someone-else (version 2)" in failed
        assert "nothing was written" in failed
        assert app.sources.demo.incidents.get(1).status is IncidentStatus.INVESTIGATING
        await wait_until(pilot, lambda: "commander someone-else " in header(app)[1], "the new state read again")
        [record] = [r for r in app.audit.read() if r["action"] == "incident.status"]
        assert record["ok"] is False


async def test_the_store_going_down_is_said_with_the_datas_age_and_a_change_fails() -> None:
    clock = MutableClock()
    app = frozen_demo_app(elapsed_s=60, clock=clock)
    async with running(app, WIDE) as pilot:
        screen = await open_war_room(pilot)
        app.sources.demo.faults = (*app.sources.demo.faults, "incidents")
        clock.now += timedelta(seconds=5)
        screen.load()
        await wait_until(pilot, lambda: header(app)[-1].startswith("incident store: "), "the store's problem in the header")
        assert header(app)[-1].endswith("· shown as read 5s old; changes will fail")
        assert header(app)[0] == "HIGH aigym-api: API error rate high (upstream supabase-db)", "the last data kept"
        await pilot.press("n", *"x", "enter")
        await wait_until(pilot, lambda: any(t.startswith("FAILED: #1 note added FAILED") for t in toasts(app)),
                         "the note FAILED")
        assert any("nothing was written" in t for t in toasts(app))


async def test_readonly_hides_every_change_in_the_war_room() -> None:
    app = frozen_demo_app(elapsed_s=60, readonly=True)
    async with running(app, WIDE) as pilot:
        await open_war_room(pilot)
        for key in ("n", "S", "c", "v", "L", "U"):
            await pilot.press(key)
            await pilot.pause(0.05)
            assert isinstance(app.screen, WarRoomScreen), f"{key} opened something under --readonly"
        assert [(r["action"]) for r in app.audit.read()] == []
        shown = {key for key, b in app.screen.active_bindings.items() if b.binding.show and b.enabled}
        assert {"n", "S", "c", "v", "L", "U"} & shown == set()
        assert not [a for a in app.palette_actions() if a.mutating]


async def test_at_80x24_the_war_room_is_one_column() -> None:
    app = frozen_demo_app(elapsed_s=60)
    async with running(app, NARROW) as pilot:
        await open_war_room(pilot)
        await wait_until(pilot, lambda: app.screen.has_class("-narrow"), "one column")
        timeline = app.screen.query_one("#wr-timeline")
        alerts = app.screen.query_one("#wr-alerts")
        assert timeline.region.width == alerts.region.width == 80
        assert alerts.region.y > timeline.region.y


def test_incident_with_an_id_or_none_is_the_war_room_and_the_actions_stay() -> None:
    assert _war_room_argv(["incident"]) == ["incident", "open"]
    assert _war_room_argv(["incident", "12"]) == ["incident", "open", "12"]
    assert _war_room_argv(["--config", "c.yaml", "incident", "--demo"]) == ["--config", "c.yaml", "incident", "open", "--demo"]
    assert _war_room_argv(["incident", "list", "--all"]) == ["incident", "list", "--all"]
    assert _war_room_argv(["incident", "--context", "prod", "show", "3"]) == ["incident", "--context", "prod", "show", "3"]


def _snapshot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "obsconsole", "snapshot", "--demo", "--at", "2026-12-03T12:00:00+00:00",
                           *args], capture_output=True, text=True, timeout=120)


def test_snapshot_of_the_war_room_in_text_and_json_with_the_incidents_exit_code() -> None:
    import json

    txt = _snapshot("--incident", "1", "--format", "txt", "--size", "80x24")
    assert txt.returncode == 1, txt.stderr  # an open HIGH incident: WARNING
    lines = txt.stdout.splitlines()
    assert lines[0].startswith("╭─ war room · incident #1 ")
    assert "│ declared 10s ago · NOT ACKNOWLEDGED 10s · updated 10s ago · next escalation  │" in lines
    doc = json.loads(_snapshot("--incident", "1", "--format", "json").stdout)
    assert (doc["incident"]["title"], doc["health"], doc["exit_code"]) == (
        "aigym-api: API error rate high (upstream supabase-db)", "WARNING", 1)
    assert doc["clocks"]["next_escalation"] == {"channel": "pagerduty-oncall", "in_s": 873.0}
    assert [(a["name"], a["state"]) for a in doc["linked_alerts"]] == [
        ("APIResponseTimeHigh", "firing"), ("APIErrorRateHigh", "firing")]
    assert [e["kind"] for e in doc["timeline"]] == ["declared", "alert_linked", "alert_linked"]
    assert [b["slo_id"] for b in doc["slo_budget_since_declared"]] == ["api-latency", "database-performance"]
    missing = _snapshot("--incident", "9", "--format", "txt")
    assert (missing.returncode, missing.stderr.strip()) == (2, "obsconsole: incident 9: no incident 9")


async def test_the_timeline_follows_the_newest_event_unless_the_cursor_was_moved_up() -> None:
    app = frozen_demo_app(elapsed_s=60)
    async with running(app, WIDE) as pilot:
        screen = await open_war_room(pilot)
        timeline = screen.query_one("#wr-timeline")
        assert timeline.cursor_row == 2, "on the newest of the three events"
        await app.sources.demo.note(1, "first")
        screen.load()
        await wait_until(pilot, lambda: timeline.row_count == 4 and timeline.cursor_row == 3, "following: on the new one")
        await pilot.press("home")
        await app.sources.demo.note(1, "second")
        screen.load()
        await wait_until(pilot, lambda: timeline.row_count == 5, "the second note")
        await pilot.pause(0.3)
        assert timeline.cursor_row == 0, "moved up by the user: it stays there"
        await pilot.press("end")
        await app.sources.demo.note(1, "third")
        screen.load()
        await wait_until(pilot, lambda: timeline.row_count == 6 and timeline.cursor_row == 5, "following again")


async def test_obsconsole_incident_is_the_war_room_alone_ready_once_its_results_are_drawn(tmp_path, monkeypatch) -> None:
    """`obsconsole incident`: no overview behind the war room (its panes are never built,
    its other queries never sent), the ready file only once the war room shows its
    incident and the alerts, errors and latency it reads from the hub; escape quits."""
    import asyncio

    from obsconsole.sources.demo import DemoPlatform
    from obsconsole.ui.panes.base import Pane

    ready = tmp_path / "ready"
    monkeypatch.setenv("OBSCONSOLE_READY_FILE", str(ready))
    # the error stream answers only when the test says so
    gate = asyncio.Event()
    stream = DemoPlatform.fetch_error_stream

    async def held(self, limit):
        await gate.wait()
        return await stream(self, limit)

    monkeypatch.setattr(DemoPlatform, "fetch_error_stream", held)
    app = frozen_demo_app(elapsed_s=60, war_room="latest")
    async with running(app, WIDE, may_exit=True) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, WarRoomScreen) and len(table_rows(app, "wr-alerts")) == 2,
                         "the war room with its incident and linked alerts")
        await wait_until(pilot, lambda: app.hub.has_result("latency"), "the latency")
        # the errors are not in yet: not ready (the file itself follows the next frame)
        assert not app.war_room_ready and not app._ready_written and not ready.exists()
        gate.set()
        await wait_until(pilot, ready.exists, "the ready file")
        assert isinstance(app.screen, WarRoomScreen) and app.screen.incident.id == 1
        assert header(app)[0].startswith("HIGH aigym-api: API error rate high")
        errors, alerts, services = (table_rows(app, t) for t in ("wr-errors", "wr-alerts", "wr-services"))
        assert len(errors) >= 3 and all("aigym-api" in row or "supabase-db" in row for row in errors)
        assert [row.split()[:2] for row in alerts] == [["MED", "firing"], ["HIGH", "firing"]]
        assert any(row.startswith("aigym-api") and "s" in row for row in services)
        assert sorted(app.hub.snapshots()) == ["alerts", "errors", "incidents", "latency", "security"]
        assert not app.screen_stack[0].query(Pane)
        await pilot.press("escape")
        await wait_for_exit(pilot, "escape to quit the war room")
    assert app.return_code in (0, None)


async def test_obsconsole_incident_opens_even_with_the_incidents_pane_turned_off() -> None:
    """The war room reads the store itself: a context that turns pane 7 off still gets
    its war room (it stayed on "Opening the war room…" for good)."""
    import dataclasses

    from obsconsole.config import demo_config
    from obsconsole.ui.app import ObsConsoleApp
    from tests.clock import FROZEN

    config = demo_config(seed=1)
    ctx = config.context
    refresh = dict(ctx.panes.refresh)
    refresh["incidents"] = dataclasses.replace(refresh["incidents"], enabled=False)
    ctx = dataclasses.replace(ctx, panes=dataclasses.replace(ctx.panes, refresh=refresh))
    config = dataclasses.replace(config, contexts={ctx.name: ctx})
    app = ObsConsoleApp(config, clock=lambda: FROZEN, demo_elapsed_s=60, war_room="latest")
    async with running(app, WIDE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, WarRoomScreen) and app.screen.incident is not None,
                         "the war room of the latest incident")
        assert "incidents" not in app.queries
        assert header(app)[0].startswith("HIGH aigym-api: API error rate high")


async def test_a_theme_change_recolours_the_war_room() -> None:
    app = frozen_demo_app(elapsed_s=60)
    async with running(app, WIDE) as pilot:
        await open_war_room(pilot)
        table = app.screen.query_one("#wr-alerts")

        def firing_style() -> object:
            return table.get_row_at(0)[1].style

        await wait_until(pilot, lambda: str(table.get_row_at(0)[1]) == "firing", "a firing linked alert")
        dark = firing_style()
        app.hub.pause_all()  # no new result to redraw the tables by chance
        app.theme = "high-contrast"
        critical = app.themes.palette("high-contrast").health(Health.CRITICAL)
        assert critical != dark
        await wait_until(pilot, lambda: firing_style() == critical, "firing in high-contrast's critical colour")
