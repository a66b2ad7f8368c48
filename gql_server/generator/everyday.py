"""Everyday spending: groceries, food orders, rides, shopping, UPI payments and the rest.

Purchases are drawn for all days and categories at once (a Poisson count per day and category),
so a user costs a handful of array operations, not a loop over transactions. More candidates are
drawn than a normal month needs; the monthly plan (`budget.plan_months`) then keeps, month by
month, as many of them as the person's mood allows, knowing exactly what they add up to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gql_server.generator.merchants import (
    FOOD_BY_HOUR,
    SPEND_CATEGORIES,
    SPEND_INDEX,
    UPI_CONTACT_DESCRIPTIONS,
    UPI_CONTACT_WEIGHT,
    weekday_table,
    year_table,
)
from gql_server.generator.rows import RowBuffer
from gql_server.generator.window import Window

DAYS_PER_MONTH = 30.44
TYPICAL_BUDGET = 11_000.0  # ₹ a month of everyday spending the purchase rates are set for
# A smaller budget means fewer purchases more than cheaper ones: nobody's cab ride costs ₹11.
RATE_ELASTICITY = 0.35

_CATS = SPEND_CATEGORIES
_PER_MONTH = np.array([c.per_month for c in _CATS])
_SHARE = np.array([c.budget_share for c in _CATS])
_SPREAD = np.array([c.spread for c in _CATS])
_HOURS = np.array([c.hours for c in _CATS])
_PAISE = np.array([c.paise for c in _CATS])
_ROUND = np.where(np.array([c.name == "Cash withdrawal" for c in _CATS]), 100.0, 1.0)
_WEEK = weekday_table(_CATS)
_YEAR = year_table(_CATS)
_FLOOR = np.array([c.floor for c in _CATS])
_FUEL = SPEND_INDEX["Fuel"]
_UPI = SPEND_INDEX["UPI transfer"]
_SHOPPING = SPEND_INDEX["Shopping"]
_FOOD = SPEND_INDEX["Food delivery"]


@dataclass(frozen=True)
class Purchases:
    """Candidate purchases. A purchase happens if its `keep` draw is below the month's
    keep level; `cum`/`starts` let the planner total any keep level in O(log n)."""

    day: np.ndarray
    category: np.ndarray
    rupees: np.ndarray  # at a normal month's prices
    keep: np.ndarray  # uniform 0..1
    month: np.ndarray
    keep_sorted: list[float]  # keep draws, ordered by (month, keep)
    cum: list[float]  # running ₹ total in that order, starting at 0
    starts: list[int]  # where each month begins in that order (n_months + 1 entries)


def draw_purchases(
    rng: np.random.Generator,
    win: Window,
    budget: float,
    headroom: float,
    *,
    has_vehicle: bool,
    activity: float,
) -> Purchases:
    """`headroom` times the purchases of a normal month, worth `budget` ₹ a month at 1/headroom
    of them kept."""
    n_cats = len(_CATS)
    scale = (budget / TYPICAL_BUDGET) ** RATE_ELASTICITY
    rate = _PER_MONTH * activity * scale * np.exp(rng.normal(0.0, 0.3, n_cats))
    if not has_vehicle:
        rate[_FUEL] = 0.0
    share = _SHARE * np.exp(rng.normal(0.0, 0.25, n_cats)) * (rate > 0)
    share /= share.sum()
    mean_amount = share * budget / np.maximum(rate, 1e-9)

    lam = (rate * headroom / DAYS_PER_MONTH) * _WEEK[win.weekday]
    lam = lam * _YEAR[win.month_of_year[win.month] - 1] * win.day_weight[:, None]
    counts = rng.poisson(lam)
    day_of, cat_of = np.nonzero(counts)
    repeats = counts[day_of, cat_of]
    day = np.repeat(day_of, repeats)
    category = np.repeat(cat_of, repeats)
    n = len(day)
    sigma = _SPREAD[category]
    rupees = mean_amount[category] * np.exp(sigma * rng.standard_normal(n) - 0.5 * sigma**2)
    rupees = np.maximum(rupees, _FLOOR[category])
    keep = rng.random(n)
    month = win.month[day]
    order = np.lexsort((keep, month))
    return Purchases(
        day=day,
        category=category,
        rupees=rupees,
        keep=keep,
        month=month,
        keep_sorted=keep[order].tolist(),
        cum=np.concatenate(([0.0], np.cumsum(rupees[order]))).tolist(),
        starts=np.searchsorted(month[order], np.arange(win.n_months + 1)).tolist(),
    )


def add_purchases(
    buf: RowBuffer,
    rng: np.random.Generator,
    purchases: Purchases,
    keep_below: np.ndarray,
    price_factor: np.ndarray,
    *,
    metro: str,
    bank: str,
    contacts: list[str],
) -> None:
    """Write the purchases the plan kept, at the month's prices, and the refunds some bring."""
    kept = np.flatnonzero(purchases.keep < keep_below[purchases.month])
    day = purchases.day[kept]
    cat = purchases.category[kept]
    n = len(kept)
    rupees = purchases.rupees[kept] * price_factor[purchases.month[kept]]
    rounding = _ROUND[cat]
    rupees = np.maximum(np.round(rupees / rounding) * rounding, _FLOOR[cat])
    paise = np.where(_PAISE[cat], np.rint(rupees * 100.0), np.rint(rupees) * 100.0)
    paise = paise.astype(np.int64)

    hours = _HOURS[cat]
    first = rng.random(n) < hours[:, 0]
    hour = np.where(first, hours[:, 1], hours[:, 3])
    hour = hour + np.where(first, hours[:, 2], hours[:, 4]) * rng.standard_normal(n)
    hour = 6.0 + np.abs(hour - 6.0)  # nobody buys groceries at 3 a.m.: reflect into 6..24
    hour = np.minimum(24.0 - np.abs(24.0 - hour), 23.999)

    table = _merchant_table(buf, rng, metro, bank, contacts)
    position = np.searchsorted(table.edges, cat + rng.random(n), side="right")
    merchant = table.merchant[position]
    pick = (rng.random(n) * table.description_count[position]).astype(np.int64)
    description = table.descriptions[table.description_start[position] + pick]
    food = np.flatnonzero(cat == _FOOD)
    if len(food):
        meal = np.searchsorted([h for h, _ in FOOD_BY_HOUR], hour[food], side="right")
        description[food] = buf.texts([d for _, d in FOOD_BY_HOUR])[meal]
    buf.add(
        day,
        hour,
        paise,
        income=False,
        category=buf.texts([c.name for c in _CATS])[cat],
        merchant=merchant,
        description=description,
    )

    # Returned orders and cancelled food orders come back a few days later.
    luck = rng.random(n)
    refunded = np.flatnonzero(
        ((cat == _SHOPPING) & (luck < 0.08)) | ((cat == _FOOD) & (luck < 0.02))
    )
    reason = buf.texts(("Refund for returned order", "Refund for cancelled order"))
    buf.add(
        day[refunded] + rng.integers(2, 10, len(refunded)),
        rng.uniform(10.0, 20.0, len(refunded)),
        paise[refunded],
        income=True,
        category=buf.text("Refund"),
        merchant=merchant[refunded],
        description=reason[(cat[refunded] == _FOOD).astype(np.int64)],
    )


@dataclass(frozen=True)
class _MerchantTable:
    merchant: np.ndarray  # text id of each merchant, grouped by category
    edges: np.ndarray  # category c's merchants split [c, c + 1) by the user's preferences
    description_start: np.ndarray  # per merchant: where its descriptions start in ...
    description_count: np.ndarray
    descriptions: np.ndarray  # ... these text ids


def _merchant_table(
    buf: RowBuffer, rng: np.random.Generator, metro: str, bank: str, contacts: list[str]
) -> _MerchantTable:
    """Everything one vectorised draw of merchants and descriptions needs. Everyone has
    favourite apps and shops, so popularity is reweighted per user."""
    names: list[str] = []
    weights: list[float] = []
    owner: list[int] = []
    descriptions: list[str] = []
    start: list[int] = []
    count: list[int] = []
    for index, category in enumerate(_CATS):
        entries = list(category.merchants)
        if index == _UPI:
            upi = [(f"UPI to {p}", UPI_CONTACT_WEIGHT, UPI_CONTACT_DESCRIPTIONS) for p in contacts]
            entries += upi
        for name, weight, own in entries:
            texts = own or category.descriptions or ("",)
            names.append(name.format(metro=metro, bank=bank))
            weights.append(weight)
            owner.append(index)
            start.append(len(descriptions))
            count.append(len(texts))
            descriptions.extend(texts)
    owner_array = np.array(owner)
    taste = np.array(weights) * rng.gamma(1.5, 1.0, len(weights))
    total = np.bincount(owner_array, weights=taste)
    before = np.concatenate(([0.0], np.cumsum(total)[:-1]))
    edges = owner_array + (np.cumsum(taste) - before[owner_array]) / total[owner_array]
    last = np.flatnonzero(np.diff(np.append(owner_array, len(_CATS))) != 0)
    edges[last] = owner_array[last] + 1.0
    return _MerchantTable(
        merchant=buf.texts(names),
        edges=edges,
        description_start=np.array(start),
        description_count=np.array(count),
        descriptions=buf.texts(descriptions),
    )
