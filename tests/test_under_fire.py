"""What broke when an engineer really used the console during the demo's incident
(issue "Trustworthy under fire"), each pinned by a test that failed on the code as it
was: keys that killed the console, a stream that stopped following, an ack that went to
the wrong group, a shutdown race; and what was missing: being told, keys you can find,
sorting, jumping from an alert to its service, the runbook link."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual.widgets import Footer

from obsconsole.model import Snapshot
from obsconsole.ui.screens.ack import AckScreen
from obsconsole.ui.app import SnapshotUpdated
from obsconsole.ui.widgets.table import EMPTY_ROW, PaneTable
from obsconsole.ui.screens import DetailScreen, HelpScreen
from tests.helpers import NARROW, WIDE, MutableClock, frozen_demo_app, running, settle, wait_until


def pane(app, pane_id):
    return app.overview.pane(pane_id)


def table(app, pane_id) -> PaneTable:
    return pane(app, pane_id).query_one(PaneTable)


def rows(app, pane_id) -> list[str]:
    t = table(app, pane_id)
    return [" ".join(str(c) for c in t.get_row_at(i)) for i in range(t.row_count)]


def title(app, pane_id) -> str:
    return str(pane(app, pane_id).border_title)


async def poll(pilot, pane_id: str) -> None:
    """Poll one pane now and wait until it shows the answer."""
    app = pilot.app
    before = app.hub.snapshots()[pane_id]
    app.hub.refresh_now(pane_id)
    await wait_until(pilot, lambda: pane(app, pane_id).snapshot is not before, f"a fresh {pane_id} poll on screen")


def footer_keys(app) -> set[str]:
    """The keys the footer shows right now."""
    footer = app.screen.query_one(Footer)
    return {key.key_display or key.key for key in footer.query("FooterKey")}


# ------------------------------------------------------------------ 1. toasts


async def test_a_toast_given_rich_text_or_markup_like_text_does_not_kill_the_console() -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        app.notify(Text.assemble("copied ", Text("trace", style="bold")), title=Text("Copy"))
        app.notify("ack FAILED: alertname=[/x] [bold]unclosed", severity="error")
        await wait_until(pilot, lambda: len(app.screen.query("Toast")) == 2, "both toasts on screen")
        shown = " ".join(str(t.render()) for t in app.screen.query("Toast"))
        assert "[/x] [bold]unclosed" in shown  # literal, not read as markup


async def test_y_copies_with_its_toast_on_screen_and_the_console_stays_up() -> None:
    app = frozen_demo_app()
    copied: list[str] = []
    async with running(app, WIDE) as pilot:
        app.copy_to_clipboard = copied.append
        await settle(pilot)
        await pilot.press("3", "down", "y")
        await wait_until(pilot, lambda: len(app.screen.query("Toast")) == 1, "the copy toast")
        assert copied == [pane(app, "errors").events[1].trace_id]
        assert "copied trace_id" in str(app.screen.query_one("Toast").render())


# ------------------------------------------------------------------ 2. following


async def test_the_error_stream_follows_newest_on_top_until_the_cursor_leaves_the_top() -> None:
    clock = MutableClock()
    app = frozen_demo_app(elapsed_s=30, clock=clock)
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        errors = table(app, "errors")
        for _ in range(3):  # the burst goes on: 20 s at a time, nobody touches a key
            clock.now += timedelta(seconds=20)
            await poll(pilot, "errors")
            newest = pane(app, "errors").snapshot.value.events[0]
            assert errors.get_row_at(0)[0].plain == f"{newest.timestamp:%H:%M:%S}"
            assert errors.cursor_row == 0 and errors.scroll_y == 0
            assert "HELD" not in title(app, "errors")
        # the cursor moved off the top holds the rows still under it, and says so
        await pilot.press("3", "down", "down")
        chosen = errors.selected_key()
        await wait_until(pilot, lambda: "HELD (cursor · home follows)" in title(app, "errors"), "the held title")
        held_top = errors.get_row_at(0)
        clock.now += timedelta(seconds=20)
        await poll(pilot, "errors")
        assert errors.get_row_at(0) == held_top and errors.selected_key() == chosen
        assert "new" in title(app, "errors")
        await pilot.press("home")  # back on top: follows again, newest first
        newest = pane(app, "errors").snapshot.value.events[0]
        await wait_until(pilot, lambda: errors.get_row_at(0)[0].plain == f"{newest.timestamp:%H:%M:%S}"
                         and "HELD" not in title(app, "errors"), "the stream to follow again")


# ------------------------------------------------------------------ 4. services


async def test_s_cycles_through_every_service_seen_in_the_window() -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        seen = []
        for _ in range(6):
            await pilot.press("s")
            await wait_until(pilot, lambda: pane(app, "errors").shown.query == app.sources.errors.log_query,
                             "the stream for the next service")
            seen.append(app.sources.errors.log_query.services)
        assert seen == [
            ("aigym-api",), ("aigym-auth",), ("aigym-conversations",), ("aigym-edge-functions",),
            ("supabase-db",), (),
        ]


# ------------------------------------------------------------------ 7. shutdown race


async def test_updates_arriving_while_the_app_shuts_down_are_dropped_quietly(monkeypatch) -> None:
    from obsconsole.ui.panes.base import Pane

    app = frozen_demo_app()
    snap = Snapshot(None, None)
    raced: list[str] = []

    def update_while_unmounting(self) -> None:
        # Textual prunes a pane's children before the pane: a timer tick or a hub
        # result landing now finds no `.pane-error` (NoMatches, seen under load)
        raced.append(self.pane_id)
        app._tick()
        app.on_snapshot_updated(SnapshotUpdated(self.pane_id, snap))

    monkeypatch.setattr(Pane, "on_unmount", update_while_unmounting, raising=False)
    async with running(app, WIDE) as pilot:
        await settle(pilot)
    assert len(raced) == 7
    # after the exit the screen stack is empty (IndexError in `overview`, seen in CI)
    assert app.screen_stack == []
    app._tick()
    app.on_snapshot_updated(SnapshotUpdated("alerts", snap))
    app.refresh_header()


# ------------------------------------------------------------------ 9. the right group


async def test_5_a_acks_the_most_urgent_group_after_the_incident_reorders_the_list() -> None:
    clock = MutableClock()
    app = frozen_demo_app(elapsed_s=15, clock=clock)  # before the incident: one LOW group
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        assert [r.split()[0] for r in rows(app, "alerts")] == ["LOW"]
        clock.now += timedelta(seconds=30)  # 45 s in: a HIGH and a MED group sort above it
        await poll(pilot, "alerts")
        assert [r.split()[0] for r in rows(app, "alerts")] == ["HIGH", "MED", "LOW"]
        assert table(app, "alerts").cursor_row == 0
        await pilot.press("5", "a")
        assert isinstance(app.screen, AckScreen)
        assert app.screen.plan.title == "aigym-api/application: API error rate high"
        first = app.screen.query_one("#ack-group").render()
        assert str(first) == "Acknowledge HIGH aigym-api/application: API error rate high"
        # the HIGH colour of the dark theme (#ff5f56) on the group's words
        styles = {(first.plain[span.start:span.end], str(span.style)) for span in first.spans}
        assert ("HIGH ", "rgb(255,95,86) bold") in styles, styles


async def test_an_acked_group_stays_under_the_cursor_when_the_incident_reorders_the_list() -> None:
    """5, a, Enter on the one LOW group; the incident then sorts two groups above it: `e`
    extends the group just acked, not the new first row."""
    clock = MutableClock()
    app = frozen_demo_app(elapsed_s=15, clock=clock)
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("5", "a")
        await wait_until(pilot, lambda: isinstance(app.screen, AckScreen), "the ack dialog")
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(n.title == "Done" for n in app._notifications), "the ack done")
        clock.now += timedelta(seconds=30)
        await poll(pilot, "alerts")
        assert [r.split()[0] for r in rows(app, "alerts")] == ["HIGH", "MED", "LOW"]
        assert rows(app, "alerts")[table(app, "alerts").cursor_row].startswith("LOW")
        await pilot.press("e")
        await wait_until(pilot, lambda: any("ack extended to" in n.message for n in app._notifications), "extended")
        assert not any(n.title == "FAILED" for n in app._notifications)


async def test_a_cursor_the_user_moved_stays_on_the_chosen_group() -> None:
    clock = MutableClock()
    app = frozen_demo_app(elapsed_s=45, clock=clock)
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("5", "down")  # the MED group
        assert rows(app, "alerts")[1].startswith("MED")
        chosen = table(app, "alerts").selected_key()
        clock.now += timedelta(seconds=5)
        await poll(pilot, "alerts")
        assert table(app, "alerts").selected_key() == chosen
        await pilot.press("a")
        assert app.screen.plan.title == "aigym-api/performance: API response time high"


# ------------------------------------------------------------------ being told


async def test_turning_critical_rings_the_bell_toasts_and_is_recorded() -> None:
    clock = MutableClock()
    app = frozen_demo_app(elapsed_s=15, clock=clock)
    bells: list[int] = []
    async with running(app, WIDE) as pilot:
        app.bell = lambda: bells.append(1)
        await settle(pilot)
        assert app.alarms == [] and bells == []
        clock.now += timedelta(seconds=30)  # the incident: latency goes critical
        app.hub.refresh_now()
        await wait_until(pilot, lambda: app.alarms, "an alarm")
        assert app.alarms == ["obsconsole is CRITICAL"] and bells == [1]
        await wait_until(pilot, lambda: any(n.title == "CRITICAL" for n in app._notifications), "the CRITICAL toast")
        clock.now += timedelta(seconds=5)
        await poll(pilot, "latency")
        assert bells == [1], "still critical: no second bell"


async def test_a_flap_back_to_critical_within_a_minute_does_not_ring_again() -> None:
    from obsconsole.model import Health

    clock = MutableClock()
    app = frozen_demo_app(clock=clock)
    bells: list[int] = []
    async with running(app, WIDE) as pilot:
        app.bell = lambda: bells.append(1)
        await settle(pilot)
        health = {"now": Health.OK}
        app.overall_health = lambda: health["now"]

        def becomes(state: Health, after_s: float) -> None:
            clock.now += timedelta(seconds=after_s)
            health["now"] = state
            app._tell()

        becomes(Health.OK, 0)  # (the demo, 60 s in, was CRITICAL)
        becomes(Health.CRITICAL, 61)
        assert (app.alarms, bells) == (["obsconsole is CRITICAL"], [1])
        becomes(Health.WARNING, 10)
        becomes(Health.CRITICAL, 59)  # calm for 59 s: a flap, not news
        assert (len(app.alarms), bells) == (1, [1])
        becomes(Health.OK, 10)
        becomes(Health.CRITICAL, 61)  # calm for over a minute: critical again is news
        assert (app.alarms, bells) == (["obsconsole is CRITICAL"] * 2, [1, 1])


async def test_esc_clears_the_filter_then_the_maximised_view_then_the_toasts() -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("2", "m", "slash", *"api", "enter")
        latency = pane(app, "latency")
        await wait_until(pilot, lambda: "filter: api" in str(latency.border_subtitle), "the filter")
        app.notify("obsconsole is CRITICAL", title="CRITICAL", severity="error", timeout=30)
        await wait_until(pilot, lambda: len(app.screen.query("Toast")) == 1, "the toast")
        await pilot.press("escape")
        await wait_until(pilot, lambda: "filter:" not in str(latency.border_subtitle), "the filter cleared")
        assert app.overview.zoomed == "latency" and len(app.screen.query("Toast")) == 1
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.overview.zoomed is None, "the overview again")
        assert len(app.screen.query("Toast")) == 1
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.screen.query("Toast"), "the toast dismissed")


async def test_bell_false_in_the_config_keeps_the_toast_and_silences_the_bell() -> None:
    import dataclasses

    clock = MutableClock()
    app = frozen_demo_app(elapsed_s=15, clock=clock)
    app.config = dataclasses.replace(app.config, bell=False)
    bells: list[int] = []
    async with running(app, WIDE) as pilot:
        app.bell = lambda: bells.append(1)
        await settle(pilot)
        clock.now += timedelta(seconds=30)
        app.hub.refresh_now()
        await wait_until(pilot, lambda: app.alarms, "an alarm")
        assert bells == []
        assert any(n.title == "CRITICAL" for n in app._notifications)


# ------------------------------------------------------------------ keys you can find


async def test_the_footer_shows_the_focused_panes_own_keys_only() -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await wait_until(pilot, lambda: {"l", "s", "f", "y"} <= footer_keys(app), "the error pane's keys in the footer")
        assert not {"a", "t"} & footer_keys(app)
        await pilot.press("5")
        await wait_until(pilot, lambda: {"a", "A", "e", "s"} <= footer_keys(app), "the alerts pane's keys")
        assert not {"l", "f", "y", "t"} & footer_keys(app)
        await pilot.press("6")
        await wait_until(pilot, lambda: "t" in footer_keys(app), "the security pane's key")
        await pilot.press("1")
        await wait_until(pilot, lambda: not {"l", "a", "t"} & footer_keys(app), "no pane keys on the infra pane")


async def test_readonly_footer_has_no_ack_keys() -> None:
    app = frozen_demo_app(readonly=True)
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await wait_until(pilot, lambda: "s" in footer_keys(app), "the alerts pane's keys")
        assert not {"a", "A", "e"} & footer_keys(app)


async def test_question_mark_works_inside_the_ack_dialog_and_a_detail() -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("5", "a")
        assert isinstance(app.screen, AckScreen)
        # the dialog's footer: its own keys, not the overview's (which do not work here)
        await wait_until(pilot, lambda: footer_keys(app) == {"esc", "?"}, "the dialog's keys in its footer")
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help over the ack dialog")
        assert ("esc", "Cancel") in app.screen.dialog
        await pilot.press("escape")
        assert isinstance(app.screen, AckScreen)
        await pilot.press("escape", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "the alert detail")
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help over the detail")
        assert ("y", "Copy link") in app.screen.dialog


async def test_failures_say_when_the_pane_tries_again() -> None:
    app = frozen_demo_app(faults=("infra",))
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        error = pane(app, "infra").query_one(".pane-error")
        await wait_until(pilot, lambda: "next try 14:00:15 UTC" in str(error.render()), "the retry time")


# ------------------------------------------------------------------ room, sorting, jumping


async def test_a_filter_that_matches_nothing_says_so_in_the_table() -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("1", "slash", *"zzz", "enter")
        t = table(app, "infra")
        await wait_until(pilot, lambda: t.row_count == 1, "one row saying nothing matches")
        assert "no row matches zzz · esc clears the filter" in rows(app, "infra")[0]
        await pilot.press("enter")  # that row opens no detail
        assert not isinstance(app.screen, DetailScreen)
        assert t.selected_key() == EMPTY_ROW


async def test_an_ack_of_an_hour_and_a_half_shows_its_whole_countdown() -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("5", "a")
        duration = app.screen.query_one("#ack-duration")
        duration.focus()
        duration.value = ""
        await pilot.press(*"1h30m", "enter")
        await wait_until(pilot, lambda: "acked" in rows(app, "alerts")[0], "the ack")
        status = table(app, "alerts").get_row_at(0)[3]
        assert status.plain == "acked 1:30:00"
        assert pane(app, "alerts").widths["status"] >= len("acked 1:30:00")


async def test_o_sorts_by_the_next_column_and_a_header_click_sorts_by_that_column() -> None:
    from textual.widgets import DataTable

    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("1", "o")  # host, A→Z
        hosts = [r.split()[0] for r in rows(app, "infra")]
        assert hosts == ["aigym-api-1", "aigym-api-2", "aigym-db-1", "aigym-edge-1", "aigym-worker-1", "aigym-worker-2"]
        assert "sorted by host ↑" in str(pane(app, "infra").border_subtitle)
        await pilot.press("o")  # cpu, busiest first
        cpus = [float(r.split("%")[0].split()[-1]) for r in rows(app, "infra")]
        assert cpus == sorted(cpus, reverse=True)
        assert "sorted by cpu ↓" in str(pane(app, "infra").border_subtitle)
        await pilot.press("O")
        cpus = [float(r.split("%")[0].split()[-1]) for r in rows(app, "infra")]
        assert cpus == sorted(cpus)
        t = table(app, "latency")
        t.post_message(DataTable.HeaderSelected(t, t.ordered_columns[2].key, 2, label=Text("p95")))
        await wait_until(pilot, lambda: "sorted by p95" in str(pane(app, "latency").border_subtitle), "the p95 sort")
        assert rows(app, "latency")[0].startswith("aigym-api")  # the slowest, 3.5 s, on top


async def test_s_on_an_alert_group_shows_that_services_errors_and_latency() -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("5", "down", "down")  # the LOW aigym-worker group
        assert "aigym-worker" in rows(app, "alerts")[2]
        await pilot.press("up", "up", "s")  # the HIGH aigym-api group
        await wait_until(pilot, lambda: app.sources.errors.log_query.services == ("aigym-api",)
                         and pane(app, "errors").shown.query.services == ("aigym-api",), "the errors of aigym-api")
        assert {e.service for e in pane(app, "errors").events} == {"aigym-api"}
        assert table(app, "latency").selected_key() == "aigym-api"
        assert app.overview.active_pane == "errors"


async def test_an_alerts_runbook_is_a_link_and_y_copies_it() -> None:
    app = frozen_demo_app()
    copied: list[str] = []
    async with running(app, WIDE) as pilot:
        app.copy_to_clipboard = copied.append
        await settle(pilot)
        await pilot.press("5", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "the alert detail")
        name, url = app.screen.links[0]
        assert name == "alert 1 runbook_url" and url.startswith("https://")
        await pilot.press("y")
        assert copied == [url]
        await wait_until(pilot, lambda: any(f"copied alert 1 runbook_url: {url}" == n.message for n in app._notifications),
                         "the copy toast")


async def test_structured_log_values_show_as_json() -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("3", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "the event detail")
        tags = dict(app.screen.fields)["metadata.tags"]
        from obsconsole.ui.screens.detail import _as_text

        assert _as_text(tags) == '["errors", "aigym-api"]'


async def test_every_key_of_the_alerts_pane_at_80x24_during_the_incident() -> None:
    app = frozen_demo_app(elapsed_s=45)
    async with running(app, NARROW) as pilot:
        await settle(pilot)
        for keys in (("5",), ("down",), ("up",), ("o",), ("O",), ("o",), ("o",), ("o",), ("o",),
                     ("enter",), ("question_mark",), ("escape",), ("y",), ("escape",),
                     ("a",), ("question_mark",), ("escape",), ("escape",), ("s",), ("5",), ("m",), ("m",)):
            await pilot.press(*keys)
        await wait_until(pilot, lambda: app.screen is app.overview, "back on the overview")


def test_a_capped_flex_column_leaves_the_rest_of_the_room_to_the_message() -> None:
    from obsconsole.ui.panes.base import Column, fit_columns

    columns = [Column("time", 8), Column("lvl", 5), Column("service", 12, flex=True, cap=20),
               Column("trace", 8, drop=1), Column("message", 24, flex=True)]
    # full width at 120 columns: the service name gets its 20, the message the rest
    assert fit_columns(columns, 116) == {"time": 8, "lvl": 5, "service": 20, "trace": 8, "message": 65}
    # one of three columns at 200: the trace goes before the message is cut
    assert fit_columns(columns, 62) == {"time": 8, "lvl": 5, "service": 15, "message": 26}


def test_the_terminal_title_names_the_state_and_is_given_back_on_exit(tmp_path) -> None:
    """In a real terminal (a pty): the console pushes the terminal's own title, sets
    `obsconsole · <state> · demo` (what another tmux window shows), and pops it on exit."""
    import sys

    from tests.ptyapp import PtyApp

    app = PtyApp([sys.executable, "-m", "obsconsole", "demo"], 120, 40, tmp_path / "ready", record=True)
    app.start()
    try:
        problem = app.wait_until(lambda out: b"\x1b]2;obsconsole \xc2\xb7 " in out, 30, "the terminal title")
        assert problem is None, problem
        out = bytes(app.output)
        assert out.index(b"\x1b[22;2t") < out.index(b"\x1b]2;obsconsole \xc2\xb7 ")  # pushed first
        title = out[out.index(b"\x1b]2;obsconsole"):].split(b"\x07", 1)[0].decode()
        assert title in {f"\x1b]2;obsconsole · {s} · demo" for s in ("OK", "WARNING", "CRITICAL", "UNKNOWN")}, title
    finally:
        app.stop(b"q")
    assert b"\x1b]2;\x07\x1b[23;2t" in bytes(app.output)  # given back


async def test_the_filter_box_gets_a_row_in_a_pane_sized_to_its_rows() -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        latency = pane(app, "latency")
        # six hosts and five services: a row of 9 (borders, header, rows, trend line)
        await wait_until(pilot, lambda: latency.region.height == 9, "the latency row sized to its rows")
        before = 9
        await pilot.press("2", "slash")
        box = latency.query_one(".pane-filter")
        # the row grows by the box's row, and the box is drawn inside the pane
        await wait_until(pilot, lambda: latency.region.height == before + 1, "the latency row to grow by one")
        await wait_until(pilot, lambda: box.region.height == 1 and latency.region.contains_region(box.region),
                         "the filter box drawn inside the pane")
        await pilot.press(*"auth", "enter")
        await wait_until(pilot, lambda: latency.region.height == before, "the row back to its size")
        assert rows(app, "latency")[0].startswith("aigym-auth")


async def test_a_toast_whose_timer_was_lost_still_goes_when_its_time_is_up() -> None:
    """Once, a toast raised in a dialog stayed on the overview for over a minute (its
    timer lost with the dialog), covering a pane's border. The tick reaps it."""
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        app.notify("copied trace_id", timeout=1)
        await wait_until(pilot, lambda: app.screen.query("Toast"), "the toast")
        for toast in app.screen.query("Toast"):
            for timer in list(toast._timers):  # what losing the timer looks like
                timer.stop()
        await wait_until(pilot, lambda: not app.screen.query("Toast"), "the toast gone", 5)


async def test_the_screen_is_drawn_again_once_a_toast_goes() -> None:
    """At 80×24 a toast's last row once stayed painted on a pane's border after the
    toast went (a lone ▌ over the subtitle). When the number of toasts falls, the next
    tick redraws the whole screen."""
    app = frozen_demo_app()
    async with running(app, NARROW) as pilot:
        await settle(pilot)
        app.notify("copied trace_id", timeout=1)
        await wait_until(pilot, lambda: app.screen.query("Toast"), "the toast")
        app._tick()
        redrawn: list[bool] = []
        screen = app.screen
        original = screen.refresh
        screen.refresh = lambda *a, **k: (redrawn.append(not a and not k), original(*a, **k))[1]  # type: ignore[method-assign]
        try:
            app._tick()
            assert redrawn == [], "a redraw while the toast is still up"
            await wait_until(pilot, lambda: not app.screen.query("Toast"), "the toast gone", 5)
            app._tick()
            assert redrawn == [True], "the whole screen drawn again once"
            app._tick()
            assert redrawn == [True], "and only once"
        finally:
            screen.refresh = original  # type: ignore[method-assign]
