"""The audit log: one JSON object per line, one line per action, appended.

Every action writes a record (who = user@host, what, target, result, when). An action
whose record cannot be written is not carried out: `AuditLog.check()` runs first.
Secrets never reach it: records hold matchers, comments and outcomes only.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from obsconsole.model import ActionResult, SourceError


def actor() -> str:
    """`$USER@host`, the name acks and audit records carry."""
    try:
        user = getpass.getuser()
    except Exception:  # no passwd entry in some containers
        user = os.environ.get("USER", "unknown")
    return f"{user}@{socket.gethostname()}"


class AuditError(Exception):
    pass


class AuditLog:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()

    def check(self) -> None:
        """Raise AuditError (one line) when records cannot be appended."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise AuditError(f"audit log {self.path} is not writable: {exc.strerror or exc}") from None

    def record(
        self,
        action: str,
        target: str,
        result: ActionResult,
        detail: Mapping[str, Any] | None = None,
        *,
        who: str | None = None,
        now: datetime | None = None,
    ) -> None:
        entry = {
            "time": (now or datetime.now(timezone.utc)).isoformat(),
            "who": who or actor(),
            "action": action,
            "target": target,
            "ok": result.ok,
            "result": result.summary,
            "details": list(result.details),
            **({"detail": dict(detail)} if detail else {}),
        }
        line = json.dumps(entry, ensure_ascii=False, default=str)
        try:
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise AuditError(f"audit log {self.path} is not writable: {exc.strerror or exc}") from None

    def read(self) -> list[dict[str, Any]]:
        """Every record (for tests and `obsconsole incident` later)."""
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text("utf-8").splitlines() if line.strip()]


def why(exc: Exception) -> str:
    """A failure in one line for the user."""
    if isinstance(exc, SourceError):
        return exc.message
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


def unwritable(audit: AuditLog, verb: str) -> ActionResult | None:
    """An action whose audit record cannot be written is not sent: the failed result
    saying so, or None when the log is writable."""
    try:
        audit.check()
    except AuditError as exc:
        return ActionResult(False, f"{verb} not sent: {exc}")
    return None


def audited(audit: AuditLog, action: str, target: str, result: ActionResult,
            detail: dict[str, Any], who: str, now: datetime) -> ActionResult:
    """Record the result locally; a record that could not be written is said on it."""
    try:
        audit.record(action, target, result, detail, who=who, now=now)
    except AuditError as exc:
        return ActionResult(result.ok, result.summary, result.details + (f"NOT AUDITED: {exc}",))
    return result
