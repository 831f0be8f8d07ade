"""Alertmanager v2 API over httpx: active alerts, silences (list, create, expire), status.

A context may list several Alertmanagers. Peers that gossip (same `cluster` in config)
share alerts and silences, so a silence is created once per cluster; unclustered
instances each get their own. Alerts are read from every instance and de-duplicated by
fingerprint; an instance that is down does not hide the others' alerts, and is named.

An alert counts as silenced only when every instance that reports it says so: an ack
that reached one of two unclustered instances is not an ack.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from typing import Any, Callable, Sequence

from obsconsole.config import AlertmanagerBackend, Context
from obsconsole.model import Alert, Matcher, Severity, Silence, SourceError
from obsconsole.model import AlertState, BackendStatus, ClusterOutcome
from obsconsole.sources.http import async_client, send

Clock = Callable[[], datetime]


def parse_time(text: Any) -> datetime:
    """Alertmanager's RFC 3339 times (with nanoseconds, Z or an offset) as aware UTC
    datetimes."""
    if not isinstance(text, str):
        raise ValueError(f"not a time: {text!r}")
    # since Python 3.11 fromisoformat reads Z, offsets and any number of fractional
    # digits (beyond 6 they are dropped)
    parsed = datetime.fromisoformat(text.strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def format_time(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def cluster_key(b: AlertmanagerBackend) -> str:
    return b.cluster or b.url


# pragma: no mutate start
# Transport (requests, retries across peers, gathering): exercised against real
# Alertmanagers by tests/test_alertmanager_stack.py; the answers are read by the pure
# functions below, which mutation testing covers (tests/test_answers.py).
class AlertmanagerSource:
    def __init__(self, backends: Sequence[AlertmanagerBackend], ctx: Context, clock: Clock) -> None:
        if not backends:
            raise ValueError("AlertmanagerSource needs at least one Alertmanager")
        self.backends = tuple(backends)
        self.ctx = ctx
        self.clock = clock
        self._clients: dict[str, Any] = {}

    # ------------------------------------------------------------------ transport

    def _client(self, b: AlertmanagerBackend) -> Any:
        client = self._clients.get(b.url)
        if client is None:
            client = async_client(b.url, b.auth, b.timeout_s)
            self._clients[b.url] = client
        return client

    async def _request(self, b: AlertmanagerBackend, method: str, path: str, **kwargs: Any) -> Any:
        """One call; the JSON answer, or SourceError with a one-line reason."""
        response = await send(self._client(b), f"alertmanager at {b.url}", b.timeout_s, method, path, **kwargs)
        if response.status_code in (401, 403):
            raise SourceError("auth", f"alertmanager at {b.url}: HTTP {response.status_code}, credentials refused")
        if response.status_code >= 400:
            body = " ".join(response.text.split())[:200]
            raise SourceError("bad_response", f"alertmanager at {b.url}: HTTP {response.status_code}: {body}")
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise SourceError("bad_response", f"alertmanager at {b.url}: answer is not JSON (HTTP {response.status_code})") from None

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    # ------------------------------------------------------------------ reading

    async def _read_one(self, b: AlertmanagerBackend) -> tuple[list[Alert], list[Silence]]:
        params: list[tuple[str, str]] = [("active", "true"), ("silenced", "true"), ("inhibited", "true")]
        if b.receiver:
            params.append(("receiver", b.receiver))
        params += [("filter", f) for f in b.filters]
        raw_alerts, raw_silences = await asyncio.gather(
            self._request(b, "GET", "/api/v2/alerts", params=params),
            self._request(b, "GET", "/api/v2/silences"),
        )
        return read_answers(raw_alerts, raw_silences, b.url, self.ctx.labels.service_label)

    async def fetch_alert_state(self) -> AlertState:
        results = await asyncio.gather(*(self._read_one(b) for b in self.backends), return_exceptions=True)
        return state_from(self.backends, results)

    async def fetch_alerts(self) -> tuple[Alert, ...]:
        return (await self.fetch_alert_state()).alerts

    # ------------------------------------------------------------------ silences

    def clusters(self) -> dict[str, list[AlertmanagerBackend]]:
        """Instances grouped by cluster, in config order."""
        out: dict[str, list[AlertmanagerBackend]] = {}
        for b in self.backends:
            out.setdefault(cluster_key(b), []).append(b)
        return out

    async def _on_cluster(self, members: list[AlertmanagerBackend], method: str, path: str, **kwargs: Any) -> tuple[AlertmanagerBackend, Any]:
        """Try each member of a cluster in turn (gossip spreads what one accepts)."""
        failures: list[str] = []
        for b in members:
            try:
                return b, await self._request(b, method, path, **kwargs)
            except SourceError as exc:
                failures.append(exc.message)
        raise SourceError("unreachable", "; ".join(failures))

    async def create_silence(self, matchers: Sequence[Matcher], starts_at: datetime, ends_at: datetime,
                             created_by: str, comment: str) -> list[ClusterOutcome]:
        """Create the silence on every cluster (concurrently); one outcome per cluster."""
        body = {
            "matchers": [{"name": m.name, "value": m.value, "isRegex": m.is_regex, "isEqual": m.is_equal} for m in matchers],
            "startsAt": format_time(starts_at),
            "endsAt": format_time(ends_at),
            "createdBy": created_by,
            "comment": comment,
        }

        async def one(name: str, members: list[AlertmanagerBackend]) -> ClusterOutcome:
            try:
                b, answer = await self._on_cluster(members, "POST", "/api/v2/silences", json=body)
            except SourceError as exc:
                return ClusterOutcome(name, None, False, exc.message)
            silence_id = created_id(answer)
            if not silence_id:
                return ClusterOutcome(name, b.url, False, f"alertmanager at {b.url}: no silenceID in the answer")
            return ClusterOutcome(name, b.url, True, str(silence_id))

        return list(await asyncio.gather(*(one(n, m) for n, m in self.clusters().items())))

    async def expire_silence(self, silence: Silence) -> ClusterOutcome:
        """Expire `silence` on the cluster that holds it."""
        origin = silence.origins[0] if silence.origins else None
        clusters = self.clusters()
        name = next((n for n, m in clusters.items() if any(b.url == origin for b in m)), None)
        if name is None:
            return ClusterOutcome(origin or "?", None, False, f"no configured Alertmanager holds silence {silence.id}")
        try:
            b, _ = await self._on_cluster(clusters[name], "DELETE", f"/api/v2/silence/{silence.id}")
        except SourceError as exc:
            return ClusterOutcome(name, None, False, exc.message)
        return ClusterOutcome(name, b.url, True, silence.id)

    # ------------------------------------------------------------------ check

    async def describe(self) -> list[BackendStatus]:
        async def one(b: AlertmanagerBackend) -> BackendStatus:
            started = time.perf_counter()
            try:
                status = await self._request(b, "GET", "/api/v2/status")
            except SourceError as exc:
                return BackendStatus("alertmanager", b.url, False, None, None, exc.message)
            latency = time.perf_counter() - started
            version = ((status or {}).get("versionInfo") or {}).get("version")
            cluster = (status or {}).get("cluster") or {}
            peers = len(cluster.get("peers") or [])
            detail = f"cluster {b.cluster}, {peers} peers" if b.cluster else "unclustered"
            return BackendStatus("alertmanager", b.url, True, version, latency, detail)

        return list(await asyncio.gather(*(one(b) for b in self.backends)))
# pragma: no mutate end


# --------------------------------------------------------------------------- answers


def read_answers(raw_alerts: Any, raw_silences: Any, origin: str, service_label: str) -> tuple[list[Alert], list[Silence]]:
    """One instance's answers to GET /api/v2/alerts and /api/v2/silences as model
    objects; SourceError naming the instance when they are not Alertmanager's."""
    if not isinstance(raw_alerts, list) or not isinstance(raw_silences, list):
        raise SourceError("bad_response", f"alertmanager at {origin}: expected JSON lists")
    try:
        alerts = [_alert(a, origin, service_label) for a in raw_alerts]
        silences = [_silence(s, origin) for s in raw_silences]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SourceError("bad_response", f"alertmanager at {origin}: unexpected alert or silence shape ({type(exc).__name__}: {exc})") from None
    return alerts, silences


def state_from(backends: Sequence[AlertmanagerBackend], results: Sequence[Any]) -> AlertState:
    """Every instance's (alerts, silences) or exception, in config order, as one state:
    alerts de-duplicated by fingerprint, silences once per cluster, the down instances
    named; SourceError only when every instance is down."""
    alerts: dict[str, list[Alert]] = {}
    silences: dict[tuple[str, str], Silence] = {}
    down: list[str] = []
    errors: list[SourceError] = []
    for b, result in zip(backends, results):
        if isinstance(result, BaseException):
            if not isinstance(result, SourceError):
                result = SourceError("internal", f"alertmanager at {b.url}: {type(result).__name__}: {result}")
            errors.append(result)
            down.append(result.message)
            continue
        for alert in result[0]:
            alerts.setdefault(alert.fingerprint, []).append(alert)
        for s in result[1]:
            key = (cluster_key(b), s.id)  # peers of one cluster report the same ids
            if key not in silences:
                silences[key] = s
    if errors and len(errors) == len(backends):
        if len(errors) == 1:
            raise errors[0]
        raise SourceError(errors[0].kind, "every Alertmanager is down: " + "; ".join(down))
    merged = tuple(_merge(copies) for copies in alerts.values())
    return AlertState(merged, tuple(silences.values()), tuple(down))


def created_id(answer: Any) -> str | None:
    """The silenceID of a POST /api/v2/silences answer (None when there is none)."""
    return (answer or {}).get("silenceID") if isinstance(answer, dict) else None


def _alert(raw: dict[str, Any], origin: str, service_label: str) -> Alert:
    """A GettableAlert; the service is the `service_label` label, else `job`."""
    labels = {str(k): str(v) for k, v in (raw.get("labels") or {}).items()}
    annotations = {str(k): str(v) for k, v in (raw.get("annotations") or {}).items()}
    status = raw.get("status") or {}
    return Alert(
        fingerprint=str(raw["fingerprint"]),
        name=labels.get("alertname", "unnamed"),
        severity=Severity.parse(labels.get("severity")),
        category=labels.get("category", "uncategorised"),
        service=labels.get(service_label, labels.get("job", "unknown")),
        starts_at=parse_time(raw["startsAt"]),
        labels=labels,
        annotations=annotations,
        state=str(status.get("state", "active")),
        silenced_by=tuple(str(s) for s in status.get("silencedBy") or ()),
        origins=(origin,),
    )


def _silence(raw: dict[str, Any], origin: str) -> Silence:
    return Silence(
        id=str(raw["id"]),
        matchers=tuple(
            Matcher(str(m["name"]), str(m["value"]), bool(m.get("isRegex", False)), bool(m.get("isEqual", True)))
            for m in raw.get("matchers") or ()
        ),
        starts_at=parse_time(raw["startsAt"]),
        ends_at=parse_time(raw["endsAt"]),
        created_by=str(raw.get("createdBy", "")),
        comment=str(raw.get("comment", "")),
        state=str((raw.get("status") or {}).get("state", "active")),
        origins=(origin,),
    )


def _merge(copies: list[Alert]) -> Alert:
    """One alert as reported by several instances: suppressed only if all agree."""
    first = copies[0]
    if len(copies) == 1:
        return first
    import dataclasses

    state = "suppressed" if all(a.state == "suppressed" for a in copies) else "active"
    silenced = tuple(dict.fromkeys(s for a in copies for s in a.silenced_by))
    origins = tuple(dict.fromkeys(o for a in copies for o in a.origins))
    return dataclasses.replace(first, state=state, silenced_by=silenced, origins=origins)


