"""The Elasticsearch / OpenSearch stand-in answers the real clients as the real servers do.

Documents go in only through the real ``_bulk`` API: the official client's bulk helpers for
the Elasticsearch face, httpx for the OpenSearch face (the official client refuses
OpenSearch, which is what the console relies on when it reads the Wazuh indexer over httpx).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from elasticsearch import (
    ApiError,
    AsyncElasticsearch,
    AuthenticationException,
    BadRequestError,
    ConnectionTimeout,
    Elasticsearch,
    NotFoundError,
    SerializationError,
    UnsupportedProductError,
    helpers,
)

from tests.standins.elastic import Standin, start_standin
from tests.clock import ES_DAY

NOW = ES_DAY
ERRORS = "aigym-errors-2024.05.01"
LOGS = "aigym-logs-2024.05.01"
BOTH = "aigym-errors-*,aigym-logs-*"

# Timestamps in the shapes a pipeline produces: Z, an offset, epoch millis, a fraction.
LOG_DOCS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "e1",
        ERRORS,
        {
            "timestamp": "2024-05-01T11:58:00Z",
            "level": "ERROR",
            "service": "api",
            "component": "auth",
            "message": "Connection refused to db.example.com",
            "error": {"name": "DbError", "stack": "at connect (db.js:10)", "code": "ECONNREFUSED"},
        },
    ),
    (
        "e2",
        ERRORS,
        {
            "timestamp": "2024-05-01T13:45:00+02:00",
            "level": "ERROR",
            "service": "api",
            "component": "chat",
            "message": "Timeout calling model provider",
            "error": {"name": "TimeoutError", "stack": "at call (ai.js:3)"},
        },
    ),
    (
        "e3",
        ERRORS,
        {
            "timestamp": 1714562400000,
            "level": "FATAL",
            "service": "edge-functions",
            "component": "billing",
            "message": "Out of memory in worker",
            "error": {"name": "RangeError"},
        },
    ),
    (
        "l1",
        LOGS,
        {
            "timestamp": "2024-05-01T11:59:30.250Z",
            "level": "INFO",
            "service": "api",
            "component": "auth",
            "message": "User login succeeded",
        },
    ),
    (
        "l2",
        LOGS,
        {
            "timestamp": "2024-05-01T10:00:00.000Z",
            "level": "ERROR",
            "service": "frontend",
            "component": "render",
            "message": "Render failed: connection reset",
            "error": {"name": "ChunkLoadError"},
        },
    ),
    (
        "l3",
        LOGS,
        {
            "timestamp": "2024-04-30T23:00:00Z",
            "level": "WARN",
            "service": "frontend",
            "component": "render",
            "message": "Slow render of dashboard",
        },
    ),
]


@pytest.fixture
def es() -> Iterator[Standin]:
    with start_standin(clock=NOW.timestamp) as standin:
        yield standin


@pytest.fixture
def client(es: Standin) -> Iterator[Elasticsearch]:
    with Elasticsearch(es.url, max_retries=0) as es_client:
        yield es_client


@pytest.fixture
def logs(client: Elasticsearch) -> Elasticsearch:
    """The client, with LOG_DOCS bulk-indexed into the errors and logs indices."""
    actions = [{"_index": index, "_id": doc_id, "_source": source} for doc_id, index, source in LOG_DOCS]
    assert helpers.bulk(client, actions, refresh="wait_for") == (len(LOG_DOCS), [])
    return client


def ids(response: Any) -> set[str]:
    return {hit["_id"] for hit in response["hits"]["hits"]}


def found(client: Elasticsearch, query: dict[str, Any], index: str = BOTH) -> set[str]:
    return ids(client.search(index=index, query=query, size=100))


def ndjson(lines: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


# ------------------------------------------------------------------------ the faces


def test_official_client_accepts_the_elasticsearch_face(es: Standin, client: Elasticsearch) -> None:
    info = client.info()

    assert info["version"]["number"].startswith("8.")
    assert info["version"]["build_flavor"] == "default"
    assert info["tagline"] == "You Know, for Search"
    assert info.meta.headers["x-elastic-product"] == "Elasticsearch"
    assert info.meta.headers["content-type"] == "application/vnd.elasticsearch+json;compatible-with=8"
    plain = httpx.get(es.url)
    assert plain.headers["content-type"] == "application/json"
    assert plain.headers["x-elastic-product"] == "Elasticsearch"


def test_a_9x_client_is_refused_by_an_8x_server_and_accepted_by_a_9x_one(es: Standin) -> None:
    v9 = "application/vnd.elasticsearch+json; compatible-with=9"
    headers = {"accept": v9, "content-type": v9}

    refused = httpx.post(f"{es.url}/_search", content=b"{}", headers=headers)

    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["type"] == "media_type_header_exception"
    assert error["caused_by"]["reason"].startswith("Accept version must be either version 8 or 7, but found 9.")
    with start_standin(version="9.1.0") as es9:
        accepted = httpx.post(f"{es9.url}/_search", content=b"{}", headers=headers)
        assert accepted.status_code == 200
        assert accepted.headers["content-type"] == "application/vnd.elasticsearch+json;compatible-with=9"


def test_bulk_reports_created_updated_conflicting_and_unparsable_items(es: Standin, client: Elasticsearch) -> None:
    response = client.bulk(
        operations=[
            {"index": {"_index": "t", "_id": "1"}},
            {"n": 1, "when": "2024-05-01T00:00:00Z"},
            {"index": {"_index": "t", "_id": "1"}},
            {"n": 2, "when": "2024-05-01T00:00:00Z"},
            {"create": {"_index": "t", "_id": "1"}},
            {"n": 3},
            {"index": {"_index": "t"}},
            {"n": "not a number"},
            {"index": {"_index": "Upper"}},
            {"n": 1},
            {"delete": {"_index": "t", "_id": "absent"}},
        ],
        refresh="wait_for",
    )

    items = [next(iter(item.values())) for item in response["items"]]
    assert response["errors"] is True
    assert [item["status"] for item in items] == [201, 200, 409, 400, 400, 404]
    assert [item.get("result") for item in items] == [
        "created",
        "updated",
        None,
        None,
        None,
        "not_found",
    ]
    assert items[2]["error"]["type"] == "version_conflict_engine_exception"
    assert items[3]["error"]["type"] == "document_parsing_exception"
    assert items[3]["error"]["caused_by"]["type"] == "number_format_exception"
    assert items[4]["error"]["type"] == "invalid_index_name_exception"
    assert es.documents("t") == [{"_index": "t", "_id": "1", "_source": {"n": 2, "when": "2024-05-01T00:00:00Z"}}]
    properties = client.indices.get(index="t")["t"]["mappings"]["properties"]
    assert properties == {"n": {"type": "long"}, "when": {"type": "date"}}


# ------------------------------------------------------------------- query semantics


def test_term_sees_lowercase_tokens_on_text_and_the_whole_value_on_keyword(
    logs: Elasticsearch,
) -> None:
    assert found(logs, {"term": {"level": "ERROR"}}) == set()
    assert found(logs, {"term": {"level": "error"}}) == {"e1", "e2", "l2"}
    assert found(logs, {"term": {"level.keyword": "ERROR"}}) == {"e1", "e2", "l2"}
    assert found(logs, {"term": {"level.keyword": "error"}}) == set()
    assert found(logs, {"term": {"level.keyword": {"value": "error", "case_insensitive": True}}}) == {"e1", "e2", "l2"}
    assert found(logs, {"terms": {"service.keyword": ["frontend", "edge-functions"]}}) == {
        "e3",
        "l2",
        "l3",
    }
    assert found(logs, {"term": {"_index": LOGS}}) == {"l1", "l2", "l3"}


def test_bool_needs_one_should_only_when_nothing_else_is_required(logs: Elasticsearch) -> None:
    api_or_frontend = [
        {"term": {"service.keyword": "api"}},
        {"term": {"service.keyword": "frontend"}},
    ]
    errors = {"terms": {"level.keyword": ["ERROR", "FATAL"]}}

    assert found(logs, {"bool": {"should": api_or_frontend}}) == {"e1", "e2", "l1", "l2", "l3"}
    assert found(logs, {"bool": {"filter": [errors], "should": api_or_frontend}}) == {
        "e1",
        "e2",
        "e3",
        "l2",
    }
    narrowed = {"bool": {"filter": [errors], "should": api_or_frontend, "minimum_should_match": 1}}
    assert found(logs, narrowed) == {"e1", "e2", "l2"}
    assert found(logs, {"bool": {"filter": [errors, {"bool": {"should": api_or_frontend}}]}}) == {
        "e1",
        "e2",
        "l2",
    }
    assert found(logs, {"bool": {"must_not": [{"term": {"service.keyword": "api"}}]}}) == {
        "e3",
        "l2",
        "l3",
    }
    two_of_three = {"bool": {"should": [*api_or_frontend, errors], "minimum_should_match": "-1"}}
    assert found(logs, two_of_three) == {"e1", "e2", "l2"}


def test_range_compares_instants_with_date_math_and_es_rounding(logs: Elasticsearch) -> None:
    def within(**bounds: Any) -> set[str]:
        return found(logs, {"range": {"timestamp": bounds}})

    assert within(gte="now-1h") == {"e1", "e2", "e3", "l1"}
    assert within(gte="now-5m", lte="now") == {"e1", "l1"}
    assert within(gte="2024-05-01T13:50:00+02:00") == {"e1", "l1"}
    assert within(gte=1714562400000) == {"e1", "e2", "e3", "l1"}
    assert within(gt=1714562400000) == {"e1", "e2", "l1"}
    assert within(lte="2024-04-30") == {"l3"}  # a missing time of day rounds up to 23:59:59.999
    assert within(gt="2024-04-30") == {"e1", "e2", "e3", "l1", "l2"}
    assert within(gte="now-1d/d", lt="now/d") == {"l3"}
    assert found(logs, {"term": {"timestamp": "2024-05-01"}}) == {"e1", "e2", "e3", "l1", "l2"}


def test_match_is_analysed_with_or_by_default(logs: Elasticsearch) -> None:
    assert found(logs, {"match": {"message": "CONNECTION"}}) == {"e1", "l2"}
    assert found(logs, {"match": {"message": "connection refused"}}) == {"e1", "l2"}
    assert found(logs, {"match": {"message": {"query": "connection refused", "operator": "and"}}}) == {"e1"}
    assert found(logs, {"match": {"message": "db.example.com"}}) == {"e1"}
    assert found(logs, {"match": {"message": "example"}}) == set()  # one token: db.example.com
    assert found(logs, {"match_phrase": {"message": "connection reset"}}) == {"l2"}
    assert found(logs, {"match_phrase": {"message": {"query": "connection db.example.com", "slop": 1}}}) == set()
    assert found(logs, {"match_phrase": {"message": {"query": "connection db.example.com", "slop": 2}}}) == {"e1"}


def test_exists_and_dotted_names_reach_into_objects(logs: Elasticsearch) -> None:
    assert found(logs, {"exists": {"field": "error"}}) == {"e1", "e2", "e3", "l2"}
    assert found(logs, {"exists": {"field": "error.stack"}}) == {"e1", "e2"}
    assert found(logs, {"exists": {"field": "error.c*"}}) == {"e1"}
    assert found(logs, {"term": {"error.code.keyword": "ECONNREFUSED"}}) == {"e1"}
    assert found(logs, {"match": {"error.stack": "connect"}}) == {"e1"}


def test_simple_query_string_is_refused_with_es_error_shape(logs: Elasticsearch) -> None:
    """The console never sends it (test_elasticsearch checks), so the stand-in refuses it
    as it refuses every query ES has and the stand-in does not implement."""
    with pytest.raises(BadRequestError) as caught:
        logs.search(index=BOTH, query={"simple_query_string": {"query": "connection -timeout", "fields": ["message"]}})

    reason = "query [simple_query_string] is not implemented by the test stand-in"
    assert caught.value.meta.status == 400
    assert caught.value.body == {
        "error": {
            "root_cause": [{"type": "illegal_argument_exception", "reason": reason}],
            "type": "illegal_argument_exception",
            "reason": reason,
        },
        "status": 400,
    }


def test_scores_count_matching_clauses_and_sorting_hides_them(logs: Elasticsearch) -> None:
    boosted = logs.search(index=BOTH, query={"constant_score": {"filter": {"term": {"level": "error"}}, "boost": 2.0}})
    assert {hit["_score"] for hit in boosted["hits"]["hits"]} == {2.0}
    assert boosted["hits"]["max_score"] == 2.0
    filtered = logs.search(index=BOTH, query={"bool": {"filter": [{"term": {"level": "error"}}]}})
    assert {hit["_score"] for hit in filtered["hits"]["hits"]} == {0.0}
    either = {"bool": {"should": [{"match": {"message": "connection"}}, {"term": {"service.keyword": "api"}}]}}
    ranked = logs.search(index=BOTH, query=either)["hits"]["hits"]
    assert ranked[0]["_id"] == "e1" and ranked[0]["_score"] == 2.0  # matches both clauses
    sorted_hits = logs.search(index=BOTH, query=either, sort=[{"timestamp": "asc"}])["hits"]
    assert sorted_hits["max_score"] is None and {hit["_score"] for hit in sorted_hits["hits"]} == {None}
    assert found(logs, {"match_none": {}}) == set()


def test_source_filtering_post_filter_and_total_hits(logs: Elasticsearch) -> None:
    response = logs.search(
        index=BOTH,
        query={"terms": {"level.keyword": ["ERROR", "FATAL"]}},
        post_filter={"term": {"service.keyword": "api"}},
        aggs={"services": {"terms": {"field": "service.keyword"}}},
        source={"includes": ["error.*", "service"], "excludes": ["error.stack"]},
        sort=[{"timestamp": "desc"}],
    )

    assert response["hits"]["total"] == {"value": 2, "relation": "eq"}
    assert [hit["_source"] for hit in response["hits"]["hits"]] == [
        {"service": "api", "error": {"name": "DbError", "code": "ECONNREFUSED"}},
        {"service": "api", "error": {"name": "TimeoutError"}},
    ]
    counts = {b["key"]: b["doc_count"] for b in response["aggregations"]["services"]["buckets"]}
    assert counts == {"api": 2, "edge-functions": 1, "frontend": 1}  # aggregations ignore post_filter
    assert logs.search(index=BOTH, size=0, track_total_hits=3)["hits"]["total"] == {"value": 3, "relation": "gte"}
    assert "total" not in logs.search(index=BOTH, track_total_hits=False)["hits"]
    assert "_source" not in logs.search(index=BOTH, source=False)["hits"]["hits"][0]


def test_index_admin_endpoints_and_explicit_mappings(es: Standin) -> None:
    mappings = {
        "dynamic": "strict",
        "properties": {
            "at": {"type": "date", "format": "epoch_second"},
            "actor": {"type": "keyword", "ignore_above": 8},
            "note": {"type": "text"},
        },
    }
    with Elasticsearch(es.url, max_retries=0, http_compress=True) as client:  # gzip request bodies
        client.indices.create(index="audit", settings={"number_of_replicas": 0}, mappings=mappings)
        response = client.bulk(
            operations=[
                {"index": {"_index": "audit", "_id": "a"}},
                {"at": 1714564800, "actor": "alice", "note": "acked"},
                {"index": {"_index": "audit", "_id": "b"}},
                {"at": 1714564860, "actor": "a-long-service-account"},
                {"index": {"_index": "audit", "_id": "c"}},
                {"at": 1714564920, "actor": "bob", "extra": 1},
            ],
            refresh=True,
        )

        assert [next(iter(item.values()))["status"] for item in response["items"]] == [201, 201, 400]
        assert response["items"][2]["index"]["error"]["type"] == "strict_dynamic_mapping_exception"
        assert found(client, {"exists": {"field": "actor"}}, index="audit") == {"a"}  # longer than ignore_above
        assert found(client, {"range": {"at": {"gte": 1714564860}}}, index="audit") == {"b"}
        assert client.indices.get(index="audit")["audit"]["mappings"] == mappings
        assert client.indices.exists(index="audit") and not client.indices.exists(index="nope")
        assert client.cat.indices(index="audit", format="json")[0]["docs.count"] == "2"
        assert client.cluster.health()["status"] == "green"  # no replica to leave unassigned
        assert client.indices.refresh(index="audit")["_shards"]["failed"] == 0
        assert client.indices.delete(index="audit")["acknowledged"] is True
    assert es.documents() == []
    bulk = next(r for r in es.request_log if r.path.startswith("/_bulk"))
    assert {k.lower(): v for k, v in bulk.headers.items()}["content-encoding"] == "gzip"
    assert bulk.query == {"refresh": "true"}
    assert bulk.json()[1]["actor"] == "alice"


# --------------------------------------------------------------------- sort and paging


def test_search_after_pages_through_ties_exactly_once_in_order(client: Elasticsearch) -> None:
    mappings = {"properties": {"timestamp": {"type": "date"}, "event_id": {"type": "keyword"}}}
    for index in (ERRORS, LOGS):
        client.indices.create(index=index, mappings=mappings)
    start = NOW - timedelta(hours=1)
    events = []
    for i in range(1000):
        moment = start if i < 200 else start - timedelta(seconds=i)  # 200 share a timestamp
        source = {
            "timestamp": moment.isoformat().replace("+00:00", "Z"),
            "event_id": f"evt-{i:04d}",
        }
        events.append({"_index": (ERRORS, LOGS)[i % 2], "_id": f"doc-{i}", "_source": source})
    random.Random(7).shuffle(events)
    helpers.bulk(client, events)
    expected = [e["_source"]["event_id"] for e in sorted(events, key=lambda e: (-_millis(e), e["_source"]["event_id"]))]

    seen: list[str] = []
    after = None
    while True:
        page = client.search(
            index=BOTH,
            size=128,
            sort=[{"timestamp": {"order": "desc"}}, {"event_id": "asc"}],
            search_after=after,
        )
        assert page["hits"]["total"] == {"value": 1000, "relation": "eq"}
        hits = page["hits"]["hits"]
        if not hits:
            break
        seen += [hit["_source"]["event_id"] for hit in hits]
        after = hits[-1]["sort"]

    assert seen == expected
    first = client.search(index=BOTH, size=1, sort=[{"timestamp": "desc"}, {"event_id": "asc"}])["hits"]["hits"][0]
    assert first["sort"] == [int(start.timestamp() * 1000), "evt-0000"]
    assert first["_score"] is None


def _millis(action: dict[str, Any]) -> int:
    moment = datetime.fromisoformat(action["_source"]["timestamp"].replace("Z", "+00:00"))
    return int(moment.timestamp() * 1000)


def test_tiebreakers_es_8_refuses(logs: Elasticsearch) -> None:
    with pytest.raises(BadRequestError) as by_id:
        logs.search(index=BOTH, sort=[{"timestamp": "desc"}, {"_id": "asc"}])
    assert by_id.value.error == "search_phase_execution_exception"
    assert by_id.value.body["error"]["root_cause"][0]["reason"].startswith(
        "Fielddata access on the _id field is disallowed"
    )

    with pytest.raises(BadRequestError) as by_shard_doc:
        logs.search(index=BOTH, sort=[{"timestamp": "desc"}, {"_shard_doc": "asc"}])
    assert by_shard_doc.value.error == "action_request_validation_exception"

    with pytest.raises(BadRequestError) as on_text:
        logs.search(index=BOTH, sort=[{"level": "asc"}])
    assert "Fielddata is disabled on [level]" in on_text.value.body["error"]["caused_by"]["reason"]

    with pytest.raises(BadRequestError) as short_after:
        logs.search(index=BOTH, sort=[{"timestamp": "desc"}, {"level.keyword": "asc"}], search_after=[1])
    assert short_after.value.body["error"]["caused_by"]["reason"] == "search_after has 1 value(s) but sort has 2."


def test_missing_values_sort_last_with_the_values_es_substitutes(client: Elasticsearch) -> None:
    docs = {
        "a": {"took_ms": 5, "host": "web-1"},
        "b": {"note": "no took_ms, no host"},
        "c": {"took_ms": 9, "host": "web-2"},
    }
    helpers.bulk(client, [{"_index": "timing", "_id": k, "_source": v} for k, v in docs.items()])

    def sorted_by(spec: dict[str, Any]) -> list[tuple[str, Any]]:
        hits = client.search(index="timing", sort=[spec])["hits"]["hits"]
        return [(hit["_id"], hit["sort"][0]) for hit in hits]

    assert sorted_by({"took_ms": "asc"}) == [("a", 5), ("c", 9), ("b", 2**63 - 1)]
    assert sorted_by({"took_ms": "desc"}) == [("c", 9), ("a", 5), ("b", -(2**63))]
    assert sorted_by({"host.keyword": {"order": "desc", "missing": "_first"}}) == [
        ("b", None),
        ("c", "web-2"),
        ("a", "web-1"),
    ]


# ---------------------------------------------------------------------- aggregations


def test_terms_inside_terms_and_a_gap_filled_fixed_interval_timeline(logs: Elasticsearch) -> None:
    response = logs.search(
        index=BOTH,
        size=0,
        query={
            "bool": {
                "filter": [
                    {"terms": {"level.keyword": ["ERROR", "FATAL"]}},
                    {"range": {"timestamp": {"gte": "now-24h"}}},
                ]
            }
        },
        aggs={
            "by_service": {
                "terms": {"field": "service.keyword"},
                "aggs": {"by_component": {"terms": {"field": "component.keyword"}}},
            },
            "timeline": {
                "date_histogram": {
                    "field": "timestamp",
                    "fixed_interval": "30m",
                    "min_doc_count": 0,
                    "extended_bounds": {"min": "now-3h", "max": "now"},
                },
            },
            "per_hour": {"date_histogram": {"field": "timestamp", "calendar_interval": "1h"}},
            "latest": {"max": {"field": "timestamp"}},
        },
    )

    assert response["hits"]["total"] == {"value": 4, "relation": "eq"}
    aggs = response["aggregations"]
    services = {
        b["key"]: (b["doc_count"], {c["key"]: c["doc_count"] for c in b["by_component"]["buckets"]})
        for b in aggs["by_service"]["buckets"]
    }
    assert services == {
        "api": (2, {"auth": 1, "chat": 1}),
        "edge-functions": (1, {"billing": 1}),
        "frontend": (1, {"render": 1}),
    }
    assert [b["key"] for b in aggs["by_service"]["buckets"]] == [
        "api",
        "edge-functions",
        "frontend",
    ]
    timeline = aggs["timeline"]["buckets"]
    assert [b["key_as_string"][11:16] for b in timeline] == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "11:00",
        "11:30",
        "12:00",
    ]
    assert [b["doc_count"] for b in timeline] == [0, 0, 1, 0, 1, 2, 0]
    assert timeline[0]["key"] == int((NOW - timedelta(hours=3)).timestamp() * 1000)
    assert [(b["key_as_string"], b["doc_count"]) for b in aggs["per_hour"]["buckets"]] == [
        ("2024-05-01T10:00:00.000Z", 1),
        ("2024-05-01T11:00:00.000Z", 3),
    ]
    assert aggs["latest"]["value_as_string"] == "2024-05-01T11:58:00.000Z"


def test_terms_options_and_metric_aggregations(logs: Elasticsearch) -> None:
    aggs = logs.search(
        index=BOTH,
        size=0,
        aggs={
            "levels": {"terms": {"field": "level.keyword", "size": 2, "order": {"_key": "asc"}}},
            "codes": {"terms": {"field": "error.code.keyword", "missing": "none"}},
            "services": {"cardinality": {"field": "service.keyword"}},
            "named_errors": {"value_count": {"field": "error.name.keyword"}},
            "first": {"min": {"field": "timestamp"}},
        },
    )["aggregations"]

    assert [(b["key"], b["doc_count"]) for b in aggs["levels"]["buckets"]] == [("ERROR", 3), ("FATAL", 1)]
    assert aggs["levels"]["sum_other_doc_count"] == 2
    assert [(b["key"], b["doc_count"]) for b in aggs["codes"]["buckets"]] == [("none", 5), ("ECONNREFUSED", 1)]
    assert (aggs["services"]["value"], aggs["named_errors"]["value"]) == (3, 4)
    assert aggs["first"]["value_as_string"] == "2024-04-30T23:00:00.000Z"


@pytest.mark.parametrize(
    ("histogram", "error_type", "reason"),
    [
        (
            {"interval": "5m"},
            "x_content_parse_exception",
            "[date_histogram] unknown field [interval]",
        ),
        (
            {"calendar_interval": "5m"},
            "x_content_parse_exception",
            "could not be parsed as a calendar interval",
        ),
        ({"fixed_interval": "1M"}, "x_content_parse_exception", "unit is missing or unrecognized"),
        ({}, "illegal_argument_exception", "Invalid interval specified"),
    ],
)
def test_interval_mistakes_are_refused_like_es_8(
    logs: Elasticsearch, histogram: dict[str, str], error_type: str, reason: str
) -> None:
    with pytest.raises(BadRequestError) as caught:
        logs.search(index=BOTH, size=0, aggs={"t": {"date_histogram": {"field": "timestamp", **histogram}}})

    assert caught.value.error == error_type
    assert reason in json.dumps(caught.value.body)


# -------------------------------------------------------------------------------- errors


def test_unknown_and_unimplemented_requests_get_es_error_shapes(es: Standin, logs: Elasticsearch) -> None:
    def refusal(**search: Any) -> tuple[str, str]:
        with pytest.raises(BadRequestError) as caught:
            logs.search(index=BOTH, **search)
        return caught.value.error, caught.value.body["error"]["root_cause"][0]["reason"]

    assert refusal(query={"xyz": {}}) == ("parsing_exception", "unknown query [xyz]")
    assert refusal(body={"querry": {"match_all": {}}}) == (
        "parsing_exception",
        "Unknown key for a START_OBJECT in [querry].",
    )
    assert refusal(aggs={"a": {"histogramm": {"field": "x"}}}) == (
        "parsing_exception",
        "Unknown aggregation type [histogramm]",
    )
    assert refusal(query={"term": {"level": "a", "service": "b"}})[0] == "parsing_exception"
    error_type, reason = refusal(query={"query_string": {"query": "level:ERROR"}})
    assert (error_type, "test stand-in" in reason) == ("illegal_argument_exception", True)
    error_type, reason = refusal(size=10001)
    assert error_type == "search_phase_execution_exception" and reason.startswith("Result window is too large")

    unknown_path = httpx.get(f"{es.url}/_cluster/healthz")
    assert (unknown_path.status_code, unknown_path.json()) == (
        400,
        {"error": "no handler found for uri [/_cluster/healthz] and method [GET]"},
    )
    wrong_method = httpx.get(f"{es.url}/_bulk")
    assert (wrong_method.status_code, wrong_method.headers["allow"]) == (405, "POST,PUT")


def test_missing_indices_404_unless_a_wildcard_or_ignore_unavailable(logs: Elasticsearch) -> None:
    with pytest.raises(NotFoundError) as caught:
        logs.search(index=f"{ERRORS},aigym-nothing")
    assert caught.value.error == "index_not_found_exception"
    assert caught.value.body["error"]["index"] == "aigym-nothing"

    empty = logs.search(index="aigym-nothing-*", aggs={"s": {"terms": {"field": "service.keyword"}}})
    assert empty["hits"] == {"total": {"value": 0, "relation": "eq"}, "max_score": 0.0, "hits": []}
    assert empty["_shards"]["total"] == 0 and "aggregations" not in empty
    assert ids(logs.search(index=f"{ERRORS},aigym-nothing", ignore_unavailable=True)) == {
        "e1",
        "e2",
        "e3",
    }
    with pytest.raises(NotFoundError):
        logs.search(index="aigym-nothing-*", allow_no_indices=False)


def test_a_failing_index_gives_partial_results(client: Elasticsearch) -> None:
    client.indices.create(index="mixed-a", mappings={"properties": {"level": {"type": "keyword"}}})
    helpers.bulk(
        client,
        [
            {"_index": "mixed-a", "_source": {"level": "ERROR"}},
            {"_index": "mixed-b", "_source": {"level": "ERROR"}},
        ],
    )

    response = client.search(index="mixed-*", size=0, aggs={"levels": {"terms": {"field": "level"}}})

    assert response["_shards"]["failed"] == 1
    assert response["_shards"]["failures"][0]["index"] == "mixed-b"
    assert response["aggregations"]["levels"]["buckets"] == [{"key": "ERROR", "doc_count": 1}]


# --------------------------------------------------------------------------- auth


def test_elasticsearch_face_takes_basic_auth_and_api_keys() -> None:
    with start_standin(users={"elastic": "changeme"}, api_keys={"key-id": "key-secret"}) as es:
        assert Elasticsearch(es.url, basic_auth=("elastic", "changeme")).info()["tagline"] == "You Know, for Search"
        assert Elasticsearch(es.url, api_key=("key-id", "key-secret")).info()["tagline"] == "You Know, for Search"

        with pytest.raises(AuthenticationException) as anonymous:
            Elasticsearch(es.url).info()
        assert anonymous.value.error == "security_exception"
        assert anonymous.value.body["error"]["reason"] == "missing authentication credentials for REST request [/]"
        assert "ApiKey" in anonymous.value.meta.headers["www-authenticate"]

        with pytest.raises(AuthenticationException) as wrong:
            Elasticsearch(es.url, basic_auth=("elastic", "nope")).info()
        assert wrong.value.body["error"]["reason"].startswith("unable to authenticate user [elastic]")


def test_opensearch_face_needs_basic_auth_and_is_refused_by_the_official_client() -> None:
    auth = ("admin", "secret")
    alerts = [
        {
            "timestamp": "2024-05-01T11:30:00.000+0000",
            "rule": {"id": "100002", "level": 5, "description": "Authentication failure"},
            "agent": {"id": "001", "name": "web-1"},
            "data": {"srcip": "203.0.113.7"},
        },
        {
            "timestamp": "2024-05-01T11:31:00.000+0000",
            "rule": {"id": "100003", "level": 8, "description": "Brute force"},
            "agent": {"id": "001", "name": "web-1"},
            "data": {"srcip": "203.0.113.7"},
        },
        {
            "timestamp": "2024-05-01T11:32:00.000+0000",
            "rule": {"id": "100001", "level": 3, "description": "Authentication success"},
            "agent": {"id": "002", "name": "web-2"},
            "data": {"srcip": "198.51.100.4"},
        },
        {
            "timestamp": "2024-04-29T11:00:00.000+0000",
            "rule": {"id": "100101", "level": 12, "description": "SQL injection"},
            "agent": {"id": "002", "name": "web-2"},
            "data": {"srcip": "198.51.100.4"},
        },
    ]
    with start_standin("opensearch", users=dict([auth]), clock=NOW.timestamp) as wazuh:
        anonymous = httpx.get(wazuh.url)
        assert (anonymous.status_code, anonymous.text) == (401, "Unauthorized")
        assert anonymous.headers["www-authenticate"] == 'Basic realm="OpenSearch Security"'

        info = httpx.get(wazuh.url, auth=auth)
        assert info.json()["version"]["distribution"] == "opensearch"
        assert "x-elastic-product" not in info.headers
        lines = [line for alert in alerts for line in ({"index": {"_index": "wazuh-alerts-4.x-2024.05.01"}}, alert)]
        bulk = httpx.post(
            f"{wazuh.url}/_bulk?refresh=wait_for",
            content=ndjson(lines),
            auth=auth,
            headers={"content-type": "application/x-ndjson"},
        )
        assert bulk.json()["errors"] is False
        search = {
            "size": 0,
            "query": {
                "bool": {
                    "filter": [
                        {"range": {"rule.level": {"gte": 5}}},
                        {"range": {"timestamp": {"gte": "now-24h"}}},
                    ]
                }
            },
            "aggs": {
                "levels": {
                    "terms": {"field": "rule.level", "order": {"_key": "desc"}},
                    "aggs": {"events": {"terms": {"field": "rule.description.keyword"}}},
                }
            },
        }
        answer = httpx.post(f"{wazuh.url}/wazuh-alerts-4.x-*/_search", json=search, auth=auth).json()
        levels = [
            (b["key"], [e["key"] for e in b["events"]["buckets"]]) for b in answer["aggregations"]["levels"]["buckets"]
        ]
        assert levels == [(8, ["Brute force"]), (5, ["Authentication failure"])]

        with pytest.raises(UnsupportedProductError):
            Elasticsearch(wazuh.url, basic_auth=auth).info()
        with pytest.raises(AuthenticationException):
            Elasticsearch(wazuh.url, basic_auth=("admin", "wrong")).info()


def test_opensearch_keeps_what_es_8_removed() -> None:
    lines = [
        {"index": {"_index": "wazuh-alerts-4.x-2024.05.01", "_id": "a"}},
        {"timestamp": "2024-05-01T10:15:00Z"},
        {"index": {"_index": "wazuh-alerts-4.x-2024.05.01", "_id": "b"}},
        {"timestamp": "2024-05-01T11:45:00Z"},
    ]
    with start_standin("opensearch") as wazuh:
        httpx.post(f"{wazuh.url}/_bulk", content=ndjson(lines), headers={"content-type": "application/x-ndjson"})
        search = {
            "sort": [{"_id": "desc"}],
            "aggs": {"hours": {"date_histogram": {"field": "timestamp", "interval": "1h"}}},
        }

        answer = httpx.post(f"{wazuh.url}/wazuh-alerts-*/_search", json=search).json()

        assert [hit["_id"] for hit in answer["hits"]["hits"]] == ["b", "a"]
        assert [b["doc_count"] for b in answer["aggregations"]["hours"]["buckets"]] == [1, 1]
        vendor = "application/vnd.elasticsearch+json; compatible-with=8"
        refused = httpx.post(f"{wazuh.url}/_search", content=b"{}", headers={"content-type": vendor})
        assert (refused.status_code, refused.json()["status"]) == (406, 406)


# ------------------------------------------------------------------------ async client


async def test_async_client_over_the_httpx_node_class(es: Standin) -> None:
    client = AsyncElasticsearch(es.url, node_class="httpxasync")
    try:
        actions = [{"_index": index, "_id": doc_id, "_source": source} for doc_id, index, source in LOG_DOCS]
        assert await helpers.async_bulk(client, actions) == (len(LOG_DOCS), [])
        response = await client.search(index=BOTH, query={"match": {"message": "connection"}})
    finally:
        await client.close()

    assert ids(response) == {"e1", "l2"}


# ------------------------------------------------------------------------ fault injection


def test_injected_failures_reach_a_client_that_does_not_retry(es: Standin, logs: Elasticsearch) -> None:
    es.fail_next(status=503)
    assert logs.info()["tagline"]  # faults wait for a search
    with pytest.raises(ApiError) as unavailable:
        logs.search(index=BOTH)
    assert unavailable.value.meta.status == 503
    assert unavailable.value.error == "no_shard_available_action_exception"

    es.fail_with_html()
    with pytest.raises(ApiError) as proxy:
        logs.search(index=BOTH)
    assert proxy.value.meta.status == 502 and "<h1>502 Bad Gateway</h1>" in proxy.value.body

    es.truncate_next()
    with pytest.raises(SerializationError):
        logs.search(index=BOTH)

    es.fail_next(status=401, times=2)
    for _ in range(2):
        with pytest.raises(AuthenticationException):
            logs.search(index=BOTH)
    assert len(ids(logs.search(index=BOTH))) == 6


def test_the_default_client_retries_injected_503s(es: Standin, logs: Elasticsearch) -> None:
    es.fail_next(status=503, times=3)
    searches_before = sum("/_search" in r.path for r in es.request_log)

    with Elasticsearch(es.url) as retrying:  # max_retries=3 by default
        assert len(ids(retrying.search(index=BOTH))) == 6

    assert sum("/_search" in r.path for r in es.request_log) - searches_before == 4


def test_delayed_searches_time_out_and_the_server_keeps_serving(es: Standin, logs: Elasticsearch) -> None:
    # the stand-in holds the timed-out search for 5 s; the next one is answered while it
    # is still held (5 s is a margin, not a speed asserted: it is one search on loopback)
    es.delay_next(5.0)
    started = time.monotonic()
    with (
        Elasticsearch(es.url, request_timeout=0.2, max_retries=0) as impatient,
        pytest.raises(ConnectionTimeout),
    ):
        impatient.search(index=BOTH)

    assert len(ids(logs.search(index=BOTH))) == 6
    assert time.monotonic() - started < 5.0


def test_request_log_shows_user_text_stays_in_the_body(es: Standin, logs: Elasticsearch) -> None:
    user_text = 'level:ERROR" OR 1=1 -- ); DROP'

    logs.search(
        index=BOTH,
        query={"match": {"message": {"query": user_text, "operator": "and"}}},
        ignore_unavailable=True,
    )

    method, path, body, _ = es.request_log[-1]
    assert (method, path) == ("POST", "/aigym-errors-*,aigym-logs-*/_search?ignore_unavailable=true")
    assert json.loads(body)["query"]["match"]["message"]["query"] == user_text
    assert user_text not in unquote(path)


def test_a_point_in_time_freezes_the_documents_and_pages_on_shard_doc() -> None:
    """ES's documented way to page without a unique field: PIT + `_shard_doc`."""
    with start_standin() as es:
        client = Elasticsearch(es.url)
        at = "2026-11-28T14:00:00Z"
        helpers.bulk(client, [{"_index": f"logs-{i % 2}", "_source": {"timestamp": at, "n": i}} for i in range(30)])
        pit = client.open_point_in_time(index="logs-*", keep_alive="1m")["id"]
        helpers.bulk(client, [{"_index": "logs-0", "_source": {"timestamp": at, "n": 99}}])  # after the PIT
        seen, after = [], None
        while True:
            body = client.search(pit={"id": pit, "keep_alive": "1m"}, size=7, search_after=after,
                                 sort=[{"timestamp": "asc"}, {"_shard_doc": "asc"}])
            hits = body["hits"]["hits"]
            seen += [h["_source"]["n"] for h in hits]
            if len(hits) < 7:
                break
            after = hits[-1]["sort"]
        assert sorted(seen) == list(range(30)), "each once, and not the document indexed later"
        assert body["pit_id"] == pit
        with pytest.raises(BadRequestError):  # _shard_doc needs the PIT
            client.search(index="logs-*", sort=[{"_shard_doc": "asc"}])
        assert client.close_point_in_time(id=pit)["num_freed"] == 1
        with pytest.raises(NotFoundError):
            client.search(pit={"id": pit}, size=1)
        client.close()
