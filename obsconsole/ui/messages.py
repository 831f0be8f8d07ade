"""The boundary between the panes and the session: what a pane asks of the console.

A pane never touches the sources or the hub. It posts one of these messages; the App
handles each in one place and calls the session. What a pane may read from the App
(the clock, the colours, whether it is read-only) is `ConsoleView`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Awaitable, Callable, Protocol

from textual.message import Message

from obsconsole.model import ActionResult, LogQuery

if TYPE_CHECKING:
    from obsconsole.actions.audit import AuditLog
    from obsconsole.logic.lifecycle import DeclarePlan
    from obsconsole.sources.base import AlertSource
    from obsconsole.ui.colours import Palette

Clock = Callable[[], datetime]
#: an action on Alertmanager, given the source, the audit log and the clock
AlertAction = Callable[["AlertSource", "AuditLog", Clock], Awaitable[ActionResult]]


class ConsoleView(Protocol):
    """What a pane may read from the App."""

    clock: Clock
    palette: Palette
    readonly: bool


class LogQueryChanged(Message):
    """The error pane narrowed (or widened) its stream: the source takes the query and
    the pane is fetched at once."""

    def __init__(self, pane_id: str, query: LogQuery) -> None:
        super().__init__()
        self.pane_id = pane_id
        self.query = query


class ChartPointsChanged(Message):
    """A pane can draw this many points: its range queries size their step to it."""

    def __init__(self, pane_id: str, points: int) -> None:
        super().__init__()
        self.pane_id = pane_id
        self.points = points


class PanePauseToggled(Message):
    """The user paused or resumed one pane's refresh."""

    def __init__(self, pane_id: str) -> None:
        super().__init__()
        self.pane_id = pane_id


class ServiceShown(Message):
    """Show this service everywhere it can be shown (errors narrowed, latency selected)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service


class IncidentDeclareRequested(Message):
    """Write this incident to the store (confirmed by the user); the result is reported
    and the incidents pane re-read."""

    def __init__(self, plan: DeclarePlan) -> None:
        super().__init__()
        self.plan = plan


class AlertActionRequested(Message):
    """Run an ack, unack or extend on Alertmanager: one at a time; the result is
    reported and Alertmanager re-read (what it did, not what we hoped)."""

    def __init__(self, run: AlertAction) -> None:
        super().__init__()
        self.run = run


class WarRoomRequested(Message):
    """Open the war room of one incident (the incidents pane's `w`)."""

    def __init__(self, incident_id: int) -> None:
        super().__init__()
        self.incident_id = incident_id
