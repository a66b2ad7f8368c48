"""Tax on total income and on a profile's receipts: worked examples from public sources (the
URL on each), the rebate edge and its marginal relief, surcharge marginal relief, and the
invariants (tax never falls as income rises; relief keeps tax within the income above
Rs 12 lakh)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gql_server.core.tax.income import TaxProfile
from gql_server.core.tax.liability import assess_tax, tax_on_total_income
from gql_server.core.tax.rule_sets import FY_2025_26, RULE_SETS, TY_2026_27
from gql_server.core.tax.rules import Regime, Scheme, TaxRules

D = Decimal
BOTH_YEARS = pytest.mark.parametrize("rules", RULE_SETS, ids=lambda r: r.financial_year)


def total_tax(rules: TaxRules, regime: Regime, income: int) -> Decimal:
    return tax_on_total_income(rules, regime, D(income)).total_tax


# --- profiles: both regimes, all three schemes ---------------------------------------------


# Source: Economic Times table by CA Naveen Wadhwa, "Full tax on income above Rs 12 lakh but
# marginal relief helps you save big" (new regime, salary Rs 15 lakh: Rs 97,500; i.e. taxable
# income Rs 14,25,000 after the Rs 75,000 standard deduction), clipped at
# https://aniltikotekar4sme.com/2026/02/01/full-tax-on-income-above-rs-12-lakh-but-marginal-relief-helps-you-save-big-know-how-much-you-will-save-after-budget-2026-the-economic-times
# Here: 44ADA receipts of Rs 28,50,000 -> 50% = Rs 14,25,000.
@BOTH_YEARS
def test_new_regime_44ada_matches_published_figure(rules: TaxRules) -> None:
    profile = TaxProfile(Regime.NEW, Scheme.SECTION_44ADA)
    result = assess_tax(rules, profile, D(2_850_000))
    assert result.computation.total_income == D(1_425_000)
    assert result.computation.tax_before_cess == D(93_750)
    assert result.computation.cess == D(3_750)
    assert result.computation.total_tax == D(97_500)


# Source: same Economic Times table, old regime, salary Rs 15 lakh: Rs 2,57,400 (taxable
# Rs 14,50,000 after the Rs 50,000 standard deduction). Here: 44ADA receipts Rs 30 lakh -> Rs 15
# lakh, less Rs 50,000 of 80C deductions -> Rs 14,50,000.
@BOTH_YEARS
def test_old_regime_44ada_with_deductions(rules: TaxRules) -> None:
    profile = TaxProfile(Regime.OLD, Scheme.SECTION_44ADA, deductions=D(50_000))
    result = assess_tax(rules, profile, D(3_000_000))
    assert result.deductions_allowed == D(50_000)
    assert result.computation.total_income == D(1_450_000)
    assert result.computation.total_tax == D(257_400)


# Source: https://www.rupeetools.in/calculators/freelance (44ADA, receipts Rs 20 lakh, taxable
# Rs 10 lakh: old regime Rs 1,17,000, new regime Rs 0).
@BOTH_YEARS
@pytest.mark.parametrize(("regime", "tax"), [(Regime.NEW, 0), (Regime.OLD, 117_000)])
def test_44ada_twenty_lakh_both_regimes(rules: TaxRules, regime: Regime, tax: int) -> None:
    result = assess_tax(rules, TaxProfile(regime, Scheme.SECTION_44ADA), D(2_000_000))
    assert result.business.income == D(1_000_000)
    assert result.computation.total_tax == D(tax)


# Source: the Economic Times table above: new regime, salary Rs 50 lakh -> Rs 10,99,800 and Rs 1
# crore -> Rs 29,25,780 (10% surcharge); old regime Rs 1 crore -> Rs 32,00,340. Taxable
# incomes Rs 49,25,000, Rs 99,25,000 and Rs 99,50,000, reached here as receipts less expenses.
@BOTH_YEARS
@pytest.mark.parametrize(
    ("regime", "receipts", "expenses", "tax"),
    [
        (Regime.NEW, 6_000_000, 1_075_000, 1_099_800),
        (Regime.NEW, 12_000_000, 2_075_000, 2_925_780),
        (Regime.OLD, 12_000_000, 2_050_000, 3_200_340),
    ],
)
def test_regular_scheme_high_incomes(
    rules: TaxRules, regime: Regime, receipts: int, expenses: int, tax: int
) -> None:
    profile = TaxProfile(regime, Scheme.REGULAR, business_expenses=D(expenses))
    assert assess_tax(rules, profile, D(receipts)).computation.total_tax == D(tax)


# Source: the Economic Times table above, salary Rs 5 crore: new regime Rs 1,89,24,750, old
# regime Rs 1,92,36,750 (25% surcharge on both, taxable just under Rs 5 crore).
@BOTH_YEARS
@pytest.mark.parametrize(
    ("regime", "income", "tax"),
    [(Regime.NEW, 49_925_000, 18_924_750), (Regime.OLD, 49_950_000, 19_236_750)],
)
def test_twenty_five_percent_surcharge(
    rules: TaxRules, regime: Regime, income: int, tax: int
) -> None:
    assert total_tax(rules, regime, income) == D(tax)


# Source: surcharge rates by regime, 37% above Rs 5 crore under the old regime only (new
# regime capped at 25%): https://cleartax.in/s/marginal-relief-surcharge
# Rs 6 crore, new: (3,00,000 + 5,76,00,000 x 30%) x 1.25 x 1.04 = 2,28,54,000;
# old: (1,12,500 + 5,90,00,000 x 30%) x 1.37 x 1.04 = 2,53,79,250.
@BOTH_YEARS
@pytest.mark.parametrize(
    ("regime", "rate", "tax"), [(Regime.NEW, "0.25", 22_854_000), (Regime.OLD, "0.37", 25_379_250)]
)
def test_surcharge_above_five_crore(rules: TaxRules, regime: Regime, rate: str, tax: int) -> None:
    computed = tax_on_total_income(rules, regime, D(60_000_000))
    assert computed.surcharge == computed.slab_tax * D(rate)
    assert computed.total_tax == D(tax)


# Source: an old-regime assessee's advance tax worked example (interior decorator "Ajay":
# receipts Rs 20 lakh, expenses Rs 12 lakh, FD interest Rs 10,000, 80C Rs 65,000 + 80D
# Rs 12,000; total income Rs 7,33,000, tax Rs 59,100 + cess Rs 2,364 = Rs 61,464)
# https://www.scribd.com/document/664805057/Advance-Tax-Example-1
# The core has one income head, so the interest is added to receipts. s.288B rounds Rs 61,464
# to Rs 61,460.
@BOTH_YEARS
def test_old_regime_regular_scheme_with_deductions(rules: TaxRules) -> None:
    profile = TaxProfile(
        Regime.OLD, Scheme.REGULAR, deductions=D(77_000), business_expenses=D(1_200_000)
    )
    result = assess_tax(rules, profile, D(2_010_000))
    assert result.computation.total_income == D(733_000)
    assert result.computation.tax_before_cess == D(59_100)
    assert result.computation.cess == D(2_364)
    assert result.computation.total_tax == D(61_460)


# Source: 44AD deems 6% of turnover received by banking/electronic modes and 8% of the rest
# https://www.taxtmi.com/acts?id=3590 ; slabs as above. Turnover Rs 1.5 crore, 20% in cash:
# 1.2 crore x 6% + 30 lakh x 8% = Rs 9,60,000. New regime: rebate -> nil. Old regime:
# 12,500 + 4,60,000 x 20% = 1,04,500, + 4% cess = Rs 1,08,680.
@BOTH_YEARS
@pytest.mark.parametrize(("regime", "tax"), [(Regime.NEW, 0), (Regime.OLD, 108_680)])
def test_44ad_digital_and_cash_rates(rules: TaxRules, regime: Regime, tax: int) -> None:
    profile = TaxProfile(regime, Scheme.SECTION_44AD)
    result = assess_tax(rules, profile, D(15_000_000), cash_share=D("0.20"))
    assert result.business.income == D(960_000)
    assert result.computation.total_tax == D(tax)


def test_new_regime_ignores_deductions() -> None:
    # s.115BAC(2): Chapter VI-A deductions such as 80C are not allowed under the new regime
    # (https://support.kdksoftware.com/portal/en/kb/articles/section-115bac).
    with_80c = TaxProfile(Regime.NEW, Scheme.SECTION_44ADA, deductions=D(150_000))
    result = assess_tax(FY_2025_26, with_80c, D(3_000_000))
    assert result.deductions_allowed == 0
    assert result.computation.total_income == D(1_500_000)


def test_old_regime_deductions_never_exceed_income() -> None:
    # s.80A(2): deductions are limited to the gross total income.
    profile = TaxProfile(Regime.OLD, Scheme.REGULAR, deductions=D(500_000))
    result = assess_tax(FY_2025_26, profile, D(300_000))
    assert result.deductions_allowed == D(300_000)
    assert result.computation.total_tax == 0


# --- the rebate and its marginal relief ----------------------------------------------------


# Source: https://inshorts.com/en/news/how-does-marginal-relief-help-people-earning-slightly-more-than--12-lakh--1738404753246
# "a person earning Rs 12.10 lakh pays only Rs 10,000 in taxes after getting marginal relief of
# Rs 51,500 on tax liability of Rs 61,500"; Rs 12 lakh pays nothing.
@BOTH_YEARS
def test_rebate_edge_at_twelve_lakh(rules: TaxRules) -> None:
    at_limit = tax_on_total_income(rules, Regime.NEW, D(1_200_000))
    assert at_limit.slab_tax == D(60_000)
    assert at_limit.rebate == D(60_000)
    assert at_limit.total_tax == 0
    above = tax_on_total_income(rules, Regime.NEW, D(1_210_000))
    assert above.slab_tax == D(61_500)
    assert above.rebate == D(51_500)
    assert above.tax_before_cess == D(10_000)
    assert above.total_tax == D(10_400)


# Source: marginal relief applies only up to about Rs 12.75 lakh
# (https://policybazaar.com/income-tax/marginal-relief-surcharge): Rs 12.5 lakh pays Rs 50,000
# (not 67,500), Rs 12.7 lakh Rs 70,000 (not 70,500), Rs 12.8 lakh the full Rs 72,000.
@pytest.mark.parametrize(
    ("income", "before_cess"), [(1_250_000, 50_000), (1_270_000, 70_000), (1_280_000, 72_000)]
)
def test_marginal_relief_band(income: int, before_cess: int) -> None:
    computed = tax_on_total_income(FY_2025_26, Regime.NEW, D(income))
    assert computed.tax_before_cess == D(before_cess)


# Source: s.87A, old regime: rebate of up to Rs 12,500 for total income up to Rs 5 lakh, no
# marginal relief (https://www.caclubindia.com/acts/26907-section-87a-income-tax-act-1961.asp).
def test_old_regime_rebate_edge() -> None:
    assert total_tax(FY_2025_26, Regime.OLD, 500_000) == 0
    assert total_tax(FY_2025_26, Regime.OLD, 500_010) == D(13_000)  # 12,502 + cess, to Rs 10


# --- surcharge marginal relief -------------------------------------------------------------


# Source: https://www.caclubindia.com/forum/marginal-relief-in-surcharge-494110.asp (old
# regime, total income Rs 50,10,000: tax 13,15,500, surcharge after marginal relief Rs 7,000,
# tax before cess Rs 13,22,500; that example used the 3% cess of its year, 4% now).
@BOTH_YEARS
def test_surcharge_marginal_relief_at_fifty_lakh(rules: TaxRules) -> None:
    computed = tax_on_total_income(rules, Regime.OLD, D(5_010_000))
    assert computed.slab_tax == D(1_315_500)
    assert computed.surcharge == D(7_000)
    assert computed.surcharge_relief == D(124_550)
    assert computed.tax_before_cess == D(1_322_500)
    assert computed.total_tax == D(1_375_400)


# Source: the marginal relief rule at each threshold (https://cleartax.in/s/marginal-relief-surcharge):
# new regime, Rs 1,00,10,000: tax + 15% surcharge = 29,70,450 would exceed the tax + 10%
# surcharge on Rs 1 crore (28,38,000) by more than the Rs 10,000 of extra income, so it is cut
# to 28,48,000.
def test_surcharge_marginal_relief_at_one_crore() -> None:
    computed = tax_on_total_income(FY_2025_26, Regime.NEW, D(10_010_000))
    assert computed.tax_before_cess == D(2_848_000)


def test_total_income_is_rounded_to_ten_rupees() -> None:
    # s.288A: Rs 2,52,844.99 -> 2,52,840; Rs 2,52,845 -> 2,52,850
    # (https://community.greythr.com/t/rounding-off-tax/6336).
    assert tax_on_total_income(FY_2025_26, Regime.OLD, D("252844.99")).total_income == D(252_840)
    assert tax_on_total_income(FY_2025_26, Regime.OLD, D(252_845)).total_income == D(252_850)


# --- invariants ----------------------------------------------------------------------------

incomes = st.integers(min_value=0, max_value=70_000_000)


@settings(max_examples=300, deadline=None)
@given(
    a=incomes,
    b=incomes,
    regime=st.sampled_from(Regime),
    rules=st.sampled_from(RULE_SETS),
)
def test_tax_never_falls_as_income_rises(a: int, b: int, regime: Regime, rules: TaxRules) -> None:
    low, high = sorted((a, b))
    assert total_tax(rules, regime, low) <= total_tax(rules, regime, high)
    before_low = tax_on_total_income(rules, regime, D(low)).tax_before_cess
    assert before_low <= tax_on_total_income(rules, regime, D(high)).tax_before_cess


@settings(max_examples=300, deadline=None)
@given(income=st.integers(min_value=1_200_001, max_value=1_300_000))
def test_relief_keeps_tax_within_income_above_twelve_lakh(income: int) -> None:
    computed = tax_on_total_income(TY_2026_27, Regime.NEW, D(income))
    assert computed.tax_before_cess <= computed.total_income - D(1_200_000)


@settings(max_examples=200, deadline=None)
@given(
    a=st.integers(min_value=0, max_value=7_500_000),
    b=st.integers(min_value=0, max_value=7_500_000),
    regime=st.sampled_from(Regime),
)
def test_44ada_tax_never_falls_as_receipts_rise(a: int, b: int, regime: Regime) -> None:
    profile = TaxProfile(regime, Scheme.SECTION_44ADA)
    low, high = sorted((a, b))
    tax_low = assess_tax(FY_2025_26, profile, D(low)).computation.total_tax
    assert tax_low <= assess_tax(FY_2025_26, profile, D(high)).computation.total_tax
