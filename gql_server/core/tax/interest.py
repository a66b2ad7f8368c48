"""Interest on advance tax paid late: for deferring instalments (1961 s.234C / 2025 s.425) and
for paying less than 90% of the assessed tax by the year's end (1961 s.234B / 2025 s.424).
Interest is charged on a base rounded down to a multiple of Rs 100, a part of a month counting
as a month (Income-tax Rules 1962, rule 119A)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from gql_server.core.tax.money import CENT, HUNDRED, ZERO, amount_in, floor_hundred
from gql_server.core.tax.payments import PaymentKind, TaxPayment, paid_by
from gql_server.core.tax.rules import Scheme, TaxRules


@dataclass(frozen=True)
class InstalmentInterest:
    """Interest for one instalment: `required` is its cumulative share of the tax due on
    returned income, `shortfall` the unpaid part rounded down to Rs 100 (0 inside the safe
    harbour)."""

    due_date: date
    required: Decimal
    paid: Decimal
    shortfall: Decimal
    interest: Decimal


@dataclass(frozen=True)
class Interest234C:
    total: Decimal
    instalments: tuple[InstalmentInterest, ...]


def interest_234c(
    rules: TaxRules,
    scheme_applied: Scheme,
    tax_due: Decimal,
    payments: Sequence[TaxPayment],
    *,
    through: date | None = None,
) -> Interest234C:
    """Interest for deferment of advance tax on `tax_due` (tax on returned income less TDS).
    For each instalment: if ADVANCE_TAX paid by its due date is below the safe harbour (12% by
    15 June, 36% by 15 September, 75% by 15 December, 100% by 15 March), interest = 3% (1% a
    month for 3 months; 1% for March) of (cumulative percent x tax due - paid), the base
    rounded down to Rs 100. A presumptive scheme has only the March instalment. Nothing when
    the tax due is below Rs 10,000 (no advance tax was payable). With `through`, only
    instalments due before that date count (later ones may still be paid on time).
    Sources: `rules.interest_234c_source`, `rules.interest_rounding_source`."""
    due_tax = amount_in(tax_due, "tax_due")
    if due_tax < rules.advance_tax_threshold:
        return Interest234C(ZERO, ())
    rows = []
    for rule in rules.instalment_rules(scheme_applied):
        due_date = rule.due_date(rules.start)
        if through is not None and due_date >= through:
            continue
        paid = paid_by(payments, PaymentKind.ADVANCE_TAX, due_date)
        required = due_tax * rule.cumulative_percent / HUNDRED
        shortfall = ZERO
        if paid < due_tax * rule.safe_harbour_percent / HUNDRED:
            shortfall = floor_hundred(required - paid)
        interest = (shortfall * rule.interest_percent / HUNDRED).quantize(CENT)
        rows.append(
            InstalmentInterest(due_date, required.quantize(CENT), paid, shortfall, interest)
        )
    return Interest234C(sum((r.interest for r in rows), ZERO), tuple(rows))


@dataclass(frozen=True)
class Interest234B:
    """`applies`: advance tax paid by 31 March fell below 90% of the assessed tax (and the
    assessed tax was at least Rs 10,000). `shortfall`: assessed tax less advance tax, rounded
    down to Rs 100; `months`: months from 1 April after the year to `until`."""

    applies: bool
    assessed_tax: Decimal
    advance_tax_paid: Decimal
    shortfall: Decimal
    months: int
    interest: Decimal


def months_after_year(rules: TaxRules, day: date) -> int:
    """Months or parts of months from 1 April after the year through `day` (April = 1)."""
    return max((day.year - rules.end.year) * 12 + day.month - rules.end.month, 0)


def interest_234b(
    rules: TaxRules, assessed_tax: Decimal, payments: Sequence[TaxPayment], until: date
) -> Interest234B:
    """Interest for default in advance tax: when ADVANCE_TAX paid by 31 March (the 31 March
    payments count, 1961 s.211 / 2025 s.408(3)) is below 90% of `assessed_tax` (tax on total
    income less TDS), 1% for every month or part of a month from 1 April after the year until
    `until` (the date of assessment, or of the last payment) on the shortfall rounded down to
    Rs 100. A later payment (self-assessment, or advance tax paid after 31 March) stops the
    interest on what it pays from the month after it: the month of payment is charged on the
    shortfall before it. Sources: `rules.interest_234b_source`, `rules.interest_rounding_source`."""
    assessed = amount_in(assessed_tax, "assessed_tax")
    advance = paid_by(payments, PaymentKind.ADVANCE_TAX, rules.end)
    months = months_after_year(rules, until)
    applies = (
        assessed >= rules.advance_tax_threshold
        and advance < assessed * rules.interest_234b_paid_share
    )
    if not applies:
        return Interest234B(False, assessed, advance, ZERO, months, ZERO)
    later = sorted(
        (
            p
            for p in payments
            if p.paid_on <= until
            and (
                p.kind is PaymentKind.SELF_ASSESSMENT
                or (p.kind is PaymentKind.ADVANCE_TAX and p.paid_on > rules.end)
            )
        ),
        key=lambda p: p.paid_on,
    )
    first = floor_hundred(assessed - advance)
    base, charged, interest = assessed - advance, 0, ZERO
    for payment in later:
        paid_month = months_after_year(rules, payment.paid_on)
        interest += floor_hundred(base) * rules.interest_rate_per_month * (paid_month - charged)
        charged = max(charged, paid_month)
        base -= payment.amount
        if base <= 0:
            break
    if base > 0:
        interest += floor_hundred(base) * rules.interest_rate_per_month * (months - charged)
    return Interest234B(True, assessed, advance, first, months, interest.quantize(CENT))
