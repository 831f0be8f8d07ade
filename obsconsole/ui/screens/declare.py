"""Declare an incident from an alert group: title, severity and services prefilled, the
group's alerts listed (they are linked). Nothing is written until the user confirms;
Escape cancels."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Static

from obsconsole.logic.lifecycle import DeclarePlan, clean_title, parse_severity
from obsconsole.logic.sanitize import inert
from obsconsole.ui.messages import ConsoleView
from obsconsole.ui.screens.base import Confirmation


class DeclareScreen(Confirmation["DeclarePlan"]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="declare.cancel")]
    HELP_EXTRA = (("enter", "Declare now (or press the focused button)"), ("tab", "Next field: title, severity, buttons"))

    def __init__(self, plan: DeclarePlan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        plan = self.plan
        style = cast(ConsoleView, self.app).palette.severity(plan.severity)
        with VerticalScroll(classes="modal-body ack-body") as body:
            body.border_title = "Declare an incident (shared with every console)"
            body.border_subtitle = "enter confirm · esc cancel"
            first = Text("Declare ", style="bold")
            first.append(f"{plan.severity.value.upper()} ", style=f"bold {style}")
            first.append_text(inert(plan.title, style=f"bold {style}", max_len=200))
            yield Static(first, id="declare-what")
            yield Static(Text("Services  ", style="bold") + inert(", ".join(plan.services), max_len=200))
            count = len(plan.fingerprints)
            yield Static(Text(f"Links {count} alert{'' if count == 1 else 's'} of the group", style="bold"))
            with Horizontal(classes="ack-row"):
                yield Label("Title")
                yield Input(plan.title, id="declare-title")
            with Horizontal(classes="ack-row"):
                yield Label("Severity")
                yield Input(plan.severity.value, id="declare-severity")
            yield Static("", id="declare-problem")
            with Horizontal(classes="ack-buttons"):
                yield Button("Declare", variant="warning", id="declare-confirm")
                yield Button("Cancel", id="declare-cancel")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#declare-confirm", Button).focus()

    def _final(self) -> DeclarePlan | None:
        problem = self.query_one("#declare-problem", Static)
        try:
            title = clean_title(self.query_one("#declare-title", Input).value)
            severity = parse_severity(self.query_one("#declare-severity", Input).value)
        except ValueError as exc:
            problem.update(Text(str(exc), style="bold red"))
            return None
        return replace(self.plan, title=title, severity=severity)

