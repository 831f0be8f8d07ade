"""The error pane's keys, with a user's eyes: what the rows and the title say after `/`,
`l`, `s`, `f` and `y`, on the frozen demo (the incident's error burst)."""

from __future__ import annotations

from obsconsole.model import LogLevel
from obsconsole.ui.widgets.table import PaneTable
from tests.helpers import frozen_demo_app, running, settle, wait_until

WIDE = (120, 40)


def pane(app):
    return app.overview.pane("errors")


def events(app):
    return pane(app).events


def title(app) -> str:
    return str(pane(app).border_title)


async def refreshed(pilot) -> None:
    """The source got the new query: wait until the pane shows the answer to it."""
    app = pilot.app

    def answered() -> bool:
        shown = pane(app).shown
        return shown is not None and shown.query == app.sources.errors.log_query and pane(app).snapshot is app.hub.snapshots()["errors"]

    await wait_until(pilot, answered, "the error pane to show the answer to the new query")


async def test_the_search_box_asks_the_source_and_matches_literally() -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        assert len(events(app)) > 20
        await pilot.press("3", "slash")
        await pilot.press(*"POOL EXH", "enter")
        await refreshed(pilot)
        shown = events(app)
        assert shown and all("pool exh" in e.message.casefold() for e in shown)
        assert app.sources.errors.log_query.text == "POOL EXH"
        assert "“POOL EXH”" in title(app)
        rows = app.overview.pane("errors").query_one(PaneTable).row_count
        assert rows == len(shown)
        await pilot.press("escape")  # clears the search
        await refreshed(pilot)
        assert app.sources.errors.log_query.text == ""


async def test_l_cycles_the_level_filter_and_s_the_service_filter() -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("3", "l")
        await refreshed(pilot)
        assert events(app) and {e.level for e in events(app)} == {LogLevel.FATAL}
        assert "FATAL" in title(app)
        await pilot.press("l", "l", "l")  # ERROR, WARN+, back to the configured levels
        await refreshed(pilot)
        assert app.sources.errors.log_query.levels == ()
        await pilot.press("s")
        await refreshed(pilot)
        (service,) = app.sources.errors.log_query.services
        assert events(app) and {e.service for e in events(app)} == {service}
        assert service in title(app)


async def test_f_holds_the_view_still_and_counts_what_arrives() -> None:
    from datetime import timedelta

    from tests.helpers import MutableClock

    clock = MutableClock()
    app = frozen_demo_app(elapsed_s=40, clock=clock)
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("3", "f")
        held = events(app)
        assert "HELD (f)" in title(app)
        clock.now += timedelta(seconds=30)  # the burst goes on
        polled = app.hub.snapshots()["errors"]
        app.hub.refresh_now("errors")
        await wait_until(pilot, lambda: pane(app).snapshot is not polled, "the next poll")
        assert events(app) == held, "the rows did not move"
        # 34 events arrived in those 30 s (the demo's seed 1): counted once
        assert "HELD (f) · 34 new" in title(app)
        app.hub.refresh_now("errors")  # a poll with nothing new adds nothing
        polled = app.hub.snapshots()["errors"]
        await wait_until(pilot, lambda: pane(app).snapshot is not polled, "another poll")
        assert "HELD (f) · 34 new" in title(app)
        await pilot.press("f")
        assert "HELD" not in title(app)
        newer = [e for e in events(app) if e.timestamp > held[0].timestamp]
        assert len(newer) == 34 and events(app)[0] == newer[0]


async def test_y_copies_the_trace_id_of_the_selected_event() -> None:
    app = frozen_demo_app()
    copied = []
    async with running(app, WIDE) as pilot:
        app.copy_to_clipboard = copied.append  # what would go out as OSC 52
        await settle(pilot)
        await pilot.press("3", "down", "y")
        await wait_until(pilot, lambda: copied, "the copy")
        selected = events(app)[1]
        assert copied == [selected.trace_id]
