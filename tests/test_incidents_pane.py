"""Pane 7 on the demo's in-memory store (the real store: tests/test_incident_store.py)."""

from __future__ import annotations

from datetime import timedelta

from tests.helpers import WIDE, MutableClock, frozen_demo_app, running, settle, wait_until


def rows(app) -> list[str]:
    table = app.overview.pane("incidents").table
    return [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def test_the_scripted_incident_is_listed_and_its_ages_tick_between_polls() -> None:
    clock = MutableClock()
    app = frozen_demo_app(elapsed_s=60, clock=clock)  # the incident was declared at 50 s
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        assert rows(app) == ["1 HIGH aigym-api: API error rate high (upstream… investigating – none – 10s 10s ago 2"]
        assert "Incidents[/bold] · 1 open" in str(app.overview.pane("incidents").border_title)
        clock.now += timedelta(seconds=20)
        # no poll (every 30 s) in between: the once-a-second tick redraws the ages
        await wait_until(pilot, lambda: rows(app)[0].endswith("30s 30s ago 2"), "the ages at 30 s")
        clock.now += timedelta(minutes=30)
        await wait_until(pilot, lambda: "STALE 30m" in rows(app)[0], "no update for 30 minutes: STALE")


async def test_before_the_incident_the_pane_says_none_is_open_and_the_console_is_ok() -> None:
    app = frozen_demo_app(elapsed_s=10)
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        assert rows(app) == ["no open incident"]
        assert "none open" in str(app.overview.pane("incidents").border_title)


async def test_i_on_an_alert_group_declares_an_incident_after_a_confirmation(tmp_path) -> None:
    from obsconsole.ui.screens.declare import DeclareScreen

    app = frozen_demo_app(elapsed_s=45)  # alerts firing, the bot has not declared yet (50 s)
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        assert rows(app) == ["no open incident"]
        await pilot.press("5", "i")
        await wait_until(pilot, lambda: isinstance(app.screen, DeclareScreen), "the confirmation")
        assert str(app.screen.query_one("#declare-what").render()) == "Declare HIGH aigym-api: API error rate high"
        assert app.screen.query_one("#declare-title").value == "aigym-api: API error rate high"
        await pilot.press("escape")  # cancelled: nothing written
        await wait_until(pilot, lambda: not isinstance(app.screen, DeclareScreen), "the dialog closed")
        assert app.sources.demo.incidents.view().incidents == ()
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, DeclareScreen), "the confirmation again")
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(n.title == "Done" for n in app._notifications), "the Done toast")
        [done] = [n.message for n in app._notifications if n.title == "Done"]
        assert done == "declared incident #2: aigym-api: API error rate high\nhigh, investigating, 1 alert linked"
        await wait_until(pilot, lambda: rows(app) and rows(app)[0].startswith("2 HIGH aigym-api: API error rate high"),
                         "the incident in pane 7")
        [record] = [r for r in app.audit.read() if r["action"] == "incident.declare"]
        # the group's one alert, APIErrorRateHigh (its fingerprint comes from its labels)
        assert (record["target"], record["ok"], record["detail"]["alerts"]) == ("incident 2", True, ["96ac1207c6f450db"])
        assert app.sources.demo.audit_log[0]["action"] == "incident.declare"
        # SPEC §6 for an application incident: the newest trace ids of its service's
        # errors, as pane 3 lists them (newest first), recorded as a suggestion
        errors = app.overview.pane("errors").table
        shown = [[str(c) for c in errors.get_row_at(i)] for i in range(errors.row_count)]
        traces = list(dict.fromkeys(row[3] for row in shown if row[2] == "aigym-api" and row[3] != "–"))[:3]
        assert len(traces) == 3
        events = app.sources.demo.incidents.events(2)
        assert [e.kind for e in events] == ["declared", "alert_linked", "suggestion"]
        assert events[-1].payload == {"text": "recent traces of its errors: " + ", ".join(traces)}


async def test_readonly_hides_declaring() -> None:
    app = frozen_demo_app(elapsed_s=45, readonly=True)
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("5", "i")
        await wait_until(pilot, lambda: any("declaring incidents" in n.message for n in app._notifications),
                         "the read-only notice")
        assert app.sources.demo.incidents.view().incidents == ()


def alert_statuses(app) -> list[str]:
    table = app.overview.pane("alerts").table
    return [f"{table.get_row_at(i)[1].plain.split(' · ')[0]} {table.get_row_at(i)[-1]}" for i in range(table.row_count)]


async def test_an_alert_groups_escalation_clock_ticks_and_stops_once_its_incident_is_acknowledged() -> None:
    clock = MutableClock()
    app = frozen_demo_app(elapsed_s=60, clock=clock)  # declared at 50 s, picked up (acknowledged) at 75 s
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        assert alert_statuses(app) == ["aigym-api esc 14:32", "aigym-api esc 29:33", "aigym-worker unrouted"]
        clock.now += timedelta(seconds=5)
        await wait_until(pilot, lambda: alert_statuses(app)[0] == "aigym-api esc 14:27", "the clock ticking")
        clock.now += timedelta(seconds=15)  # maria@demo takes the incident
        app.hub.refresh_now("incidents")
        await wait_until(pilot, lambda: alert_statuses(app) == ["aigym-api incident #1", "aigym-api incident #1",
                                                                "aigym-worker unrouted"], "escalation stopped")
