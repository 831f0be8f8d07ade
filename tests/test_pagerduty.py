"""The PagerDuty Events API v2 client against the protocol stand-in, over real HTTP.

Waits between attempts go through an injected ``sleep`` that records them, so the retry
tests take no real time and can check each wait.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from obsconsole.model import SourceError
from obsconsole.sources.pagerduty import PagerDuty, dedup_key
from tests.standins.pagerduty import ROUTING_KEY, PagerDutyStandin, start_pagerduty


@pytest.fixture
def standin() -> Iterator[PagerDutyStandin]:
    with start_pagerduty() as pd:
        yield pd


class Sleeps:
    """A ``sleep`` that records each wait and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def client(url: str, sleeps: Sleeps, routing_key: str = ROUTING_KEY, **kwargs: Any) -> PagerDuty:
    return PagerDuty(routing_key, url=url, timeout_s=5.0, sleep=sleeps, **kwargs)


def test_the_dedup_key_of_an_incident_names_it() -> None:
    assert dedup_key(42) == "obsconsole-incident-42"


async def test_trigger_acknowledge_resolve_move_the_incident_through_its_states(
    standin: PagerDutyStandin, sleeps: Sleeps
) -> None:
    async with client(standin.url, sleeps) as pd:
        assert standin.state("obsconsole-incident-42") is None

        triggered = await pd.send("trigger", "obsconsole-incident-42", summary="api: error rate 12%", severity="high")
        assert triggered.dedup_key == "obsconsole-incident-42"
        assert triggered.message == "Event processed"
        assert triggered.attempts == 1
        assert standin.state("obsconsole-incident-42") == "triggered"

        acked = await pd.send("acknowledge", "obsconsole-incident-42")
        assert (acked.dedup_key, acked.message, acked.attempts) == ("obsconsole-incident-42", "Event processed", 1)
        assert standin.state("obsconsole-incident-42") == "acknowledged"

        resolved = await pd.send("resolve", "obsconsole-incident-42")
        assert (resolved.dedup_key, resolved.attempts) == ("obsconsole-incident-42", 1)
        assert standin.state("obsconsole-incident-42") == "resolved"
    assert [e["event_action"] for e in standin.events] == ["trigger", "acknowledge", "resolve"]
    assert sleeps.waits == []


async def test_a_trigger_carries_the_mapped_severity_and_the_dedup_key(
    standin: PagerDutyStandin, sleeps: Sleeps
) -> None:
    async with client(standin.url, sleeps) as pd:
        await pd.send(
            "trigger",
            "obsconsole-incident-7",
            summary="checkout: p99 latency 2.3 s",
            severity="high",
            source="aigym-prod",
            custom_details={"service": "checkout", "alerts": 3},
        )
        await pd.send("acknowledge", "obsconsole-incident-7")
    assert [r.json() for r in standin.requests] == [
        {
            "routing_key": "0123456789abcdef0123456789abcdef",
            "event_action": "trigger",
            "dedup_key": "obsconsole-incident-7",
            "payload": {
                "summary": "checkout: p99 latency 2.3 s",
                "source": "aigym-prod",
                "severity": "error",
                "custom_details": {"service": "checkout", "alerts": 3},
            },
        },
        {
            "routing_key": "0123456789abcdef0123456789abcdef",
            "event_action": "acknowledge",
            "dedup_key": "obsconsole-incident-7",
        },
    ]
    assert standin.requests[0].headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [("critical", "critical"), ("high", "error"), ("medium", "warning"), ("low", "info"), ("info", "info")],
)
async def test_each_of_our_severities_reaches_pagerduty_as_one_of_its_four(
    standin: PagerDutyStandin, sleeps: Sleeps, ours: str, theirs: str
) -> None:
    async with client(standin.url, sleeps) as pd:
        await pd.send("trigger", "obsconsole-incident-1", summary="disk full", severity=ours)
    assert standin.events[0]["payload"]["severity"] == theirs


async def test_a_trigger_without_a_dedup_key_gets_the_one_pagerduty_made(
    standin: PagerDutyStandin, sleeps: Sleeps
) -> None:
    async with client(standin.url, sleeps) as pd:
        result = await pd.send("trigger", "", summary="disk full")
    assert "dedup_key" not in standin.events[0]
    assert len(result.dedup_key) == 32
    assert standin.state(result.dedup_key) == "triggered"


async def test_the_result_carries_the_key_pagerduty_answered_with(standin: PagerDutyStandin, sleeps: Sleeps) -> None:
    standin.fail(1, status=202, body={"status": "success", "message": "Event processed", "dedup_key": "srv01/HTTP"})
    standin.fail(1, status=202, body={"status": "success", "message": "Event processed"})
    async with client(standin.url, sleeps) as pd:
        answered = await pd.send("trigger", "obsconsole-incident-4", summary="disk full")
        unsaid = await pd.send("resolve", "obsconsole-incident-4")
    assert answered.dedup_key == "srv01/HTTP"
    assert unsaid.dedup_key == "obsconsole-incident-4"  # no key in the answer: the one sent


async def test_an_invalid_event_is_one_refusal_with_pagerdutys_reasons_sent_once(
    standin: PagerDutyStandin, sleeps: Sleeps
) -> None:
    async with client(standin.url, sleeps, routing_key="R0UT1NG") as pd:
        with pytest.raises(SourceError) as raised:
            await pd.send("trigger", "obsconsole-incident-3", summary="disk full")
    assert raised.value.kind == "refused"
    assert raised.value.message == (
        "PagerDuty refused the event: Event object is invalid: "
        "Length of 'routing_key' is incorrect (should be 32 characters)"
    )
    assert [r.status for r in standin.requests] == [400]
    assert sleeps.waits == []


async def test_rate_limited_twice_then_accepted_waits_as_retry_after_asks(
    standin: PagerDutyStandin, sleeps: Sleeps
) -> None:
    standin.rate_limit(2, retry_after=7)
    async with client(standin.url, sleeps) as pd:
        result = await pd.send("trigger", "obsconsole-incident-5", summary="disk full")
    assert result.attempts == 3
    assert result.dedup_key == "obsconsole-incident-5"
    assert sleeps.waits == [7.0, 7.0]
    assert [r.status for r in standin.requests] == [429, 429, 202]
    assert standin.state("obsconsole-incident-5") == "triggered"


async def test_a_long_retry_after_is_capped_at_max_wait(standin: PagerDutyStandin, sleeps: Sleeps) -> None:
    standin.rate_limit(1, retry_after=600)
    async with client(standin.url, sleeps, max_wait_s=30.0) as pd:
        result = await pd.send("resolve", "obsconsole-incident-5")
    assert result.attempts == 2
    assert sleeps.waits == [30.0]


async def test_rate_limited_for_good_gives_up_after_every_retry_saying_so(
    standin: PagerDutyStandin, sleeps: Sleeps
) -> None:
    standin.rate_limit(100)  # no Retry-After: backoff 1, 2, 4 s
    async with client(standin.url, sleeps, retries=3) as pd:
        with pytest.raises(SourceError) as raised:
            await pd.send("trigger", "obsconsole-incident-5", summary="disk full")
    assert raised.value.kind == "refused"
    assert raised.value.message == "PagerDuty rate limited the event: gave up after 4 attempts"
    assert len(standin.requests) == 4
    assert sleeps.waits == [1.0, 2.0, 4.0]
    assert standin.events == []


async def test_server_errors_are_retried_and_then_reported_as_a_bad_answer(
    standin: PagerDutyStandin, sleeps: Sleeps
) -> None:
    standin.fail(2, status=503)
    async with client(standin.url, sleeps, retries=1) as pd:
        with pytest.raises(SourceError) as raised:
            await pd.send("trigger", "obsconsole-incident-6", summary="disk full")
        recovered = await pd.send("trigger", "obsconsole-incident-6", summary="disk full")
    assert raised.value.kind == "bad_response"
    assert raised.value.message == f"PagerDuty at {standin.url}: HTTP 503: gave up after 2 attempts"
    assert recovered.attempts == 1
    assert [r.status for r in standin.requests] == [503, 503, 202]
    assert sleeps.waits == [1.0]


async def test_a_refused_routing_key_is_an_auth_error_tried_once(standin: PagerDutyStandin, sleeps: Sleeps) -> None:
    standin.fail(1, status=403)
    async with client(standin.url, sleeps) as pd:
        with pytest.raises(SourceError) as raised:
            await pd.send("acknowledge", "obsconsole-incident-8")
    assert raised.value.kind == "auth"
    assert len(standin.requests) == 1
    assert sleeps.waits == []


async def test_an_accepted_status_without_the_apis_json_is_a_bad_answer(
    standin: PagerDutyStandin, sleeps: Sleeps
) -> None:
    standin.fail(1, status=202, body="<html>portal login</html>", content_type="text/html")
    async with client(standin.url, sleeps) as pd:
        with pytest.raises(SourceError) as raised:
            await pd.send("resolve", "obsconsole-incident-8")
    assert raised.value.kind == "bad_response"
    assert raised.value.message == (
        f"PagerDuty at {standin.url}: HTTP 202 without the API's JSON answer: <html>portal login</html>"
    )


async def test_the_routing_key_never_appears_in_an_error(standin: PagerDutyStandin, sleeps: Sleeps) -> None:
    key = "0123456789abcdef0123456789abcdef"
    # a proxy or gateway that echoes what it was sent
    standin.fail(1, status=400, body={"message": f"bad key {key}", "errors": [f"routing_key={key}"]})
    standin.fail(1, status=404, body=f"no route for {key}")
    standin.fail(1, status=403, body=f"forbidden: {key}")
    standin.fail(2, status=502, body=f"upstream refused {key}")
    standin.rate_limit(2)
    messages: list[str] = []
    async with client(standin.url, sleeps, routing_key=key, retries=1) as pd:
        for _ in range(5):
            with pytest.raises(SourceError) as raised:
                await pd.send("trigger", "obsconsole-incident-9", summary="disk full")
            messages.append(str(raised.value))
        assert key not in repr(pd)
    assert messages[0] == "refused: PagerDuty refused the event: bad key [routing key]: routing_key=[routing key]"
    assert messages[1] == f"bad_response: PagerDuty at {standin.url}: unexpected HTTP 404: no route for [routing key]"
    assert all(key not in m for m in messages), messages
    assert len(standin.requests) == 7


async def test_a_closed_port_is_unreachable_at_once() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    url = f"http://127.0.0.1:{port}/v2/enqueue"
    sleeps = Sleeps()
    async with client(url, sleeps) as pd:
        with pytest.raises(SourceError) as raised:
            await pd.send("trigger", "obsconsole-incident-10", summary="disk full")
    assert raised.value.kind == "unreachable"
    assert raised.value.message == f"PagerDuty at {url}: cannot connect (refused, or the host is down)"
    assert sleeps.waits == []


@pytest.mark.parametrize(
    ("action", "key", "kwargs"),
    [
        ("snooze", "obsconsole-incident-11", {}),
        ("Trigger", "obsconsole-incident-11", {"summary": "disk full"}),
        ("resolve", "", {}),
        ("trigger", "obsconsole-incident-11", {"summary": "disk full", "severity": "urgent"}),
        ("trigger", "obsconsole-incident-11", {"summary": "   "}),
        ("trigger", "obsconsole-incident-11", {"summary": "disk full", "custom_details": {("a", "b"): 1}}),
    ],
)
async def test_a_bad_event_is_a_value_error_and_nothing_is_sent(
    standin: PagerDutyStandin, sleeps: Sleeps, action: str, key: str, kwargs: dict[str, Any]
) -> None:
    async with client(standin.url, sleeps) as pd:
        with pytest.raises(ValueError):
            await pd.send(action, key, **kwargs)
    assert standin.requests == []


async def test_a_hostile_summary_is_sent_cut_to_pagerdutys_limit(standin: PagerDutyStandin, sleeps: Sleeps) -> None:
    # terminal escapes, a line break, a lone surrogate (not encodable as UTF-8), then 5000 characters
    hostile = "\x1b[2J\x1b]0;owned\x07\r\n\ud800" + "A" * 5000
    async with client(standin.url, sleeps) as pd:
        result = await pd.send("trigger", "obsconsole-incident-12", summary=hostile)
    summary = standin.events[0]["payload"]["summary"]
    assert len(summary) == 1024
    # 17 characters of escapes, line break and surrogate, 1006 of text, and the ellipsis
    assert summary == "\x1b[2J\x1b]0;owned\x07\r\n\ud800" + "A" * 1006 + "…"
    assert result.attempts == 1


async def test_a_short_summary_is_sent_as_it_is(standin: PagerDutyStandin, sleeps: Sleeps) -> None:
    exactly = "B" * 1024
    async with client(standin.url, sleeps) as pd:
        await pd.send("trigger", "obsconsole-incident-13", summary=exactly)
    assert standin.events[0]["payload"]["summary"] == "B" * 1024


# ---------------------------------------------------------------- the stand-in itself
# Checked with plain httpx against the documented API, so the tests above cannot pass
# only because the stand-in accepts whatever the client sends.


@pytest.mark.parametrize(
    ("event", "errors"),
    [
        (
            {"routing_key": "0123456789abcdef0123456789abcdef", "event_action": "trigger", "payload": {}},
            [
                "'payload.summary' is missing or blank",
                "'payload.source' is missing or blank",
                "'payload.severity' is missing or blank",
            ],
        ),
        (
            {
                "routing_key": "0123456789abcdef0123456789abcdef",
                "event_action": "trigger",
                "payload": {"summary": "disk full", "source": "db1", "severity": "high"},
            },
            [
                (
                    "'payload.severity' is invalid (must be one of the following: "
                    "'critical', 'warning', 'error' or 'info')"
                )
            ],
        ),
        (
            {"routing_key": "0123456789abcdef0123456789abcdef", "event_action": "resolve"},
            ["'dedup_key' is missing or blank"],
        ),
        (
            {"routing_key": "0123456789abcdef0123456789abcdef", "event_action": "snooze", "dedup_key": "k"},
            ["'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')"],
        ),
        (
            {"event_action": "acknowledge", "dedup_key": "k"},
            ["'routing_key' is missing or blank"],
        ),
    ],
)
def test_the_standin_refuses_an_invalid_event_as_pagerduty_does(
    standin: PagerDutyStandin, event: dict[str, Any], errors: list[str]
) -> None:
    answer = httpx.post(standin.url, json=event)
    assert answer.status_code == 400
    assert answer.json() == {"status": "invalid event", "message": "Event object is invalid", "errors": errors}
    assert standin.events == []


def test_the_standin_refuses_a_body_that_is_not_json(standin: PagerDutyStandin) -> None:
    answer = httpx.post(standin.url, content=b"{not json", headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json() == {
        "status": "Unrecognized object",
        "message": "Event object format is unrecognized",
        "errors": ["JSON parse error"],
    }


def test_the_standin_drops_events_for_no_open_alert_and_reopens_after_resolve(standin: PagerDutyStandin) -> None:
    base = {"routing_key": "0123456789abcdef0123456789abcdef", "dedup_key": "srv01/HTTP"}
    trigger = {**base, "event_action": "trigger", "payload": {"summary": "s", "source": "db1", "severity": "info"}}
    answers = [
        httpx.post(standin.url, json={**base, "event_action": "acknowledge"}),  # nothing open: accepted, dropped
        httpx.post(standin.url, json=trigger),
        httpx.post(standin.url, json={**base, "event_action": "acknowledge"}),
        httpx.post(standin.url, json=trigger),  # an acknowledged alert stays acknowledged
    ]
    assert [a.status_code for a in answers] == [202, 202, 202, 202]
    assert answers[0].json() == {"status": "success", "message": "Event processed", "dedup_key": "srv01/HTTP"}
    assert standin.state("srv01/HTTP") == "acknowledged"
    httpx.post(standin.url, json={**base, "event_action": "resolve"})
    assert standin.state("srv01/HTTP") == "resolved"
    httpx.post(standin.url, json=trigger)
    assert standin.state("srv01/HTTP") == "triggered"


def test_the_standin_rate_limits_with_and_without_retry_after(standin: PagerDutyStandin) -> None:
    standin.rate_limit(1, retry_after=5)
    standin.rate_limit(1)
    first, second = httpx.post(standin.url, json={}), httpx.post(standin.url, json={})
    assert (first.status_code, first.headers.get("Retry-After")) == (429, "5")
    assert (second.status_code, second.headers.get("Retry-After")) == (429, None)
    assert httpx.post(standin.url, json={}).status_code == 400  # the faults are used up
