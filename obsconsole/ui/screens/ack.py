"""The ack confirmation: what will be silenced, for how long, with which comment.

Nothing is sent until the user confirms (Enter or the button); Escape cancels.
"""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Static

from obsconsole.actions.ack import AckPlan
from obsconsole.logic.durations import parse_duration
from obsconsole.logic.sanitize import inert
from obsconsole.ui.messages import ConsoleView
from obsconsole.ui.screens.base import Confirmation
from obsconsole.ui.formats import short_interval


class AckScreen(Confirmation["AckPlan"]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="ack.cancel")]
    #: keys the widgets of the dialog answer, for `?`
    HELP_EXTRA = (("enter", "Silence now (or press the focused button)"), ("tab", "Next field: duration, comment, buttons"))

    def __init__(self, plan: AckPlan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        plan = self.plan
        with VerticalScroll(classes="modal-body ack-body") as body:
            body.border_title = "Acknowledge = silence in Alertmanager"
            body.border_subtitle = "enter confirm · esc cancel"
            # first line: which group, in its severity's colour (what an ack at 3 a.m.
            # must not get wrong)
            style = cast(ConsoleView, self.app).palette.severity(plan.severity)
            first = Text("Acknowledge ", style="bold")
            first.append(f"{plan.severity.value.upper()} ", style=f"bold {style}")
            first.append_text(inert(plan.title, style=f"bold {style}", max_len=200))
            yield Static(first, id="ack-group")
            yield Static(Text("Matchers", style="bold"))
            yield Static(Text("  " + "  ".join(str(m) for m in plan.matchers)))
            count = len(plan.alerts)
            yield Static(Text(f"Silences {'this alert' if count == 1 else f'these {count} alerts'} now", style="bold"))
            table = Table.grid(padding=(0, 2))
            for a in plan.alerts:
                table.add_row(inert(a.severity.value.upper(), max_len=8), inert(a.name, max_len=60),
                              inert(a.labels.get("instance", ""), max_len=40), inert(a.title, max_len=80))
            yield Static(table)
            with Horizontal(classes="ack-row"):
                yield Label("Duration")
                yield Input(short_interval(plan.duration_s), id="ack-duration")
            with Horizontal(classes="ack-row"):
                yield Label("Comment")
                yield Input(plan.comment, id="ack-comment")
            yield Static("", id="ack-problem")
            with Horizontal(classes="ack-buttons"):
                yield Button(f"Silence for {short_interval(plan.duration_s)}", variant="warning", id="ack-confirm")
                yield Button("Cancel", id="ack-cancel")
        # the dialog's own footer: the keys under it do not work while it is open
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#ack-confirm", Button).focus()

    def _final(self) -> AckPlan | None:
        problem = self.query_one("#ack-problem", Static)
        text = self.query_one("#ack-duration", Input).value.strip()
        try:
            duration = parse_duration(text)
        except ValueError:
            problem.update(Text(f"not a duration: {text!r} (e.g. 15m, 1h)", style="bold red"))
            return None
        if duration <= 0 or duration > 7 * 86400:
            problem.update(Text("duration must be between 1s and 7d", style="bold red"))
            return None
        comment = self.query_one("#ack-comment", Input).value.strip() or self.plan.comment
        return replace(self.plan, duration_s=duration, comment=comment)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "ack-duration":
            try:
                label = f"Silence for {short_interval(parse_duration(event.value.strip()))}"
            except ValueError:
                label = "Silence"
            self.query_one("#ack-confirm", Button).label = label

