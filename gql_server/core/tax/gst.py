"""GST registration for a supplier of services: the threshold of aggregate turnover in a
financial year by state, and the day the year's turnover crosses it.

Section 22(1) of the CGST Act 2017: registration is required once aggregate turnover in a
financial year exceeds Rs 20 lakh, or Rs 10 lakh when supplying from a special category
State; its Explanation (iii) narrows those, for this purpose, to Manipur, Mizoram, Nagaland
and Tripura (the other special category States of Article 279A(4)(g) use Rs 20 lakh). The
Rs 40 lakh limit some States adopted is for suppliers of goods only, not services.
https://taxmanagementindia.com/visitor/detail_manual.asp?ID=1946
https://lawcrux.com/data5t/gt/gtillu/registration_87.htm"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

from gql_server.core.tax.errors import TaxError, TaxErrorCode
from gql_server.core.tax.money import ZERO, amount_in
from gql_server.core.tax.payments import Receipt
from gql_server.core.tax.rules import TaxRules

GST_THRESHOLD = Decimal("2000000.00")
SPECIAL_CATEGORY_THRESHOLD = Decimal("1000000.00")
GST_SOURCE = (
    "GST registration threshold for services: CGST Act 2017 s.22(1) and Explanation (iii), "
    "Rs 20 lakh, Rs 10 lakh in Manipur, Mizoram, Nagaland and Tripura "
    "(https://taxmanagementindia.com/visitor/detail_manual.asp?ID=1946)"
)


@dataclass(frozen=True)
class State:
    """A State or Union territory: its GST state code (the first two digits of a GSTIN), its
    name, and other spellings (ISO 3166-2:IN codes old and new, older names)."""

    gst_code: str
    name: str
    aliases: tuple[str, ...] = ()
    special_category: bool = False  # the Rs 10 lakh States of s.22 Explanation (iii)


STATES: tuple[State, ...] = (
    State("01", "Jammu and Kashmir", ("JK",)),
    State("02", "Himachal Pradesh", ("HP",)),
    State("03", "Punjab", ("PB",)),
    State("04", "Chandigarh", ("CH",)),
    State("05", "Uttarakhand", ("UK", "UT", "Uttaranchal")),
    State("06", "Haryana", ("HR",)),
    State("07", "Delhi", ("DL", "NCT of Delhi", "New Delhi")),
    State("08", "Rajasthan", ("RJ",)),
    State("09", "Uttar Pradesh", ("UP",)),
    State("10", "Bihar", ("BR",)),
    State("11", "Sikkim", ("SK",)),
    State("12", "Arunachal Pradesh", ("AR",)),
    State("13", "Nagaland", ("NL",), special_category=True),
    State("14", "Manipur", ("MN",), special_category=True),
    State("15", "Mizoram", ("MZ",), special_category=True),
    State("16", "Tripura", ("TR",), special_category=True),
    State("17", "Meghalaya", ("ML",)),
    State("18", "Assam", ("AS",)),
    State("19", "West Bengal", ("WB",)),
    State("20", "Jharkhand", ("JH",)),
    State("21", "Odisha", ("OD", "OR", "Orissa")),
    State("22", "Chhattisgarh", ("CG", "CT", "Chattisgarh")),
    State("23", "Madhya Pradesh", ("MP",)),
    State("24", "Gujarat", ("GJ",)),
    State(
        "26",
        "Dadra and Nagar Haveli and Daman and Diu",
        ("25", "DH", "DD", "DN", "Daman and Diu", "Dadra and Nagar Haveli"),
    ),
    State("27", "Maharashtra", ("MH",)),
    State("29", "Karnataka", ("KA",)),
    State("30", "Goa", ("GA",)),
    State("31", "Lakshadweep", ("LD",)),
    State("32", "Kerala", ("KL",)),
    State("33", "Tamil Nadu", ("TN",)),
    State("34", "Puducherry", ("PY", "Pondicherry")),
    State("35", "Andaman and Nicobar Islands", ("AN",)),
    State("36", "Telangana", ("TG", "TS")),
    State("37", "Andhra Pradesh", ("28", "AP", "AD")),
    State("38", "Ladakh", ("LA",)),
)


def _key(text: str) -> str:
    text = text.strip().lower().replace("&", " and ")
    text = re.sub(r"^in-", "", text)
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return text.zfill(2) if text.isdigit() else text


_BY_KEY = {_key(alias): s for s in STATES for alias in (s.gst_code, s.name, *s.aliases)}


def find_state(state: str) -> State:
    """A State from its GST code ("27", "7"), ISO code ("MH", "IN-MH") or name ("maharashtra",
    "Jammu & Kashmir"); anything else is UNKNOWN_STATE."""
    found = _BY_KEY.get(_key(state)) if isinstance(state, str) else None
    if found is None:
        raise TaxError(TaxErrorCode.UNKNOWN_STATE, f"unknown Indian state or territory {state!r}")
    return found


def gst_threshold(state: str) -> Decimal:
    """The aggregate turnover above which a supplier of services in `state` must register for
    GST: Rs 10 lakh in Manipur, Mizoram, Nagaland and Tripura, Rs 20 lakh elsewhere (see the
    module docstring for the source)."""
    return SPECIAL_CATEGORY_THRESHOLD if find_state(state).special_category else GST_THRESHOLD


def gst_threshold_crossing(
    rules: TaxRules,
    threshold: Decimal,
    receipts: Sequence[Receipt],
    expected_daily: Decimal,
    as_of: date,
) -> date | None:
    """The day the financial year's aggregate turnover first exceeds `threshold`: the day of
    the receipt that took it over, when that has happened by `as_of`; otherwise the day
    `expected_daily` receipts, from the day after `as_of` to 31 March, would take it over;
    None when the year ends first. Receipts stand in for turnover (GST itself excluded); every
    receipt must fall in the year and not after `as_of` (INVALID_DATE)."""
    limit = amount_in(threshold, "threshold")
    daily = amount_in(expected_daily, "expected_daily")
    total = ZERO
    for receipt in sorted(receipts, key=lambda r: r.received_on):
        if not rules.start <= receipt.received_on <= min(as_of, rules.end):
            raise TaxError(
                TaxErrorCode.INVALID_DATE,
                f"receipt of {receipt.received_on} is outside {rules.financial_year} up to {as_of}",
            )
        total += receipt.amount
        if total > limit:
            return receipt.received_on
    if daily <= 0:
        return None
    first_day = max(as_of + timedelta(days=1), rules.start)
    days = ((limit - total) / daily).to_integral_value(rounding=ROUND_FLOOR) + 1
    if days > (rules.end - first_day).days + 1:
        return None
    return first_day + timedelta(days=int(days) - 1)
