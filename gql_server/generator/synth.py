"""One synthetic user at a time: a person, their income sources and two years of transactions.

`generate_user` is pure and deterministic in its arguments, so a job can be split over workers
and rerun with the same seed to get the same data. The order of work mirrors life: money comes
in from the sources, the fixed bills go out, and everyday spending adapts to what is left.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from statistics import NormalDist

import numpy as np
from faker import Faker

from gql_server.generator.bills import add_bills
from gql_server.generator.budget import (
    HEADROOM,
    Household,
    add_big_buys,
    add_borrowing,
    plan_months,
)
from gql_server.generator.everyday import add_purchases, draw_purchases
from gql_server.generator.income import add_incidental_income, add_source_income
from gql_server.generator.merchants import BANKS
from gql_server.generator.profiles import (
    CITIES,
    CITY_PROFILES,
    OCCUPATION_PROFILES,
    OCCUPATIONS,
    PATTERN_PROFILES,
    PATTERNS,
    monthly_factors,
)
from gql_server.generator.records import GeneratedSource, GeneratedUser
from gql_server.generator.rows import RowBuffer
from gql_server.generator.sources import plan_sources
from gql_server.generator.stats import REFERENCE, DatasetStats, summarize
from gql_server.generator.window import instant_us, window

__all__ = [
    "CITIES",
    "OCCUPATIONS",
    "PATTERNS",
    "REFERENCE",
    "DatasetStats",
    "GeneratedSource",
    "GeneratedUser",
    "generate_user",
    "summarize",
]

INCOME_SCALE = 0.98  # calibration knob over the whole occupation income table
INCOME_SPREAD = 0.28  # sigma of log income between people of the same trade and city
SOURCE_COUNTS = (0.3, 0.8)  # quantile cut-offs: 30% one source, 50% two, 20% three
EVERYDAY_FLOOR = 5000.0  # ₹ a month of everyday spending nobody goes below (Chennai prices)
# Irrational strides: user i of a job takes quantile (offset + i * stride) mod 1 for its
# occupation, city, number of sources and income level. Any run of consecutive users is then
# spread evenly over each, so a 40-user job already has the intended mix, while the seed's
# offsets keep jobs different. Rationally independent strides keep the four uncorrelated.
_STRIDES = (0.6180339887498949, 0.41421356237309515, 0.7320508075688772, 0.6457513110645907)
_CITY_EDGES = np.cumsum([c.weight for c in CITY_PROFILES]) / sum(c.weight for c in CITY_PROFILES)
_STANDARD_NORMAL = NormalDist()
_local = threading.local()


def _faker() -> Faker:
    """One Faker per thread, reseeded per user: creating one costs milliseconds."""
    fake = getattr(_local, "faker", None)
    if fake is None:
        fake = _local.faker = Faker("en_IN")
    return fake


@lru_cache(maxsize=64)
def _job_offsets(entropy: int) -> tuple[float, ...]:
    job = np.random.SeedSequence(entropy, spawn_key=(0x10B,))  # distinct from every user's
    return tuple(np.random.default_rng(job).random(len(_STRIDES)).tolist())


def _quantiles(entropy: int, index: int) -> list[float]:
    offsets = _job_offsets(entropy)
    return [(o + index * s) % 1.0 for o, s in zip(offsets, _STRIDES, strict=True)]


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum()) or "user"


def generate_user(
    seed: int,
    index: int,
    days: int,
    end: datetime,
    patterns: Sequence[str] = PATTERNS,
) -> GeneratedUser:
    """User `index` of the job `seed`: `days` of history ending (exclusive) at `end`.

    Deterministic in its arguments: numpy draws come from SeedSequence([seed, index]) and the
    names from a Faker seeded from the same sequence. The pattern is patterns[index % len], so
    a job follows the requested mix exactly.
    """
    if not patterns:
        raise ValueError("patterns must not be empty")
    pattern_name = patterns[index % len(patterns)]
    if pattern_name not in PATTERN_PROFILES:
        raise ValueError(f"unknown income pattern {pattern_name!r}; expected one of {PATTERNS}")
    pattern = PATTERN_PROFILES[pattern_name]
    entropy = seed % 2**64
    sequence = np.random.SeedSequence([entropy, index])
    rng = np.random.default_rng(sequence)
    fake = _faker()
    fake.seed_instance(int(sequence.generate_state(1, np.uint64)[0]))
    win = window(instant_us(end), days)

    q_occupation, q_city, q_sources, q_income = _quantiles(entropy, index)
    occupation = OCCUPATION_PROFILES[int(q_occupation * len(OCCUPATION_PROFILES))]
    city = CITY_PROFILES[int(np.searchsorted(_CITY_EDGES, q_city, side="right"))]
    n_sources = 1 + int(q_sources >= SOURCE_COUNTS[0]) + int(q_sources >= SOURCE_COUNTS[1])
    z = _STANDARD_NORMAL.inv_cdf(min(max(q_income, 1e-6), 1 - 1e-6))
    income = (
        INCOME_SCALE
        * occupation.monthly_income
        * city.income_factor
        * float(np.exp(INCOME_SPREAD * z - 0.5 * INCOME_SPREAD**2))
    )

    first, last = fake.first_name(), fake.last_name()
    contacts = [f"{fake.first_name()} {fake.last_name()}" for _ in range(4)]
    bank = BANKS[rng.integers(len(BANKS))]
    has_vehicle = bool(rng.random() < 0.45)
    activity = float(np.exp(rng.normal(0.0, 0.2)))

    buf = RowBuffer(win)
    sources = plan_sources(rng, fake, occupation, pattern, n_sources)
    level = monthly_factors(pattern_name, rng, win.month_of_year, win.tau)
    for position, source in enumerate(sources):
        add_source_income(buf, rng, source, position, income * source.share, level, pattern)

    # Dearer cities take a larger part of the same income.
    planned = pattern.spend_ratio * income * city.cost_index**0.3
    planned *= float(np.exp(rng.normal(0.0, 0.08)))
    opening = round(planned * rng.uniform(*pattern.opening_months), 2)
    add_incidental_income(buf, rng, contacts, bank, savings=opening)
    fixed = add_bills(buf, rng, fake, city, occupation, income, has_vehicle)
    everyday = max(planned - fixed, EVERYDAY_FLOOR * city.cost_index)
    month_income, month_net = buf.monthly_net_rupees()
    purchases = draw_purchases(
        rng, win, everyday, HEADROOM, has_vehicle=has_vehicle, activity=activity
    )
    home = Household(
        expected_income=income,
        planned_spending=planned,
        everyday_budget=everyday,
        opening=opening,
        cushion=planned * pattern.cushion_months,
        surplus_spend=pattern.surplus_spend,
    )
    month_plan = plan_months(rng, month_income, month_net, win.month_days, purchases, home)
    add_purchases(
        buf,
        rng,
        purchases,
        month_plan.keep_below,
        month_plan.price_factor,
        metro=city.metro,
        bank=bank,
        contacts=contacts,
    )
    add_borrowing(buf, rng, month_plan.loans)
    add_big_buys(buf, rng, month_plan.big_buys)
    opening_paise = round(opening * 100)
    columns = buf.finish(opening_paise)
    return GeneratedUser(
        index=index,
        email=f"{_slug(first)}.{_slug(last)}.{seed}-{index}@example.in",
        full_name=f"{first} {last}",
        city=city.name,
        occupation=occupation.name,
        income_pattern=pattern_name,
        opening_balance=(Decimal(opening_paise) / 100).quantize(Decimal("0.01")),
        sources=tuple(
            GeneratedSource(
                name=source.name,
                kind=source.kind,
                frequency=source.frequency,
                expected_monthly_amount=Decimal(f"{income * source.share:.2f}"),
            )
            for source in sources
        ),
        occurred_at=columns.occurred_at,
        amount_paise=columns.amount_paise,
        is_income=columns.is_income,
        category=columns.category,
        merchant=columns.merchant,
        description=columns.description,
        source_index=columns.source_index,
        recurring_key=columns.recurring_key,
        balance_paise=columns.balance_paise,
    )
