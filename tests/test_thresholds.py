"""Health against thresholds (SPEC §2-3): the colours on screen and the snapshot exit
code come from these, so their edges matter."""

from __future__ import annotations


import pytest

from obsconsole.config import Bands, Limits, Thresholds
from obsconsole.logic.thresholds import (
    alerts_health,
    host_health,
    hosts_health,
    latency_health,
    services_health,
    slos_health,
    sort_worst_first,
)
from obsconsole.model import (
    Alert,
    AlertGroup,
    Health,
    HostGauge,
    ServiceLatency,
    Severity,
    SLOState,
    SLOStatus,
)
from tests.tz import local_zone  # noqa: F401  (autouse: every test in UTC, Asia/Kolkata, America/New_York)
from tests.clock import NOON

T = Thresholds()
NOW = NOON


def host(
    name: str = "web-1",
    cpu: float | None = 10.0,
    mem: float | None = 10.0,
    disk: float | None = 10.0,
) -> HostGauge:
    return HostGauge(name, cpu, mem, disk, 1000.0)


def svc(p95: float | None = 0.2, errors: float | None = 0.0, name: str = "aigym-api") -> ServiceLatency:
    return ServiceLatency(name, 0.1, p95, 0.5, errors)


def group(severity: str, *states: str) -> AlertGroup:
    alerts = tuple(
        Alert(f"fp{i}", "X", Severity(severity), "application", "aigym-api", NOW, state=s)
        for i, s in enumerate(states or ("active",))
    )
    return AlertGroup(f"k-{severity}-{states}", "aigym-api", "application", Severity(severity), alerts, NOW, NOW)


def slo_status(state: SLOState) -> SLOStatus:
    return SLOStatus("x", "s", "", 0.999, 86400.0, 1.0, 1.0, 0.0, 0.0, False, False, state)


# --------------------------------------------------------------------------- defaults


def test_default_bands_are_the_specs() -> None:
    assert T.cpu == Bands(70, 85, 95)
    assert T.memory == Bands(80, 90, 95)
    assert T.disk == Bands(80, 90, 95)
    assert T.latency_p95_s == Limits(2.0, 5.0)
    assert T.error_ratio == Limits(0.01, 0.05)


# --------------------------------------------------------------------------- host edges


@pytest.mark.parametrize(
    ("cpu", "expected"),
    [
        (0.0, Health.OK),
        (69.9, Health.OK),
        (70.0, Health.WARNING),
        (84.9, Health.WARNING),
        (85.0, Health.CRITICAL),
        (95.0, Health.CRITICAL),
        (100.0, Health.CRITICAL),
    ],
)
def test_cpu_turns_warning_at_70_and_critical_at_85(cpu: float, expected: Health) -> None:
    assert host_health(host(cpu=cpu), T) is expected


@pytest.mark.parametrize(
    ("mem", "expected"),
    [(79.9, Health.OK), (80.0, Health.WARNING), (89.9, Health.WARNING), (90.0, Health.CRITICAL)],
)
def test_memory_turns_warning_at_80_and_critical_at_90(mem: float, expected: Health) -> None:
    assert host_health(host(mem=mem), T) is expected


@pytest.mark.parametrize(
    ("disk", "expected"),
    [(79.9, Health.OK), (80.0, Health.WARNING), (90.0, Health.CRITICAL)],
)
def test_disk_turns_warning_at_80_and_critical_at_90(disk: float, expected: Health) -> None:
    assert host_health(host(disk=disk), T) is expected


def test_a_host_shows_its_worst_gauge() -> None:
    assert host_health(host(cpu=72, mem=91, disk=10), T) is Health.CRITICAL
    assert host_health(host(cpu=72, mem=10, disk=10), T) is Health.WARNING


def test_a_missing_gauge_does_not_count_against_the_host() -> None:
    # a host that exports no disk metric is judged on what it does export
    assert host_health(host(cpu=20, mem=30, disk=None), T) is Health.OK
    assert host_health(host(cpu=None, mem=None, disk=91), T) is Health.CRITICAL


def test_a_host_without_any_gauge_is_unknown() -> None:
    assert host_health(host(cpu=None, mem=None, disk=None), T) is Health.UNKNOWN


def test_configured_bands_replace_the_defaults() -> None:
    strict = Thresholds(cpu=Bands(50, 60, 70))
    assert host_health(host(cpu=55), strict) is Health.WARNING
    assert host_health(host(cpu=55), T) is Health.OK


def test_hosts_health_is_the_worst_host_and_ok_for_none() -> None:
    assert hosts_health([host(cpu=10), host("db-1", cpu=86)], T) is Health.CRITICAL
    assert hosts_health([host(cpu=10), host("db-1", cpu=None, mem=None, disk=None)], T) is Health.UNKNOWN
    assert hosts_health([], T) is Health.OK


# --------------------------------------------------------------------------- latency


@pytest.mark.parametrize(
    ("p95", "errors", "expected"),
    [
        (0.3, 0.001, Health.OK),
        (1.99, 0.0, Health.OK),
        (2.0, 0.0, Health.WARNING),  # 2 s warning
        (5.0, 0.0, Health.CRITICAL),  # 5 s critical
        (0.3, 0.01, Health.WARNING),  # 1 % 5xx
        (0.3, 0.05, Health.CRITICAL),  # 5 % 5xx
        (3.6, 0.10, Health.CRITICAL),  # the demo incident: slow AND failing
        (3.6, 0.001, Health.WARNING),  # slow but not failing
        (0.3, 0.06, Health.CRITICAL),  # fast but failing
    ],
)
def test_latency_health_is_the_worst_of_p95_and_5xx_ratio(
    p95: float, errors: float, expected: Health
) -> None:
    assert latency_health(svc(p95, errors), T) is expected


def test_latency_with_one_missing_figure_is_judged_on_the_other() -> None:
    assert latency_health(svc(p95=None, errors=0.06), T) is Health.CRITICAL
    assert latency_health(svc(p95=2.5, errors=None), T) is Health.WARNING
    assert latency_health(svc(p95=0.1, errors=None), T) is Health.OK


def test_latency_with_no_figure_at_all_is_unknown() -> None:
    assert latency_health(svc(p95=None, errors=None), T) is Health.UNKNOWN


def test_services_health_is_the_worst_service() -> None:
    assert services_health([svc(0.1, 0.0, "a"), svc(2.5, 0.0, "b")], T) is Health.WARNING
    assert services_health([], T) is Health.OK


# --------------------------------------------------------------------------- slos, alerts


def test_slos_health_maps_violated_to_critical_and_at_risk_to_warning() -> None:
    assert slos_health([slo_status(SLOState.HEALTHY)]) is Health.OK
    assert slos_health([slo_status(SLOState.HEALTHY), slo_status(SLOState.AT_RISK)]) is Health.WARNING
    assert slos_health([slo_status(SLOState.AT_RISK), slo_status(SLOState.VIOLATED)]) is Health.CRITICAL


def test_an_active_critical_group_makes_alerts_critical() -> None:
    assert alerts_health([group("critical")]) is Health.CRITICAL


def test_high_and_medium_groups_warn_low_and_info_do_not() -> None:
    assert alerts_health([group("high")]) is Health.WARNING
    assert alerts_health([group("medium")]) is Health.WARNING
    assert alerts_health([group("low"), group("info")]) is Health.OK
    assert alerts_health([]) is Health.OK


def test_an_acknowledged_critical_group_does_not_raise_alerts_health() -> None:
    acked = group("critical", "suppressed", "suppressed")
    assert acked.status == "acknowledged"
    assert alerts_health([acked]) is Health.OK
    assert alerts_health([acked, group("medium")]) is Health.WARNING


def test_a_partly_silenced_group_still_counts() -> None:
    partly = group("critical", "suppressed", "active")
    assert partly.status == "active"
    assert alerts_health([partly]) is Health.CRITICAL


# --------------------------------------------------------------------------- ordering


def test_hosts_are_listed_worst_first_then_busiest_then_by_name() -> None:
    hosts = [
        host("ok-b", cpu=40),
        host("warn", cpu=75),
        host("ok-a", cpu=40),
        host("unknown", cpu=None, mem=None, disk=None),
        host("crit-mem", cpu=10, mem=95),
        host("crit-cpu", cpu=90),
        host("ok-busy", cpu=60),
    ]
    ordered = [h.host for h in sort_worst_first(hosts, T)]
    assert ordered == ["crit-cpu", "crit-mem", "unknown", "warn", "ok-busy", "ok-a", "ok-b"]


def test_any_critical_host_comes_before_an_unknown_one_even_when_idle() -> None:
    # disk-full has 0 % CPU, a-silent exports nothing: critical still leads
    hosts = [host("a-silent", cpu=None, mem=None, disk=None), host("disk-full", cpu=0.0, disk=95)]
    assert [h.host for h in sort_worst_first(hosts, T)] == ["disk-full", "a-silent"]


def test_a_warning_host_comes_before_a_busier_healthy_one() -> None:
    hosts = [host("busy-ok", cpu=60), host("mem-warn", cpu=10, mem=85)]
    assert [h.host for h in sort_worst_first(hosts, T)] == ["mem-warn", "busy-ok"]


def test_a_host_without_a_cpu_figure_is_listed_after_those_that_report_one() -> None:
    hosts = [host("a-no-cpu", cpu=None), host("b-idle", cpu=0.5)]
    assert [h.host for h in sort_worst_first(hosts, T)] == ["b-idle", "a-no-cpu"]


def test_sorting_does_not_depend_on_input_order() -> None:
    hosts = [host(f"h{i}", cpu=c) for i, c in enumerate([10, 90, 75, 10, 86])]
    assert sort_worst_first(hosts, T) == sort_worst_first(list(reversed(hosts)), T)
