"""A second, independent family of synthetic cash-flow histories for the accuracy bench.

Written from scratch for `bench.forecast_accuracy` so the forecasts are also scored on users
that `gql_server.generator` (which the model was tuned against) did not make: it imports
nothing from `gql_server` at all, only numpy. Deterministic in (seed, index); the income
pattern is PATTERNS[index % len(PATTERNS)].

Income patterns (one function each, monthly levels in rupees drawn per person):

* retainer_late: 1-3 monthly retainers (₹20k-70k each), invoiced on a fixed day and paid
  0-20 days late (now and then two months together).
* invoices_net30_45: project invoices (median ₹55k, lognormal) paid on net-30 or net-45 terms
  plus a few days; some projects are billed as two milestones. Lumpy by nature.
* platform_weekly_monsoon: a weekly platform payout (delivery, ride-hailing) on a fixed
  weekday, with a dip of 30-50% from June to September.
* wedding_photographer: shoots concentrated November-February, next to nothing in the
  monsoon; a 30% advance weeks before each shoot and the balance after it.
* tutor_school_year: monthly fees per student (₹1.5k-5k) June-March, a few crash-course
  students in April-May; students change at the start of the school year.
* salary_plus_gigs: a fixed salary on the 1st (raised each April) plus irregular gigs.
* usd_contract: a monthly USD amount (hours vary a little) converted at an INR rate that
  drifts up with noise, less a transfer fee.
* declining: client income shrinking 3-5% a month, paid at irregular days.

Spending: rent on a fixed day (raised every 11 months), 0-2 EMIs over their loan terms,
electricity (dearer in summer), broadband and a 28-day mobile recharge, daily groceries, food
delivery and transport, discretionary spending that follows the last 30 days' income, and
occasional large one-offs (medical, travel, a phone, a family wedding). When the balance
stands well above the person's cushion, part of the excess goes to savings (an outflow), so
balances do not grow without bound; people with a thin cushion run short in lean months.
Amounts are rupees with paise, balances exact to the paisa (computed in paise).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

PATTERNS: tuple[str, ...] = (
    "retainer_late",
    "invoices_net30_45",
    "platform_weekly_monsoon",
    "wedding_photographer",
    "tutor_school_year",
    "salary_plus_gigs",
    "usd_contract",
    "declining",
)
TIMEZONE = "Asia/Kolkata"
IST_OFFSET_S = 19_800  # +05:30
SALT = 0x4B157  # keeps these streams apart from any other use of SeedSequence([seed, index])

CLIENTS = (
    "Pixelcraft Studio", "Nimbus Analytics", "Sahyadri Media", "Kaveri Textiles",
    "BlueLotus Tech", "Indus Ventures", "Ganga Foods", "Orbit Labs", "Monsoon Digital",
    "Deccan Retail", "Vistara Designs", "Saffron Apps",
)  # fmt: skip
PLATFORMS = ("Swiggy", "Zomato", "Uber", "Ola", "Rapido", "Urban Company")
USD_CHANNELS = ("Payoneer", "Wise", "Skydo")
EMPLOYERS = ("Infosys", "Tata Consultancy Services", "Wipro", "HCL Technologies", "Zoho")
PEOPLE = (
    "Ramesh Iyer", "Sunita Sharma", "Anil Kumar", "Priya Nair", "Vikram Rao", "Meena Joshi",
    "Suresh Patel", "Kavita Reddy", "Arjun Menon", "Deepa Gupta", "Rahul Verma", "Lakshmi Pillai",
)  # fmt: skip
LENDERS = ("HDFC Bank", "Bajaj Finserv", "ICICI Bank", "SBI")
GROCERS = ("BigBasket", "Blinkit", "DMart", "Zepto", "Kirana store")
TRANSPORT = ("Uber", "Ola", "Namma Metro", "Rapido", "Indian Oil")
FOOD = ("Swiggy", "Zomato")
DISCRETIONARY = (
    ("Shopping", ("Amazon", "Flipkart", "Myntra")),
    ("Dining out", ("Barbeque Nation", "Cafe Coffee Day", "Haldiram's")),
    ("Entertainment", ("BookMyShow", "PVR Cinemas")),
    ("Personal care", ("Nykaa", "Lakme Salon")),
)
ONE_OFFS = (
    ("Health", "Apollo Hospitals"),
    ("Travel", "IRCTC"),
    ("Travel", "IndiGo"),
    ("Shopping", "Croma"),
    ("UPI transfer", "Family wedding gift"),
    ("Education", "Coursera"),
)


@dataclass(frozen=True)
class SyntheticHistory:
    """One person's rows, ascending by time (ties in generation order)."""

    seed: int
    index: int
    pattern: str
    occurred_at: np.ndarray  # datetime64[s], UTC
    amount: np.ndarray  # float64 rupees with paise, > 0
    is_income: np.ndarray  # bool
    category: np.ndarray  # object (str), from gql_server.core.categories
    merchant: np.ndarray  # object (str)
    balance_after: np.ndarray  # float64 rupees, running balance after each row
    opening_balance: float
    timezone: str = TIMEZONE


@dataclass(frozen=True)
class Calendar:
    """The local days of the history and their calendar fields."""

    days: np.ndarray  # datetime64[D]
    month: np.ndarray  # 1..12
    dom: np.ndarray  # day of month 1..31
    weekday: np.ndarray  # Monday 0
    month_index: np.ndarray  # 0.. from the first month of the history
    month_starts: np.ndarray  # position of the first day of each month (or day 0)

    @property
    def n(self) -> int:
        return len(self.days)

    @property
    def months(self) -> int:
        return len(self.month_starts)

    def at(self, month_index: int, dom: int) -> int | None:
        """Position of day `dom` of a month (the month's last day if it is shorter), None
        outside the history."""
        if not 0 <= month_index < self.months:
            return None
        first = int(self.month_starts[month_index])
        position = first + dom - int(self.dom[first])
        if month_index + 1 < self.months:
            last = int(self.month_starts[month_index + 1]) - 1
            position = min(position, last)
        return position if first <= position < self.n else None


def calendar(start: date, end: date) -> Calendar:
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
    months = days.astype("datetime64[M]")
    month_index = (months - months[0]).astype(np.int64)
    return Calendar(
        days=days,
        month=months.astype(np.int64) % 12 + 1,
        dom=(days - months.astype("datetime64[D]")).astype(np.int64) + 1,
        weekday=(days.astype(np.int64) + 3) % 7,
        month_index=month_index,
        month_starts=np.flatnonzero(np.r_[True, np.diff(month_index) > 0]),
    )


class Rows:
    """Rows under construction: day position, local second of the day, paise, and labels."""

    def __init__(self, cal: Calendar, rng: np.random.Generator) -> None:
        self.cal, self.rng = cal, rng
        self.day: list[np.ndarray] = []
        self.second: list[np.ndarray] = []
        self.paise: list[np.ndarray] = []
        self.income: list[np.ndarray] = []
        self.category: list[np.ndarray] = []
        self.merchant: list[np.ndarray] = []

    def add(
        self,
        day: np.ndarray | list[int],
        rupees: np.ndarray | list[float],
        *,
        income: bool,
        category: str,
        merchant: str | np.ndarray,
        hours: tuple[int, int] = (9, 22),
        whole: bool = False,
    ) -> None:
        day_a = np.asarray(day, dtype=np.int64)
        amount = np.asarray(rupees, dtype=np.float64)
        keep = (day_a >= 0) & (day_a < self.cal.n) & (amount >= 1.0)
        day_a, amount = day_a[keep], amount[keep]
        if not len(day_a):
            return
        paise = np.round(amount) * 100 if whole else np.round(amount * 100)
        k = len(day_a)
        self.day.append(day_a)
        self.second.append(self.rng.integers(hours[0] * 3600, hours[1] * 3600, size=k))
        self.paise.append(paise.astype(np.int64))
        self.income.append(np.full(k, income))
        self.category.append(np.full(k, category, dtype=object))
        names = merchant[keep] if isinstance(merchant, np.ndarray) else np.full(k, merchant)
        self.merchant.append(np.asarray(names, dtype=object))

    def income_per_day(self) -> np.ndarray:
        total = np.zeros(self.cal.n)
        for day, paise, income in zip(self.day, self.paise, self.income, strict=True):
            if len(income) and income[0]:
                np.add.at(total, day, paise / 100.0)
        return total

    def outflow_per_day(self) -> np.ndarray:
        total = np.zeros(self.cal.n)
        for day, paise, income in zip(self.day, self.paise, self.income, strict=True):
            if len(income) and not income[0]:
                np.add.at(total, day, paise / 100.0)
        return total


# --- income patterns --------------------------------------------------------------------


def _lognormal(rng: np.random.Generator, median: float, sigma: float, size: int) -> np.ndarray:
    return median * np.exp(rng.normal(0.0, sigma, size))


def retainer_late(rows: Rows, level: float) -> None:
    cal, rng = rows.cal, rows.rng
    clients = int(rng.integers(1, 4))
    shares = rng.dirichlet(np.ones(clients) * 3)
    for share, name in zip(shares, rng.choice(CLIENTS, clients, replace=False), strict=True):
        fee = round(level * share / 500) * 500
        invoice_dom = int(rng.choice([1, 1, 5, 10, 15]))
        carried = 0.0
        for m in range(cal.months):
            day = cal.at(m, invoice_dom)
            if day is None:
                continue
            late = int(rng.integers(0, 4)) if rng.random() < 0.4 else int(rng.integers(4, 21))
            if rng.random() < 0.06:  # paid together with the next month's
                carried += fee
                continue
            rows.add([day + late], [fee + carried], income=True, category="Freelance income",
                     merchant=str(name), hours=(10, 19), whole=True)  # fmt: skip
            carried = 0.0


def invoices_net30_45(rows: Rows, level: float) -> None:
    cal, rng = rows.cal, rows.rng
    median = float(rng.uniform(35_000, 80_000))
    per_month = level / (median * np.exp(0.6**2 / 2))
    starts = np.flatnonzero(rng.random(cal.n) < per_month / 30.4) - 60
    for done in starts.tolist():
        amount = float(_lognormal(rng, median, 0.6, 1)[0])
        client = str(rng.choice(CLIENTS))
        terms = int(rng.choice([30, 45]))
        parts = [(done, amount)]
        if rng.random() < 0.35:
            parts = [(done - int(rng.integers(20, 40)), amount * 0.5), (done, amount * 0.5)]
        for invoiced, part in parts:
            paid = invoiced + terms + int(rng.integers(-2, 11))
            rows.add([paid], [part], income=True, category="Freelance income",
                     merchant=client, hours=(10, 19))  # fmt: skip


def platform_weekly_monsoon(rows: Rows, level: float) -> None:
    cal, rng = rows.cal, rows.rng
    platform = str(rng.choice(PLATFORMS))
    weekday = int(rng.integers(0, 7))
    dip = float(rng.uniform(0.5, 0.7))
    days = np.flatnonzero(cal.weekday == weekday)
    weekly = level * 7 / 30.4
    factor = np.where((cal.month[days] >= 6) & (cal.month[days] <= 9), dip, 1.0)
    amount = weekly * factor * _lognormal(rng, 1.0, 0.22, len(days))
    amount *= rng.random(len(days)) > 0.03  # a week off now and then
    rows.add(days, amount, income=True, category="Platform payout", merchant=platform,
             hours=(6, 12))  # fmt: skip
    bonus = days[rng.random(len(days)) < 0.15]
    rows.add(bonus, _lognormal(rng, weekly * 0.2, 0.4, len(bonus)), income=True,
             category="Platform payout", merchant=platform, hours=(6, 12))  # fmt: skip


WEDDING_SEASON = {1: 5.0, 2: 4.0, 3: 1.5, 4: 1.5, 5: 1.0, 6: 0.2, 7: 0.1, 8: 0.1, 9: 0.3,
                  10: 1.5, 11: 5.0, 12: 6.0}  # fmt: skip


def wedding_photographer(rows: Rows, level: float) -> None:
    cal, rng = rows.cal, rows.rng
    shoots_per_year = sum(WEDDING_SEASON.values())
    fee_median = float(rng.uniform(45_000, 1_10_000))
    per_shoot = fee_median * np.exp(0.35**2 / 2)
    scale = level * 12 / (shoots_per_year * per_shoot)
    studio = f"{rng.choice(PEOPLE).split()[1]} family"
    for m in range(-4, cal.months + 1):
        month = (int(cal.month[0]) - 1 + m) % 12 + 1
        for _ in range(int(rng.poisson(WEDDING_SEASON[month] * scale))):
            first = cal.at(m, 1)
            if first is None:  # before or after the history: its payments may fall inside
                first = round(30.44 * m) - int(cal.dom[0]) + 1
            event = first + int(rng.integers(0, 28))
            fee = float(_lognormal(rng, fee_median, 0.35, 1)[0])
            advance = event - int(rng.integers(20, 100))
            balance = event + int(rng.integers(0, 16))
            rows.add([advance, balance], [0.3 * fee, 0.7 * fee], income=True,
                     category="Freelance income", merchant=studio, hours=(10, 21))  # fmt: skip


def tutor_school_year(rows: Rows, level: float) -> None:
    cal, rng = rows.cal, rows.rng
    fee = float(rng.uniform(1_500, 5_000))
    students = max(3, round(level / fee))
    parents = np.array(PEOPLE, dtype=object)
    for m in range(cal.months):
        first = int(cal.month_starts[m])
        month = int(cal.month[first])
        count = students if month not in (4, 5) else int(rng.integers(0, max(2, students // 4)))
        if month == 6:  # a new school year: some students leave, others join
            students = max(3, students + int(rng.integers(-3, 4)))
        payers = rng.choice(parents, size=count)
        days = np.array([cal.at(m, int(d)) or first for d in rng.integers(1, 11, size=count)])
        rows.add(days, np.full(count, fee) * rng.choice([1.0, 1.0, 1.0, 0.5], size=count),
                 income=True, category="Freelance income", merchant=payers,
                 hours=(8, 22), whole=True)  # fmt: skip


def salary_plus_gigs(rows: Rows, level: float) -> None:
    cal, rng = rows.cal, rows.rng
    employer = str(rng.choice(EMPLOYERS))
    salary = round(level * 0.8 / 100) * 100
    for m in range(cal.months):
        first = int(cal.month_starts[m])
        if cal.month[first] == 4 and m > 0:
            salary = round(salary * rng.uniform(1.04, 1.12) / 100) * 100
        if cal.dom[first] == 1:
            rows.add([first], [salary], income=True, category="Salary", merchant=employer,
                     hours=(9, 12), whole=True)  # fmt: skip
    gigs = np.flatnonzero(rng.random(cal.n) < 1.3 / 30.4)
    rows.add(gigs, _lognormal(rng, level * 0.2 / 1.3, 0.7, len(gigs)), income=True,
             category="Freelance income", merchant=rng.choice(CLIENTS, len(gigs)),
             hours=(10, 20))  # fmt: skip


def usd_contract(rows: Rows, level: float) -> None:
    cal, rng = rows.cal, rows.rng
    channel = str(rng.choice(USD_CHANNELS))
    rate = 82.0 + np.cumsum(rng.normal(0.2, 0.35, cal.n // 30 + 2))  # ₹ per $, monthly drift
    usd = round(level / 84 / 50) * 50
    fee = float(rng.uniform(0.01, 0.03))
    for m in range(cal.months):
        day = cal.at(m, int(rng.integers(3, 9)))
        if day is None:
            continue
        hours_factor = float(np.clip(rng.normal(1.0, 0.08), 0.7, 1.2))
        inr = usd * hours_factor * (rate[m] + rng.normal(0, 0.3)) * (1 - fee)
        rows.add([day], [inr], income=True, category="Freelance income", merchant=channel,
                 hours=(11, 18))  # fmt: skip


def declining(rows: Rows, level: float) -> None:
    cal, rng = rows.cal, rows.rng
    decline = float(rng.uniform(0.03, 0.05))
    clients = rng.choice(CLIENTS, 2, replace=False)
    # the level is the income at the start of the last year, so the history starts higher
    start = level * (1 - decline) ** -(cal.months - 12)
    for m in range(cal.months):
        month_level = start * (1 - decline) ** m
        k = int(rng.integers(1, 4))
        days = [cal.at(m, int(d)) for d in rng.integers(1, 29, size=k)]
        paid = [d for d in days if d is not None]
        split = rng.dirichlet(np.ones(len(paid))) if paid else np.zeros(0)
        amounts = month_level * split * _lognormal(rng, 1.0, 0.25, len(paid))
        rows.add(paid, amounts, income=True, category="Freelance income",
                 merchant=rng.choice(clients, len(paid)), hours=(10, 19))  # fmt: skip


INCOME = {
    "retainer_late": retainer_late,
    "invoices_net30_45": invoices_net30_45,
    "platform_weekly_monsoon": platform_weekly_monsoon,
    "wedding_photographer": wedding_photographer,
    "tutor_school_year": tutor_school_year,
    "salary_plus_gigs": salary_plus_gigs,
    "usd_contract": usd_contract,
    "declining": declining,
}
LEVELS = {  # median monthly income in rupees
    "retainer_late": 65_000,
    "invoices_net30_45": 80_000,
    "platform_weekly_monsoon": 28_000,
    "wedding_photographer": 90_000,
    "tutor_school_year": 35_000,
    "salary_plus_gigs": 60_000,
    "usd_contract": 1_50_000,
    "declining": 70_000,
}


# --- spending ---------------------------------------------------------------------------


def monthly_on(rows: Rows, dom: int, amount: float, first: int = 0, last: int | None = None,
               jitter: int = 0) -> list[int]:  # fmt: skip
    """Positions of a monthly payment on day `dom` from month `first` to `last` (exclusive)."""
    cal, rng = rows.cal, rows.rng
    days = []
    for m in range(max(first, 0), min(last if last is not None else cal.months, cal.months)):
        day = cal.at(m, dom)
        if day is not None:
            days.append(day + (int(rng.integers(0, jitter + 1)) if jitter else 0))
    return days


def fixed_spending(rows: Rows, level: float) -> float:
    """Rent, EMIs and bills; returns their monthly total (roughly)."""
    cal, rng = rows.cal, rows.rng
    rent = round(level * rng.uniform(0.18, 0.3) / 500) * 500
    landlord = f"{rng.choice(PEOPLE)} (rent)"
    rent_dom = int(rng.integers(1, 6))
    total = rent
    for start in range(0, cal.months, 11):
        days = monthly_on(rows, rent_dom, rent, start, start + 11)
        rows.add(days, np.full(len(days), rent), income=False, category="Rent",
                 merchant=landlord, hours=(8, 12), whole=True)  # fmt: skip
        rent = round(rent * rng.uniform(1.05, 1.1) / 100) * 100
    for _ in range(int(rng.choice([0, 1, 1, 2]))):
        emi = round(level * rng.uniform(0.05, 0.15) / 100) * 100
        first = int(rng.integers(-24, cal.months - 6))
        days = monthly_on(rows, int(rng.choice([5, 7, 10])), emi, first,
                          first + int(rng.choice([12, 24, 36])))  # fmt: skip
        rows.add(days, np.full(len(days), emi), income=False, category="EMI",
                 merchant=f"{rng.choice(LENDERS)} EMI", hours=(6, 10), whole=True)  # fmt: skip
        total += emi
    power = monthly_on(rows, int(rng.integers(8, 16)), 0.0, jitter=6)
    summer = np.isin(cal.month[np.clip(power, 0, cal.n - 1)], (4, 5, 6))
    base = float(rng.uniform(700, 1_800))
    bills = base * np.where(summer, 1.8, 1.0) * _lognormal(rng, 1.0, 0.15, len(power))
    rows.add(power, bills, income=False, category="Electricity", merchant="BESCOM",
             hours=(9, 22))  # fmt: skip
    broadband = monthly_on(rows, int(rng.integers(1, 28)), 0.0)
    rows.add(broadband, np.full(len(broadband), float(rng.choice([589.0, 799.0, 999.0]))),
             income=False, category="Mobile & internet", merchant="ACT Fibernet")  # fmt: skip
    recharge = np.arange(int(rng.integers(0, 28)), cal.n, 28)
    rows.add(recharge, np.full(len(recharge), float(rng.choice([299.0, 479.0, 719.0]))),
             income=False, category="Mobile & internet", merchant="Jio")  # fmt: skip
    return total + base * 1.2 + 1_500


def daily_spending(rows: Rows, everyday: float) -> None:
    """Groceries, food delivery and transport: `everyday` rupees a month between them."""
    cal, rng = rows.cal, rows.rng
    for category, share, rate, names in (
        ("Groceries", 0.5, 0.35, GROCERS),
        ("Food delivery", 0.25, 0.3, FOOD),
        ("Transport", 0.25, 0.7, TRANSPORT),
    ):
        days = np.flatnonzero(rng.random(cal.n) < rate)
        mean = everyday * share / (30.4 * rate)
        rows.add(days, _lognormal(rng, mean * np.exp(-0.5**2 / 2), 0.5, len(days)),
                 income=False, category=category, merchant=rng.choice(names, len(days)),
                 hours=(7, 23))  # fmt: skip


def discretionary(rows: Rows, share: float) -> None:
    """Spending that follows income: `share` of the last 30 days' income, in purchases."""
    cal, rng = rows.cal, rows.rng
    income = rows.income_per_day()
    recent = np.convolve(income, np.ones(30), mode="full")[: cal.n] / 30.0
    days = np.flatnonzero(rng.random(cal.n) < 0.3)
    amounts = share * recent[days] / 0.3 * _lognormal(rng, np.exp(-(0.8**2) / 2), 0.8, len(days))
    picks = rng.integers(0, len(DISCRETIONARY), len(days))
    for k, (category, names) in enumerate(DISCRETIONARY):
        chosen = picks == k
        rows.add(days[chosen], amounts[chosen], income=False, category=category,
                 merchant=rng.choice(names, int(chosen.sum())), hours=(11, 23))  # fmt: skip


def one_offs(rows: Rows, level: float) -> None:
    cal, rng = rows.cal, rows.rng
    days = np.flatnonzero(rng.random(cal.n) < 0.25 / 30.4)
    kinds = rng.integers(0, len(ONE_OFFS), len(days))
    amounts = _lognormal(rng, max(12_000.0, 0.4 * level), 0.6, len(days))
    for k, (category, name) in enumerate(ONE_OFFS):
        rows.add(days[kinds == k], amounts[kinds == k], income=False, category=category,
                 merchant=name, hours=(9, 21))  # fmt: skip


def balance_care(rows: Rows, opening_paise: int, cushion: float, monthly_spend: float) -> None:
    """On the 7th of each month: half of the balance above 2x the cushion goes to savings,
    and a balance below minus half a month's spending is topped up by family (a loan)."""
    cal, rng = rows.cal, rows.rng
    net = np.zeros(cal.n)
    for days, paise, income in zip(rows.day, rows.paise, rows.income, strict=True):
        np.add.at(net, days, np.where(income, paise, -paise) / 100.0)
    balance = opening_paise / 100.0 + np.cumsum(net)
    moved = 0.0
    for day in monthly_on(rows, 7, 0.0):
        now = float(balance[day]) + moved
        if now > 2 * cushion:
            amount = round(0.5 * (now - 2 * cushion) / 1000) * 1000
            rows.add([day], [amount], income=False, category="Other",
                     merchant="Mutual fund SIP top-up", hours=(9, 11), whole=True)  # fmt: skip
            moved -= amount
        elif now < -0.5 * monthly_spend:
            amount = round((-now + rng.uniform(0.0, 0.5) * monthly_spend) / 1000) * 1000
            rows.add([day], [amount], income=True, category="Other income",
                     merchant=str(rng.choice(PEOPLE)), hours=(9, 21), whole=True)  # fmt: skip
            moved += amount


# --- the whole history ------------------------------------------------------------------


def generate_history(seed: int, index: int, start: date, end: date) -> SyntheticHistory:
    """Person `index` of `seed`: rows on the local days start..end (inclusive), IST."""
    pattern = PATTERNS[index % len(PATTERNS)]
    sequence = np.random.SeedSequence([seed % 2**63, index, SALT])
    rng = np.random.default_rng(sequence)
    cal = calendar(start, end)
    rows = Rows(cal, rng)
    level = float(LEVELS[pattern] * np.exp(rng.normal(0.0, 0.3)))
    INCOME[pattern](rows, level)
    income = float(rows.income_per_day().mean() * 30.44)  # what this person actually earns
    fixed = fixed_spending(rows, level)
    # Spending near income on average: most save a little, a few spend a little more.
    spend_ratio = float(rng.uniform(0.8, 1.0))
    disc_share = float(rng.uniform(0.1, 0.2))
    lumpy = 0.25 * max(12_000.0, 0.4 * level) * np.exp(0.6**2 / 2)  # one-offs a month
    everyday = max(5_000.0, spend_ratio * income - fixed - disc_share * income - lumpy)
    daily_spending(rows, everyday)
    discretionary(rows, disc_share)
    one_offs(rows, level)
    # A thin cushion for about a third of people: they are the ones who run short.
    monthly_spend = float(rows.outflow_per_day().mean() * 30.44)
    months = rng.uniform(0.1, 0.7) if rng.random() < 0.35 else rng.uniform(1.0, 4.0)
    cushion = float(months * monthly_spend)
    opening_paise = round(cushion * 100 * rng.uniform(0.8, 1.2))
    balance_care(rows, opening_paise, cushion, monthly_spend)
    return finish(seed, index, pattern, cal, rows, opening_paise)


def finish(
    seed: int, index: int, pattern: str, cal: Calendar, rows: Rows, opening_paise: int
) -> SyntheticHistory:
    day = np.concatenate(rows.day)
    second = np.concatenate(rows.second)
    local_s = cal.days[day].astype("datetime64[s]").astype(np.int64) + second
    order = np.argsort(local_s, kind="stable")
    paise = np.concatenate(rows.paise)[order]
    income = np.concatenate(rows.income)[order]
    signed = np.where(income, paise, -paise)
    return SyntheticHistory(
        seed=seed,
        index=index,
        pattern=pattern,
        occurred_at=(local_s[order] - IST_OFFSET_S).astype("datetime64[s]"),
        amount=paise / 100.0,
        is_income=income,
        category=np.concatenate(rows.category)[order],
        merchant=np.concatenate(rows.merchant)[order],
        balance_after=(opening_paise + np.cumsum(signed)) / 100.0,
        opening_balance=opening_paise / 100.0,
    )
