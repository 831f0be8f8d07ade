"""SLO arithmetic (SPEC §7): burn rates, error budgets and the healthy / at_risk /
violated state, with worked numbers."""

from __future__ import annotations

import dataclasses
import math

import pytest

from obsconsole.config import DEFAULT_SLOS
from obsconsole.logic.slo import (
    allowed_error_ratio,
    budget_remaining,
    burn_rate,
    condition_firing,
    evaluate,
    evaluate_all,
)
from obsconsole.model import Health, SLOMeasurement, SLOState
from tests.tz import local_zone  # noqa: F401  (autouse: every test in UTC, Asia/Kolkata, America/New_York)

#: auth-availability: 99.9 % over 30 d; fast 14.4 over 1h/5m, slow 6 over 6h/30m
AUTH = DEFAULT_SLOS[0]
assert AUTH.id == "auth-availability" and AUTH.target == 0.999


def measure(
    window: float | None,
    *,
    fast_long: float | None = 0.0,
    fast_short: float | None = 0.0,
    slow_long: float | None = 0.0,
    slow_short: float | None = 0.0,
    slo=AUTH,
) -> SLOMeasurement:
    """A measurement of `slo` with the given error ratios per burn window."""
    ratios: dict[float, float | None] = {
        slo.fast.long_s: fast_long,
        slo.fast.short_s: fast_short,
        slo.slow.long_s: slow_long,
        slo.slow.short_s: slow_short,
    }
    return SLOMeasurement(slo.id, window, ratios)


# --------------------------------------------------------------------------- arithmetic


def test_a_999_objective_allows_one_error_in_a_thousand() -> None:
    assert allowed_error_ratio(0.999) == pytest.approx(0.001)


def test_half_a_percent_errors_against_999_burns_the_budget_five_times_too_fast() -> None:
    assert burn_rate(0.005, 0.999) == pytest.approx(5.0)


def test_errors_exactly_at_the_allowance_burn_at_one() -> None:
    assert burn_rate(0.01, 0.99) == pytest.approx(1.0)
    assert burn_rate(0.0, 0.99) == 0.0


def test_burn_rate_without_data_is_unknown_not_zero() -> None:
    assert burn_rate(None, 0.999) is None


def test_budget_remaining_is_one_minus_the_spent_share() -> None:
    # 0.05 % errors against a 0.1 % allowance: half the budget is spent
    assert budget_remaining(0.0005, 0.999) == pytest.approx(0.5)
    assert budget_remaining(0.0, 0.999) == pytest.approx(1.0)


def test_overspent_budget_is_shown_negative_not_clamped_at_zero() -> None:
    # 0.2 % errors against a 0.1 % allowance: spent twice over → -100 %
    assert budget_remaining(0.002, 0.999) == pytest.approx(-1.0)


def test_overspent_budget_makes_the_slo_violated() -> None:
    status = evaluate(AUTH, measure(0.002))
    assert status.state is SLOState.VIOLATED
    assert status.budget_remaining == pytest.approx(-1.0)
    assert status.sli == pytest.approx(0.998)
    assert status.state.health is Health.CRITICAL


def test_errors_exactly_at_the_allowance_leave_exactly_no_budget() -> None:
    # 0.1 % errors against a 99.9 % objective: 1 - 0.999 is 0.0010000000000000009 in
    # binary, yet the budget reads 0, not 1e-15 left
    assert budget_remaining(0.001, 0.999) == 0.0
    assert budget_remaining(0.01, 0.99) == 0.0
    assert budget_remaining(0.5, 0.5) == 0.0


def test_a_budget_a_hair_from_zero_is_not_rounded_away() -> None:
    # 0.0999 % errors: 0.1 % of the budget left, far above float noise
    assert budget_remaining(0.000999, 0.999) == pytest.approx(0.001, abs=1e-12)
    assert budget_remaining(0.000999, 0.999) > 0
    assert budget_remaining(0.001001, 0.999) == pytest.approx(-0.001, abs=1e-12)


def test_an_slo_with_exactly_no_budget_left_is_violated_not_at_risk_or_negative() -> None:
    status = evaluate(AUTH, measure(0.001))
    assert status.budget_remaining == 0.0
    assert status.state is SLOState.VIOLATED
    assert status.state.value == "violated"
    assert status.state.health is Health.CRITICAL
    assert status.sli == pytest.approx(0.999)


def test_an_exactly_spent_budget_is_violated_even_when_nothing_burns_now() -> None:
    # allowed 0.5: exact binary arithmetic, error ratio 0.5 spends it all
    slo = dataclasses.replace(AUTH, target=0.5)
    status = evaluate(slo, measure(0.5, slo=slo))
    assert status.budget_remaining == 0.0
    assert status.state is SLOState.VIOLATED


# --------------------------------------------------------------------------- multi-window


def test_fast_burn_on_both_windows_puts_the_slo_at_risk() -> None:
    # 2 % errors over the last hour and the last 5 minutes: burn 20 > 14.4
    status = evaluate(AUTH, measure(0.0001, fast_long=0.02, fast_short=0.02))
    assert status.fast_firing is True
    assert status.slow_firing is False
    assert status.fast_burn == pytest.approx(20.0)
    assert status.state is SLOState.AT_RISK
    assert status.state.health is Health.WARNING


def test_slow_burn_on_both_windows_puts_the_slo_at_risk() -> None:
    # 0.7 % errors over 6 h and 30 min: burn 7 > 6
    status = evaluate(AUTH, measure(0.0001, slow_long=0.007, slow_short=0.007))
    assert status.slow_firing is True
    assert status.slow_burn == pytest.approx(7.0)
    assert status.state is SLOState.AT_RISK


def test_a_burst_that_is_over_does_not_alarm_when_only_the_long_window_is_high() -> None:
    # the last hour burned at 20, but the last 5 minutes are clean: recovered
    m = measure(0.0001, fast_long=0.02, fast_short=0.0)
    assert condition_firing(m, AUTH.fast, AUTH.target) is False
    status = evaluate(AUTH, m)
    assert status.fast_firing is False
    assert status.fast_burn == pytest.approx(20.0)  # still shown
    assert status.state is SLOState.HEALTHY


def test_a_short_spike_does_not_alarm_when_only_the_short_window_is_high() -> None:
    m = measure(0.0001, fast_long=0.001, fast_short=0.05)
    assert condition_firing(m, AUTH.fast, AUTH.target) is False
    assert evaluate(AUTH, m).state is SLOState.HEALTHY


def test_a_condition_with_a_missing_window_does_not_fire() -> None:
    m = measure(0.0001, fast_long=0.05, fast_short=None)
    assert condition_firing(m, AUTH.fast, AUTH.target) is False


def test_burn_exactly_at_the_factor_does_not_fire() -> None:
    # "exceeds" the factor: 14.4 × 0.001 is not above 14.4
    slo = dataclasses.replace(AUTH, target=0.5)  # allowed 0.5: exact binary arithmetic
    m = measure(0.0, fast_long=0.5 * 14.4, fast_short=0.5 * 14.4, slo=slo)
    assert condition_firing(m, slo.fast, slo.target) is False


@pytest.mark.parametrize(
    ("long_ratio", "short_ratio"),
    [(0.5 * 14.4, 8.0), (8.0, 0.5 * 14.4)],
    ids=["long-at-factor", "short-at-factor"],
)
def test_one_window_exactly_at_the_factor_does_not_fire_even_if_the_other_exceeds(
    long_ratio: float, short_ratio: float
) -> None:
    slo = dataclasses.replace(AUTH, target=0.5)  # allowed 0.5: exact binary arithmetic
    m = measure(0.0, fast_long=long_ratio, fast_short=short_ratio, slo=slo)
    assert condition_firing(m, slo.fast, slo.target) is False


# --------------------------------------------------------------------------- budget bands


def test_less_than_ten_percent_budget_left_is_at_risk() -> None:
    # 0.091 % errors against 0.1 %: 9 % left
    status = evaluate(AUTH, measure(0.00091))
    assert status.budget_remaining == pytest.approx(0.09)
    assert status.state is SLOState.AT_RISK


def test_eleven_percent_budget_left_and_no_burn_is_healthy() -> None:
    status = evaluate(AUTH, measure(0.00089))
    assert status.budget_remaining == pytest.approx(0.11)
    assert status.state is SLOState.HEALTHY
    assert status.state.health is Health.OK


def test_a_budget_exactly_at_the_at_risk_level_is_still_healthy() -> None:
    # "less than" the level is at risk: 25 % left against a 25 % level is not
    slo = dataclasses.replace(AUTH, target=0.5)  # allowed 0.5: exact binary arithmetic
    status = evaluate(slo, measure(0.375, slo=slo), at_risk_below=0.25)
    assert status.budget_remaining == 0.25
    assert status.state is SLOState.HEALTHY


def test_the_at_risk_budget_level_is_configurable() -> None:
    m = measure(0.0005)  # 50 % left
    assert evaluate(AUTH, m).state is SLOState.HEALTHY
    assert evaluate(AUTH, m, at_risk_below=0.6).state is SLOState.AT_RISK


def test_violated_beats_at_risk_when_the_budget_is_gone_and_burning() -> None:
    status = evaluate(AUTH, measure(0.003, fast_long=0.02, fast_short=0.02))
    assert status.state is SLOState.VIOLATED


def test_an_slo_without_data_is_at_risk_not_healthy() -> None:
    status = evaluate(AUTH, SLOMeasurement(AUTH.id, None, {}))
    assert status.state is SLOState.AT_RISK
    assert status.sli is None
    assert status.budget_remaining is None
    assert status.fast_burn is None and status.slow_burn is None
    assert status.fast_firing is False and status.slow_firing is False


def test_status_carries_the_definition_for_display() -> None:
    status = evaluate(AUTH, measure(0.0))
    assert (status.slo_id, status.service, status.target, status.window_s) == (
        "auth-availability",
        "aigym-auth",
        0.999,
        30 * 24 * 3600.0,
    )
    assert status.description == AUTH.description


# --------------------------------------------------------------------------- evaluate_all


def test_evaluate_all_keeps_config_order_whatever_order_the_source_answers() -> None:
    measurements = [measure(0.0, slo=s) for s in reversed(DEFAULT_SLOS)]
    statuses = evaluate_all(DEFAULT_SLOS, measurements)
    assert [s.slo_id for s in statuses] == [s.id for s in DEFAULT_SLOS]
    assert all(s.state is SLOState.HEALTHY for s in statuses)


def test_an_slo_the_source_did_not_measure_is_shown_as_no_data() -> None:
    measured = [measure(0.0, slo=s) for s in DEFAULT_SLOS if s.id != "api-latency"]
    statuses = {s.slo_id: s for s in evaluate_all(DEFAULT_SLOS, measured)}
    assert len(statuses) == len(DEFAULT_SLOS)
    missing = statuses["api-latency"]
    assert missing.state is SLOState.AT_RISK
    assert missing.budget_remaining is None and missing.sli is None
    assert statuses["auth-availability"].state is SLOState.HEALTHY


def test_measurements_for_unconfigured_slos_are_ignored() -> None:
    stray = SLOMeasurement("not-configured", 0.5, {})
    statuses = evaluate_all(DEFAULT_SLOS[:1], [stray, measure(0.0)])
    assert [s.slo_id for s in statuses] == ["auth-availability"]


def test_evaluate_all_passes_the_at_risk_level_through() -> None:
    statuses = evaluate_all(DEFAULT_SLOS[:1], [measure(0.0005)], at_risk_below=0.6)
    assert statuses[0].state is SLOState.AT_RISK


# --------------------------------------------------------------------------- 100 % target


def test_a_100_percent_objective_without_errors_is_healthy_and_does_not_divide_by_zero() -> None:
    slo = dataclasses.replace(AUTH, target=1.0)
    status = evaluate(slo, measure(0.0, slo=slo))
    assert status.budget_remaining == 1.0
    assert status.state is SLOState.HEALTHY


def test_a_100_percent_objective_with_any_error_is_violated_with_infinite_burn() -> None:
    slo = dataclasses.replace(AUTH, target=1.0)
    status = evaluate(slo, measure(1e-9, fast_long=1e-9, fast_short=1e-9, slo=slo))
    assert status.state is SLOState.VIOLATED
    assert status.fast_burn == math.inf
    assert status.budget_remaining is not None and status.budget_remaining < 0
    assert status.fast_firing is True
