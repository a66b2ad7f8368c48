"""Transaction categories, and the merchant rules that assign one when a client sends none.

The rules are data: a merchant (or a word in it) maps to a category. The first rule whose
keyword appears as a whole word in the merchant name wins, so more specific names come first.
"""

from __future__ import annotations

import re
from functools import lru_cache

EXPENSE_CATEGORIES: tuple[str, ...] = (
    "Rent",
    "Groceries",
    "Food delivery",
    "Dining out",
    "Transport",
    "Fuel",
    "Mobile & internet",
    "Electricity",
    "Utilities",
    "Shopping",
    "EMI",
    "Insurance",
    "Health",
    "Education",
    "Entertainment",
    "Subscriptions",
    "Travel",
    "Personal care",
    "UPI transfer",
    "Cash withdrawal",
    "Taxes",
    "Other",
)
INCOME_CATEGORIES: tuple[str, ...] = (
    "Freelance income",
    "Platform payout",
    "Salary",
    "Interest",
    "Refund",
    "Other income",
)
KNOWN_CATEGORIES: tuple[str, ...] = EXPENSE_CATEGORIES + INCOME_CATEGORIES
ESSENTIAL_CATEGORIES: frozenset[str] = frozenset(
    {
        "Rent",
        "Groceries",
        "Transport",
        "Fuel",
        "Mobile & internet",
        "Electricity",
        "Utilities",
        "EMI",
        "Insurance",
        "Health",
        "Education",
        "Taxes",
    }
)
DEFAULT_EXPENSE_CATEGORY = "Other"
DEFAULT_INCOME_CATEGORY = "Other income"
MAX_CATEGORY_LENGTH = 40

MERCHANT_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Groceries",
        (
            "bigbasket",
            "blinkit",
            "zepto",
            "dmart",
            "jiomart",
            "swiggy instamart",
            "more supermarket",
            "reliance fresh",
            "spencer's",
            "nature's basket",
            "kirana",
            "grocery",
        ),
    ),
    ("Food delivery", ("zomato", "swiggy", "eatsure", "box8", "faasos", "dominos", "domino's")),
    (
        "Transport",
        (
            "ola",
            "uber",
            "rapido",
            "namma yatri",
            "metro",
            "irctc local",
            "auto",
            "bmtc",
            "best bus",
            "dtc",
        ),
    ),
    (
        "Fuel",
        (
            "indian oil",
            "iocl",
            "bharat petroleum",
            "bpcl",
            "hp petrol",
            "hpcl",
            "shell",
            "petrol",
            "fuel",
        ),
    ),
    (
        "Mobile & internet",
        (
            "jio",
            "airtel",
            "vi",
            "vodafone idea",
            "bsnl",
            "act fibernet",
            "hathway",
            "excitel",
            "broadband",
            "recharge",
        ),
    ),
    (
        "Electricity",
        (
            "bescom",
            "msedcl",
            "tata power",
            "adani electricity",
            "bses",
            "tneb",
            "tangedco",
            "cesc",
            "electricity",
        ),
    ),
    ("Utilities", ("mahanagar gas", "indane", "bharat gas", "hp gas", "water bill", "gas")),
    (
        "Shopping",
        (
            "amazon",
            "flipkart",
            "myntra",
            "ajio",
            "nykaa",
            "meesho",
            "croma",
            "reliance digital",
            "tata cliq",
            "decathlon",
        ),
    ),
    ("EMI", ("emi", "bajaj finserv", "home loan", "personal loan", "loan")),
    (
        "Insurance",
        ("lic", "hdfc ergo", "icici lombard", "star health", "policybazaar", "insurance", "acko"),
    ),
    (
        "Health",
        (
            "apollo",
            "pharmeasy",
            "1mg",
            "netmeds",
            "practo",
            "medplus",
            "hospital",
            "clinic",
            "pharmacy",
        ),
    ),
    ("Education", ("byju's", "unacademy", "coursera", "udemy", "upgrad", "school fee", "tuition")),
    ("Entertainment", ("bookmyshow", "pvr", "inox", "steam")),
    (
        "Subscriptions",
        (
            "netflix",
            "hotstar",
            "disney+ hotstar",
            "prime video",
            "spotify",
            "youtube premium",
            "sonyliv",
            "zee5",
            "jiocinema",
            "adobe",
            "figma",
            "github",
            "notion",
            "canva",
            "google workspace",
            "icloud",
        ),
    ),
    (
        "Travel",
        (
            "makemytrip",
            "goibibo",
            "irctc",
            "redbus",
            "indigo",
            "air india",
            "cleartrip",
            "oyo",
            "ixigo",
        ),
    ),
    ("Personal care", ("urban company", "salon", "lakme", "spa")),
    ("Rent", ("rent", "landlord", "nobroker", "housing.com", "pg accommodation")),
    (
        "Dining out",
        (
            "cafe",
            "restaurant",
            "starbucks",
            "chaayos",
            "haldiram's",
            "mcdonald's",
            "kfc",
            "barbeque nation",
        ),
    ),
    ("Cash withdrawal", ("atm", "cash withdrawal")),
    ("Taxes", ("income tax", "gst", "advance tax", "tds")),
    ("UPI transfer", ("upi", "phonepe", "google pay", "gpay", "paytm", "bhim")),
)

INCOME_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Platform payout",
        (
            "upwork",
            "fiverr",
            "freelancer.com",
            "toptal",
            "swiggy",
            "zomato",
            "uber",
            "ola",
            "rapido",
            "urban company",
            "dunzo",
            "youtube",
            "instagram",
            "99designs",
            "contra",
            "payoneer",
        ),
    ),
    ("Salary", ("salary", "payroll", "stipend")),
    ("Interest", ("interest", "fd maturity", "dividend")),
    ("Refund", ("refund", "cashback", "reversal")),
)


def _word_pattern(keyword: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w]){re.escape(keyword)}(?![\w])")


@lru_cache(maxsize=2)  # one per direction: with 1, every change of direction recompiled all
def _compiled(income: bool) -> tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]:
    rules = INCOME_RULES if income else MERCHANT_RULES
    return tuple((category, tuple(map(_word_pattern, words))) for category, words in rules)


@lru_cache(maxsize=8192)  # a statement or a generated ledger repeats a few hundred merchants
def categorize(merchant: str, *, income: bool) -> str:
    """The category the merchant rules give, or the default for the direction."""
    name = merchant.casefold()
    for category, patterns in _compiled(income):
        if any(pattern.search(name) for pattern in patterns):
            return category
    return DEFAULT_INCOME_CATEGORY if income else DEFAULT_EXPENSE_CATEGORY


def normalize_category(text: str) -> str:
    """A known category in its canonical spelling, or free text tidied: trimmed, single-spaced,
    first letter capitalised. Raises ValueError when nothing is left or it is too long."""
    tidy = " ".join(text.split())
    if not tidy:
        raise ValueError("category must not be empty")
    for known in KNOWN_CATEGORIES:
        if known.casefold() == tidy.casefold():
            return known
    if len(tidy) > MAX_CATEGORY_LENGTH:
        raise ValueError(f"category must be at most {MAX_CATEGORY_LENGTH} characters")
    return tidy[0].upper() + tidy[1:]
