"""An in-process PagerDuty Events API v2 stand-in for the console's tests.

PagerDuty is a hosted service with no installable server, so this module answers the
one endpoint the console uses, ``POST /v2/enqueue``, as the documented API does
(developer.pagerduty.com, "Send an Alert Event"; PagerDuty/api-schema
``reference/events-v2/openapiv3.json``):

- an event is a JSON object with ``routing_key`` (32 characters), ``event_action``
  (``trigger``, ``acknowledge`` or ``resolve``), ``dedup_key`` (at most 255 characters;
  required unless the action is ``trigger``) and, for a trigger, ``payload`` with
  ``summary`` (at most 1024 characters), ``source`` and ``severity`` (``critical``,
  ``error``, ``warning`` or ``info``); optional payload fields are accepted unchecked;
- accepted: 202 ``{"status": "success", "message": "Event processed", "dedup_key": …}``,
  with a generated key (32 hex digits) for a trigger that had none;
- invalid: 400 ``{"status": "invalid event", "message": "Event object is invalid",
  "errors": [...]}``, one line per problem (the routing-key line is the documented
  example; the others follow PagerDuty's "'field' is missing or blank" wording);
- not JSON, or not an object: 400 ``{"status": "Unrecognized object", "message": "Event
  object format is unrecognized", "errors": ["JSON parse error"]}`` (the API's error
  example).

Incident state per dedup key follows the documented behaviour: a trigger opens an alert
(or adds to the open one: an acknowledged alert stays acknowledged); acknowledge and
resolve apply to an open alert and are accepted but dropped otherwise; after a resolve
the next trigger with the same key opens a new alert.

Usage::

    with start_pagerduty() as pd:
        httpx.post(pd.url, json={...})      # pd.url is the full enqueue URL
        pd.state("obsconsole-incident-7")   # "triggered" | "acknowledged" | "resolved" | None
        pd.events                           # the accepted events, oldest first
        pd.requests                         # every request, with the status it got
        pd.rate_limit(2, retry_after=5)     # the next 2 requests answer 429
        pd.fail(1, status=503)              # the next request answers 503

Faults apply to the next requests in the order they were armed, whatever the request
is; a faulted request is logged in ``requests`` but is not an event and changes no state.

Not PagerDuty's (made up here, the real shapes are not documented): the bodies of 429
and 5xx answers, the 404/405 for other paths and methods, and "Invalid routing key" for
a key outside ``routing_keys`` (the real service only refuses keys it does not know,
and the wording is a guess). Change events (``/v2/change/enqueue``), ``links``,
``images`` and rate limits by themselves (only the injected ones) are not implemented.

The package must never import this module (tests/test_layers.py checks that).
"""

from __future__ import annotations

import json
import threading
import traceback
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from .http import Served

ENQUEUE_PATH = "/v2/enqueue"
ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
SUMMARY_LIMIT = 1024
DEDUP_KEY_LIMIT = 255
ROUTING_KEY_LENGTH = 32

#: a routing key of the right shape, for tests that need one
ROUTING_KEY = "0123456789abcdef0123456789abcdef"


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the stand-in received it, and the status it answered."""

    method: str
    path: str
    body: bytes
    headers: dict[str, str]
    status: int

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Alert:
    """The alert open under one dedup key, as far as the events said."""

    state: str  # triggered | acknowledged | resolved
    events: tuple[dict[str, Any], ...]


def start_pagerduty(*, routing_keys: Collection[str] | None = None) -> PagerDutyStandin:
    """Start a stand-in on 127.0.0.1 with a free port and return its handle.

    Args:
        routing_keys: the integration keys the stand-in knows; None accepts any key of
            the right length.
    """
    return PagerDutyStandin(routing_keys)


class PagerDutyStandin(Served):
    """A running stand-in: its URL, what it received, incident state, fault injection."""

    def __init__(self, routing_keys: Collection[str] | None) -> None:
        self._routing_keys = None if routing_keys is None else frozenset(routing_keys)
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []
        self._requests: list[ReceivedRequest] = []
        self._events: list[dict[str, Any]] = []
        self._alerts: dict[str, _AlertRecord] = {}
        self.base_url = self._serve("pagerduty-standin")
        self.url = self.base_url + ENQUEUE_PATH
        """The full enqueue URL."""

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every accepted event (answered 202) as sent, oldest first."""
        with self._lock:
            return list(self._events)

    @property
    def requests(self) -> list[ReceivedRequest]:
        """Every request received, faulted and refused ones too, oldest first."""
        with self._lock:
            return list(self._requests)

    def state(self, dedup_key: str) -> str | None:
        """The alert's state: "triggered", "acknowledged" or "resolved"; None if never triggered."""
        with self._lock:
            record = self._alerts.get(dedup_key)
            return None if record is None else record.state

    def alert(self, dedup_key: str) -> Alert | None:
        """The state and the accepted events of one dedup key (all its alerts)."""
        with self._lock:
            record = self._alerts.get(dedup_key)
            return None if record is None else Alert(record.state, tuple(record.events))

    def rate_limit(self, n: int, retry_after: float | None = None) -> None:
        """Answer the next ``n`` requests 429, with ``Retry-After: retry_after`` if given."""
        headers = [] if retry_after is None else [("Retry-After", _number(retry_after))]
        body = {
            "status": "throttle event",
            "message": "Requests for this service are arriving too quickly. Please retry later.",
        }
        self._arm(n, 429, _json_body(body), headers)

    def fail(
        self,
        n: int,
        status: int = 500,
        *,
        body: str | bytes | Mapping[str, Any] | None = None,
        content_type: str = "application/json",
        retry_after: float | None = None,
    ) -> None:
        """Answer the next ``n`` requests with ``status`` (and ``body``, else a JSON
        error in the API's error shape)."""
        if body is None:
            payload = _json_body({"status": "error", "message": f"HTTP {status}: the stand-in was told to fail"})
        elif isinstance(body, Mapping):
            payload = _json_body(body)
        else:
            payload = body.encode() if isinstance(body, str) else body
        headers = [] if retry_after is None else [("Retry-After", _number(retry_after))]
        self._arm(n, status, payload, headers, content_type)

    # ---------------------------------------------------------------- request handling

    def _arm(
        self,
        n: int,
        status: int,
        body: bytes,
        headers: list[tuple[str, str]],
        content_type: str = "application/json",
    ) -> None:
        if n < 1:
            raise ValueError("n must be at least 1")
        reply = _Reply(status, [("Content-Type", content_type), *headers], body)
        with self._lock:
            self._faults.append(_Fault(n, reply))

    def _answer(self, method: str, path: str, headers: Any, raw: bytes) -> _Reply:
        with self._lock:
            fault = None
            if self._faults:
                fault = self._faults[0]
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.pop(0)
            if fault is not None:
                reply = fault.reply
            else:
                try:
                    reply = self._dispatch(method, path, raw)
                except Exception:  # noqa: BLE001 -- a bug in the stand-in: a 500 that says where
                    reply = _reply(500, {"status": "stand-in error", "message": traceback.format_exc()})
            self._requests.append(ReceivedRequest(method, path, raw, dict(headers.items()), reply.status))
            return reply

    def _dispatch(self, method: str, path: str, raw: bytes) -> _Reply:
        """Everything after fault injection; runs under the lock."""
        if path.split("?", 1)[0] != ENQUEUE_PATH:
            return _reply(404, {"status": "not found", "message": f"no such endpoint: {path}"})
        if method != "POST":
            return _reply(405, {"status": "method not allowed", "message": "use POST"}, [("Allow", "POST")])
        try:
            event = json.loads(raw)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            return _reply(
                400,
                {
                    "status": "Unrecognized object",
                    "message": "Event object format is unrecognized",
                    "errors": ["JSON parse error"],
                },
            )
        errors = self._validate(event)
        if errors:
            return _reply(400, {"status": "invalid event", "message": "Event object is invalid", "errors": errors})
        key = event.get("dedup_key") or uuid.uuid4().hex
        self._apply(event["event_action"], key, event)
        return _reply(202, {"status": "success", "message": "Event processed", "dedup_key": key})

    def _validate(self, event: dict[str, Any]) -> list[str]:
        errors: list[str] = []
        routing_key = event.get("routing_key")
        if not isinstance(routing_key, str) or not routing_key:
            errors.append("'routing_key' is missing or blank")
        elif len(routing_key) != ROUTING_KEY_LENGTH:
            errors.append("Length of 'routing_key' is incorrect (should be 32 characters)")
        elif self._routing_keys is not None and routing_key not in self._routing_keys:
            errors.append("Invalid routing key")
        action = event.get("event_action")
        if not isinstance(action, str) or not action:
            errors.append("'event_action' is missing or blank")
        elif action not in ACTIONS:
            errors.append(
                "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')"
            )
        key = event.get("dedup_key")
        if key is not None and not isinstance(key, str):
            errors.append("'dedup_key' must be a string")
        elif isinstance(key, str) and len(key) > DEDUP_KEY_LIMIT:
            errors.append("'dedup_key' is too long (maximum is 255 characters)")
        elif action in ("acknowledge", "resolve") and not key:
            errors.append("'dedup_key' is missing or blank")
        if action == "trigger":
            errors.extend(_payload_errors(event.get("payload")))
        return errors

    def _apply(self, action: str, key: str, event: dict[str, Any]) -> None:
        """An accepted event's effect on the alert of its dedup key."""
        self._events.append(event)
        record = self._alerts.get(key)
        if action == "trigger":
            if record is None:
                record = self._alerts[key] = _AlertRecord("triggered")
            elif record.state == "resolved":
                record.state = "triggered"  # a new alert under the same key
            record.events.append(event)
            return
        if record is None or record.state == "resolved":
            return  # accepted, and dropped: there is no open alert to apply it to
        record.state = "acknowledged" if action == "acknowledge" else "resolved"
        record.events.append(event)


def _payload_errors(payload: Any) -> list[str]:
    if payload is None:
        return ["'payload' is missing or blank"]
    if not isinstance(payload, dict):
        return ["'payload' must be an object"]
    errors: list[str] = []
    for name in ("summary", "source", "severity"):
        value = payload.get(name)
        if not isinstance(value, str) or not value.strip():
            errors.append(f"'payload.{name}' is missing or blank")
    summary = payload.get("summary")
    if isinstance(summary, str) and len(summary) > SUMMARY_LIMIT:
        errors.append("'payload.summary' is too long (maximum is 1024 characters)")
    severity = payload.get("severity")
    if isinstance(severity, str) and severity.strip() and severity not in SEVERITIES:
        errors.append(
            "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')"
        )
    return errors


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _json_body(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value).encode()


def _reply(status: int, body: Mapping[str, Any], headers: list[tuple[str, str]] | None = None) -> _Reply:
    return _Reply(status, [("Content-Type", "application/json"), *(headers or [])], _json_body(body))


@dataclass(frozen=True)
class _Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class _Fault:
    remaining: int
    reply: _Reply


@dataclass
class _AlertRecord:
    state: str
    events: list[dict[str, Any]] = field(default_factory=list)


