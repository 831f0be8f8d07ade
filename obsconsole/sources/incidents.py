"""The shared incident store: PostgreSQL, through asyncpg.

Every console and the CLI read and write the same tables (`migrations/*.sql`, applied
once under an advisory lock). Every change is a timeline event with its author, and each
event is announced with NOTIFY: a console LISTENs and re-reads from the last event id it
saw, so after a reconnect nothing is missed and nothing is shown twice.

Concurrent edits: an incident carries a version; a change names the version it was based
on and is refused with `IncidentConflict` (holding the current incident) if another
landed first. Only parameterised SQL. Errors are `SourceError`s whose text never holds
the DSN's password.
"""

from __future__ import annotations

import asyncio
import json
import re
from importlib import resources
from typing import Any, Awaitable, Callable, Iterable, Sequence
from urllib.parse import urlsplit

from obsconsole.logic import lifecycle
from obsconsole.model import (
    Incident,
    IncidentConflict,
    IncidentStatus,
    IncidentSummary,
    IncidentsView,
    LinkedAlert,
    Severity,
    SourceError,
    TimelineEvent,
)

#: the NOTIFY channel (the trigger in 001_incidents.sql sends on it)
CHANNEL = "obsconsole_incidents"
#: pg_advisory_xact_lock key of the migrations ("obsc" in ASCII)
MIGRATION_LOCK = 0x6F627363

_COLUMNS = ("id, title, description, severity, status, services, commander, created_at, created_by, "
            "updated_at, acknowledged_at, resolved_at, version")

OnEvent = Callable[[int, int], Any]


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, SQL) of every migration shipped, in order."""
    folder = resources.files("obsconsole.sources") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            found.append((int(name[:3]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def _migrate(conn: Any) -> list[int]:
    """Apply the migrations not applied yet, in one transaction under an advisory lock;
    the versions applied."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS obsconsole_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())")
        done = {r["version"] for r in await conn.fetch("SELECT version FROM obsconsole_migrations")}
        applied = []
        for version, name, sql in migrations():
            if version in done:
                continue
            await conn.execute(sql)
            await conn.execute("INSERT INTO obsconsole_migrations (version, name) VALUES ($1, $2)", version, name)
            applied.append(version)
        return applied


_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(value: Any) -> Any:
    """PostgreSQL's text and jsonb cannot hold NUL, nor UTF-8 a lone surrogate: from a
    pasted log line they are kept visible (␀, �) rather than refusing the incident."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value.replace("\x00", "\u2400"))
    if isinstance(value, (list, tuple)):
        return [storable(v) for v in value]
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    return value


def where(dsn: str) -> str:
    """host:port/database of a DSN, for messages (never the user's password)."""
    try:
        parts = urlsplit(dsn)
        return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or ''}"
    except ValueError:
        return "(the configured DSN)"


class _Nothing(Exception):
    """Raised inside a transaction to roll it back when there was nothing to do."""


def _linked(alerts: Iterable[LinkedAlert | str]) -> list[LinkedAlert]:
    """Alerts to link, each fingerprint once, in fingerprint order."""
    by_fp = {}
    for a in alerts:
        item = a if isinstance(a, LinkedAlert) else LinkedAlert(a)
        by_fp.setdefault(item.fingerprint, item)
    return [by_fp[k] for k in sorted(by_fp)]


def _link_payload(a: LinkedAlert) -> dict[str, Any]:
    payload: dict[str, Any] = {"fingerprint": a.fingerprint}
    for key in ("name", "service", "severity", "category"):
        if getattr(a, key):
            payload[key] = getattr(a, key)
    return payload


def _incident(row: Any) -> Incident:
    return Incident(
        id=row["id"], title=row["title"], description=row["description"], severity=Severity(row["severity"]),
        status=IncidentStatus(row["status"]), services=tuple(row["services"]), commander=row["commander"],
        created_at=row["created_at"], created_by=row["created_by"], updated_at=row["updated_at"],
        acknowledged_at=row["acknowledged_at"], resolved_at=row["resolved_at"], version=row["version"],
    )


def _event(row: Any) -> TimelineEvent:
    payload = row["payload"]
    return TimelineEvent(row["id"], row["incident_id"], row["at"], row["actor"], row["kind"],
                         json.loads(payload) if isinstance(payload, str) else dict(payload))


class IncidentStore:
    """One console's connection to the store. `actor` ($USER@host) signs every change."""

    def __init__(self, dsn: str, actor: str, *, timeout_s: float = 10.0) -> None:
        self._dsn = dsn
        self.actor = actor
        self.timeout_s = timeout_s
        self.where = where(dsn)
        self._conn: Any = None
        self._listener: Any = None
        self._lock = asyncio.Lock()
        #: the schema is checked (and migrated) once, on first use
        self._migrated = False

    # ------------------------------------------------------------------ connections

    async def _connect(self) -> Any:
        import asyncpg

        try:
            return await asyncpg.connect(self._dsn, timeout=self.timeout_s)
        except (OSError, asyncio.TimeoutError) as exc:
            raise SourceError("unreachable", f"incident store {self.where}: {type(exc).__name__}: {exc}") from None
        except asyncpg.PostgresError as exc:
            raise SourceError("refused", f"incident store {self.where}: {exc}") from None

    async def _run(self, work: Callable[[Any], Awaitable[Any]]) -> Any:
        """Run `work(connection)` on the store's connection (made, or made again after a
        failure), one at a time; errors become SourceErrors."""
        import asyncpg

        async with self._lock:
            if self._conn is None or self._conn.is_closed():
                self._conn = await self._connect()
            try:
                if not self._migrated:
                    # first use: the schema, under the lock (consoles starting together)
                    await _migrate(self._conn)
                    self._migrated = True
                return await work(self._conn)
            except (IncidentConflict, _Nothing):
                raise
            except (OSError, asyncio.TimeoutError, asyncpg.exceptions.ConnectionDoesNotExistError,
                    asyncpg.exceptions.InterfaceError) as exc:
                await self._drop()
                raise SourceError("unreachable", f"incident store {self.where}: {type(exc).__name__}: {exc}") from None
            except asyncpg.PostgresError as exc:
                if isinstance(exc, (asyncpg.exceptions.AdminShutdownError, asyncpg.exceptions.CannotConnectNowError)):
                    await self._drop()
                raise SourceError("refused", f"incident store {self.where}: {exc}") from None

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.terminate()

    async def aclose(self) -> None:
        await self._drop()
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.terminate()

    # ------------------------------------------------------------------ schema

    async def migrate(self) -> list[int]:
        """Apply the migrations not applied yet, in one transaction under an advisory
        lock: consoles starting together wait for the first, then find nothing to do.
        Returns the versions this call applied."""

        applied: list[int] = []
        self._migrated = True  # this call is the migration

        async def work(conn: Any) -> None:
            applied.extend(await _migrate(conn))

        try:
            await self._run(work)
        except BaseException:
            self._migrated = False
            raise
        return applied

    # ------------------------------------------------------------------ reading

    async def get(self, incident_id: int) -> Incident:
        async def work(conn: Any) -> Incident:
            row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM incidents WHERE id = $1", incident_id)
            if row is None:
                raise SourceError("not_found", f"no incident {incident_id}")
            return _incident(row)

        return await self._run(work)  # type: ignore[no-any-return]

    async def list(self, *, include_resolved: bool = False, limit: int = 1000) -> tuple[Incident, ...]:
        """Newest first; open ones only unless `include_resolved`."""
        async def work(conn: Any) -> tuple[Incident, ...]:
            rows = await conn.fetch(
                f"SELECT {_COLUMNS} FROM incidents WHERE $1 OR status <> 'resolved' ORDER BY created_at DESC, id DESC LIMIT $2",
                include_resolved, limit)
            return tuple(_incident(r) for r in rows)

        return await self._run(work)  # type: ignore[no-any-return]

    async def fetch_incidents(self) -> IncidentsView:
        """IncidentSource: the open incidents with their linked alert counts, one query."""
        async def work(conn: Any) -> IncidentsView:
            rows = await conn.fetch(
                f"SELECT {_COLUMNS}, ARRAY(SELECT fingerprint FROM incident_alerts a WHERE a.incident_id = i.id"
                f" ORDER BY fingerprint) AS linked FROM incidents i WHERE status <> 'resolved'"
                f" ORDER BY created_at DESC, id DESC LIMIT 1000")
            return IncidentsView(tuple(IncidentSummary(_incident(r), len(r["linked"]), tuple(r["linked"])) for r in rows))

        return await self._run(work)  # type: ignore[no-any-return]

    async def events(self, incident_id: int | None = None, *, after: int = 0, limit: int | None = None) -> tuple[TimelineEvent, ...]:
        """Timeline events with an id above `after` (of one incident, or all), oldest first."""
        async def work(conn: Any) -> tuple[TimelineEvent, ...]:
            rows = await conn.fetch(
                "SELECT id, incident_id, at, actor, kind, payload FROM incident_events"
                " WHERE id > $1 AND ($2::bigint IS NULL OR incident_id = $2) ORDER BY id LIMIT $3",
                after, incident_id, limit)
            return tuple(_event(r) for r in rows)

        return await self._run(work)  # type: ignore[no-any-return]

    async def linked_alerts(self, incident_id: int) -> tuple[str, ...]:
        return tuple(a.fingerprint for a in await self.linked(incident_id))

    async def linked(self, incident_id: int) -> tuple[LinkedAlert, ...]:
        """The alerts linked to an incident, as they were when linked, oldest link first."""
        async def work(conn: Any) -> tuple[LinkedAlert, ...]:
            rows = await conn.fetch(
                "SELECT fingerprint, name, service, severity, category, starts_at, linked_at, linked_by"
                " FROM incident_alerts WHERE incident_id = $1 ORDER BY linked_at, fingerprint", incident_id)
            return tuple(LinkedAlert(r["fingerprint"], r["name"], r["service"], r["severity"], r["starts_at"],
                                     r["linked_at"], r["linked_by"], r["category"]) for r in rows)

        return await self._run(work)  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ writing

    async def declare(self, title: str, severity: Severity, services: Sequence[str], description: str = "",
                      alerts: Iterable[LinkedAlert | str] = (), suggestions: Sequence[str] = ()) -> Incident:
        """A new incident, investigating, with its `declared` event (and its alerts linked)."""
        title = storable(lifecycle.clean_title(title))
        description, services = storable(description), storable(list(services))
        linked = _linked(alerts)

        async def work(conn: Any) -> Incident:
            async with conn.transaction():
                row = await conn.fetchrow(
                    f"INSERT INTO incidents (title, description, severity, status, services, created_by)"
                    f" VALUES ($1, $2, $3, 'investigating', $4, $5) RETURNING {_COLUMNS}",
                    title, description, severity.value, services, self.actor)
                incident = _incident(row)
                await self._event(conn, incident.id, "declared", {
                    "title": title, "severity": severity.value, "services": services})
                await self._link(conn, incident.id, linked)
                for text in suggestions:
                    await self._event(conn, incident.id, "suggestion", {"text": storable(text)})
                return incident

        return await self._run(work)  # type: ignore[no-any-return]

    async def update(self, incident_id: int, version: int, *, status: IncidentStatus | None = None,
                     reason: str = "", severity: Severity | None = None, commander: str | None = None) -> Incident:
        """Change status, severity or commander of the incident as it was at `version`.
        Refused with IncidentConflict (the current incident) if it changed since, with
        ValueError if the lifecycle forbids it; nothing is written then."""
        commander = storable(commander)

        async def work(conn: Any) -> Incident:
            async with conn.transaction():
                row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM incidents WHERE id = $1 FOR UPDATE", incident_id)
                if row is None:
                    raise SourceError("not_found", f"no incident {incident_id}")
                current = _incident(row)
                if current.version != version:
                    raise IncidentConflict(current)
                changes = lifecycle.plan_update(current, status=status, reason=reason, severity=severity,
                                                commander=commander)
                updated = await conn.fetchrow(
                    f"UPDATE incidents SET status = COALESCE($2, status), severity = COALESCE($3, severity),"
                    f" commander = COALESCE($4, commander), version = version + 1, updated_at = now(),"
                    f" resolved_at = CASE WHEN $2 = 'resolved' THEN now() WHEN $2 IS NULL THEN resolved_at ELSE NULL END,"
                    f" acknowledged_at = COALESCE(acknowledged_at, CASE WHEN ($2 IS NOT NULL AND $2 <> 'investigating')"
                    f" OR $4 IS NOT NULL THEN now() END)"
                    f" WHERE id = $1 RETURNING {_COLUMNS}",
                    incident_id, status.value if status else None, severity.value if severity else None, commander)
                for kind, payload in changes:
                    await self._event(conn, incident_id, kind, payload)
                return _incident(updated)

        return await self._run(work)  # type: ignore[no-any-return]

    async def note(self, incident_id: int, text: str) -> TimelineEvent:
        """A note on the timeline (notes never conflict: they only add)."""
        if not text.strip():
            raise ValueError("a note needs text")
        text = storable(text)

        async def work(conn: Any) -> TimelineEvent:
            async with conn.transaction():
                await self._touch(conn, incident_id)
                return await self._event(conn, incident_id, "note", {"text": text})

        return await self._run(work)  # type: ignore[no-any-return]

    async def audit(self, action: str, target: str, ok: bool, detail: dict[str, Any]) -> None:
        async def work(conn: Any) -> None:
            await conn.execute("INSERT INTO audit_log (actor, action, target, ok, detail) VALUES ($1, $2, $3, $4, $5::jsonb)",
                               self.actor, action, target, ok, json.dumps(detail, default=str))

        await self._run(work)

    async def _event(self, conn: Any, incident_id: int, kind: str, payload: dict[str, Any]) -> TimelineEvent:
        row = await conn.fetchrow(
            "INSERT INTO incident_events (incident_id, actor, kind, payload) VALUES ($1, $2, $3, $4::jsonb)"
            " RETURNING id, incident_id, at, actor, kind, payload",
            incident_id, self.actor, kind, json.dumps(storable(payload), default=str))
        return _event(row)

    async def _link(self, conn: Any, incident_id: int, alerts: Sequence[LinkedAlert]) -> int:
        added = 0
        for a in alerts:
            fp = await conn.fetchval(
                "INSERT INTO incident_alerts (incident_id, fingerprint, linked_by, name, service, severity, category, starts_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING fingerprint",
                incident_id, a.fingerprint, self.actor, *storable([a.name, a.service, a.severity, a.category]), a.starts_at)
            if fp is not None:
                added += 1
                await self._event(conn, incident_id, "alert_linked", _link_payload(a))
        return added

    async def link(self, incident_id: int, alerts: Iterable[LinkedAlert | str]) -> int:
        """Link alerts (links only add: they never conflict); how many were new."""
        linked = _linked(alerts)

        async def work(conn: Any) -> int:
            async with conn.transaction():
                if await conn.fetchval("SELECT id FROM incidents WHERE id = $1 FOR UPDATE", incident_id) is None:
                    raise SourceError("not_found", f"no incident {incident_id}")
                added = await self._link(conn, incident_id, linked)
                if added:
                    await self._touch(conn, incident_id)
                return added

        return await self._run(work)  # type: ignore[no-any-return]

    async def unlink(self, incident_id: int, fingerprint: str) -> bool:
        """Unlink one alert; False if it was not linked (nothing written then)."""
        async def work(conn: Any) -> bool:
            async with conn.transaction():
                await self._touch(conn, incident_id)
                gone = await conn.fetchrow(
                    "DELETE FROM incident_alerts WHERE incident_id = $1 AND fingerprint = $2"
                    " RETURNING fingerprint, name, service, severity, category, starts_at", incident_id, fingerprint)
                if gone is None:
                    raise _Nothing
                await self._event(conn, incident_id, "alert_unlinked", {
                    "fingerprint": gone["fingerprint"], "name": gone["name"], "service": gone["service"]})
                return True

        try:
            return await self._run(work)  # type: ignore[no-any-return]
        except _Nothing:
            return False

    async def _touch(self, conn: Any, incident_id: int) -> None:
        found = await conn.fetchval("UPDATE incidents SET updated_at = now() WHERE id = $1 RETURNING id", incident_id)
        if found is None:
            raise SourceError("not_found", f"no incident {incident_id}")

    # ------------------------------------------------------------------ live

    async def listen(self, on_event: OnEvent) -> None:
        """Call `on_event(incident_id, event_id)` for every timeline event any console
        writes, on a connection of its own. Raises SourceError if it cannot connect;
        the caller re-listens after a failure and re-reads from its last event id."""
        listener = await self._connect()

        def deliver(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
            data = json.loads(payload)
            on_event(int(data["incident"]), int(data["event"]))

        await listener.add_listener(CHANNEL, deliver)
        old, self._listener = self._listener, listener
        if old is not None:
            old.terminate()

    @property
    def listening(self) -> bool:
        return self._listener is not None and not self._listener.is_closed()
