"""The monthly money plan: how freely a person spends, given the balance they actually see.

The plan walks the months with the real balance (income and bills already planted, everyday
purchases totalled exactly from the candidates), so what it steers is what the data shows.
People spend a little more after a good month and cut back when overdrawn; those on thin
margins spend what rises above their cushion or make the big purchase they were waiting for,
and deep in the red they take an instant loan and repay it by EMIs. Savers just save.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

import numpy as np

from gql_server.generator.everyday import DAYS_PER_MONTH, Purchases
from gql_server.generator.merchants import BIG_PURCHASES, LOAN_APPS
from gql_server.generator.rows import RowBuffer

INCOME_REACTION = 0.25  # elasticity of everyday spending to last month's income
OVERDRAFT_SQUEEZE = 0.8  # everyday spending cut per month of it overdrawn
SQUEEZE_FLOOR = 0.45  # essentials cannot be cut below this share of normal
MAX_SPLURGE = 2.0  # everyday spending at most triples on money above the cushion
MAX_MOOD = 2.5**INCOME_REACTION * (1.0 + MAX_SPLURGE)
COUNT_SHARE = 0.35  # of a change in spending, how much is more purchases (the rest: dearer)
HEADROOM = MAX_MOOD**COUNT_SHARE  # candidate purchases drawn per purchase of a normal month
BIG_BUY_CHANCE = 0.03  # a month's chance of a large one-off purchase
WINDFALL_BUY = 0.4  # extra chance, times the habit of spending surplus, when money piles up
BORROW_TRIGGER = 0.4  # overdrawn by this many months of planned spending, people borrow
LOAN_MONTHS = 6
LOAN_COST = 0.09  # flat cost of a six-month instant loan


@dataclass(frozen=True)
class Household:
    """The person-level money habits the plan works with (₹ a month unless noted)."""

    expected_income: float
    planned_spending: float  # everything, bills included
    everyday_budget: float  # the part that is not a fixed bill
    opening: float  # ₹
    cushion: float  # ₹ the person is content to keep
    surplus_spend: float  # everyday spending added per month of it above the cushion


@dataclass(frozen=True)
class MonthPlan:
    keep_below: np.ndarray  # per month: candidate purchases with keep < this happen
    price_factor: np.ndarray  # per month: how much dearer than normal they are
    big_buys: list[tuple[int, float]]  # (month, ₹)
    loans: list[tuple[int, float]]  # (month, ₹ borrowed), repaid over LOAN_MONTHS


def plan_months(
    rng: np.random.Generator,
    month_income: np.ndarray,
    month_net: np.ndarray,
    month_days: np.ndarray,
    purchases: Purchases,
    home: Household,
) -> MonthPlan:
    """Decide each month's spending from the balance at its start.

    `month_income` and `month_net` (income minus bills) come from the rows already planted.
    """
    n = len(month_income)
    planned, everyday = home.planned_spending, home.everyday_budget
    expected = (home.expected_income * month_days / DAYS_PER_MONTH).tolist()
    income, net = month_income.tolist(), month_net.tolist()
    chance = rng.random(n).tolist()
    big_price = (home.expected_income * rng.uniform(0.4, 1.3, n)).tolist()
    loan_size = (planned * rng.uniform(1.0, 1.8, n)).tolist()
    keep_sorted, cum, starts = purchases.keep_sorted, purchases.cum, purchases.starts
    repayments = [0.0] * (n + LOAN_MONTHS + 1)
    keep_below, price_factor = [0.0] * n, [1.0] * n
    big_buys: list[tuple[int, float]] = []
    loans: list[tuple[int, float]] = []
    balance, last_ratio, repaying_until = home.opening, 1.0, -1
    for t in range(n):
        if balance < -BORROW_TRIGGER * planned and t > repaying_until:
            amount = round(loan_size[t] / 1000.0) * 1000.0
            loans.append((t, amount))
            balance += amount
            for k in range(t + 1, t + 1 + LOAN_MONTHS):
                repayments[k] += amount * (1.0 + LOAN_COST) / LOAN_MONTHS
            repaying_until = t + LOAN_MONTHS
        if balance < 0:
            mood = max(SQUEEZE_FLOOR, 1.0 + OVERDRAFT_SQUEEZE * balance / everyday)
        elif balance > home.cushion:
            surplus = (balance - home.cushion) / everyday
            mood = 1.0 + min(home.surplus_spend * surplus, MAX_SPLURGE)
        else:
            mood = 1.0
        mood *= min(max(last_ratio, 0.3), 2.5) ** INCOME_REACTION
        keep_below[t] = mood**COUNT_SHARE / HEADROOM
        price_factor[t] = mood ** (1.0 - COUNT_SHARE)
        kept = bisect_left(keep_sorted, keep_below[t], starts[t], starts[t + 1])
        spent = (cum[kept] - cum[starts[t]]) * price_factor[t]
        balance += net[t] - repayments[t] - spent
        buy_chance = BIG_BUY_CHANCE * (2.0 if last_ratio > 1.2 else 1.0)
        if balance - home.cushion > big_price[t]:
            buy_chance += WINDFALL_BUY * home.surplus_spend
        if chance[t] < buy_chance and balance > 0.6 * big_price[t]:
            price = round(big_price[t] / 1000.0) * 1000.0 - 1.0
            big_buys.append((t, price))
            balance -= price
        if expected[t] > 0 and month_days[t] >= 7:
            last_ratio = income[t] / expected[t]
    return MonthPlan(
        keep_below=np.array(keep_below),
        price_factor=np.array(price_factor),
        big_buys=big_buys,
        loans=loans,
    )


def add_borrowing(buf: RowBuffer, rng: np.random.Generator, loans: list[tuple[int, float]]) -> None:
    """Instant-loan disbursals early in the month and their EMIs over the following months."""
    win = buf.win
    for month, amount in loans:
        lender = LOAN_APPS[rng.integers(len(LOAN_APPS))]
        day = int(win.month_first_day[month] + rng.integers(0, 8))
        buf.add(
            np.array([day]),
            rng.uniform(10.0, 18.0),
            np.array([round(amount * 100)]),
            income=True,
            category=buf.text("Other income"),
            merchant=buf.text(f"{lender} loan disbursal"),
            description=buf.text("Instant personal loan"),
        )
        later = np.arange(month + 1, min(month + 1 + LOAN_MONTHS, win.n_months))
        dom = int(win.dom[min(max(day, 0), win.n_days - 1)])
        buf.add(
            win.month_first_day[later] + np.minimum(dom, win.month_len[later]) - 1,
            rng.uniform(6.0, 9.0),
            np.full(len(later), round(amount * (1.0 + LOAN_COST) / LOAN_MONTHS * 100)),
            income=False,
            category=buf.text("EMI"),
            merchant=buf.text(f"{lender} EMI"),
            description=buf.text("Loan EMI auto-debit"),
            key=buf.text(f"emi:{lender}"),
        )


def add_big_buys(
    buf: RowBuffer, rng: np.random.Generator, big_buys: list[tuple[int, float]]
) -> None:
    """Laptops, phones, appliances: one large purchase on a random day of its month."""
    if not big_buys:
        return
    win = buf.win
    month = np.array([m for m, _ in big_buys])
    price = np.array([p for _, p in big_buys])
    pick = rng.integers(len(BIG_PURCHASES), size=len(month))
    buf.add(
        win.month_first_day[month] + (rng.random(len(month)) * win.month_len[month]).astype(int),
        rng.uniform(11.0, 21.0, len(month)),
        np.rint(price * 100).astype(np.int64),
        income=False,
        category=buf.text("Shopping"),
        merchant=buf.texts([BIG_PURCHASES[i][0] for i in pick]),
        description=buf.texts([BIG_PURCHASES[i][1] for i in pick]),
    )
