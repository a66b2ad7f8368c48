"""Advance tax: the Rs 10,000 threshold, the instalments, and interest for deferring them
(234C / s.425) and for paying too little by the year's end (234B / s.424)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gql_server.core.tax.advance import advance_tax_payable, instalments
from gql_server.core.tax.interest import interest_234b, interest_234c
from gql_server.core.tax.payments import PaymentKind, TaxPayment
from gql_server.core.tax.rule_sets import FY_2025_26, RULE_SETS
from gql_server.core.tax.rules import Scheme, TaxRules

D = Decimal
BOTH_YEARS = pytest.mark.parametrize("rules", RULE_SETS, ids=lambda r: r.financial_year)


def advance(day: date, amount: int) -> TaxPayment:
    return TaxPayment(day, D(amount), PaymentKind.ADVANCE_TAX)


def self_assessment(day: date, amount: int) -> TaxPayment:
    return TaxPayment(day, D(amount), PaymentKind.SELF_ASSESSMENT)


# --- section 208 / 404 ---------------------------------------------------------------------


# Source: advance tax is payable only when the year's tax is Rs 10,000 or more
# (https://eztax.in/income-tax-act-2025/section-404; 1961 Act s.208).
@BOTH_YEARS
def test_no_advance_tax_below_ten_thousand(rules: TaxRules) -> None:
    assert advance_tax_payable(rules, D(61_460), D(51_470)) == 0  # Rs 9,990 after TDS
    assert advance_tax_payable(rules, D(61_460), D(51_460)) == D(10_000)
    assert instalments(rules, Scheme.REGULAR, D(0), [], rules.start) == ()
    # and no interest for deferment either: the assessee was not liable to pay advance tax
    assert interest_234c(rules, Scheme.REGULAR, D(9_990), []).total == 0


# Source: "Ajay" worked example, tax Rs 61,464 less TDS Rs 30,000 paid in four instalments of
# 15/45/75/100% (https://www.scribd.com/document/664805057/Advance-Tax-Example-1); with the
# total rounded to Rs 61,460 (s.288B) the cumulative dues are 4,720 / 14,160 / 23,600 / 31,460.
@BOTH_YEARS
def test_instalments_of_a_regular_year(rules: TaxRules) -> None:
    payable = advance_tax_payable(rules, D(61_460), D(30_000))
    assert payable == D(31_460)
    paid = [advance(rules.start.replace(month=6, day=10), 5_000)]
    rows = instalments(rules, Scheme.REGULAR, payable, paid, rules.end)
    assert [r.due_date for r in rows] == [
        date(rules.start.year, 6, 15),
        date(rules.start.year, 9, 15),
        date(rules.start.year, 12, 15),
        date(rules.end.year, 3, 15),
    ]
    assert [r.cumulative_percent for r in rows] == [15, 45, 75, 100]
    assert [r.cumulative_due for r in rows] == [4_720, 14_160, 23_600, 31_460]
    assert [r.shortfall for r in rows] == [0, 9_160, 18_600, 26_460]


# Source: under 44AD/44ADA the whole advance tax is due by 15 March (s.211(1)(b); 2025 Act
# s.408(2)) (https://aubsp.com/income-tax-act-2025-section-408).
@BOTH_YEARS
@pytest.mark.parametrize("scheme", [Scheme.SECTION_44ADA, Scheme.SECTION_44AD])
def test_presumptive_schemes_pay_once_by_15_march(rules: TaxRules, scheme: Scheme) -> None:
    rows = instalments(rules, scheme, D(52_000), [], rules.start)
    assert len(rows) == 1
    assert rows[0].due_date == date(rules.end.year, 3, 15)
    assert rows[0].cumulative_due == D(52_000)


# --- 234C / s.425 --------------------------------------------------------------------------


# Source: the 12% safe harbour and the 15% base: "if he has paid only Rs.10 (10% of Rs.100) ...
# interest u/s 234-C on (Rs.15 [not Rs.12] - Rs.10) x 1% x 3 months"
# (https://caclubindia.com/forum/234c-393583.asp); the June instalment paid late, on 20 June,
# counts as nothing paid by 15 June (https://www.taxtmi.com/manuals?id=1457).
@BOTH_YEARS
def test_234c_late_june_instalment(rules: TaxRules) -> None:
    year = rules.start.year
    paid = [
        advance(date(year, 6, 20), 15_000),  # five days late
        advance(date(year, 9, 15), 30_000),
        advance(date(year, 12, 15), 30_000),
        advance(date(year + 1, 3, 15), 25_000),
    ]
    result = interest_234c(rules, Scheme.REGULAR, D(100_000), paid)
    june = result.instalments[0]
    assert (june.paid, june.shortfall, june.interest) == (0, D(15_000), D(450))
    assert [r.interest for r in result.instalments[1:]] == [0, 0, 0]
    assert result.total == D(450)


@BOTH_YEARS
def test_234c_shortfall_and_safe_harbours(rules: TaxRules) -> None:
    year = rules.start.year
    # 10% by June (below 12%): 3% of (15% - 10%); 40% by September (above 36%): nothing;
    # 70% by December: 3% of 5%; 95% by March: 1% of 5%.
    paid = [
        advance(date(year, 6, 1), 10_000),
        advance(date(year, 9, 1), 30_000),
        advance(date(year, 12, 1), 30_000),
        advance(date(year + 1, 3, 1), 25_000),
    ]
    result = interest_234c(rules, Scheme.REGULAR, D(100_000), paid)
    assert [r.interest for r in result.instalments] == [150, 0, 150, 50]
    assert result.total == D(350)


def test_234c_base_is_rounded_down_to_hundreds() -> None:
    # Rule 119A(c): 15% of Rs 1,23,456 = 18,518.40 -> Rs 18,500; 3% of it = Rs 555
    # (https://www.taxtmi.com/acts?id=3961).
    result = interest_234c(FY_2025_26, Scheme.REGULAR, D(123_456), [])
    assert result.instalments[0].shortfall == D(18_500)
    assert result.instalments[0].interest == D(555)


# Source: 44AD/44ADA: 1% for one month on (100% - paid by 15 March), nothing for the earlier
# dates (https://taxmanagementindia.com/visitor/detail_manual.asp?ID=3366).
@BOTH_YEARS
def test_234c_presumptive_only_march(rules: TaxRules) -> None:
    paid = [advance(date(rules.end.year, 3, 10), 80_000)]
    result = interest_234c(rules, Scheme.SECTION_44ADA, D(100_000), paid)
    assert len(result.instalments) == 1
    assert result.instalments[0].shortfall == D(20_000)
    assert result.total == D(200)


def test_234c_counts_only_instalments_already_due() -> None:
    result = interest_234c(FY_2025_26, Scheme.REGULAR, D(100_000), [], through=date(2025, 9, 15))
    assert [r.due_date for r in result.instalments] == [date(2025, 6, 15)]
    assert result.total == D(450)


# --- 234B / s.424 --------------------------------------------------------------------------


# Source: https://www.caclubindia.com/experts/interest-u-s-234b-1120124.asp : shortfall
# Rs 22,09,577 charged 1% a month April-September (6 months), Rs 7,54,380 paid in September,
# the remaining Rs 14,55,197 charged for October: the answer gives Rs 1,47,127 without the
# rule 119A rounding; with the bases rounded down to Rs 100 (22,09,500 and 14,55,100) it is
# 1,32,570 + 14,551 = Rs 1,47,121. Dates moved to FY 2025-26.
@BOTH_YEARS
def test_234b_with_a_self_assessment_payment(rules: TaxRules) -> None:
    after = rules.end.year
    payments = [self_assessment(date(after, 9, 20), 754_380)]
    result = interest_234b(rules, D(2_209_577), payments, date(after, 10, 10))
    assert result.applies
    assert result.shortfall == D(2_209_500)
    assert result.months == 7
    assert result.interest == D(147_121)


@BOTH_YEARS
def test_234b_only_below_ninety_percent(rules: TaxRules) -> None:
    march = date(rules.end.year, 3, 10)
    until = date(rules.end.year, 7, 31)  # 4 months: April to July
    paid_enough = interest_234b(rules, D(100_000), [advance(march, 90_000)], until)
    assert not paid_enough.applies
    assert paid_enough.interest == 0
    short = interest_234b(rules, D(100_000), [advance(march, 89_990)], until)
    assert short.applies
    assert short.shortfall == D(10_000)
    assert short.interest == D(400)


def test_234b_advance_tax_paid_by_31_march_still_counts() -> None:
    # s.211 proviso / s.408(3): advance tax paid by 31 March is advance tax of the year.
    paid = [advance(date(2026, 3, 31), 100_000)]
    assert interest_234b(FY_2025_26, D(100_000), paid, date(2026, 7, 31)).interest == 0
    late = [advance(date(2026, 4, 1), 100_000)]
    result = interest_234b(FY_2025_26, D(100_000), late, date(2026, 7, 31))
    assert result.interest == D(1_000)  # April only: paid in April, nothing left after


def test_234b_needs_a_liability_to_pay_advance_tax() -> None:
    assert not interest_234b(FY_2025_26, D(9_990), [], date(2026, 9, 30)).applies
