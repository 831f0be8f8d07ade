"""The ack flow as a user drives it, on the demo platform's in-memory Alertmanager.
(The same flow against a real Alertmanager is in test_alertmanager_stack.py.)"""

from __future__ import annotations

import json
from pathlib import Path

from textual.command import CommandPalette

from obsconsole.ui.screens.ack import AckScreen
from obsconsole.ui.widgets.table import PaneTable
from tests.helpers import frozen_demo_app, running, settle, wait_until

WIDE = (120, 40)


def alerts_rows(app) -> list[str]:
    table = app.overview.pane("alerts").query_one(PaneTable)
    return [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


wait_for = wait_until


async def refreshed(pilot, key: str = "alerts") -> None:
    """Poll `key` now and wait until its pane shows the answer."""
    app = pilot.app
    before = app.hub.snapshots()[key]
    app.hub.refresh_now(key)
    await wait_until(pilot, lambda: app.overview.pane(key).snapshot is not before, f"a fresh {key} poll on screen")


def palette_options(app) -> list[str]:
    """The command palette's options as shown (empty when it is not open)."""
    if not isinstance(app.screen, CommandPalette):
        return []
    from textual.widgets import OptionList

    options = app.screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def audit_records(home: Path) -> list[dict]:
    path = home / "state" / "obsconsole" / "demo-audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def test_a_shows_what_will_be_silenced_and_enter_acks_the_group(isolated_env: Path) -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("5")
        assert "aigym-api · API error rat" in alerts_rows(app)[0]
        await pilot.press("a")
        assert isinstance(app.screen, AckScreen)
        plan = app.screen.plan
        assert [str(m) for m in plan.matchers] == [
            'alertname="APIErrorRateHigh"', 'service="aigym-api"', 'category="application"'
        ]
        assert [a.name for a in plan.alerts] == ["APIErrorRateHigh"]
        assert plan.duration_s == 15 * 60 and plan.comment.startswith("ACK by ")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "acked" in alerts_rows(app)[0], "the group to show acked")
        assert "acked 15:00" in alerts_rows(app)[0]  # the countdown, in the status column
        await pilot.press("m")  # maximised, the row has room for who acked
        await wait_for(pilot, lambda: "acked by" in alerts_rows(app)[0], "who acked, in the maximised row")
        assert f"acked by {plan.created_by.split('@')[0]}" in alerts_rows(app)[0]
        record = audit_records(isolated_env)[-1]
        assert record["action"] == "alerts.ack" and record["ok"] is True
        assert record["detail"]["matchers"][0] == 'alertname="APIErrorRateHigh"'


async def test_shift_a_expires_the_ack(isolated_env: Path) -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("5", "a", "enter")
        await wait_for(pilot, lambda: "acked" in alerts_rows(app)[0], "the ack")
        await pilot.press("A")
        await wait_for(pilot, lambda: "acked" not in alerts_rows(app)[0], "the ack to be expired")
        assert [r["action"] for r in audit_records(isolated_env)] == ["alerts.ack", "alerts.unack"]


async def test_escape_cancels_and_nothing_is_silenced(isolated_env: Path) -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("5", "a", "escape")
        assert not isinstance(app.screen, AckScreen)
        await refreshed(pilot)
        assert "acked" not in alerts_rows(app)[0]
        assert audit_records(isolated_env) == []


async def test_a_bad_duration_is_refused_in_the_dialog() -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("5", "a")
        screen = app.screen
        duration = screen.query_one("#ack-duration")
        duration.focus()
        duration.value = ""
        await pilot.press(*"forever", "enter")
        assert app.screen is screen  # still asking
        assert "not a duration" in str(screen.query_one("#ack-problem").render())
        duration.value = ""
        await pilot.press("2", "h")
        assert "Silence for 2h" in str(screen.query_one("#ack-confirm").label)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "acked" in alerts_rows(app)[0], "the 2 h ack")
        assert "acked 2:00:00" in alerts_rows(app)[0]


async def test_an_ack_that_alertmanager_refuses_is_shown_as_failed(isolated_env: Path) -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("5", "a")
        # Alertmanager goes away between the dialog and the confirmation
        app.sources.alerts.faults = frozenset({"alerts"})
        await pilot.press("enter")
        await wait_for(pilot, lambda: audit_records(isolated_env), "the audit record")
        record = audit_records(isolated_env)[-1]
        assert record["ok"] is False and "FAILED" in record["result"]
        notes = [n for n in app._notifications]
        assert any("FAILED" in (n.title or "") for n in notes)
        assert not any("acked" in r for r in alerts_rows(app))


async def test_readonly_hides_ack_from_keys_and_palette() -> None:
    app = frozen_demo_app(readonly=True)
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("5", "a")
        assert not isinstance(app.screen, AckScreen)
        # the key says why nothing happens
        await wait_for(pilot, lambda: any("read-only: acks are disabled" in n.message for n in app._notifications),
                       "the read-only notice")
        assert all(not spec.mutating for spec in app.palette_actions())
        await pilot.press("colon", *"alerts")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette) and palette_options(app), "palette hits for 'alerts'")
        options = palette_options(app)
        assert any("Show the service's errors and latency" in o for o in options), options
        assert not any("Acknowledge" in o or "Expire" in o or "Extend" in o for o in options), options


async def test_palette_acknowledge_opens_the_same_dialog() -> None:
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"alerts: acknowledge")
        await wait_for(pilot, lambda: any("alerts: Acknowledge" in o for o in palette_options(app)), "the palette's Acknowledge entry")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AckScreen), "the ack dialog")


async def test_an_unwritable_audit_log_stops_the_ack(isolated_env: Path) -> None:
    state = isolated_env / "state" / "obsconsole"
    state.mkdir(parents=True)
    (state / "demo-audit.jsonl").mkdir()  # a directory where the file should be
    app = frozen_demo_app()
    async with running(app, WIDE) as pilot:
        await settle(pilot)
        await pilot.press("5", "a", "enter")
        await wait_for(pilot, lambda: any("not sent" in n.message for n in app._notifications), "the refusal")
        await refreshed(pilot)
        assert not any("acked" in r for r in alerts_rows(app))


async def test_an_alert_action_that_raises_is_shown_failed_and_the_console_stays_up() -> None:
    from obsconsole.ui.messages import AlertActionRequested

    app = frozen_demo_app()
    calls: list[object] = []

    async def broken(source, audit, clock):
        calls.append(source)
        raise RuntimeError("socket closed mid-write")

    async with running(app, (120, 40)) as pilot:
        await settle(pilot)
        app.overview.pane("alerts").post_message(AlertActionRequested(broken))
        await wait_until(pilot, lambda: any(n.title == "FAILED" for n in app._notifications), "the FAILED toast")
        shown = [n.message for n in app._notifications if n.title == "FAILED"]
        assert shown == ["alerts action FAILED: socket closed mid-write\nRuntimeError"]
        assert calls == [app.sources.alerts]  # it ran against the session's alert source
