"""The backends' answer parsers (obsconsole/sources/*.py): literal answer bodies shaped
like the documented APIs → the model values the panes show, written out by hand.

No server, no Textual: these are the fast tests mutmut runs against the parsers (the
transport around them is fenced out of mutation and exercised against real servers and
stand-ins by tests/test_{alertmanager,prometheus}_stack.py, test_elasticsearch.py,
test_wazuh.py and test_pagerduty.py).
"""

from __future__ import annotations

import asyncio
import os
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest

from obsconsole.config import AlertmanagerBackend, LogFields
from obsconsole.model import (
    Alert,
    AlertState,
    BurnWindow,
    HostGauge,
    LogBucket,
    LogEvent,
    LogLevel,
    LogQuery,
    Matcher,
    SecurityEvent,
    SecurityTop,
    SecurityView,
    ServiceErrors,
    ServiceLatency,
    Severity,
    Silence,
    SLODefinition,
    SLOMeasurement,
    SourceError,
)
from obsconsole.sources import alertmanager as am
from obsconsole.sources import elasticsearch as es
from obsconsole.sources import pagerduty as pd
from obsconsole.sources import prometheus as prom
from obsconsole.sources import wazuh as wz
from tests import tz

UTC = timezone.utc
#: 2024-05-01 12:00:00 UTC, and the same instant in epoch seconds / milliseconds
NOON = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
NOON_S = 1714564800
NOON_MS = 1714564800000


@pytest.fixture
def far_from_utc() -> Iterator[None]:
    """Local time at +05:30 for one test: a conversion that forgets the zone shows
    (the machines running the suite are usually on UTC)."""
    before = os.environ.get("TZ")
    tz._set_tz("IST-5:30")
    try:
        yield
    finally:
        tz._set_tz(before)


def raises(kind: str, message: str):
    """pytest.raises for a SourceError of this kind and exact message."""

    class _Check:
        def __enter__(self) -> None:
            self._ctx = pytest.raises(SourceError)
            self._info = self._ctx.__enter__()

        def __exit__(self, *exc: object) -> bool:
            handled = self._ctx.__exit__(*exc)
            assert (self._info.value.kind, self._info.value.message) == (kind, message)
            return handled

    return _Check()


# =========================================================================== Alertmanager

A = "http://am-a:9093"
B = "http://am-b:9093"

#: a GettableAlert of GET /api/v2/alerts, silenced on the instance that answered
GETTABLE_ALERT = {
    "annotations": {"summary": "5xx above 5 % for 10 min", "runbook": "rb-checkout"},
    "endsAt": "2024-05-01T12:15:00.000Z",
    "fingerprint": "3f2a9c0d1e4b5a67",
    "receivers": [{"name": "oncall"}],
    "startsAt": "2024-05-01T11:58:30.123456789Z",
    "status": {"inhibitedBy": [], "silencedBy": ["5c1e-silence"], "state": "suppressed"},
    "updatedAt": "2024-05-01T12:00:00.000Z",
    "generatorURL": "http://prometheus:9090/graph?g0.expr=...",
    "labels": {
        "alertname": "HighErrorRate",
        "severity": "warning",
        "category": "availability",
        "service": "checkout",
        "job": "checkout-api",
        "replicas": 3,
    },
}

#: the same alert as an instance without the silence reports it
ACTIVE_COPY = {**GETTABLE_ALERT, "status": {"inhibitedBy": [], "silencedBy": [], "state": "active"}}

#: a GettableSilence of GET /api/v2/silences
GETTABLE_SILENCE = {
    "id": "5c1e-silence",
    "status": {"state": "active"},
    "updatedAt": "2024-05-01T11:59:00.000Z",
    "comment": "deploying the pool fix",
    "createdBy": "alice",
    "endsAt": "2024-05-01T14:00:00.000Z",
    "startsAt": "2024-05-01T12:00:00+02:00",
    "matchers": [
        {"name": "service", "value": "checkout", "isRegex": False, "isEqual": True},
        {"name": "env", "value": "stag.*", "isRegex": True, "isEqual": False},
        {"name": "alertname", "value": "HighErrorRate"},
    ],
}

SILENCED_ALERT = Alert(
    fingerprint="3f2a9c0d1e4b5a67",
    name="HighErrorRate",
    severity=Severity.MEDIUM,
    category="availability",
    service="checkout",
    starts_at=datetime(2024, 5, 1, 11, 58, 30, 123456, tzinfo=UTC),
    labels={"alertname": "HighErrorRate", "severity": "warning", "category": "availability",
            "service": "checkout", "job": "checkout-api", "replicas": "3"},
    annotations={"summary": "5xx above 5 % for 10 min", "runbook": "rb-checkout"},
    state="suppressed",
    silenced_by=("5c1e-silence",),
    origins=(A,),
)

SILENCE = Silence(
    id="5c1e-silence",
    matchers=(
        Matcher("service", "checkout", False, True),
        Matcher("env", "stag.*", True, False),
        Matcher("alertname", "HighErrorRate", False, True),
    ),
    starts_at=datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
    ends_at=datetime(2024, 5, 1, 14, 0, tzinfo=UTC),
    created_by="alice",
    comment="deploying the pool fix",
    state="active",
    origins=(A,),
)


def test_an_alert_and_a_silence_read_as_alertmanager_wrote_them() -> None:
    alerts, silences = am.read_answers([GETTABLE_ALERT], [GETTABLE_SILENCE], A, "service")
    assert alerts == [SILENCED_ALERT]
    assert silences == [SILENCE]


def test_the_service_is_the_configured_label_else_job_else_unknown() -> None:
    labels = {"alertname": "X", "app": "cart", "job": "cart-api"}
    raw = {"fingerprint": "f1", "startsAt": "2024-05-01T12:00:00Z", "labels": labels}
    assert am.read_answers([raw], [], A, "app")[0][0].service == "cart"
    assert am.read_answers([raw], [], A, "service")[0][0].service == "cart-api"
    bare = {**raw, "labels": {"alertname": "X"}}
    assert am.read_answers([bare], [], A, "service")[0][0].service == "unknown"


def test_an_alert_with_only_the_required_fields_gets_the_defaults() -> None:
    raw = {"fingerprint": 42, "startsAt": "2024-05-01T12:00:00Z", "labels": None, "annotations": None}
    alerts, _ = am.read_answers([raw], [], B, "service")
    assert alerts == [Alert(
        fingerprint="42", name="unnamed", severity=Severity.INFO, category="uncategorised",
        service="unknown", starts_at=NOON, labels={}, annotations={}, state="active",
        silenced_by=(), origins=(B,),
    )]


def test_a_silence_with_only_the_required_fields_gets_the_defaults() -> None:
    raw = {"id": 7, "startsAt": "2024-05-01T12:00:00Z", "endsAt": "2024-05-01T13:00:00Z"}
    assert am.read_answers([], [raw], B, "service")[1] == [Silence(
        id="7", matchers=(), starts_at=NOON, ends_at=datetime(2024, 5, 1, 13, 0, tzinfo=UTC),
        created_by="", comment="", state="active", origins=(B,),
    )]


def test_an_expired_silence_says_so() -> None:
    raw = {**GETTABLE_SILENCE, "status": {"state": "expired"}}
    assert am.read_answers([], [raw], A, "service")[1][0].state == "expired"


def test_an_answer_that_is_not_two_lists_is_a_bad_response() -> None:
    for alerts, silences in (({"data": []}, []), ([], None)):
        with raises("bad_response", f"alertmanager at {A}: expected JSON lists"):
            am.read_answers(alerts, silences, A, "service")


@pytest.mark.parametrize(("alerts", "silences", "why"), [
    ([{"startsAt": "2024-05-01T12:00:00Z"}], [], "KeyError: 'fingerprint'"),
    ([{"fingerprint": "f", "startsAt": 1714564800}], [], "ValueError: not a time: 1714564800"),
    ([{"fingerprint": "f", "startsAt": "yesterday"}], [], "ValueError: Invalid isoformat string: 'yesterday'"),
    (["f"], [], "AttributeError: 'str' object has no attribute 'get'"),
    ([], [{"id": "s", "startsAt": "2024-05-01T12:00:00Z", "endsAt": "2024-05-01T13:00:00Z",
           "matchers": [{"name": "a"}]}], "KeyError: 'value'"),
    ([{"fingerprint": "f", "startsAt": "2024-05-01T12:00:00Z", "labels": ["a"]}], [],
     "AttributeError: 'list' object has no attribute 'items'"),
    ([{"fingerprint": "f", "startsAt": "2024-05-01T12:00:00Z", "status": {"silencedBy": 3}}], [],
     "TypeError: 'int' object is not iterable"),
])
def test_an_alert_or_silence_of_another_shape_is_a_bad_response_naming_why(alerts, silences, why) -> None:
    with raises("bad_response", f"alertmanager at {A}: unexpected alert or silence shape ({why})"):
        am.read_answers(alerts, silences, A, "service")


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-05-01T12:00:00Z", NOON),
    (" 2024-05-01T12:00:00.5Z\n", datetime(2024, 5, 1, 12, 0, 0, 500000, tzinfo=UTC)),
    ("2024-05-01T14:00:00.123456789+02:00", datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)),
    ("2024-05-01T12:00:00", NOON),  # no zone: UTC
    ("2024-05-01T07:00:00-05:00", NOON),
])
@pytest.mark.usefixtures("far_from_utc")
def test_alertmanager_times_become_utc(text: str, expected: datetime) -> None:
    parsed = am.parse_time(text)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.usefixtures("far_from_utc")
def test_a_silence_time_is_sent_in_utc_with_milliseconds() -> None:
    local = datetime(2024, 5, 1, 14, 0, 0, 987654, tzinfo=timezone(timedelta(hours=2)))
    assert am.format_time(local) == "2024-05-01T12:00:00.987Z"


def test_peers_of_one_cluster_share_a_key_and_an_unclustered_instance_is_its_own() -> None:
    assert am.cluster_key(AlertmanagerBackend(A, cluster="eu")) == "eu"
    assert am.cluster_key(AlertmanagerBackend(A)) == A


def test_a_silence_on_one_of_two_unclustered_instances_is_not_an_ack() -> None:
    backends = [AlertmanagerBackend(A), AlertmanagerBackend(B)]
    a = am.read_answers([GETTABLE_ALERT], [GETTABLE_SILENCE], A, "service")
    b = am.read_answers([ACTIVE_COPY], [], B, "service")
    state = am.state_from(backends, [a, b])
    assert len(state.alerts) == 1
    alert = state.alerts[0]
    assert (alert.state, alert.silenced_by, alert.origins) == ("active", ("5c1e-silence",), (A, B))
    assert state.silences == (SILENCE,)
    assert state.peers_down == ()


def test_an_alert_silenced_on_every_instance_is_suppressed() -> None:
    backends = [AlertmanagerBackend(A), AlertmanagerBackend(B)]
    other = {**GETTABLE_ALERT, "status": {"silencedBy": ["other-id"], "state": "suppressed"}}
    a = am.read_answers([GETTABLE_ALERT], [], A, "service")
    b = am.read_answers([other], [], B, "service")
    alert, = am.state_from(backends, [a, b]).alerts
    assert (alert.state, alert.silenced_by, alert.origins) == ("suppressed", ("5c1e-silence", "other-id"), (A, B))
    # the rest is the first copy's
    assert (alert.name, alert.service, alert.starts_at) == ("HighErrorRate", "checkout", SILENCED_ALERT.starts_at)


def test_alerts_are_merged_by_fingerprint_in_the_order_first_seen() -> None:
    backends = [AlertmanagerBackend(A), AlertmanagerBackend(B)]
    second = {**ACTIVE_COPY, "fingerprint": "0000second"}
    a = am.read_answers([GETTABLE_ALERT], [], A, "service")
    b = am.read_answers([second, ACTIVE_COPY], [], B, "service")
    state = am.state_from(backends, [a, b])
    assert [x.fingerprint for x in state.alerts] == ["3f2a9c0d1e4b5a67", "0000second"]
    assert [x.origins for x in state.alerts] == [(A, B), (B,)]
    # an alert only one instance reports is that instance's, unchanged
    assert state.alerts[1].state == "active"


def test_a_silence_is_listed_once_per_cluster() -> None:
    c = "http://am-c:9093"
    backends = [AlertmanagerBackend(A, cluster="eu"), AlertmanagerBackend(B, cluster="eu"), AlertmanagerBackend(c)]
    results = [am.read_answers([], [GETTABLE_SILENCE], url, "service") for url in (A, B, c)]
    state = am.state_from(backends, results)
    assert [s.origins for s in state.silences] == [(A,), (c,)]
    assert state.alerts == ()


def test_an_instance_that_is_down_is_named_and_the_others_still_show() -> None:
    backends = [AlertmanagerBackend(A), AlertmanagerBackend(B)]
    down = SourceError("unreachable", f"alertmanager at {A}: connection refused")
    b = am.read_answers([ACTIVE_COPY], [], B, "service")
    state = am.state_from(backends, [down, b])
    assert state.peers_down == (f"alertmanager at {A}: connection refused",)
    assert [x.origins for x in state.alerts] == [(B,)]


def test_a_bug_in_one_instance_read_is_named_as_internal() -> None:
    backends = [AlertmanagerBackend(A), AlertmanagerBackend(B)]
    state = am.state_from(backends, [RuntimeError("boom"), ([], [])])
    assert state == AlertState((), (), (f"alertmanager at {A}: RuntimeError: boom",))


def test_when_the_only_instance_is_down_its_own_error_is_raised() -> None:
    with raises("timeout", "alertmanager at A: no answer"):
        am.state_from([AlertmanagerBackend(A)], [SourceError("timeout", "alertmanager at A: no answer")])
    with raises("internal", f"alertmanager at {A}: KeyError: 'labels'"):
        am.state_from([AlertmanagerBackend(A)], [KeyError("labels")])


def test_when_every_instance_is_down_one_error_names_them_all() -> None:
    backends = [AlertmanagerBackend(A), AlertmanagerBackend(B)]
    errors = [SourceError("auth", "a: HTTP 401"), SourceError("unreachable", "b: refused")]
    with raises("auth", "every Alertmanager is down: a: HTTP 401; b: refused"):
        am.state_from(backends, errors)


def test_the_id_of_a_created_silence() -> None:
    assert am.created_id({"silenceID": "7f3b"}) == "7f3b"
    assert am.created_id({}) is None
    assert am.created_id(None) is None
    assert am.created_id(["7f3b"]) is None


# =========================================================================== Prometheus


def vector(label: str, *rows: tuple[str, object]) -> list[dict]:
    """An instant vector (/api/v1/query, resultType vector) with one sample per label value."""
    return [{"metric": {"__name__": "x", label: name}, "value": [NOON_S, value]} for name, value in rows]


def test_host_gauges_from_the_four_vectors_and_the_cpu_matrix() -> None:
    cpu = vector("instance", ("web-2:9100", "12.5"), ("db-1:9100", "NaN"))
    mem = vector("instance", ("web-2:9100", "61"), ("db-1:9100", "88.25"))
    disk = vector("instance", ("web-2:9100", "+Inf"), ("db-1:9100", "40"))
    net = vector("instance", ("db-1:9100", "1.5e6"))
    history = [
        {"metric": {"instance": "web-2:9100"},
         "values": [[NOON_S - 30, "10"], [NOON_S - 15, "NaN"], [NOON_S, "12.5"]]},
        {"metric": {"instance": "db-1:9100"}, "values": []},
    ]
    assert prom.hosts_from(cpu, mem, disk, net, history) == (
        HostGauge(host="db-1", cpu_pct=None, mem_pct=88.25, disk_pct=40.0, net_bytes_per_s=1500000.0, cpu_history=()),
        HostGauge(host="web-2", cpu_pct=12.5, mem_pct=61.0, disk_pct=None, net_bytes_per_s=None,
                  cpu_history=(10.0, 0.0, 12.5)),
    )


def test_a_series_without_an_instance_label_is_one_host_with_its_history() -> None:
    cpu = [{"metric": {}, "value": [NOON_S, "5"]}]
    history = [{"metric": {}, "values": [[NOON_S, "5"]]}, {"metric": {"instance": "gone:9100"}}]
    assert prom.hosts_from(cpu, [], [], [], history) == (HostGauge("", 5.0, None, None, None, (5.0,)),)


def test_a_host_only_one_vector_knows_is_shown_with_the_rest_empty() -> None:
    hosts = prom.hosts_from([], [], vector("instance", ("nas:9100", "97")), [], [])
    assert hosts == (HostGauge("nas", None, None, 97.0, None, ()),)


def test_ports_are_kept_when_two_exporters_share_a_host() -> None:
    cpu = vector("instance", ("web-1:9100", "1"), ("web-1:9101", "2"), ("[::1]:9100", "3"))
    assert [h.host for h in prom.hosts_from(cpu, [], [], [], [])] == ["[::1]:9100", "web-1:9100", "web-1:9101"]


def test_an_ipv6_host_loses_its_port_but_not_its_brackets() -> None:
    cpu = vector("instance", ("[::1]:9100", "1"), ("[fe80::2]", "2"), ("db", "3"))
    assert [h.host for h in prom.hosts_from(cpu, [], [], [], [])] == ["[::1]", "[fe80::2]", "db"]


@pytest.mark.parametrize(("sample", "shown"), [
    ({"value": [NOON_S, "0.5"]}, 0.5),
    ({"value": [NOON_S, "0"]}, 0.0),
    ({"value": [NOON_S, "NaN"]}, None),
    ({"value": [NOON_S, "+Inf"]}, None),
    ({"value": [NOON_S, "-Inf"]}, None),
    ({"value": [NOON_S, "n/a"]}, None),
    ({"value": [NOON_S, None]}, None),
    ({"value": [NOON_S]}, None),
    ({"value": None}, None),
    ({}, None),
])
def test_a_sample_that_is_not_a_finite_number_is_no_data(sample: dict, shown: float | None) -> None:
    row = {"metric": {"instance": "web-1:9100"}, **sample}
    assert prom.hosts_from([row], [], [], [], [])[0].cpu_pct == shown


def test_service_latency_from_the_five_vectors_and_the_p95_matrix() -> None:
    p50 = vector("service", ("checkout", "0.12"), ("cart", "0.05"))
    p95 = vector("service", ("checkout", "0.8"), ("cart", "NaN"))
    p99 = vector("service", ("checkout", "2.5"))
    errors = vector("service", ("checkout", "0.031"), ("cart", "NaN"))
    rate = vector("service", ("checkout", "42"), ("cart", "0"))
    history = [{"metric": {"service": "checkout"},
                "values": [[NOON_S - 30, "0.7"], [NOON_S - 15, "NaN"], [NOON_S, "0.8"]]}]
    aliases = {"checkout": "Checkout API"}
    assert prom.latency_from(p50, p95, p99, errors, rate, history, "service", aliases) == (
        ServiceLatency(service="cart", p50_s=0.05, p95_s=None, p99_s=None, error_ratio=None,
                       requests_per_s=0.0, p95_history=()),
        ServiceLatency(service="Checkout API", p50_s=0.12, p95_s=0.8, p99_s=2.5, error_ratio=0.031,
                       requests_per_s=42.0,
                       p95_history=((1714564770.0, 0.7), (1714564800.0, 0.8))),
    )


def test_latency_rows_are_read_by_the_configured_service_label() -> None:
    p50 = [{"metric": {"app": "cart", "service": "ignored"}, "value": [NOON_S, "0.2"]},
           {"metric": {"service": "no-app-label"}, "value": [NOON_S, "0.3"]}]
    history = [{"metric": {"app": "cart"}, "values": [[NOON_S, "0.4"]]}]
    assert prom.latency_from(p50, [], [], [], [], history, "app", {}) == (
        ServiceLatency("cart", 0.2, None, None, None, None, ((1714564800.0, 0.4),)),
    )


def test_a_series_without_the_service_label_is_not_a_service() -> None:
    p95 = [{"metric": {}, "value": [NOON_S, "0.9"]}, *vector("service", ("cart", "0.1"))]
    history = [{"metric": {}, "values": [[NOON_S, "0.9"]]}, {"metric": {"service": "cart"}}]
    assert prom.latency_from([], p95, [], [], [], history, "service", {}) == (
        ServiceLatency("cart", None, 0.1, None, None, None, ()),
    )


def test_only_the_last_vector_can_name_a_service() -> None:
    rate = vector("service", ("search", "3.5"))
    assert prom.latency_from([], [], [], [], rate, [], "service", {}) == (
        ServiceLatency("search", None, None, None, None, 3.5, ()),
    )


SLO = SLODefinition(
    id="checkout-availability", service="checkout", description="99.9 % of requests succeed",
    target=0.999, window_s=2592000.0,
    fast=BurnWindow(14.4, 3600.0, 300.0), slow=BurnWindow(6.0, 21600.0, 1800.0),
)


def test_slo_error_ratios_by_window_kept_in_0_1_and_nan_as_no_data() -> None:
    answers = {
        300.0: [],
        1800.0: vector("service", ("checkout", "NaN")),
        3600.0: vector("service", ("checkout", "1.0000000002")),
        21600.0: vector("service", ("checkout", "-1e-17")),
        2592000.0: vector("service", ("checkout", "0.0004"), ("other", "0.9")),
    }
    assert prom.measurement_from(SLO, answers) == SLOMeasurement(
        "checkout-availability", 0.0004,
        {300.0: None, 1800.0: None, 3600.0: 1.0, 21600.0: 0.0, 2592000.0: 0.0004},
    )


def test_an_slo_whose_window_answered_no_number_has_no_ratio() -> None:
    answers = {2592000.0: [{"metric": {}, "value": [NOON_S]}], 3600.0: [{"metric": {}}]}
    assert prom.measurement_from(SLO, answers) == SLOMeasurement(
        "checkout-availability", None, {2592000.0: None, 3600.0: None})


def test_the_wall_clock_is_utc() -> None:
    now = prom.utc_now()
    assert now.utcoffset() == timedelta(0)
    assert abs((now - datetime.now(UTC)).total_seconds()) < 60


# =========================================================================== Elasticsearch

FIELDS = LogFields()

#: a hit of a _search answer, every field the error stream reads
HIT = {
    "_index": "aigym-errors-2024.05.01",
    "_id": "Xk2vP48B",
    "_score": None,
    "_source": {
        "timestamp": "2024-05-01T12:00:00.123Z",
        "level": "ERROR",
        "service": "checkout",
        "component": "payments",
        "message": "pool exhausted after 30 s",
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "span_id": "00f067aa0ba902b7",
        "correlation_id": "req-981",
        "hostname": "web-1",
        "host": {"name": "ignored-when-hostname-is-set"},
        "error": {"name": "PoolTimeout", "message": "no connection in 30 s", "stack": "at Pool.get (pool.js:12)"},
        "metadata": {"attempt": 3, "retry": True, "ratio": 0.5, "user": "u-17", "tags": ["a", "b"], "deep": {"x": 1}},
    },
    "sort": [1714564800123, 42],
}

EVENT = LogEvent(
    id="aigym-errors-2024.05.01/Xk2vP48B",
    timestamp=datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=UTC),
    level=LogLevel.ERROR,
    service="checkout",
    message="pool exhausted after 30 s",
    component="payments",
    trace_id="4bf92f3577b34da6a3ce929d0e0e4736",
    span_id="00f067aa0ba902b7",
    correlation_id="req-981",
    host="web-1",
    error_name="PoolTimeout",
    error_message="no connection in 30 s",
    error_stack="at Pool.get (pool.js:12)",
    metadata={"attempt": 3, "retry": True, "ratio": 0.5, "user": "u-17", "tags": "a, b", "deep": ""},
)


def search(*hits: object, total: object = None) -> dict:
    """A _search answer with these hits."""
    return {"took": 3, "timed_out": False, "_shards": {"total": 2, "successful": 2, "skipped": 0, "failed": 0},
            "hits": {"total": total, "max_score": None, "hits": list(hits)}}


def test_a_hit_becomes_an_event_with_every_field() -> None:
    assert es._event(HIT, FIELDS) == EVENT


def test_the_host_falls_back_to_host_name() -> None:
    src = {"timestamp": NOON_MS, "level": "warning", "host": {"name": "web-2"}}
    event = es._event({"_source": src}, FIELDS)
    assert (event.id, event.timestamp, event.level, event.host) == ("/", NOON, LogLevel.WARN, "web-2")
    assert (event.service, event.message, event.error_name, event.metadata) == ("", "", "", {})


def test_fields_are_found_by_their_configured_names_nested_or_flattened() -> None:
    fields = LogFields(timestamp="@timestamp", level="log.level", service="service.name", component="event.module",
                       message="msg", trace_id="trace.id.keyword")
    src = {"@timestamp": "2024-05-01T12:00:00Z", "log": {"level": "fatal"}, "service.name": "cart",
           "event": {"module": "db"}, "msg": "disk full", "trace": {"id": "t-1"}, "error": "not an object"}
    event = es._event({"_index": "logs", "_id": "1", "_source": src}, fields)
    assert event == LogEvent(id="logs/1", timestamp=NOON, level=LogLevel.FATAL, service="cart",
                             message="disk full", component="db", trace_id="t-1")


@pytest.mark.parametrize("hit", [
    {"_id": "1"},
    {"_source": ["not", "an", "object"]},
    {"_source": {"level": "ERROR", "message": "no time"}},
    {"_source": {"timestamp": "yesterday"}},
])
def test_a_hit_without_source_or_time_is_dropped(hit: dict) -> None:
    assert es._event(hit, FIELDS) is None


def test_hits_are_confirmed_against_the_literal_text_and_malformed_ones_dropped() -> None:
    other = {"_index": "i", "_id": "2", "_source": {"timestamp": "2024-05-01T12:00:00Z", "message": "all good"}}
    hits = [HIT, {"_id": "3"}, other]
    assert es._events(hits, LogQuery(), FIELDS) == [EVENT, LogEvent("i/2", NOON, LogLevel.INFO, "", "all good")]
    assert es._events(hits, LogQuery(text="POOL exh"), FIELDS) == [EVENT]
    assert es._events(hits, LogQuery(services=("cart",)), FIELDS) == []


def test_a_list_field_is_joined_and_bounded() -> None:
    src = {"timestamp": NOON_MS, "message": [str(i) for i in range(101)], "service": ["a", 1, True, None]}
    event = es._event({"_source": src}, FIELDS)
    assert event.message == ", ".join(str(i) for i in range(100))
    assert event.service == "a, 1, true, "
    huge = es._event({"_source": {"timestamp": NOON_MS, "message": ["x" * 10000, "y" * 10000]}}, FIELDS)
    assert huge.message == "x" * 10000 + ", " + "y" * 6382 + " … [cut 3,618 chars]"


def test_metadata_keeps_at_most_50_keys_of_100_characters() -> None:
    meta = {f"k{i:02d}": i for i in range(51)}
    meta_event = es._event({"_source": {"timestamp": NOON_MS, "metadata": meta}}, FIELDS)
    assert meta_event.metadata == {f"k{i:02d}": i for i in range(50)}
    long_key = es._event({"_source": {"timestamp": NOON_MS, "metadata": {"k" * 101: "v"}}}, FIELDS)
    assert long_key.metadata == {"k" * 100: "v"}
    not_an_object = es._event({"_source": {"timestamp": NOON_MS, "metadata": ["a"]}}, FIELDS)
    assert not_an_object.metadata == {}


def test_the_hits_of_a_search_answer() -> None:
    assert es._hits(search(HIT, "junk", None)) == [HIT]
    assert es._hits(search()) == []


@pytest.mark.parametrize("body", [{}, {"hits": []}, {"hits": {"total": 0}}, {"hits": {"hits": {"0": HIT}}}])
def test_a_search_answer_without_a_hits_list_is_a_bad_response(body: dict) -> None:
    with raises("bad_response", "elasticsearch: the search answer has no hits.hits list"):
        es._hits(body)


@pytest.mark.parametrize(("total", "count"), [
    ({"value": 10000, "relation": "gte"}, 10000),  # 7.x and later
    (42, 42),  # 6.x: a bare number
    ({"relation": "eq"}, 0),
    ("12", 0),
    (None, 0),
])
def test_the_total_of_a_search_answer(total: object, count: int) -> None:
    assert es._total(search(total=total)) == count


def test_an_answer_without_hits_has_no_total() -> None:
    assert es._total({"hits": [1]}) == 0
    assert es._total({}) == 0


def test_the_histogram_from_a_date_histogram_aggregation() -> None:
    agg = {"buckets": [
        {"key_as_string": "2024-05-01T12:00:00.000Z", "key": NOON_MS, "doc_count": 3},
        {"key_as_string": "2024-05-01T12:01:00.000Z", "key": NOON_MS + 60000, "doc_count": 0},
        {"key": "2024-05-01T12:02:00Z", "doc_count": 5},
        {"key": NOON_MS + 180000},
        {"key": None, "doc_count": 1},
        {"key": NOON_MS + 240000, "doc_count": "7"},
    ]}
    assert es._timeline(agg) == (
        LogBucket(NOON, 3),
        LogBucket(datetime(2024, 5, 1, 12, 1, tzinfo=UTC), 0),
        LogBucket(datetime(2024, 5, 1, 12, 2, tzinfo=UTC), 5),
    )
    assert es._timeline(None) == ()


def test_the_services_seen_are_sorted_once_each_without_empty_names() -> None:
    agg = {"buckets": [{"key": "payments", "doc_count": 9}, {"key": "checkout", "doc_count": 4},
                       {"key": "", "doc_count": 2}, {"key": 7, "doc_count": 1}, {"doc_count": 1}]}
    assert es._seen(agg) == ("7", "checkout", "payments")
    assert es._seen({}) == ()


def test_the_breakdown_by_service_and_component() -> None:
    agg = {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": [
        {"key": "checkout", "doc_count": 12, "components": {"buckets": [
            {"key": "db", "doc_count": 8}, {"key": "api", "doc_count": 4}]}},
        {"key": "cart", "doc_count": None},
    ]}
    assert es._services(agg) == (
        ServiceErrors("checkout", 12, (("db", 8), ("api", 4))),
        ServiceErrors("cart", 0, ()),
    )
    comp = {"buckets": [{"key": "x", "doc_count": 1, "components": {"buckets": [{"key": "c"}]}}]}
    assert es._services(comp) == (ServiceErrors("x", 1, (("c", 0),)),)


def test_the_aggregations_of_an_answer() -> None:
    aggs = {"seen": {"buckets": []}}
    assert es._aggregations({"aggregations": aggs}) == aggs
    assert es._aggregations({"aggregations": [aggs]}) == {}
    assert es._aggregations({}) == {}


def test_histogram_bounds_are_epoch_milliseconds() -> None:
    assert es._millis(datetime(2024, 5, 1, 12, 0, 0, 500000, tzinfo=UTC)) == 1714564800500


# =========================================================================== Wazuh

WHERE = "wazuh indexer at https://indexer:9200"


def wazuh_alert(ts: str, level: int, description: str, *, rule_id: str = "5710", srcip: str = "",
                alert_id: str = "") -> dict:
    """An alert as wazuh-analysisd writes it (trimmed to the fields read)."""
    alert: dict = {"timestamp": ts, "rule": {"level": level, "description": description, "id": rule_id},
                   "agent": {"id": "001", "name": "web-1"}, "location": "/var/log/auth.log"}
    if srcip:
        alert["data"] = {"srcip": srcip}
    if alert_id:
        alert["id"] = alert_id
    return alert


BRUTE = wazuh_alert("2024-05-01T11:59:00.000+0000", 10, "sshd: brute force", rule_id="100003",
                    srcip="192.0.2.9", alert_id="1714564740.1")
LOGIN = wazuh_alert("2024-05-01T11:58:00.000+0000", 3, "sshd: authentication success", alert_id="1714564680.2")

BRUTE_EVENT = SecurityEvent(
    id="1714564740.1", timestamp=datetime(2024, 5, 1, 11, 59, tzinfo=UTC), rule_id="100003", level=10,
    description="sshd: brute force", agent_id="001", agent_name="web-1", srcip="192.0.2.9",
    location="/var/log/auth.log",
)
LOGIN_EVENT = SecurityEvent(
    id="1714564680.2", timestamp=datetime(2024, 5, 1, 11, 58, tzinfo=UTC), rule_id="5710", level=3,
    description="sshd: authentication success", agent_id="001", agent_name="web-1",
    location="/var/log/auth.log",
)

#: the main search's answer: hits and the levels → descriptions aggregation
MAIN = {
    "took": 7, "timed_out": False,
    "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
    "hits": {"total": {"value": 2, "relation": "eq"}, "max_score": None, "hits": [
        {"_index": "wazuh-alerts-4.x-2024.05.01", "_id": "a1", "_source": BRUTE, "sort": [1714564740000]},
        {"_index": "wazuh-alerts-4.x-2024.05.01", "_id": "a2", "_source": LOGIN, "sort": [1714564680000]},
    ]},
    "aggregations": {"levels": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": [
        {"key": 3, "doc_count": 40, "descriptions": {"buckets": [
            {"key": "sshd: authentication success", "doc_count": 40}]}},
        {"key": 10, "doc_count": 7, "descriptions": {"buckets": [
            {"key": "sshd: brute force", "doc_count": 5}, {"key": "web: SQL injection", "doc_count": 2}]}},
    ]}},
}

#: the brute-force search's answer: source addresses with their latest alert (epoch ms)
BRUTE_ANSWER = {
    "took": 2, "timed_out": False,
    "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
    "hits": {"total": {"value": 9, "relation": "eq"}, "max_score": None, "hits": []},
    "aggregations": {"srcips": {"buckets": [
        {"key": "203.0.113.7", "doc_count": 6, "last": {"value": 1714561200000.0,
                                                         "value_as_string": "2024-05-01T11:00:00.000Z"}},
        {"key": "198.51.100.2", "doc_count": 3, "last": {"value": 1714564500000.0,
                                                          "value_as_string": "2024-05-01T11:55:00.000Z"}},
    ]}},
}


def test_the_indexer_view_from_both_search_answers() -> None:
    assert wz._view(MAIN, BRUTE_ANSWER, WHERE) == SecurityView(
        events=(BRUTE_EVENT, LOGIN_EVENT),
        top=(SecurityTop(10, "sshd: brute force", 5), SecurityTop(10, "web: SQL injection", 2),
             SecurityTop(3, "sshd: authentication success", 40)),
        # most recent attacker first; an address only the events name comes after
        brute_force_ips=("198.51.100.2", "203.0.113.7", "192.0.2.9"),
        warnings=(),
    )


def test_an_address_both_name_is_listed_once() -> None:
    brute = {"aggregations": {"srcips": {"buckets": [{"key": "192.0.2.9", "last": {"value": 1.0}}]}}}
    assert wz._view(MAIN, brute, WHERE).brute_force_ips == ("192.0.2.9",)


def test_partial_answers_and_documents_that_are_not_alerts_are_warned_about_once() -> None:
    partial = {"timed_out": True, "_shards": {"total": 3, "successful": 2, "failed": 1}}
    body = {**MAIN, **partial, "hits": {"hits": [
        {"_source": BRUTE}, {"_source": {"rule": {"description": "no level, no time"}}}, "junk"]}}
    view = wz._view(body, {**BRUTE_ANSWER, **partial}, WHERE)
    assert view.events == (BRUTE_EVENT,)
    assert view.warnings == (
        f"{WHERE}: the search timed out: results are partial",
        f"{WHERE}: 1 of 3 shards failed: results are partial",
        f"{WHERE}: 2 of 3 documents are not Wazuh alerts (no timestamp or rule level)",
    )


def test_a_failed_shard_without_a_total_is_still_reported() -> None:
    assert wz._search_warnings({"_shards": {"failed": 2}}) == ["2 of ? shards failed: results are partial"]
    assert wz._search_warnings({"timed_out": "true", "_shards": {"total": 5, "failed": 0}}) == []
    assert wz._search_warnings({"_shards": [1]}) == []


@pytest.mark.parametrize("body", [{}, {"hits": None}, {"hits": {"total": 3}}, {"hits": {"hits": "none"}}])
def test_a_search_answer_without_hits_is_a_bad_response(body: dict) -> None:
    with raises("bad_response", f"{WHERE}: the search answer has no hits.hits list"):
        wz._view(body, BRUTE_ANSWER, WHERE)


def test_an_answer_without_aggregations_has_no_top_and_only_the_events_addresses() -> None:
    body = {"hits": {"hits": [{"_source": BRUTE}]}}
    assert wz._view(body, {"aggregations": []}, WHERE) == SecurityView(
        events=(BRUTE_EVENT,), top=(), brute_force_ips=("192.0.2.9",), warnings=())


def test_top_rows_skip_malformed_buckets() -> None:
    agg = {"buckets": [
        {"key": "12", "descriptions": {"buckets": [{"key": "as a string level", "doc_count": 4}]}},
        {"key": "high", "descriptions": {"buckets": [{"key": "bad level", "doc_count": 9}]}},
        {"key": 5, "descriptions": {"buckets": [
            {"key": 77, "doc_count": 1},
            {"key": "count as text", "doc_count": "3"},
            {"key": "count as bool", "doc_count": True},
            {"key": "x" * 16385, "doc_count": 2},
            {"key": "ok", "doc_count": 0},
        ]}},
        {"key": 7},
    ]}
    assert wz.top_rows(agg) == [
        SecurityTop(12, "as a string level", 4),
        SecurityTop(5, "x" * 16384 + " … [cut 1 chars]", 2),
        SecurityTop(5, "ok", 0),
    ]


def test_brute_force_addresses_most_recent_first_then_those_without_a_time() -> None:
    agg = {"buckets": [
        {"key": "10.0.0.1", "last": {"value": None}},
        {"key": "10.0.0.2", "last": {"value": 1000}},
        {"key": "10.0.0.3", "last": {"value": True}},
        {"key": "10.0.0.4", "last": {"value": 2000.5}},
        {"key": "10.0.0.5"},
        {"key": "", "last": {"value": 9999}},
        {"key": 42, "last": {"value": 9999}},
        {"key": "10.0.0.6", "last": 3000},
        {"key": "10.0.0.7", "last": {"value": -5}},
    ]}
    assert wz.brute_force_rows(agg) == [
        "10.0.0.4", "10.0.0.2", "10.0.0.7", "10.0.0.1", "10.0.0.3", "10.0.0.5", "10.0.0.6"]
    assert wz.brute_force_rows(None) == []


@pytest.mark.parametrize(("content", "summary"), [
    (b'{"error":{"root_cause":[{"type":"index_not_found_exception","reason":"no such index [wazuh-x]"}],'
     b'"type":"index_not_found_exception","reason":"no such index [wazuh-x]"},"status":404}',
     "index_not_found_exception: no such index [wazuh-x]"),
    (b'{"error": "Unauthorized"}', "Unauthorized"),
    (b'{"message":  "forbidden",\n "code": 403}', '{"message": "forbidden", "code": 403}'),
    (b'{"big": "' + b"a" * 300 + b'"}', '{"big": "' + "a" * 191),
    (b"<html><body>502 Bad Gateway</body></html>", "the answer is an HTML page, not JSON (a proxy's or login page?)"),
    (b"[" * 100_000, "the answer is not valid JSON (truncated?)"),
])
def test_an_error_answer_in_a_few_words(content: bytes, summary: str) -> None:
    assert wz.error_summary(content) == summary


@pytest.mark.parametrize(("content", "why"), [
    (b"\n  <!DOCTYPE html>\n<head><title>Login</title></head>", "the answer is an HTML page, not JSON (a proxy's or login page?)"),
    (b"<?xml version='1.0'?>\n<HTML><body>Sign in</body></HTML>", "the answer is an HTML page, not JSON (a proxy's or login page?)"),
    (b"x" * 507 + b"<html>", "the answer is an HTML page, not JSON (a proxy's or login page?)"),
    (b"x" * 508 + b"<html>", "the answer is not JSON: " + "x" * 120),
    (b"", "the answer is empty"),
    (b" \r\n\t", "the answer is empty"),
    (b'  {"hits": {"hits": [', "the answer is not valid JSON (truncated?)"),
    (b"[1, 2", "the answer is not valid JSON (truncated?)"),
    (b"Bad Gateway\n\n  upstream   closed", "the answer is not JSON: Bad Gateway upstream closed"),
    (b"\xff\xfeoops", "the answer is not JSON: \ufffd\ufffdoops"),
    (b"y" * 119 + b" z", "the answer is not JSON: " + "y" * 119),
])
def test_why_an_answer_is_not_json(content: bytes, why: str) -> None:
    assert wz.not_json(content) == why


def test_a_part_failure_is_one_line_and_cancellation_goes_through() -> None:
    error = SourceError("timeout", "wazuh indexer: no answer")
    assert wz._as_source_error(error) is error
    internal = wz._as_source_error(RuntimeError("a\n   b " + "c" * 200))
    assert (internal.kind, internal.message) == ("internal", "wazuh: RuntimeError: a b " + "c" * 156)
    with pytest.raises(asyncio.CancelledError):
        wz._as_source_error(asyncio.CancelledError())


def line(alert: dict) -> bytes:
    import json

    return json.dumps(alert).encode()


def test_alerts_json_lines_at_or_above_the_level_and_the_count_of_lines_that_are_not_alerts() -> None:
    bad_utf8 = line({**wazuh_alert("2024-05-01T11:57:00.000+0000", 7, "log copied", alert_id="3"),
                     "full_log": "PLACEHOLDER"}).replace(b"PLACEHOLDER", b"caf\xe9")
    lines = [
        line(BRUTE), b"", b"   \n", b"not json", b"[1, 2]", b'{"rule": {"level": 12}}', line(LOGIN),
        bad_utf8, b"[" * 100_000, line(wazuh_alert("2024-05-01T11:56:00.000+0000", 5, "at the level", alert_id="4")),
    ]
    alerts, malformed = wz.alerts_from(lines, 5)
    assert [(a.id, a.level) for a in alerts] == [("1714564740.1", 10), ("3", 7), ("4", 5)]
    assert alerts[0] == BRUTE_EVENT
    assert alerts[1].full_log == "caf\ufffd"
    assert malformed == 4
    assert wz.alerts_from([], 0) == ([], 0)


def test_the_file_view_holds_the_last_24_hours_at_or_above_the_level_newest_first() -> None:
    day = timedelta(hours=24)

    def ev(i: str, at: datetime, level: int, rule: str = "5710", srcip: str = "") -> SecurityEvent:
        return SecurityEvent(id=i, timestamp=at, rule_id=rule, level=level, description=f"rule {level}", srcip=srcip)

    items = [
        ev("new", NOON, 10, "100004", "192.0.2.1"),
        ev("low", NOON - timedelta(minutes=1), 4),
        ev("mid", NOON - timedelta(minutes=2), 7),
        ev("at", NOON - timedelta(minutes=3), 5),
        ev("edge", NOON - day, 10, "100003", "192.0.2.2"),
        ev("old", NOON - day - timedelta(milliseconds=1), 12, "100003", "192.0.2.3"),
    ]
    view = wz.file_view(items, 5, 2, NOON, 3, ("w",))
    assert view == SecurityView(
        events=(items[0], items[2]),
        top=(SecurityTop(10, "rule 10", 2), SecurityTop(7, "rule 7", 1), SecurityTop(5, "rule 5", 1)),
        brute_force_ips=("192.0.2.1", "192.0.2.2"),
        skipped_lines=3,
        warnings=("w",),
    )
    assert wz.file_view(items, 5, -1, NOON, 0, ()).events == ()


# =========================================================================== PagerDuty

PD = "PagerDuty at https://events.pagerduty.com/v2/enqueue"


def test_an_accepted_event_gives_pagerdutys_key_and_message() -> None:
    body = b'{"status": "success", "message": "Event processed", "dedup_key": "srv01/HTTP"}'
    assert pd.accepted(body, "obsconsole-incident-7", 2, PD) == pd.PagerDutyResult("srv01/HTTP", "Event processed", 2)


def test_an_accepted_event_without_a_key_keeps_the_one_sent() -> None:
    for body in (b'{"status": "success", "message": "Event processed"}', b'{"dedup_key": "", "message": 5}',
                 b'{"dedup_key": 12}'):
        result = pd.accepted(body, "obsconsole-incident-7", 1, PD)
        assert result.dedup_key == "obsconsole-incident-7"
    assert pd.accepted(b'{"dedup_key": "", "message": 5}', "k", 1, PD).message == ""


def test_an_accepted_trigger_sent_without_a_key_needs_the_answers() -> None:
    with raises("bad_response", f"{PD}: HTTP 202 without a dedup_key"):
        pd.accepted(b'{"status": "success", "message": "Event processed"}', "", 1, PD)


@pytest.mark.parametrize("body", [b"<html>Accepted</html>", b'["success"]', b"\xff\xfe"])
def test_a_202_that_is_not_the_apis_answer_is_a_bad_response(body: bytes) -> None:
    quoted = body.decode("utf-8", "replace")
    with raises("bad_response", f"{PD}: HTTP 202 without the API's JSON answer: {quoted}"):
        pd.accepted(body, "k", 1, PD)


@pytest.mark.parametrize(("body", "reason"), [
    (b'{"status": "invalid event", "message": "Event object is invalid", '
     b'"errors": ["Length of \'routing_key\' is incorrect (should be 32 characters)", "\'payload\' is missing"]}',
     "Event object is invalid: Length of 'routing_key' is incorrect (should be 32 characters); 'payload' is missing"),
    (b'{"message": "Event object is invalid", "errors": [null, "", 3]}', "Event object is invalid: 3"),
    (b'{"message": "", "errors": []}', "invalid event"),
    (b'{"message": 400, "errors": "payload is missing"}', "invalid event"),
    (b'{"errors": [""]}', "invalid event"),
    (b"<html>\n  <body>Bad Request</body>\n</html>", "<html> <body>Bad Request</body> </html>"),
    (b"", "(empty body)"),
])
def test_a_refused_event_gives_pagerdutys_reasons(body: bytes, reason: str) -> None:
    assert pd._refusal(body) == reason


def test_a_long_refusal_is_cut_at_600_characters() -> None:
    body = b'{"message": "' + b"m" * 700 + b'"}'
    assert pd._refusal(body) == "m" * 599 + "…"
    exact = b'{"message": "' + b"m" * 600 + b'"}'
    assert pd._refusal(exact) == "m" * 600


def test_an_answer_is_quoted_in_one_line_of_at_most_300_characters() -> None:
    assert pd._quote(b"a" * 301) == "a" * 300 + "…"
    assert pd._quote(b"a" * 300) == "a" * 300
    # the first 1200 bytes are read: whitespace there does not use up the quote
    assert pd._quote(b" " * 1199 + b"abc") == "a"
    assert pd._quote(b"\xc3\xa9t\xc3\xa9 \n\t") == "\u00e9t\u00e9"


@pytest.mark.parametrize(("value", "seconds"), [
    ("120", 120.0),
    (" 5 ", 5.0),
    ("0.5", 0.5),
    ("-3", 0.0),
    ("nan", None),
    ("inf", None),
    ("", None),
    (None, None),
    ("soon", None),
    ("Wed, 01 May 2024 12:00:30 GMT", 30.0),
    ("Wed, 01 May 2024 14:00:30 +0200", 30.0),
    ("Wed, 01 May 2024 12:00:30 -0000", 30.0),  # no zone: UTC
    ("Wed, 01 May 2024 11:00:00 GMT", 0.0),
    ("Wed, 99 May 2024 12:00:30 GMT", None),
])
def test_retry_after_in_seconds_or_as_an_http_date(value: str | None, seconds: float | None) -> None:
    assert pd._retry_after(value, NOON) == seconds


@pytest.mark.parametrize(("retry_after", "attempts", "wait"), [
    (None, 1, 1.0),
    (None, 2, 2.0),
    (None, 3, 4.0),
    (None, 6, 30.0),  # 32 s capped
    ("10", 3, 10.0),
    ("0", 3, 0.0),
    ("100", 1, 30.0),
    ("junk", 2, 2.0),
    ("Wed, 01 May 2024 12:00:20 GMT", 1, 20.0),
])
def test_the_wait_before_another_attempt(retry_after: str | None, attempts: int, wait: float) -> None:
    assert pd._wait(retry_after, attempts, 30.0, NOON) == wait


def test_the_small_words_of_pagerduty_messages() -> None:
    assert pd.dedup_key(42) == "obsconsole-incident-42"
    assert (pd._times(1), pd._times(2)) == ("1 attempt", "2 attempts")
    assert pd._truncate("abcdef", 6) == "abcdef"
    assert pd._truncate("abcdefg", 6) == "abcde…"
    assert pd._json(b"not json") is None
    assert pd._json(b"\xff") is None
    assert pd._json(b'{"a": 1}') == {"a": 1}
