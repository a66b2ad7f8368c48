"""Where the money goes and comes from: real Indian merchants, bills, lenders and platforms.

Names are chosen so that `gql_server.core.categories.categorize` files them under the same
category the generator gives them, so generated data and user-entered data read alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WEEK_FLAT = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)  # Monday first
WEEK_LEISURE = (0.85, 0.85, 0.9, 0.95, 1.15, 1.3, 1.2)
WEEK_COMMUTE = (1.1, 1.1, 1.1, 1.1, 1.1, 0.85, 0.65)
YEAR_FLAT = (1.0,) * 12  # January first
# Republic Day, Independence Day and the Diwali sales; Oct-Nov is festival shopping.
YEAR_SHOPPING = (1.1, 0.9, 0.9, 0.85, 0.85, 0.85, 0.9, 1.05, 1.0, 1.6, 1.3, 1.0)
YEAR_TRAVEL = (0.9, 0.8, 0.9, 1.3, 1.5, 1.2, 0.6, 0.6, 0.8, 1.2, 1.3, 1.5)  # summer, Diwali, Dec
YEAR_MONSOON = (1.0, 0.95, 0.95, 0.95, 1.0, 1.05, 1.15, 1.15, 1.05, 0.95, 0.95, 0.95)
YEAR_ILLNESS = (1.1, 0.95, 0.85, 0.85, 0.85, 1.0, 1.25, 1.3, 1.15, 0.95, 0.9, 1.0)  # dengue, flu


Merchant = tuple[str, float, tuple[str, ...]]  # name, popularity, its own descriptions


def _m(name: str, popularity: float, *descriptions: str) -> Merchant:
    return (name, popularity, descriptions)


@dataclass(frozen=True)
class SpendCategory:
    """A kind of everyday spending: how often, how much of the budget, where and when."""

    name: str
    per_month: float  # purchases a month for a typical person (on the typical budget)
    budget_share: float  # share of the everyday budget
    spread: float  # sigma of log amount: how unequal single purchases are
    floor: float  # ₹: nothing in the category costs less
    merchants: tuple[Merchant, ...]
    descriptions: tuple[str, ...]  # for merchants without their own
    hours: tuple[float, float, float, float, float]  # IST: weight, mean, sd, mean2, sd2
    week: tuple[float, ...] = WEEK_FLAT
    year: tuple[float, ...] = YEAR_FLAT
    paise: bool = False  # app orders carry taxes and fees, so they are not whole rupees


# "{metro}" and "{bank}" are filled in per user; the user's UPI contacts join "UPI transfer".
SPEND_CATEGORIES: tuple[SpendCategory, ...] = (
    SpendCategory(
        "Groceries", 8.55, 0.25, 0.65, 40.0,
        (_m("BigBasket", 3), _m("Blinkit", 3), _m("Zepto", 3), _m("DMart", 2),
         _m("Swiggy Instamart", 2), _m("JioMart", 1), _m("Reliance Fresh", 1),
         _m("More Supermarket", 1), _m("Nature's Basket", 0.4), _m("Spencer's", 0.5),
         _m("Local kirana store", 3, "Milk and bread", "Groceries", "")),
        ("Groceries", "Weekly groceries", "Fruits and vegetables", "Household supplies", ""),
        (0.45, 10.0, 1.5, 19.0, 1.8), WEEK_LEISURE, paise=True,
    ),
    SpendCategory(
        "Food delivery", 5.85, 0.13, 0.45, 89.0,
        (_m("Zomato", 5), _m("Swiggy", 5), _m("EatSure", 0.5), _m("Domino's", 1),
         _m("Box8", 0.3)),
        (),  # named by the hour: lunch, dinner or late-night order
        (0.35, 13.3, 0.8, 21.0, 1.2), WEEK_LEISURE, YEAR_MONSOON, paise=True,
    ),
    SpendCategory(
        "Dining out", 3.6, 0.07, 0.8, 30.0,
        (_m("Chaayos", 1, "Chai and snacks"), _m("Starbucks", 0.8, "Coffee"),
         _m("Irani Cafe", 0.8, "Chai and bun maska", "Breakfast"),
         _m("Haldiram's", 1, "Snacks", "Lunch"), _m("McDonald's", 1, "Burger meal", ""),
         _m("KFC", 0.6, ""), _m("Barbeque Nation", 0.3, "Dinner with friends"),
         _m("Local restaurant", 2, "Lunch", "Dinner with friends", "Thali", "")),
        ("Meal out", ""),
        (0.45, 13.5, 1.6, 20.3, 1.5), WEEK_LEISURE,
    ),
    SpendCategory(
        "Transport", 10.8, 0.09, 0.6, 10.0,
        (_m("Ola", 3, "Cab ride", "Auto ride", "Ride to client meeting"),
         _m("Uber", 3, "Cab ride", "Auto ride", "Ride to client meeting"),
         _m("Rapido", 3, "Bike taxi", "Auto ride"),
         _m("{metro}", 3, "Metro card top-up", "Metro ride"),
         _m("Auto rickshaw", 1.5, "Auto ride")),
        ("",),
        (0.5, 9.3, 1.2, 18.8, 1.8), WEEK_COMMUTE, YEAR_MONSOON,
    ),
    SpendCategory(
        "Fuel", 2.7, 0.06, 0.35, 100.0,
        (_m("Indian Oil", 3), _m("Bharat Petroleum", 2), _m("HP Petrol Pump", 2),
         _m("Shell", 0.5)),
        ("Petrol", "Two-wheeler fuel", ""),
        (1.0, 12.0, 4.0, 12.0, 4.0),
    ),
    SpendCategory(
        "Shopping", 2.88, 0.15, 0.9, 99.0,
        (_m("Amazon.in", 4), _m("Flipkart", 3), _m("Myntra", 2, "Clothes", "Footwear"),
         _m("Ajio", 1, "Clothes"), _m("Meesho", 1), _m("Nykaa", 1, "Beauty products"),
         _m("Decathlon", 0.5, "Sports gear"), _m("Croma", 0.4, "Electronics accessory"),
         _m("Tata CLiQ", 0.3)),
        ("Online order", "Home essentials", "Electronics accessory", "Gift", ""),
        (1.0, 17.0, 4.0, 17.0, 4.0), WEEK_LEISURE, YEAR_SHOPPING,
    ),
    SpendCategory(
        "UPI transfer", 7.64, 0.08, 1.0, 10.0,
        (_m("UPI to vegetable vendor", 2), _m("UPI to tea stall", 2),
         _m("UPI to local shop", 2)),
        ("UPI payment", ""),
        (1.0, 15.0, 4.0, 15.0, 4.0),
    ),
    SpendCategory(
        "Health", 0.9, 0.04, 0.8, 50.0,
        (_m("Apollo Pharmacy", 2), _m("PharmEasy", 1), _m("Tata 1mg", 1, "Medicines", "Lab test"),
         _m("MedPlus", 1), _m("Netmeds", 0.5),
         _m("Practo", 0.5, "Doctor consultation"), _m("Local clinic", 1, "Doctor consultation")),
        ("Medicines", ""),
        (1.0, 13.0, 3.5, 13.0, 3.5), year=YEAR_ILLNESS,
    ),
    SpendCategory(
        "Entertainment", 0.72, 0.03, 0.5, 99.0,
        (_m("BookMyShow", 3, "Movie tickets", "Concert", "Stand-up show"),
         _m("PVR INOX", 2, "Movie tickets"), _m("Steam", 0.3, "Game")),
        ("",),
        (1.0, 18.0, 3.0, 18.0, 3.0), WEEK_LEISURE,
    ),
    SpendCategory(
        "Personal care", 0.72, 0.03, 0.6, 99.0,
        (_m("Urban Company", 2, "Salon at home", "Home cleaning"), _m("Local salon", 3),
         _m("Lakme Salon", 1)),
        ("Haircut", "Salon", "Grooming", ""),
        (1.0, 14.0, 3.0, 14.0, 3.0), WEEK_LEISURE,
    ),
    SpendCategory(
        "Travel", 0.32, 0.05, 0.8, 250.0,
        (_m("IRCTC", 3, "Train tickets", "Trip home"), _m("redBus", 2, "Bus tickets"),
         _m("IndiGo", 1.5, "Flight tickets"), _m("OYO", 1, "Hotel stay"),
         _m("MakeMyTrip", 2), _m("Goibibo", 1), _m("ixigo", 0.5)),
        ("Flight tickets", "Hotel stay", "Train tickets", "Trip home"),
        (1.0, 14.0, 5.0, 14.0, 5.0), year=YEAR_TRAVEL,
    ),
    SpendCategory(
        "Education", 0.14, 0.02, 0.6, 199.0,
        (_m("Udemy", 2), _m("Coursera", 1), _m("upGrad", 0.3), _m("Unacademy", 0.5)),
        ("Online course", "Certification", ""),
        (1.0, 20.0, 3.0, 20.0, 3.0),
    ),
    SpendCategory(
        "Cash withdrawal", 0.72, 0.05, 0.5, 500.0,
        (_m("{bank} ATM", 1),),
        ("ATM withdrawal", ""),
        (1.0, 14.0, 4.0, 14.0, 4.0),
    ),
)  # fmt: skip
FOOD_BY_HOUR = ((16.0, "Lunch order"), (22.5, "Dinner order"), (24.0, "Late-night order"))
UPI_CONTACT_DESCRIPTIONS = ("Split bill", "Paid back", "Gift", "Rent share", "")
SPEND_INDEX: dict[str, int] = {c.name: i for i, c in enumerate(SPEND_CATEGORIES)}
UPI_CONTACT_WEIGHT = 3.0  # each of a user's people is about as common as a street vendor

BANKS: tuple[str, ...] = (
    "HDFC Bank",
    "ICICI Bank",
    "SBI",
    "Axis Bank",
    "Kotak Mahindra Bank",
    "IDFC First Bank",
)
LENDERS: tuple[str, ...] = (
    "HDFC Bank",
    "ICICI Bank",
    "Bajaj Finserv",
    "SBI",
    "Axis Bank",
    "Kotak Mahindra Bank",
    "Tata Capital",
    "IDFC First Bank",
)
LOAN_APPS: tuple[str, ...] = ("KreditBee", "MoneyView", "Navi", "Fibe", "PaySense")
# Prepaid plans that run 28 days; share of users on each network.
TELCOS: tuple[tuple[str, float, tuple[int, ...]], ...] = (
    ("Jio", 0.45, (299, 349, 399)),
    ("Airtel", 0.38, (299, 349, 409)),
    ("Vi", 0.17, (299, 349)),
)
BROADBAND: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("ACT Fibernet", (799, 1049)),
    ("Airtel Xstream Fiber", (799, 999)),
    ("JioFiber Broadband", (699, 999)),
    ("Hathway Broadband", (599, 799)),
    ("Excitel Broadband", (599,)),
)
STREAMING: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("Netflix", (199, 499, 649)),
    ("Spotify", (119,)),
    ("Disney+ Hotstar", (149, 299)),
    ("Prime Video", (299,)),
    ("YouTube Premium", (129,)),
    ("SonyLIV", (299,)),
    ("ZEE5", (99,)),
    ("JioCinema", (29, 59)),
)
TOOLS: dict[str, tuple[int, ...]] = {
    "GitHub": (850,),
    "ChatGPT Plus": (1999,),
    "Notion": (850,),
    "Adobe Creative Cloud": (1675, 4230),
    "Canva Pro": (499,),
    "Figma": (1250,),
    "Google Workspace": (136, 672),
    "Spotify": (119,),
}
GAS: tuple[str, ...] = ("Indane Gas", "HP Gas", "Bharat Gas")
HEALTH_INSURERS: tuple[str, ...] = ("HDFC ERGO", "Star Health", "ICICI Lombard", "Acko")
RENT_PAYEES: tuple[str, ...] = ("Rent - {landlord}", "NoBroker Rent Pay", "PG accommodation")
RENT_PAYEE_WEIGHTS = (0.55, 0.3, 0.15)
BIG_PURCHASES: tuple[tuple[str, str], ...] = (
    ("Croma", "Laptop"),
    ("Reliance Digital", "Air conditioner"),
    ("Amazon.in", "Smartphone"),
    ("Flipkart", "Refrigerator"),
    ("Amazon.in", "Furniture"),
    ("Croma", "Washing machine"),
)
CASHBACK: tuple[str, ...] = (
    "Google Pay cashback",
    "Paytm cashback",
    "CRED cashback",
    "Amazon Pay cashback",
    "PhonePe cashback",
)
# Words for client company names: "Pixel Forge Design Studio".
NAME_FIRST: tuple[str, ...] = (
    "Pixel", "Blue", "Bright", "Saffron", "Lotus", "Peacock", "Nimbus", "Quantum", "Indigo",
    "Coral", "Banyan", "Monsoon", "Cedar", "Silver", "Orbit", "Neem", "Kesar", "Tulsi",
)  # fmt: skip
NAME_SECOND: tuple[str, ...] = (
    "Forge", "Leaf", "Wave", "Path", "Loop", "Mint", "Spark", "Nest", "Bridge", "Peak",
    "Works", "Arc", "Tree", "Craft",
)  # fmt: skip
EMPLOYER_SUFFIXES: tuple[str, ...] = (
    "Technologies Pvt Ltd",
    "Media Pvt Ltd",
    "Services Pvt Ltd",
    "Retail Pvt Ltd",
)


def weekday_table(categories: tuple[SpendCategory, ...]) -> np.ndarray:
    """(7, n) weekday multipliers normalised to mean 1, so they move purchases, not budgets."""
    table = np.array([c.week for c in categories], dtype=float).T
    return table / table.mean(axis=0)


def year_table(categories: tuple[SpendCategory, ...]) -> np.ndarray:
    """(12, n) month-of-year multipliers normalised to mean 1."""
    table = np.array([c.year for c in categories], dtype=float).T
    return table / table.mean(axis=0)
