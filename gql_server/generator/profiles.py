"""Who the generated people are: cities, occupations and income patterns, as data.

Every number here is a calibration knob. They are set so that a default-mix run lands on the
reference figures of docs/product.md *through behaviour* (what people earn, what rent costs in
their city, how their income moves); nothing downstream rescales the aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PATTERNS: tuple[str, ...] = ("stable", "moderate", "volatile", "seasonal", "growing", "declining")


@dataclass(frozen=True)
class CityProfile:
    name: str
    weight: float  # share of generated users: freelancers cluster in the big metros
    cost_index: float  # everyday prices (groceries, cabs, eating out) relative to Chennai
    rent: int  # monthly rent of the shared flat or small 1BHK a freelancer takes, ₹
    income_factor: float  # local rates: a Mumbai client pays more than a Lucknow one
    electricity: tuple[str, ...]  # the distribution companies that bill households there
    metro: str


def _city(
    name: str,
    weight: float,
    cost: float,
    rent: int,
    income: float,
    electricity: tuple[str, ...],
    metro: str,
) -> CityProfile:
    return CityProfile(name, weight, cost, rent, income, electricity, metro)


CITY_PROFILES: tuple[CityProfile, ...] = (
    _city("Mumbai", 0.14, 1.30, 18_000, 1.12, ("Adani Electricity", "Tata Power"), "Mumbai Metro"),
    _city("Delhi", 0.13, 1.15, 13_000, 1.08, ("BSES Rajdhani", "BSES Yamuna"), "Delhi Metro"),
    _city("Bangalore", 0.15, 1.18, 14_500, 1.12, ("BESCOM",), "Namma Metro"),
    _city("Chennai", 0.09, 1.00, 10_500, 1.00, ("TANGEDCO",), "Chennai Metro"),
    _city("Hyderabad", 0.11, 1.02, 11_000, 1.04, ("TSSPDCL",), "Hyderabad Metro"),
    _city("Pune", 0.11, 1.05, 11_500, 1.04, ("MSEDCL",), "Pune Metro"),
    _city("Kolkata", 0.08, 0.88, 8_000, 0.90, ("CESC",), "Kolkata Metro"),
    _city("Ahmedabad", 0.07, 0.88, 8_500, 0.92, ("Torrent Power",), "Ahmedabad Metro"),
    _city("Jaipur", 0.06, 0.82, 7_000, 0.86, ("JVVNL",), "Jaipur Metro"),
    _city("Lucknow", 0.06, 0.78, 6_500, 0.84, ("UPPCL",), "Lucknow Metro"),
)
CITIES: tuple[str, ...] = tuple(city.name for city in CITY_PROFILES)
CITY_BY_NAME: dict[str, CityProfile] = {city.name: city for city in CITY_PROFILES}


@dataclass(frozen=True)
class OccupationProfile:
    name: str
    monthly_income: int  # typical take-home of a working freelancer in the trade, ₹
    platforms: tuple[tuple[str, str], ...]  # (platform, how it pays out)
    client_suffixes: tuple[str, ...]  # what the trade's clients are called
    direct_income: str  # the trade's off-platform, irregular money
    tools: tuple[str, ...]  # work subscriptions the trade pays for


_TECH = ("Technologies", "Infotech Pvt Ltd", "Software Labs", "Tech Solutions")
_DESIGN = ("Design Studio", "Creative Agency", "Brand Works")
_MEDIA = ("Media", "Digital", "Content Co.", "Communications")
_DIRECT = "Direct clients (UPI)"
OCCUPATION_PROFILES: tuple[OccupationProfile, ...] = (
    OccupationProfile(
        "Freelance Developer", 60_000,
        (("Upwork", "weekly"), ("Toptal", "biweekly"), ("Freelancer.com", "per_project")),
        _TECH, _DIRECT, ("GitHub", "ChatGPT Plus"),
    ),
    OccupationProfile(
        "Content Writer", 28_000,
        (("Upwork", "weekly"), ("Fiverr", "biweekly"), ("Pepper Content", "monthly")),
        _MEDIA, _DIRECT, ("Notion", "ChatGPT Plus"),
    ),
    OccupationProfile(
        "Graphic Designer", 35_000,
        (("Fiverr", "biweekly"), ("99designs", "per_project"), ("Upwork", "weekly")),
        _DESIGN, _DIRECT, ("Adobe Creative Cloud", "Canva Pro"),
    ),
    OccupationProfile(
        "Video Editor", 38_000,
        (("Upwork", "weekly"), ("Fiverr", "biweekly"), ("YouTube AdSense", "monthly")),
        (*_MEDIA, "Films", "Productions"), "Wedding video edits", ("Adobe Creative Cloud",),
    ),
    OccupationProfile(
        "Digital Marketer", 40_000,
        (("Upwork", "weekly"), ("Fiverr", "biweekly")),
        ("Digital", "Marketing LLP", "Growth Labs", "Retail Pvt Ltd"), _DIRECT,
        ("Canva Pro", "Google Workspace"),
    ),
    OccupationProfile(
        "Consultant", 65_000,
        (("Toptal", "biweekly"), ("Upwork", "weekly")),
        ("Consulting LLP", "Advisors", "Industries Ltd", "Ventures"), "Advisory fees",
        ("Google Workspace", "Notion"),
    ),
    OccupationProfile(
        "Tutor", 24_000,
        (("Vedantu", "monthly"), ("Chegg", "monthly"), ("Cuemath", "monthly")),
        ("Coaching Centre", "Academy", "Classes"), "Home tuition fees", ("Google Workspace",),
    ),
    OccupationProfile(
        "Photographer", 36_000,
        (("Shutterstock", "monthly"), ("Fiverr", "biweekly"), ("Adobe Stock", "monthly")),
        ("Weddings", "Events", "Studios", "Realty"), "Event shoots (direct)",
        ("Adobe Creative Cloud",),
    ),
    OccupationProfile(
        "UI/UX Designer", 52_000,
        (("Upwork", "weekly"), ("Toptal", "biweekly"), ("Contra", "per_project")),
        (*_DESIGN, "Technologies"), _DIRECT, ("Figma", "Adobe Creative Cloud"),
    ),
    OccupationProfile(
        "Data Analyst", 50_000,
        (("Upwork", "weekly"), ("Toptal", "biweekly"), ("Fiverr", "biweekly")),
        ("Analytics", "Insights Pvt Ltd", "Retail Pvt Ltd", "Fintech"), _DIRECT,
        ("ChatGPT Plus", "Google Workspace"),
    ),
    OccupationProfile(
        "Social Media Manager", 32_000,
        (("Upwork", "weekly"), ("Fiverr", "biweekly"), ("Instagram", "irregular")),
        (*_MEDIA, "Cafe & Bakery", "Boutique"), "Brand collaborations", ("Canva Pro",),
    ),
    OccupationProfile(
        "Translator", 27_000,
        (("Gengo", "weekly"), ("ProZ", "per_project"), ("Upwork", "weekly")),
        ("Language Services", "Publishers", "Legal LLP"), _DIRECT, ("Google Workspace",),
    ),
    OccupationProfile(
        "Voice Artist", 30_000,
        (("Voices.com", "per_project"), ("Pocket FM", "monthly"), ("Fiverr", "biweekly")),
        ("Studios", "Audio Labs", "Productions", "Films"), "Studio sessions (direct)",
        ("Spotify",),
    ),
    OccupationProfile(
        "Web Developer", 48_000,
        (("Upwork", "weekly"), ("Fiverr", "biweekly"), ("Freelancer.com", "per_project")),
        _TECH, _DIRECT, ("GitHub", "Google Workspace"),
    ),
    OccupationProfile(
        "Mobile App Developer", 68_000,
        (("Upwork", "weekly"), ("Toptal", "biweekly"), ("Freelancer.com", "per_project")),
        _TECH, _DIRECT, ("GitHub", "ChatGPT Plus"),
    ),
)  # fmt: skip
OCCUPATIONS: tuple[str, ...] = tuple(job.name for job in OCCUPATION_PROFILES)
OCCUPATION_BY_NAME: dict[str, OccupationProfile] = {job.name: job for job in OCCUPATION_PROFILES}

# Gig work people take on the side (or as their mainstay), paid out weekly by the app.
GIG_PLATFORMS: tuple[str, ...] = ("Swiggy", "Zomato", "Uber", "Rapido", "Ola")

# How an income source earns: the template decides kind, frequency and payment mechanics.
TEMPLATES: tuple[str, ...] = ("platform", "gig", "project", "retainer", "employer", "direct")


@dataclass(frozen=True)
class PatternProfile:
    name: str
    spend_ratio: float  # planned monthly spending / expected monthly income
    opening_months: tuple[float, float]  # opening balance, in months of planned spending
    cushion_months: float  # the balance a person is content to keep, in months of spending
    surplus_spend: float  # everyday spending added per month of it above the cushion
    payout_noise: float  # sigma of one payment around its share of the month
    source_noise: float  # sigma of one source's month beyond the pattern's common movement
    steady_projects: bool  # invoices every month (True) or Poisson counts with empty months
    primary: dict[str, float]  # template weights for the main source
    secondary: dict[str, float]  # template weights for further sources


_SIDE = {"platform": 0.30, "gig": 0.30, "project": 0.20, "direct": 0.12, "retainer": 0.08}
# Savers (stable, moderate) keep what they do not plan to spend; people on volatile or falling
# income live hand to mouth: what rises above a thin cushion is spent, so their balance hovers
# near zero and dips below it when rent falls due before the money comes in.
PATTERN_PROFILES: dict[str, PatternProfile] = {
    "stable": PatternProfile(
        name="stable",
        spend_ratio=0.46,
        opening_months=(1.5, 3.0),
        cushion_months=3.0,
        surplus_spend=0.0,
        payout_noise=0.06,
        source_noise=0.04,
        steady_projects=True,
        primary={"platform": 0.35, "retainer": 0.30, "employer": 0.20, "gig": 0.15},
        secondary={"platform": 0.35, "gig": 0.40, "retainer": 0.25},
    ),
    "moderate": PatternProfile(
        name="moderate",
        spend_ratio=0.49,
        opening_months=(0.8, 2.0),
        cushion_months=2.0,
        surplus_spend=0.01,
        payout_noise=0.15,
        source_noise=0.15,
        steady_projects=True,
        primary={"platform": 0.40, "project": 0.35, "retainer": 0.15, "gig": 0.10},
        secondary=_SIDE,
    ),
    "volatile": PatternProfile(
        name="volatile",
        spend_ratio=0.78,
        opening_months=(0.2, 0.6),
        cushion_months=0.3,
        surplus_spend=0.8,
        payout_noise=0.30,
        source_noise=0.35,
        steady_projects=False,
        primary={"project": 0.45, "platform": 0.35, "direct": 0.10, "gig": 0.10},
        secondary=_SIDE,
    ),
    "seasonal": PatternProfile(
        name="seasonal",
        spend_ratio=0.62,
        opening_months=(0.3, 1.0),
        cushion_months=0.3,
        surplus_spend=0.03,
        payout_noise=0.15,
        source_noise=0.10,
        steady_projects=False,
        primary={"project": 0.50, "platform": 0.40, "gig": 0.10},
        secondary=_SIDE,
    ),
    "growing": PatternProfile(
        name="growing",
        spend_ratio=0.51,
        opening_months=(0.5, 1.5),
        cushion_months=1.5,
        surplus_spend=0.01,
        payout_noise=0.15,
        source_noise=0.12,
        steady_projects=True,
        primary={"platform": 0.45, "project": 0.40, "retainer": 0.15},
        secondary=_SIDE,
    ),
    "declining": PatternProfile(
        name="declining",
        spend_ratio=0.85,
        opening_months=(0.3, 0.8),
        cushion_months=0.3,
        surplus_spend=0.8,
        payout_noise=0.15,
        source_noise=0.12,
        steady_projects=True,
        primary={"platform": 0.45, "project": 0.40, "retainer": 0.15},
        secondary=_SIDE,
    ),
}

# Festival season (Oct-Nov) and fiscal year-end (Mar) are rich; the monsoon (Jun-Aug) is lean.
SEASON_SHAPE = np.array([0.1, 0.0, 0.35, -0.1, -0.3, -0.65, -0.85, -0.7, 0.05, 0.8, 0.9, 0.4])
SEASON_AMPLITUDE = 0.6
VOLATILE_QUARTER_SPREAD = 0.25
GROWTH = (0.7, 1.3)  # income level at the start and end of the history for "growing"
DECLINE = (1.3, 0.65)


def _around_one(values: np.ndarray) -> np.ndarray:
    """Scale random monthly movements to mean 1: a pattern shapes a person's income around
    what they earn on average; it must not make them richer or poorer by luck of the draw."""
    return values / values.mean()


def monthly_factors(
    pattern: str, rng: np.random.Generator, month_of_year: np.ndarray, tau: np.ndarray
) -> np.ndarray:
    """The pattern's income level for each month of the history (mean 1, or the trend's).

    `tau` runs 0..1 over the months, so growth and decline read the same over any length.
    """
    n = len(tau)
    if pattern == "stable":
        return _around_one(np.exp(rng.normal(0.0, 0.05, n)))
    if pattern == "moderate":
        return _around_one(np.exp(rng.normal(0.0, 0.25, n)))
    if pattern == "volatile":
        # Feast and famine month to month, some months with almost nothing; but work done in
        # a quarter gets paid within it, so quarters vary far less than months.
        level = np.exp(rng.normal(0.0, 0.75, n))
        level = np.where(rng.random(n) < 0.12, 0.08, level)
        quarter = np.arange(n) // 3
        quarter_mean = np.bincount(quarter, weights=level) / np.bincount(quarter)
        quarter_level = np.exp(rng.normal(0.0, VOLATILE_QUARTER_SPREAD, quarter[-1] + 1))
        return _around_one(level / quarter_mean[quarter] * quarter_level[quarter])
    if pattern == "seasonal":
        shape = 1.0 + SEASON_AMPLITUDE * SEASON_SHAPE[month_of_year - 1]
        return shape * _around_one(np.exp(rng.normal(0.0, 0.10, n)))
    if pattern in ("growing", "declining"):
        return trend_level(pattern, tau) * _around_one(np.exp(rng.normal(0.0, 0.12, n)))
    raise ValueError(f"unknown income pattern {pattern!r}; expected one of {PATTERNS}")


def trend_level(pattern: str, tau: np.ndarray) -> np.ndarray:
    """The noise-free level, for contracts (retainers, salaries) renegotiated once a year."""
    if pattern == "growing":
        return GROWTH[0] + (GROWTH[1] - GROWTH[0]) * tau
    if pattern == "declining":
        return DECLINE[0] + (DECLINE[1] - DECLINE[0]) * tau
    return np.ones_like(tau)
