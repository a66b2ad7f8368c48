"""GST registration threshold by state, and the day a year's receipts cross it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gql_server.core.tax.errors import TaxError, TaxErrorCode
from gql_server.core.tax.gst import find_state, gst_threshold, gst_threshold_crossing
from gql_server.core.tax.payments import Receipt
from gql_server.core.tax.rule_sets import FY_2025_26

D = Decimal


# Source: CGST Act s.22(1) and Explanation (iii): Rs 20 lakh, Rs 10 lakh only in Manipur,
# Mizoram, Nagaland and Tripura; the other special category States (Assam, Sikkim, Himachal
# Pradesh, Uttarakhand, ...) use Rs 20 lakh
# (https://taxmanagementindia.com/visitor/detail_manual.asp?ID=1946,
# https://lawcrux.com/data5t/gt/gtillu/registration_87.htm).
@pytest.mark.parametrize(
    ("state", "threshold"),
    [
        ("Manipur", 1_000_000),
        ("15", 1_000_000),  # Mizoram's GST code
        ("NL", 1_000_000),
        ("tripura", 1_000_000),
        ("Assam", 2_000_000),
        ("Sikkim", 2_000_000),
        ("IN-HP", 2_000_000),
        ("Uttarakhand", 2_000_000),
        ("Karnataka", 2_000_000),
        ("27", 2_000_000),
        ("7", 2_000_000),  # Delhi, without its leading zero
        ("Jammu & Kashmir", 2_000_000),
        ("Odisha", 2_000_000),
        ("Orissa", 2_000_000),
    ],
)
def test_threshold_by_state(state: str, threshold: int) -> None:
    assert gst_threshold(state) == D(threshold)


def test_state_spellings() -> None:
    assert find_state("  tamil   nadu ").gst_code == "33"
    assert find_state("TS").name == "Telangana"
    assert find_state("AP").name == "Andhra Pradesh"
    assert find_state("AR").name == "Arunachal Pradesh"


@pytest.mark.parametrize("state", ["Atlantis", "", "99", "XX"])
def test_unknown_state_is_a_coded_error(state: str) -> None:
    with pytest.raises(TaxError) as raised:
        gst_threshold(state)
    assert raised.value.code == TaxErrorCode.UNKNOWN_STATE


def test_crossing_date_ahead() -> None:
    # Rs 13 lakh by 31 July; Rs 10,000 a day from 1 August: Rs 7 lakh more takes 70 days to
    # reach Rs 20 lakh, and registration is due once turnover *exceeds* it, on day 71.
    receipts = [Receipt(date(2025, 4, 1), D(500_000)), Receipt(date(2025, 7, 1), D(800_000))]
    day = gst_threshold_crossing(
        FY_2025_26, D(2_000_000), receipts, D(10_000), as_of=date(2025, 7, 31)
    )
    assert day == date(2025, 10, 10)


def test_crossing_date_already_passed() -> None:
    receipts = [
        Receipt(date(2025, 5, 1), D(600_000)),
        Receipt(date(2025, 6, 1), D(500_000)),  # Rs 11 lakh: over Manipur's Rs 10 lakh
        Receipt(date(2025, 7, 1), D(500_000)),
    ]
    day = gst_threshold_crossing(
        FY_2025_26, gst_threshold("Manipur"), receipts, D(0), as_of=date(2025, 8, 1)
    )
    assert day == date(2025, 6, 1)


def test_exactly_at_the_threshold_is_not_over_it() -> None:
    receipts = [Receipt(date(2025, 5, 1), D(2_000_000))]
    day = gst_threshold_crossing(FY_2025_26, D(2_000_000), receipts, D(0), date(2025, 6, 1))
    assert day is None


def test_no_crossing_when_the_year_ends_first() -> None:
    day = gst_threshold_crossing(FY_2025_26, D(2_000_000), [], D("0.01"), date(2025, 4, 1))
    assert day is None
    # Rs 5,480 a day from 1 April to 31 March (365 days) is Rs 20,00,200: over on 31 March.
    assert gst_threshold_crossing(FY_2025_26, D(2_000_000), [], D(5_480), date(2025, 3, 31)) == (
        date(2026, 3, 31)
    )


def test_receipts_outside_the_year_are_refused() -> None:
    with pytest.raises(TaxError) as raised:
        gst_threshold_crossing(
            FY_2025_26, D(2_000_000), [Receipt(date(2025, 3, 31), D(1))], D(0), date(2025, 6, 1)
        )
    assert raised.value.code == TaxErrorCode.INVALID_DATE
