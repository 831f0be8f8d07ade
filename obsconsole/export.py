"""The JSON form of what the console knows: `obsconsole snapshot --format json`.

Built from the hub's results directly (no screen involved); keys documented in README.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping

from obsconsole import __version__
from obsconsole.model import Health, Snapshot
from obsconsole.panes import PANE_IDS
from obsconsole.session import PaneQuery, overall_health, pane_health

if TYPE_CHECKING:
    from obsconsole.config import Context


def jsonable(obj: Any) -> Any:
    """Model objects → JSON-ready values: dataclasses as objects, datetimes as ISO 8601,
    enums as their value, tuples as lists, float keys as strings."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return obj.value if not isinstance(obj, Health) else obj.name
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):  # NaN/Infinity are not JSON
        return None
    return obj


def snapshot_document(
    ctx: Context,
    queries: Mapping[str, PaneQuery],
    snaps: Mapping[str, Snapshot[Any]],
    now: datetime,
) -> dict[str, Any]:
    """The `obsconsole snapshot --format json` document (keys documented in README)."""
    panes = {}
    for pid in PANE_IDS:
        if pid not in queries:
            continue
        q = queries[pid]
        snap = snaps.get(pid, Snapshot(None, None))
        panes[pid] = {
            "title": q.title,
            "health": pane_health(q, snap).name,
            "fetched_at": snap.fetched_at.isoformat() if snap.fetched_at else None,
            "age_s": snap.age(now),
            "error": None
            if snap.error is None
            else {"kind": snap.error.kind, "message": snap.error.message},
            "data": jsonable(snap.value) if snap.has_value else None,
        }
    health = overall_health(queries, snaps)
    left_out = [pid for pid in PANE_IDS if pid not in queries]
    return {
        "obsconsole": __version__,
        "context": ctx.name,
        "generated_at": now.isoformat(),
        "status": health.name,
        "exit_code": int(health),
        "panes": panes,
        # panes not shown: disabled in config, or their backend is not configured
        "panes_left_out": sorted(left_out),
    }


def incident_health(incident: Any) -> Health:
    """An incident's monitoring-plugin state: open critical CRITICAL, open high
    WARNING, anything else OK (the incidents pane's rule)."""
    from obsconsole.model import IncidentStatus, Severity

    if incident.status is IncidentStatus.RESOLVED:
        return Health.OK
    if incident.severity is Severity.CRITICAL:
        return Health.CRITICAL
    if incident.severity is Severity.HIGH:
        return Health.WARNING
    return Health.OK


def war_room_document(record: Any, burn: Any, snapshots: Mapping[str, Snapshot[Any]], channels: Any,
                      now: datetime) -> dict[str, Any]:
    """`snapshot --incident ID --format json`: what the war room shows, as data."""
    from obsconsole.logic import warroom

    alerts = snapshots.get("alerts")
    groups = alerts.value.groups if alerts is not None and alerts.has_value else ()
    incident = record.incident
    linked_groups = warroom.linked_groups(groups, (a.fingerprint for a in record.linked))
    clocks = warroom.clocks(incident, linked_groups, channels, now)
    state = warroom.firing(record.linked, groups)
    errors = snapshots.get("errors")
    stream = errors.value if errors is not None and errors.has_value else None
    health = incident_health(incident)
    return {
        "obsconsole_version": __version__,
        "generated_at": now.isoformat(),
        "incident": jsonable(incident),
        "clocks": jsonable(clocks),
        "linked_alerts": [{**jsonable(a), "state": state[a.fingerprint]} for a in record.linked],
        "timeline": jsonable(record.events),
        "slo_budget_since_declared": [{**jsonable(b), "burned": b.burned} for b in burn],
        "errors": jsonable([e for e in (stream.events if stream else ()) if warroom.concerns(e.service, incident.services)][:200]),
        "suggestions": list(warroom.suggestions(incident, record.linked, groups, stream.events if stream else (),
                                                channels, now)),
        "health": health.name,
        "exit_code": int(health),
    }
