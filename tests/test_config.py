"""Config loading: the example file, defaults, ${VAR} substitution, one-line errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from obsconsole import locations
from obsconsole.config import (
    DEFAULT_CHANNELS,
    DEFAULT_PANES,
    DEFAULT_SLOS,
    AlertmanagerBackend,
    Bands,
    BurnWindow,
    Config,
    ConfigError,
    DemoSettings,
    Limits,
    Panes,
    Thresholds,
    demo_config,
    fill_slo_query,
    find_config_path,
    load_config,
    parse_duration,
)
from tests.tz import local_zone  # noqa: F401  (autouse: every test in UTC, Asia/Kolkata, America/New_York)

EXAMPLE = Path(__file__).resolve().parents[1] / "config.example.yaml"

PROM = "prometheus: {url: http://prom:9090}"


@pytest.fixture()
def write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write `config.yaml` in a temporary working directory and return its relative name,
    so error messages start with `config.yaml:` as a user would see them."""
    monkeypatch.chdir(tmp_path)

    def _write(text: str) -> str:
        (tmp_path / "config.yaml").write_text(textwrap.dedent(text))
        return "config.yaml"

    return _write


def error_of(path: str, environ: dict[str, str] | None = None, context: str | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path, context=context, environ=environ or {})
    return str(caught.value)


def in_prod(body: str) -> str:
    """A config with one context `prod` whose body is `body` (YAML, flush left)."""
    return "contexts:\n  prod:\n" + textwrap.indent(textwrap.dedent(body), "    ")


# --------------------------------------------------------------------------- example file


def test_example_config_loads_every_context_with_an_empty_environment() -> None:
    config = load_config(EXAMPLE, environ={})
    assert config.path == str(EXAMPLE)
    assert list(config.contexts) == ["prod", "staging", "demo"]
    assert config.current_context == "prod"
    assert all(ctx.name == name for name, ctx in config.contexts.items())
    assert config.theme == "dark" and config.keymap == "default"


def test_example_prod_context_configures_every_backend_it_can_without_secrets() -> None:
    prod = load_config(EXAMPLE, environ={}).contexts["prod"]
    b = prod.backends
    assert b.prometheus is not None and b.prometheus.url == "http://prometheus.internal:9090"
    assert b.alertmanager == (
        AlertmanagerBackend(url="http://alertmanager-0.internal:9093", cluster="main"),
        AlertmanagerBackend(url="http://alertmanager-1.internal:9093", cluster="main"),
    )
    assert b.elasticsearch is not None
    assert b.elasticsearch.urls == ("https://elasticsearch.internal:9200",)
    assert b.elasticsearch.indices == ("aigym-errors-*", "aigym-logs-*")
    assert b.jaeger is not None and b.wazuh is not None
    # empty secrets are "not set": no half-configured backends, no empty passwords
    assert b.prometheus.auth.bearer_token is None
    assert b.elasticsearch.auth.username == "obsconsole"
    assert b.elasticsearch.auth.password is None
    assert b.postgres is None and b.pagerduty is None
    assert [s.id for s in prod.slos][:4] == [s.id for s in DEFAULT_SLOS]
    assert prod.slos[:4] == DEFAULT_SLOS
    assert prod.channels == DEFAULT_CHANNELS


def test_example_staging_context_gets_every_default() -> None:
    staging = load_config(EXAMPLE, context="staging", environ={}).context
    assert staging.name == "staging"
    assert staging.backends.alertmanager == (
        AlertmanagerBackend(url="http://alertmanager.staging.internal:9093"),
    )
    assert staging.panes == Panes()
    assert staging.thresholds == Thresholds()
    assert staging.slos == DEFAULT_SLOS
    assert staging.channels == DEFAULT_CHANNELS
    assert staging.labels.canonical("authentication") == "aigym-auth"
    assert staging.ack_duration_s == 15 * 60


def test_example_demo_context_runs_the_synthetic_platform_with_seed_7() -> None:
    demo = load_config(EXAMPLE, context="demo", environ={}).context
    assert demo.demo == DemoSettings(seed=7, incident_after_s=20.0, faults=())
    assert demo.slos == DEFAULT_SLOS


def test_example_variable_default_applies_when_the_variable_is_unset() -> None:
    prod = load_config(EXAMPLE, environ={}).contexts["prod"]
    assert prod.panes.refresh["infra"].refresh_s == 15.0


def test_example_environment_overrides_defaults_and_fills_secrets() -> None:
    env = {
        "PROM_URL": "https://mimir.example.com/prometheus/",
        "PROM_TOKEN": "s3cret-token",
        "INFRA_REFRESH": "3s",
        "PG_DSN": "postgresql://console:pw@db:5432/aigym",
        "PD_ROUTING_KEY": "R0UT1NG",
    }
    prod = load_config(EXAMPLE, environ=env).contexts["prod"]
    assert prod.backends.prometheus is not None
    assert prod.backends.prometheus.url == "https://mimir.example.com/prometheus"
    assert prod.backends.prometheus.auth.bearer_token == "s3cret-token"
    assert prod.panes.refresh["infra"].refresh_s == 3.0
    assert prod.backends.postgres is not None
    assert prod.backends.postgres.dsn == env["PG_DSN"]
    assert prod.backends.pagerduty is not None
    assert prod.backends.pagerduty.routing_key == "R0UT1NG"


def test_audit_log_defaults_to_the_xdg_state_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    config = load_config(EXAMPLE, environ={})
    assert config.audit_log == str(tmp_path / "state" / "obsconsole" / "audit.jsonl")


# --------------------------------------------------------------------------- contexts


def test_top_level_context_chooses_the_default_context(write) -> None:
    path = write(f"context: b\ncontexts:\n  a: {{{PROM}}}\n  b: {{demo: true}}\n")
    assert load_config(path, environ={}).current_context == "b"
    assert load_config(path, context="a", environ={}).current_context == "a"


def test_without_a_context_key_the_first_context_is_current(write) -> None:
    path = write(f"contexts:\n  z: {{{PROM}}}\n  a: {{demo: true}}\n")
    assert load_config(path, environ={}).current_context == "z"


def test_unknown_context_argument_names_the_known_contexts(write) -> None:
    path = write(f"contexts:\n  a: {{{PROM}}}\n  b: {{demo: true}}\n")
    assert error_of(path, context="x") == "config.yaml: context: no context 'x' (have: a, b)"


def test_missing_contexts_is_a_missing_required_key(write) -> None:
    assert error_of(write("theme: dark\n")) == "config.yaml: missing required key 'contexts'"
    assert error_of(write("")) == "config.yaml: missing required key 'contexts'"


def test_missing_file_is_reported(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert error_of(str(missing)) == f"{missing}: file not found"


# --------------------------------------------------------------------------- several mistakes


def test_every_mistake_is_reported_one_line_each_in_file_order(write) -> None:
    path = write("""\
        contexts:
          prod:
            prometheus: {url: 'htp:/x', timeout: fast}
            panes: {infra: {refresh: 0s}}
          staging:
            alertmanager: am:9093
    """)
    assert error_of(path).splitlines() == [
        "config.yaml: contexts.prod.prometheus.url: not a URL: 'htp:/x'",
        "config.yaml: contexts.prod.prometheus.timeout: expected a duration like '30s', '5m' or '1h30m', got 'fast'",
        "config.yaml: contexts.prod.panes.infra.refresh: must be greater than zero, got '0s'",
        "config.yaml: contexts.staging.alertmanager: not a URL: 'am:9093'",
    ]


def test_every_unset_variable_is_reported(write) -> None:
    path = write(in_prod("prometheus: {url: '${PROM_URL}', bearer_token: '${PROM_TOKEN}'}"))
    assert error_of(path).splitlines() == [
        "config.yaml: contexts.prod.prometheus.url: environment variable PROM_URL is not set",
        "config.yaml: contexts.prod.prometheus.bearer_token: environment variable PROM_TOKEN is not set",
    ]


def test_several_mistakes_keep_the_first_as_the_errors_file_key_and_reason(write) -> None:
    path = write(in_prod("prometheus: {url: 'htp:/x'}\nack_duration: -5m"))
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    error = caught.value
    assert (error.file, error.key_path, error.reason) == (
        "config.yaml", "contexts.prod.prometheus.url", "not a URL: 'htp:/x'",
    )
    assert [str(p) for p in error.problems] == [
        "config.yaml: contexts.prod.prometheus.url: not a URL: 'htp:/x'",
        "config.yaml: contexts.prod.ack_duration: must be greater than zero, got '-5m'",
    ]


# --------------------------------------------------------------------------- error classes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            f"contexts:\n  prod: {{{PROM}}}\nthme: dark\n",
            "config.yaml: thme: unknown key (did you mean 'theme'?)",
        ),
        (
            in_prod("promethues: {url: http://prom:9090}"),
            "config.yaml: contexts.prod.promethues: unknown key (did you mean 'prometheus'?)",
        ),
        (
            in_prod("prometheus: {url: http://prom:9090, bearer_tokn: x}"),
            "config.yaml: contexts.prod.prometheus.bearer_tokn: unknown key "
            "(did you mean 'bearer_token'?)",
        ),
        (
            in_prod("prometheus: {url: http://prom:9090}\npanes: {infra: {refesh: 5s}}"),
            "config.yaml: contexts.prod.panes.infra.refesh: unknown key (did you mean 'refresh'?)",
        ),
        (
            in_prod("prometheus: {url: http://prom:9090}\npanes: {infra: {buffer: 500}}"),
            "config.yaml: contexts.prod.panes.infra.buffer: unknown key "
            "(expected one of: refresh, timeout, enabled)",
        ),
    ],
    ids=["top-level", "context", "nested-backend", "pane", "no-close-match"],
)
def test_unknown_key_suggests_the_closest_known_key(write, text: str, message: str) -> None:
    assert error_of(write(text)) == message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "thresholds: {cpu: [abc, 85, 95]}",
            "contexts.prod.thresholds.cpu[0]: expected a number, got 'abc'",
        ),
        (
            "prometheus: {url: http://p:9090, verify_tls: maybe}",
            "contexts.prod.prometheus.verify_tls: expected true or false, got 'maybe'",
        ),
        (
            "panes: {errors: {buffer: 1.5}}",
            "contexts.prod.panes.errors.buffer: expected an integer, got 1.5",
        ),
        (
            "prometheus: [http://p:9090]",
            "contexts.prod.prometheus: expected a mapping, got a list",
        ),
        (
            "alertmanager: {url: http://am:9093, cluster: [main]}",
            "contexts.prod.alertmanager.cluster: expected a string, got a list",
        ),
        (
            "demo: sometimes",
            "contexts.prod.demo: expected true, false or a mapping, got 'sometimes'",
        ),
    ],
    ids=["number", "bool", "integer", "mapping", "string", "demo"],
)
def test_wrong_type_says_what_was_expected_and_what_was_found(write, body: str, message: str) -> None:
    path = write(in_prod(PROM + "\n" + body) if "prometheus" not in body else in_prod(body))
    assert error_of(path) == f"config.yaml: {message}"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("prometheus: {timeout: 5s}", "contexts.prod.prometheus: missing required key 'url'"),
        (
            "alertmanager: [{cluster: main}]",
            "contexts.prod.alertmanager[0]: missing required key 'url'",
        ),
        ("wazuh: {index: x}", "contexts.prod.wazuh: missing required key 'indexer_url' or 'alerts_json'"),
        ("elasticsearch: {indices: [x]}", "contexts.prod.elasticsearch: missing required key 'urls' (or 'url')"),
        (
            f"{PROM}\nchannels: [{{name: ops, severities: [critical], categories: [security]}}]",
            "contexts.prod.channels[0]: missing required key 'kind'",
        ),
        (
            f"{PROM}\nslos: [{{id: new-slo, service: x, target: 0.99}}]",
            "contexts.prod.slos[0]: missing required key 'window'",
        ),
        ("postgres: {timeout: 5s}", "contexts.prod.postgres: missing required key 'dsn'"),
    ],
    ids=["url", "list-item", "wazuh", "elasticsearch", "channel", "slo", "postgres"],
)
def test_missing_required_key_is_named(write, body: str, message: str) -> None:
    assert error_of(write(in_prod(body))) == f"config.yaml: {message}"


def test_variable_default_is_substituted_before_validation(write) -> None:
    path = write(in_prod(f"{PROM}\npanes: {{infra: {{refresh: '${{R:-7s}}', enabled: '${{ON:-false}}'}}}}"))
    infra = load_config(path, environ={}).context.panes.refresh["infra"]
    assert (infra.refresh_s, infra.enabled) == (7.0, False)
    infra = load_config(path, environ={"R": "2m", "ON": "true"}).context.panes.refresh["infra"]
    assert (infra.refresh_s, infra.enabled) == (120.0, True)


def test_variable_default_also_replaces_an_empty_variable(write) -> None:
    path = write(in_prod("prometheus: {url: '${PROM_URL:-http://fallback:9090}'}"))
    prom = load_config(path, environ={"PROM_URL": ""}).context.backends.prometheus
    assert prom is not None and prom.url == "http://fallback:9090"


def test_double_dollar_is_a_literal_dollar(write) -> None:
    path = write(in_prod(f"{PROM}\nchannels: [{{name: n, kind: webhook, severities: [info], categories: [business], target: 'cost$$${{X}}'}}]"))
    channel = load_config(path, environ={"X": "5"}).context.channels[0]
    assert channel.target == "cost$5"


def test_invalid_yaml_reports_the_line(write) -> None:
    path = write("contexts:\n  prod:\n    prometheus: {url: http://p:9090\n    jaeger: x\n")
    message = error_of(path)
    assert message.startswith("config.yaml: invalid YAML at line 4: ")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("10 parsecs", "expected a duration like '30s', '5m' or '1h30m', got '10 parsecs'"),
        ("0s", "must be greater than zero, got '0s'"),
        ("-5", "must be greater than zero, got -5"),
        ("'-1m'", "must be greater than zero, got '-1m'"),
        ("[1]", "expected a duration like '30s', '5m' or '1h30m', got a list"),
    ],
)
def test_bad_duration_is_rejected_with_a_reason(write, value: str, reason: str) -> None:
    path = write(in_prod(f"{PROM}\npanes: {{slo: {{refresh: {value}}}}}"))
    assert error_of(path) == f"config.yaml: contexts.prod.panes.slo.refresh: {reason}"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [(15, 15.0), (0.5, 0.5), ("500ms", 0.5), ("30s", 30.0), ("5m", 300.0), ("1h", 3600.0),
     ("30d", 2592000.0), ("1h30m", 5400.0), ("2w", 1209600.0), ("10", 10.0), ("-5m", -300.0)],
)
def test_parse_duration_accepts_numbers_and_unit_strings(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5 minutes", "m5", "1.5.2s", "inf", True, None])
def test_parse_duration_rejects_anything_else(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "seconds"), [("1h 30m", 5400.0), (" 2 m ", 120.0), ("+5m", 300.0), ("- 1s", -1.0)])
def test_parse_duration_ignores_blanks_inside_and_reads_the_sign(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "not a duration: True"),
        ("5 minutes", "not a duration: '5 minutes'"),
        ("X5m", "not a duration: 'X5m'"),
        ("-XX5m", "not a duration: '-XX5m'"),
        (None, "not a duration: None"),
        ([1], "not a duration: [1]"),
        (float("inf"), "not a duration: inf"),
        ("1e999", "not a duration: '1e999'"),
    ],
)
def test_parse_duration_says_what_it_could_not_read(value: object, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_duration(value)  # type: ignore[arg-type]
    assert str(err.value) == message


# --------------------------------------------------------------------------- secrets

SECRET = "hunter2-TOPSECRET"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "prometheus: {url: http://p:9090, bearer_token: [SECRET]}",
            "contexts.prod.prometheus.bearer_token: invalid value: expected a string (quote it)",
        ),
        (
            'prometheus: {url: http://p:9090, headers: {Authorization: "Bearer SECRET\\nX: y"}}',
            "contexts.prod.prometheus.headers.Authorization: invalid value",
        ),
        (
            "postgres: {dsn: 'mysql://root:SECRET@db/x'}",
            "contexts.prod.postgres.dsn: invalid value: expected a postgresql:// URI",
        ),
        (
            "prometheus: {url: 'http://admin:SECRET@p:9090'}",
            "contexts.prod.prometheus.url: credentials in the URL are not allowed: "
            "use basic_auth or bearer_token",
        ),
        (
            "prometheus: {url: 'htp://admin:SECRET@p:9090'}",
            "contexts.prod.prometheus.url: not a URL: 'htp://***@p:9090'",
        ),
    ],
    ids=["wrong-type", "header-newline", "dsn", "url-credentials", "bad-url-credentials"],
)
def test_secret_values_never_appear_in_errors(write, body: str, message: str) -> None:
    path = write(in_prod(body.replace("SECRET", SECRET)))
    text = error_of(path)
    assert text == f"config.yaml: {message}"
    assert SECRET not in text


def test_secret_from_an_environment_variable_is_not_echoed_when_invalid(write) -> None:
    path = write(in_prod("prometheus: {url: http://p:9090, api_key: '${KEY}'}"))
    text = error_of(path, environ={"KEY": SECRET + "\x07"})
    assert text == "config.yaml: contexts.prod.prometheus.api_key: invalid value"


def test_secret_file_is_read_relative_to_the_config_file(write, tmp_path: Path) -> None:
    (tmp_path / "token").write_text(SECRET + "\n")
    path = write(in_prod("prometheus: {url: http://p:9090, bearer_token_file: token}"))
    prom = load_config(path, environ={}).context.backends.prometheus
    assert prom is not None and prom.auth.bearer_token == SECRET


def test_missing_secret_file_names_the_key(write, tmp_path: Path) -> None:
    path = write(in_prod("elasticsearch:\n  url: http://es:9200\n  basic_auth: {username: u, password_file: pw}"))
    assert error_of(path) == (
        "config.yaml: contexts.prod.elasticsearch.basic_auth.password_file: "
        f"file not found: '{tmp_path / 'pw'}'"
    )


def test_secret_and_its_file_together_are_ambiguous(write, tmp_path: Path) -> None:
    (tmp_path / "token").write_text("from-file")
    path = write(in_prod("prometheus: {url: http://p:9090, bearer_token: inline, bearer_token_file: token}"))
    assert error_of(path) == (
        "config.yaml: contexts.prod.prometheus: set either bearer_token or bearer_token_file, not both"
    )


def test_empty_secret_from_unset_variable_is_not_set_and_not_an_error(write) -> None:
    path = write(in_prod("""\
        prometheus:
          url: http://p:9090
          bearer_token: ${TOKEN:-}
          headers: {X-Scope-OrgID: "${TENANT:-}", X-Team: 1}
        pagerduty: {routing_key: "${PD:-}"}
    """))
    ctx = load_config(path, environ={}).context
    assert ctx.backends.prometheus is not None
    assert ctx.backends.prometheus.auth.bearer_token is None
    assert ctx.backends.prometheus.auth.headers == {"X-Team": "1"}
    assert ctx.backends.pagerduty is None


def test_ca_bundle_must_exist(write, tmp_path: Path) -> None:
    path = write(in_prod("jaeger: {url: http://j:16686, ca_bundle: /nonexistent/ca.pem}"))
    assert error_of(path) == "config.yaml: contexts.prod.jaeger.ca_bundle: file not found: '/nonexistent/ca.pem'"


# --------------------------------------------------------------------------- shapes and defaults


def test_alertmanager_accepts_a_bare_url_or_a_single_mapping(write) -> None:
    path = write(in_prod("alertmanager: http://am:9093/"))
    assert load_config(path, environ={}).context.backends.alertmanager == (
        AlertmanagerBackend(url="http://am:9093"),
    )
    path = write(in_prod("alertmanager: {url: http://am:9093, cluster: main, timeout: 3s}"))
    assert load_config(path, environ={}).context.backends.alertmanager == (
        AlertmanagerBackend(url="http://am:9093", cluster="main", timeout_s=3.0),
    )


def test_partial_pane_settings_keep_the_other_defaults(write) -> None:
    path = write(in_prod(f"""\
        {PROM}
        panes:
          errors: {{refresh: 2s, buffer: 200}}
          security: {{min_level: 7, enabled: false}}
          latency: {{chart_minutes: 60}}
    """))
    panes = load_config(path, environ={}).context.panes
    assert panes.refresh["errors"].refresh_s == 2.0
    assert panes.refresh["errors"].timeout_s == DEFAULT_PANES["errors"].timeout_s
    assert panes.refresh["security"].enabled is False
    assert panes.refresh["infra"] == DEFAULT_PANES["infra"]
    assert (panes.errors_buffer, panes.security_min_level, panes.latency_chart_minutes) == (200, 7, 60)


def test_pane_settings_have_ranges(write) -> None:
    path = write(in_prod(f"{PROM}\npanes: {{errors: {{buffer: 50}}}}"))
    assert error_of(path) == "config.yaml: contexts.prod.panes.errors.buffer: must be at least 100, got 50"
    path = write(in_prod(f"{PROM}\npanes: {{security: {{min_level: 16}}}}"))
    assert error_of(path) == "config.yaml: contexts.prod.panes.security.min_level: must be between 0 and 15, got 16"


def test_partial_thresholds_keep_the_other_defaults(write) -> None:
    path = write(in_prod(f"""\
        {PROM}
        thresholds:
          cpu: {{critical: 80}}
          latency_p95: {{critical: 3s}}
          error_ratio: {{warning: 0.5%}}
          slo_budget_at_risk: 25%
    """))
    t = load_config(path, environ={}).context.thresholds
    assert t.cpu == Bands(70, 80, 95)
    assert t.memory == Thresholds().memory
    assert t.latency_p95_s == Limits(2.0, 3.0)
    assert t.error_ratio == Limits(0.005, 0.05)
    assert t.slo_budget_at_risk == pytest.approx(0.25)


def test_slo_with_a_default_id_starts_from_that_default(write) -> None:
    path = write(in_prod(f"{PROM}\nslos: [{{id: auth-availability, target: 99.5%}}]"))
    (slo,) = load_config(path, environ={}).context.slos
    assert slo.target == pytest.approx(0.995)
    assert slo.service == "aigym-auth" and slo.fast == DEFAULT_SLOS[0].fast


def test_new_slo_without_burn_windows_gets_scaled_workbook_windows(write) -> None:
    path = write(in_prod(f"{PROM}\nslos: [{{id: checkout, service: shop, target: '99.9%', window: 30d, source: sloth}}]"))
    (slo,) = load_config(path, environ={}).context.slos
    assert slo.fast == BurnWindow(14.4, 3600.0, 300.0)
    assert slo.slow == BurnWindow(6.0, 21600.0, 1800.0)
    assert slo.source == "sloth"


def test_burn_short_window_defaults_to_a_twelfth_and_must_be_shorter(write) -> None:
    path = write(in_prod(f"{PROM}\nslos: [{{id: api-latency, fast_burn: {{factor: 10, long: 1h}}}}]"))
    (slo,) = load_config(path, environ={}).context.slos
    assert slo.fast == BurnWindow(10.0, 3600.0, 300.0)
    path = write(in_prod(f"{PROM}\nslos: [{{id: api-latency, fast_burn: {{factor: 10, long: 5m, short: 5m}}}}]"))
    assert error_of(path) == "config.yaml: contexts.prod.slos[0].fast_burn.short: must be shorter than long ('5m')"


def test_slo_queries_are_promql_as_written_with_named_placeholders(write) -> None:
    """Single braces are PromQL's; only {window}, {service} and {service_label} are ours."""
    path = write(in_prod(f"""\
        {PROM}
        slos:
          - id: content
            service: aigym-content
            target: 99%
            window: 7d
            good_query: sum(increase(http_requests_total{{{{service_label}}="{{service}}",status=~"2.."}}[{{window}}]))
            total_query: sum(increase(http_requests_total{{service="aigym-content"}}[{{window}}]))
    """))
    (slo,) = load_config(path, environ={}).context.slos
    assert slo.good_query == 'sum(increase(http_requests_total{{service_label}="{service}",status=~"2.."}[{window}]))'
    assert slo.total_query == 'sum(increase(http_requests_total{service="aigym-content"}[{window}]))'


def test_the_default_slo_queries_fill_to_plain_promql() -> None:
    auth, _latency, conversations, _db = DEFAULT_SLOS
    values = {"window": "1h", "service": auth.service, "service_label": "job"}
    assert fill_slo_query(auth.good_query, values) == (
        'sum(rate(http_requests_total{job="aigym-auth",status=~"2.."}[1h]))'
    )
    assert fill_slo_query(conversations.good_query, values) == (
        'sum(rate(aigym_conversations_total{status="completed"}[1h]))'
    )


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        (
            'sum(rate(x{service="{service}"}[{windw}]))',
            "unknown placeholder '{windw}' (did you mean '{window}'?)",
        ),
        (
            'sum(rate(x{job="{cluster}"}[5m]))',
            "unknown placeholder '{cluster}' (expected {window}, {service} or {service_label})",
        ),
        (
            'sum(rate(x{{status=~"2.."}}[{window}]))',
            "doubled braces: write PromQL's braces as they are, single "
            "(only {window}, {service} and {service_label} are replaced)",
        ),
    ],
    ids=["misspelt", "unknown", "doubled"],
)
def test_a_bad_slo_query_placeholder_is_a_config_error(write, query: str, reason: str) -> None:
    path = write(in_prod(f"""\
        {PROM}
        slos:
          - id: api-latency
            good_query: 'sum(rate(x[{{window}}]))'
            total_query: '{query}'
    """))
    assert error_of(path) == f"config.yaml: contexts.prod.slos[0].total_query: {reason}"


def test_empty_slo_and_channel_lists_mean_none(write) -> None:
    path = write(in_prod(f"{PROM}\nslos: []\nchannels: []"))
    ctx = load_config(path, environ={}).context
    assert ctx.slos == () and ctx.channels == ()


def test_channel_active_hours_are_parsed_to_whole_hours(write) -> None:
    base = "{name: n, kind: slack, severities: medium, categories: [performance], active_hours_utc: '%s'}"
    path = write(in_prod(f"{PROM}\nchannels: [{base % '22:00-06:00'}]"))
    (channel,) = load_config(path, environ={}).context.channels
    assert channel.active_hours_utc == (22, 6)
    assert channel.severities == ("medium",)
    path = write(in_prod(f"{PROM}\nchannels: [{base % '08:30-20:00'}]"))
    assert error_of(path) == (
        "config.yaml: contexts.prod.channels[0].active_hours_utc: only whole hours are "
        "supported, got '08:30-20:00'"
    )


def test_labels_set_the_service_label_and_aliases(write) -> None:
    path = write(in_prod(f"{PROM}\nlabels: {{service: job, aliases: {{auth: aigym-auth}}}}"))
    labels = load_config(path, environ={}).context.labels
    assert labels.service_label == "job"
    assert labels.canonical("auth") == "aigym-auth"
    assert labels.canonical("authentication") == "authentication"  # replaced, not merged


def test_elasticsearch_single_url_and_custom_fields(write) -> None:
    path = write(in_prod("elasticsearch: {url: 'http://es:9200', levels: ERROR, fields: {level: level.keyword}}"))
    es = load_config(path, environ={}).context.backends.elasticsearch
    assert es is not None
    assert es.urls == ("http://es:9200",)
    assert es.levels == ("ERROR",)
    assert es.fields.level == "level.keyword" and es.fields.timestamp == "timestamp"


def test_top_level_theme_keymap_and_relative_audit_log(write, tmp_path: Path) -> None:
    path = write(f"theme: light\nkeymap: vim\naudit_log: logs/audit.jsonl\ncontexts:\n  a: {{{PROM}}}\n")
    config = load_config(path, environ={})
    assert (config.theme, config.keymap) == ("light", "vim")
    assert config.audit_log == str(tmp_path / "logs" / "audit.jsonl")


def test_load_config_reads_os_environ_by_default(write, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBS_TEST_PROM", "http://from-env:9090")
    path = write(in_prod("prometheus: {url: '${OBS_TEST_PROM}'}"))
    prom = load_config(path).context.backends.prometheus
    assert prom is not None and prom.url == "http://from-env:9090"


# --------------------------------------------------------------------------- locations


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    home = tmp_path / "user-home"  # not conftest's "home": this one has no XDG dirs
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "OBSCONSOLE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return home


def test_locations_default_under_home(clean_env: Path) -> None:
    assert locations.config_dir() == clean_env / ".config" / "obsconsole"
    assert locations.state_dir() == clean_env / ".local" / "state" / "obsconsole"
    assert locations.user_themes_dir() == clean_env / ".config" / "obsconsole" / "themes"
    assert locations.user_keymaps_dir() == clean_env / ".config" / "obsconsole" / "keymaps"
    assert locations.default_audit_log() == clean_env / ".local" / "state" / "obsconsole" / "audit.jsonl"


def test_locations_follow_xdg_variables_read_at_call_time(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "st"))
    assert locations.config_dir() == tmp_path / "cfg" / "obsconsole"
    assert locations.default_audit_log() == tmp_path / "st" / "obsconsole" / "audit.jsonl"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/dir")  # ignored, per the XDG spec
    assert locations.config_dir() == clean_env / ".config" / "obsconsole"


def test_find_config_path_prefers_cli_then_env_then_xdg(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert find_config_path(None) is None  # nothing anywhere
    xdg_file = clean_env / ".config" / "obsconsole" / "config.yaml"
    xdg_file.parent.mkdir(parents=True)
    xdg_file.write_text("contexts: {}\n")
    assert find_config_path(None) == xdg_file
    monkeypatch.setenv("OBSCONSOLE_CONFIG", str(tmp_path / "env.yaml"))
    assert find_config_path(None) == tmp_path / "env.yaml"
    assert find_config_path(str(tmp_path / "cli.yaml")) == tmp_path / "cli.yaml"


def test_find_config_path_uses_xdg_config_home(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert find_config_path(None) is None
    target = tmp_path / "xdg" / "obsconsole" / "config.yaml"
    target.parent.mkdir(parents=True)
    target.write_text("contexts: {}\n")
    assert find_config_path(None) == target


# --------------------------------------------------------------------------- demo


def test_demo_config_is_one_demo_context_with_spec_defaults(clean_env: Path) -> None:
    config = demo_config(seed=42)
    assert isinstance(config, Config)
    assert config.path == "<built-in demo>"
    assert list(config.contexts) == ["demo"] and config.current_context == "demo"
    ctx = config.context
    assert ctx.name == "demo"
    assert ctx.demo == DemoSettings(seed=42)
    assert ctx.panes == Panes() and ctx.thresholds == Thresholds()
    assert ctx.slos == DEFAULT_SLOS and ctx.channels == DEFAULT_CHANNELS
    assert dict(ctx.labels.aliases) == {"authentication": "aigym-auth"}
    # the demo's acks are make-believe: never in the real audit log
    assert config.audit_log == str(clean_env / ".local" / "state" / "obsconsole" / "demo-audit.jsonl")
    assert demo_config().context.demo == DemoSettings(seed=1)


def test_demo_actions_are_audited_apart_from_the_real_log(isolated_env: Path) -> None:
    demo_log = str(isolated_env / "state" / "obsconsole" / "demo-audit.jsonl")
    assert demo_config().audit_log == demo_log
    # a config file's demo context too; a log the file names gets a demo- sibling
    assert load_config(EXAMPLE, context="demo", environ={}).audit_log == demo_log
    env = {"OBSCONSOLE_AUDIT_LOG": "/var/log/oc/audit.jsonl"}
    assert load_config(EXAMPLE, context="demo", environ=env).audit_log == "/var/log/oc/demo-audit.jsonl"
    assert load_config(EXAMPLE, context="prod", environ=env).audit_log == "/var/log/oc/audit.jsonl"


def test_top_level_x_keys_hold_shared_yaml_anchors(write) -> None:
    path = write("""\
        x-common: &common
          prometheus: {url: http://p:9090}
          ack_duration: 30m
        contexts:
          a:
            <<: *common
          b:
            <<: *common
            prometheus: {url: http://q:9090}
    """)
    config = load_config(path, environ={})
    a, b = config.contexts["a"], config.contexts["b"]
    assert a.backends.prometheus is not None and a.backends.prometheus.url == "http://p:9090"
    assert b.backends.prometheus is not None and b.backends.prometheus.url == "http://q:9090"
    assert a.ack_duration_s == b.ack_duration_s == 1800.0


# ------------------------------------------------------------------ one line per mistake

#: a config body and the one line it must be refused with (file, key and reason)
CONFIG_MISTAKES = [
    pytest.param(
        f"context: prd\ncontexts:\n  prod: {{{PROM}}}\n",
        "config.yaml: context: no context 'prd' (have: prod)",
        id="unknown_top_level_context_value_is_an_error",
    ),
    pytest.param(
        "contexts:\n  empty: {ack_duration: 5m}\n",
        "config.yaml: contexts.empty: nothing to show: "
            "set 'demo: true' or configure at least one backend",
        id="context_without_demo_or_backends_is_rejected",
    ),
    pytest.param(
        in_prod("prometheus: {ulr: 'http://p:9090'}"),
        "config.yaml: contexts.prod.prometheus.ulr: unknown key (did you mean 'url'?)",
        id="a_misspelt_required_key_is_one_mistake_not_two",
    ),
    pytest.param(
        in_prod("prometheus: {url: 'htp:/x'}"),
        "config.yaml: contexts.prod.prometheus.url: not a URL: 'htp:/x'",
        id="url_without_http_scheme_and_host_is_not_a_url",
    ),
    pytest.param(
        in_prod("""\
            alertmanager:
              - url: http://am-0:9093
              - url: am-1:9093
        """),
        "config.yaml: contexts.prod.alertmanager[1].url: not a URL: 'am-1:9093'",
        id="url_error_in_a_list_names_the_index",
    ),
    pytest.param(
        in_prod("prometheus: {url: http://p:9090, bearer_token: '${PROM_TOKEN}'}"),
        "config.yaml: contexts.prod.prometheus.bearer_token: "
            "environment variable PROM_TOKEN is not set",
        id="missing_environment_variable_is_named_with_its_key",
    ),
    pytest.param(
        in_prod("prometheus: {url: 'http://${1HOST}:9090'}"),
        "config.yaml: contexts.prod.prometheus.url: bad variable reference '${1HOST}' "
            "(expected ${NAME} or ${NAME:-default})",
        id="bad_variable_reference_is_an_error",
    ),
    pytest.param(
        in_prod("prometheus: {url: http://a:9090}\nprometheus: {url: http://b:9090}"),
        "config.yaml: invalid YAML at line 4: duplicate key 'prometheus'",
        id="duplicate_yaml_key_is_invalid_yaml",
    ),
    pytest.param(
        in_prod(f"{PROM}\nthresholds: {{error_ratio: {{warning: 1.5}}}}"),
        "config.yaml: contexts.prod.thresholds.error_ratio.warning: ratio out of range: "
            "expected 0 to 1 or a percentage like '99.9%', got 1.5",
        id="ratio_out_of_range_is_rejected",
    ),
    pytest.param(
        in_prod(f"{PROM}\nslos: [{{id: auth-availability, target: 100%}}]"),
        "config.yaml: contexts.prod.slos[0].target: ratio out of range: expected more than 0 "
            "and less than 1 (or a percentage like '99.9%'), got '100%'",
        id="slo_target_of_100_percent_is_out_of_range",
    ),
    pytest.param(
        in_prod(f"{PROM}\nthresholds: {{cpu: [90, 85, 95]}}"),
        "config.yaml: contexts.prod.thresholds.cpu: bands must be ascending "
            "(warning < critical < saturated), got [90, 85, 95]",
        id="bands_not_ascending_are_rejected",
    ),
    pytest.param(
        in_prod(f"{PROM}\nthresholds: {{disk: [80, 90, 120]}}"),
        "config.yaml: contexts.prod.thresholds.disk[2]: must be between 0 and 100, got 120",
        id="band_outside_0_to_100_is_rejected",
    ),
    pytest.param(
        in_prod(f"{PROM}\nthresholds: {{latency_p95: {{warning: 6s}}}}"),
        "config.yaml: contexts.prod.thresholds.latency_p95: warning must be below critical, "
            "got warning 6 and critical 5",
        id="latency_warning_above_critical_is_rejected",
    ),
    pytest.param(
        "contexts:\n  demo:\n    demo: {faults: [infr]}\n",
        "config.yaml: contexts.demo.demo.faults[0]: unknown pane 'infr' (did you mean 'infra'?)",
        id="unknown_fault_pane_suggests_a_pane",
    ),
    pytest.param(
        in_prod(f"{PROM}\nchannels: [{{name: n, kind: slack, severities: [critcal], categories: [security]}}]"),
        "config.yaml: contexts.prod.channels[0].severities[0]: unknown severity 'critcal' "
            "(did you mean 'critical'?)",
        id="unknown_severity_in_a_channel_suggests_one",
    ),
    pytest.param(
        in_prod(f"{PROM}\nslos: [{{id: api-latency}}, {{id: api-latency}}]"),
        "config.yaml: contexts.prod.slos[1].id: duplicate SLO id 'api-latency' (also at index 0)",
        id="duplicate_slo_ids_are_rejected",
    ),
    pytest.param(
        in_prod(f"{PROM}\nchannels: [{{name: n, kind: email, severities: [info], categories: [business], escalation: [0, 30, 15]}}]"),
        "config.yaml: contexts.prod.channels[0].escalation: must be ascending, got [0, 30, 15]",
        id="escalation_must_be_ascending",
    ),
    pytest.param(
        in_prod("alertmanager: [http://am:9093, http://am:9093/]"),
        "config.yaml: contexts.prod.alertmanager[1]: duplicate Alertmanager URL "
            "'http://am:9093' (also at index 0)",
        id="duplicate_alertmanager_urls_are_rejected",
    ),
]


@pytest.mark.parametrize("body, expected", CONFIG_MISTAKES)
def test_a_config_mistake_is_one_line_naming_the_file_key_and_reason(write, body: str, expected: str) -> None:
    assert error_of(write(body)) == expected
