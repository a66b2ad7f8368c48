"""Insight rules about money held and money ahead: runway, the smoothing buffer's progress and
the forecast's chance of running short."""

from __future__ import annotations

import math
from datetime import date, timedelta

from gql_server.core.forecasting.forecast import HorizonForecast
from gql_server.core.forecasting.risk import HIGH_SHORTFALL, SAFE_RUNWAY_MONTHS
from gql_server.core.insights.months import MONTH_NAMES, Months
from gql_server.core.insights.records import Insight, InsightContext, Metric, Severity, make_insight
from gql_server.core.insights.wording import money, one_decimal, pct, percent, rupees
from gql_server.core.known_money.items import RecurringSeries
from gql_server.core.known_money.schedule import occurrences_between
from gql_server.core.stats import finite_or_none

CRITICAL_RUNWAY = 0.5
THIN_RUNWAY = 1.5
COMFORTABLE_RUNWAY = SAFE_RUNWAY_MONTHS
SHORTFALL_CRITICAL = HIGH_SHORTFALL  # more likely than not: risk calls it HIGH whatever else
SHORTFALL_WARNING = 0.2  # one chance in five is worth preparing for
SHORTFALL_HORIZON = 30  # look no further than a month: beyond it the paths fan out
# A scheduled expense is named as the cause when, on its day, at least this many more paths
# (as a share) are below zero than the day before: it tips them over, not merely comes along.
CAUSE_JUMP = 0.05


def runway(context: InsightContext, months: Months) -> list[Insight]:
    """Months of essential spending the current balance covers (the `runway_months` feature):
    below zero or under half a month CRITICAL, under 1.5 months WARNING, from 6 months (the
    usual emergency-fund advice for irregular income, as in forecasting.risk) POSITIVE, else
    INFO. Nothing when essential spending is unknown or zero."""
    essentials = finite_or_none(context.features.get("mean_monthly_essential_expenses"))
    balance = finite_or_none(context.features.get("current_balance"))
    if balance is None:
        balance = context.series.current_balance
    if essentials is None or essentials <= 0:
        return []
    months_covered = round(max(balance, 0.0) / essentials, 1)
    metrics: dict[str, Metric] = {
        "balance": rupees(balance),
        "essential_monthly": rupees(essentials),
        "runway_months": months_covered,
        "target_months": SAFE_RUNWAY_MONTHS,
    }
    cost = f"essentials cost you about {money(essentials)} a month"
    target = f"{SAFE_RUNWAY_MONTHS:.0f} months"
    if balance < 0:
        severity, title = Severity.CRITICAL, "Your balance is below zero"
        message = (
            f"Your balance is {money(balance)} and {cost}. Keep to essentials until money comes "
            "in, and move some from your buffer if you have one."
        )
    else:
        covered = f"Your balance of {money(balance)} covers {one_decimal(months_covered)} months"
        title = f"{one_decimal(months_covered)} months of essentials in the bank"
        if months_covered < CRITICAL_RUNWAY:
            severity = Severity.CRITICAL
            message = f"{covered} of essentials ({cost}). Keep to essentials until money comes in."
        elif months_covered < THIN_RUNWAY:
            severity = Severity.WARNING
            message = f"{covered} of essentials ({cost}). Build towards {target} for lean spells."
        elif months_covered < COMFORTABLE_RUNWAY:
            severity = Severity.INFO
            message = (
                f"{covered} of essentials ({cost}). {target} would see you through a lean spell."
            )
        else:
            severity = Severity.POSITIVE
            message = f"{covered} of essentials ({cost}): beyond the usual advice of {target}."
    if severity is Severity.POSITIVE:
        effect = min(months_covered / (2 * SAFE_RUNWAY_MONTHS), 1.0)
    else:
        effect = 1.0 - months_covered / SAFE_RUNWAY_MONTHS
    end = context.series.end
    return [make_insight("runway", severity, title, message, metrics, effect, (end, end))]


def buffer_progress(context: InsightContext, months: Months) -> list[Insight]:
    """The smoothing buffer against its target: POSITIVE once reached, else INFO with the share
    reached and the amount to go; with the months of essentials (and of the paycheck, when
    known) the buffer would pay for. Nothing without a positive target."""
    if context.buffer_balance is None or context.buffer_target is None:
        return []
    balance, target = float(context.buffer_balance), float(context.buffer_target)
    if not (math.isfinite(balance) and math.isfinite(target) and target > 0):
        return []
    progress = max(balance, 0.0) / target
    essentials = finite_or_none(context.features.get("mean_monthly_essential_expenses"))
    paycheck = float(context.monthly_paycheck) if context.monthly_paycheck is not None else 0.0
    metrics: dict[str, Metric] = {
        "buffer_balance": rupees(balance),
        "buffer_target": rupees(target),
        "progress_pct": pct(progress),
        "remaining": rupees(max(target - balance, 0.0)),
        "essential_months": round(balance / essentials, 1) if essentials else None,
        "monthly_paycheck": rupees(paycheck) if paycheck > 0 else None,
        "paycheck_months": round(balance / paycheck, 1) if paycheck > 0 else None,
    }
    covers = []
    if metrics["essential_months"] is not None:
        covers.append(f"{one_decimal(float(metrics['essential_months']))} months of essentials")
    if paycheck > 0:
        months_pay = float(metrics["paycheck_months"] or 0.0)
        covers.append(f"{one_decimal(months_pay)} months of your {money(paycheck)} paycheck")
    enough = f", enough for {' or '.join(covers)}" if covers else ""
    if progress >= 1:
        severity, title = Severity.POSITIVE, "Buffer target reached"
        message = (
            f"Your buffer holds {money(balance)} against a target of {money(target)}{enough}. "
            "Surplus months can now go to other goals."
        )
        effect = 0.5
    else:
        severity = Severity.INFO
        title = f"Buffer {percent(pct(progress))} of the way to its target"
        message = (
            f"Your buffer holds {money(balance)} of its {money(target)} target{enough}; "
            f"{money(target - balance)} to go."
        )
        effect = 1.0 - progress
    end = context.series.end
    return [make_insight("buffer_progress", severity, title, message, metrics, effect, (end, end))]


def _shortfall_severity(horizon: HorizonForecast) -> Severity | None:
    probability = horizon.shortfall_probability
    if probability >= SHORTFALL_CRITICAL:
        return Severity.CRITICAL
    if probability >= SHORTFALL_WARNING:
        return Severity.WARNING
    return None


def _cause(
    context: InsightContext, horizon: HorizonForecast
) -> tuple[RecurringSeries, date, float] | None:
    """The first scheduled expense that tips at least SHORTFALL_WARNING of the paths below
    zero on its day (CAUSE_JUMP more than the day before); the largest on a tie of days.
    With its day and the share of paths below zero that day."""
    below = horizon.below_zero
    if below is None or not context.schedule:
        return None
    start = context.series.end + timedelta(days=1)
    end = start + timedelta(days=len(below) - 1)
    already = 1.0 if context.series.current_balance < 0 else 0.0
    found: list[tuple[date, float, RecurringSeries, float]] = []
    for item in context.schedule:
        if item.is_income:
            continue
        for day in occurrences_between(item, start, end):
            index = (day - start).days
            share = float(below[index])
            before = float(below[index - 1]) if index else already
            if share >= SHORTFALL_WARNING and share - before >= CAUSE_JUMP:
                found.append((day, -item.amount, item, share))
    if not found:
        return None
    day, _, item, share = min(found, key=lambda f: (f[0], f[1], f[2].merchant))
    return item, day, share


def _item_label(item: RecurringSeries) -> tuple[str, str]:
    """What a person calls the item ('Rent'), and whom it is paid to when that says more."""
    if item.merchant == item.category or not item.merchant:
        return item.category, ""
    return item.category, f" ({item.merchant})"


def upcoming_shortfall(context: InsightContext, months: Months) -> list[Insight]:
    """The forecast's chance that the balance goes below zero within 30 days (or 7): CRITICAL
    from 50% (risk's HIGH whatever else holds), WARNING from 20%; of the horizons up to 30
    days the most severe is told, the shortest among equals (the most urgent). With the
    projected lowest balance (the median of the paths' lowest points). When a scheduled
    expense tips the balance below zero (`_cause`), the insight names it, its day and the
    chance that day: "Rent of ₹18,000 on 1 Dec may take your balance below zero"."""
    forecast = context.forecast
    if forecast is None or not forecast.horizons:
        return []
    near = [h for h in forecast.horizons if h.horizon_days <= SHORTFALL_HORIZON]
    candidates = near or [min(forecast.horizons, key=lambda h: h.horizon_days)]
    rated = [(h, s) for h in candidates if (s := _shortfall_severity(h)) is not None]
    if not rated:
        return []
    rank = {Severity.CRITICAL: 0, Severity.WARNING: 1}
    horizon, severity = min(rated, key=lambda hs: (rank[hs[1]], hs[0].horizon_days))
    probability = pct(horizon.shortfall_probability)
    metrics: dict[str, Metric] = {
        "horizon_days": horizon.horizon_days,
        "shortfall_probability": round(horizon.shortfall_probability, 3),
        "probability_pct": probability,
        "projected_min_balance": rupees(horizon.projected_min_balance),
        "expected_inflow": rupees(horizon.expected_inflow),
        "expected_outflow": rupees(horizon.expected_outflow),
        "current_balance": rupees(context.series.current_balance),
        "low_confidence": forecast.low_confidence,
    }
    message = (
        f"There is a {percent(probability)} chance your balance drops below zero in the next "
        f"{horizon.horizon_days} days; it will likely bottom out at "
        f"{money(horizon.projected_min_balance)}. Hold back spending that can wait, or move "
        "money from your buffer."
    )
    title = f"{percent(probability)} chance of running short in {horizon.horizon_days} days"
    cause = _cause(context, horizon)
    if cause is not None:
        item, day, share = cause
        name, payee = _item_label(item)
        when = f"{day.day} {MONTH_NAMES[day.month - 1]}"
        metrics |= {
            "item": item.merchant,
            "item_category": item.category,
            "item_amount": rupees(item.amount),
            "item_date": day.isoformat(),
            "item_probability_pct": pct(share),
        }
        title = f"{name} of {money(item.amount)} on {when} may take your balance below zero"
        message = (
            f"{name}{payee} of {money(item.amount)} on {when} may take your balance below "
            f"zero: {percent(pct(share))} chance. Over the next {horizon.horizon_days} days "
            f"the chance is {percent(probability)}, and the balance will likely bottom out at "
            f"{money(horizon.projected_min_balance)}. Keep that money aside, or move it from "
            "your buffer before then."
        )
    start = context.series.end + timedelta(days=1)
    period = (start, context.series.end + timedelta(days=horizon.horizon_days))
    effect = horizon.shortfall_probability
    return [make_insight("upcoming_shortfall", severity, title, message, metrics, effect, period)]
