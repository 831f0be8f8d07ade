"""The Elasticsearch source through the official client against the protocol stand-in
(tests/standins/elastic/): documents go in through the client's bulk API."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
from elasticsearch import Elasticsearch, helpers

from obsconsole.config import load_config
from obsconsole.logic import logs as loglogic
from obsconsole.model import LogLevel, LogQuery, SourceError
from obsconsole.sources.elasticsearch import FLOOD_BUDGET, ElasticsearchSource
from tests.logindex import INDICES, MAPPING, create_log_indices
from tests.standins.elastic import start_standin

UTC = timezone.utc
SYNTAX = '" OR * level:INFO \\'


@pytest.fixture
def es() -> Iterator[Any]:
    """The stand-in with today's two indices created from the template's mapping."""
    with start_standin("elasticsearch") as server:
        create_log_indices(server.url)
        yield server


def now() -> datetime:
    return datetime.now(UTC)


def doc(i: int, at: datetime, level: str = "ERROR", service: str = "aigym-api", message: str | None = None,
        index: str = "aigym-errors-2026.11.28", **extra: Any) -> dict[str, Any]:
    body = {
        "timestamp": at.isoformat().replace("+00:00", "Z"),
        "level": level,
        "service": service,
        "component": extra.pop("component", "handler"),
        "message": message if message is not None else f"event {i:05d}",
        "trace_id": f"trace{i:05d}",
        "seq": i,
        **extra,
    }
    return {"_index": index, "_source": body}


def put(server: Any, docs: list[dict[str, Any]]) -> None:
    client = Elasticsearch(server.url)
    try:
        ok, errors = helpers.bulk(client, docs, refresh="wait_for")
        assert ok == len(docs) and not errors
    finally:
        client.close()


def source(tmp_path: Path, server: Any, buffer: int = 20000, extra: str = "") -> ElasticsearchSource:
    config = tmp_path / "config.yaml"
    config.write_text(
        "contexts:\n  lab:\n"
        f"    elasticsearch:\n      url: {server.url}\n      timeout: 2s\n{extra}"
        f"    panes:\n      errors: {{buffer: {buffer}}}\n"
    )
    ctx = load_config(config).context
    return ElasticsearchSource(ctx.backends.elasticsearch, ctx, now)


async def test_a_tail_over_ten_thousand_events_returns_each_once_and_in_order(es, tmp_path: Path) -> None:
    """10,000 events arrive in batches between polls; 500 of them share one timestamp and
    straddle a page boundary; one arrives late (older than the newest already seen)."""
    src = source(tmp_path, es)
    start = now() - timedelta(minutes=30)
    put(es, [doc(0, start)])
    first = await src.fetch_error_stream(20000)
    assert [e.message for e in first.events] == ["event 00000"]

    shared = start + timedelta(seconds=100)
    seq = 1
    for batch in range(10):
        docs = []
        for _ in range(1000):
            # batch 3 holds the 500 events sharing one timestamp, in its middle
            if batch == 3 and 250 <= len(docs) < 750:
                at = shared
            else:
                at = start + timedelta(seconds=seq * 0.01 + (200 if batch > 3 else 0))
            docs.append(doc(seq, at))
            seq += 1
        put(es, docs)
        stream = await src.fetch_error_stream(20000)
        assert not stream.sampled
    # a late arrival: indexed after newer events were delivered, within the tail's lag
    newest = max(e.timestamp for e in stream.events)
    put(es, [doc(seq, newest - timedelta(seconds=5), message="late event")])
    stream = await src.fetch_error_stream(20000)
    await src.aclose()

    seqs = [int(e.message.split()[1]) for e in stream.events if e.message != "late event"]
    assert len(stream.events) == 10_002
    assert sorted(seqs) == list(range(10_001)), "every event exactly once"
    assert len({e.id for e in stream.events}) == len(stream.events)
    times = [e.timestamp for e in stream.events]
    assert times == sorted(times, reverse=True), "newest first"
    assert sum(1 for t in times if t == shared) == 500


async def test_levels_services_and_text_select_the_right_events(es, tmp_path: Path) -> None:
    t = now() - timedelta(minutes=5)
    put(es, [
        doc(1, t, "ERROR", "aigym-api", "connection pool exhausted"),
        doc(2, t + timedelta(seconds=1), "FATAL", "aigym-api", "worker process exiting"),
        doc(3, t + timedelta(seconds=2), "ERROR", "aigym-auth", "token refresh failed", index="aigym-logs-2026.11.28"),
        doc(4, t + timedelta(seconds=3), "INFO", "aigym-api", "request served"),
        doc(5, t + timedelta(seconds=4), "WARN", "aigym-api", "pool nearly exhausted"),
    ])
    src = source(tmp_path, es)
    default = await src.fetch_error_stream(100)
    assert [e.message for e in default.events] == ["token refresh failed", "worker process exiting", "connection pool exhausted"]

    src.set_query(LogQuery(levels=(LogLevel.FATAL,)))
    assert [e.message for e in (await src.fetch_error_stream(100)).events] == ["worker process exiting"]
    src.set_query(LogQuery(services=("aigym-auth",)))
    assert [e.message for e in (await src.fetch_error_stream(100)).events] == ["token refresh failed"]
    src.set_query(LogQuery(text="POOL EXH"))  # literal, case-insensitive
    assert [e.message for e in (await src.fetch_error_stream(100)).events] == ["connection pool exhausted"]
    src.set_query(LogQuery(text="pool", levels=(LogLevel.WARN, LogLevel.ERROR, LogLevel.FATAL)))
    assert [e.message for e in (await src.fetch_error_stream(100)).events] == ["pool nearly exhausted", "connection pool exhausted"]
    src.set_query(LogQuery(text="trace00003"))  # an id is found by exact term
    assert [e.message for e in (await src.fetch_error_stream(100)).events] == ["token refresh failed"]
    await src.aclose()


async def test_a_dynamically_mapped_index_works_with_keyword_fields_from_config(tmp_path: Path) -> None:
    """No template: strings are text with a .keyword sub-field, and @timestamp (a
    logstash_format pipeline). Config names the exact-value fields; events still read
    their values from the source document."""
    with start_standin("elasticsearch") as server:
        t = now() - timedelta(minutes=3)
        docs = [doc(1, t, "ERROR", "aigym-api", "pool exhausted"), doc(2, t, "INFO", "aigym-api", "fine"),
                doc(3, t + timedelta(seconds=1), "FATAL", "aigym-auth", "worker died")]
        for d in docs:
            d["_source"]["@timestamp"] = d["_source"].pop("timestamp")
        put(server, docs)
        fields = ("      fields: {timestamp: '@timestamp', level: level.keyword, service: service.keyword,"
                  " component: component.keyword, trace_id: trace_id.keyword}\n")
        src = source(tmp_path, server, extra=fields)
        stream = await src.fetch_error_stream(100)
        assert [(e.level, e.service, e.message) for e in stream.events] == [
            (LogLevel.FATAL, "aigym-auth", "worker died"), (LogLevel.ERROR, "aigym-api", "pool exhausted")]
        assert {s.service for s in stream.by_service} == {"aigym-api", "aigym-auth"}
        src.set_query(LogQuery(services=("aigym-api",)))
        assert [e.message for e in (await src.fetch_error_stream(100)).events] == ["pool exhausted"]
        await src.aclose()


async def test_a_search_full_of_query_syntax_matches_literally(es, tmp_path: Path) -> None:
    t = now() - timedelta(minutes=5)
    put(es, [
        doc(1, t, message=f"upstream replied {SYNTAX} then hung up"),
        doc(2, t + timedelta(seconds=1), message="OR level INFO appear here as words"),
        doc(3, t + timedelta(seconds=2), message="level:INFO OR *"),
        doc(4, t + timedelta(seconds=3), message="nothing to see"),
    ])
    src = source(tmp_path, es)
    src.set_query(LogQuery(text=SYNTAX))
    stream = await src.fetch_error_stream(100)
    await src.aclose()
    assert [e.message for e in stream.events] == [f"upstream replied {SYNTAX} then hung up"]
    # the text travelled only as JSON string values, never in a URL or as query syntax
    searches = [r for r in es.request_log if "_search" in r[1]]
    assert searches and all(SYNTAX not in r[1] for r in searches)
    bodies = [json.loads(r[2]) for r in searches if r[2]]
    assert not any("query_string" in json.dumps(b) or "simple_query_string" in json.dumps(b) for b in bodies)


async def test_the_service_filter_is_offered_every_service_of_the_window(es, tmp_path: Path) -> None:
    """What `s` cycles through: every service with errors in the hour, also while the
    stream is narrowed to one of them (a second small search then)."""
    t = now() - timedelta(minutes=5)
    put(es, [
        doc(1, t, service="aigym-api"),
        doc(2, t + timedelta(seconds=1), service="aigym-auth", index="aigym-logs-2026.11.28"),
        doc(3, t + timedelta(seconds=2), service="supabase-db"),
        doc(4, t + timedelta(seconds=3), "INFO", service="aigym-worker"),  # not an error
    ])
    src = source(tmp_path, es)
    everything = await src.fetch_error_stream(100)
    assert everything.services == ("aigym-api", "aigym-auth", "supabase-db")
    src.set_query(LogQuery(services=("aigym-auth",)))
    narrowed = await src.fetch_error_stream(100)
    assert [e.service for e in narrowed.events] == ["aigym-auth"]
    assert narrowed.services == ("aigym-api", "aigym-auth", "supabase-db")
    await src.aclose()


async def test_the_histogram_and_breakdown_match_the_indexed_data(es, tmp_path: Path) -> None:
    base = now() - timedelta(minutes=40)
    docs = []
    for i in range(300):
        at = base + timedelta(seconds=(i * 37) % 2400)
        service = ("aigym-api", "aigym-auth", "aigym-conversations")[i % 3]
        docs.append(doc(i, at, service=service, component=("db", "handler")[i % 2]))
    put(es, docs)
    src = source(tmp_path, es)
    stream = await src.fetch_error_stream(1000)
    await src.aclose()
    events = stream.events
    assert len(events) == 300
    expected = loglogic.histogram(events, now(), 3600, 60)
    got = {b.start: b.count for b in stream.histogram}
    for bucket in expected:
        if bucket.count:
            assert got.get(bucket.start) == bucket.count, bucket.start
    assert sum(b.count for b in stream.histogram) == 300
    by = {s.service: s for s in stream.by_service}
    assert {k: v.count for k, v in by.items()} == {"aigym-api": 100, "aigym-auth": 100, "aigym-conversations": 100}
    assert dict(by["aigym-api"].components) == {"db": 50, "handler": 50}


async def test_a_flood_keeps_a_sample_and_reports_the_rate(es, tmp_path: Path) -> None:
    src = source(tmp_path, es, buffer=5000)
    t = now() - timedelta(minutes=2)
    put(es, [doc(0, t)])
    await src.fetch_error_stream(5000)
    put(es, [doc(i, t + timedelta(milliseconds=i)) for i in range(1, FLOOD_BUDGET * 3)])
    stream = await src.fetch_error_stream(5000)
    await src.aclose()
    assert stream.sampled
    assert stream.new_events >= FLOOD_BUDGET * 3 - 10
    assert stream.rate_per_s is not None and stream.rate_per_s > 0
    assert stream.skipped > 0
    assert len(stream.events) <= 5000
    newest = max(int(e.message.split()[1]) for e in stream.events)
    assert newest == FLOOD_BUDGET * 3 - 1, "the sample is the newest events"


@pytest.mark.parametrize(
    ("fault", "kind", "words"),
    [
        (lambda s: s.fail_next(status=400), "bad_response", "HTTP 400"),
        (lambda s: s.fail_next(status=401), "auth", "credentials refused"),
        (lambda s: s.fail_next(status=503), "bad_response", "HTTP 503"),
        (lambda s: s.fail_with_html(), "bad_response", "elasticsearch at"),
        (lambda s: s.truncate_next(), "bad_response", "not valid JSON"),
        (lambda s: s.delay_next(5), "timeout", "no answer in 2 s"),
    ],
    ids=["400", "401", "503", "html", "truncated", "timeout"],
)
async def test_a_failing_server_is_one_line_naming_it(es, tmp_path: Path, fault, kind: str, words: str) -> None:
    put(es, [doc(1, now() - timedelta(minutes=1))])
    src = source(tmp_path, es)
    fault(es)
    with pytest.raises(SourceError) as caught:
        await src.fetch_error_stream(100)
    await src.aclose()
    message = caught.value.message
    assert caught.value.kind == kind, message
    assert words in message and es.url in message
    assert "\n" not in message and "Traceback" not in message and len(message) < 300


@pytest.mark.parametrize("status", [400, 500, 503])
async def test_an_error_answered_as_a_plain_string_is_the_panes_one_line_error(
    es, tmp_path: Path, status: int
) -> None:
    """Older servers and proxies in front of Elasticsearch answer `{"error": "text"}`
    instead of `{"error": {"type", "reason"}}`: the text is the error line, on one line."""
    put(es, [doc(1, now() - timedelta(minutes=1))])
    src = source(tmp_path, es)
    es.fail_next(status=status, body={"error": "index [aigym-errors-2026.11.28]\n  is   closed", "status": status})
    with pytest.raises(SourceError) as caught:
        await src.fetch_error_stream(100)
    await src.aclose()
    assert caught.value.kind == "bad_response"
    assert caught.value.message == (
        f"elasticsearch at {es.url}: HTTP {status}: index [aigym-errors-2026.11.28] is closed")


async def test_describe_reports_the_version_and_an_unreachable_cluster(es, tmp_path: Path) -> None:
    src = source(tmp_path, es)
    (status,) = await src.describe()
    await src.aclose()
    assert status.reachable and status.version and status.version[0].isdigit()
    es.stop()
    src = source(tmp_path, es)
    (down,) = await src.describe()
    await src.aclose()
    assert not down.reachable and "cannot connect" in down.detail


async def test_the_pane_keeps_its_rows_and_shows_the_error_with_their_age(es, tmp_path: Path) -> None:
    """A cluster that answers garbage after a good poll: the rows stay, the pane's error
    line names the failure and the data's age, the other panes carry on."""
    from obsconsole.ui.app import ObsConsoleApp
    from tests.helpers import running, settle, wait_until

    put(es, [doc(1, now() - timedelta(minutes=1), message="before the outage")])
    config = tmp_path / "config.yaml"
    config.write_text(
        "contexts:\n  lab:\n"
        f"    elasticsearch:\n      url: {es.url}\n      timeout: 2s\n"
        "    panes:\n      errors: {refresh: 1s}\n"
    )
    app = ObsConsoleApp(load_config(config))
    async with running(app, (120, 40)) as pilot:
        await settle(pilot)
        errors = app.overview.pane("errors")
        assert [e.message for e in errors.events] == ["before the outage"]
        es.fail_with_html(times=50)
        await wait_until(pilot, lambda: "showing data from" in str(errors.query_one(".pane-error").render()),
                         "the error line with the data's age")
        line = str(errors.query_one(".pane-error").render())
        assert "elasticsearch at" in line and "showing data from" in line
        assert "STALE" in str(errors.border_title)
        assert [e.message for e in errors.events] == ["before the outage"]


@pytest.mark.parametrize("auth", ["api_key", "basic_auth"])
async def test_credentials_from_config_reach_a_secured_cluster(tmp_path: Path, auth: str) -> None:
    import base64

    encoded = base64.b64encode(b"console:s3cret-key").decode()
    with start_standin("elasticsearch", users={"obsconsole": "pw"}, api_keys={"console": "s3cret-key"}) as server:
        client = Elasticsearch(server.url, basic_auth=("obsconsole", "pw"))
        for name in INDICES:
            client.indices.create(index=name, mappings=MAPPING)
        helpers.bulk(client, [doc(1, now() - timedelta(minutes=1), message="secured")], refresh="wait_for")
        client.close()
        good = {"api_key": f"      api_key: {encoded}\n", "basic_auth": "      basic_auth: {username: obsconsole, password: pw}\n"}
        bad = {"api_key": f"      api_key: {base64.b64encode(b'console:wrong').decode()}\n",
               "basic_auth": "      basic_auth: {username: obsconsole, password: nope}\n"}
        src = source(tmp_path, server, extra=good[auth])
        assert [e.message for e in (await src.fetch_error_stream(10)).events] == ["secured"]
        await src.aclose()
        src = source(tmp_path, server, extra=bad[auth])
        with pytest.raises(SourceError) as caught:
            await src.fetch_error_stream(10)
        await src.aclose()
        assert caught.value.kind == "auth" and "credentials refused" in caught.value.message
