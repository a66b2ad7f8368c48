"""Business income under each scheme, and what happens when receipts outgrow a presumptive
scheme: the scheme is not kept silently; income is computed under the regular provisions and
the problem is reported."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gql_server.core.tax.income import business_income
from gql_server.core.tax.rule_sets import FY_2025_26, RULE_SETS
from gql_server.core.tax.rules import Scheme, TaxRules

D = Decimal
BOTH_YEARS = pytest.mark.parametrize("rules", RULE_SETS, ids=lambda r: r.financial_year)


# Source: taxfilr 44ADA example, receipts Rs 10 lakh -> Rs 5 lakh taxable
# (https://taxfilr.com/tax_glossary/section-44ada-presumptive-taxation-for-professionals).
@BOTH_YEARS
def test_44ada_deems_half_of_receipts(rules: TaxRules) -> None:
    income = business_income(rules, Scheme.SECTION_44ADA, D(1_000_000), business_expenses=D(9))
    assert income.income == D(500_000)
    assert income.scheme_applied is Scheme.SECTION_44ADA
    assert income.scheme_problem is None


# Source: Finance Act 2023 raised the 44ADA limit from Rs 50 lakh to Rs 75 lakh where cash
# receipts are at most 5% (https://www.taxtmi.com/acts?id=41194); worked limit check: Rs 70
# lakh of receipts allows cash of at most Rs 3.5 lakh
# (https://support.kdksoftware.com/portal/en/kb/articles/44ada-feeding-budget-2023).
@BOTH_YEARS
@pytest.mark.parametrize(
    ("receipts", "cash_share", "limit", "applies"),
    [
        (7_000_000, "0.05", 7_500_000, True),
        (7_500_000, "0", 7_500_000, True),
        (7_000_000, "0.0501", 5_000_000, False),
        (5_000_000, "0.50", 5_000_000, True),
        (7_500_001, "0", 7_500_000, False),
    ],
)
def test_44ada_limits(
    rules: TaxRules, receipts: int, cash_share: str, limit: int, applies: bool
) -> None:
    income = business_income(
        rules,
        Scheme.SECTION_44ADA,
        D(receipts),
        cash_share=D(cash_share),
        business_expenses=D(1_000_000),
    )
    assert income.receipts_limit == D(limit)
    assert (income.scheme_problem is None) is applies
    if applies:
        assert income.income == D(receipts) / 2
    else:
        assert income.scheme_applied is Scheme.REGULAR
        assert income.income == D(receipts) - D(1_000_000)


def test_scheme_limit_exceeded_is_reported_not_hidden() -> None:
    # 44ADA receipts Rs 60 lakh with 10% in cash: over the Rs 50 lakh limit, and the Rs 75
    # lakh limit is closed by the cash share. Income is receipts less the declared expenses.
    income = business_income(
        FY_2025_26,
        Scheme.SECTION_44ADA,
        D(6_000_000),
        cash_share=D("0.10"),
        business_expenses=D(2_000_000),
    )
    assert income.scheme is Scheme.SECTION_44ADA
    assert income.scheme_applied is Scheme.REGULAR
    assert income.income == D(4_000_000)
    assert income.scheme_problem is not None
    assert "Section 44ADA no longer applies" in income.scheme_problem
    assert "₹60,00,000" in income.scheme_problem
    assert "₹50,00,000" in income.scheme_problem
    assert "at most 5%; they are 10%" in income.scheme_problem


# Source: 44AD limit Rs 2 crore, Rs 3 crore when cash is at most 5%
# (https://www.taxtmi.com/acts?id=41387); 6% of digital, 8% of cash turnover
# (https://www.taxtmi.com/acts?id=3590).
@BOTH_YEARS
def test_44ad_limits_and_rates(rules: TaxRules) -> None:
    digital = business_income(rules, Scheme.SECTION_44AD, D(30_000_000), cash_share=D("0.05"))
    assert digital.scheme_problem is None
    # 2.85 crore x 6% + 15 lakh x 8%
    assert digital.income == D(1_710_000) + D(120_000)
    over = business_income(rules, Scheme.SECTION_44AD, D(25_000_000), cash_share=D("0.06"))
    assert over.scheme_applied is Scheme.REGULAR
    assert over.receipts_limit == D(20_000_000)
    assert over.income == D(25_000_000)  # no expenses declared: every rupee, an upper bound
    assert over.scheme_problem is not None
    assert "Section 44AD no longer" in over.scheme_problem


def test_regular_income_is_receipts_less_expenses_never_negative() -> None:
    assert business_income(
        FY_2025_26, Scheme.REGULAR, D(900_000), business_expenses=D(300_000)
    ).income == D(600_000)
    assert business_income(
        FY_2025_26, Scheme.REGULAR, D(100_000), business_expenses=D(300_000)
    ).income == D(0)
