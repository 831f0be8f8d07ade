"""Pilot tests: what a user does with the keyboard, and what the screen does back."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import Input

from obsconsole.model import Health
from obsconsole.ui.widgets.header import StatusHeader
from obsconsole.ui.headless import screen_text
from obsconsole.ui.panes.base import Pane
from obsconsole.ui.widgets.table import PaneTable
from obsconsole.ui.screens import DetailScreen, HelpScreen
from tests.helpers import MutableClock, frozen_demo_app, running, settle, wait_until

WIDE = (120, 40)


def focused_pane(app) -> str | None:
    node = app.focused
    while node is not None and not isinstance(node, Pane):
        node = node.parent
    return node.pane_id if node is not None else None


def visible_panes(app) -> list[str]:
    return [p.pane_id for p in app.overview.panes() if p.display]


def _palette_options(app) -> list[str]:
    from textual.widgets import OptionList

    if not isinstance(app.screen, CommandPalette):
        return []
    options = app.screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def header_text(app) -> str:
    return str(app.overview.query_one(StatusHeader).render())


async def test_number_keys_and_tab_move_focus_between_panes() -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        assert focused_pane(app) == "infra"
        await pilot.press("3")
        assert focused_pane(app) == "errors"
        await pilot.press("tab")
        assert focused_pane(app) == "slo"
        await pilot.press("shift+tab", "shift+tab")
        assert focused_pane(app) == "latency"
        await pilot.press("7", "tab")
        assert focused_pane(app) == "infra"  # wraps around


async def test_maximise_shows_one_pane_and_restore_brings_the_grid_back() -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        assert len(visible_panes(app)) == 7
        await pilot.press("5", "m")
        assert visible_panes(app) == ["alerts"]
        assert app.overview.query_one("#tabs").display  # the others stay in sight as tabs
        await pilot.press("2")  # switching panes while maximised keeps it maximised
        assert visible_panes(app) == ["latency"]
        await pilot.press("escape")
        assert len(visible_panes(app)) == 7
        await pilot.press("m", "m")
        assert len(visible_panes(app)) == 7


async def test_small_terminal_shows_one_pane_with_a_tab_strip() -> None:
    app = frozen_demo_app()
    async with running(app, (80, 24)) as pilot:
        await settle(pilot)
        assert visible_panes(app) == ["infra"]
        # seven named tabs do not fit 80 columns: the shown pane keeps its name, every
        # other pane its health mark and number
        tabs = str(app.overview.query_one("#tabs").render())
        assert "1 Infra " in tabs and "Latency" not in tabs
        assert [int(n) for n in tabs.split() if n.isdigit()] == [1, 2, 3, 4, 5, 6, 7]
        await pilot.press("4")
        assert visible_panes(app) == ["slo"]
        await wait_until(pilot, lambda: "4 SLO " in str(app.overview.query_one("#tabs").render()), "the SLO tab named")


async def test_a_wider_small_terminal_names_every_tab() -> None:
    app = frozen_demo_app()
    async with running(app, (100, 24)) as pilot:
        await settle(pilot)
        tabs = str(app.overview.query_one("#tabs").render())
        for name in ("1 Infra", "2 Latency", "3 Errors", "4 SLO", "5 Alerts", "6 Security", "7 Incidents"):
            assert name in tabs


async def test_pause_stops_polling_and_shows_a_badge() -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        assert app.hub.all_paused
        assert "PAUSED" in header_text(app)
        before = {k: app.hub.snapshot(k).attempted_at for k in app.hub.keys()}
        attempts = {k: app.hub.info(k) for k in app.hub.keys()}
        await pilot.press("r")  # refresh-now must not poll paused panes
        await wait_until(pilot, lambda: any("Refreshing" in n.message for n in app._notifications), "the refresh notice")
        assert all(not app.hub.in_flight(k) for k in app.hub.keys())
        assert {k: app.hub.snapshot(k).attempted_at for k in app.hub.keys()} == before
        assert all(app.hub.info(k).paused for k in attempts)
        await pilot.press("p")
        assert not app.hub.all_paused
        assert "PAUSED" not in header_text(app)


async def test_palette_runs_the_same_action_as_the_key() -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await pilot.press("colon")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"maximise")
        await wait_until(pilot, lambda: app.screen.query("CommandList Option") or _palette_options(app), "palette hits for 'maximise'")
        await pilot.press("enter")
        await wait_until(pilot, lambda: visible_panes(app) == ["slo"], "the SLO pane maximised")


async def test_user_keymap_overrides_a_single_binding(user_config_dir: Path) -> None:
    (user_config_dir / "keymap.yaml").write_text("bindings:\n  pane.maximize: z\n")
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("m")
        assert len(visible_panes(app)) == 7  # m no longer maximises
        await pilot.press("z")
        assert visible_panes(app) == ["infra"]
        await pilot.press("p")  # the other bindings are untouched
        assert app.hub.all_paused


async def test_unknown_binding_id_in_a_keymap_is_reported_not_fatal(user_config_dir: Path) -> None:
    (user_config_dir / "keymap.yaml").write_text("bindings:\n  pane.maximise: z\n")
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        assert any("did you mean 'pane.maximize'" in p for p in app.problems)


async def test_vim_keymap_moves_the_cursor_with_j_and_k() -> None:
    app = frozen_demo_app(keymap="vim")
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        table = app.overview.pane("infra").query_one(PaneTable)
        assert table.cursor_row == 0
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("g")
        assert table.cursor_row == 0


async def test_user_theme_is_picked_up(user_config_dir: Path) -> None:
    themes = user_config_dir / "themes"
    themes.mkdir()
    (themes / "sunset.yaml").write_text(
        "name: sunset\nprimary: '#FF8800'\nerror: '#AA0044'\nwarning: '#FFCC00'\nsuccess: '#00AA88'\n"
    )
    app = frozen_demo_app(theme="sunset")
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        assert app.theme == "sunset"
        assert "#AA0044" in app.palette.health(Health.CRITICAL)


async def test_broken_theme_falls_back_to_dark_with_one_notice(user_config_dir: Path) -> None:
    themes = user_config_dir / "themes"
    themes.mkdir()
    (themes / "broken.yaml").write_text("name: broken\nprimary: 'not-a-colour'\n")
    app = frozen_demo_app(theme="broken")
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        assert app.theme == "dark"
        assert any("broken.yaml" in p for p in app.problems)


async def test_no_color_selects_monochrome(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        assert app.theme == "monochrome"
        assert app.palette.mono


async def test_enter_opens_the_detail_of_the_selected_row() -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("5", "enter")
        assert isinstance(app.screen, DetailScreen)
        fields = dict(app.screen.fields)
        assert fields["severity"] == "high"
        assert "runbook" in " ".join(k for k, _ in app.screen.fields)
        await pilot.press("escape")
        assert not isinstance(app.screen, DetailScreen)


async def test_slash_filters_the_focused_pane_and_escape_clears_it() -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        table = app.overview.pane("latency").query_one(PaneTable)
        assert table.row_count == 5
        await pilot.press("2", "slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"auth", "enter")
        assert table.row_count == 1
        assert app.overview.pane("latency").filter_text == "auth"
        await pilot.press("escape")
        assert table.row_count == 5


async def test_help_lists_every_key_with_the_current_keymap(user_config_dir: Path) -> None:
    (user_config_dir / "keymap.yaml").write_text("bindings:\n  app.refresh: f5\n")
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "f5" in text and "Refresh every pane now" in text
        assert "table.detail" in text  # the focused pane's keys too


async def test_a_failing_source_turns_only_its_pane_into_an_error_state() -> None:
    app = frozen_demo_app(faults=("alerts",))
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        alerts = app.overview.pane("alerts")
        assert alerts.has_class("-error")
        error_line = str(alerts.query_one(".pane-error").render())
        assert "unreachable" in error_line and "refused" in error_line
        assert "NO DATA" in str(alerts.border_title)
        for other in ("infra", "latency", "errors", "slo", "security"):
            assert not app.overview.pane(other).has_class("-error")
            assert app.overview.pane(other).query_one(PaneTable).row_count > 0
        assert "UNKNOWN" in header_text(app) or "CRITICAL" in header_text(app)


async def test_readonly_badge_is_shown() -> None:
    app = frozen_demo_app(readonly=True)
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        assert "READ-ONLY" in header_text(app)


async def test_titles_show_the_age_of_the_data_and_it_grows() -> None:
    clock = MutableClock()
    app = frozen_demo_app(clock=clock)
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        # on schedule, a title says how often the pane refreshes (in words a newcomer reads)
        every = {"infra": "every 15s", "latency": "every 15s", "errors": "every 5s",
                 "slo": "every 1m", "alerts": "every 10s", "security": "every 15s", "incidents": "every 30s"}
        titles = {p.pane_id: str(p.border_title) for p in app.overview.panes()}
        assert all(f"· {every[pid]}" in t for pid, t in titles.items()), titles
        clock.now += timedelta(seconds=75)
        # the once-a-second tick redraws titles and the header
        await wait_until(pilot, lambda: all("· 1m old" in str(p.border_title) for p in app.overview.panes()),
                         "every title to say 1m old")
        await wait_until(pilot, lambda: "14:01 UTC" in header_text(app), "the header clock at 14:01")


async def test_panes_without_a_backend_are_left_out_and_the_rest_fill_the_screen(tmp_path: Path) -> None:
    from obsconsole.config import load_config
    from obsconsole.ui.app import ObsConsoleApp

    config = tmp_path / "config.yaml"
    # nothing listens on port 9: the four Prometheus/Alertmanager panes show errors
    config.write_text(
        "contexts:\n  lab:\n    prometheus: {url: 'http://127.0.0.1:9'}\n"
        "    alertmanager: [{url: 'http://127.0.0.1:9'}]\n"
    )
    app = ObsConsoleApp(load_config(config))
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        assert visible_panes(app) == ["infra", "latency", "slo", "alerts"]
        heights = {p.pane_id: p.region.height for p in app.overview.panes()}
        widths = {p.pane_id: p.region.width for p in app.overview.panes()}
        # rows as tall as their panes need (each shows its error line), the odd pane
        # and the alerts across the width, and the alerts (the last row) take the rest
        # of the 38 rows under the header and above the footer
        assert all(h >= 5 for h in heights.values()), heights
        assert heights["infra"] == heights["latency"] and heights["alerts"] >= 20, heights
        assert heights["infra"] + heights["slo"] + heights["alerts"] == 38, heights
        assert widths == {"infra": 60, "latency": 60, "slo": 120, "alerts": 120}, widths
        await pilot.press("6")  # no Wazuh pane: nothing happens, focus stays
        assert focused_pane(app) == "infra"


async def test_range_queries_are_sized_to_what_the_panes_can_draw() -> None:
    """Panes say how many points they draw (ChartPointsChanged); the sources get it."""
    for size, expected in (((120, 40), {("latency", 58)}),  # the half-width latency trend line
                           ((80, 24), {("infra", 12)})):    # infra's 12-cell cpu trend column
        app = frozen_demo_app()
        got: set[tuple[str, int]] = set()
        app.sources.set_points = lambda pid, n: got.add((pid, n))
        async with running(app, size) as pilot:
            await settle(pilot)
            await wait_until(pilot, lambda: got, "the points asked for")
            assert got == expected, size
