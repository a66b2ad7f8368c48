"""The tax on a year's total income under either regime: slabs, rebate (with its marginal
relief), surcharge (with marginal relief at each threshold), cess, and the Acts' rounding;
and the whole assessment of a profile's receipts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from gql_server.core.tax.income import BusinessIncome, TaxProfile, business_income
from gql_server.core.tax.money import ZERO, amount_in, paise, round_to_ten
from gql_server.core.tax.rules import Regime, RegimeRules, TaxRules, parse_regime


@dataclass(frozen=True)
class TaxComputation:
    """Tax on one total income. `tax_before_cess` = slab tax - rebate + surcharge (after its
    marginal relief); `total_tax` = that plus cess, rounded to the nearest Rs 10."""

    regime: Regime
    total_income: Decimal
    slab_tax: Decimal
    rebate: Decimal
    surcharge: Decimal
    surcharge_relief: Decimal
    tax_before_cess: Decimal
    cess: Decimal
    total_tax: Decimal


def slab_tax(rules: RegimeRules, total_income: Decimal) -> Decimal:
    """Income-tax at the regime's slab rates: each slab's rate on the part of the income that
    falls in it (sources: `rules.slabs_source`)."""
    tax, lower = ZERO, ZERO
    for slab in rules.slabs:
        upper = total_income if slab.upto is None else min(slab.upto, total_income)
        if upper > lower:
            tax += (upper - lower) * slab.rate
        if slab.upto is None or total_income <= slab.upto:
            break
        lower = slab.upto
    return paise(tax)


def rebate(rules: RegimeRules, total_income: Decimal, tax: Decimal) -> Decimal:
    """Rebate for a resident individual: the whole tax up to the maximum when total income is
    within the limit (new regime Rs 60,000 up to Rs 12 lakh; old Rs 12,500 up to Rs 5 lakh).
    New regime just above Rs 12 lakh (marginal relief): the tax is cut to the income above
    Rs 12 lakh when it would exceed it. 1961 Act s.87A; 2025 Act s.156."""
    limit = rules.rebate.income_limit
    if total_income <= limit:
        return min(tax, rules.rebate.maximum)
    excess = total_income - limit
    if rules.rebate.marginal_relief and tax > excess:
        return tax - excess
    return ZERO


def _tax_with_surcharge(rules: RegimeRules, total_income: Decimal) -> tuple[Decimal, Decimal]:
    """(surcharge, marginal relief) on the tax after rebate. Marginal relief: tax + surcharge
    may exceed the tax + surcharge on an income of exactly the threshold by no more than the
    income above the threshold (Finance Act, First Schedule, provisos to the surcharge)."""
    tax = slab_tax(rules, total_income)
    tax -= rebate(rules, total_income, tax)
    band = next((b for b in reversed(rules.surcharge) if total_income > b.above), None)
    if band is None:
        return ZERO, ZERO
    full = tax * band.rate
    at_threshold = _tax_after_surcharge(rules, band.above)
    allowed = min(tax + full, at_threshold + total_income - band.above) - tax
    allowed = max(allowed, ZERO)
    return paise(allowed), paise(full - allowed)


def _tax_after_surcharge(rules: RegimeRules, total_income: Decimal) -> Decimal:
    tax = slab_tax(rules, total_income)
    tax -= rebate(rules, total_income, tax)
    return tax + _tax_with_surcharge(rules, total_income)[0]


def tax_on_total_income(
    rules: TaxRules, regime: Regime | str, total_income: Decimal
) -> TaxComputation:
    """Tax for a resident individual below 60 on `total_income` (rounded to the nearest Rs 10
    first, s.288A / s.516): slab tax, less rebate, plus surcharge after marginal relief, plus
    4% Health and Education Cess on both; the total rounded to the nearest Rs 10 (s.288B /
    s.516). Sources: the regime's and the rules' `*_source` fields."""
    chosen = parse_regime(regime)
    regime_rules = rules.regime(chosen)
    income = round_to_ten(amount_in(total_income, "total_income"))
    tax = slab_tax(regime_rules, income)
    relief = rebate(regime_rules, income, tax)
    surcharge, surcharge_relief = _tax_with_surcharge(regime_rules, income)
    before_cess = tax - relief + surcharge
    cess = paise(before_cess * rules.cess_rate)
    return TaxComputation(
        regime=chosen,
        total_income=income,
        slab_tax=tax,
        rebate=relief,
        surcharge=surcharge,
        surcharge_relief=surcharge_relief,
        tax_before_cess=before_cess,
        cess=cess,
        total_tax=round_to_ten(before_cess + cess),
    )


@dataclass(frozen=True)
class TaxAssessment:
    """A profile's tax on a year's gross receipts: business income, the deductions that count,
    and the computation on the resulting total income."""

    financial_year: str
    business: BusinessIncome
    gross_total_income: Decimal
    deductions_claimed: Decimal
    deductions_allowed: Decimal
    computation: TaxComputation


def assess_tax(
    rules: TaxRules,
    profile: TaxProfile,
    gross_receipts: Decimal,
    *,
    cash_share: Decimal = ZERO,
) -> TaxAssessment:
    """Gross total income = business income (`income.business_income`); under the OLD regime
    the declared deductions come off it, never more than all of it (1961 Act s.80A(2)); under
    the NEW regime none do (s.115BAC(2) / s.202). The tax is `tax_on_total_income` of what
    remains."""
    business = business_income(
        rules,
        profile.scheme,
        gross_receipts,
        cash_share=cash_share,
        business_expenses=profile.business_expenses,
    )
    gross_total = business.income
    allowed = ZERO
    if rules.regime(profile.regime).deductions_allowed:
        allowed = min(profile.deductions, gross_total)
    computation = tax_on_total_income(rules, profile.regime, gross_total - allowed)
    return TaxAssessment(
        financial_year=rules.financial_year,
        business=business,
        gross_total_income=gross_total,
        deductions_claimed=profile.deductions,
        deductions_allowed=allowed,
        computation=computation,
    )
