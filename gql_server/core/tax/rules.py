"""The shape of a year's rules: regimes (slabs, rebate, surcharge), presumptive schemes,
advance-tax instalments and interest, each with the section and public source it follows.
The figures themselves live in `rule_sets`; nothing here knows a particular year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from gql_server.core.tax.errors import TaxError, TaxErrorCode


class Regime(StrEnum):
    NEW = "NEW"  # the default regime (1961 Act s.115BAC(1A); 2025 Act s.202(1))
    OLD = "OLD"  # opted out of the new regime: the older slabs, with deductions


class Scheme(StrEnum):
    SECTION_44ADA = "SECTION_44ADA"  # specified professions: 50% of gross receipts
    SECTION_44AD = "SECTION_44AD"  # other small business: 6% of digital, 8% of cash turnover
    REGULAR = "REGULAR"  # receipts less the business expenses actually incurred


def parse_regime(value: Regime | str) -> Regime:
    """NEW or OLD (case-insensitive); anything else is UNKNOWN_REGIME."""
    try:
        return Regime(value.upper() if isinstance(value, str) else value)
    except ValueError:
        raise TaxError(
            TaxErrorCode.UNKNOWN_REGIME, f"regime must be NEW or OLD, got {value!r}"
        ) from None


def parse_scheme(value: Scheme | str) -> Scheme:
    """SECTION_44ADA, SECTION_44AD or REGULAR (case-insensitive); else UNKNOWN_SCHEME."""
    try:
        return Scheme(value.upper() if isinstance(value, str) else value)
    except ValueError:
        names = ", ".join(s.value for s in Scheme)
        raise TaxError(
            TaxErrorCode.UNKNOWN_SCHEME, f"scheme must be one of {names}, got {value!r}"
        ) from None


@dataclass(frozen=True)
class Slab:
    """Income up to `upto` (None: no upper end), above the previous slab, taxed at `rate`."""

    upto: Decimal | None
    rate: Decimal


@dataclass(frozen=True)
class SurchargeBand:
    """Surcharge at `rate` of the income-tax when total income exceeds `above`."""

    above: Decimal
    rate: Decimal


@dataclass(frozen=True)
class Rebate:
    """Rebate of the whole tax up to `maximum` when total income is at most `income_limit`;
    with `marginal_relief`, just above the limit the tax is cut to the income above it."""

    income_limit: Decimal
    maximum: Decimal
    marginal_relief: bool


@dataclass(frozen=True)
class RegimeRules:
    regime: Regime
    slabs: tuple[Slab, ...]
    rebate: Rebate
    surcharge: tuple[SurchargeBand, ...]  # ascending by `above`
    deductions_allowed: bool  # whether declared deductions (80C and the like) reduce income
    slabs_source: str
    rebate_source: str
    surcharge_source: str
    deductions_source: str


@dataclass(frozen=True)
class PresumptiveRules:
    """A presumptive scheme: deemed income = digital receipts x `digital_rate` + cash receipts
    x `cash_rate`, for receipts up to `limit`, or up to `raised_limit` when cash receipts are
    at most `raised_limit_max_cash_share` of them."""

    scheme: Scheme
    limit: Decimal
    raised_limit: Decimal
    raised_limit_max_cash_share: Decimal
    digital_rate: Decimal
    cash_rate: Decimal
    source: str


@dataclass(frozen=True)
class InstalmentRule:
    """An advance-tax due date (day/month of the financial year), the cumulative share of the
    year's advance tax due by then, the share paid by then below which interest for deferment
    is charged (the 12% and 36% safe harbours), and the interest on the shortfall (1% a month
    for 3 months = 3%, or 1% for the March instalment)."""

    month: int
    day: int
    cumulative_percent: Decimal
    safe_harbour_percent: Decimal
    interest_percent: Decimal

    def due_date(self, start: date) -> date:
        """The due date in the financial year starting on `start` (1 April)."""
        year = start.year if self.month >= 4 else start.year + 1
        return date(year, self.month, self.day)


@dataclass(frozen=True)
class TaxRules:
    """Everything one financial year's computation needs, with its sources. Rates are
    Decimals (0.05 for 5%); amounts are rupees."""

    version: str
    financial_year: str
    act: str
    start: date
    end: date
    new_regime: RegimeRules
    old_regime: RegimeRules
    section_44ada: PresumptiveRules
    section_44ad: PresumptiveRules
    cess_rate: Decimal
    cess_source: str
    rounding_source: str
    advance_tax_threshold: Decimal
    advance_tax_source: str
    instalments: tuple[InstalmentRule, ...]
    presumptive_instalments: tuple[InstalmentRule, ...]
    instalments_source: str
    interest_234b_paid_share: Decimal  # advance tax below this share of assessed tax: 234B
    interest_rate_per_month: Decimal
    interest_234b_source: str
    interest_234c_source: str
    interest_rounding_source: str
    assumptions: str

    def regime(self, regime: Regime) -> RegimeRules:
        return self.new_regime if regime is Regime.NEW else self.old_regime

    def presumptive(self, scheme: Scheme) -> PresumptiveRules | None:
        """The presumptive scheme's rules; None for REGULAR."""
        if scheme is Scheme.SECTION_44ADA:
            return self.section_44ada
        if scheme is Scheme.SECTION_44AD:
            return self.section_44ad
        return None

    def instalment_rules(self, scheme_applied: Scheme) -> tuple[InstalmentRule, ...]:
        """A presumptive scheme pays all its advance tax by 15 March; otherwise four
        instalments."""
        if self.presumptive(scheme_applied) is None:
            return self.instalments
        return self.presumptive_instalments
