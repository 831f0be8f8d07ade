"""An in-process Elasticsearch 8 / OpenSearch 2 stand-in for the console's tests.

Neither Elasticsearch nor the Wazuh indexer (OpenSearch) can be installed from the
registries the test suite may use, so this package answers the part of their REST API the
console relies on, from documents held in memory, with the documented response and error
shapes. Data goes in through the real ``_bulk`` API. Queries get the real semantics
wherever the console could get them wrong: text fields are analysed (``term`` on a text
field sees lower-case tokens, ``level.keyword`` sees the whole value), dates are instants
with date math and ES's rounding rules, ``bool`` needs one ``should`` only when nothing
else is required, and whatever is not implemented is refused with a 400 in
Elasticsearch's error shape, never ignored.

Usage::

    with start_standin() as es:                         # the Elasticsearch 8 face
        client = Elasticsearch(es.url)
        helpers.bulk(client, actions)
        es.fail_next(status=503)                         # the next _search answers 503
        ...
    with start_standin("opensearch", users={"admin": "secret"}) as wazuh:
        httpx.post(f"{wazuh.url}/wazuh-alerts-4.x-*/_search", auth=("admin", "secret"), json=...)

``now`` in date math is the ``clock`` given to start_standin (real time by default), so
tests can freeze it. ``request_log`` records every request as ``(method, path, body,
headers)`` (``.query`` and ``.json()`` decode them) and ``documents()`` shows what is stored.

The two faces
    ``elasticsearch``: ``GET /`` reports ``version`` (default 8.19.3, build_flavor default)
    and every response carries ``X-Elastic-Product: Elasticsearch``, without which the
    official client refuses the server. ``Accept``/``Content-Type`` may carry
    ``application/vnd.elasticsearch+json; compatible-with=N`` for N = major or major - 1,
    as ES checks them (so a 9.x client is refused by the default 8.x face with the real
    400 ``media_type_header_exception``; start with ``version="9.1.0"`` for a 9.x server);
    responses then use the same media type. Optional basic auth (``users``) and API keys
    (``api_keys``, header ``Authorization: ApiKey base64(id:key)``) with ES's 401
    ``security_exception``. ``_id`` cannot be sorted or aggregated on (ES 8 refuses field
    data on ``_id``); ``_shard_doc`` (unique across the searched indices) needs a point in time.
    ``opensearch`` (the Wazuh indexer): ``version.distribution: opensearch`` (2.19.1), no
    product header, so the official client raises ``UnsupportedProductError``; the
    security plugin's 401 (``text/plain`` "Unauthorized", ``WWW-Authenticate: Basic
    realm="OpenSearch Security"``) when ``users`` are given; vendor media types refused
    with 406 as OpenSearch does; ``date_histogram.interval`` still accepted (deprecated
    there, removed in ES 8); sorting on ``_id`` allowed.

Endpoints
    ``GET|HEAD /``; ``POST|PUT /_bulk`` and ``/{index}/_bulk`` (``index``, ``create`` and
    ``delete`` actions, ``refresh``: documents are searchable at once anyway);
    ``GET|POST /_search`` and ``/{target}/_search`` (comma lists, wildcards, exclusions,
    ``ignore_unavailable``, ``allow_no_indices``, ``expand_wildcards``); ``PUT /{index}``
    (``mappings.properties``/``dynamic``, ``settings.number_of_shards|replicas``),
    ``GET|HEAD|DELETE /{index}``; ``GET|POST /_refresh``, ``/{index}/_refresh``;
    ``GET /_cluster/health``; ``GET /_cat/indices?format=json``; points in time (Elasticsearch
    face): ``POST /{target}/_pit?keep_alive=1m`` freezes the documents of the target,
    ``POST /_search`` with ``pit: {id, keep_alive}`` (no index in the path) searches them
    and answers ``pit_id``, ``DELETE /_pit`` frees it; an unknown or expired id is 404
    ``search_context_missing_exception``. Other paths answer ES's
    400 "no handler found for uri [...]" (a single unknown segment is an index name, as in
    ES), a known path with another method 405 with ``Allow``, and unknown URL parameters
    ES's 400 "contains unrecognized parameter".

Mappings
    Dynamic mapping as ES does it: JSON booleans ``boolean``, integers ``long``, other
    numbers ``float``, strings that parse as ``strict_date_optional_time`` (and hold two
    ``-``, ``:`` or ``/``, ES's guard) ``date``, other strings ``text`` with a ``keyword``
    sub-field (``ignore_above: 256``), objects
    flattened to dotted names (``rule.level``; dotted keys in ``_source`` mean the same).
    Explicit types: text, keyword (``ignore_above``), date (``format`` among
    strict_date_optional_time, date_optional_time, epoch_millis, epoch_second), long,
    integer, short, byte, double, float, half_float, boolean, object, and
    multi-fields (``fields``). A value that does not fit its field fails that bulk item
    with ES's ``document_parsing_exception`` (``mapper_parsing_exception`` on OpenSearch).

Query DSL
    bool (must, filter, should, must_not, minimum_should_match as N, -N, P%, -P%), term
    (``case_insensitive``), terms, range (gt/gte/lt/lte, from/to/include_*, ``format``; on
    dates ISO 8601 with or without zone and fraction, epoch millis, date math
    ``now-1h/d`` and ``2024-01-01||+1M`` with ES's rounding: gt/lte round up, and a
    missing time of day rounds up to 23:59:59.999), match (operator, minimum_should_match,
    lenient, zero_terms_query), match_phrase (slop), match_all, match_none, exists (also on
    objects and with wildcards), constant_score. ``_id`` and ``_index`` may be used in
    term/terms.
    The standard analyser is approximated: Unicode word characters, joined across
    ``. ' ’ :`` between letters and ``. , ; ' ’`` between digits (UAX #29), lower-cased,
    no stop words.

Search body
    query, post_filter, size (default 10), from, sort (strings, ``{field: order}``,
    ``{field: {order, missing, unmapped_type, mode: min|max}}``, ``_score``, ``_doc``;
    missing values last, as ES substitutes them: Long.MAX/MIN for numbers and dates, null
    for keywords), search_after (values as returned in ``sort``, dates as epoch millis or
    date strings), _source (bool, pattern or list, includes/excludes), track_total_hits,
    track_scores, timeout (accepted), aggs/aggregations. URL parameters ``size``,
    ``from``, ``sort`` (``field:desc``), ``_source*``, ``track_total_hits``,
    ``track_scores`` override the body as in ES. Hits carry ``_index``, ``_id``,
    ``_score``, ``_source`` and ``sort`` (dates as epoch millis). ``from + size`` above
    10000 is ES's "Result window is too large".

Aggregations
    terms (field, size, min_doc_count >= 1, order by ``_count``/``_key``, missing, nested
    sub-aggregations), date_histogram (fixed_interval, calendar_interval, min_doc_count
    default 0 filling the gaps between the first and last bucket, extended_bounds,
    time_zone UTC only), value_count, cardinality (exact), min, max, avg, sum.

Errors
    Parse errors answer at the top level as ES does (``parsing_exception`` "unknown query
    [x]", "Unknown key for a START_OBJECT in [x].", ``x_content_parse_exception``
    "[date_histogram] unknown field [interval]"); errors ES raises per shard (field data on
    a text field, an unmapped sort field, a date or number that does not parse, search_after
    of the wrong length) answer as ``search_phase_execution_exception`` "all shards failed"
    with the cause in ``root_cause``/``caused_by``, or as partial results with
    ``_shards.failures`` when some indices succeed. Each index is searched as one shard
    (``number_of_shards`` only changes the counts reported); node id and uuids are made up. Error reasons omit the ``[line:col]`` position ES prefixes.

Not implemented (answered with a 400 that names the feature)
    Scroll, aliases, data streams, templates, ingest pipelines, the
    ``update`` bulk action, query_string and simple_query_string (the console sends
    neither), prefix/wildcard/regexp/fuzzy/ids/nested queries,
    highlight, collapse, fields/docvalue_fields, filter_path, typed_keys,
    rest_total_hits_as_int, time zones other than UTC, custom date formats, terms ordered
    by a sub-aggregation, other aggregation types. Scores are not BM25: every matching
    scoring clause adds its boost (1.0), so ordering by ``_score`` only ranks documents
    that match more clauses first.

Fault injection (for the console's error paths): ``fail_next``, ``fail_with_html``,
``truncate_next`` and ``delay_next`` each apply to the next ``times`` requests to a
``_search`` endpoint, in the order they were armed. Mind that the official client retries
429, 502, 503 and 504 (three retries by default): arm more failures than that or build
the client with ``max_retries=0``.

Layout (one module per job; names with a leading underscore are internal to the package)
    ``server``   start_standin, Standin (URL, documents, request log, fault injection), the
                 HTTP handler
    ``faces``    what Elasticsearch 8 and OpenSearch answer differently: GET /, product
                 header, media types, authentication
    ``errors``   ES's error shapes
    ``routes``   path and method to endpoint, the URL parameters each accepts
    ``store``    the indices and the endpoints: bulk, search, points in time, index admin
    ``mapping``  field types, explicit and dynamic mapping, documents parsed against it
    ``query``    the query DSL
    ``search``   the search request, its execution over the indices, points in time
    ``sort``     sort specs, missing values, search_after
    ``aggs``     aggregations
    ``dates``    date formats and date math
    ``text``     the analyser, phrase matching, ``*`` patterns
"""

from .server import LoggedRequest, Standin, start_standin

__all__ = ["LoggedRequest", "Standin", "start_standin"]
