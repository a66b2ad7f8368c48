"""The year's tax outlook for one user: expected tax (and its range), what has been paid,
the advance-tax instalments with what each still needs, interest already incurred, what to
set aside each month, the GST threshold, and the sources of every rule used."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from gql_server.core.tax.advance import Instalment, advance_tax_payable, instalments
from gql_server.core.tax.errors import TaxError, TaxErrorCode
from gql_server.core.tax.gst import GST_SOURCE, gst_threshold, gst_threshold_crossing
from gql_server.core.tax.income import TaxProfile
from gql_server.core.tax.interest import interest_234b, interest_234c
from gql_server.core.tax.liability import TaxAssessment, assess_tax
from gql_server.core.tax.money import ZERO, amount_in, ceil_rupee, round_to_ten
from gql_server.core.tax.payments import (
    PaymentKind,
    Receipt,
    ReceiptsRange,
    TaxPayment,
    paid_by,
)
from gql_server.core.tax.rule_sets import rules_for
from gql_server.core.tax.rules import Regime, Scheme, TaxRules
from gql_server.core.tax.years import whole_months_between

INTEREST_BASIS = (
    "Interest reported is what has already been incurred: s.234C for instalments due before "
    "the as-of date, assuming later ones are paid in full on time; s.234B nil while the year "
    "runs (assuming the rest is paid as advance tax by 31 March), and after it, interest to "
    "the as-of date on what is still unpaid."
)
SET_ASIDE_RULE = (
    "Monthly set-aside: the smallest steady monthly amount that has each unpaid instalment "
    "saved by its due date, counting whole months from the as-of date (at least one)."
)


@dataclass(frozen=True)
class AmountRange:
    low: Decimal
    high: Decimal


@dataclass(frozen=True)
class DueAmount:
    """Advance tax still to pay by `due_date` (on top of any earlier DueAmount)."""

    due_date: date
    amount: Decimal


@dataclass(frozen=True)
class TaxOutlook:
    """The outlook as of `as_of`. Tax figures are for the expected receipts (`gross_receipts`
    = received so far + expected for the rest of the year); `total_tax_range` is the tax at the
    low and high ends of the expected receipts. `scheme_applied` differs from `scheme` (and
    `scheme_problem` says why) when receipts exceed the presumptive scheme's limit.
    `interest_234b`/`interest_234c`: interest already incurred (see INTEREST_BASIS).
    `balance_payable`: tax still unpaid after TDS, advance and self-assessment tax.
    `upcoming`: unpaid instalments from `as_of` on, each with what it adds; `next_instalment`
    the first of them. `gst_threshold_reached_on` is None when the user is registered."""

    financial_year: str
    rules_version: str
    as_of: date
    regime: Regime
    scheme: Scheme
    scheme_applied: Scheme
    scheme_problem: str | None
    receipts_to_date: Decimal
    gross_receipts: Decimal
    gross_receipts_range: AmountRange
    taxable_income: Decimal
    deductions_allowed: Decimal
    tax_before_cess: Decimal
    cess: Decimal
    total_tax: Decimal
    total_tax_range: AmountRange
    tds_credited: Decimal
    advance_tax_paid: Decimal
    self_assessment_paid: Decimal
    advance_tax_due: bool
    advance_tax_payable: Decimal
    instalments: tuple[Instalment, ...]
    interest_234b: Decimal
    interest_234c: Decimal
    balance_payable: Decimal
    upcoming: tuple[DueAmount, ...]
    next_instalment: DueAmount | None
    monthly_set_aside: Decimal
    gst_threshold: Decimal | None
    gst_threshold_reached_on: date | None
    sources: tuple[str, ...]


def tax_outlook(
    rules: TaxRules | str,
    profile: TaxProfile,
    *,
    receipts: Sequence[Receipt],
    expected_rest: ReceiptsRange,
    as_of: date,
    cash_share: Decimal = ZERO,
    tds_credited: Decimal = ZERO,
    payments: Sequence[TaxPayment] = (),
) -> TaxOutlook:
    """The year's outlook. `receipts`: gross receipts so far (including TDS withheld), each in
    the year and not after `as_of`; `expected_rest`: receipts expected from `as_of` to 31
    March; `cash_share`: the share of receipts in cash (decides the presumptive limits and the
    44AD rate); `tds_credited`: TDS not recorded among `payments`, added to the TDS ones;
    `payments`: advance tax (dated in the year or later), self-assessment tax and TDS, none
    after `as_of` (INVALID_DATE). Advance tax is the tax less TDS when that is Rs 10,000 or
    more; see `advance`, `interest` and `liability` for the rules and INTEREST_BASIS and
    SET_ASIDE_RULE for how the outlook reads them."""
    year = rules_for(rules) if isinstance(rules, str) else rules
    _check_dates(year, receipts, payments, as_of)
    to_date = sum((r.amount for r in receipts), ZERO)
    central = assess_tax(year, profile, to_date + expected_rest.expected, cash_share=cash_share)
    low = assess_tax(year, profile, to_date + expected_rest.low, cash_share=cash_share)
    high = assess_tax(year, profile, to_date + expected_rest.high, cash_share=cash_share)
    tax = central.computation
    tds = amount_in(tds_credited, "tds_credited") + paid_by(payments, PaymentKind.TDS, as_of)
    advance_paid = paid_by(payments, PaymentKind.ADVANCE_TAX, min(as_of, year.end))
    later_paid = (
        sum((p.amount for p in payments if p.kind is not PaymentKind.TDS), ZERO) - advance_paid
    )
    scheme_applied = central.business.scheme_applied
    payable = advance_tax_payable(year, tax.total_tax, tds)
    rows = instalments(year, scheme_applied, payable, payments, as_of)
    interest_c = interest_234c(year, scheme_applied, payable, payments, through=as_of).total
    interest_b = ZERO
    if as_of > year.end:
        assessed = round_to_ten(max(tax.total_tax - tds, ZERO))
        interest_b = interest_234b(year, assessed, payments, as_of).interest
    upcoming = _upcoming(year, rows, advance_paid, as_of)
    threshold, crossing = _gst(year, profile, receipts, expected_rest.expected, as_of)
    return TaxOutlook(
        financial_year=year.financial_year,
        rules_version=year.version,
        as_of=as_of,
        regime=profile.regime,
        scheme=profile.scheme,
        scheme_applied=scheme_applied,
        scheme_problem=central.business.scheme_problem,
        receipts_to_date=to_date,
        gross_receipts=central.business.gross_receipts,
        gross_receipts_range=AmountRange(low.business.gross_receipts, high.business.gross_receipts),
        taxable_income=tax.total_income,
        deductions_allowed=central.deductions_allowed,
        tax_before_cess=tax.tax_before_cess,
        cess=tax.cess,
        total_tax=tax.total_tax,
        total_tax_range=AmountRange(low.computation.total_tax, high.computation.total_tax),
        tds_credited=tds,
        advance_tax_paid=advance_paid,
        self_assessment_paid=later_paid,
        advance_tax_due=payable > 0,
        advance_tax_payable=payable,
        instalments=rows,
        interest_234b=interest_b,
        interest_234c=interest_c,
        balance_payable=max(tax.total_tax - tds - advance_paid - later_paid, ZERO),
        upcoming=upcoming,
        next_instalment=upcoming[0] if upcoming else None,
        monthly_set_aside=monthly_set_aside(upcoming, as_of),
        gst_threshold=threshold,
        gst_threshold_reached_on=crossing,
        sources=_sources(year, profile, central, threshold is not None),
    )


def instalment_outflows(outlook: TaxOutlook) -> tuple[tuple[date, Decimal], ...]:
    """Unpaid instalments as known outflows for the cash-flow forecast: (due date, amount)."""
    return tuple((item.due_date, item.amount) for item in outlook.upcoming)


def monthly_set_aside(upcoming: Sequence[DueAmount], as_of: date) -> Decimal:
    """The smallest steady amount a month that has every upcoming instalment saved by its due
    date: max over instalments of (all due up to and including it) / (whole months from
    `as_of` to its due date, at least 1), rounded up to the rupee. 0 with nothing upcoming."""
    rate, owed = ZERO, ZERO
    for item in upcoming:
        owed += item.amount
        rate = max(rate, owed / max(whole_months_between(as_of, item.due_date), 1))
    return ceil_rupee(rate)


def _upcoming(
    rules: TaxRules, rows: Sequence[Instalment], advance_paid: Decimal, as_of: date
) -> tuple[DueAmount, ...]:
    """Each instalment due on or after `as_of` with the part of its shortfall not already in
    an earlier one (a missed instalment's shortfall rolls into the next). Between 15 and 31
    March, what is still unpaid is due by 31 March, when it still counts as advance tax."""
    if as_of > rules.end or not rows:
        return ()
    ahead, assigned = [], ZERO
    for row in rows:
        if row.due_date >= as_of and row.shortfall > assigned:
            ahead.append(DueAmount(row.due_date, row.shortfall - assigned))
            assigned = row.shortfall
    if rows[-1].due_date < as_of and rows[-1].cumulative_due > advance_paid:
        ahead.append(DueAmount(rules.end, rows[-1].cumulative_due - advance_paid))
    return tuple(ahead)


def _gst(
    rules: TaxRules,
    profile: TaxProfile,
    receipts: Sequence[Receipt],
    expected_rest: Decimal,
    as_of: date,
) -> tuple[Decimal | None, date | None]:
    if profile.gst_state is None:
        return None, None
    threshold = gst_threshold(profile.gst_state)
    if profile.gst_registered:
        return threshold, None
    days_left = (rules.end - max(as_of, rules.start - timedelta(days=1))).days
    daily = expected_rest / days_left if days_left > 0 else ZERO
    return threshold, gst_threshold_crossing(rules, threshold, receipts, daily, as_of)


def _check_dates(
    rules: TaxRules, receipts: Sequence[Receipt], payments: Sequence[TaxPayment], as_of: date
) -> None:
    for receipt in receipts:
        if not rules.start <= receipt.received_on <= min(as_of, rules.end):
            raise TaxError(
                TaxErrorCode.INVALID_DATE,
                f"receipt of {receipt.received_on} is outside {rules.financial_year} up to {as_of}",
            )
    for payment in payments:
        if not rules.start <= payment.paid_on <= as_of:
            raise TaxError(
                TaxErrorCode.INVALID_DATE,
                f"{payment.kind} payment of {payment.paid_on} is before {rules.financial_year} "
                f"or after {as_of}",
            )


def _sources(
    rules: TaxRules, profile: TaxProfile, assessment: TaxAssessment, gst: bool
) -> tuple[str, ...]:
    regime = rules.regime(profile.regime)
    sources = [
        f"Rules: {rules.version}",
        rules.assumptions,
        regime.slabs_source,
        regime.rebate_source,
        regime.surcharge_source,
        rules.cess_source,
        rules.rounding_source,
        regime.deductions_source,
    ]
    presumptive = rules.presumptive(profile.scheme)
    if presumptive is not None:
        sources.append(presumptive.source)
    if assessment.business.scheme_problem is not None:
        sources.append("Regular computation: receipts less declared business expenses")
    sources += [
        rules.advance_tax_source,
        rules.interest_234c_source,
        rules.interest_234b_source,
        rules.interest_rounding_source,
        INTEREST_BASIS,
        SET_ASIDE_RULE,
    ]
    if gst:
        sources.append(GST_SOURCE)
    return tuple(sources)
