"""The narration decoder: named examples per bank, accuracy over the labelled set, and that
no text makes it fail."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gql_server.core.categories import categorize
from gql_server.core.statements.merchants import clean_merchant
from gql_server.core.statements.narration import Narration, PaymentMode, decode_narration
from tests.unit.narration_set import field_accuracy, field_misses, load_rows


def test_hdfc_upi_reads_every_field() -> None:
    n = decode_narration("UPI-RAVI KUMAR-ravi.k@okaxis-UTIB0000123-412345678901-Dinner")
    assert n == Narration(
        mode=PaymentMode.UPI,
        counterparty="Ravi Kumar",
        vpa="ravi.k@okaxis",
        bank="UTIB",
        reference="412345678901",
        person_to_merchant=False,
        note="Dinner",
    )


def test_hdfc_upi_merchant_with_app_boilerplate() -> None:
    n = decode_narration("UPI-SWIGGY-SWIGGY@YBL-YESB0YBLUPI-412345678901-PAYMENT FROM PHONE")
    assert (n.counterparty, n.vpa, n.bank, n.person_to_merchant, n.note) == (
        "Swiggy", "swiggy@ybl", "YESB", True, "",
    )  # fmt: skip


def test_hyphen_inside_a_vpa_stays_with_the_vpa() -> None:
    n = decode_narration("UPI-KAVITA RAO-kavita-1@paytm-PYTM0123456-509912345683-UPI")
    assert (n.counterparty, n.vpa) == ("Kavita Rao", "kavita-1@paytm")


def test_sbi_wrapper_gives_the_direction() -> None:
    debit = decode_narration("TO TRANSFER-UPI/DR/412345678901/SWIGGY/YESB/swiggy@ybl/Payment--")
    credit = decode_narration("BY TRANSFER-UPI/CR/412345678901/RAVI KUMAR/UTIB/ravi.k@okaxis/UPI--")
    assert (debit.credit, debit.counterparty, debit.bank) == (False, "Swiggy", "YESB")
    assert (credit.credit, credit.counterparty, credit.vpa) == (True, "Ravi Kumar", "ravi.k@okaxis")


def test_sbi_cut_name_and_cut_vpa() -> None:
    n = decode_narration("TO TRANSFER-UPI/DR/431909800978/Makemytr/HDFC/makemytrip/UPIIn--")
    assert (n.counterparty, n.vpa, n.person_to_merchant) == ("MakeMyTrip", None, True)


def test_icici_upi_has_no_name_so_the_vpa_names_the_merchant() -> None:
    n = decode_narration("UPI/412345678901/Payment from Ph/swiggy@ybl/YES BANK LIMITED/ICI6f1c")
    assert (n.counterparty, n.vpa, n.bank, n.reference) == (
        "Swiggy", "swiggy@ybl", "YES BANK LIMITED", "412345678901",
    )  # fmt: skip


def test_icici_newer_layout_puts_the_rrn_after_the_bank() -> None:
    n = decode_narration(
        "UPI/9812345678@ybl/Payment from Ph/AIRTEL PAYMENTS BA/412345678920/IBLa22df3f74d4d40ce"
    )
    assert (n.counterparty, n.vpa, n.bank, n.reference, n.person_to_merchant) == (
        "", "9812345678@ybl", "AIRTEL PAYMENTS BA", "412345678920", False,
    )  # fmt: skip


def test_axis_marker_decides_person_to_merchant() -> None:
    p2m = decode_narration("UPI/P2M/412345678901/SWIGGY/Payment/YES BANK")
    p2a = decode_narration("UPI/P2A/412345678901/RAVI KUMAR/UPI/HDFC BANK")
    assert (p2m.person_to_merchant, p2m.bank) == (True, "YES BANK")
    assert (p2a.person_to_merchant, p2a.counterparty, p2a.credit) == (False, "Ravi Kumar", None)


@pytest.mark.parametrize(
    ("text", "mode", "counterparty", "bank", "reference", "credit"),
    [
        ("NEFT CR-HDFC0000001-ACME TECH PVT LTD-N123456789012345", PaymentMode.NEFT,
         "Acme Tech", "HDFC", "N123456789012345", True),
        ("NEFT-ACME TECH PVT LTD-CITIN52024051512345", PaymentMode.NEFT, "Acme Tech", "CITI",
         "CITIN52024051512345", None),
        ("BY TRANSFER-NEFT*HDFC0000001*N123456789*ACME TECH--", PaymentMode.NEFT, "Acme Tech",
         "HDFC", "N123456789", True),
        ("NEFT/CITIN24123456/ACME TECH", PaymentMode.NEFT, "Acme Tech", "CITI",
         "CITIN24123456", None),
        ("IMPS-412345678901-RAVI KUMAR-SBIN-XXXXXXX1234-rent", PaymentMode.IMPS, "Ravi Kumar",
         "SBIN", "412345678901", None),
        ("MMT/IMPS/412345678901/rent/RAVI KUMAR/SBIN0001234", PaymentMode.IMPS, "Ravi Kumar",
         "SBIN", "412345678901", None),
        ("IMPS/P2A/412345678901/RAVI KUMAR/HDFC/rent", PaymentMode.IMPS, "Ravi Kumar", "HDFC",
         "412345678901", None),
        ("ACH D- TP ACH BAJAJFIN-1234567890", PaymentMode.NACH, "Bajaj Finserv", None,
         "1234567890", False),
        ("ACH/BAJAJ FINANCE LTD/ICIC7021234567891234", PaymentMode.NACH, "Bajaj Finserv", None,
         "ICIC7021234567891234", None),
        ("DEBIT-ACHDr NACH00000000002029 LIC OF INDIA", PaymentMode.NACH, "LIC", None,
         "NACH00000000002029", False),
        ("NWD-4XXXXXXXXXXX1234-S1AW123-MUMBAI", PaymentMode.ATM, "ATM", None, None, False),
        ("ATW-412345XXXXXX7890-S1ACWD01-MUMBAI", PaymentMode.ATM, "ATM", None, None, False),
        ("ATM/CASH WDL/XXXX1234/MG ROAD", PaymentMode.ATM, "ATM", None, None, False),
        ("ATM WDL-ATM CASH 1234 MG ROAD BANGALORE", PaymentMode.ATM, "ATM", None, None, False),
        ("ATM-CASH/SELF/XXXX1234", PaymentMode.ATM, "ATM", None, None, False),
        ("POS 4XXXXXXXXXXX1234 AMAZON PAY I", PaymentMode.CARD, "Amazon", None, None, None),
        ("ME DC SI 4XXXX1234 NETFLIX", PaymentMode.CARD, "Netflix", None, None, None),
        ("POS/AMAZON/BANGALORE", PaymentMode.CARD, "Amazon", None, None, None),
        ("CREDIT INTEREST CAPITALISED", PaymentMode.INTEREST, "Interest", None, None, True),
        ("CONSOLIDATED CHARGES FOR A/C", PaymentMode.CHARGES, "Bank charges", None, None, False),
        ("CHQ PAID-MICR CTS-ABC COMPUTERS-000412", PaymentMode.CHEQUE, "Abc Computers", None,
         "000412", False),
        ("BIL/ONL/001211144556/BESCOM", PaymentMode.OTHER, "BESCOM", None, "001211144556",
         False),
    ],
)  # fmt: skip
def test_other_rails(
    text: str,
    mode: PaymentMode,
    counterparty: str,
    bank: str | None,
    reference: str | None,
    credit: bool | None,
) -> None:
    n = decode_narration(text)
    assert (n.mode, n.counterparty, n.bank, n.reference, n.credit) == (
        mode, counterparty, bank, reference, credit,
    )  # fmt: skip
    assert (n.person_to_merchant, n.vpa) == (None, None)


def test_inward_remittance_reads_currency_amount_and_rate() -> None:
    n = decode_narration("INW REMIT-USD 1,200.00 @ 83.25-UPWORK ESCROW INC-HDFCR52024051512345678")
    assert n.mode is PaymentMode.REMITTANCE
    assert (n.foreign_currency, n.foreign_amount, n.rate) == (
        "USD",
        Decimal("1200.00"),
        Decimal("83.25"),
    )
    assert (n.counterparty, n.credit) == ("Upwork", True)


def test_a_rail_inside_a_longer_narration_is_found() -> None:
    n = decode_narration("/UPI/AXIS BANK UPI/P2M/611292149087/Google India Digital")
    assert (n.mode, n.reference, n.person_to_merchant) == (PaymentMode.UPI, "611292149087", True)


def test_unknown_text_is_other_with_no_counterparty() -> None:
    assert decode_narration("OPENING BALANCE") == Narration(mode=PaymentMode.OTHER)
    assert decode_narration("") == Narration(mode=PaymentMode.OTHER)


@pytest.mark.parametrize(
    ("name", "vpa", "display"),
    [
        ("SWIGGY", None, "Swiggy"),
        ("", "swiggy@ybl", "Swiggy"),
        ("Swiggy Limited", None, "Swiggy"),
        ("BUNDL TECHNOLOGIES", None, "Swiggy"),
        ("ZOMATO LTD", None, "Zomato"),
        ("", "zomato@hdfcbank", "Zomato"),
        ("AMAZON PAY I", None, "Amazon"),
        ("RAVI KUMAR", None, "Ravi Kumar"),
        ("ACME TECH PVT LTD", None, "Acme Tech"),
        ("RAZORPAY PAYMENTS PVT LTD P", None, "Razorpay Payments"),
        ("4XXXXXXXXXXX1234 AMAZON", None, "Amazon"),
        ("Mrs ADITYA NEHRA", None, "Aditya Nehra"),
        ("HDFC BANK LTD", None, "HDFC Bank"),
        ("", "ravi.kumar@okaxis", "Ravi Kumar"),
        ("", "9876543210@ybl", ""),
        ("", "q123456789@ybl", ""),
        ("", "uberoi.k@okaxis", "Uberoi K"),  # a surname, not Uber
        ("", "", ""),
    ],
)
def test_clean_merchant(name: str, vpa: str | None, display: str) -> None:
    assert clean_merchant(name, vpa) == display


@pytest.mark.parametrize(
    ("name", "vpa", "income", "category"),
    [
        ("BUNDL TECHNOLOGIES PVT LTD", None, False, "Food delivery"),
        ("", "blinkit.payu@hdfcbank", False, "Groceries"),
        ("SWIGGY INSTAMART", None, False, "Groceries"),
        ("BHARTI AIRTEL LIMITED", None, False, "Mobile & internet"),
        ("TP ACH BAJAJFIN", None, False, "EMI"),
        ("MAHARASHTRA STATE ELE", None, False, "Electricity"),
        ("UPWORK ESCROW INC", None, True, "Platform payout"),
        ("AMAZON PAY I", None, False, "Shopping"),
    ],
)
def test_cleaned_names_fall_into_the_right_category(
    name: str, vpa: str | None, income: bool, category: str
) -> None:
    assert categorize(clean_merchant(name, vpa), income=income) == category


def test_labelled_set_is_large_and_mostly_upi() -> None:
    rows = load_rows()
    assert len(rows) >= 60
    assert sum(r.mode is PaymentMode.UPI for r in rows) >= 40
    assert {r.statement_bank for r in rows} == {"HDFC", "ICICI", "SBI", "AXIS"}


def test_upi_fields_are_at_least_95_percent_right() -> None:
    upi = [r for r in load_rows() if r.mode is PaymentMode.UPI]
    accuracy = field_accuracy(upi)
    misses = [(r.narration, f, got) for r, f, got in field_misses(upi)]
    assert accuracy["all"] >= 0.95, misses
    assert min(accuracy.values()) >= 0.9, (accuracy, misses)


def test_every_labelled_field_is_mostly_right() -> None:
    accuracy = field_accuracy(load_rows())
    assert min(accuracy.values()) >= 0.9, accuracy


# Pieces narrations are made of, so generated text reaches the structured decoders.
PIECES = st.sampled_from(
    ["UPI", "NEFT", "IMPS", "RTGS", "ACH", "MMT", "ATM", "POS", "CR", "DR", "P2M", "P2A",
     "TO TRANSFER", "BY TRANSFER", "INW REMIT", "USD", "1,200.00", "@", "83.25", "412345678901",
     "YESB0YBLUPI", "swiggy@ybl", "XXXX1234", "RAVI KUMAR", "PVT LTD", "INTEREST", "CHQ", "",
     "٣٤٥", "²", "N123456789012345"]
)  # fmt: skip
SEPARATORS = st.sampled_from(["-", "/", "*", " ", "--", "- ", ":"])
NARRATION_LIKE = st.lists(st.tuples(PIECES, SEPARATORS), max_size=10).map(
    lambda pairs: "".join(piece + sep for piece, sep in pairs)
)


def _assert_valid(n: Narration) -> None:
    assert isinstance(n.mode, PaymentMode)
    assert n.counterparty == n.counterparty.strip()
    assert isinstance(n.note, str)
    if n.vpa is not None:
        assert "@" in n.vpa
        assert n.vpa == n.vpa.lower()
    if n.mode in (PaymentMode.UPI, PaymentMode.IMPS) and n.reference is not None:
        assert re.fullmatch(r"[0-9]+", n.reference)
    if n.mode is not PaymentMode.UPI:
        assert (n.person_to_merchant, n.vpa) == (None, None)
    if n.mode is not PaymentMode.REMITTANCE:
        assert (n.foreign_currency, n.foreign_amount, n.rate) == (None, None, None)
    for optional in (n.bank, n.reference):
        assert optional is None or (optional and optional == optional.strip())


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_decodes(text: str) -> None:
    _assert_valid(decode_narration(text))


@settings(max_examples=500, deadline=None)
@given(NARRATION_LIKE)
def test_narration_like_text_decodes(text: str) -> None:
    _assert_valid(decode_narration(text))
