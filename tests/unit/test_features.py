"""Features on hand-made ledgers whose answers are known."""

from __future__ import annotations

import math
import re
from datetime import date

import numpy as np
import pytest

from gql_server.core.features import (
    FEATURE_NAMES,
    FEATURES,
    compute_features,
    seasonal_strength,
    trend,
)
from gql_server.core.series import Ledger, daily_series

# (local date, rupees, is income, category, source id); every row at 06:00 IST
Row = tuple[str, float, bool, str, int]


def make_ledger(rows: list[Row], as_of: date, opening: float = 0.0) -> Ledger:
    amount = np.array([r[1] for r in rows], dtype=np.float64)
    income = np.array([r[2] for r in rows], dtype=bool)
    return Ledger(
        occurred_at=np.array([f"{r[0]}T00:30:00" for r in rows], dtype="datetime64[s]"),
        amount=amount,
        is_income=income,
        category=np.array([r[3] for r in rows], dtype=object),
        source_id=np.array([r[4] for r in rows], dtype=np.int64),
        balance_after=opening + np.cumsum(np.where(income, amount, -amount)),
        opening_balance=opening,
        timezone="Asia/Kolkata",
        as_of=as_of,
    )


def features_of(rows: list[Row], as_of: date, opening: float = 0.0, start: date | None = None):
    ledger = make_ledger(rows, as_of, opening)
    return compute_features(ledger, daily_series(ledger, start=start))


def assert_clean(values: dict[str, float | None]) -> None:
    assert list(values) == list(FEATURE_NAMES)
    for name, value in values.items():
        assert value is None or (isinstance(value, float) and math.isfinite(value)), name


def test_the_catalogue_names_and_describes_every_feature() -> None:
    assert 26 <= len(FEATURES) <= 30
    assert len(set(FEATURE_NAMES)) == len(FEATURES)
    for spec in FEATURES:
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", spec.name)
        assert spec.description.endswith(".")
        assert "\n" not in spec.description


FOUR_MONTHS: list[Row] = [
    ("2025-01-05", 10_000.0, True, "Freelance income", 1),
    ("2025-01-06", 6_000.0, False, "Rent", -1),
    ("2025-01-20", 4_000.0, False, "Shopping", -1),
    ("2025-03-05", 15_000.0, True, "Freelance income", 1),
    ("2025-03-09", 5_000.0, True, "Platform payout", 2),
    ("2025-04-10", 10_000.0, True, "Platform payout", 2),
]


def test_monthly_income_statistics() -> None:
    values = features_of(FOUR_MONTHS, date(2025, 4, 30), start=date(2025, 1, 1))
    assert_clean(values)
    monthly = np.array([10_000.0, 0.0, 20_000.0, 10_000.0])
    assert values["median_monthly_income"] == 10_000.0
    assert values["income_cv"] == pytest.approx(monthly.std(ddof=1) / monthly.mean())
    assert values["months_without_income"] == 1.0
    assert values["days_since_last_income"] == 20.0
    assert values["mean_monthly_income"] == pytest.approx(40_000 / (120 / (365.25 / 12)))
    assert values["months_of_history"] == pytest.approx(120 / (365.25 / 12))


def test_source_concentration() -> None:
    values = features_of(FOUR_MONTHS, date(2025, 4, 30), start=date(2025, 1, 1))
    assert values["income_source_count"] == 2.0
    assert values["top_source_share"] == pytest.approx(25_000 / 40_000)
    assert values["source_hhi"] == pytest.approx(0.625**2 + 0.375**2)
    assert values["largest_income_share"] == pytest.approx(15_000 / 40_000)
    assert values["mean_income_transaction"] == 10_000.0


def test_spending_shares_and_rates() -> None:
    values = features_of(FOUR_MONTHS, date(2025, 4, 30), start=date(2025, 1, 1))
    assert values["essential_share"] == pytest.approx(0.6)
    assert values["expense_ratio"] == pytest.approx(10_000 / 40_000)
    assert values["savings_rate"] == pytest.approx(0.75)
    assert values["mean_expense_transaction"] == 5_000.0
    months = 120 / (365.25 / 12)
    assert values["mean_monthly_essential_expenses"] == pytest.approx(6_000 / months)
    assert values["runway_months"] == pytest.approx(30_000 / (6_000 / months))


def test_overdraft_days_and_minimum_balance() -> None:
    rows: list[Row] = [
        ("2025-01-01", 1_000.0, True, "Salary", 1),
        ("2025-01-03", 1_500.0, False, "Rent", -1),  # -500 from the 3rd
        ("2025-01-06", 800.0, True, "Salary", 1),  # +300 from the 6th
    ]
    values = features_of(rows, date(2025, 1, 10))
    assert values["days_in_overdraft"] == 3.0
    assert values["overdraft_share"] == pytest.approx(0.3)
    assert values["min_balance"] == -500.0
    assert values["current_balance"] == 300.0


def _monthly_income_rows(amounts: list[float]) -> list[Row]:
    rows: list[Row] = []
    for i, amount in enumerate(amounts):
        year, month = 2023 + i // 12, i % 12 + 1
        rows.append((f"{year}-{month:02d}-10", amount, True, "Salary", 1))
    return rows


@pytest.mark.parametrize(("step", "sign"), [(1_000.0, 1), (-1_000.0, -1)])
def test_trend_sign(step: float, sign: int) -> None:
    amounts = [20_000.0 + step * i + (300.0 if i % 2 else -300.0) for i in range(8)]
    values = features_of(_monthly_income_rows(amounts), date(2023, 8, 31), start=date(2023, 1, 1))
    assert np.sign(values["income_trend_slope"]) == sign
    assert values["income_trend_slope"] == pytest.approx(step / np.mean(amounts), rel=0.05)
    assert values["income_trend_pvalue"] < 0.001


def test_trend_of_a_flat_series_is_zero_with_p_one() -> None:
    assert trend(np.full(5, 7.0)) == (0.0, 1.0)
    assert trend(np.ones(2)) is None


def test_seasonality_strength_tells_a_yearly_pattern_from_noise() -> None:
    months = np.arange(24)
    rng = np.random.default_rng(0)
    seasonal = 30_000 + 10_000 * np.sin(2 * np.pi * months / 12) + rng.normal(0, 1_000, 24)
    noise = 30_000 + rng.normal(0, 5_000, 24)
    strong, weak = seasonal_strength(seasonal), seasonal_strength(noise)
    assert strong is not None
    assert strong > 0.8
    assert weak is not None
    assert weak < 0.3
    assert seasonal_strength(seasonal[:17]) is None
    assert seasonal_strength(np.full(24, 5.0)) is None


def test_seasonality_needs_eighteen_complete_months() -> None:
    amounts = [30_000 + 10_000 * math.sin(2 * math.pi * i / 12) for i in range(20)]
    rows = _monthly_income_rows(amounts)
    assert features_of(rows, date(2024, 8, 31), start=date(2023, 1, 1))["seasonality_strength"]
    short = features_of(rows[:17], date(2024, 5, 31), start=date(2023, 1, 1))
    assert short["seasonality_strength"] is None


def test_recent_income_change() -> None:
    amounts = [10_000.0] * 3 + [15_000.0] * 3
    values = features_of(_monthly_income_rows(amounts), date(2023, 6, 30), start=date(2023, 1, 1))
    assert values["recent_income_change"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("rows", "as_of"),
    [
        ([], date(2025, 1, 1)),
        ([("2025-01-05", 100.0, False, "Groceries", -1)], date(2025, 1, 20)),
        ([("2025-01-05", 9e9, True, "Other income", -1)], date(2025, 1, 6)),
        (
            [("2025-01-05", 500.0, False, "Rent", -1), ("2025-03-05", 50.0, False, "Rent", -1)],
            date(2025, 5, 31),
        ),
    ],
    ids=["no-history", "one-expense", "one-huge-income", "only-expenses"],
)
def test_thin_histories_give_none_never_nan(rows: list[Row], as_of: date) -> None:
    values = features_of(rows, as_of)
    assert_clean(values)
    if not any(r[2] for r in rows):
        assert values["mean_monthly_income"] in (0.0, None)
        assert values["income_cv"] is None
        assert values["expense_ratio"] is None
        assert values["days_since_last_income"] is None
        assert values["top_source_share"] is None


def test_a_new_user_has_no_cross_month_statistics() -> None:
    values = features_of([("2025-01-05", 100.0, True, "Salary", 1)], date(2025, 1, 20))
    assert values["median_monthly_income"] is None
    assert values["income_cv"] is None
    assert values["income_trend_slope"] is None
    assert values["seasonality_strength"] is None
    assert values["mean_monthly_income"] == pytest.approx(100 / (16 / (365.25 / 12)))
