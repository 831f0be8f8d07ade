"""The query DSL: each query parses to a binder that, given an index, yields a matcher
(a document's score, or None). Queries ES has but the stand-in does not implement are
refused with a 400 naming them; names ES does not know get its ``parsing_exception``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .dates import _date_formats, _date_math
from .errors import _ShardError, _cause, _error, _illegal, _parsing, _token_name, _unsupported
from .faces import _Face
from .mapping import _Doc, _Field, _Index
from .text import _analyze, _as_text, _phrase_matches, _wildcard


_Matcher = Callable[[_Doc], "float | None"]
"""A bound query: the document's score, or None when it does not match."""
_Binder = Callable[[_Index], _Matcher]
"""A parsed query: binds to one index (field types), raising _ShardError as ES would."""


@dataclass(frozen=True)
class _Env:
    """Per-request context of query parsing."""

    now_ms: int
    face: _Face


def _parse_query(node: Any, env: _Env) -> _Binder:
    if not isinstance(node, dict):
        raise _parsing("[_na] query malformed, must start with start_object")
    if not node:
        raise _parsing("query malformed, empty clause found")
    if len(node) > 1:
        raise _parsing(f"[{next(iter(node))}] malformed query, expected [END_OBJECT] but found [FIELD_NAME]")
    ((name, body),) = node.items()
    parser = _QUERIES.get(name)
    if parser is None:
        if name in _KNOWN_QUERIES:
            raise _unsupported(f"query [{name}]")
        raise _error(
            400,
            "parsing_exception",
            f"unknown query [{name}]",
            caused_by=_cause("named_object_not_found_exception", f"unknown field [{name}]"),
        )
    return parser(body, env)


def _object(body: Any, query: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _parsing(f"[{query}] query malformed, no start_object after query name")
    return body


def _check_keys(body: Mapping[str, Any], query: str, allowed: set[str], unsupported: Iterable[str] = ()) -> None:
    for key in body:
        if key in unsupported:
            raise _unsupported(f"[{query}] parameter [{key}]")
        if key not in allowed:
            raise _parsing(f"[{query}] query does not support [{key}]")


def _one_field(body: Any, query: str) -> tuple[str, Any]:
    body = _object(body, query)
    if len(body) != 1:
        if not body:
            raise _illegal(f"[{query}] query requires a field name")
        first, second = list(body)[:2]
        raise _parsing(f"[{query}] query doesn't support multiple fields, found [{first}] and [{second}]")
    return next(iter(body.items()))


def _boost(body: Mapping[str, Any]) -> float:
    return float(body.get("boost", 1.0))


def _q_match_all(body: Any, env: _Env) -> _Binder:
    body = _object(body, "match_all")
    _check_keys(body, "match_all", {"boost"}, {"_name"})
    boost = _boost(body)
    return lambda ix: lambda doc: boost


def _q_match_none(body: Any, env: _Env) -> _Binder:
    _check_keys(_object(body, "match_none"), "match_none", set(), {"_name"})
    return lambda ix: lambda doc: None


def _q_constant_score(body: Any, env: _Env) -> _Binder:
    body = _object(body, "constant_score")
    _check_keys(body, "constant_score", {"filter", "boost"}, {"_name"})
    if "filter" not in body:
        raise _parsing("[constant_score] requires a 'filter' element")
    inner, boost = _parse_query(body["filter"], env), _boost(body)

    def bind(ix: _Index) -> _Matcher:
        matcher = inner(ix)
        return lambda doc: None if matcher(doc) is None else boost

    return bind


def _msm_rule(spec: Any) -> Callable[[int], int]:
    """ES's minimum_should_match (N, -N, P%, -P%) as a function of the optional clause count."""
    text = _as_text(spec).strip()
    if "<" in text:
        raise _unsupported(f"conditional minimum_should_match [{text}]")
    percent = text.endswith("%")
    try:
        number = int(text[:-1] if percent else text)
    except ValueError:
        raise _illegal(f"Failed to parse minimum_should_match [{text}]") from None

    def required(optional: int) -> int:
        if percent:
            calc = optional * number / 100
            result = optional + int(calc) if calc < 0 else int(calc)
        else:
            result = optional + number if number < 0 else number
        return max(result, 0)

    return required


def _q_bool(body: Any, env: _Env) -> _Binder:
    body = _object(body, "bool")
    occurs = ("must", "filter", "should", "must_not")
    _check_keys(body, "bool", {*occurs, "minimum_should_match", "boost", "adjust_pure_negative"}, {"_name"})
    clauses: dict[str, list[_Binder]] = {}
    for occur in occurs:
        value = body.get(occur, [])
        clauses[occur] = [_parse_query(q, env) for q in (value if isinstance(value, list) else [value])]
    msm = _msm_rule(body["minimum_should_match"]) if "minimum_should_match" in body else None
    boost, empty = _boost(body), not any(clauses.values())

    def bind(ix: _Index) -> _Matcher:
        must = [b(ix) for b in clauses["must"]]
        filters = [b(ix) for b in clauses["filter"]]
        should = [b(ix) for b in clauses["should"]]
        must_not = [b(ix) for b in clauses["must_not"]]
        required = msm(len(should)) if msm is not None else 0
        if should and not must and not filters:
            required = max(required, 1)  # Lucene: nothing else required, one should must match

        def match(doc: _Doc) -> float | None:
            if empty:
                return boost
            score = 0.0
            for matcher in must:
                got = matcher(doc)
                if got is None:
                    return None
                score += got
            if any(matcher(doc) is None for matcher in filters):
                return None
            if any(matcher(doc) is not None for matcher in must_not):
                return None
            scores = [s for s in (matcher(doc) for matcher in should) if s is not None]
            if len(scores) < required:
                return None
            return (score + sum(scores)) * boost

        return match

    return bind


def _term_value(target: _Field, value: Any) -> Any:
    """A query value as the field indexes it; raises _ShardError when it cannot be."""
    kind = target.kind
    if kind in ("text", "keyword"):
        return _as_text(value)
    if kind == "boolean":
        if isinstance(value, bool) or value in ("true", "false", ""):
            return value if isinstance(value, bool) else value == "true"
        reason = f"Can't parse boolean value [{_as_text(value)}], expected [true] or [false]"
        raise _ShardError(
            "query_shard_exception",
            f"failed to create query: {reason}",
            _cause("illegal_argument_exception", reason),
        )
    try:
        number = float(value)
    except (TypeError, ValueError):
        reason = f'For input string: "{_as_text(value)}"'
        raise _ShardError(
            "query_shard_exception",
            f"failed to create query: {reason}",
            _cause("number_format_exception", reason),
        ) from None
    if kind == "long":
        return int(number) if number.is_integer() else None  # 5.5 never equals a long
    return number


def _date_bound(target: _Field, value: Any, formats: tuple[str, ...] | None, env: _Env, round_up: bool) -> int:
    formats = formats or target.formats
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and "epoch_millis" in formats:
            return int(value)
        return _date_math(value, formats, env.now_ms, round_up)
    except ValueError:
        fmt = "||".join(formats)
        reason = f"failed to parse date field [{_as_text(value)}] with format [{fmt}]"
        raise _ShardError(
            "parse_exception", f"{reason}: [{reason}]", _cause("illegal_argument_exception", reason)
        ) from None


def _values_predicate(
    ix: _Index, name: str, values: list[Any], env: _Env, case_insensitive: bool = False
) -> Callable[[_Doc], bool]:
    """term/terms: does the field hold one of ``values`` (as the field indexes them)?"""
    if name == "_id":
        ids = {_as_text(v) for v in values}
        return lambda doc: doc.id in ids
    if name == "_index":
        hit = ix.name in {_as_text(v) for v in values}
        return lambda doc: hit
    target = ix.fields.get(name)
    if target is None:
        return lambda doc: False
    if target.kind == "date":  # a term on a date is the range [value rounded down, rounded up]
        spans = [(_date_bound(target, v, None, env, False), _date_bound(target, v, None, env, True)) for v in values]
        return lambda doc: any(lo <= x <= hi for x in doc.values.get(name, ()) for lo, hi in spans)
    wanted = {_term_value(target, v) for v in values}
    if case_insensitive and target.kind in ("text", "keyword"):
        folded = {w.lower() for w in wanted}
        return lambda doc: any(x.lower() in folded for x in doc.values.get(name, ()))
    return lambda doc: any(x in wanted for x in doc.values.get(name, ()))


def _q_term(body: Any, env: _Env) -> _Binder:
    name, spec = _one_field(body, "term")
    options = spec if isinstance(spec, dict) else {"value": spec}
    _check_keys(options, "term", {"value", "boost", "case_insensitive"}, {"_name"})
    if "value" not in options or options["value"] is None:
        raise _illegal("value cannot be null")
    value = options["value"]
    if isinstance(value, (list, dict)):
        raise _parsing("[term] query does not support array of values")
    boost, insensitive = _boost(options), bool(options.get("case_insensitive", False))

    def bind(ix: _Index) -> _Matcher:
        test = _values_predicate(ix, name, [value], env, insensitive)
        return lambda doc: boost if test(doc) else None

    return bind


def _q_terms(body: Any, env: _Env) -> _Binder:
    body = _object(body, "terms")
    fields = [k for k in body if k not in ("boost", "_name")]
    if "_name" in body:
        raise _unsupported("[terms] parameter [_name]")
    if len(fields) != 1:
        raise _parsing(
            "[terms] query requires a field"
            if not fields
            else f"[terms] query does not support multiple fields, found [{fields[0]}] and [{fields[1]}]"
        )
    name, values = fields[0], body[fields[0]]
    if isinstance(values, dict):
        raise _unsupported("terms lookup")
    if not isinstance(values, list):
        raise _parsing(f"[terms] unknown token [{_token_name(values)}] after [{name}]")
    if len(values) > 65536:
        raise _illegal(
            f"The number of terms [{len(values)}] used in the Terms Query request has exceeded the allowed maximum of [65536]."
        )
    boost = _boost(body)

    def bind(ix: _Index) -> _Matcher:
        test = _values_predicate(ix, name, values, env)
        return lambda doc: boost if test(doc) else None

    return bind


_RANGE_KEYS = {
    "gt",
    "gte",
    "lt",
    "lte",
    "from",
    "to",
    "include_lower",
    "include_upper",
    "format",
    "time_zone",
    "boost",
    "relation",
}


def _q_range(body: Any, env: _Env) -> _Binder:
    name, spec = _one_field(body, "range")
    spec = _object(spec, "range")
    _check_keys(spec, "range", _RANGE_KEYS, {"_name"})
    lower: tuple[Any, bool] | None = None
    upper: tuple[Any, bool] | None = None
    for key, value in spec.items():
        if value is None:
            continue
        if key in ("gt", "gte"):
            lower = (value, key == "gte")
        elif key in ("lt", "lte"):
            upper = (value, key == "lte")
        elif key == "from":
            lower = (value, bool(spec.get("include_lower", True)))
        elif key == "to":
            upper = (value, bool(spec.get("include_upper", True)))
    if _as_text(spec.get("time_zone", "UTC")).upper() not in ("UTC", "Z", "+00:00", "ETC/UTC"):
        raise _unsupported(f"[range] time_zone [{spec['time_zone']}]")
    if _as_text(spec.get("relation", "intersects")).lower() != "intersects":
        raise _unsupported(f"[range] relation [{spec['relation']}]")
    formats = _date_formats(spec["format"]) if "format" in spec else None
    boost = _boost(spec)

    def bind(ix: _Index) -> _Matcher:
        target = ix.fields.get(name)
        if target is None:
            return lambda doc: None
        kind = target.kind

        def bound(value: Any, inclusive: bool, is_lower: bool) -> Any:
            if kind == "date":  # gt and lte round up, gte and lt round down
                return _date_bound(target, value, formats, env, round_up=(is_lower != inclusive))
            if kind in ("text", "keyword"):
                return _as_text(value)
            converted = _term_value(target, value)
            return float(value) if converted is None else converted

        lo = (bound(lower[0], lower[1], True), lower[1]) if lower else None
        hi = (bound(upper[0], upper[1], False), upper[1]) if upper else None

        def inside(x: Any) -> bool:
            if lo is not None and (x < lo[0] or (x == lo[0] and not lo[1])):
                return False
            return hi is None or not (x > hi[0] or (x == hi[0] and not hi[1]))

        return lambda doc: boost if any(inside(x) for x in doc.values.get(name, ())) else None

    return bind


def _q_exists(body: Any, env: _Env) -> _Binder:
    body = _object(body, "exists")
    _check_keys(body, "exists", {"field", "boost"}, {"_name"})
    if "field" not in body:
        raise _illegal("[exists] must be provided with a [field]")
    pattern, boost = _as_text(body["field"]), _boost(body)
    wildcard = _wildcard(pattern)

    def bind(ix: _Index) -> _Matcher:
        if pattern in ("_id", "_index"):
            return lambda doc: boost
        names = [n for n in ix.fields if wildcard.fullmatch(n) or n.startswith(pattern + ".")]
        return lambda doc: boost if any(n in doc.present for n in names) else None

    return bind


def _text_options(body: Any, query: str, allowed: set[str], unsupported: set[str]) -> tuple[str, dict[str, Any]]:
    name, spec = _one_field(body, query)
    options = spec if isinstance(spec, dict) else {"query": spec}
    _check_keys(options, query, allowed, unsupported)
    if "query" not in options or options["query"] is None:
        raise _parsing("No text specified for text query")
    zero = _as_text(options.get("zero_terms_query", "none")).lower()
    if zero not in ("none", "all"):
        raise _illegal(f"Unsupported zero_terms_query value [{zero}]")
    return name, options


def _leaf_matcher(ix: _Index, name: str, text: Any, env: _Env, lenient: bool) -> Callable[[_Doc], bool] | None:
    """How match/match_phrase treat a field that is not text: the keyword analyser
    (whole value) for keywords, term semantics otherwise; None for an unmapped field."""
    target = ix.fields.get(name)
    if target is None and name not in ("_id", "_index"):
        return None
    try:
        return _values_predicate(ix, name, [text], env)
    except _ShardError:
        if lenient:
            return lambda doc: False
        raise


_MATCH_KEYS = {
    "query", "operator", "minimum_should_match", "lenient", "zero_terms_query", "boost",
    "auto_generate_synonyms_phrase_query", "fuzzy_transpositions", "max_expansions", "prefix_length",
}  # fmt: skip


def _q_match(body: Any, env: _Env) -> _Binder:
    name, options = _text_options(body, "match", _MATCH_KEYS, {"fuzziness", "analyzer", "fuzzy_rewrite", "_name"})
    operator = _as_text(options.get("operator", "or")).lower()
    if operator not in ("or", "and"):
        raise _illegal(f"operator needs to be either [and] or [or], but was [{operator}]")
    text, boost = options["query"], _boost(options)
    lenient = bool(options.get("lenient", False))
    zero_all = _as_text(options.get("zero_terms_query", "none")).lower() == "all"
    msm = _msm_rule(options["minimum_should_match"]) if "minimum_should_match" in options else None

    def bind(ix: _Index) -> _Matcher:
        target = ix.fields.get(name)
        if target is not None and target.kind == "text":
            tokens = _analyze(_as_text(text))
            if not tokens:
                return (lambda doc: boost) if zero_all else (lambda doc: None)
            required = len(tokens) if operator == "and" else max(1, msm(len(tokens)) if msm else 1)

            def match(doc: _Doc) -> float | None:
                table = doc.positions.get(name, {})
                hits = sum(1 for token in tokens if token in table)
                return boost * hits if hits >= required else None

            return match
        test = _leaf_matcher(ix, name, text, env, lenient)
        if test is None:
            return lambda doc: None
        return lambda doc: boost if test(doc) else None

    return bind


def _q_match_phrase(body: Any, env: _Env) -> _Binder:
    name, options = _text_options(
        body, "match_phrase", {"query", "slop", "zero_terms_query", "boost"}, {"analyzer", "_name"}
    )
    text, slop, boost = options["query"], int(options.get("slop", 0)), _boost(options)
    zero_all = _as_text(options.get("zero_terms_query", "none")).lower() == "all"

    def bind(ix: _Index) -> _Matcher:
        target = ix.fields.get(name)
        if target is not None and target.kind == "text":
            tokens = _analyze(_as_text(text))
            if not tokens:
                return (lambda doc: boost) if zero_all else (lambda doc: None)
            return lambda doc: boost if _phrase_matches(doc.positions.get(name, {}), tokens, slop) else None
        test = _leaf_matcher(ix, name, text, env, lenient=False)
        if test is None:
            return lambda doc: None
        return lambda doc: boost if test(doc) else None

    return bind


_QUERIES: dict[str, Callable[[Any, _Env], _Binder]] = {
    "bool": _q_bool,
    "term": _q_term,
    "terms": _q_terms,
    "range": _q_range,
    "match": _q_match,
    "match_phrase": _q_match_phrase,
    "match_all": _q_match_all,
    "match_none": _q_match_none,
    "exists": _q_exists,
    "constant_score": _q_constant_score,
}
_KNOWN_QUERIES = {
    "query_string", "simple_query_string", "prefix", "wildcard", "regexp", "fuzzy", "ids", "nested",
    "has_child", "has_parent", "multi_match", "match_bool_prefix", "match_phrase_prefix", "combined_fields",
    "dis_max", "function_score", "boosting", "script", "script_score", "geo_distance",
    "geo_bounding_box", "more_like_this", "terms_set", "intervals", "distance_feature",
    "pinned", "rank_feature", "span_term", "span_near", "wrapper", "knn", "semantic",
}  # fmt: skip
