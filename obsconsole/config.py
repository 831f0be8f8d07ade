"""Configuration: YAML → typed, frozen dataclasses.

The file holds named *contexts* (environments: prod, staging, demo…), each with its
backends, panes, thresholds, SLOs, notification channels and label mapping.
Strings may use `${VAR}` and `${VAR:-default}`. Every error is a `ConfigError` naming
the file, the key path and the reason, e.g.
`config.yaml: contexts.prod.prometheus.url: not a URL: 'htp:/x'`.

The dataclasses below are the contract the rest of the program relies on; the loader
(`load_config`, `demo_config`) fills them and is the only place that reads YAML. The
loader reports every mistake it can find, one line each, not only the first.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping, NoReturn, Sequence
from urllib.parse import urlsplit

from obsconsole import locations
from obsconsole.model import BurnWindow, Health, Severity, SLODefinition

PANE_IDS: tuple[str, ...] = ("infra", "latency", "errors", "slo", "alerts", "security")
"""The six overview panes, in screen order (their focus keys are 1-6)."""


class ConfigError(Exception):
    """A config problem, rendered as one line: `file: key.path: reason`.

    The loader carries on past a mistake where it can, so one error may hold several
    problems (`problems`, in file order): then `str()` is one line per problem and
    `file`, `key_path` and `reason` are the first one's.
    """

    def __init__(self, file: str, key_path: str, reason: str) -> None:
        self.file = file
        self.key_path = key_path
        self.reason = reason
        self.problems: tuple[ConfigError, ...] = (self,)
        where = f"{file}: {key_path}: " if key_path else f"{file}: "
        super().__init__(where + reason)

    @classmethod
    def of(cls, errors: Sequence[ConfigError]) -> ConfigError:
        """One error for all the problems of `errors` (at least one)."""
        problems = tuple(p for e in errors for p in e.problems)
        if len(problems) == 1:
            return problems[0]
        first = problems[0]
        combined = cls(first.file, first.key_path, first.reason)
        combined.problems = problems
        combined.args = ("\n".join(str(p) for p in problems),)
        return combined


# --------------------------------------------------------------------------- thresholds


@dataclass(frozen=True)
class Bands:
    """Colour bands for a percentage gauge (SPEC §2): >= warning is WARNING, >= critical
    is CRITICAL, >= saturated is CRITICAL shown emphasised."""

    warning: float
    critical: float
    saturated: float

    def health(self, value: float | None) -> Health:
        if value is None:
            return Health.UNKNOWN
        if value >= self.critical:
            return Health.CRITICAL
        if value >= self.warning:
            return Health.WARNING
        return Health.OK


@dataclass(frozen=True)
class Limits:
    """A two-level upper limit (latency seconds, error ratio)."""

    warning: float
    critical: float

    def health(self, value: float | None) -> Health:
        if value is None:
            return Health.UNKNOWN
        if value >= self.critical:
            return Health.CRITICAL
        if value >= self.warning:
            return Health.WARNING
        return Health.OK


@dataclass(frozen=True)
class Thresholds:
    """Defaults from SPEC §2-3 and §7."""

    cpu: Bands = Bands(70, 85, 95)
    memory: Bands = Bands(80, 90, 95)
    disk: Bands = Bands(80, 90, 95)
    #: p95 latency in seconds: warning 2 s, critical 5 s (SPEC §3)
    latency_p95_s: Limits = Limits(2.0, 5.0)
    #: 5xx ratio: warning 1 %, critical 5 % (SPEC §3)
    error_ratio: Limits = Limits(0.01, 0.05)
    #: remaining budget below this is at_risk (SPEC §7)
    slo_budget_at_risk: float = 0.10


# --------------------------------------------------------------------------- backends


@dataclass(frozen=True)
class HttpAuth:
    """Credentials and TLS for an HTTP backend. Secrets come from `${ENV}` or files."""

    bearer_token: str | None = None
    username: str | None = None
    password: str | None = None
    api_key: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    ca_bundle: str | None = None
    verify_tls: bool = True


@dataclass(frozen=True)
class PrometheusBackend:
    url: str
    auth: HttpAuth = HttpAuth()
    timeout_s: float = 10.0
    #: the range of rate()/irate() in the gauge and latency queries (SPEC: 5m)
    rate_window_s: float = 300.0


@dataclass(frozen=True)
class AlertmanagerBackend:
    url: str
    #: peers with the same cluster name share silences by gossip: ack once per cluster.
    #: None means unclustered (its own cluster).
    cluster: str | None = None
    auth: HttpAuth = HttpAuth()
    timeout_s: float = 10.0
    #: only alerts routed to this receiver (Alertmanager's `receiver` filter)
    receiver: str | None = None
    #: only alerts matching these matchers, e.g. 'team="payments"' (`filter` parameter)
    filters: tuple[str, ...] = ()


@dataclass(frozen=True)
class LogFields:
    """Field names in the log indices (SPEC §8: they differ between deployments).

    The defaults are the AI GYM pipeline's: fluentd keeps the record's `timestamp` (no
    logstash_format, so no `@timestamp`) and the index template maps level, service,
    component and trace_id as keywords. On dynamically mapped indices use the `.keyword`
    sub-fields (`level.keyword`): filters and aggregations need exact values."""

    timestamp: str = "timestamp"
    level: str = "level"
    service: str = "service"
    component: str = "component"
    message: str = "message"
    trace_id: str = "trace_id"


@dataclass(frozen=True)
class ElasticsearchBackend:
    urls: tuple[str, ...]
    indices: tuple[str, ...] = ("aigym-errors-*", "aigym-logs-*")
    levels: tuple[str, ...] = ("ERROR", "FATAL")
    fields: LogFields = LogFields()
    auth: HttpAuth = HttpAuth()
    timeout_s: float = 10.0


@dataclass(frozen=True)
class JaegerBackend:
    url: str
    auth: HttpAuth = HttpAuth()
    timeout_s: float = 10.0


@dataclass(frozen=True)
class WazuhBackend:
    """Either the indexer (OpenSearch API) or the manager's alerts.json (or both)."""

    indexer_url: str | None = None
    index: str = "wazuh-alerts-4.x-*"
    alerts_json: str | None = None
    auth: HttpAuth = HttpAuth()
    timeout_s: float = 10.0


@dataclass(frozen=True)
class PostgresBackend:
    dsn: str
    timeout_s: float = 10.0


@dataclass(frozen=True)
class PagerDutyBackend:
    routing_key: str
    url: str = "https://events.pagerduty.com/v2/enqueue"
    timeout_s: float = 10.0


@dataclass(frozen=True)
class Backends:
    prometheus: PrometheusBackend | None = None
    alertmanager: tuple[AlertmanagerBackend, ...] = ()
    elasticsearch: ElasticsearchBackend | None = None
    jaeger: JaegerBackend | None = None
    wazuh: WazuhBackend | None = None
    postgres: PostgresBackend | None = None
    pagerduty: PagerDutyBackend | None = None


# --------------------------------------------------------------------------- panes


@dataclass(frozen=True)
class PaneConfig:
    """One overview pane's schedule."""

    refresh_s: float
    timeout_s: float = 10.0
    enabled: bool = True


DEFAULT_PANES: Mapping[str, PaneConfig] = {
    # node-exporter is scraped every 10-15 s (SPEC §2): refreshing faster is waste
    "infra": PaneConfig(refresh_s=15.0),
    "latency": PaneConfig(refresh_s=15.0),
    # a live tail: the one pane where seconds matter
    "errors": PaneConfig(refresh_s=5.0),
    # burn rates over 5 min to 6 h windows move slowly (SPEC §13: near-real-time class)
    "slo": PaneConfig(refresh_s=60.0),
    "alerts": PaneConfig(refresh_s=10.0),
    "security": PaneConfig(refresh_s=15.0),
}


@dataclass(frozen=True)
class Panes:
    refresh: Mapping[str, PaneConfig] = field(default_factory=lambda: dict(DEFAULT_PANES))
    #: error stream: events kept in memory (SPEC: default 5,000)
    errors_buffer: int = 5000
    #: Wazuh pane: minimum rule level shown (SPEC §10 dashboard: 5)
    security_min_level: int = 5
    #: latency chart span in minutes
    latency_chart_minutes: int = 15


# --------------------------------------------------------------------------- routing


@dataclass(frozen=True)
class Channel:
    """A notification channel (SPEC §5)."""

    name: str
    kind: str  # pagerduty | slack | email | webhook
    severities: tuple[str, ...]
    categories: tuple[str, ...]
    escalation_min: tuple[float, ...] = (0,)
    target: str = ""
    #: (start_hour, end_hour) UTC during which the channel is active; None = always
    active_hours_utc: tuple[int, int] | None = None
    policy: str = ""


@dataclass(frozen=True)
class LabelMapping:
    """Which label names a service, and aliases between names (SPEC §3-4)."""

    service_label: str = "service"
    aliases: Mapping[str, str] = field(default_factory=dict)
    #: extra PromQL label matchers for the HTTP metrics, e.g. 'env="prod"' (SPEC §3: the
    #: selectors differ between deployments)
    http_selector: str = ""

    def canonical(self, service: str) -> str:
        return self.aliases.get(service, service)


# --------------------------------------------------------------------------- context


@dataclass(frozen=True)
class DemoSettings:
    """The built-in synthetic platform instead of real backends."""

    seed: int = 1
    #: seconds after start when the scripted incident begins
    incident_after_s: float = 20.0
    #: panes whose demo source fails (to see the error state)
    faults: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    name: str
    backends: Backends = Backends()
    demo: DemoSettings | None = None
    panes: Panes = Panes()
    thresholds: Thresholds = Thresholds()
    slos: tuple[SLODefinition, ...] = ()
    channels: tuple[Channel, ...] = ()
    labels: LabelMapping = LabelMapping()
    #: default duration of an ack (a silence), seconds
    ack_duration_s: float = 15 * 60


@dataclass(frozen=True)
class Config:
    path: str  # the file it came from, or "<built-in demo>"
    contexts: Mapping[str, Context]
    current_context: str
    theme: str = "dark"
    keymap: str = "default"
    audit_log: str | None = None
    #: ring the terminal bell on a new critical alert group or when the console turns
    #: CRITICAL (the toast and the terminal title change either way)
    bell: bool = True

    @property
    def context(self) -> Context:
        return self.contexts[self.current_context]


# --------------------------------------------------------------------------- defaults


def _h(hours: float) -> float:
    return hours * 3600.0


DEFAULT_SLOS: tuple[SLODefinition, ...] = (
    SLODefinition(
        id="auth-availability",
        service="aigym-auth",
        description="2xx / all requests",
        target=0.999,
        window_s=_h(24 * 30),
        fast=BurnWindow(14.4, _h(1), _h(5 / 60)),
        slow=BurnWindow(6.0, _h(6), _h(0.5)),
        good_query='sum(rate(http_requests_total{{service_label}="{service}",status=~"2.."}[{window}]))',
        total_query='sum(rate(http_requests_total{{service_label}="{service}"}[{window}]))',
    ),
    SLODefinition(
        id="api-latency",
        service="aigym-api",
        description="share of requests under 2 s",
        target=0.95,
        window_s=_h(24),
        fast=BurnWindow(10.0, _h(10 / 60), _h(2 / 60)),
        slow=BurnWindow(2.0, _h(1), _h(5 / 60)),
        # FIX (SPEC §7): a ratio of requests under 2 s, not a p95 value
        good_query='sum(rate(http_request_duration_seconds_bucket{{service_label}="{service}",le=~"2|2.0"}[{window}]))',
        total_query='sum(rate(http_request_duration_seconds_count{{service_label}="{service}"}[{window}]))',
    ),
    SLODefinition(
        id="ai-conversation-success",
        service="aigym-conversations",
        description="completed / all conversations",
        target=0.99,
        window_s=_h(24 * 7),
        fast=BurnWindow(8.0, _h(0.25), _h(2 / 60)),
        slow=BurnWindow(2.0, _h(2), _h(0.25)),
        good_query='sum(rate(aigym_conversations_total{status="completed"}[{window}]))',
        total_query="sum(rate(aigym_conversations_total[{window}]))",
    ),
    SLODefinition(
        id="database-performance",
        service="supabase-db",
        description="commits / (commits + rollbacks)",
        target=0.995,
        window_s=_h(24),
        fast=BurnWindow(12.0, _h(5 / 60), _h(1 / 60)),
        slow=BurnWindow(4.0, _h(0.5), _h(5 / 60)),
        good_query="sum(rate(pg_stat_database_xact_commit[{window}]))",
        total_query="sum(rate(pg_stat_database_xact_commit[{window}])) + sum(rate(pg_stat_database_xact_rollback[{window}]))",
    ),
)
"""SPEC §7. The source gives one window per burn condition; the short windows here
(1/12 of the long, the SRE workbook's ratio) are ours. Queries are PromQL with three
placeholders (`fill_slo_query`): `{window}` (a PromQL duration), `{service_label}`
(labels.service) and `{service}`; every other brace is PromQL's own, written as is."""


SLO_QUERY_PLACEHOLDERS: tuple[str, ...] = ("window", "service", "service_label")
"""The names an SLO query may use in braces: `{window}`, `{service}`, `{service_label}`."""

# `{name}`: a placeholder. PromQL's own braces hold matchers (`{job="x"}`), never a bare
# name, so the two cannot be confused.
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def fill_slo_query(template: str, values: Mapping[str, str]) -> str:
    """An SLO query with its placeholders replaced by `values` (keyed by
    SLO_QUERY_PLACEHOLDERS); every other brace is left exactly as written."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return values[name] if name in SLO_QUERY_PLACEHOLDERS else match.group(0)

    return _PLACEHOLDER.sub(fill, template)


DEFAULT_CHANNELS: tuple[Channel, ...] = (
    Channel(
        name="pagerduty-oncall",
        kind="pagerduty",
        severities=("critical", "high"),
        categories=("infrastructure", "application", "security"),
        escalation_min=(0, 15, 30),
        policy="critical-issues",
    ),
    Channel(
        name="slack-engineering",
        kind="slack",
        severities=("critical", "high", "medium"),
        categories=("application", "performance"),
        escalation_min=(0, 30, 60),
        target="#engineering-alerts",
        active_hours_utc=(8, 20),
    ),
    Channel(
        name="slack-security",
        kind="slack",
        severities=("critical", "high"),
        categories=("security",),
        escalation_min=(0, 10, 20),
        target="#security-alerts",
    ),
    Channel(
        name="email-stakeholders",
        kind="email",
        severities=("critical",),
        categories=("business", "infrastructure"),
        escalation_min=(30,),
    ),
)
"""SPEC §5."""


DEFAULT_LABEL_ALIASES: Mapping[str, str] = MappingProxyType({"authentication": "aigym-auth"})
"""SPEC §4: the alert rules say `authentication` where the enrichment says `aigym-auth`."""

DEMO_CONFIG_PATH = "<built-in demo>"

#: alert categories (SPEC §4)
CATEGORIES: tuple[str, ...] = (
    "infrastructure", "application", "security", "business", "performance",
)
CHANNEL_KINDS: tuple[str, ...] = ("pagerduty", "slack", "email", "webhook")
SLO_SOURCES: tuple[str, ...] = ("prometheus", "sloth")


# =========================================================================== loader
#
# Validation is hand-written rather than pydantic: every error must name the exact key
# path in the user's terms, and the console starts on every SSH login, so imports stay
# light (yaml itself is imported only when a file is actually loaded).
#
# Each section of the file is a *schema*: a mapping from YAML key to a *reader*. A reader
# takes an `_At` (a value plus where it sits in the file) and returns the typed value or
# fails with a ConfigError. Defaults live only in the dataclasses above: the loader passes
# just the keys the file sets (`_kwargs`), so a default is never written down twice.


def find_config_path(cli_path: str | None) -> Path | None:
    """The config file to load: `--config`, else `$OBSCONSOLE_CONFIG`, else
    `config_dir()/config.yaml` if it exists, else None (the caller may fall back to the
    demo). An explicit path is returned even if missing, so loading it reports that."""
    if cli_path:
        return Path(cli_path).expanduser()
    from_env = os.environ.get("OBSCONSOLE_CONFIG", "")
    if from_env:
        return Path(from_env).expanduser()
    candidate = locations.config_dir() / "config.yaml"
    return candidate if candidate.is_file() else None


def load_config(
    path: str | Path,
    context: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Read, substitute and validate a config file.

    Args:
        path: the YAML file; errors name it as given.
        context: the context to make current (default: the file's `context:`, else the
            first context).
        environ: variables for `${VAR}` substitution (default: `os.environ`).

    Raises:
        ConfigError: every problem found, one `FILE: KEY.PATH: reason` line each.
    """
    file = str(path)
    env = os.environ if environ is None else environ
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(file, "", "file not found") from None
    except UnicodeDecodeError:
        raise ConfigError(file, "", "not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(file, "", f"cannot read: {exc.strerror or exc}") from None

    document = _parse_yaml(text, file)
    if isinstance(document, dict):
        # Top-level `x-…` keys are ignored (the docker-compose convention): they hold
        # YAML anchors that contexts share, e.g. `x-auth: &auth {...}` then `<<: *auth`.
        document = {
            k: v for k, v in document.items() if not (isinstance(k, str) and k.startswith("x-"))
        }
    root = _At(file, Path(path).absolute().parent, "", {} if document is None else document)
    # Substitute before validating, so `refresh: ${REFRESH:-10s}` is checked as "10s".
    root = replace(root, value=_substitute_tree(root, env))
    values = _fields(root, _TOP_SCHEMA, required=("contexts",))

    contexts: dict[str, Context] = values["contexts"]
    # The file's default is checked even when the caller overrides it: it is still a
    # mistake in the file.
    for chosen in (values.get("context"), context):
        if chosen is not None and chosen not in contexts:
            have = ", ".join(contexts)
            raise ConfigError(file, "context", f"no context '{chosen}' (have: {have})")
    current = context or values.get("context") or next(iter(contexts))
    audit_log = values.get("audit_log")
    if contexts[current].demo is not None:
        # acks on the synthetic platform are make-believe: never in the real audit log,
        # but beside it (`demo-<name>`), so a chosen directory is still respected
        real = Path(audit_log) if audit_log else None
        audit_log = real.with_name(f"demo-{real.name}") if real else locations.demo_audit_log()
    audit_log = str(audit_log or locations.default_audit_log())
    return Config(
        path=file,
        contexts=contexts,
        current_context=current,
        audit_log=audit_log,
        **_kwargs(values, "theme", "keymap", "bell"),
    )


def demo_config(seed: int = 1) -> Config:
    """The built-in configuration: one context, "demo", running the synthetic platform
    with the SPEC's default panes, thresholds, SLOs, channels and label aliases. Its
    actions are audited in `locations.demo_audit_log()`, apart from the real log."""
    demo = Context(
        name="demo",
        demo=DemoSettings(seed=seed),
        slos=DEFAULT_SLOS,
        channels=DEFAULT_CHANNELS,
        labels=LabelMapping(aliases=dict(DEFAULT_LABEL_ALIASES)),
    )
    return Config(
        path=DEMO_CONFIG_PATH,
        contexts={"demo": demo},
        current_context="demo",
        audit_log=str(locations.demo_audit_log()),
    )


_DURATION_UNITS: Mapping[str, float] = {
    "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0,
}
# "ms" before "m": otherwise "500ms" would read as 500 minutes followed by junk.
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_DURATION_FULL = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+")


def parse_duration(value: str | int | float) -> float:
    """Seconds from a number (already seconds) or a string such as "500ms", "30s", "5m",
    "1h30m", "30d", "2w" or "10". Negative values parse (callers decide whether they are
    allowed). Raises ValueError for anything else."""
    if isinstance(value, bool):  # bool is an int to Python, never a duration to a human
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        sign = -1.0 if text.startswith("-") else 1.0
        text = text.lstrip("+-")
        number = _to_float(text)
        if number is not None:
            seconds = sign * number
        elif _DURATION_FULL.fullmatch(text):
            parts = _DURATION_PART.findall(text)
            seconds = sign * sum(float(n) * _DURATION_UNITS[u] for n, u in parts)
        else:
            raise ValueError(f"not a duration: {value!r}")
    else:
        raise ValueError(f"not a duration: {value!r}")
    if not math.isfinite(seconds):
        raise ValueError(f"not a duration: {value!r}")
    return seconds


# --------------------------------------------------------------------------- YAML


_UNIQUE_KEY_LOADER: Any = None


def _yaml_loader() -> Any:
    """A SafeLoader that rejects duplicate keys: plain YAML keeps the last one silently,
    so a second `prometheus:` block would quietly replace the first."""
    global _UNIQUE_KEY_LOADER
    if _UNIQUE_KEY_LOADER is None:
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        class UniqueKeyLoader(base):  # type: ignore[misc, valid-type]
            def construct_mapping(self, node: Any, deep: bool = False) -> Any:
                seen: set[Any] = set()
                for key_node, _value in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        continue  # `<<: *anchor` may legitimately be overridden
                    key = self.construct_object(key_node, deep=True)
                    try:
                        duplicate = key in seen
                    except TypeError:  # unhashable: the base class reports it
                        continue
                    if duplicate:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"duplicate key {key!r}", key_node.start_mark
                        )
                    seen.add(key)
                return super().construct_mapping(node, deep=deep)

        _UNIQUE_KEY_LOADER = UniqueKeyLoader
    return _UNIQUE_KEY_LOADER


def _parse_yaml(text: str, file: str) -> Any:
    import yaml  # lazily: the demo and code that only uses the dataclasses never pay

    try:
        return yaml.load(text, Loader=_yaml_loader())  # noqa: S506 (a SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}" if mark is not None else ""
        # Only the problem, not PyYAML's snippet of the line: it could hold a secret.
        problem = exc.problem or exc.context or "syntax error"
        raise ConfigError(file, "", f"invalid YAML{where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(file, "", f"invalid YAML: {exc}") from None


# --------------------------------------------------------------------------- positions


@dataclass(frozen=True)
class _At:
    """A value of the document and where it is: the file, the directory relative paths
    are resolved against, and the dotted key path (`contexts.prod.alertmanager[1].url`)."""

    file: str
    base_dir: Path
    path: str
    value: Any

    def key(self, name: object, value: Any = None) -> _At:
        path = f"{self.path}.{name}" if self.path else str(name)
        return _At(self.file, self.base_dir, path, value)

    def index(self, i: int, value: Any = None) -> _At:
        return _At(self.file, self.base_dir, f"{self.path}[{i}]", value)

    def error(self, reason: str) -> ConfigError:
        return ConfigError(self.file, self.path, reason)

    def fail(self, reason: str) -> NoReturn:
        raise self.error(reason)


class _Problems:
    """Collects the mistakes of independent parts (the keys of a mapping, the items of a
    list) so that one run reports them all; `check()` raises them together."""

    def __init__(self) -> None:
        self.errors: list[ConfigError] = []

    def add(self, error: ConfigError) -> None:
        self.errors.append(error)

    def read(self, reader: Callable[[_At], Any], at: _At) -> Any:
        """`reader(at)`, or _FAILED after recording its error."""
        try:
            return reader(at)
        except ConfigError as exc:
            self.errors.append(exc)
            return _FAILED

    def check(self) -> None:
        if self.errors:
            raise ConfigError.of(self.errors)


_FAILED: Any = object()
"""What `_Problems.read` returns for a part that failed (never reaches a dataclass)."""


Reader = Callable[[_At], Any]


def _show(value: Any) -> str:
    """A value as the user wrote it, for `got …` in messages (never used for secrets)."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def _suggest(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f"did you mean '{close[0]}'?" if close else "expected one of: " + ", ".join(options)


def _kwargs(values: Mapping[str, Any], *same: str, **renamed: str) -> dict[str, Any]:
    """Dataclass keyword arguments for the keys the file set (so the dataclass defaults
    apply to the rest): `same` keys keep their name, `renamed` map YAML key → field."""
    names = {**{k: k for k in same}, **renamed}
    return {names[k]: v for k, v in values.items() if k in names}


# --------------------------------------------------------------------------- ${VAR}


# `$$` first, then a closed `${…}`, then an unclosed `${`. A lone `$` stays as it is
# (PromQL and Grafana-style text use it).
_REFERENCE = re.compile(r"\$\$|\$\{([^}]*)\}|\$\{")
_REFERENCE_BODY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?", re.DOTALL)


def _substitute(at: _At, env: Mapping[str, str]) -> str:
    text: str = at.value
    if "$" not in text:
        return text

    def expand(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        body = match.group(1)
        if body is None:
            at.fail("unclosed '${' (write '$$' for a literal '$')")
        ref = _REFERENCE_BODY.fullmatch(body)
        if ref is None:
            at.fail(
                f"bad variable reference '${{{body}}}' "
                "(expected ${NAME} or ${NAME:-default})"
            )
        name, default = ref.group(1), ref.group(2)
        value = env.get(name)
        # Shell semantics: `:-` also replaces a variable that is set but empty.
        if default is not None and not value:
            return default
        if value is None:
            at.fail(f"environment variable {name} is not set")
        return value

    return _REFERENCE.sub(expand, text)


def _substitute_tree(at: _At, env: Mapping[str, str]) -> Any:
    """Substitute in every string value (keys are left alone); every bad or unset
    reference is reported, not only the first."""
    value = at.value
    if isinstance(value, str):
        return _substitute(at, env)
    problems = _Problems()
    if isinstance(value, dict):
        out: Any = {k: problems.read(lambda a: _substitute_tree(a, env), at.key(k, v)) for k, v in value.items()}
    elif isinstance(value, list):
        out = [problems.read(lambda a: _substitute_tree(a, env), at.index(i, v)) for i, v in enumerate(value)]
    else:
        return value
    problems.check()
    return out


# --------------------------------------------------------------------------- scalars
#
# Substitution yields strings, so numeric and boolean readers also accept their string
# forms: `refresh: ${R:-10}` and `verify_tls: ${VERIFY:-true}` must work.


def _to_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def _to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def _string(at: _At) -> str:
    if not isinstance(at.value, str):
        at.fail(f"expected a string, got {_show(at.value)}")
    return at.value


def _name(at: _At) -> str:
    """A non-empty string, trimmed."""
    text = _string(at).strip()
    if not text:
        at.fail("must not be empty")
    return text


def _bool(at: _At) -> bool:
    flag = _to_bool(at.value)
    if flag is None:
        at.fail(f"expected true or false, got {_show(at.value)}")
    return flag


def _number(at: _At) -> float:
    number = _to_float(at.value)
    if number is None:
        at.fail(f"expected a number, got {_show(at.value)}")
    return number


def _positive(at: _At) -> float:
    number = _number(at)
    if number <= 0:
        at.fail(f"must be greater than zero, got {_show(at.value)}")
    return number


def _percent(at: _At) -> float:
    number = _number(at)
    if not 0 <= number <= 100:
        at.fail(f"must be between 0 and 100, got {_show(at.value)}")
    return number


def _integer(low: int, high: int | None = None) -> Reader:
    def read(at: _At) -> int:
        value = at.value
        text = value.strip() if isinstance(value, str) else None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif text is not None and re.fullmatch(r"[+-]?\d+", text):
            number = int(text)
        else:
            at.fail(f"expected an integer, got {_show(value)}")
        if high is None and number < low:
            at.fail(f"must be at least {low}, got {number}")
        if high is not None and not low <= number <= high:
            at.fail(f"must be between {low} and {high}, got {number}")
        return number

    return read


def _duration(*, allow_zero: bool = False) -> Reader:
    def read(at: _At) -> float:
        try:
            seconds = parse_duration(at.value)
        except ValueError:
            at.fail(f"expected a duration like '30s', '5m' or '1h30m', got {_show(at.value)}")
        if seconds < 0 or (seconds == 0 and not allow_zero):
            limit = "must not be negative" if allow_zero else "must be greater than zero"
            at.fail(f"{limit}, got {_show(at.value)}")
        return seconds

    return read


def _ratio(*, exclusive: bool = False) -> Reader:
    """A ratio: a number 0-1 or a percentage string ("99.9%"). `exclusive` excludes 0 and
    1 (an SLO target of 100 % leaves no budget to divide by)."""

    def read(at: _At) -> float:
        value = at.value
        if isinstance(value, str) and value.strip().endswith("%"):
            number = _to_float(value.strip()[:-1])
            ratio = None if number is None else number / 100.0
        else:
            ratio = _to_float(value)
        if ratio is None:
            at.fail(f"expected a ratio like 0.999 or '99.9%', got {_show(value)}")
        if exclusive and not 0 < ratio < 1:
            at.fail(
                "ratio out of range: expected more than 0 and less than 1 "
                f"(or a percentage like '99.9%'), got {_show(value)}"
            )
        if not 0 <= ratio <= 1:
            at.fail(
                "ratio out of range: expected 0 to 1 or a percentage like '99.9%', "
                f"got {_show(value)}"
            )
        return ratio

    return read


def _choice(options: Sequence[str], noun: str = "value") -> Reader:
    def read(at: _At) -> str:
        text = _name(at)
        if text not in options:
            at.fail(f"unknown {noun} '{text}' ({_suggest(text, options)})")
        return text

    return read


_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@")


def _url(at: _At) -> str:
    """An http(s) URL with a host, without a trailing slash (sources append paths)."""
    text = _string(at).strip()
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018 (raises ValueError on a bad port)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid:
        redacted = _USERINFO.sub(r"\1***@", text)  # a password in a bad URL stays hidden
        at.fail(f"not a URL: {_show(redacted)}")
    if parts.username is not None or parts.password is not None:
        # URLs are shown on screen, in snapshots and in errors: credentials must not be.
        at.fail("credentials in the URL are not allowed: use basic_auth or bearer_token")
    return text.rstrip("/")


def _path(at: _At) -> str | None:
    """A file path (`~` expanded, relative to the config file's directory); empty → None."""
    text = _string(at).strip()
    if not text:
        return None
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = at.base_dir / path
    return str(path)


def _existing_file(at: _At) -> str | None:
    path = _path(at)
    if path is not None and not Path(path).is_file():
        at.fail(f"file not found: '{path}'")
    return path


# --------------------------------------------------------------------------- secrets
#
# A secret's value never appears in a message, whatever is wrong with it. An empty
# secret (typically `${TOKEN:-}` with TOKEN unset) means "not set".


def _clean_secret(at: _At, text: str, where: str = "") -> str | None:
    text = text.strip()
    if not text:
        return None
    if not text.isprintable():  # a newline would split the HTTP header it goes into
        at.fail(f"invalid value{where}")
    return text


def _secret(at: _At) -> str | None:
    if not isinstance(at.value, str):
        at.fail("invalid value: expected a string (quote it)")
    return _clean_secret(at, at.value)


def _secret_file(at: _At) -> str | None:
    path = _path(at)
    if path is None:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        at.fail(f"file not found: '{path}'")
    except UnicodeDecodeError:
        at.fail(f"invalid value in '{path}': not UTF-8 text")
    except OSError as exc:
        at.fail(f"cannot read '{path}': {exc.strerror or exc}")
    if not text.strip():
        at.fail(f"file is empty: '{path}'")
    return _clean_secret(at, text, f" in '{path}'")


def _either(at: _At, values: Mapping[str, Any], key: str) -> str | None:
    """`key` or `key_file`, whichever is set (both set is ambiguous)."""
    inline, from_file = values.get(key), values.get(f"{key}_file")
    if inline and from_file:
        at.fail(f"set either {key} or {key}_file, not both")
    return inline or from_file


# --------------------------------------------------------------------------- structure


def _mapping(at: _At) -> dict[str, Any]:
    if not isinstance(at.value, dict):
        at.fail(f"expected a mapping, got {_show(at.value)}")
    for key, value in at.value.items():
        if not isinstance(key, str):
            at.key(key, value).fail(f"key must be a string, got {_show(key)}")
    return at.value


def _fields(at: _At, schema: Mapping[str, Reader], required: Sequence[str] = ()) -> dict[str, Any]:
    """Check a mapping against `schema` and read each key that has a value.

    Unknown keys fail with a did-you-mean; a key set to null counts as absent (so an
    emptied-out block in YAML is not an error unless the key is required). Every key is
    read even when an earlier one failed, and all the mistakes are raised together, in
    file order; a missing required key comes last, and is not reported when an unknown
    key is its misspelling (one mistake, one line).
    """
    raw = _mapping(at)
    problems = _Problems()
    values: dict[str, Any] = {}
    misspelt: set[str] = set()
    for key, value in raw.items():
        if key not in schema:
            problems.add(at.key(key).error(f"unknown key ({_suggest(key, list(schema))})"))
            misspelt.update(difflib.get_close_matches(key, list(schema), n=1))
        elif value is not None:
            read = problems.read(schema[key], at.key(key, value))
            if read is not _FAILED:
                values[key] = read
    for key in required:
        if raw.get(key) is None and key not in misspelt:
            problems.add(at.error(f"missing required key '{key}'"))
    problems.check()
    return values


def _list(item: Reader, *, single_ok: bool = True, non_empty: bool = False) -> Reader:
    """A list of `item`; with `single_ok` a lone scalar is a one-element list."""

    def read(at: _At) -> tuple[Any, ...]:
        value = at.value
        if single_ok and not isinstance(value, (list, dict)):
            return (item(at),)
        if not isinstance(value, list):
            at.fail(f"expected a list, got {_show(value)}")
        if non_empty and not value:
            at.fail("must not be empty")
        problems = _Problems()
        items = tuple(problems.read(item, at.index(i, v)) for i, v in enumerate(value))
        problems.check()
        return items

    return read


def _str_map(value_reader: Reader) -> Reader:
    def read(at: _At) -> dict[str, Any]:
        problems = _Problems()
        out = {k: problems.read(value_reader, at.key(k, v)) for k, v in _mapping(at).items()}
        problems.check()
        return out

    return read


def _unique(at: _At, keys: Sequence[str], noun: str, field_name: str | None) -> None:
    """Fail on the second occurrence of a key in a list (ids, names, URLs)."""
    seen: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key in seen:
            where = at.index(i)
            if field_name:
                where = where.key(field_name)
            where.fail(f"duplicate {noun} '{key}' (also at index {seen[key]})")
        seen[key] = i


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
