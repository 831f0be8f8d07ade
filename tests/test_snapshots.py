"""SVG snapshots of the overview, the demo frozen in time (FROZEN, 60 s after start: the
scripted incident is on). Update deliberately with `scripts/test --snapshot-update`
after looking at the new pictures (snapshot_report.html)."""

from __future__ import annotations

from tests.helpers import frozen_demo_app, settle, wait_until


def test_overview_at_80x24_shows_one_pane_and_every_pane_as_a_tab(snap_compare) -> None:
    assert snap_compare(frozen_demo_app(), terminal_size=(80, 24), run_before=settle)


def test_overview_at_120x40_shows_all_six_panes_during_the_incident(snap_compare) -> None:
    assert snap_compare(frozen_demo_app(), terminal_size=(120, 40), run_before=settle)


def test_overview_at_200x60_uses_three_columns(snap_compare) -> None:
    assert snap_compare(frozen_demo_app(), terminal_size=(200, 60), run_before=settle)


def test_calm_platform_at_120x40(snap_compare) -> None:
    assert snap_compare(frozen_demo_app(elapsed_s=0), terminal_size=(120, 40), run_before=settle)


def test_failing_backend_shows_its_error_in_its_pane_only(snap_compare) -> None:
    app = frozen_demo_app(faults=("latency", "alerts"))
    assert snap_compare(app, terminal_size=(120, 40), run_before=settle)


def test_maximised_latency_pane_draws_the_p95_chart(snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("2", "m")
        await wait_until(pilot, lambda: pilot.app.overview.pane("latency").chart is not None
                         and pilot.app.overview.pane("latency").chart.display, "the p95 chart")

    assert snap_compare(frozen_demo_app(), terminal_size=(120, 40), run_before=run_before)


def test_monochrome_theme(snap_compare) -> None:
    app = frozen_demo_app(theme="monochrome")
    assert snap_compare(app, terminal_size=(120, 40), run_before=settle)
