"""Fixed commitments on a known rhythm: rent, EMIs, recharges, bills, subscriptions, insurance.

These are the rows the recurring-item detector and the forecast must find, so each series is
planted deliberately and tagged with a stable recurring key ("rent", "emi:HDFC Bank", ...).
"""

from __future__ import annotations

import numpy as np
from faker import Faker

from gql_server.generator.merchants import (
    BROADBAND,
    GAS,
    HEALTH_INSURERS,
    LENDERS,
    RENT_PAYEE_WEIGHTS,
    RENT_PAYEES,
    STREAMING,
    TELCOS,
    TOOLS,
)
from gql_server.generator.profiles import CityProfile, OccupationProfile
from gql_server.generator.rows import RowBuffer

REFERENCE_INCOME = 44_000.0  # the typical monthly income that the base amounts below assume
RENT_SHARE_CAP = 0.3  # most of their income a renter spends on rent, at Chennai prices
# Air conditioners and coolers: bills peak in April-June and ease in winter.
ELECTRICITY_YEAR = np.array([0.8, 0.8, 1.0, 1.3, 1.5, 1.35, 1.1, 1.1, 1.1, 1.0, 0.85, 0.8])
DAYS_PER_MONTH = 30.44


def _monthly(
    buf: RowBuffer,
    dom: np.ndarray | int,
    paise: np.ndarray | int,
    hour: np.ndarray | float,
    *,
    category: str,
    merchant: str,
    description: str,
    key: str,
    months: np.ndarray | None = None,
) -> None:
    """One row per month (or per listed month) on day-of-month `dom`, short months clipped."""
    win = buf.win
    month = np.arange(win.n_months) if months is None else months

    def per_month(value: np.ndarray | float) -> np.ndarray | float:
        return value[month] if isinstance(value, np.ndarray) else value

    day = win.month_first_day[month] + np.minimum(per_month(dom), win.month_len[month]) - 1
    buf.add(
        day,
        per_month(hour),
        np.full(len(month), per_month(paise), dtype=np.int64),
        income=False,
        category=buf.text(category),
        merchant=buf.text(merchant),
        description=buf.text(description),
        key=buf.text(key),
    )


def add_bills(
    buf: RowBuffer,
    rng: np.random.Generator,
    fake: Faker,
    city: CityProfile,
    occupation: OccupationProfile,
    income: float,
    has_vehicle: bool,
) -> float:
    """Plant the user's fixed commitments; return what they cost in an average month (₹)."""
    win = buf.win
    months = win.n_months
    scale = income / REFERENCE_INCOME
    monthly_cost = 0.0

    has_rent = rng.random() < 0.85  # the rest live with family
    if has_rent:
        rent = city.rent * scale**0.6 * np.exp(rng.normal(0.0, 0.12))
        # In dear cities people accept a heavier rent burden (Mumbai's is notorious).
        cap = RENT_SHARE_CAP * city.cost_index * income
        rent = float(np.clip(rent, 4000.0, max(cap, 4000.0)))
        rent = round(rent / 500.0) * 500.0
        usual = int(rng.choice((1, 2, 3), p=(0.5, 0.3, 0.2)))
        dom = np.where(rng.random(months) < 0.75, usual, rng.integers(1, 4, months))
        payee = RENT_PAYEES[rng.choice(len(RENT_PAYEES), p=RENT_PAYEE_WEIGHTS)]
        title = "Mr." if rng.random() < 0.7 else "Mrs."
        payee = payee.format(landlord=f"{title} {fake.last_name()}")
        hour = rng.normal(10.0, 2.0, months).clip(7.0, 22.0)
        _monthly(
            buf,
            dom,
            int(rent * 100),
            hour,
            category="Rent",
            merchant=payee,
            description="Monthly rent",
            key="rent",
        )
        monthly_cost += rent

    if rng.random() < 0.4:  # a personal, two-wheeler or gadget loan, debited on the 5th
        lender = LENDERS[rng.integers(len(LENDERS))]
        emi = round(income * rng.uniform(0.04, 0.12))
        first, last = 0, months
        if rng.random() < 0.3:  # paid off during the history
            last = int(rng.integers(months // 3, months)) if months > 2 else months
        elif rng.random() < 0.25:  # taken during the history
            first = int(rng.integers(0, max(months * 2 // 3, 1)))
        active = np.arange(first, last)
        _monthly(
            buf,
            5,
            emi * 100,
            rng.normal(7.0, 0.5, months).clip(5.0, 10.0),
            category="EMI",
            merchant=f"{lender} EMI",
            description="Loan EMI auto-debit",
            key=f"emi:{lender}",
            months=active,
        )
        monthly_cost += emi * len(active) / months

    if rng.random() < (0.95 if has_rent else 0.5):
        utility = city.electricity[rng.integers(len(city.electricity))]
        base = rng.uniform(500.0, 1500.0) * city.cost_index**0.5 * scale**0.3
        bill = base * ELECTRICITY_YEAR[win.month_of_year - 1] * np.exp(rng.normal(0, 0.1, months))
        dom = int(rng.integers(8, 21)) + rng.integers(-2, 3, months)
        merchant = utility if "Electricity" in utility else f"{utility} Electricity"
        _monthly(
            buf,
            dom,
            np.rint(bill * 100).astype(np.int64),
            rng.uniform(9.0, 22.0, months),
            category="Electricity",
            merchant=merchant,
            description="Electricity bill",
            key=f"electricity:{utility}",
        )
        monthly_cost += base

    # Prepaid mobile plans renew every 28 days.
    telco_weights = np.array([t[1] for t in TELCOS])
    telco, _, plans = TELCOS[rng.choice(len(TELCOS), p=telco_weights / telco_weights.sum())]
    price = int(rng.choice(plans))
    phase = int(rng.integers(0, 28))
    day = np.flatnonzero((win.day_epoch - phase) % 28 == 0)
    buf.add(
        day,
        rng.uniform(8.0, 23.0, len(day)),
        np.full(len(day), price * 100, dtype=np.int64),
        income=False,
        category=buf.text("Mobile & internet"),
        merchant=buf.text(f"{telco} Prepaid Recharge"),
        description=buf.text("Prepaid recharge (28 days)"),
        key=buf.text(f"recharge:{telco}"),
    )
    monthly_cost += price * DAYS_PER_MONTH / 28

    if rng.random() < 0.5:
        name, prices = BROADBAND[rng.integers(len(BROADBAND))]
        price = int(rng.choice(prices))
        _monthly(
            buf,
            int(rng.integers(1, 29)),
            price * 100,
            rng.uniform(9.0, 22.0, months),
            category="Mobile & internet",
            merchant=name,
            description="Broadband bill",
            key=f"broadband:{name}",
        )
        monthly_cost += price

    subscriptions = [
        STREAMING[i]
        for i in rng.choice(len(STREAMING), rng.choice(4, p=(0.25, 0.35, 0.25, 0.15)), False)
    ]
    subscriptions += [(t, TOOLS[t]) for t in occupation.tools if rng.random() < 0.45]
    for name, prices in dict(subscriptions).items():
        price = int(rng.choice(prices))
        _monthly(
            buf,
            int(rng.integers(1, 29)),
            price * 100,
            (rng.normal(4.0, 1.5, months) % 24),
            category="Subscriptions",
            merchant=name,
            description="Monthly subscription",
            key=f"subscription:{name}",
        )
        monthly_cost += price

    if rng.random() < 0.3:  # an LIC endowment policy, premium every month
        premium = round(rng.uniform(1000.0, 4000.0) * scale**0.5)
        _monthly(
            buf,
            int(rng.integers(10, 29)),
            premium * 100,
            rng.uniform(9.0, 21.0, months),
            category="Insurance",
            merchant="LIC premium",
            description="Policy premium",
            key="insurance:LIC",
        )
        monthly_cost += premium
    if rng.random() < 0.35:  # family health cover, renewed once a year
        insurer = HEALTH_INSURERS[rng.integers(len(HEALTH_INSURERS))]
        premium = round(rng.uniform(9000.0, 22000.0))
        renewal = np.flatnonzero(win.month_of_year == rng.integers(1, 13))
        _monthly(
            buf,
            int(rng.integers(1, 29)),
            premium * 100,
            rng.uniform(9.0, 21.0, months),
            category="Insurance",
            merchant=f"{insurer} health premium",
            description="Health insurance renewal",
            key=f"insurance:{insurer}",
            months=renewal,
        )
        monthly_cost += premium / 12

    if rng.random() < 0.6:  # LPG cylinder refills, every six to eight weeks
        gap = rng.uniform(40.0, 60.0)
        count = int(win.n_days / gap) + 2
        day = (rng.uniform(0, gap) + gap * np.arange(count) + rng.integers(-3, 4, count)).astype(
            np.int64
        )
        refill_prices = 803 + rng.integers(0, 60, count)
        buf.add(
            day,
            rng.uniform(9.0, 19.0, count),
            refill_prices.astype(np.int64) * 100,
            income=False,
            category=buf.text("Utilities"),
            merchant=buf.text(GAS[rng.integers(len(GAS))]),
            description=buf.text("LPG cylinder refill"),
        )
        monthly_cost += 830 * DAYS_PER_MONTH / gap
    return monthly_cost
