"""The bulk generator's pure core: deterministic, internally consistent, shaped like the
reference run, with income patterns that show in their own statistics and recurring series
that really recur. No database: users are generated directly (about 3 ms each)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gql_server.core.categories import EXPENSE_CATEGORIES, INCOME_CATEGORIES, categorize
from gql_server.generator.merchants import LENDERS
from gql_server.generator.profiles import CITY_BY_NAME
from gql_server.generator.stats import IncomeShape, income_shape
from gql_server.generator.synth import (
    CITIES,
    OCCUPATIONS,
    PATTERNS,
    REFERENCE,
    DatasetStats,
    GeneratedSource,
    GeneratedUser,
    generate_user,
    summarize,
)
from gql_server.generator.window import IST_OFFSET_US

END = datetime(2025, 1, 1, tzinfo=UTC)
DAYS = 720
KINDS = {"platform", "client", "employer", "other"}
FREQUENCIES = {"weekly", "biweekly", "monthly", "per_project", "irregular"}
PAYMENTS_PER_MONTH = {"weekly": (4.2, 4.5), "biweekly": (2.1, 2.25), "monthly": (0.95, 1.05)}


@cache
def _user(
    seed: int, index: int, days: int = DAYS, patterns: tuple[str, ...] = PATTERNS
) -> GeneratedUser:
    return generate_user(seed, index, days, END, patterns)


@cache
def _cohort(seed: int = 42, count: int = 100) -> tuple[GeneratedUser, ...]:
    return tuple(_user(seed, i) for i in range(count))


@cache
def _shapes(pattern: str) -> tuple[IncomeShape, ...]:
    return tuple(income_shape(_user(5, i, DAYS, (pattern,))) for i in range(10))


def _median(pattern: str, measure: Callable[[IncomeShape], float]) -> float:
    return float(np.median([measure(shape) for shape in _shapes(pattern)]))


def _local(user: GeneratedUser) -> np.ndarray:
    """Row times as India sees them."""
    return (user.occurred_at.astype(np.int64) + IST_OFFSET_US).astype("datetime64[us]")


def _day_of_month(moments: np.ndarray) -> np.ndarray:
    days = moments.astype("datetime64[D]")
    return (days - days.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1


def _month_number(moments: np.ndarray) -> np.ndarray:
    return moments.astype("datetime64[M]").astype(np.int64)


def _series(users: Iterable[GeneratedUser], prefix: str) -> list[tuple[GeneratedUser, str]]:
    return [
        (user, key)
        for user in users
        for key in sorted(set(user.recurring_key.tolist()))
        if key.startswith(prefix)
    ]


def _assert_same(a: GeneratedUser, b: GeneratedUser) -> None:
    for field in fields(GeneratedUser):
        left, right = getattr(a, field.name), getattr(b, field.name)
        if isinstance(left, np.ndarray):
            assert left.dtype == right.dtype, field.name
            assert np.array_equal(left, right), field.name
        else:
            assert left == right, field.name


def _assert_consistent(user: GeneratedUser, days: int, end: datetime) -> None:
    """What every generated user must satisfy, whatever the arguments."""
    n = user.transaction_count
    columns = {f.name: getattr(user, f.name) for f in fields(GeneratedUser)}
    arrays = {name: value for name, value in columns.items() if isinstance(value, np.ndarray)}
    assert {len(a) for a in arrays.values()} == {n}
    assert user.occurred_at.dtype == np.dtype("datetime64[us]")
    assert user.amount_paise.dtype == np.int64
    assert user.balance_paise.dtype == np.int64
    assert user.is_income.dtype == np.bool_
    assert user.source_index.dtype == np.int8
    for name in ("category", "merchant", "description", "recurring_key"):
        assert arrays[name].dtype == object
        assert all(isinstance(text, str) for text in arrays[name].tolist())

    end_us = np.datetime64(end.astimezone(UTC).replace(tzinfo=None), "us")
    assert np.all(np.diff(user.occurred_at.astype(np.int64)) >= 0)
    assert np.all(user.occurred_at >= end_us - np.timedelta64(days, "D"))
    assert np.all(user.occurred_at < end_us)
    assert np.all(user.amount_paise > 0)
    opening = int(user.opening_balance * 100)
    signed = np.where(user.is_income, user.amount_paise, -user.amount_paise)
    assert np.array_equal(user.balance_paise, opening + np.cumsum(signed))

    income = user.is_income
    assert np.all(user.source_index[~income] == -1)
    assert np.all((user.source_index[income] >= -1) & (user.source_index[income] < 3))
    assert np.all(user.source_index < len(user.sources))
    for k, source in enumerate(user.sources):
        assert set(user.merchant[user.source_index == k].tolist()) <= {source.name}
    assert set(user.category[income].tolist()) <= set(INCOME_CATEGORIES)
    assert set(user.category[~income].tolist()) <= set(EXPENSE_CATEGORIES)
    assert all(user.merchant.tolist())
    assert max((len(text) for text in user.description.tolist()), default=0) <= 40

    assert user.income_pattern in PATTERNS
    assert user.city in CITIES
    assert user.occupation in OCCUPATIONS
    assert user.opening_balance == user.opening_balance.quantize(Decimal("0.01"))
    assert 1 <= len(user.sources) <= 3
    assert len({source.name for source in user.sources}) == len(user.sources)
    for source in user.sources:
        assert source.kind in KINDS
        assert source.frequency in FREQUENCIES
        amount = source.expected_monthly_amount
        assert amount > 0
        assert amount == amount.quantize(Decimal("0.01"))


# --- determinism ---------------------------------------------------------------------------


def test_same_arguments_give_the_same_user() -> None:
    first = generate_user(7, 3, DAYS, END)
    generate_user(8, 11, 90, END, ("volatile",))  # shared Faker and caches must not leak
    second = generate_user(7, 3, DAYS, END)
    _assert_same(first, second)


def test_generation_leaves_global_random_state_alone() -> None:
    np.random.seed(1234)
    random.seed(1234)
    numpy_before, python_before = np.random.get_state(), random.getstate()
    generate_user(7, 3, 60, END)
    numpy_after = np.random.get_state()
    assert all(
        np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b
        for a, b in zip(numpy_before, numpy_after, strict=True)
    )
    assert random.getstate() == python_before


@pytest.mark.parametrize(("seed", "index"), [(8, 3), (7, 4)])
def test_another_seed_or_index_gives_other_data(seed: int, index: int) -> None:
    base, other = _user(7, 3), _user(seed, index)
    assert other.email != base.email
    same_length = other.transaction_count == base.transaction_count
    assert not (same_length and np.array_equal(other.amount_paise, base.amount_paise))
    assert not np.array_equal(other.occurred_at[:50], base.occurred_at[:50])


def test_pattern_follows_the_requested_mix() -> None:
    mix = ("volatile", "growing")
    assert [_user(3, i, 60, mix).income_pattern for i in range(4)] == [*mix, *mix]
    with pytest.raises(ValueError, match="unknown income pattern"):
        generate_user(3, 0, 60, END, ("steady",))
    with pytest.raises(ValueError, match="empty"):
        generate_user(3, 0, 60, END, ())
    with pytest.raises(ValueError, match="days"):
        generate_user(3, 0, 0, END)


# --- invariants ----------------------------------------------------------------------------


@pytest.mark.parametrize("index", range(12))
def test_two_year_history_is_consistent(index: int) -> None:
    user = _user(11, index)
    _assert_consistent(user, DAYS, END)
    for k in range(len(user.sources)):  # over two years every source pays something
        assert np.any(user.source_index == k)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(-(2**63), 2**63 - 1),
    index=st.integers(0, 10**6),
    days=st.integers(1, 800),
    end=st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2035, 1, 1)),
    zone=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), None]),
    patterns=st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=3).map(tuple),
)
def test_any_arguments_give_a_consistent_history(
    seed: int,
    index: int,
    days: int,
    end: datetime,
    zone: timezone | None,
    patterns: tuple[str, ...],
) -> None:
    moment = end.replace(tzinfo=zone)
    user = generate_user(seed, index, days, moment, patterns)
    _assert_consistent(user, days, moment if zone else moment.replace(tzinfo=UTC))


def test_emails_are_unique_lower_case_and_safe() -> None:
    emails = [generate_user(42, i, 30, END).email for i in range(300)]
    assert len(set(emails)) == len(emails)
    safe = re.compile(r"^[a-z0-9]+\.[a-z0-9]+\.42-(\d+)@example\.in$")
    for index, email in enumerate(emails):
        match = safe.match(email)
        assert match, email
        assert int(match.group(1)) == index


# --- calibration ---------------------------------------------------------------------------


def test_dataset_matches_the_reference_run() -> None:
    # This is the full acceptance check itself (100 users × 720 days, default mix, seed 42),
    # not a smaller sample: it costs well under a second, and on 40 users the overdraft share
    # alone wanders ±20% between seeds because only a third of the users carry it.
    stats = summarize(_cohort())
    assert stats.users == 100
    assert stats.sources_per_user == pytest.approx(1.9, abs=0.05)
    for name in (
        "transactions_per_user",
        "income_share",
        "avg_income",
        "avg_expense",
        "income_over_expenses",
        "sources_per_user",
        "negative_balance_share",
    ):
        got, want = float(getattr(stats, name)), float(getattr(REFERENCE, name))
        assert abs(got / want - 1) <= 0.10, f"{name}: {got:.4g} vs reference {want:.4g}"


def test_reference_figures_are_the_product_table() -> None:
    table = DatasetStats(
        users=100,
        transactions=154_600,
        transactions_per_user=1546.0,
        income_share=0.141,
        avg_income=Decimal("4819.00"),
        avg_expense=Decimal("594.00"),
        income_over_expenses=1.33,
        sources_per_user=1.9,
        negative_balance_share=0.10,
    )
    assert table == REFERENCE


def test_summarize_counts_exactly() -> None:
    source = GeneratedSource("Upwork", "platform", "weekly", Decimal("1000.00"))
    amounts = np.array([100_000, 30_000, 90_000, 20_000], dtype=np.int64)
    income = np.array([True, False, False, True])
    text = np.array(["x"] * 4, dtype=object)
    user = GeneratedUser(
        index=0,
        email="a.b.1-0@example.in",
        full_name="A B",
        city="Pune",
        occupation="Tutor",
        income_pattern="stable",
        opening_balance=Decimal("0.00"),
        sources=(source, source),
        occurred_at=np.arange(4).astype("datetime64[us]"),
        amount_paise=amounts,
        is_income=income,
        category=text,
        merchant=text,
        description=text,
        source_index=np.array([0, -1, -1, 1], dtype=np.int8),
        recurring_key=text,
        balance_paise=np.cumsum(np.where(income, amounts, -amounts)),  # 1000, 700, -200, 0
    )
    stats = summarize([user, user])
    assert stats.users == 2
    assert stats.transactions == 8
    assert stats.transactions_per_user == 4.0
    assert stats.income_share == 0.5
    assert stats.avg_income == Decimal("600.00")
    assert stats.avg_expense == Decimal("600.00")
    assert stats.income_over_expenses == 1.0
    assert stats.sources_per_user == 2.0
    assert stats.negative_balance_share == 0.25


def test_overdrafts_concentrate_in_volatile_and_declining_users() -> None:
    def share(patterns: set[str]) -> float:
        users = [u for u in _cohort() if u.income_pattern in patterns]
        negative = sum(int((u.balance_paise < 0).sum()) for u in users)
        return negative / sum(u.transaction_count for u in users)

    assert share({"volatile", "declining"}) > 0.15
    assert share({"stable", "moderate", "growing"}) < 0.02


def test_opening_balance_is_months_of_spending_and_thinner_on_shaky_income() -> None:
    def months_of_spending(user: GeneratedUser) -> float:
        spent = user.amount_paise[~user.is_income].sum() / 100 / (DAYS / 30.44)
        return float(user.opening_balance) / spent

    def median(pattern: str) -> float:
        return float(
            np.median([months_of_spending(u) for u in _cohort() if u.income_pattern == pattern])
        )

    assert all(u.opening_balance > 0 for u in _cohort())
    assert 1.0 < median("stable") < 3.5
    assert median("volatile") < 0.75
    assert median("declining") < 0.75


def test_spending_follows_last_months_income() -> None:
    previous_income, spending = [], []
    for user in _cohort():
        if user.income_pattern not in ("moderate", "volatile", "seasonal"):
            continue
        month = _month_number(_local(user))
        month = month - month.min()
        n = int(month.max()) + 1
        income = np.bincount(month, weights=user.amount_paise * user.is_income, minlength=n)
        everyday = ~user.is_income & (user.recurring_key == "")
        spent = np.bincount(month, weights=user.amount_paise * everyday, minlength=n)
        previous_income += list(income[1:-2] / income[1:-2].mean())  # full months only
        spending += list(spent[2:-1] / spent[2:-1].mean())
    assert np.corrcoef(previous_income, spending)[0, 1] > 0.2


# --- income patterns, each measured on its own monthly income (10 users) --------------------


def test_stable_income_barely_moves() -> None:
    assert max(shape.cv for shape in _shapes("stable")) < 0.25  # every one of them
    assert abs(_median("stable", lambda s: s.trend)) < 0.15


def test_moderate_income_moves_moderately() -> None:
    assert 0.15 < _median("moderate", lambda s: s.cv) < 0.5


def test_volatile_income_swings() -> None:
    assert _median("volatile", lambda s: s.cv) > 0.6


def test_seasonal_income_has_rich_festival_months_and_a_lean_monsoon() -> None:
    assert _median("seasonal", lambda s: s.seasonal_strength) > 0.72
    assert _median("seasonal", lambda s: s.rich_lean_ratio) > 1.8  # Oct-Nov over Jun-Aug
    assert 0.8 < _median("stable", lambda s: s.rich_lean_ratio) < 1.25


def test_growing_income_rises_by_half_or_so_over_two_years() -> None:
    assert 0.4 <= _median("growing", lambda s: s.trend) <= 1.0


def test_declining_income_falls() -> None:
    assert _median("declining", lambda s: s.trend) < -0.2


# --- how money arrives and leaves --------------------------------------------------------


def test_sources_pay_on_their_rhythm_and_about_what_they_promise() -> None:
    promised_vs_paid = []
    for user in _cohort():
        month = _month_number(_local(user))
        full = (month > month.min()) & (month < month.max())
        months = len(np.unique(month[full]))
        for k, source in enumerate(user.sources):
            paid = full & (user.source_index == k)
            if source.frequency in PAYMENTS_PER_MONTH:
                low, high = PAYMENTS_PER_MONTH[source.frequency]
                assert low <= paid.sum() / months <= high, source
            if source.frequency == "weekly":
                weekdays = (user.occurred_at[paid].astype("datetime64[D]").astype(int) + 3) % 7
                assert len(set(weekdays.tolist())) <= 2, source  # one payday (IST vs UTC)
            rupees = user.amount_paise[paid].sum() / 100 / months
            promised_vs_paid.append(rupees / float(source.expected_monthly_amount))
    assert 0.9 < np.median(promised_vs_paid) < 1.1
    assert np.percentile(promised_vs_paid, 10) > 0.7


def test_retainers_and_salaries_arrive_on_a_fixed_date() -> None:
    series = _series(_cohort(), "retainer:") + _series(_cohort(), "salary:")
    assert len(series) >= 5
    for user, key in series:
        rows = user.recurring_key == key
        assert np.all(user.is_income[rows])
        source = user.sources[int(user.source_index[rows][0])]
        assert key.endswith(source.name)
        days = _day_of_month(_local(user)[rows])
        if key.startswith("retainer:"):
            assert len(set(days.tolist()) - {28, 29, 30, 31}) <= 1, key  # short months clip
        assert np.all(np.diff(_month_number(_local(user)[rows])) == 1)


def test_rent_is_paid_on_the_first_three_days_at_one_amount() -> None:
    checked = 0
    for user, key in _series(_cohort(), "rent"):
        rows = user.recurring_key == key
        local = _local(user)[rows]
        assert set(_day_of_month(local).tolist()) <= {1, 2, 3}
        assert len(set(user.amount_paise[rows].tolist())) == 1
        assert np.all(np.diff(_month_number(local)) == 1)  # every month, none twice
        assert set(user.category[rows].tolist()) == {"Rent"}
        checked += 1
    assert checked >= 60


def test_recharges_come_every_28_days() -> None:
    series = _series(_cohort(), "recharge:")
    assert len(series) == 100  # everyone has a prepaid phone
    for user, key in series:
        rows = user.recurring_key == key
        days = _local(user)[rows].astype("datetime64[D]").astype(np.int64)
        assert np.all(np.diff(days) == 28), key
        assert key.split(":")[1] in {"Jio", "Airtel", "Vi"}
        assert len(set(user.amount_paise[rows].tolist())) == 1


def test_bank_emis_are_debited_on_the_fifth() -> None:
    series = [(u, k) for u, k in _series(_cohort(), "emi:") if k[4:] in LENDERS]
    assert len(series) >= 20
    for user, key in series:
        rows = user.recurring_key == key
        assert set(_day_of_month(_local(user)[rows]).tolist()) == {5}
        assert len(set(user.amount_paise[rows].tolist())) == 1


def test_bills_and_subscriptions_come_once_a_month() -> None:
    series = _series(_cohort(), "electricity:") + _series(_cohort(), "subscription:")
    assert len(series) >= 100
    for user, key in series:
        months = _month_number(_local(user)[user.recurring_key == key])
        assert np.all(np.diff(months) == 1), key


def test_merchants_are_real_and_categorised_as_the_ledger_would() -> None:
    merchants = {m for u in _cohort() for m in u.merchant.tolist()}
    for name in ("Zomato", "Swiggy", "BigBasket", "Blinkit", "Zepto", "DMart", "Ola", "Uber"):
        assert name in merchants
    for name in ("Rapido", "Amazon.in", "Flipkart", "Myntra", "Jio Prepaid Recharge"):
        assert name in merchants
    spent = [(u.merchant[~u.is_income], u.category[~u.is_income]) for u in _cohort()[:30]]
    expenses = [(m, c) for names, cats in spent for m, c in zip(names, cats, strict=True)]
    agree = sum(categorize(m, income=False) == c for m, c in expenses)
    assert agree / len(expenses) > 0.99


def test_occupation_sets_earnings_and_city_sets_rent() -> None:
    def earnings(occupation: str) -> float:
        users = [u for u in _cohort() if u.occupation == occupation]
        assert users
        return float(np.mean([sum(s.expected_monthly_amount for s in u.sources) for u in users]))

    assert earnings("Mobile App Developer") > 1.8 * earnings("Tutor")

    renters = [_user(seed, i, 60) for seed in (42, 1, 2) for i in range(100)]  # rent only

    def rent(city: str) -> float:
        paid = [
            u.amount_paise[u.recurring_key == "rent"][0]
            for u in renters
            if u.city == city and np.any(u.recurring_key == "rent")
        ]
        assert len(paid) >= 10
        return float(np.median(paid))

    assert rent("Mumbai") > rent("Bangalore") > rent("Pune") > rent("Lucknow")
    table = [CITY_BY_NAME[c].rent for c in ("Mumbai", "Bangalore", "Pune", "Lucknow")]
    assert table == sorted(table, reverse=True)


def test_times_are_realistic_indian_hours() -> None:
    users = _cohort()[:30]
    hours = np.concatenate([_local(u).astype("datetime64[h]").astype(np.int64) % 24 for u in users])
    everyday = np.concatenate([(u.recurring_key == "") & ~u.is_income for u in users])
    assert np.mean((hours[everyday] >= 1) & (hours[everyday] < 6)) < 0.01
    assert 18 <= np.bincount(hours[everyday], minlength=24).argmax() <= 21  # evening peak
    rent = np.concatenate([u.recurring_key == "rent" for u in users])
    assert np.all((hours[rent] >= 7) & (hours[rent] <= 22))
