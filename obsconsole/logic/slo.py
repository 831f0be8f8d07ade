"""SLO arithmetic (SPEC §7). Pure functions on ratios, never percents.

    allowed          = 1 - target                    (the error budget as a ratio)
    budget remaining = 1 - error_ratio_window / allowed   (may go negative: overspent)
    burn rate over w = error_ratio_w / allowed

Multi-window conditions (Google SRE workbook): a condition fires when the burn rate
over its long window AND over its short window both exceed its factor.
"""

from __future__ import annotations

from obsconsole.model import (
    BurnWindow,
    SLODefinition,
    SLOMeasurement,
    SLOState,
    SLOStatus,
)


def allowed_error_ratio(target: float) -> float:
    """The error budget as a ratio of requests: 0.001 for a 99.9 % target."""
    return 1.0 - target


def burn_rate(error_ratio: float | None, target: float) -> float | None:
    """How many times faster than sustainable the budget is being spent.

    A 99.9 % objective with 0.5 % errors burns at 5×.
    """
    if error_ratio is None:
        return None
    allowed = allowed_error_ratio(target)
    if allowed <= 0:
        # a 100 % objective has no budget: any error is an infinite burn
        return float("inf") if error_ratio > 0 else 0.0
    return error_ratio / allowed


#: a budget within this of zero is zero: 1 - 0.999 is not exactly 0.001 in binary, and an
#: error ratio equal to the allowance must read as spent, not as 1e-15 left
BUDGET_EPSILON = 1e-9


def budget_remaining(error_ratio_window: float | None, target: float) -> float | None:
    """Share of the window's error budget left (1.0 untouched, 0.0 exhausted, < 0
    overspent; not clamped)."""
    rate = burn_rate(error_ratio_window, target)
    if rate is None:
        return None
    remaining = 1.0 - rate
    return 0.0 if abs(remaining) < BUDGET_EPSILON else remaining


def _window_ratio(m: SLOMeasurement, seconds: float) -> float | None:
    return m.error_ratios.get(seconds)


def condition_firing(m: SLOMeasurement, cond: BurnWindow, target: float) -> bool:
    """True when both the long- and the short-window burn rate exceed the factor."""
    long_burn = burn_rate(_window_ratio(m, cond.long_s), target)
    short_burn = burn_rate(_window_ratio(m, cond.short_s), target)
    if long_burn is None or short_burn is None:
        return False
    return long_burn > cond.factor and short_burn > cond.factor


def evaluate(slo: SLODefinition, m: SLOMeasurement, at_risk_below: float = 0.10) -> SLOStatus:
    """Turn a measurement into a status.

    violated: the budget is spent: none left (exhausted: one more error breaks the
    objective) or overspent (the SLI is below target over the window);
    at_risk: a burn condition fires or less than `at_risk_below` of the budget is left
    (the source leaves at_risk undefined; SPEC §7 fixes it so);
    healthy otherwise. Without data the SLO is shown at_risk rather than healthy: we
    cannot vouch for it.
    """
    remaining = budget_remaining(m.error_ratio_window, slo.target)
    fast = condition_firing(m, slo.fast, slo.target)
    slow = condition_firing(m, slo.slow, slo.target)
    if remaining is None:
        state = SLOState.AT_RISK
    elif remaining <= 0:
        state = SLOState.VIOLATED
    elif fast or slow or remaining < at_risk_below:
        state = SLOState.AT_RISK
    else:
        state = SLOState.HEALTHY
    sli = None if m.error_ratio_window is None else 1.0 - m.error_ratio_window
    return SLOStatus(
        slo_id=slo.id,
        service=slo.service,
        description=slo.description,
        target=slo.target,
        window_s=slo.window_s,
        sli=sli,
        budget_remaining=remaining,
        fast_burn=burn_rate(_window_ratio(m, slo.fast.long_s), slo.target),
        slow_burn=burn_rate(_window_ratio(m, slo.slow.long_s), slo.target),
        fast_firing=fast,
        slow_firing=slow,
        state=state,
    )


def evaluate_all(
    slos: tuple[SLODefinition, ...] | list[SLODefinition],
    measurements: tuple[SLOMeasurement, ...] | list[SLOMeasurement],
    at_risk_below: float = 0.10,
) -> tuple[SLOStatus, ...]:
    """Evaluate every configured SLO, in config order. An SLO the source did not measure
    is evaluated on an empty measurement (and so shown at_risk, "no data")."""
    by_id = {m.slo_id: m for m in measurements}
    return tuple(
        evaluate(slo, by_id.get(slo.id, SLOMeasurement(slo.id, None, {})), at_risk_below)
        for slo in slos
    )
