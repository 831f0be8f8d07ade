"""Configuration: YAML → typed, frozen dataclasses.

The file holds named *contexts* (environments: prod, staging, demo…), each with its
backends, panes, thresholds, SLOs, notification channels and label mapping.
Strings may use `${VAR}` and `${VAR:-default}`. Every error is a `ConfigError` naming
the file, the key path and the reason, e.g.
`config.yaml: contexts.prod.prometheus.url: not a URL: 'htp:/x'`.

The dataclasses are the contract the rest of the program relies on; the loader
(`load_config`, `demo_config`) fills them and is the only place that reads YAML. The
loader reports every mistake it can find, one line each, not only the first.

The package is split by job; import from `obsconsole.config`, which re-exports the
public names:

    types      the frozen dataclasses (Config, Context, backends, panes, channels…)
    defaults   the built-in SLOs, channels and label aliases; `demo_config`
    errors     ConfigError
    load       finding the file (`find_config_path`) and loading it (`load_config`)
    expand     `${VAR}` / `${VAR:-default}` substitution
    validate   the validator's toolkit: `_At` (a value and its key path), the readers of
               scalars, secrets and structure, problems gathered into one error
    sections   the schema and reader of each section (backends, panes, thresholds, SLOs,
               channels, labels, contexts)

`load` reads the file and hands it to `expand` and then `sections`; `sections` reads
with the tools of `validate` and builds the dataclasses of `types`, starting from
`defaults`. Rules that logic applies live in `logic/` and this package imports them,
never the reverse: `parse_duration` (`logic.durations`) and the threshold types with
their one health rule (`logic.thresholds`).
"""

from __future__ import annotations

from obsconsole.config.defaults import (
    CATEGORIES,
    CHANNEL_KINDS,
    DEFAULT_CHANNELS,
    DEFAULT_LABEL_ALIASES,
    DEFAULT_SLOS,
    DEMO_CONFIG_PATH,
    SLO_QUERY_PLACEHOLDERS,
    SLO_SOURCES,
    demo_config,
    fill_slo_query,
)
from obsconsole.config.errors import ConfigError
from obsconsole.config.load import find_config_path, load_config
from obsconsole.config.types import (
    DEFAULT_PANES,
    PANE_IDS,
    AlertmanagerBackend,
    Backends,
    Channel,
    Config,
    Context,
    DemoSettings,
    ElasticsearchBackend,
    HttpAuth,
    JaegerBackend,
    LabelMapping,
    LogFields,
    PagerDutyBackend,
    PaneConfig,
    Panes,
    PostgresBackend,
    PrometheusBackend,
    WazuhBackend,
)
from obsconsole.logic.durations import parse_duration
from obsconsole.logic.thresholds import Bands, Limits, Thresholds
from obsconsole.model import BurnWindow, SLODefinition

__all__ = [
    "CATEGORIES",
    "CHANNEL_KINDS",
    "DEFAULT_CHANNELS",
    "DEFAULT_LABEL_ALIASES",
    "DEFAULT_PANES",
    "DEFAULT_SLOS",
    "DEMO_CONFIG_PATH",
    "PANE_IDS",
    "SLO_QUERY_PLACEHOLDERS",
    "SLO_SOURCES",
    "AlertmanagerBackend",
    "Backends",
    "Bands",
    "BurnWindow",
    "Channel",
    "Config",
    "ConfigError",
    "Context",
    "DemoSettings",
    "ElasticsearchBackend",
    "HttpAuth",
    "JaegerBackend",
    "LabelMapping",
    "Limits",
    "LogFields",
    "PagerDutyBackend",
    "PaneConfig",
    "Panes",
    "PostgresBackend",
    "PrometheusBackend",
    "SLODefinition",
    "Thresholds",
    "WazuhBackend",
    "demo_config",
    "fill_slo_query",
    "find_config_path",
    "load_config",
    "parse_duration",
]
