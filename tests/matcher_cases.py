"""Alertmanager's matching semantics as a table of cases, written out by hand.

One table, checked twice: against `obsconsole.logic.silences.matches` (tests/test_silences.py,
no server) and against a real Alertmanager (tests/test_alertmanager_stack.py: each case's
alert is posted, a silence is created with the case's matchers, and Alertmanager says
whether it silenced the alert). So the console's idea of "this silence covers that alert"
(the demo, the ack preview) cannot drift from what Alertmanager does.

The semantics (Alertmanager docs, "Silences" and the v2 API):
- every matcher must hold;
- `=` and `!=` compare the whole value literally (regex characters are just characters);
- `=~` and `!~` regexes are anchored at both ends: `api` does not match `api-gateway`,
  and `api|web` means `^(?:api|web)$`;
- a label the alert does not carry has the empty value;
- a silence with an invalid regex does not exist: Alertmanager refuses it (HTTP 400),
  so it silences nothing, whatever the operator.

Only regexes that Python's `re` and Go's RE2 read alike are used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from obsconsole.model import Matcher


def eq(name: str, value: str) -> Matcher:
    return Matcher(name, value)


def ne(name: str, value: str) -> Matcher:
    return Matcher(name, value, is_equal=False)


def re_(name: str, value: str) -> Matcher:
    return Matcher(name, value, is_regex=True)


def nre(name: str, value: str) -> Matcher:
    return Matcher(name, value, is_regex=True, is_equal=False)


@dataclass(frozen=True)
class Case:
    id: str
    matchers: tuple[Matcher, ...]
    #: the alert's labels (never an empty value: Alertmanager treats that as absent)
    labels: Mapping[str, str] = field(default_factory=dict)
    #: does a silence with these matchers silence that alert?
    silenced: bool = False
    #: Alertmanager refuses a silence with these matchers (HTTP 400)
    refused: bool = False


CASES: tuple[Case, ...] = (
    # ------------------------------------------------------------------ =
    Case("eq-same-value", (eq("service", "api"),), {"service": "api"}, True),
    Case("eq-other-value", (eq("service", "api"),), {"service": "web"}, False),
    Case("eq-is-not-a-prefix-match", (eq("service", "api"),), {"service": "api-gateway"}, False),
    Case("eq-is-case-sensitive", (eq("service", "api"),), {"service": "API"}, False),
    Case("eq-dot-is-a-literal-dot", (eq("service", "api.v2"),), {"service": "apixv2"}, False),
    Case("eq-dot-matches-itself", (eq("service", "api.v2"),), {"service": "api.v2"}, True),
    Case("eq-pipe-is-a-literal-pipe", (eq("service", "api|web"),), {"service": "api"}, False),
    Case("eq-regex-text-matches-itself", (eq("path", "/v1/(items)*"),), {"path": "/v1/(items)*"}, True),
    Case("eq-empty-matches-a-missing-label", (eq("team", ""), eq("service", "api")), {"service": "api"}, True),
    Case("eq-empty-does-not-match-a-set-label", (eq("team", ""), eq("service", "api")),
         {"service": "api", "team": "core"}, False),
    Case("eq-value-does-not-match-a-missing-label", (eq("team", "core"),), {"service": "api"}, False),
    # ------------------------------------------------------------------ !=
    Case("ne-other-value", (ne("service", "api"), eq("env", "prod")), {"service": "web", "env": "prod"}, True),
    Case("ne-same-value", (ne("service", "api"), eq("env", "prod")), {"service": "api", "env": "prod"}, False),
    Case("ne-holds-for-a-missing-label", (ne("team", "core"), eq("env", "prod")), {"env": "prod"}, True),
    Case("ne-empty-fails-for-a-missing-label", (ne("team", ""), eq("env", "prod")), {"env": "prod"}, False),
    Case("ne-empty-holds-for-a-set-label", (ne("team", ""),), {"team": "core"}, True),
    Case("ne-dot-is-a-literal-dot", (ne("service", "api.v2"), eq("env", "prod")),
         {"service": "apixv2", "env": "prod"}, True),
    # ------------------------------------------------------------------ =~
    Case("re-whole-value", (re_("service", "api"),), {"service": "api"}, True),
    Case("re-anchored-at-the-end", (re_("service", "api"),), {"service": "api-gateway"}, False),
    Case("re-anchored-at-the-start", (re_("service", "gateway"),), {"service": "api-gateway"}, False),
    Case("re-alternation-either-side", (re_("service", "api|web"),), {"service": "web"}, True),
    Case("re-alternation-anchored-as-a-whole", (re_("service", "api|web"),), {"service": "api-gateway"}, False),
    Case("re-alternation-anchored-as-a-whole-at-the-start", (re_("service", "api|web"),),
         {"service": "my-web"}, False),
    Case("re-dot-is-any-character", (re_("service", "api.v2"),), {"service": "apixv2"}, True),
    Case("re-escaped-dot-is-a-dot", (re_("service", r"api\.v2|web"),), {"service": "apixv2"}, False),
    Case("re-escaped-dot-matches-a-dot", (re_("service", r"api\.v2|web"),), {"service": "api.v2"}, True),
    Case("re-character-class", (re_("instance", "web-[0-9]+"),), {"instance": "web-12"}, True),
    Case("re-character-class-no-trailing-text", (re_("instance", "web-[0-9]+"),), {"instance": "web-12a"}, False),
    Case("re-is-case-sensitive", (re_("service", "api"),), {"service": "API"}, False),
    Case("re-dot-star-matches-a-missing-label", (re_("team", ".*"), eq("service", "api")), {"service": "api"}, True),
    Case("re-dot-plus-fails-for-a-missing-label", (re_("team", ".+"),), {"service": "api"}, False),
    # ------------------------------------------------------------------ !~
    Case("nre-matching-value", (nre("service", "api|web"), eq("env", "prod")),
         {"service": "web", "env": "prod"}, False),
    Case("nre-anchored-so-a-longer-value-holds", (nre("service", "api|web"), eq("env", "prod")),
         {"service": "api-gateway", "env": "prod"}, True),
    Case("nre-holds-for-a-missing-label", (nre("team", ".+"), eq("env", "prod")), {"env": "prod"}, True),
    Case("nre-dot-star-fails-for-a-missing-label", (nre("team", ".*"), eq("env", "prod")), {"env": "prod"}, False),
    # ------------------------------------------------------------------ several
    Case("all-matchers-hold", (eq("alertname", "HighCPUUsage"), re_("severity", "high|critical")),
         {"alertname": "HighCPUUsage", "severity": "critical", "instance": "web-1"}, True),
    Case("one-matcher-fails", (eq("alertname", "HighCPUUsage"), re_("severity", "high|critical")),
         {"alertname": "HighCPUUsage", "severity": "medium", "instance": "web-1"}, False),
    # ------------------------------------------------------------------ invalid regex
    Case("invalid-regex-silences-nothing", (re_("service", "api("),), {"service": "api("}, False, refused=True),
    Case("invalid-negated-regex-silences-nothing", (nre("service", "(["), eq("env", "prod")),
         {"service": "web", "env": "prod"}, False, refused=True),
)
