"""Reading fields out of backend documents (obsconsole/logic/fields.py): dotted paths,
bounded text, times in every zone, aggregation buckets and error answers. The sources
for Elasticsearch and Wazuh read every document through these."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from obsconsole.logic.fields import MAX_FIELD_CHARS, buckets, clip, error_reason, get_path, parse_time, scalar_text
from tests.tz import local_zone  # noqa: F401  (autouse: every test in UTC, Asia/Kolkata, America/New_York)

UTC = timezone.utc

# --------------------------------------------------------------------------- paths

DOC = {
    "level": "ERROR",
    "error": {"name": "PoolTimeout", "detail": {"code": 503}},
    "service.name": "aigym-api",  # a flattened key, as some shippers write it
    "tags": ["a", "b"],
}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("level", "ERROR"),
        ("error.name", "PoolTimeout"),
        ("error.detail.code", 503),
        ("service.name", "aigym-api"),
        ("level.keyword", "ERROR"),  # the keyword sub-field's value is its parent's
        ("error.name.keyword", "PoolTimeout"),
        ("tags", ["a", "b"]),
        ("error", {"name": "PoolTimeout", "detail": {"code": 503}}),
    ],
)
def test_a_field_is_found_nested_flattened_or_as_its_keyword(path: str, value: object) -> None:
    assert get_path(DOC, path) == value


@pytest.mark.parametrize("path", ["missing", "error.missing", "level.inner", "tags.0", "error.detail.code.x",
                                  ".keyword", "keyword", "Level"])
def test_a_missing_field_is_none(path: str) -> None:
    assert get_path(DOC, path) is None


def test_only_a_trailing_keyword_suffix_is_dropped() -> None:
    doc = {"keyword": {"level": "x"}, "level": {"keyword": "nested"}}
    assert get_path(doc, "keyword.level") == "x"
    assert get_path({"a": {"b.keyword": "v"}}, "a.b.keyword") is None


def test_a_flattened_key_wins_over_a_nested_object_of_the_same_path() -> None:
    assert get_path({"a.b": "flat", "a": {"b": "nested"}}, "a.b") == "flat"


# --------------------------------------------------------------------------- text


def test_text_at_the_limit_is_kept_whole() -> None:
    assert clip("abc", 3) == "abc"
    assert clip("", 0) == ""


def test_longer_text_is_cut_with_a_marker_saying_how_much() -> None:
    assert clip("abcdef", 4) == "abcd … [cut 2 chars]"
    assert clip("x" * 20_000) == "x" * 16_384 + " … [cut 3,616 chars]"
    assert MAX_FIELD_CHARS == 16_384


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("pool exhausted", "pool exhausted"),
        ("", ""),
        (True, "true"),
        (False, "false"),
        (503, "503"),
        (0, "0"),
        (1.5, "1.5"),
        (None, ""),
        (["a"], ""),
        ({"a": 1}, ""),
        (b"bytes", ""),
    ],
)
def test_scalars_become_text_and_objects_nothing(value: object, text: str) -> None:
    assert scalar_text(value) == text


def test_a_number_too_long_to_print_says_so() -> None:
    assert scalar_text(10**5000) == "⟨number too long⟩"


def test_long_scalar_text_is_clipped() -> None:
    assert scalar_text("y" * 16_385) == "y" * 16_384 + " … [cut 1 chars]"


# --------------------------------------------------------------------------- times


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-28T14:00:00Z", datetime(2026, 11, 28, 14, 0, tzinfo=UTC)),
        ("2026-11-28T14:00:00z", datetime(2026, 11, 28, 14, 0, tzinfo=UTC)),
        ("2026-11-28T14:00:00.250Z", datetime(2026, 11, 28, 14, 0, 0, 250000, tzinfo=UTC)),
        ("2026-11-28T14:00:00+00:00", datetime(2026, 11, 28, 14, 0, tzinfo=UTC)),
        ("2026-11-28T19:30:00+05:30", datetime(2026, 11, 28, 14, 0, tzinfo=UTC)),
        ("2026-11-28T09:00:00-0500", datetime(2026, 11, 28, 14, 0, tzinfo=UTC)),
        ("2026-11-28T14:00:00.123+0000", datetime(2026, 11, 28, 14, 0, 0, 123000, tzinfo=UTC)),
        # no offset: UTC, never the local zone of the machine running the console
        ("2026-11-28T14:00:00", datetime(2026, 11, 28, 14, 0, tzinfo=UTC)),
        ("2026-11-28 14:00:00", datetime(2026, 11, 28, 14, 0, tzinfo=UTC)),
        ("2026-07-01T14:00:00", datetime(2026, 7, 1, 14, 0, tzinfo=UTC)),  # summer time elsewhere
        ("  2026-11-28T14:00:00Z\n", datetime(2026, 11, 28, 14, 0, tzinfo=UTC)),
        (1795874400000, datetime(2026, 11, 28, 14, 0, tzinfo=UTC)),  # epoch milliseconds
        (1795874400500.0, datetime(2026, 11, 28, 14, 0, 0, 500000, tzinfo=UTC)),
        (0, datetime(1970, 1, 1, tzinfo=UTC)),
    ],
)
def test_times_become_aware_utc_in_every_local_zone(value: object, expected: datetime) -> None:
    parsed = parse_time(value)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == timedelta(0)
    assert (parsed.hour, parsed.minute) == (expected.hour, expected.minute)


def test_a_time_padded_to_64_characters_is_read_and_one_more_is_refused() -> None:
    text = "2026-11-28T14:00:00Z"
    assert parse_time(text.center(64)) == datetime(2026, 11, 28, 14, 0, tzinfo=UTC)
    assert parse_time(text.center(65)) is None


@pytest.mark.parametrize(
    "value",
    ["", " ", "z", "Z", "yesterday", "2026-13-45T00:00:00Z", "2026-11-28T14:00:00+9999", True, False,
     None, [], {}, float("nan"), float("inf"), 10**400, b"2026-11-28T14:00:00Z"],
)
def test_what_is_not_a_time_is_none(value: object) -> None:
    assert parse_time(value) is None


# --------------------------------------------------------------------------- search answers


def test_buckets_are_the_aggregations_bucket_objects() -> None:
    agg = {"buckets": [{"key": "aigym-api", "doc_count": 3}, "junk", 7, None, {"key": "aigym-auth", "doc_count": 1}]}
    assert buckets(agg) == [{"key": "aigym-api", "doc_count": 3}, {"key": "aigym-auth", "doc_count": 1}]


@pytest.mark.parametrize("agg", [None, {}, {"buckets": None}, {"buckets": {"a": {}}}, {"buckets": "x"}, ["buckets"]])
def test_a_malformed_aggregation_has_no_buckets(agg: object) -> None:
    assert buckets(agg) == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"error": {"type": "index_not_found_exception", "reason": "no such index [x]"}, "status": 404},
         "index_not_found_exception: no such index [x]"),
        ({"error": {"reason": "no type"}}, "error: no type"),
        ({"error": {"type": "search_phase_execution_exception"}}, "search_phase_execution_exception:"),
        ({"error": "index [x] is\n  closed"}, "index [x] is closed"),
        ({"error": "  padded  "}, "padded"),
        ({"error": "e" * 300}, "e" * 200),
        ({"error": {"type": "t", "reason": "r\n" + "x" * 300}}, "t: r " + "x" * 195),
    ],
)
def test_an_error_answer_is_one_line_of_type_and_reason(body: object, reason: str) -> None:
    assert error_reason(body) == reason


@pytest.mark.parametrize("body", [None, "error", {}, {"error": None}, {"error": 503}, {"error": ["x"]}, ["error"]])
def test_what_is_not_an_error_answer_has_no_reason(body: object) -> None:
    assert error_reason(body) is None
