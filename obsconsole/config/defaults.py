"""The built-in defaults: SPEC's SLOs, notification channels and label aliases, the
names a config may choose from, and `demo_config` (the configuration of `obsconsole demo`
and of a first run without a config file).

The loader starts from these when a file leaves a section out, and an SLO entry whose id
is a default SLO's starts from that default.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Mapping

from obsconsole import locations
from obsconsole.config.types import Channel, Config, Context, DemoSettings, LabelMapping
from obsconsole.model import BurnWindow, SLODefinition


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
