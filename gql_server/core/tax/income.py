"""Business income for the year: deemed under a presumptive scheme while the receipts stay
within its limit, otherwise receipts less business expenses; and the profile that chooses."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from gql_server.core.money_format import format_inr
from gql_server.core.tax.errors import TaxErrorCode
from gql_server.core.tax.gst import find_state
from gql_server.core.tax.money import ZERO, amount_in, paise, share_in
from gql_server.core.tax.rules import (
    PresumptiveRules,
    Regime,
    Scheme,
    TaxRules,
    parse_regime,
    parse_scheme,
)


@dataclass(frozen=True)
class TaxProfile:
    """How the user is taxed. `deductions`: Chapter VI-A (80C, 80D, ...) claimed for the year,
    counted only under the OLD regime. `business_expenses`: the year's expenses of the
    business, deducted from receipts only under REGULAR. `gst_state`: GST state code or name
    (None: not known)."""

    regime: Regime = Regime.NEW
    scheme: Scheme = Scheme.REGULAR
    deductions: Decimal = ZERO
    business_expenses: Decimal = ZERO
    gst_state: str | None = None
    gst_registered: bool = False

    def __post_init__(self) -> None:
        # Frozen: parsing on the way in is the one write, so a profile always holds valid values.
        object.__setattr__(self, "regime", parse_regime(self.regime))
        object.__setattr__(self, "scheme", parse_scheme(self.scheme))
        deductions = amount_in(self.deductions, "deductions", TaxErrorCode.INVALID_DEDUCTION)
        object.__setattr__(self, "deductions", deductions)
        object.__setattr__(
            self, "business_expenses", amount_in(self.business_expenses, "business_expenses")
        )
        if self.gst_state is not None:
            find_state(self.gst_state)  # UNKNOWN_STATE now, not when the outlook is computed


@dataclass(frozen=True)
class BusinessIncome:
    """Profits and gains of the year. `scheme_applied` is REGULAR when the chosen presumptive
    scheme does not apply (receipts over its limit), and `scheme_problem` then says why."""

    scheme: Scheme
    scheme_applied: Scheme
    gross_receipts: Decimal
    income: Decimal
    receipts_limit: Decimal | None
    scheme_problem: str | None


def receipts_limit(rules: PresumptiveRules, cash_share: Decimal) -> Decimal:
    """The scheme's receipts limit: the raised one (Rs 75 lakh / Rs 3 crore) when cash is at
    most 5% of receipts, else the base one (Rs 50 lakh / Rs 2 crore). Source: `rules.source`."""
    if cash_share <= rules.raised_limit_max_cash_share:
        return rules.raised_limit
    return rules.limit


def presumptive_income(rules: PresumptiveRules, receipts: Decimal, cash_share: Decimal) -> Decimal:
    """Deemed income: digital receipts x the digital rate + cash receipts x the cash rate
    (44ADA / 58(2) Sl. 3: 50% of all; 44AD / 58(2) Sl. 1: 6% digital, 8% cash), to the paisa.
    The Acts deem this or a higher income actually earned; the deemed minimum is used."""
    cash = receipts * cash_share
    return paise((receipts - cash) * rules.digital_rate + cash * rules.cash_rate)


def business_income(
    rules: TaxRules,
    scheme: Scheme | str,
    gross_receipts: Decimal,
    *,
    cash_share: Decimal = ZERO,
    business_expenses: Decimal = ZERO,
) -> BusinessIncome:
    """The year's business income under `scheme`. REGULAR: receipts less business expenses,
    never below 0 (a loss is not carried anywhere here). A presumptive scheme whose receipts
    exceed its limit is not silently kept: its deemed income would be wrong, so the income is
    computed as the Act then requires, under the regular provisions (receipts less the declared
    expenses; with none declared that is every rupee received, an upper bound), and
    `scheme_problem` says which limit was crossed."""
    chosen = parse_scheme(scheme)
    receipts = amount_in(gross_receipts, "gross_receipts")
    cash = share_in(cash_share, "cash_share")
    expenses = amount_in(business_expenses, "business_expenses")
    presumptive = rules.presumptive(chosen)
    regular = max(receipts - expenses, ZERO)
    if presumptive is None:
        return BusinessIncome(chosen, Scheme.REGULAR, receipts, regular, None, None)
    limit = receipts_limit(presumptive, cash)
    if receipts <= limit:
        income = presumptive_income(presumptive, receipts, cash)
        return BusinessIncome(chosen, chosen, receipts, income, limit, None)
    return BusinessIncome(
        chosen,
        Scheme.REGULAR,
        receipts,
        regular,
        limit,
        _limit_problem(presumptive, receipts, cash),
    )


def _limit_problem(rules: PresumptiveRules, receipts: Decimal, cash_share: Decimal) -> str:
    name = "Section 44ADA" if rules.scheme is Scheme.SECTION_44ADA else "Section 44AD"
    limit = receipts_limit(rules, cash_share)
    why = (
        f"{name} no longer applies: receipts of {format_inr(receipts)} exceed its limit of "
        f"{format_inr(limit)}"
    )
    if limit == rules.limit and receipts <= rules.raised_limit:
        most = _percent(rules.raised_limit_max_cash_share)
        why += (
            f" (the {format_inr(rules.raised_limit)} limit needs cash receipts of at most "
            f"{most}; they are {_percent(cash_share)})"
        )
    return (
        f"{why}. Income is computed under the regular provisions, receipts less declared "
        "business expenses, and books of account (possibly a tax audit) are needed."
    )


def _percent(share: Decimal) -> str:
    return f"{(share * 100).normalize():f}%"
