"""Insight rules about spending: categories that grew, months far above the usual, and where
the money went. Amounts below a material floor are left out: a category that went from ₹300
to ₹600 doubled, and nobody needs to hear it.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from gql_server.core.calendar import month_end, to_date
from gql_server.core.insights.months import Months, month_name, month_span
from gql_server.core.insights.records import Insight, InsightContext, Metric, Severity, make_insight
from gql_server.core.insights.wording import money, one_decimal, pct, percent, rupees
from gql_server.core.stats import MAD_OF_NORMAL, median_and_mad, outlier_limit

GROWTH_MIN_RISE = 0.25  # at least a quarter more than before
GROWTH_MIN_RUPEES = 1500.0  # and at least ₹1,500 more a month
MATERIAL_SHARE = 0.05  # and at least 5% of a month's spending
GROWTH_WARNING_SHARE = 0.10  # a rise worth a tenth of monthly income is a WARNING
CATEGORIES_SHOWN = 2
TIMES_FROM = 3.0  # from three times as much, say 'times' rather than a percentage
SPIKE_BASELINE_MONTHS = 12
SPIKE_MIN_BASELINE = 5
SPIKE_MIN_RUPEES = 2000.0
SPIKE_SCALE_FLOOR = 0.10  # of the median: the least spread a category is credited with
SPIKE_WARNING_SHARE = 0.25  # an excess worth a quarter of monthly income is a WARNING
MERCHANT_MONTHS = 3
MERCHANTS_SHOWN = 3


def category_growth(context: InsightContext, months: Months) -> list[Insight]:
    """Spending categories whose average over the last 3 complete months exceeds the 3 before
    by at least 25% and by a material amount (at least ₹1,500 a month and 5% of the average
    monthly spending of the 6 months); the 2 largest rises. A WARNING when the rise is at
    least a tenth of the average monthly income, else INFO."""
    index = months.complete_index
    if len(index) < 6 or not months.categories:
        return []
    recent = months.spend[index[-3:]].mean(axis=0)
    previous = months.spend[index[-6:-3]].mean(axis=0)
    rise = recent - previous
    floor = max(GROWTH_MIN_RUPEES, MATERIAL_SHARE * float(months.spending[index[-6:]].mean()))
    chosen = np.flatnonzero(
        (previous > 0) & (rise >= floor) & (rise >= GROWTH_MIN_RISE * np.maximum(previous, 0))
    )
    income = float(months.earnings[index[-6:]].mean())
    total = max(float(months.spending[index[-6:]].mean()), 1.0)
    recent_label = month_span(months.start[index[-3]], months.start[index[-1]])
    earlier_label = month_span(months.start[index[-6]], months.start[index[-4]])
    period = (to_date(months.start[index[-6]]), month_end(months.start[index[-1]]))
    labels = (recent_label, earlier_label)
    return [
        _growth_insight(months.categories[c], recent[c], previous[c], labels, income, total, period)
        for c in chosen[np.argsort(-rise[chosen])][:CATEGORIES_SHOWN]
    ]


def _growth_insight(
    category: str,
    recent: float,
    previous: float,
    labels: tuple[str, str],
    income: float,
    total: float,
    period: tuple[date, date],
) -> Insight:
    rise = recent - previous
    metrics: dict[str, Metric] = {
        "category": category,
        "recent_mean": rupees(recent),
        "previous_mean": rupees(previous),
        "increase": rupees(rise),
        "change_pct": pct(rise / previous),
        "ratio": round(recent / previous, 1),
        "recent_months": labels[0],
        "previous_months": labels[1],
    }
    # Past a tripling, "2122% more" says less than "22.2 times".
    if recent < TIMES_FROM * previous:
        compared = f"{percent(pct(rise / previous))} more than the"
    else:
        compared = f"{one_decimal(round(recent / previous, 1))} times the"
    message = (
        f"You spent {money(recent)} a month on {category} in {labels[0]}, {compared} "
        f"{money(previous)} a month of {labels[1]}. Check whether it is a new habit or a "
        "one-off."
    )
    heavy = income > 0 and rise >= GROWTH_WARNING_SHARE * income
    return make_insight(
        "category_growth",
        Severity.WARNING if heavy else Severity.INFO,
        f"{category} spending up {money(rise)} a month",
        message,
        metrics,
        effect=rise / total,
        period=period,
    )


def _spike_candidates(months: Months) -> list[tuple[int, np.ndarray]]:
    """(month, baseline months) to test: the last complete month against up to 12 complete
    months before it, and a trailing partial month (spending so far) against the last 12."""
    index = months.complete_index
    out = []
    if len(index) > SPIKE_MIN_BASELINE:
        out.append((int(index[-1]), index[:-1][-SPIKE_BASELINE_MONTHS:]))
    last = len(months.complete) - 1
    if len(index) >= SPIKE_MIN_BASELINE and last > (index[-1] if len(index) else -1):
        out.append((last, index[-SPIKE_BASELINE_MONTHS:]))
    return out


def spending_spikes(context: InsightContext, months: Months) -> list[Insight]:
    """A category whose spending in a month is far above its own usual: the modified z-score
    0.6745 (x - median) / MAD above 3.5 (Iglewicz & Hoaglin 1993, `stats.outlier_limit`), over
    up to 12 earlier complete months (at least 5). Median and MAD ignore the odd past splurge
    that would inflate a mean and standard deviation; the scale (MAD / 0.6745) is floored at a
    tenth of the median, so a fixed bill (MAD 0) that moved by ₹50 is no spike but one paid
    twice is. The excess must
    also be material: at least ₹2,000 and 5% of a usual month's spending. Checks the last
    complete month and the month in progress (spending so far); the 2 largest excesses, one
    per category. A WARNING when the excess is a quarter of a usual month's income, else INFO.
    """
    income = (
        float(np.median(months.earnings[months.complete_index])) if months.complete.any() else 0.0
    )
    best: dict[int, tuple[float, int, np.ndarray]] = {}
    for month, baseline in _spike_candidates(months):
        median, mad = median_and_mad(months.spend[baseline], axis=0)
        limit = outlier_limit(median, mad, min_mad=SPIKE_SCALE_FLOOR * MAD_OF_NORMAL * median)
        excess = months.spend[month] - median
        usual_total = float(np.median(months.spending[baseline]))
        floor = max(SPIKE_MIN_RUPEES, MATERIAL_SHARE * usual_total)
        spiking = (excess >= floor) & (months.spend[month] > limit)
        for c in np.flatnonzero(spiking).tolist():
            if c not in best or excess[c] > best[c][0]:
                best[int(c)] = (float(excess[c]), month, median)
    ranked = sorted(best.items(), key=lambda item: -item[1][0])[:CATEGORIES_SHOWN]
    return [_spike_insight(months, c, month, median[c], income) for c, (_, month, median) in ranked]


def _spike_insight(months: Months, c: int, month: int, usual: float, income: float) -> Insight:
    category, spent = months.categories[c], float(months.spend[month, c])
    partial = not bool(months.complete[month])
    label = month_name(months.start[month])
    ratio = round(spent / usual, 1) if usual > 0 else None
    metrics: dict[str, Metric] = {
        "category": category,
        "month": label,
        "month_spend": rupees(spent),
        "usual_spend": rupees(usual),
        "excess": rupees(spent - usual),
        "ratio": ratio,
        "partial_month": partial,
    }
    when = f"so far in {label}" if partial else f"in {label}"
    if ratio is None:
        usually = "where a usual month has nothing"
    else:
        usually = (
            f"against a usual {money(usual)} a month ({one_decimal(ratio)} times as much): "
            f"{money(spent - usual)} more than usual"
        )
    message = (
        f"You spent {money(spent)} on {category} {when}, {usually}. If it is not a one-off, "
        "make room for it in your budget."
    )
    heavy = income > 0 and spent - usual >= SPIKE_WARNING_SHARE * income
    usual_total = max(float(np.median(months.spending[months.complete])), 1.0)
    return make_insight(
        "spending_spike",
        Severity.WARNING if heavy else Severity.INFO,
        f"{category} spending jumped in {label}",
        message,
        metrics,
        effect=(spent - usual) / usual_total,
        period=(to_date(months.start[month]), month_end(months.start[month])),
    )


def top_merchants(context: InsightContext, months: Months) -> list[Insight]:
    """The 3 merchants paid the most over the last 3 complete months (fewer when fewer are
    complete), with their share of all spending there; needs the context's merchant column."""
    merchants = context.merchants
    index = months.complete_index[-MERCHANT_MONTHS:]
    if merchants is None or len(merchants) != len(context.ledger) or len(index) == 0:
        return []
    rows = np.isin(months.row_month, index) & ~np.asarray(context.ledger.is_income, dtype=bool)
    names = np.array([str(m).strip() for m in np.asarray(merchants, dtype=object)[rows]], object)
    amount = np.asarray(context.ledger.amount, dtype=np.float64)[rows]
    total = float(amount.sum())
    named = names != ""
    if total <= 0 or not named.any():
        return []
    unique, code = np.unique(names[named], return_inverse=True)
    sums = np.bincount(code, weights=amount[named])
    order = np.argsort(-sums, kind="stable")[:MERCHANTS_SHOWN]
    label = month_span(months.start[index[0]], months.start[index[-1]])
    metrics: dict[str, Metric] = {"recent_months": label, "total_spending": rupees(total)}
    parts = []
    for rank, k in enumerate(order, start=1):
        metrics[f"merchant_{rank}"] = str(unique[k])
        metrics[f"amount_{rank}"] = rupees(sums[k])
        parts.append(f"{unique[k]} ({money(sums[k])})")
    share = pct(float(sums[order].sum()) / total)
    metrics["share_pct"] = share
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    message = (
        f"Your biggest payments in {label} went to {listed}: {percent(share)} of your spending."
    )
    return [
        make_insight(
            "top_merchants",
            Severity.INFO,
            f"Where your money went in {label}",
            message,
            metrics,
            effect=0.5 * share / 100,
            period=(to_date(months.start[index[0]]), month_end(months.start[index[-1]])),
        )
    ]
