"""Insight rules on hand-made ledgers whose answers are known, and a few generated users."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.insight_trends import generated_context, history_end
from gql_server.core.features import compute_features
from gql_server.core.forecasting.forecast import ForecastResult, HorizonForecast, forecast
from gql_server.core.insights.income import fitted_slope
from gql_server.core.insights.months import lay_out_months, month_set_label
from gql_server.core.insights.records import (
    SEVERITY_RANK,
    Insight,
    InsightContext,
    Metric,
    Severity,
)
from gql_server.core.insights.rules import RULES, generate_insights
from gql_server.core.money_format import format_inr
from gql_server.core.series import DailySeries, Ledger, daily_series
from gql_server.generator.synth import PATTERNS, generate_user

# (local date, rupees, is income, category, source id, merchant); every row at 06:00 IST
Row = tuple[date, float, bool, str, int, str]
FIRST = date(2023, 1, 1)
LAST_DAY = date(2024, 12, 31)


def month_day(first: date, k: int, day: int) -> date:
    """Day `day` of the k-th month after `first`'s month."""
    index = first.year * 12 + first.month - 1 + k
    return date(index // 12, index % 12 + 1, day)


def ledger_of(rows: list[Row], as_of: date, opening: float = 0.0) -> Ledger:
    rows = sorted(rows, key=lambda row: row[0])
    amount = np.array([r[1] for r in rows], dtype=np.float64)
    income = np.array([r[2] for r in rows], dtype=bool)
    return Ledger(
        occurred_at=np.array([f"{r[0].isoformat()}T00:30:00" for r in rows], "datetime64[s]"),
        amount=amount,
        is_income=income,
        category=np.array([r[3] for r in rows], dtype=object),
        source_id=np.array([r[4] for r in rows], dtype=np.int64),
        balance_after=opening + np.cumsum(np.where(income, amount, -amount)),
        opening_balance=opening,
        timezone="Asia/Kolkata",
        as_of=as_of,
    )


def context_of(
    rows: list[Row], as_of: date, opening: float = 0.0, source_names: dict[int, str] | None = None
) -> InsightContext:
    """The series starts on the 1st of the first row's month, so that month is complete."""
    ledger = ledger_of(rows, as_of, opening)
    first = min((row[0] for row in rows), default=as_of)
    series = daily_series(ledger, start=first.replace(day=1))
    merchants = np.array([r[5] for r in sorted(rows, key=lambda row: row[0])], dtype=object)
    return InsightContext(
        ledger=ledger,
        series=series,
        features=compute_features(ledger, series),
        source_names=source_names or {},
        merchants=merchants,
    )


def earnings(values: Sequence[float], source: int = 1, first: date = FIRST) -> list[Row]:
    return [
        (month_day(first, k, 5), v, True, "Freelance income", source, "Client")
        for k, v in enumerate(values)
        if v > 0
    ]


def spending(
    values: Sequence[float], category: str, day: int = 10, merchant: str = "", first: date = FIRST
) -> list[Row]:
    return [
        (month_day(first, k, day), v, False, category, -1, merchant or category)
        for k, v in enumerate(values)
        if v > 0
    ]


def rent(months: int, amount: float = 15_000.0, first: date = FIRST) -> list[Row]:
    return spending([amount] * months, "Rent", day=2, merchant="Landlord", first=first)


def of_kind(insights: list[Insight], kind: str) -> list[Insight]:
    return [insight for insight in insights if insight.kind == kind]


def only(insights: list[Insight], kind: str) -> Insight:
    found = of_kind(insights, kind)
    assert len(found) == 1, [i.title for i in insights]
    return found[0]


# The generic property: every number shown is a metric, written the way the module writes it.
NUMBER = re.compile(r"-?₹\d+(?:,\d+)*(?:\.\d+)?|\d+(?:,\d+)*(?:\.\d+)?%?")


def renderings(value: Metric) -> set[str]:
    if value is None or isinstance(value, str | bool):
        return set()
    number = float(value)
    forms = {
        format_inr(number),
        format_inr(abs(number)),
        f"{abs(number):.0f}%",
        f"{number:.1f}",
        f"{abs(number):.1f}",
    }
    if number.is_integer():
        forms.add(str(int(abs(number))))
    return forms


def assert_well_formed(insight: Insight) -> None:
    """Numbers in title and message come from the metrics; metrics are plain JSON."""
    json.dumps(insight.metrics, allow_nan=False)
    assert re.fullmatch(r"[a-z]+(_[a-z]+)*", insight.kind)
    assert isinstance(insight.severity, Severity)
    assert insight.title
    assert len(insight.title) <= 200
    assert len(insight.message) <= 1000
    text = f"{insight.title} | {insight.message}"
    for value in insight.metrics.values():
        if isinstance(value, str) and value:
            text = text.replace(value, " ")
    allowed = set().union(*(renderings(value) for value in insight.metrics.values()))
    for token in NUMBER.findall(text):
        assert token in allowed, (token, insight.title, insight.message, insight.metrics)


def insights_strictly(context: InsightContext) -> list[Insight]:
    """generate_insights, after running every rule directly: its safety net (a failing rule
    is logged and skipped) must not hide an error from the tests."""
    months = lay_out_months(context.ledger, context.series)
    for rule in RULES:
        rule(context, months)
    return generate_insights(context)


def assert_ordered(insights: list[Insight]) -> None:
    importances = [insight.importance for insight in insights]
    assert importances == sorted(importances, reverse=True)
    ranks = [SEVERITY_RANK[insight.severity] for insight in insights]
    assert ranks == sorted(ranks, reverse=True)


# ---------------------------------------------------------------- income trend


def wiggle(n: int, size: float) -> np.ndarray:
    """A fixed, trend-free wiggle: +size, -size, +size/2, -size/2, ..."""
    return np.resize(np.array([1.0, -1.0, 0.5, -0.5]), n) * size


def slope_of(values: Sequence[float]) -> tuple[float, float]:
    fit = fitted_slope(np.array(values))
    assert fit is not None
    return fit


def test_a_clear_rise_is_told_year_on_year() -> None:
    values = 40_000 * (1 + 0.03 * np.arange(24)) * (1 + wiggle(24, 0.04))
    insights = generate_insights(context_of(earnings(list(values)) + rent(24), LAST_DAY, 1e5))
    trend = only(insights, "income_trend")
    expected = values[-3:].mean() / values[-15:-12].mean() - 1
    assert trend.severity is Severity.POSITIVE
    assert trend.metrics["change_pct"] == pytest.approx(100 * expected, abs=0.05)
    assert trend.metrics["recent_mean"] == pytest.approx(values[-3:].mean(), abs=0.01)
    assert trend.metrics["previous_mean"] == pytest.approx(values[-15:-12].mean(), abs=0.01)
    assert trend.metrics["months"] == 24
    assert trend.metrics["baseline"] == "same_months_last_year"
    assert trend.metrics["p_value"] is not None
    assert float(trend.metrics["p_value"]) < 0.05
    assert float(trend.metrics["slope_per_month"] or 0) > 0
    assert trend.title == f"Income up {100 * expected:.0f}% on a year ago"
    assert trend.metrics["recent_months"] == "Oct–Dec"
    assert (trend.period_start, trend.period_end) == (date(2023, 10, 1), LAST_DAY)


def declining_rows() -> list[Row]:
    values = 80_000 * (1 - 0.025 * np.arange(24)) * (1 + wiggle(24, 0.03))
    return earnings(list(values)) + rent(24)


def test_a_clear_fall_warns_and_is_critical_when_the_balance_is_thin() -> None:
    rows = declining_rows()
    trend = only(generate_insights(context_of(rows, LAST_DAY, 1e6)), "income_trend")
    assert trend.severity is Severity.WARNING
    assert float(trend.metrics["change_pct"] or 0) <= -30
    assert trend.title.startswith("Income down ")

    balance = float(ledger_of(rows, LAST_DAY).balance_after[-1])
    thin = [*rows, (LAST_DAY, balance - 5_000, False, "UPI transfer", -1, "Savings")]
    context = context_of(thin, LAST_DAY)
    assert (context.features["runway_months"] or 0) < 1
    trend = only(generate_insights(context), "income_trend")
    assert trend.severity is Severity.CRITICAL
    assert trend.metrics["runway_months"] == pytest.approx(
        context.features["runway_months"], abs=0.05
    )


def test_a_short_history_compares_with_the_three_months_before() -> None:
    values = [30_000, 31_000, 32_500, 33_000, 40_000, 41_000, 43_000, 45_000, 46_000]
    trend = only(
        generate_insights(context_of(earnings(values) + rent(9), date(2023, 9, 30), 1e5)),
        "income_trend",
    )
    assert trend.metrics["baseline"] == "previous_3_months"
    assert trend.title == f"Income up {trend.metrics['change_pct']:.0f}% over the last 3 months"
    expected = np.mean(values[-3:]) / np.mean(values[-6:-3]) - 1
    assert trend.metrics["change_pct"] == pytest.approx(100 * expected, abs=0.05)
    assert trend.metrics["months"] == 9


def test_no_trend_when_a_big_change_is_noise() -> None:
    """The last quarter beats a year ago by a lot, but the months around are all over the
    place: the slope is not significant, so nothing is said."""
    values = [52, 18, 75, 40, 22, 68, 30, 81, 25, 45, 20, 70, 35, 60, 15, 72, 28, 50, 33, 66,
              24, 70, 30, 78]  # fmt: skip
    amounts = [1_000.0 * v for v in values]
    change = np.mean(amounts[-3:]) / np.mean(amounts[-15:-12]) - 1
    _slope, pvalue = slope_of(amounts)
    assert change >= 0.15
    assert pvalue >= 0.05
    context = context_of(earnings(amounts) + rent(24), LAST_DAY, 1e5)
    assert of_kind(generate_insights(context), "income_trend") == []


def test_no_trend_when_a_significant_drift_is_tiny() -> None:
    values = 50_000 + 40 * np.arange(24) + wiggle(24, 20)
    slope, pvalue = slope_of(list(values))
    assert pvalue < 0.001
    assert slope > 0
    context = context_of(earnings(list(values)) + rent(24), LAST_DAY, 1e5)
    assert of_kind(generate_insights(context), "income_trend") == []


# ---------------------------------------------------------------- seasonality

SHAPE = {10: 0.5, 11: 0.55, 6: -0.45, 7: -0.5, 8: -0.4}  # Oct-Nov rich, Jun-Aug lean


def seasonal_values(months: int, first: date) -> list[float]:
    values = []
    for k in range(months):
        month = month_day(first, k, 1).month
        values.append(50_000 * (1 + SHAPE.get(month, 0.0)) * (1 + 0.03 * (-1) ** k))
    return values


def test_seasonality_names_the_months_with_two_years() -> None:
    rows = earnings(seasonal_values(36, date(2022, 1, 1)), first=date(2022, 1, 1))
    season = only(generate_insights(context_of(rows, LAST_DAY, 1e5)), "seasonality")
    assert season.metrics["best_months"] == "Oct–Nov"
    assert season.metrics["lean_months"] == "Jun–Aug"
    assert season.metrics["months"] == 36
    assert season.message.startswith("Oct–Nov are your best months")
    assert float(season.metrics["best_pct"] or 0) > 40
    assert float(season.metrics["lean_pct"] or 0) < -40


def test_seasonality_needs_two_full_years() -> None:
    for months, told in ((23, False), (24, True)):
        first = month_day(date(2025, 1, 1), -months, 1)
        rows = earnings(seasonal_values(months, first), first=first)
        found = of_kind(generate_insights(context_of(rows, LAST_DAY, 1e5)), "seasonality")
        assert bool(found) is told, months


def test_month_sets_read_as_runs() -> None:
    assert month_set_label([6, 7, 8]) == "Jun–Aug"
    assert month_set_label([12, 1]) == "Dec–Jan"
    assert month_set_label([3, 10, 11]) == "Mar and Oct–Nov"
    assert month_set_label([5]) == "May"


# ---------------------------------------------------------------- volatility, concentration


def test_concentration_names_the_source() -> None:
    upwork, swiggy = [34_000.0] * 12, [16_000.0] * 12
    first = date(2024, 1, 1)
    rows = earnings(upwork, source=7, first=first) + earnings(swiggy, source=9, first=first)
    context = context_of(rows, LAST_DAY, 1e4, source_names={7: "Upwork", 9: "Swiggy"})
    insight = only(generate_insights(context), "income_concentration")
    assert insight.title == "68% of your income came from Upwork"
    assert insight.message.startswith("Upwork paid 68% of your income over the last 12 months")
    assert "(₹4,08,000 of ₹6,00,000)" in insight.message
    assert insight.severity is Severity.INFO
    assert insight.metrics["source_id"] == 7
    assert insight.metrics["sources"] == 2

    unnamed = replace(context, source_names={})
    insight = only(generate_insights(unnamed), "income_concentration")
    assert insight.title == "68% of your income came from one source"

    alone = context_of(earnings(upwork, source=7, first=first), LAST_DAY, 1e4,
                       source_names={7: "Upwork"})  # fmt: skip
    insight = only(generate_insights(alone), "income_concentration")
    assert insight.severity is Severity.WARNING
    assert insight.title == "All your income came from Upwork"


def test_volatility_bands() -> None:
    swinging = [80_000, 10_000, 60_000, 5_000, 90_000, 20_000] * 2
    steady = [50_000, 50_500, 49_800, 50_200, 50_000, 49_900] * 2
    first = date(2024, 1, 1)
    told = {}
    for name, values in (("swinging", swinging), ("steady", steady)):
        context = context_of(earnings(values, first=first), LAST_DAY, 1e5)
        told[name] = only(generate_insights(context), "income_volatility")
    assert told["swinging"].severity is Severity.WARNING
    cv = np.std(swinging, ddof=1) / np.mean(swinging)
    assert told["swinging"].metrics["income_cv"] == pytest.approx(cv, abs=5e-4)
    assert "ranged from ₹5,000 to ₹90,000" in told["swinging"].message
    assert told["steady"].severity is Severity.POSITIVE


# ---------------------------------------------------------------- spending


def test_a_spike_is_found_against_a_robust_baseline() -> None:
    """An old outlier (₹30,000) inflates the mean and SD so much that the new month looks
    ordinary to them (z < 1); the median and MAD still see it."""
    usual = [3200, 2800, 3100, 30000, 2900, 3000, 3300, 2700, 3000, 2950, 3150, 3000]
    history = np.array(usual, dtype=float)
    latest = 12_000.0
    assert (latest - history.mean()) / history.std(ddof=1) < 1
    first = date(2023, 12, 1)
    rows = earnings([60_000.0] * 13, first=first) + rent(13, first=first)
    rows += spending([*usual, latest], "Shopping", first=first)
    spike = only(generate_insights(context_of(rows, LAST_DAY, 1e5)), "spending_spike")
    assert spike.metrics["category"] == "Shopping"
    assert spike.metrics["usual_spend"] == 3000.0
    assert spike.metrics["month_spend"] == latest
    assert spike.metrics["month"] == "Dec"
    assert (spike.period_start, spike.period_end) == (date(2024, 12, 1), LAST_DAY)
    assert "₹12,000 on Shopping in Dec, against a usual ₹3,000 a month" in spike.message

    calm = [*rows[:-1], (date(2024, 12, 10), 3_600.0, False, "Shopping", -1, "Shopping")]
    assert of_kind(generate_insights(context_of(calm, LAST_DAY, 1e5)), "spending_spike") == []


def test_a_big_month_of_a_category_that_always_swings_is_no_spike() -> None:
    """₹7,500 above the median is material, but this category moves that much all the time
    (MAD ₹3,000): its modified z-score is under 2."""
    swinging = [2000, 9000, 3000, 8000, 1500, 7000, 2500, 9500, 3000, 6000, 2000, 8500, 12_000]
    first = date(2023, 12, 1)
    rows = earnings([60_000.0] * 13, first=first) + rent(13, first=first)
    rows += spending([float(v) for v in swinging], "Shopping", first=first)
    context = context_of(rows, LAST_DAY, 1e5)
    assert of_kind(generate_insights(context), "spending_spike") == []


def test_a_category_that_grew_is_told_with_its_amounts() -> None:
    rows = earnings([60_000.0] * 6, first=date(2024, 7, 1)) + rent(6, first=date(2024, 7, 1))
    rows += spending([4_000.0] * 3 + [7_000.0] * 3, "Groceries", first=date(2024, 7, 1))
    growth = only(generate_insights(context_of(rows, LAST_DAY, 1e5)), "category_growth")
    assert growth.metrics["category"] == "Groceries"
    assert growth.metrics["change_pct"] == 75.0
    assert growth.title == "Groceries spending up ₹3,000 a month"
    assert "₹7,000 a month on Groceries in Oct–Dec, 75% more than the ₹4,000" in growth.message


def test_top_merchants_of_the_last_three_months() -> None:
    first = date(2024, 7, 1)
    rows = earnings([60_000.0] * 6, first=first) + rent(6, 20_000, first=first)
    rows += spending([5_000.0] * 6, "Shopping", merchant="Amazon", first=first)
    rows += spending([1_000.0] * 6, "Food delivery", merchant="Swiggy", day=12, first=first)
    rows += spending([2_000.0] * 6, "Groceries", merchant="BigBasket", day=14, first=first)
    top = only(generate_insights(context_of(rows, LAST_DAY, 1e5)), "top_merchants")
    assert [top.metrics[f"merchant_{k}"] for k in (1, 2, 3)] == ["Landlord", "Amazon", "BigBasket"]
    assert top.metrics["amount_1"] == 60_000.0
    assert "Landlord (₹60,000), Amazon (₹15,000) and BigBasket (₹6,000)" in top.message


# ---------------------------------------------------------------- balance, buffer, forecast


def test_runway_in_indian_rupees() -> None:
    rows: list[Row] = [
        (date(2024, 12, 3), 150_000.0, True, "Freelance income", 1, "Client"),
        (date(2024, 12, 5), 42_046.0, False, "Rent", -1, "Landlord"),
    ]
    runway = only(generate_insights(context_of(rows, LAST_DAY)), "runway")
    assert runway.metrics["balance"] == 107_954.0
    assert "Your balance of ₹1,07,954 covers" in runway.message

    overdrawn = context_of([*rows, (LAST_DAY, 120_000.0, False, "Rent", -1, "Landlord")], LAST_DAY)
    runway = only(generate_insights(overdrawn), "runway")
    assert runway.severity is Severity.CRITICAL
    assert runway.message.startswith("Your balance is -₹12,046 ")


def test_buffer_progress() -> None:
    context = context_of(earnings([60_000.0] * 6, first=date(2024, 7, 1)), LAST_DAY)
    halfway = replace(
        context,
        buffer_balance=Decimal("60000.00"),
        buffer_target=Decimal("120000.00"),
        monthly_paycheck=Decimal("40000"),
    )
    insight = only(generate_insights(halfway), "buffer_progress")
    assert insight.title == "Buffer 50% of the way to its target"
    assert "holds ₹60,000 of its ₹1,20,000 target" in insight.message
    assert "1.5 months of your ₹40,000 paycheck" in insight.message
    done = replace(halfway, buffer_balance=Decimal("130000"))
    assert only(generate_insights(done), "buffer_progress").severity is Severity.POSITIVE
    assert (
        of_kind(generate_insights(replace(halfway, buffer_target=Decimal(0))), "buffer_progress")
        == []
    )


def horizon(days: int, probability: float, lowest: float) -> HorizonForecast:
    return HorizonForecast(
        horizon_days=days,
        expected_inflow=10_000.0,
        expected_outflow=18_000.0,
        expected_net=-8_000.0,
        inflow_low=0.0,
        inflow_high=20_000.0,
        outflow_low=16_000.0,
        outflow_high=20_000.0,
        net_low=-15_000.0,
        net_high=2_000.0,
        projected_min_balance=lowest,
        shortfall_probability=probability,
        balance_quantiles=np.zeros((days, 3)),
    )


def result(*horizons: HorizonForecast) -> ForecastResult:
    return ForecastResult("mean weekly", None, None, True, horizons)


def test_shortfall_from_constructed_horizons() -> None:
    context = context_of(earnings([30_000.0] * 3, first=date(2024, 10, 1)), LAST_DAY)
    warned = replace(context, forecast=result(horizon(7, 0.1, 900), horizon(30, 0.35, -2_000)))
    insight = only(generate_insights(warned), "upcoming_shortfall")
    assert insight.severity is Severity.WARNING
    assert insight.metrics["horizon_days"] == 30
    assert insight.title == "35% chance of running short in 30 days"
    assert "bottom out at -₹2,000" in insight.message
    assert insight.period_start == date(2025, 1, 1)
    assert insight.period_end == date(2025, 1, 30)

    critical = replace(context, forecast=result(horizon(7, 0.1, 900), horizon(30, 0.64, -8_200)))
    insight = only(generate_insights(critical), "upcoming_shortfall")
    assert insight.severity is Severity.CRITICAL
    assert "64% chance your balance drops below zero in the next 30 days" in insight.message
    calm = replace(context, forecast=result(horizon(7, 0.01, 900), horizon(30, 0.1, 100)))
    assert of_kind(generate_insights(calm), "upcoming_shortfall") == []


def test_shortfall_from_a_forecast_that_runs_dry() -> None:
    days = 28
    series = DailySeries(
        start=date(2024, 12, 4),
        inflow=np.zeros(days),
        outflow=np.full(days, 1_000.0),
        closing_balance=31_000.0 - 1_000.0 * np.arange(1, days + 1, dtype=np.float64),
        opening_balance=31_000.0,
    )
    projected = forecast(series, seed=3, paths=200)
    context = context_of([], LAST_DAY)
    context = replace(context, series=series, forecast=projected)
    insight = only(generate_insights(context), "upcoming_shortfall")
    assert insight.severity is Severity.CRITICAL
    assert insight.metrics["horizon_days"] == 7  # the most urgent of the critical horizons
    seven = projected.horizons[0]
    assert insight.metrics["projected_min_balance"] == pytest.approx(seven.projected_min_balance)
    assert format_inr(seven.projected_min_balance) in insight.message


# ---------------------------------------------------------------- edge cases and ordering

ONE_DAY = date(2024, 6, 15)
EDGE_CASES: dict[str, tuple[list[Row], date]] = {
    "no history": ([], ONE_DAY),
    "one month": (
        [
            (date(2024, 6, 3), 40_000.0, True, "Freelance income", 1, "Client"),
            (date(2024, 6, 5), 12_000.0, False, "Rent", -1, "Landlord"),
        ],
        ONE_DAY,
    ),
    "only expenses": (rent(8) + spending([900.0] * 8, "Groceries"), date(2023, 8, 31)),
    "one huge income": (
        [(date(2024, 12, 9), 2_500_000.0, True, "Freelance income", 4, "Client")],
        LAST_DAY,
    ),
    "one huge income long ago": (
        [(date(2023, 3, 9), 2_500_000.0, True, "Freelance income", 4, "Client")],
        LAST_DAY,
    ),
    "all zeros": (
        [(month_day(FIRST, k, 5), 0.0, k % 2 == 0, "Other", -1, "") for k in range(24)],
        LAST_DAY,
    ),
}


@pytest.mark.parametrize("case", list(EDGE_CASES))
def test_edge_cases_give_sensible_insights_or_none(case: str) -> None:
    rows, as_of = EDGE_CASES[case]
    context = context_of(rows, as_of, source_names={4: "Acme"})
    months = lay_out_months(context.ledger, context.series)
    for rule in RULES:  # directly, so generate_insights' safety net cannot hide an error
        for insight in rule(context, months):
            assert_well_formed(insight)
    insights = generate_insights(context)
    assert_ordered(insights)
    kinds = {insight.kind for insight in insights}
    assert not kinds & {"income_trend", "seasonality", "income_volatility"}
    if case in ("no history", "all zeros", "one huge income long ago"):
        assert insights == []
    if case == "one huge income":
        assert "All your income came from Acme" in {i.title for i in insights}


def test_odd_contexts_do_not_raise() -> None:
    context = context_of(declining_rows(), LAST_DAY)
    odd = [
        replace(context, features={}),
        replace(context, features=dict.fromkeys(context.features)),
        replace(context, forecast=result()),
        replace(context, buffer_balance=Decimal(0), buffer_target=Decimal(0)),
        replace(context, merchants=np.array(["x"], dtype=object)),
    ]
    for variant in odd:
        months = lay_out_months(variant.ledger, variant.series)
        for rule in RULES:
            for insight in rule(variant, months):
                assert_well_formed(insight)


def generated(pattern: str, index: int, days: int = 720) -> InsightContext:
    user = generate_user(11, index, days, history_end(LAST_DAY), (pattern,))
    return generated_context(user, LAST_DAY)


def test_insights_come_most_important_first() -> None:
    context = replace(
        generated("declining", 2),
        forecast=result(horizon(7, 0.55, -1_000), horizon(30, 0.9, -20_000)),
        buffer_balance=Decimal("5000"),
        buffer_target=Decimal("90000"),
    )
    insights = generate_insights(context)
    assert_ordered(insights)
    assert insights[0].severity is Severity.CRITICAL
    assert len({i.kind for i in insights}) >= 5
    assert insights == generate_insights(context)  # deterministic


def test_generated_trends_match_the_pattern() -> None:
    def trend_of(pattern: str) -> list[Severity]:
        insights = generate_insights(generated(pattern, 1))
        return [insight.severity for insight in of_kind(insights, "income_trend")]

    assert trend_of("stable") == []
    assert trend_of("growing") == [Severity.POSITIVE]
    assert trend_of("declining") in ([Severity.WARNING], [Severity.CRITICAL])


# ---------------------------------------------------------------- messages match metrics


def hand_made_contexts() -> list[InsightContext]:
    rising = 40_000 * (1 + 0.03 * np.arange(24)) * (1 + wiggle(24, 0.04))
    season = earnings(seasonal_values(36, date(2022, 1, 1)), first=date(2022, 1, 1))
    first = date(2023, 11, 1)
    spiky = earnings([60_000.0] * 14, first=first) + rent(14, first=first)
    spiky += spending([3000] * 13 + [12_000], "Shopping", first=first)
    base = context_of(declining_rows(), LAST_DAY, 2e4, source_names={1: "Studio 99"})
    return [
        context_of(earnings(list(rising)) + rent(24), LAST_DAY, 1e5),
        context_of(season + rent(36, first=date(2022, 1, 1)), LAST_DAY, 1e5),
        context_of(spiky, LAST_DAY, 1e5),
        replace(
            base,
            forecast=result(horizon(7, 0.3, 1_234.5), horizon(30, 0.7, -45_678.9)),
            buffer_balance=Decimal("33333.33"),
            buffer_target=Decimal("100000"),
            monthly_paycheck=Decimal("25000"),
        ),
    ]


def test_every_number_in_a_message_is_a_metric() -> None:
    contexts = hand_made_contexts()
    contexts += [generated(pattern, k) for pattern in PATTERNS for k in range(2)]
    contexts += [
        replace(
            generated("volatile", 5),
            forecast=result(horizon(7, 0.6, -3_000.0), horizon(30, 0.8, -9_500.5)),
            buffer_balance=Decimal("150000"),
            buffer_target=Decimal("120000"),
        )
    ]
    kinds = set()
    for context in contexts:
        for insight in insights_strictly(context):
            assert_well_formed(insight)
            kinds.add(insight.kind)
    expected = {
        "income_trend", "seasonality", "income_volatility", "income_concentration",
        "category_growth", "spending_spike", "top_merchants", "runway", "buffer_progress",
        "upcoming_shortfall",
    }  # fmt: skip
    assert kinds == expected  # every rule was exercised


def test_the_property_check_catches_a_wrong_number() -> None:
    good = generate_insights(context_of(declining_rows(), LAST_DAY, 1e6))[0]
    assert_well_formed(good)
    bad = replace(good, message=good.message + " You could save ₹1,234 more.")
    with pytest.raises(AssertionError):
        assert_well_formed(bad)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    incomes=st.lists(st.floats(0, 300_000, allow_nan=False), min_size=0, max_size=30),
    spends=st.lists(st.floats(0, 80_000, allow_nan=False), min_size=0, max_size=30),
    opening=st.floats(-50_000, 500_000, allow_nan=False),
    day=st.integers(1, 28),
)
def test_random_monthly_ledgers(
    incomes: list[float], spends: list[float], opening: float, day: int
) -> None:
    first = date(2022, 7, 1)
    rows = earnings([round(v, 2) for v in incomes], first=first)
    rows += spending([round(v, 2) for v in spends], "Shopping", first=first)
    rows += rent(len(spends), 9_999.99, first=first)
    as_of = month_day(first, max(len(incomes), len(spends), 1), day) - timedelta(days=1)
    context = context_of(rows, as_of, opening, source_names={1: "Upwork"})
    insights = insights_strictly(context)
    assert_ordered(insights)
    for insight in insights:
        assert_well_formed(insight)
