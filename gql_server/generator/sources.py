"""Who pays a user: their income sources, chosen to fit the trade and the income pattern.

A stable earner is paid by a retainer, an employer or a weekly platform; a volatile one by
invoices and irregular direct work; anyone may add gig work (Swiggy, Uber, ...) on the side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from faker import Faker

from gql_server.generator.merchants import EMPLOYER_SUFFIXES, NAME_FIRST, NAME_SECOND
from gql_server.generator.profiles import GIG_PLATFORMS, OccupationProfile, PatternProfile


@dataclass(frozen=True)
class SourcePlan:
    name: str
    kind: str
    frequency: str
    template: str
    share: float  # of the user's expected monthly income
    category: str
    description: str
    key: str  # recurring key for fixed-date payments, "" otherwise


def _client_name(rng: np.random.Generator, fake: Faker, occupation: OccupationProfile) -> str:
    suffix = occupation.client_suffixes[rng.integers(len(occupation.client_suffixes))]
    if rng.random() < 0.5:
        return f"{fake.last_name()} {suffix}"
    first = NAME_FIRST[rng.integers(len(NAME_FIRST))]
    return f"{first} {NAME_SECOND[rng.integers(len(NAME_SECOND))]} {suffix}"


def _pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    names = list(weights)
    p = np.array([weights[n] for n in names])
    return names[rng.choice(len(names), p=p / p.sum())]


def plan_sources(
    rng: np.random.Generator,
    fake: Faker,
    occupation: OccupationProfile,
    pattern: PatternProfile,
    count: int,
) -> list[SourcePlan]:
    """`count` distinct sources; the first is the main earner."""
    if count == 1:
        shares = [1.0]
    elif count == 2:
        main = rng.uniform(0.55, 0.8)
        shares = [main, 1.0 - main]
    else:
        main = rng.uniform(0.45, 0.65)
        second = (1.0 - main) * rng.uniform(0.5, 0.75)
        shares = [main, second, 1.0 - main - second]
    steady = pattern.name == "stable"  # a stable earner's platforms pay on a fixed rhythm
    plans: list[SourcePlan] = []
    used: set[str] = set()
    for position, share in enumerate(shares):
        weights = pattern.primary if position == 0 else pattern.secondary
        for _ in range(20):  # a different name from the sources already chosen
            template = _pick(rng, weights)
            plan = _make_source(rng, fake, occupation, template, share, regular=steady)
            if plan.name not in used:
                break
        used.add(plan.name)
        plans.append(plan)
    return plans


REGULAR = frozenset({"weekly", "biweekly", "monthly"})
# template: (kind, frequency or "" for the platform's own, category, description)
_TEMPLATES: dict[str, tuple[str, str, str, str]] = {
    "platform": ("platform", "", "Platform payout", "Payout"),
    "gig": ("platform", "weekly", "Platform payout", "Weekly partner payout"),
    "project": ("client", "per_project", "Freelance income", "Invoice payment"),
    "retainer": ("client", "monthly", "Freelance income", "Monthly retainer"),
    "employer": ("employer", "monthly", "Salary", "Salary (part-time contract)"),
    "direct": ("other", "irregular", "Other income", ""),
}


def _make_source(
    rng: np.random.Generator,
    fake: Faker,
    occupation: OccupationProfile,
    template: str,
    share: float,
    *,
    regular: bool,
) -> SourcePlan:
    kind, frequency, category, description = _TEMPLATES[template]
    key = ""
    if template == "platform":
        platforms = occupation.platforms
        if regular:
            platforms = tuple(p for p in platforms if p[1] in REGULAR) or platforms
        name, frequency = platforms[rng.integers(len(platforms))]
    elif template == "gig":
        name = GIG_PLATFORMS[rng.integers(len(GIG_PLATFORMS))]
    elif template in ("project", "retainer"):
        name = _client_name(rng, fake, occupation)
        key = f"retainer:{name}" if template == "retainer" else ""
    elif template == "employer":
        name = f"{fake.last_name()} {EMPLOYER_SUFFIXES[rng.integers(len(EMPLOYER_SUFFIXES))]}"
        key = f"salary:{name}"
    else:
        name = occupation.direct_income
    return SourcePlan(
        name=name,
        kind=kind,
        frequency=frequency,
        template=template,
        share=share,
        category=category,
        description=description,
        key=key,
    )
