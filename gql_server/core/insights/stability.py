"""Insight rules about how dependable income is: how much it swings from month to month and
how much of it one client pays. Income is earnings, as in `insights.income`."""

from __future__ import annotations

import numpy as np

from gql_server.core.calendar import month_end, to_date
from gql_server.core.insights.months import Months
from gql_server.core.insights.records import Insight, InsightContext, Metric, Severity, make_insight
from gql_server.core.insights.wording import money, pct, percent, rupees
from gql_server.core.series import DAYS_PER_MONTH, local_days
from gql_server.core.stats import coefficient_of_variation

VOLATILITY_MONTHS = 12
VOLATILITY_MIN_MONTHS = 6
VOLATILE_CV = 0.5
VARYING_CV = 0.3
STEADY_CV = 0.1
CONCENTRATION_DAYS = 365
CONCENTRATED_SHARE = 0.75
NOTABLE_SHARE = 0.5
ALL_SHARE = 0.995  # rounds to 100%: say "all"


def income_volatility(context: InsightContext, months: Months) -> list[Insight]:
    """Income CV (standard deviation / mean) of the last 12 complete months (at least 6): from
    0.5 a WARNING, from 0.3 INFO, up to 0.1 a POSITIVE "steady". Generated earners measure
    stable 0.04, growing and declining 0.19, moderate 0.24, seasonal 0.39, volatile 0.77
    (medians, 40 a pattern, 720 days), so the bands say what the patterns are; at 0.5 the
    smoothing buffer's target (core.smoothing.target) is already 4.5 months of essentials, not 3."""
    index = months.complete_index[-VOLATILITY_MONTHS:]
    earnings = months.earnings[index]
    if len(earnings) < VOLATILITY_MIN_MONTHS or earnings.mean() <= 0:
        return []
    mean = float(earnings.mean())
    cv = coefficient_of_variation(earnings)
    if cv is None or STEADY_CV < cv < VARYING_CV:
        return []
    metrics: dict[str, Metric] = {
        "income_cv": round(cv, 3),
        "cv_pct": pct(cv),
        "mean_monthly_income": rupees(mean),
        "lowest_month": rupees(float(earnings.min())),
        "highest_month": rupees(float(earnings.max())),
        "months": len(earnings),
    }
    spread = (
        f"Over the last {len(earnings)} months your monthly income ranged from "
        f"{money(earnings.min())} to {money(earnings.max())}, typically {percent(pct(cv))} "
        f"away from its average of {money(mean)}."
    )
    if cv <= STEADY_CV:
        title, severity, advice = "Your income is steady", Severity.POSITIVE, ""
    elif cv >= VOLATILE_CV:
        title, severity = "Your income swings a lot from month to month", Severity.WARNING
        advice = " Pay yourself a steady amount and let a buffer absorb the swings."
    else:
        title, severity = "Your income varies from month to month", Severity.INFO
        advice = " Setting aside part of the good months evens it out."
    period = (to_date(months.start[index[0]]), month_end(months.start[index[-1]]))
    effect = 1.0 - cv if severity is Severity.POSITIVE else min(cv, 1.0)
    return [
        make_insight("income_volatility", severity, title, spread + advice, metrics, effect, period)
    ]


def income_concentration(context: InsightContext, months: Months) -> list[Insight]:
    """The share of the last 12 months' source-attributed income paid by the largest source,
    named from `source_names`: from 75% a WARNING (losing that client would take most of the
    income with it), from 50% INFO, below that nothing. Needs a month of history."""
    ledger = context.ledger
    days_covered = min(len(context.series), CONCENTRATION_DAYS)
    window_months = int(days_covered / DAYS_PER_MONTH + 0.5)
    if window_months < 1 or len(ledger) == 0:
        return []
    placed = months.row_month >= 0
    first = np.datetime64(context.series.end, "D") - (days_covered - 1)
    days = local_days(ledger.occurred_at, ledger.timezone)
    source = np.asarray(ledger.source_id, dtype=np.int64)
    rows = placed & (days >= first) & np.asarray(ledger.is_income, dtype=bool) & (source >= 0)
    if not rows.any():
        return []
    ids, code = np.unique(source[rows], return_inverse=True)
    totals = np.bincount(code, weights=np.asarray(ledger.amount, dtype=np.float64)[rows])
    total = float(totals.sum())
    if total <= 0:
        return []
    top = int(np.argmax(totals))
    share = float(totals[top]) / total
    if share < NOTABLE_SHARE:
        return []
    source_id = int(ids[top])
    name = context.source_names.get(source_id)
    over = f"the last {window_months} months" if window_months > 1 else "the last month"
    metrics: dict[str, Metric] = {
        "source_id": source_id,
        "source_name": name,
        "share_pct": pct(share),
        "source_amount": rupees(float(totals[top])),
        "total_amount": rupees(total),
        "sources": len(ids),
        "window_months": window_months,
    }
    concentrated = share >= CONCENTRATED_SHARE
    title, message = _concentration_text(name, share, over, float(totals[top]), total)
    severity = Severity.WARNING if concentrated else Severity.INFO
    period = (to_date(first), context.series.end)
    return [make_insight("income_concentration", severity, title, message, metrics, share, period)]


def _concentration_text(
    name: str | None, share: float, over: str, paid: float, total: float
) -> tuple[str, str]:
    payer = name or "your largest income source"
    payer = payer[0].upper() + payer[1:]
    if share >= ALL_SHARE:
        title = f"All your income came from {name or 'one source'}"
        message = (
            f"{payer} paid all of your income over {over} ({money(total)}). If it stops, so "
            "does your income: a second regular client would soften the blow."
        )
        return title, message
    title = f"{percent(pct(share))} of your income came from {name or 'one source'}"
    message = (
        f"{payer} paid {percent(pct(share))} of your income over {over} "
        f"({money(paid)} of {money(total)})."
    )
    if share >= CONCENTRATED_SHARE:
        advice = " If it stops, most of your income goes with it: a second regular client would"
        return title, message + advice + " soften the blow."
    return title, message + " A wider spread of clients would make a lost one hurt less."
