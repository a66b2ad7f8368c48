"""The year's outlook: tax on expected receipts and its range, instalments with what each still
needs, interest already incurred, the monthly set-aside, known outflows for the forecast, the
GST date and the sources. Every test sets its own as-of date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gql_server.core.tax.errors import TaxError, TaxErrorCode
from gql_server.core.tax.income import TaxProfile
from gql_server.core.tax.outlook import DueAmount, TaxOutlook, instalment_outflows, tax_outlook
from gql_server.core.tax.payments import PaymentKind, Receipt, ReceiptsRange, TaxPayment
from gql_server.core.tax.rule_sets import FY_2025_26, TY_2026_27
from gql_server.core.tax.rules import Regime, Scheme

D = Decimal


def monthly_receipts(year: int, months: tuple[int, ...], amount: int) -> list[Receipt]:
    return [Receipt(date(year, m, 5), D(amount)) for m in months]


def tds(day: date, amount: int) -> TaxPayment:
    return TaxPayment(day, D(amount), PaymentKind.TDS)


def advance(day: date, amount: int) -> TaxPayment:
    return TaxPayment(day, D(amount), PaymentKind.ADVANCE_TAX)


# A designer on the regular scheme, new regime, Karnataka: Rs 3 lakh a month April-July with
# 10% TDS, Rs 24 lakh (18-30) expected for the rest of the year, Rs 6 lakh of expenses, and a
# June instalment of Rs 20,000 paid five days late. Tax on Rs 30 lakh (new regime):
# 3,00,000 + 6,00,000 x 30% = 4,80,000 + 4% cess = Rs 4,99,200 (slabs: s.115BAC(1A),
# https://www.taxtmi.com/manuals?id=7939); less TDS Rs 1,20,000 = Rs 3,79,200 of advance tax.
def regular_outlook(as_of: date = date(2025, 8, 1)) -> TaxOutlook:
    profile = TaxProfile(
        Regime.NEW, Scheme.REGULAR, business_expenses=D(600_000), gst_state="Karnataka"
    )
    months = (4, 5, 6, 7)
    return tax_outlook(
        "2025-26",
        profile,
        receipts=monthly_receipts(2025, months, 300_000),
        expected_rest=ReceiptsRange(D(2_400_000), D(1_800_000), D(3_000_000)),
        as_of=as_of,
        payments=[tds(date(2025, m, 5), 30_000) for m in months]
        + [advance(date(2025, 6, 20), 20_000)],
    )


def test_regular_outlook_figures() -> None:
    outlook = regular_outlook()
    assert outlook.financial_year == "2025-26"
    assert outlook.receipts_to_date == D(1_200_000)
    assert outlook.gross_receipts == D(3_600_000)
    assert outlook.taxable_income == D(3_000_000)
    assert (outlook.tax_before_cess, outlook.cess, outlook.total_tax) == (480_000, 19_200, 499_200)
    # Rs 24 lakh taxable -> 3,12,000; Rs 36 lakh -> 6,86,400.
    assert (outlook.total_tax_range.low, outlook.total_tax_range.high) == (312_000, 686_400)
    assert outlook.tds_credited == D(120_000)
    assert outlook.advance_tax_paid == D(20_000)
    assert outlook.advance_tax_due
    assert outlook.advance_tax_payable == D(379_200)
    assert outlook.balance_payable == D(359_200)


def test_regular_outlook_instalments_and_interest() -> None:
    outlook = regular_outlook()
    assert [(r.cumulative_due, r.paid, r.shortfall) for r in outlook.instalments] == [
        (56_880, 0, 56_880),  # the payment of 20 June missed 15 June
        (170_640, 20_000, 150_640),
        (284_400, 20_000, 264_400),
        (379_200, 20_000, 359_200),
    ]
    # 234C on June only (later ones assumed paid on time): 3% of Rs 56,800 (rule 119A)
    # (https://www.taxtmi.com/manuals?id=1457).
    assert outlook.interest_234c == D(1_704)
    assert outlook.interest_234b == 0  # the year is still running


def test_regular_outlook_what_to_pay_and_set_aside() -> None:
    outlook = regular_outlook()
    assert outlook.upcoming == (
        DueAmount(date(2025, 9, 15), D(150_640)),  # June's shortfall rolls in
        DueAmount(date(2025, 12, 15), D(113_760)),
        DueAmount(date(2026, 3, 15), D(94_800)),
    )
    assert outlook.next_instalment == outlook.upcoming[0]
    assert instalment_outflows(outlook) == (
        (date(2025, 9, 15), D(150_640)),
        (date(2025, 12, 15), D(113_760)),
        (date(2026, 3, 15), D(94_800)),
    )
    # One whole month to 15 September needs all of Rs 1,50,640 this month; the later dates
    # need less a month (2,64,400 / 4, 3,59,200 / 7).
    assert outlook.monthly_set_aside == D(150_640)
    later = regular_outlook(as_of=date(2025, 9, 16))
    assert later.next_instalment == DueAmount(date(2025, 12, 15), D(264_400))
    assert later.monthly_set_aside == D(132_200)  # Rs 2,64,400 over 2 whole months


def test_regular_outlook_gst_and_sources() -> None:
    outlook = regular_outlook()
    assert outlook.gst_threshold == D(2_000_000)
    # Rs 12 lakh so far; Rs 24 lakh over the 242 days left is Rs 9,917.36 a day: Rs 8 lakh more
    # is exceeded on the 81st day, 21 October.
    assert outlook.gst_threshold_reached_on == date(2025, 10, 21)
    text = " ".join(outlook.sources)
    for cited in ("FY 2025-26", "115BAC", "87A", "288A", "s.208", "s.234B", "s.234C", "119A"):
        assert cited in text
    assert "s.22(1)" in text


def test_presumptive_outlook_under_the_2025_act() -> None:
    # 44ADA professional, tax year 2026-27: Rs 40 lakh of receipts -> Rs 20 lakh deemed;
    # new regime tax 2,00,000 + cess = Rs 2,08,000, less Rs 40,000 TDS: Rs 1,68,000 due in
    # one instalment by 15 March 2027 (s.408(2), https://aubsp.com/income-tax-act-2025-section-408).
    profile = TaxProfile(Regime.NEW, Scheme.SECTION_44ADA)
    outlook = tax_outlook(
        TY_2026_27,
        profile,
        receipts=monthly_receipts(2026, (4, 6, 8, 10), 500_000),
        expected_rest=ReceiptsRange(D(2_000_000), D(2_000_000), D(2_000_000)),
        as_of=date(2026, 12, 20),
        tds_credited=D(40_000),
    )
    assert outlook.total_tax == D(208_000)
    assert [(r.due_date, r.cumulative_due) for r in outlook.instalments] == [
        (date(2027, 3, 15), D(168_000))
    ]
    assert outlook.interest_234c == 0  # nothing was due before 15 March
    assert outlook.next_instalment == DueAmount(date(2027, 3, 15), D(168_000))
    assert outlook.monthly_set_aside == D(84_000)  # 20 Dec -> 15 Mar: 2 whole months
    assert outlook.gst_threshold is None  # no state on the profile
    text = " ".join(outlook.sources)
    for cited in ("tax year 2026-27", "s.202", "s.156", "Sl. No. 3", "s.404", "s.425", "s.516"):
        assert cited in text


def presumptive_after_march(as_of: date, payments: list[TaxPayment]) -> TaxOutlook:
    return tax_outlook(
        FY_2025_26,
        TaxProfile(Regime.NEW, Scheme.SECTION_44ADA),
        receipts=monthly_receipts(2025, (4, 6, 8, 10), 1_000_000),
        expected_rest=ReceiptsRange(D(0), D(0), D(0)),
        as_of=as_of,
        tds_credited=D(40_000),
        payments=[advance(date(2026, 3, 10), 100_000), *payments],
    )


def test_between_15_and_31_march_the_rest_is_due_by_31_march() -> None:
    # Tax Rs 2,08,000 less TDS: Rs 1,68,000; Rs 1,00,000 paid by 15 March leaves Rs 68,000,
    # which still counts as advance tax if paid by 31 March (s.211 proviso). 234C: 1% of it.
    outlook = presumptive_after_march(date(2026, 3, 20), [])
    assert outlook.next_instalment == DueAmount(date(2026, 3, 31), D(68_000))
    assert outlook.interest_234c == D(680)
    assert outlook.interest_234b == 0
    assert outlook.monthly_set_aside == D(68_000)


def test_after_the_year_234b_runs_until_paid() -> None:
    # Rs 1,00,000 is below 90% of Rs 1,68,000: 234B of 1% a month on Rs 68,000 from April
    # (https://www.taxtmi.com/acts?id=4095).
    unpaid = presumptive_after_march(date(2026, 6, 10), [])
    assert unpaid.interest_234b == D(2_040)  # April, May, June
    assert unpaid.interest_234c == D(680)
    assert unpaid.balance_payable == D(68_000)
    assert unpaid.upcoming == ()
    assert unpaid.next_instalment is None
    assert unpaid.monthly_set_aside == 0
    paid = presumptive_after_march(
        date(2026, 6, 10), [TaxPayment(date(2026, 5, 5), D(68_000), PaymentKind.SELF_ASSESSMENT)]
    )
    assert paid.interest_234b == D(1_360)  # April and May only
    assert paid.self_assessment_paid == D(68_000)
    assert paid.balance_payable == 0


def test_section_208_threshold_in_the_outlook() -> None:
    # Old regime, total income Rs 5,60,000: 12,500 + 12,000 = 24,500 + cess = Rs 25,480; TDS of
    # Rs 15,490 leaves Rs 9,990: no advance tax, no instalments, no interest (s.208).
    profile = TaxProfile(Regime.OLD, Scheme.SECTION_44ADA)
    outlook = tax_outlook(
        FY_2025_26,
        profile,
        receipts=[Receipt(date(2025, 5, 1), D(1_120_000))],
        expected_rest=ReceiptsRange(D(0), D(0), D(0)),
        as_of=date(2026, 2, 1),
        tds_credited=D(15_490),
    )
    assert outlook.total_tax == D(25_480)
    assert not outlook.advance_tax_due
    assert outlook.instalments == ()
    assert outlook.upcoming == ()
    assert outlook.interest_234c == 0
    assert outlook.balance_payable == D(9_990)


def test_scheme_limit_exceeded_in_the_outlook() -> None:
    # 44ADA with Rs 60 lakh expected and 10% in cash: over the limit, so the regular
    # computation and its four instalments apply, and the outlook says so.
    profile = TaxProfile(Regime.NEW, Scheme.SECTION_44ADA, business_expenses=D(2_000_000))
    outlook = tax_outlook(
        FY_2025_26,
        profile,
        receipts=[Receipt(date(2025, 4, 10), D(1_000_000))],
        expected_rest=ReceiptsRange(D(5_000_000), D(3_000_000), D(5_000_000)),
        as_of=date(2025, 5, 1),
        cash_share=D("0.10"),
    )
    assert outlook.scheme is Scheme.SECTION_44ADA
    assert outlook.scheme_applied is Scheme.REGULAR
    assert outlook.scheme_problem is not None
    assert outlook.taxable_income == D(4_000_000)
    assert len(outlook.instalments) == 4
    # the low end (Rs 40 lakh of receipts) is within the Rs 50 lakh limit: 50% of it
    assert outlook.total_tax_range.low == D(208_000)
    assert "Regular computation" in " ".join(outlook.sources)


def test_registered_user_has_no_gst_date() -> None:
    profile = TaxProfile(gst_state="Manipur", gst_registered=True)
    outlook = tax_outlook(
        FY_2025_26,
        profile,
        receipts=[Receipt(date(2025, 4, 10), D(1_500_000))],
        expected_rest=ReceiptsRange(D(0), D(0), D(0)),
        as_of=date(2025, 5, 1),
    )
    assert outlook.gst_threshold == D(1_000_000)
    assert outlook.gst_threshold_reached_on is None


@pytest.mark.parametrize(
    ("receipts", "payments"),
    [
        ([Receipt(date(2025, 3, 31), D(1))], []),  # before the year
        ([Receipt(date(2025, 9, 1), D(1))], []),  # after as-of
        ([], [advance(date(2025, 3, 1), 1)]),  # advance tax before the year
        ([], [advance(date(2025, 9, 1), 1)]),  # a payment after as-of
    ],
)
def test_dates_outside_the_year_or_after_as_of_are_refused(
    receipts: list[Receipt], payments: list[TaxPayment]
) -> None:
    with pytest.raises(TaxError) as raised:
        tax_outlook(
            FY_2025_26,
            TaxProfile(),
            receipts=receipts,
            expected_rest=ReceiptsRange(D(0), D(0), D(0)),
            as_of=date(2025, 8, 1),
            payments=payments,
        )
    assert raised.value.code == TaxErrorCode.INVALID_DATE


def test_unsupported_year_by_name() -> None:
    with pytest.raises(TaxError) as raised:
        tax_outlook(
            "2030-31",
            TaxProfile(),
            receipts=[],
            expected_rest=ReceiptsRange(D(0), D(0), D(0)),
            as_of=date(2030, 5, 1),
        )
    assert raised.value.code == TaxErrorCode.UNSUPPORTED_FINANCIAL_YEAR
