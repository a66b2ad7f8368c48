"""Rule sets per financial year, the year a date belongs to, and the coded errors for input
the rules cannot use."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gql_server.core.tax.errors import TaxError, TaxErrorCode
from gql_server.core.tax.income import TaxProfile, business_income
from gql_server.core.tax.payments import ReceiptsRange, parse_payment_kind
from gql_server.core.tax.rule_sets import (
    FY_2025_26,
    TY_2026_27,
    rules_for,
    rules_for_date,
    supported_financial_years,
)
from gql_server.core.tax.rules import Regime, Scheme, parse_regime, parse_scheme
from gql_server.core.tax.years import financial_year, financial_year_of, whole_months_between

D = Decimal


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2025, 3, 31), "2024-25"),
        (date(2025, 4, 1), "2025-26"),
        (date(2025, 12, 31), "2025-26"),
        (date(2026, 1, 15), "2025-26"),
        (date(2026, 4, 1), "2026-27"),
        (date(2099, 6, 1), "2099-00"),
    ],
)
def test_financial_year_runs_april_to_march(day: date, year: str) -> None:
    assert financial_year_of(day) == year


def test_rules_for_supported_years() -> None:
    assert supported_financial_years() == ("2025-26", "2026-27")
    assert rules_for("2025-26") is FY_2025_26
    assert rules_for("2026-27") is TY_2026_27
    assert rules_for_date(date(2026, 2, 1)) is FY_2025_26
    assert (FY_2025_26.start, FY_2025_26.end) == (date(2025, 4, 1), date(2026, 3, 31))
    assert (TY_2026_27.start, TY_2026_27.end) == (date(2026, 4, 1), date(2027, 3, 31))


@pytest.mark.parametrize("year", ["2024-25", "2027-28", "2025-2026", "2025", "", "2025-27"])
def test_other_years_are_refused_with_a_code(year: str) -> None:
    with pytest.raises(TaxError) as raised:
        rules_for(year)
    assert raised.value.code == TaxErrorCode.UNSUPPORTED_FINANCIAL_YEAR
    assert raised.value.code == "UNSUPPORTED_FINANCIAL_YEAR"
    assert isinstance(raised.value, ValueError)


def test_malformed_year_label() -> None:
    with pytest.raises(TaxError) as raised:
        financial_year("25-26")
    assert raised.value.code == TaxErrorCode.UNSUPPORTED_FINANCIAL_YEAR


def test_the_two_acts_cite_their_own_sections() -> None:
    # Same rates, renumbered sections: 115BAC -> 202, 87A -> 156, 44ADA/44AD -> 58(2),
    # 208/211 -> 404/408, 234B/234C -> 424/425, 288A/288B -> 516.
    old = FY_2025_26
    new = TY_2026_27
    assert "115BAC" in old.new_regime.slabs_source
    assert "s.202" in new.new_regime.slabs_source
    assert "87A" in old.new_regime.rebate_source
    assert "s.156" in new.new_regime.rebate_source
    assert "44ADA" in old.section_44ada.source
    assert "Sl. No. 3" in new.section_44ada.source
    assert "44AD," in old.section_44ad.source
    assert "Sl. No. 1" in new.section_44ad.source
    assert "s.208" in old.advance_tax_source
    assert "s.404" in new.advance_tax_source
    assert "s.234B" in old.interest_234b_source
    assert "s.424" in new.interest_234b_source
    assert "s.234C" in old.interest_234c_source
    assert "s.425" in new.interest_234c_source
    assert "288A" in old.rounding_source
    assert "s.516" in new.rounding_source
    assert old.new_regime.slabs == new.new_regime.slabs
    assert old.old_regime.surcharge == new.old_regime.surcharge
    assert old.version != new.version


def test_whole_months() -> None:
    assert whole_months_between(date(2025, 8, 1), date(2025, 9, 15)) == 1
    assert whole_months_between(date(2025, 6, 16), date(2025, 9, 15)) == 2
    assert whole_months_between(date(2025, 9, 15), date(2025, 9, 15)) == 0
    assert whole_months_between(date(2025, 10, 1), date(2025, 9, 15)) == 0


def test_regime_and_scheme_parse_case_insensitively() -> None:
    assert parse_regime("new") is Regime.NEW
    assert parse_scheme("section_44ada") is Scheme.SECTION_44ADA


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: parse_regime("MIDDLE"), TaxErrorCode.UNKNOWN_REGIME),
        (lambda: parse_scheme("SECTION_44AE"), TaxErrorCode.UNKNOWN_SCHEME),
        (lambda: parse_payment_kind("REFUND"), TaxErrorCode.UNKNOWN_PAYMENT_KIND),
        (lambda: TaxProfile(deductions=D(-1)), TaxErrorCode.INVALID_DEDUCTION),
        (lambda: TaxProfile(deductions=D("NaN")), TaxErrorCode.INVALID_DEDUCTION),
        (lambda: TaxProfile(deductions=D("1e20")), TaxErrorCode.INVALID_DEDUCTION),
        (lambda: TaxProfile(deductions=1.5), TaxErrorCode.INVALID_DEDUCTION),  # type: ignore[arg-type]
        (lambda: TaxProfile(business_expenses=D(-5)), TaxErrorCode.INVALID_AMOUNT),
        (lambda: TaxProfile(gst_state="Atlantis"), TaxErrorCode.UNKNOWN_STATE),
        (
            lambda: business_income(FY_2025_26, Scheme.SECTION_44AD, D(1), cash_share=D("1.5")),
            TaxErrorCode.INVALID_CASH_SHARE,
        ),
        (
            lambda: business_income(FY_2025_26, Scheme.REGULAR, D(-100)),
            TaxErrorCode.INVALID_AMOUNT,
        ),
        (lambda: ReceiptsRange(D(10), D(20), D(30)), TaxErrorCode.INVALID_RECEIPTS_RANGE),
        (lambda: rules_for("1999-00"), TaxErrorCode.UNSUPPORTED_FINANCIAL_YEAR),
    ],
)
def test_bad_input_is_a_coded_error(call: object, code: TaxErrorCode) -> None:
    assert callable(call)
    with pytest.raises(TaxError) as raised:
        call()
    assert raised.value.code == code
