"""How gig income arrives: the payments each income source makes, and incidental money.

A source has a share of the user's expected monthly income. The pattern's monthly level moves
every source together; each source adds its own noise and pays on its own rhythm: platforms on a
weekday or fortnightly, clients by invoice on irregular days, retainers and salaries on a fixed
date. Small incidental money (cashback, friends settling up, interest) rides on top.
"""

from __future__ import annotations

import numpy as np

from gql_server.generator.merchants import CASHBACK
from gql_server.generator.profiles import PatternProfile, trend_level
from gql_server.generator.rows import RowBuffer
from gql_server.generator.sources import SourcePlan
from gql_server.generator.window import Window

WEEKS_PER_MONTH = 365.25 / 7 / 12
TDS = 0.9  # Indian clients deduct 10% TDS on professional fees before paying
MIN_INVOICE = 4000.0


def _noise(rng: np.random.Generator, sigma: float, n: int) -> np.ndarray:
    """Lognormal factors with mean 1."""
    return np.exp(rng.normal(-0.5 * sigma * sigma, sigma, n))


def _carried_forward(earned: np.ndarray, payments: np.ndarray) -> np.ndarray:
    """What each month pays out when work earned in a month without a payment is paid with
    the next payment (a late invoice), not lost. Earnings after the last payment stay unpaid."""
    paying = np.flatnonzero(payments > 0)
    if len(paying) == 0:
        return np.zeros_like(earned)
    target = np.searchsorted(paying, np.arange(len(earned)))
    inside = target < len(paying)
    return np.bincount(
        paying[target[inside]], weights=earned[inside], minlength=len(earned)
    ).astype(float)


def _weekend_to_monday(win: Window, day: np.ndarray) -> np.ndarray:
    weekday = (win.day_epoch[0] + day + 3) % 7
    return day + np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))


def _days_in_months(
    rng: np.random.Generator, win: Window, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Random days inside each month, `counts[m]` of them; returns (month, day)."""
    month = np.repeat(np.arange(win.n_months), counts)
    offset = (rng.random(len(month)) * win.month_len[month]).astype(np.int64)
    return month, win.month_first_day[month] + offset


def _fixed_date(win: Window, dom: int) -> tuple[np.ndarray, np.ndarray]:
    """The day index of day-of-month `dom` (clipped to short months) in every month."""
    month = np.arange(win.n_months)
    return month, win.month_first_day + np.minimum(dom, win.month_len) - 1


def add_source_income(
    buf: RowBuffer,
    rng: np.random.Generator,
    plan: SourcePlan,
    index: int,
    monthly: float,
    level: np.ndarray,
    pattern: PatternProfile,
) -> None:
    """The payments of one source over the window. `monthly` is its expected ₹ a month and
    `level` the pattern's monthly income level."""
    win = buf.win
    months = win.n_months
    factor = level * _noise(rng, pattern.source_noise, months)
    hour_mean = 14.0
    tds = 1.0
    if plan.frequency in ("weekly", "biweekly"):
        if plan.frequency == "weekly":
            payday = rng.integers(0, 5)
            day = np.flatnonzero(win.weekday == payday)
            per_payment = monthly / WEEKS_PER_MONTH
        else:
            phase = rng.integers(0, 14)
            day = np.flatnonzero((win.day_epoch - phase) % 14 == 0)
            per_payment = monthly / (WEEKS_PER_MONTH / 2)
        month = win.month[day]
        amount = per_payment * factor[month] * _noise(rng, pattern.payout_noise, len(day))
        hour_mean = 10.0
    elif plan.template in ("retainer", "employer"):
        dom = int(rng.choice((1, 5, 7, 10, 25, 28))) if plan.template == "retainer" else 30
        month, day = _fixed_date(win, dom)
        # Contracts are renegotiated once a year, so the amount moves in yearly steps.
        year_tau = (np.arange(months) // 12 * 12 + 6).clip(max=months - 1) / max(months - 1, 1)
        step = trend_level(pattern.name, year_tau)
        if plan.template == "retainer":
            tds = TDS  # the fee is quoted gross in round thousands; `monthly` is what arrives
            amount = np.round(monthly * step / TDS / 1000.0) * 1000.0
        else:
            amount = np.round(monthly * step / 100.0) * 100.0
            day = day - np.where((win.day_epoch[0] + day + 3) % 7 == 6, 2, 0)  # Sunday: Friday
            day = day - np.where((win.day_epoch[0] + day + 3) % 7 == 5, 1, 0)
        hour_mean = 10.0
    elif plan.frequency == "monthly":
        dom = int(rng.integers(5, 16))
        month, day = _fixed_date(win, dom)
        day = day + rng.integers(-1, 3, months)
        amount = monthly * factor * _noise(rng, pattern.payout_noise, months)
        hour_mean = 11.0
    elif plan.frequency == "per_project":
        # A few invoices a month, fewer for a small client: invoices are rarely below ~₹4,000.
        invoices = min(rng.uniform(2.5, 4.5), max(1.0, monthly / MIN_INVOICE))
        if pattern.steady_projects:
            counts = np.maximum(1, np.rint(rng.normal(invoices, 0.7, months))).astype(np.int64)
        else:
            counts = rng.poisson(invoices * np.sqrt(factor))
        earned = _carried_forward(monthly * factor, counts)
        month, day = _days_in_months(rng, win, counts)
        weight = rng.gamma(2.5, 1.0, len(month))
        month_weight = np.bincount(month, weights=weight, minlength=months)
        gross = earned[month] * weight / month_weight[month] / TDS
        amount = np.maximum(np.round(gross / 500.0), 1.0) * 500.0
        day = _weekend_to_monday(win, day)
        tds = TDS
    else:  # irregular
        counts = rng.poisson(1.6, months)
        earned = _carried_forward(monthly * factor, counts)
        month, day = _days_in_months(rng, win, counts)
        weight = rng.gamma(2.0, 1.0, len(month))
        month_weight = np.bincount(month, weights=weight, minlength=months)
        amount = np.round(earned[month] * weight / month_weight[month] / 100.0) * 100.0
        hour_mean = 17.0
    paise = np.maximum(np.rint(amount * tds * 100.0), 100).astype(np.int64)
    hour = np.clip(rng.normal(hour_mean, 2.0, len(day)), 0.0, 23.99)
    buf.add(
        day,
        hour,
        paise,
        income=True,
        category=buf.text(plan.category),
        merchant=buf.text(plan.name),
        description=buf.text(plan.description),
        source=index,
        key=buf.text(plan.key),
    )


def add_incidental_income(
    buf: RowBuffer,
    rng: np.random.Generator,
    contacts: list[str],
    bank: str,
    savings: float,
) -> None:
    """Money that is not earnings: cashback, friends paying back, savings interest."""
    win = buf.win
    months = win.n_months
    _, day = _days_in_months(rng, win, rng.poisson(2.2, months))
    paise = (np.exp(rng.normal(np.log(35.0), 0.8, len(day))) * 100).astype(np.int64) + 100
    buf.add(
        day,
        rng.uniform(8.0, 23.0, len(day)),
        paise,
        income=True,
        category=buf.text("Refund"),
        merchant=buf.texts(CASHBACK)[rng.integers(len(CASHBACK), size=len(day))],
        description=buf.text("Cashback"),
    )
    _, day = _days_in_months(rng, win, rng.poisson(1.0, months))
    rupees = np.round(np.exp(rng.normal(np.log(500.0), 0.8, len(day))) / 10.0) * 10.0 + 10.0
    names = buf.texts([f"UPI from {c}" for c in contacts])
    descriptions = buf.texts(("Split bill", "Paid back", ""))
    buf.add(
        day,
        rng.normal(19.0, 3.0, len(day)).clip(7.0, 23.9),
        (rupees * 100).astype(np.int64),
        income=True,
        category=buf.text("Other income"),
        merchant=names[rng.integers(len(names), size=len(day))],
        description=descriptions[rng.integers(len(descriptions), size=len(day))],
    )
    # Banks credit savings interest at the end of each quarter.
    quarter_end = np.flatnonzero(win.month_of_year % 3 == 0)
    day = win.month_first_day[quarter_end] + win.month_len[quarter_end] - 1
    interest = max(savings, 2000.0) * 0.03 / 4 * _noise(rng, 0.4, len(day))
    buf.add(
        day,
        rng.uniform(2.0, 6.0, len(day)),
        np.maximum(np.rint(interest * 100), 100).astype(np.int64),
        income=True,
        category=buf.text("Interest"),
        merchant=buf.text(f"{bank} Interest"),
        description=buf.text("Savings account interest"),
    )
