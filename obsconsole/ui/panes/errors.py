"""Pane 3: the error stream: newest first, level-coloured; time, level, service, trace id
and message. A bounded buffer (panes.errors.buffer, default 5,000) accumulates what the
fetches return; the table shows the newest rows that match the filter."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from rich.text import Text

from obsconsole.logic.buffer import EventBuffer
from obsconsole.logic.sanitize import inert, inert_cell
from obsconsole.model import Health, LogEvent, LogLevel, Snapshot
from obsconsole.ui.panes.base import Column, Pane, Row

#: rows drawn in the table (the buffer holds more; the filter searches all of them)
MAX_ROWS = 1000


class ErrorsPane(Pane):
    pane_id = "errors"
    number = 3
    title = "Error stream"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.buffer: EventBuffer[LogEvent] = EventBuffer(self.ctx.panes.errors_buffer)

    def show_snapshot(self, snap: Snapshot[Any], health: Health, now: Any) -> None:
        if snap.has_value and snap.value is not self.snapshot.value:
            self.buffer.merge(snap.value)
        super().show_snapshot(snap, health, now)

    def columns(self) -> Sequence[Column]:
        return [
            Column("time", 8),
            Column("lvl", 5),
            Column("service", 14),
            Column("trace", 8, drop=1),
            Column("message", 16, flex=True),
        ]

    def rows(self, value: Any) -> Iterable[Row]:
        p = self.palette
        width = self.width_of("message")
        service_w = self.width_of("service")
        shown = 0
        for e in self.buffer.items():
            style = p.health(Health.CRITICAL) if e.level is LogLevel.FATAL else (
                p.health(Health.WARNING) if e.level is LogLevel.WARN else (
                    p.health(Health.CRITICAL).replace("bold ", "") if e.level is LogLevel.ERROR else p.muted))
            yield e.id, [
                Text(e.timestamp.strftime("%H:%M:%S"), style=p.muted),
                Text(e.level.value, style=style),
                inert_cell(e.service, service_w),
                inert_cell(e.trace_id[:8], 8, p.muted),
                inert_cell(e.message, width),
            ]
            shown += 1
            if shown >= MAX_ROWS and not self.filter_text:
                return

    def summary(self, value: Any) -> str:
        n = len(self.buffer)
        fatal = sum(1 for e in self.buffer.items() if e.level is LogLevel.FATAL)
        return f"{n:,} events" + (f", {fatal} fatal" if fatal else "")

    def detail(self, key: str) -> tuple[str, list[tuple[str, Any]]] | None:
        e = self.buffer.get(key)
        if e is None:
            return None
        fields: list[tuple[str, Any]] = [
            ("timestamp", e.timestamp.isoformat()),
            ("level", e.level.value),
            ("service", e.service),
            ("component", e.component),
            ("host", e.host),
            ("message", e.message),
            ("trace_id", e.trace_id or "–"),
            ("span_id", e.span_id or "–"),
            ("correlation_id", e.correlation_id or "–"),
            ("error.name", e.error_name),
            ("error.message", e.error_message),
            ("error.stack", e.error_stack),
        ]
        for k, v in sorted(e.metadata.items()):
            fields.append((f"metadata.{k}", v))
        if e.trace_id:
            fields.append(("open trace", f"trace {e.trace_id} (the trace view arrives with the Jaeger backend)"))
        return f"{e.level.value} {e.service} {e.timestamp:%H:%M:%S}", [(k, v) for k, v in fields if v not in ("", None)]
