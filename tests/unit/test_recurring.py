"""Recurring series on hand-made histories whose rhythms are known."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gql_server.core.known_money.cadence import monthly_fit
from gql_server.core.known_money.detection import (
    MAX_OTHER_SHARE,
    _monthly_possible,
    detect_recurring,
)
from gql_server.core.known_money.items import Cadence, RecurringSeries
from gql_server.core.known_money.outliers import outliers
from gql_server.core.known_money.schedule import occurrences_between, scheduled_net
from gql_server.core.series import Ledger

# (local date, rupees, is income, category, merchant); every row at 10:00 IST
Row = tuple[date, float, bool, str, str]

RENT = "Rent - Mr. Sharma"
RENT_DAYS = [1, 2, 1, 3, 1, 1, 2, 1, 1, 3, 1, 2]  # the 1st-3rd of Jan..Dec 2024


def make_ledger(rows: list[Row], as_of: date) -> tuple[Ledger, np.ndarray]:
    """A ledger in time order and its merchants (the ledger does not carry them)."""
    rows = sorted(rows, key=lambda r: r[0])
    amount = np.array([r[1] for r in rows], dtype=np.float64)
    income = np.array([r[2] for r in rows], dtype=bool)
    ledger = Ledger(
        occurred_at=np.array([f"{r[0]}T04:30:00" for r in rows], dtype="datetime64[s]"),
        amount=amount,
        is_income=income,
        category=np.array([r[3] for r in rows], dtype=object),
        source_id=np.full(len(rows), -1, dtype=np.int64),
        balance_after=np.cumsum(np.where(income, amount, -amount)),
        opening_balance=0.0,
        timezone="Asia/Kolkata",
        as_of=as_of,
    )
    return ledger, np.array([r[4] for r in rows], dtype=object)


def monthly_rows(
    days: list[int], amounts: list[float], category: str, merchant: str, *, year: int = 2024
) -> list[Row]:
    return [
        (date(year, m + 1, d), a, False, category, merchant)
        for m, (d, a) in enumerate(zip(days, amounts, strict=True))
    ]


def rent_rows() -> list[Row]:
    return monthly_rows(RENT_DAYS, [15_000.0] * 12, "Rent", RENT)


def groceries(seed: int, start: date, days: int, per_month: float = 3.0) -> list[Row]:
    """Irregular shopping: random days, log-normal amounts, at one shop."""
    rng = np.random.default_rng(seed)
    count = rng.poisson(per_month * days / 30.4)
    offsets = np.sort(rng.integers(0, days, count))
    amounts = np.round(np.exp(rng.normal(np.log(800.0), 0.6, count)), 2)
    return [
        (start + timedelta(int(o)), float(a), False, "Groceries", "BigBasket")
        for o, a in zip(offsets, amounts, strict=True)
    ]


def detect(rows: list[Row], as_of: date, min_occurrences: int = 3) -> list[RecurringSeries]:
    ledger, merchant = make_ledger(rows, as_of)
    return detect_recurring(ledger, merchant=merchant, min_occurrences=min_occurrences)


# A declared series to schedule; tests change what they need with dataclasses.replace.
MONTHLY = RecurringSeries(
    merchant="X",
    category="Other",
    is_income=False,
    cadence=Cadence.MONTHLY,
    interval_days=None,
    day_of_month=1,
    amount=100.0,
    last_date=date(2024, 12, 1),
    next_date=date(2025, 1, 1),
    occurrences=12,
    confidence=0.9,
    row_indexes=(),
)


def test_rent_paid_on_the_first_to_third_is_one_monthly_series() -> None:
    rows = rent_rows() + groceries(1, date(2024, 1, 1), 366)
    ledger, merchant = make_ledger(rows, date(2024, 12, 31))
    [rent] = detect_recurring(ledger, merchant=merchant)
    assert rent.merchant == RENT
    assert rent.category == "Rent"
    assert not rent.is_income
    assert rent.cadence is Cadence.MONTHLY
    assert rent.interval_days is None
    assert rent.day_of_month == 1
    assert rent.amount == 15_000.0
    assert rent.occurrences == 12
    assert rent.last_date == date(2024, 12, 2)
    assert rent.next_date == date(2025, 1, 1)  # the start of next month's window
    assert rent.confidence >= 0.8
    assert sorted(merchant[list(rent.row_indexes)]) == [RENT] * 12


def test_rent_not_yet_paid_inside_its_window_is_expected_tomorrow() -> None:
    [rent] = detect(rent_rows(), date(2025, 1, 1))
    assert rent.next_date == date(2025, 1, 2)
    # ... once: the next one is February's
    assert occurrences_between(rent, date(2025, 1, 2), date(2025, 2, 28)) == [
        date(2025, 1, 2),
        date(2025, 2, 1),
    ]


def test_an_emi_that_changed_once_is_one_series_at_its_new_amount() -> None:
    amounts = [4_000.0] * 8 + [4_600.0] * 4
    rows = monthly_rows([5] * 12, amounts, "EMI", "HDFC Bank EMI")
    [emi] = detect(rows, date(2024, 12, 20))
    assert emi.amount == 4_600.0
    assert emi.confidence >= 0.8  # still a fixed commitment, not a varying one
    assert emi.occurrences == 12
    assert emi.day_of_month == 5
    assert emi.next_date == date(2025, 1, 5)


def test_a_subscription_that_stopped_four_months_ago_is_not_predicted() -> None:
    rows = monthly_rows([12] * 8, [649.0] * 8, "Subscriptions", "Netflix")  # Jan-Aug
    assert detect(rows, date(2024, 12, 20)) == []
    # the same payments seen in September are a live series
    [netflix] = detect(rows, date(2024, 9, 5))
    assert netflix.next_date == date(2024, 9, 12)


def test_a_recharge_every_28_days_is_every_n_days() -> None:
    first = date(2024, 1, 3)
    rows = [
        (first + timedelta(28 * k), 349.0, False, "Mobile & internet", "Jio Prepaid Recharge")
        for k in range(13)
    ]
    [recharge] = detect(rows + groceries(2, date(2024, 1, 1), 366), date(2024, 12, 31))
    assert recharge.cadence is Cadence.EVERY_N_DAYS
    assert recharge.interval_days == 28
    assert recharge.day_of_month is None
    assert recharge.last_date == first + timedelta(28 * 12)
    assert recharge.next_date == recharge.last_date + timedelta(28)
    assert recharge.amount == 349.0


def test_weekly_platform_payouts_are_weekly_income() -> None:
    rng = np.random.default_rng(3)
    mondays = [date(2024, 7, 1) + timedelta(7 * k) for k in range(26)]
    amounts = np.round(3_000.0 * np.exp(rng.normal(0.0, 0.1, len(mondays))), 2)
    rows = [
        (d, float(a), True, "Platform payout", "Swiggy")
        for d, a in zip(mondays, amounts, strict=True)
    ]
    [payout] = detect(rows, date(2024, 12, 25))
    assert payout.is_income
    assert payout.cadence is Cadence.WEEKLY
    assert payout.interval_days == 7
    assert payout.occurrences == 26
    assert payout.next_date == date(2024, 12, 30)  # the next Monday
    assert 2_500.0 < payout.amount < 3_500.0


@pytest.mark.parametrize("seed", range(5))
def test_irregular_grocery_spending_is_not_a_series(seed: int) -> None:
    rows = groceries(seed, date(2024, 1, 1), 366, per_month=4.0)
    assert detect(rows, date(2024, 12, 31)) == []
    ledger, _ = make_ledger(rows, date(2024, 12, 31))
    assert detect_recurring(ledger) == []  # by category too


def test_a_shop_visited_every_few_days_at_one_price_is_not_a_series() -> None:
    rng = np.random.default_rng(6)
    days = np.unique(rng.integers(0, 366, 100))  # a metro card topped up twice a week
    rows = [
        (date(2024, 1, 1) + timedelta(int(d)), 500.0, False, "Transport", "Metro card")
        for d in days
    ]
    assert detect(rows, date(2024, 12, 31)) == []


def test_three_payments_that_line_up_in_a_quiet_spell_are_chance() -> None:
    rng = np.random.default_rng(7)
    days = np.unique(rng.integers(0, 200, 24))  # a cafe, January to mid-July
    rows = [(date(2024, 1, 1) + timedelta(int(d)), 250.0, False, "Dining", "Cafe") for d in days]
    rows += [(date(2024, m, d), 250.0, False, "Dining", "Cafe") for m, d in ((10, 10), (11, 9))]
    rows += [(date(2024, 12, 11), 250.0, False, "Dining", "Cafe")]
    assert detect(rows, date(2024, 12, 20)) == []


def test_a_retainer_paid_late_now_and_then_is_expected_on_its_usual_day() -> None:
    # Paid on the 16th, now and then some days late. The window that holds every payment
    # starts on the 18th; expected there, the next payment fell after the end of a 30-day
    # forecast made on the 18th, which then missed it entirely.
    paid_on = [16, 16, 21, 16, 17, 16, 16, 20, 16, 16, 16, 16]
    rows: list[Row] = [
        (date(2024, m, d), 60_000.0, True, "Freelance", "Acme Retainer")
        for m, d in enumerate(paid_on, start=1)
    ]
    ledger, merchant = make_ledger(rows + groceries(2, date(2024, 1, 1), 366), date(2024, 12, 18))
    [retainer] = [s for s in detect_recurring(ledger, merchant=merchant) if s.is_income]
    assert retainer.cadence is Cadence.MONTHLY
    assert retainer.day_of_month == 16
    assert retainer.next_date == date(2025, 1, 16)


def test_a_monthly_date_among_as_many_other_payments_is_not_a_series() -> None:
    rows = monthly_rows([15] * 6, [50.0] * 6, "Other", "Cashback", year=2024)
    others = [date(2024, 2, 22), date(2024, 3, 8), date(2024, 5, 26), date(2024, 6, 4)]
    rows += [(d, 50.0, False, "Other", "Cashback") for d in others]
    assert detect(rows, date(2024, 6, 30)) == []
    assert len(detect(rows[:-1], date(2024, 6, 30))) == 1  # one other less: a series


def test_a_new_loan_from_the_lender_of_one_repaid_long_ago_is_found() -> None:
    old = monthly_rows([10] * 6, [6_000.0] * 6, "EMI", "Navi EMI")  # January-June 2024
    new = [(date(2025, m, 3), 8_000.0, False, "EMI", "Navi EMI") for m in (3, 4, 5, 6)]
    [emi] = detect(old + new, date(2025, 6, 20))
    assert emi.amount == 8_000.0
    assert emi.occurrences == 4
    assert emi.day_of_month == 3


def test_a_seasonal_electricity_bill_is_a_series_with_less_confidence_than_rent() -> None:
    season = [0.8, 0.8, 1.0, 1.3, 1.5, 1.35, 1.1, 1.1, 1.1, 1.0, 0.85, 0.8]
    bills = [round(1_200.0 * f, 2) for f in season]
    days = [12, 10, 13, 11, 12, 14, 12, 10, 12, 13, 11, 12]
    rows = monthly_rows(days, bills, "Electricity", "BESCOM Electricity") + rent_rows()
    found = {s.merchant: s for s in detect(rows, date(2024, 12, 31))}
    bill = found["BESCOM Electricity"]
    assert bill.day_of_month == 12
    assert bill.amount == 1_020.0  # the median of the last three
    assert bill.confidence < found[RENT].confidence


def test_a_monthly_date_with_wildly_varying_amounts_is_not_a_series() -> None:
    rng = np.random.default_rng(8)
    amounts = np.round(np.exp(rng.normal(np.log(2_000.0), 0.8, 12)), 2).tolist()
    rows = monthly_rows([10] * 12, amounts, "Shopping", "Amazon.in")
    assert detect(rows, date(2024, 12, 31)) == []


def test_payments_every_other_month_are_not_monthly() -> None:
    rows = [(date(2024, m, 5), 2_000.0, False, "Utilities", "Water board") for m in range(1, 13, 2)]
    assert detect(rows, date(2024, 11, 20)) == []


def test_three_payments_with_a_step_in_the_amount_are_not_a_series() -> None:
    rows = monthly_rows([5, 5, 5], [4_000.0, 4_000.0, 4_600.0], "EMI", "HDFC Bank EMI")
    assert detect(rows, date(2024, 3, 20)) == []
    same = monthly_rows([5, 5, 5], [4_000.0] * 3, "EMI", "HDFC Bank EMI")
    assert len(detect(same, date(2024, 3, 20))) == 1


def test_a_top_up_after_the_last_renewal_does_not_hide_a_recharge() -> None:
    first = date(2024, 1, 3)
    rows = [(first + timedelta(28 * k), 349.0, False, "Mobile", "Jio") for k in range(10)]
    rows += [(first + timedelta(28 * 9 + 5), 49.0, False, "Mobile", "Jio")]  # a data top-up
    [recharge] = detect(rows, first + timedelta(28 * 9 + 10))
    assert recharge.interval_days == 28
    assert recharge.occurrences == 10
    assert recharge.next_date == first + timedelta(28 * 10)


def test_an_outlier_must_be_material() -> None:
    fridays = [date(2024, 1, 5) + timedelta(7 * k) for k in range(52)]
    rows = [(d, 6_000.0, True, "Platform payout", "Swiggy") for d in fridays]
    rows += [
        (d + timedelta(1), 30.0 + k % 5, True, "Refund", "Paytm cashback")
        for k, d in enumerate(fridays)
    ]
    rows += [(date(2024, 9, 1), 900.0, True, "Refund", "Paytm cashback")]  # far above, small
    ledger, merchant = make_ledger(rows, date(2024, 12, 31))
    assert not outliers(ledger).any()
    rows[-1] = (date(2024, 9, 1), 9_000.0, True, "Refund", "Paytm cashback")
    ledger, merchant = make_ledger(rows, date(2024, 12, 31))
    assert merchant[outliers(ledger)].tolist() == ["Paytm cashback"]


def test_a_small_unusual_purchase_is_not_an_outlier() -> None:
    rows = rent_rows() + groceries(9, date(2024, 1, 1), 366)
    rows += [(date(2024, 8, 15), 2_500.0, False, "Groceries", "BigBasket")]  # a party
    ledger, _ = make_ledger(rows, date(2024, 12, 31))
    assert not outliers(ledger).any()


def test_day_31_lands_on_the_last_day_of_short_months() -> None:
    end_of_month = replace(MONTHLY, day_of_month=31, next_date=date(2024, 1, 31))
    assert occurrences_between(end_of_month, date(2024, 1, 15), date(2024, 5, 15)) == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
    ]
    thirtieth = replace(MONTHLY, day_of_month=30, next_date=date(2025, 1, 30))
    assert occurrences_between(thirtieth, date(2025, 1, 1), date(2025, 3, 31)) == [
        date(2025, 1, 30),
        date(2025, 2, 28),
        date(2025, 3, 30),
    ]


def test_a_salary_on_the_last_day_is_detected_on_day_31() -> None:
    last_days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    rows = [
        (date(2024, m + 1, d), 30_000.0, True, "Salary", "Acme Pvt Ltd")
        for m, d in enumerate(last_days)
    ]
    [salary] = detect(rows, date(2025, 1, 10))
    assert salary.day_of_month == 31
    assert salary.next_date == date(2025, 1, 31)
    assert occurrences_between(salary, date(2025, 2, 1), date(2025, 2, 28)) == [date(2025, 2, 28)]


def test_occurrences_start_at_the_next_date_and_step_by_the_interval() -> None:
    weekly = replace(
        MONTHLY,
        cadence=Cadence.WEEKLY,
        interval_days=7,
        day_of_month=None,
        next_date=date(2025, 1, 6),
    )
    assert occurrences_between(weekly, date(2025, 1, 1), date(2025, 1, 20)) == [
        date(2025, 1, 6),
        date(2025, 1, 13),
        date(2025, 1, 20),
    ]
    assert occurrences_between(weekly, date(2025, 1, 14), date(2025, 1, 19)) == []
    assert occurrences_between(weekly, date(2025, 1, 20), date(2025, 1, 1)) == []


def test_scheduled_net_sums_the_right_days_with_the_right_signs() -> None:
    rent = replace(MONTHLY, amount=15_000.0, day_of_month=1, next_date=date(2025, 2, 1))
    retainer = replace(
        MONTHLY, amount=40_000.0, is_income=True, day_of_month=25, next_date=date(2025, 1, 25)
    )
    recharge = replace(
        MONTHLY,
        amount=349.0,
        cadence=Cadence.EVERY_N_DAYS,
        interval_days=28,
        day_of_month=None,
        next_date=date(2025, 1, 25),
    )
    start = date(2025, 1, 1)
    net = scheduled_net([rent, retainer, recharge], start, 60)
    assert net.shape == (60,)
    expected = np.zeros(60)
    expected[(date(2025, 2, 1) - start).days] -= 15_000.0  # not 1 January: next_date is Feb
    expected[(date(2025, 3, 1) - start).days] -= 15_000.0
    expected[(date(2025, 1, 25) - start).days] += 40_000.0 - 349.0
    expected[(date(2025, 2, 25) - start).days] += 40_000.0
    expected[(date(2025, 2, 22) - start).days] -= 349.0
    np.testing.assert_allclose(net, expected)
    assert scheduled_net([], start, 7).tolist() == [0.0] * 7
    assert scheduled_net([rent], start, 0).shape == (0,)


def test_detected_series_feed_the_forecast_from_the_day_after_as_of() -> None:
    found = detect(rent_rows(), date(2024, 12, 31))
    net = scheduled_net(found, date(2025, 1, 1), 60)
    assert np.flatnonzero(net).tolist() == [0, 31, 59]  # 1 January, February, March
    assert net[0] == -15_000.0


def windfall_history() -> list[Row]:
    rows = rent_rows() + groceries(4, date(2024, 1, 1), 366)
    fridays = [date(2024, 1, 5) + timedelta(7 * k) for k in range(52)]
    rows += [
        (d, 6_000.0 + 10.0 * (k % 7), True, "Platform payout", "Swiggy")
        for k, d in enumerate(fridays)
    ]
    rows += [
        (date(2024, 3, 14), 1_200.0, False, "Shopping", "Myntra"),
        (date(2024, 6, 2), 900.0, False, "Shopping", "Ajio"),
        (date(2024, 9, 9), 1_500.0, False, "Shopping", "Amazon.in"),
        (date(2024, 11, 10), 60_000.0, False, "Shopping", "Croma"),  # the laptop
        (date(2024, 7, 20), 80_000.0, True, "Other income", "Prize money"),  # the windfall
        (date(2024, 5, 3), 450.0, True, "Refund", "Paytm cashback"),
    ]
    return rows


def test_outliers_flag_a_one_off_purchase_and_a_windfall_but_not_rent() -> None:
    ledger, merchant = make_ledger(windfall_history(), date(2024, 12, 31))
    found = detect_recurring(ledger, merchant=merchant)
    recurring = np.array([r for s in found for r in s.row_indexes])
    for exclude in (recurring, None):
        flagged = outliers(ledger, exclude=exclude)
        assert flagged.dtype == bool
        assert flagged.shape == (len(ledger),)
        assert sorted(merchant[flagged]) == ["Croma", "Prize money"]
        assert not flagged[merchant == RENT].any()


def test_outliers_accept_a_mask_and_never_flag_excluded_rows() -> None:
    ledger, merchant = make_ledger(windfall_history(), date(2024, 12, 31))
    laptop = merchant == "Croma"
    assert not outliers(ledger, exclude=laptop)[laptop].any()
    assert outliers(ledger, exclude=laptop)[merchant == "Prize money"].all()


def test_a_raised_rent_is_not_an_outlier() -> None:
    amounts = [15_000.0] * 9 + [16_500.0] * 3
    rows = monthly_rows(RENT_DAYS, amounts, "Rent", RENT) + groceries(5, date(2024, 1, 1), 366)
    ledger, _ = make_ledger(rows, date(2024, 12, 31))
    assert not outliers(ledger, exclude=np.zeros(len(ledger), dtype=bool)).any()


def test_detection_is_deterministic() -> None:
    rows = monthly_rows([5] * 12, [4_000.0] * 12, "EMI", "HDFC Bank EMI") + windfall_history()
    first = detect(rows, date(2024, 12, 31))
    assert detect(rows, date(2024, 12, 31)) == first
    # rows of the same day in another order: the same series (their row indexes move)
    shuffled = detect(list(reversed(rows)), date(2024, 12, 31))
    assert [replace(s, row_indexes=()) for s in shuffled] == [
        replace(s, row_indexes=()) for s in first
    ]
    assert [s.merchant for s in first] == [RENT, "Swiggy", "HDFC Bank EMI"]  # by next date
    assert [s.next_date for s in first] == sorted(s.next_date for s in first)


def test_no_history_or_one_row_gives_empty_results() -> None:
    for rows in ([], [(date(2024, 5, 1), 15_000.0, False, "Rent", RENT)]):
        ledger, merchant = make_ledger(rows, date(2024, 12, 31))
        assert detect_recurring(ledger, merchant=merchant) == []
        assert detect_recurring(ledger) == []
        assert outliers(ledger).tolist() == [False] * len(rows)


def test_rows_after_as_of_are_not_seen() -> None:
    [rent] = detect(rent_rows(), date(2024, 6, 30))
    assert rent.occurrences == 6
    assert rent.last_date == date(2024, 6, 1)
    assert max(rent.row_indexes) == 5


def test_without_merchants_series_are_found_by_category() -> None:
    ledger, _ = make_ledger(rent_rows(), date(2024, 12, 31))
    [rent] = detect_recurring(ledger)
    assert rent.merchant == "Rent"
    assert rent.occurrences == 12


def test_a_renamed_payee_at_the_same_rent_is_still_one_series() -> None:
    rows = [(d, a, i, c, RENT if d.month <= 10 else "Sharma R") for d, a, i, c, _ in rent_rows()]
    [rent] = detect(rows, date(2024, 12, 31))  # by category: "Sharma R" alone has two rows
    assert rent.merchant == "Rent"
    assert rent.occurrences == 12


def test_a_new_lender_at_another_emi_does_not_continue_the_old_loan() -> None:
    old = monthly_rows([5] * 9, [5_000.0] * 9, "EMI", "KreditBee EMI")  # January-September
    new = [(date(2024, m, 5), 7_000.0, False, "EMI", "Navi EMI") for m in (11, 12)]
    assert detect(old + new, date(2024, 12, 20)) == []


def test_two_payments_are_not_a_series_and_options_are_checked() -> None:
    rows = rent_rows()[-2:]
    assert detect(rows, date(2024, 12, 31)) == []
    assert len(detect(rows, date(2024, 12, 31), min_occurrences=2)) == 1
    with pytest.raises(ValueError, match="min_occurrences"):
        detect(rows, date(2024, 12, 31), min_occurrences=1)
    with pytest.raises(ValueError, match="parallel"):
        detect_recurring(make_ledger(rows, date(2024, 12, 31))[0], merchant=np.array(["x"]))


@settings(max_examples=60, deadline=None)
@given(
    day=st.integers(1, 31),
    first=st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    span=st.integers(0, 400),
)
def test_monthly_occurrences_fall_once_a_month_on_the_clipped_day(
    day: int, first: date, span: int
) -> None:
    month_start = first.replace(day=1)
    nxt = _clipped(month_start, day)
    if nxt < first:
        nxt = _clipped(_next_month(month_start), day)
    found = occurrences_between(
        replace(MONTHLY, day_of_month=day, next_date=nxt), first, first + timedelta(span)
    )
    assert all(first <= d <= first + timedelta(span) for d in found)
    assert [d.day for d in found] == [_clipped(d.replace(day=1), day).day for d in found]
    months = [(d.year, d.month) for d in found]
    assert len(set(months)) == len(months)
    assert months == sorted(months)
    assert len(found) >= span // 31


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _clipped(month_start: date, day: int) -> date:
    last = (_next_month(month_start) - timedelta(days=1)).day
    return month_start.replace(day=min(day, last))


@settings(max_examples=300, deadline=None)
@given(
    start=st.integers(19_000, 20_000),
    anchor=st.integers(1, 31),
    months=st.integers(0, 24),
    jitter=st.lists(st.integers(-5, 5), min_size=24, max_size=24),
    kept=st.lists(st.booleans(), min_size=24, max_size=24),
    extra=st.lists(st.integers(0, 760), max_size=200),
    min_occurrences=st.integers(2, 6),
)
def test_a_counterparty_ruled_out_before_the_monthly_fit_could_not_have_passed_it(
    start: int,
    anchor: int,
    months: int,
    jitter: list[int],
    kept: list[bool],
    extra: list[int],
    min_occurrences: int,
) -> None:
    """`_monthly_possible` only skips fits that `_candidates` would drop: where it says no,
    the monthly fit, and every later part of its run (a category's run cut at a merchant
    switch), has too few hits or too many other payments."""
    first = np.datetime64("1970-01-01") + np.timedelta64(start, "D")
    month_starts = first.astype("datetime64[M]") + np.arange(months)
    due = [
        min(anchor, int(((m + 1).astype("datetime64[D]") - m.astype("datetime64[D]")).item().days))
        for m in month_starts
    ]
    monthly = [
        int((m.astype("datetime64[D]") - np.datetime64("1970-01-01")).astype(int)) + d - 1 + j
        for m, d, j, keep in zip(month_starts, due, jitter, kept, strict=False)
        if keep
    ]
    events = np.unique(np.array(monthly + [start + e for e in extra], dtype=np.int64))
    if len(events) == 0 or _monthly_possible(events, min_occurrences):
        return
    fit = monthly_fit(events)
    for keep in range(len(fit.hits)):
        hits = fit.hits[keep:]
        others = len(events) - int(hits[0]) - len(hits)
        assert len(hits) < min_occurrences or others > MAX_OTHER_SHARE * len(hits)


def test_a_shop_visited_every_few_days_is_not_fitted_to_a_month() -> None:
    shop = np.arange(19_000, 19_730, 3, dtype=np.int64)
    rent = np.array([19_000 + 30 * k + k % 3 for k in range(24)], dtype=np.int64)
    assert not _monthly_possible(shop, 3)
    assert _monthly_possible(rent, 3)
    assert _monthly_possible(np.unique(np.concatenate([rent, shop[-8:]])), 3)
