"""The section readers: one schema per section of the file, from a context's backends,
panes, thresholds, SLOs, channels and labels up to the top level (`_TOP_SCHEMA`).

Each schema maps a YAML key to a reader (see `validate`); each section reader checks what
only makes sense across keys (one auth scheme, ascending bands, unique ids) and builds
the frozen dataclass of `types`. A key the file leaves out keeps the dataclass default.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import fields, replace
from typing import Any, Mapping

from obsconsole.config.defaults import (
    _PLACEHOLDER,
    CATEGORIES,
    CHANNEL_KINDS,
    DEFAULT_CHANNELS,
    DEFAULT_LABEL_ALIASES,
    DEFAULT_SLOS,
    SLO_QUERY_PLACEHOLDERS,
    SLO_SOURCES,
)
from obsconsole.config.types import (
    DEFAULT_PANES,
    PANE_IDS,
    AlertmanagerBackend,
    Backends,
    Channel,
    Context,
    DemoSettings,
    ElasticsearchBackend,
    HttpAuth,
    JaegerBackend,
    LabelMapping,
    LogFields,
    PagerDutyBackend,
    Panes,
    PostgresBackend,
    PrometheusBackend,
    WazuhBackend,
)
from obsconsole.config.validate import (
    _FAILED,
    Reader,
    _At,
    _bool,
    _choice,
    _clean_secret,
    _duration,
    _either,
    _existing_file,
    _fields,
    _integer,
    _kwargs,
    _list,
    _mapping,
    _name,
    _number,
    _path,
    _percent,
    _positive,
    _Problems,
    _ratio,
    _secret,
    _secret_file,
    _show,
    _str_map,
    _string,
    _to_bool,
    _unique,
    _url,
)
from obsconsole.logic.thresholds import Bands, Limits, Thresholds
from obsconsole.model import BurnWindow, Severity, SLODefinition


# --------------------------------------------------------------------------- auth

_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _header(name: str, item: _At) -> str | None:
    value = item.value
    if not _HEADER_NAME.fullmatch(name):
        item.fail("not a valid HTTP header name")
    if value is None:
        return None
    # A tenant id such as `X-Scope-OrgID: 1` is an int to YAML; values may be secret.
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        item.fail("invalid value: expected a string")
    return _clean_secret(item, value)


def _headers(at: _At) -> dict[str, str]:
    problems = _Problems()
    out: dict[str, str] = {}
    for name, value in _mapping(at).items():
        text = problems.read(lambda item: _header(name, item), at.key(name, value))
        if text is not None and text is not _FAILED:  # empty (unset ${VAR:-}): no header
            out[name] = text
    problems.check()
    return out


def _basic_auth(at: _At) -> tuple[str | None, str | None]:
    values = _fields(
        at, {"username": _secret, "password": _secret, "password_file": _secret_file}
    )
    username, password = values.get("username"), _either(at, values, "password")
    if password and not username:
        at.fail("missing required key 'username'")
    return username, password


_AUTH_SCHEMA: Mapping[str, Reader] = {
    "bearer_token": _secret,
    "bearer_token_file": _secret_file,
    "basic_auth": _basic_auth,
    "api_key": _secret,
    "api_key_file": _secret_file,
    "headers": _headers,
    "ca_bundle": _existing_file,
    "verify_tls": _bool,
}


def _with_auth(schema: Mapping[str, Reader]) -> dict[str, Reader]:
    return {**schema, **_AUTH_SCHEMA}


def _auth(at: _At, values: Mapping[str, Any]) -> HttpAuth:
    bearer = _either(at, values, "bearer_token")
    api_key = _either(at, values, "api_key")
    username, password = values.get("basic_auth") or (None, None)
    schemes = [
        name
        for name, secret in (
            ("bearer_token", bearer), ("basic_auth", password), ("api_key", api_key),
        )
        if secret
    ]
    if len(schemes) > 1:
        # Each of these is an Authorization header: only one can be sent.
        at.fail(f"set only one of {' and '.join(schemes)}")
    return HttpAuth(
        bearer_token=bearer,
        username=username,
        password=password,
        api_key=api_key,
        **_kwargs(values, "headers", "ca_bundle", "verify_tls"),
    )


# --------------------------------------------------------------------------- backends

_TIMEOUT = _duration()


def _url_backend(cls: type) -> Reader:
    """Jaeger (and other plain backends): a URL, a timeout and HTTP auth."""
    schema = _with_auth({"url": _url, "timeout": _TIMEOUT})

    def read(at: _At) -> Any:
        values = _fields(at, schema, required=("url",))
        return cls(auth=_auth(at, values), **_kwargs(values, "url", timeout="timeout_s"))

    return read


_PROMETHEUS_SCHEMA = _with_auth(
    {"url": _url, "timeout": _TIMEOUT, "rate_window": _duration()}
)


def _prometheus(at: _At) -> PrometheusBackend:
    values = _fields(at, _PROMETHEUS_SCHEMA, required=("url",))
    return PrometheusBackend(
        auth=_auth(at, values),
        **_kwargs(values, "url", timeout="timeout_s", rate_window="rate_window_s"),
    )


_ALERTMANAGER_SCHEMA = _with_auth(
    {
        "url": _url,
        "cluster": _name,
        "timeout": _TIMEOUT,
        "receiver": _name,
        "filters": _list(_name, non_empty=True),
    }
)


def _alertmanager(at: _At) -> AlertmanagerBackend:
    if isinstance(at.value, str):
        return AlertmanagerBackend(url=_url(at))
    values = _fields(at, _ALERTMANAGER_SCHEMA, required=("url",))
    return AlertmanagerBackend(
        auth=_auth(at, values),
        **_kwargs(values, "url", "cluster", "receiver", "filters", timeout="timeout_s"),
    )


def _alertmanagers(at: _At) -> tuple[AlertmanagerBackend, ...]:
    """A list of peers; a single mapping or bare URL is a list of one."""
    if isinstance(at.value, (str, dict)):
        return (_alertmanager(at),)
    if not isinstance(at.value, list):
        at.fail(f"expected a URL, a mapping or a list of them, got {_show(at.value)}")
    peers = _list(_alertmanager, single_ok=False)(at)
    _unique(at, [p.url for p in peers], "Alertmanager URL", None)
    return peers


_LOG_FIELDS_SCHEMA: Mapping[str, Reader] = {f.name: _name for f in fields(LogFields)}
_ELASTICSEARCH_SCHEMA = _with_auth(
    {
        "url": _url,
        "urls": _list(_url, non_empty=True),
        "indices": _list(_name, non_empty=True),
        "levels": _list(_name, non_empty=True),
        "fields": lambda at: LogFields(**_fields(at, _LOG_FIELDS_SCHEMA)),
        "timeout": _TIMEOUT,
    }
)


def _elasticsearch(at: _At) -> ElasticsearchBackend:
    values = _fields(at, _ELASTICSEARCH_SCHEMA)
    if "url" in values and "urls" in values:
        at.fail("set either url or urls, not both")
    if "url" in values:
        urls: tuple[str, ...] = (values["url"],)
    elif "urls" in values:
        urls = values["urls"]
    else:
        at.fail("missing required key 'urls' (or 'url')")
    return ElasticsearchBackend(
        urls=urls,
        auth=_auth(at, values),
        **_kwargs(values, "indices", "levels", "fields", timeout="timeout_s"),
    )


_WAZUH_SCHEMA = _with_auth(
    {"indexer_url": _url, "index": _name, "alerts_json": _path, "timeout": _TIMEOUT}
)


def _wazuh(at: _At) -> WazuhBackend:
    values = _fields(at, _WAZUH_SCHEMA)
    if not values.get("indexer_url") and not values.get("alerts_json"):
        at.fail("missing required key 'indexer_url' or 'alerts_json'")
    return WazuhBackend(
        auth=_auth(at, values),
        **_kwargs(values, "indexer_url", "index", "alerts_json", timeout="timeout_s"),
    )


def _secret_backend(at: _At, values: Mapping[str, Any], key: str) -> str | None:
    """The secret a whole backend hangs on (a DSN, a routing key). Absent is an error;
    present but empty (`${VAR:-}` unset) leaves the backend unconfigured."""
    if key not in values and f"{key}_file" not in values:
        at.fail(f"missing required key '{key}'")
    return _either(at, values, key)


def _postgres(at: _At) -> PostgresBackend | None:
    values = _fields(at, {"dsn": _secret, "dsn_file": _secret_file, "timeout": _TIMEOUT})
    dsn = _secret_backend(at, values, "dsn")
    if dsn is None:
        return None
    if not dsn.startswith(("postgres://", "postgresql://")):
        # asyncpg takes URIs only; the DSN holds a password, so it is not echoed.
        which = "dsn" if values.get("dsn") else "dsn_file"
        at.key(which).fail("invalid value: expected a postgresql:// URI")
    return PostgresBackend(dsn=dsn, **_kwargs(values, timeout="timeout_s"))


_PAGERDUTY_SCHEMA: Mapping[str, Reader] = {
    "routing_key": _secret,
    "routing_key_file": _secret_file,
    "url": _url,
    "timeout": _TIMEOUT,
}


def _pagerduty(at: _At) -> PagerDutyBackend | None:
    values = _fields(at, _PAGERDUTY_SCHEMA)
    routing_key = _secret_backend(at, values, "routing_key")
    if routing_key is None:
        return None
    return PagerDutyBackend(routing_key=routing_key, **_kwargs(values, "url", timeout="timeout_s"))


_BACKEND_READERS: Mapping[str, Reader] = {
    "prometheus": _prometheus,
    "alertmanager": _alertmanagers,
    "elasticsearch": _elasticsearch,
    "jaeger": _url_backend(JaegerBackend),
    "wazuh": _wazuh,
    "postgres": _postgres,
    "pagerduty": _pagerduty,
    # the shared incident store: {dsn | dsn_file, timeout}, read as the postgres backend
    "incidents": _postgres,
}


# --------------------------------------------------------------------------- demo, panes

_DEMO_SCHEMA: Mapping[str, Reader] = {
    "seed": _integer(0),
    "incident_after": _duration(allow_zero=True),
    "faults": _list(_choice(PANE_IDS, "pane")),
}


def _demo(at: _At) -> DemoSettings | None:
    """`demo: true`, `demo: false` or `demo: {seed, incident_after, faults}`."""
    if isinstance(at.value, dict):
        values = _fields(at, _DEMO_SCHEMA)
        return DemoSettings(**_kwargs(values, "seed", "faults", incident_after="incident_after_s"))
    flag = _to_bool(at.value)
    if flag is None:
        at.fail(f"expected true, false or a mapping, got {_show(at.value)}")
    return DemoSettings() if flag else None


_PANE_SCHEMA: Mapping[str, Reader] = {
    "refresh": _duration(),
    "timeout": _duration(),
    "enabled": _bool,
}
#: settings only some panes have: pane → YAML key → (reader, Panes field)
_PANE_EXTRAS: Mapping[str, Mapping[str, tuple[Reader, str]]] = {
    "errors": {"buffer": (_integer(100), "errors_buffer")},
    "security": {"min_level": (_integer(0, 15), "security_min_level")},
    "latency": {"chart_minutes": (_integer(1, 180), "latency_chart_minutes")},
}


def _panes(at: _At) -> Panes:
    raw = _fields(at, {pane: lambda item: item.value for pane in PANE_IDS})
    schedules = dict(DEFAULT_PANES)
    extras: dict[str, Any] = {}
    problems = _Problems()
    for pane, value in raw.items():
        own = _PANE_EXTRAS.get(pane, {})
        schema = {**_PANE_SCHEMA, **{key: reader for key, (reader, _) in own.items()}}
        values = problems.read(lambda item: _fields(item, schema), at.key(pane, value))
        if values is _FAILED:
            continue
        schedules[pane] = replace(
            DEFAULT_PANES[pane],
            **_kwargs(values, "enabled", refresh="refresh_s", timeout="timeout_s"),
        )
        extras.update({own[key][1]: v for key, v in values.items() if key in own})
    problems.check()
    return Panes(refresh=schedules, **extras)


# --------------------------------------------------------------------------- thresholds


def _bands(default: Bands) -> Reader:
    """`[warning, critical, saturated]` or a partial mapping of them (0-100, ascending)."""

    def read(at: _At) -> Bands:
        value = at.value
        if isinstance(value, list):
            if len(value) != 3:
                at.fail(f"expected [warning, critical, saturated], got {len(value)} values")
            bands = Bands(*(_percent(at.index(i, v)) for i, v in enumerate(value)))
        elif isinstance(value, dict):
            keys = ("warning", "critical", "saturated")
            bands = replace(default, **_fields(at, {k: _percent for k in keys}))
        else:
            at.fail(f"expected [warning, critical, saturated], got {_show(value)}")
        if not bands.warning < bands.critical < bands.saturated:
            got = ", ".join(f"{b:g}" for b in (bands.warning, bands.critical, bands.saturated))
            at.fail(f"bands must be ascending (warning < critical < saturated), got [{got}]")
        return bands

    return read


def _limits(default: Limits, reader: Reader) -> Reader:
    """`{warning, critical}`, partial allowed, warning below critical."""

    def read(at: _At) -> Limits:
        limits = replace(default, **_fields(at, {"warning": reader, "critical": reader}))
        if not limits.warning < limits.critical:
            at.fail(
                f"warning must be below critical, got warning {limits.warning:g} "
                f"and critical {limits.critical:g}"
            )
        return limits

    return read


_DEFAULT_THRESHOLDS = Thresholds()
_THRESHOLDS_SCHEMA: Mapping[str, Reader] = {
    "cpu": _bands(_DEFAULT_THRESHOLDS.cpu),
    "memory": _bands(_DEFAULT_THRESHOLDS.memory),
    "disk": _bands(_DEFAULT_THRESHOLDS.disk),
    "latency_p95": _limits(_DEFAULT_THRESHOLDS.latency_p95_s, _duration()),
    "error_ratio": _limits(_DEFAULT_THRESHOLDS.error_ratio, _ratio()),
    "slo_budget_at_risk": _ratio(),
}


def _thresholds(at: _At) -> Thresholds:
    values = _fields(at, _THRESHOLDS_SCHEMA)
    return replace(
        _DEFAULT_THRESHOLDS,
        **_kwargs(
            values, "cpu", "memory", "disk", "error_ratio", "slo_budget_at_risk",
            latency_p95="latency_p95_s",
        ),
    )


# --------------------------------------------------------------------------- SLOs

_BURN_SCHEMA: Mapping[str, Reader] = {
    "factor": _positive,
    "long": _duration(),
    "short": _duration(),
}


def _burn(at: _At) -> BurnWindow:
    values = _fields(at, _BURN_SCHEMA, required=("factor", "long"))
    long_s = values["long"]
    # The SRE workbook pairs each long window with a short one of 1/12 its length.
    short_s = values.get("short", long_s / 12)
    if short_s >= long_s:
        at.key("short").fail(f"must be shorter than long ({_show(at.value['long'])})")
    return BurnWindow(values["factor"], long_s, short_s)


def _derived_burns(window_s: float) -> tuple[BurnWindow, BurnWindow]:
    """Burn conditions for an SLO that gives none: the SRE workbook's 30-day pair (14.4×
    over 1 h spends 2 % of the budget; 6× over 6 h spends 5 %) scaled to the window, so
    they spend the same share of any window's budget."""
    fast_long, slow_long = window_s / 720, window_s / 120
    return BurnWindow(14.4, fast_long, fast_long / 12), BurnWindow(6.0, slow_long, slow_long / 12)


def _slo_query(at: _At) -> str:
    """PromQL with the SLO_QUERY_PLACEHOLDERS: an unknown `{name}` is a typo; doubled
    braces are the old template syntax (they would reach Prometheus as they are)."""
    text = _string(at)
    shown = [f"{{{name}}}" for name in SLO_QUERY_PLACEHOLDERS]
    for match in _PLACEHOLDER.finditer(text):
        if match.group(1) not in SLO_QUERY_PLACEHOLDERS:
            close = difflib.get_close_matches(match.group(0), shown, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "expected " + ", ".join(shown[:-1]) + f" or {shown[-1]}"
            at.fail(f"unknown placeholder '{match.group(0)}' ({hint})")
    if "{{" in _PLACEHOLDER.sub("_", text) or "}}" in _PLACEHOLDER.sub("_", text):
        at.fail(
            "doubled braces: write PromQL's braces as they are, single "
            f"(only {', '.join(shown[:-1])} and {shown[-1]} are replaced)"
        )
    return text


_SLO_SCHEMA: Mapping[str, Reader] = {
    "id": _name,
    "service": _name,
    "description": _string,
    "target": _ratio(exclusive=True),
    "window": _duration(),
    "fast_burn": _burn,
    "slow_burn": _burn,
    "source": _choice(SLO_SOURCES, "source"),
    "good_query": _slo_query,
    "total_query": _slo_query,
}
_DEFAULT_SLOS_BY_ID: Mapping[str, SLODefinition] = {s.id: s for s in DEFAULT_SLOS}


def _slo(at: _At) -> SLODefinition:
    """One SLO. An entry whose id is a default SLO's starts from that default, so
    `{id: auth-availability, target: 99.5%}` changes just the target."""
    values = _fields(at, _SLO_SCHEMA, required=("id",))
    base = _DEFAULT_SLOS_BY_ID.get(values["id"])
    if base is None:
        for key in ("service", "target", "window"):
            if key not in values:
                at.fail(f"missing required key '{key}'")
        fast, slow = _derived_burns(values["window"])
        base = SLODefinition(
            id=values["id"], service=values["service"], description="",
            target=values["target"], window_s=values["window"], fast=fast, slow=slow,
        )
    slo = replace(
        base,
        **_kwargs(
            values, "id", "service", "description", "target", "source", "good_query",
            "total_query", window="window_s", fast_burn="fast", slow_burn="slow",
        ),
    )
    if bool(slo.good_query.strip()) != bool(slo.total_query.strip()):
        at.fail("set both good_query and total_query, or neither")
    return slo


def _slos(at: _At) -> tuple[SLODefinition, ...]:
    slos = _list(_slo, single_ok=False)(at)
    _unique(at, [s.id for s in slos], "SLO id", "id")
    return slos


# --------------------------------------------------------------------------- channels

_SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity)
_HOURS = re.compile(r"(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?")


def _active_hours(at: _At) -> tuple[int, int]:
    """"08:00-20:00" → (8, 20). A window may wrap midnight ("22:00-06:00")."""
    text = _string(at).strip()
    match = _HOURS.fullmatch(text)
    if match is None:
        at.fail(f"expected hours like '08:00-20:00', got {_show(text)}")
    start, start_min, end, end_min = match.groups()
    if (start_min or "00") != "00" or (end_min or "00") != "00":
        at.fail(f"only whole hours are supported, got {_show(text)}")
    hours = int(start), int(end)
    if not (0 <= hours[0] <= 23 and 0 <= hours[1] <= 24) or hours[0] == hours[1] % 24:
        at.fail(f"not a valid window of hours, got {_show(text)}")
    return hours


def _escalation(at: _At) -> tuple[float, ...]:
    """Delays in minutes from the group's first alert, ascending."""

    def minutes(item: _At) -> float:
        number = _number(item)
        if number < 0:
            item.fail(f"must not be negative, got {_show(item.value)}")
        return number

    delays = _list(minutes, non_empty=True)(at)
    if any(a >= b for a, b in zip(delays, delays[1:])):
        at.fail(f"must be ascending, got [{', '.join(f'{d:g}' for d in delays)}]")
    return delays


_CHANNEL_SCHEMA: Mapping[str, Reader] = {
    "name": _name,
    "kind": _choice(CHANNEL_KINDS, "channel kind"),
    "severities": _list(_choice(_SEVERITIES, "severity"), non_empty=True),
    "categories": _list(_choice(CATEGORIES, "category"), non_empty=True),
    "escalation": _escalation,
    "target": _string,
    "active_hours_utc": _active_hours,
    "policy": _string,
}


def _channel(at: _At) -> Channel:
    values = _fields(at, _CHANNEL_SCHEMA, required=("name", "kind", "severities", "categories"))
    return Channel(
        **_kwargs(
            values, "name", "kind", "severities", "categories", "target",
            "active_hours_utc", "policy", escalation="escalation_min",
        )
    )


def _channels(at: _At) -> tuple[Channel, ...]:
    channels = _list(_channel, single_ok=False)(at)
    _unique(at, [c.name for c in channels], "channel name", "name")
    return channels


# --------------------------------------------------------------------------- labels, context

_LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _label_name(at: _At) -> str:
    text = _name(at)
    if not _LABEL_NAME.fullmatch(text):
        at.fail(f"not a Prometheus label name: {_show(text)}")
    return text


def _labels(at: _At) -> LabelMapping:
    values = _fields(
        at, {"service": _label_name, "aliases": _str_map(_name), "selector": _name}
    )
    return LabelMapping(
        service_label=values.get("service", LabelMapping.service_label),
        aliases=values.get("aliases", dict(DEFAULT_LABEL_ALIASES)),
        http_selector=values.get("selector", ""),
    )


_CONTEXT_SCHEMA: Mapping[str, Reader] = {
    "demo": _demo,
    **_BACKEND_READERS,
    "panes": _panes,
    "thresholds": _thresholds,
    "slos": _slos,
    "channels": _channels,
    "labels": _labels,
    "ack_duration": _duration(),
}


def _context(at: _At, name: str) -> Context:
    values = _fields(at, _CONTEXT_SCHEMA)
    # A backend left unconfigured (empty list, empty DSN/routing key) keeps its default.
    backends = Backends(**{k: values[k] for k in _BACKEND_READERS if values.get(k)})
    demo = values.get("demo")
    if demo is None and backends == Backends():
        at.fail("nothing to show: set 'demo: true' or configure at least one backend")
    return Context(
        name=name,
        backends=backends,
        demo=demo,
        slos=values.get("slos", DEFAULT_SLOS),
        channels=values.get("channels", DEFAULT_CHANNELS),
        labels=values.get("labels", LabelMapping(aliases=dict(DEFAULT_LABEL_ALIASES))),
        **_kwargs(values, "panes", "thresholds", ack_duration="ack_duration_s"),
    )


def _contexts(at: _At) -> dict[str, Context]:
    raw = _mapping(at)
    if not raw:
        at.fail("must define at least one context")
    out: dict[str, Context] = {}
    problems = _Problems()
    for name, value in raw.items():
        item = at.key(name, value)
        if not name.strip():
            problems.add(item.error("context name must not be empty"))
            continue
        ctx = problems.read(lambda i: _context(i, name), item)
        if ctx is not _FAILED:
            out[name] = ctx
    problems.check()
    return out


_TOP_SCHEMA: Mapping[str, Reader] = {
    "context": _name,
    "theme": _name,
    "keymap": _name,
    "audit_log": _path,
    "bell": _bool,
    "contexts": _contexts,
}
