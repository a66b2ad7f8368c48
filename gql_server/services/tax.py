"""A user's tax: their profile and recorded payments, their professional receipts, business
expenses and tax payments as the ledger holds them, through the pure tax core (`core.tax`).

Which income counts as professional receipts: the rows whose category is one of the profile's
receipt categories (by default "Freelance income" and "Platform payout": fees, not a salary,
interest or a refund). What a client withheld as TDS: each income source's declared
`tds_percent` grosses up what arrived from it, plus the TDS the user recorded. Advance tax
paid: the payments the user recorded, and tax payments the ledger holds (a "Taxes" row whose
narration names advance or income tax, e.g. from an imported statement) that no recorded
payment already accounts for."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from gql_server import db, locks
from gql_server.core.tax import expected
from gql_server.core.tax.errors import TaxError, TaxErrorCode
from gql_server.core.tax.income import TaxProfile as CoreProfile
from gql_server.core.tax.money import ZERO
from gql_server.core.tax.outlook import TaxOutlook, tax_outlook
from gql_server.core.tax.payments import PaymentKind, Receipt, ReceiptsRange
from gql_server.core.tax.payments import TaxPayment as CorePayment
from gql_server.core.tax.rule_sets import rules_for
from gql_server.core.tax.rules import Scheme, TaxRules
from gql_server.core.tax.years import financial_year_of
from gql_server.models import TaxPayment, TaxProfile, User
from gql_server.services.validation import local_today

DEFAULT_RECEIPT_CATEGORIES = ("Freelance income", "Platform payout")
TAX_CATEGORY = "Taxes"
# A tax payment in a bank narration: challan 280 (ITNS 280) is income tax; GST and TDS
# deposited for others are not the user's income tax.
_INCOME_TAX = re.compile(
    r"advance\s*tax|itns\s*280|challan\s*(no\.?\s*)?280|cbdt|oltas|income[\s-]*tax",
    re.IGNORECASE,
)
# Self-assessment tax is the year before's (paid after it ended): not this year's advance tax.
_NOT_INCOME_TAX = re.compile(r"\bgst\b|\btds\b|self[\s-]*assessment", re.IGNORECASE)
MAX_PAYMENTS_PER_YEAR = 200
MAX_PAYMENT = Decimal("100000000.00")  # Rs 10 crore: above it, a typo rather than a payment
MAX_DEDUCTIONS = Decimal("100000000.00")
MAX_CATEGORIES = 40
# A recorded payment accounts for a ledger row of the same amount this many days apart.
MATCH_DAYS = 7


class TaxInputError(ValueError):
    """Input the service refuses, with a code for the API."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Settings:
    """The profile as the computation reads it: the core's profile (without the year's
    business expenses, which come from the ledger) and which categories count for what."""

    profile: CoreProfile
    receipt_categories: tuple[str, ...]
    expense_categories: tuple[str, ...]
    saved: bool


def _settings(row: TaxProfile | None) -> Settings:
    if row is None:
        return Settings(
            CoreProfile(scheme=Scheme.SECTION_44ADA), DEFAULT_RECEIPT_CATEGORIES, (), False
        )
    return Settings(
        CoreProfile(
            regime=row.regime,
            scheme=row.scheme,
            deductions=row.deductions,
            gst_state=row.state,
            gst_registered=row.gst_registered,
        ),
        tuple(row.receipt_categories or DEFAULT_RECEIPT_CATEGORIES),
        tuple(row.business_expense_categories),
        True,
    )


async def get_profile(user: User) -> TaxProfile:
    """The user's profile row, or the defaults (unsaved) when they have not set one."""
    row = await TaxProfile.get_or_none(user_id=user.id)
    return row if row is not None else TaxProfile(user_id=user.id)


def _categories(values: Iterable[str], name: str) -> list[str]:
    cleaned = list(dict.fromkeys(" ".join(v.split()) for v in values if v.strip()))
    if len(cleaned) > MAX_CATEGORIES or any(len(v) > 40 for v in cleaned):
        raise TaxInputError(
            "INVALID_CATEGORIES", f"{name}: at most {MAX_CATEGORIES} categories of 40 characters"
        )
    return cleaned


async def update_profile(user: User, changes: dict[str, Any]) -> TaxProfile:
    """Applies `changes` (fields of the profile; absent ones keep their value), after the core
    accepted the result (an unknown regime, scheme or state, negative or absurd deductions:
    coded errors, nothing saved)."""
    row = await get_profile(user)
    for name in ("business_expense_categories", "receipt_categories"):
        if changes.get(name) is not None:
            changes[name] = _categories(changes[name], name)
    if changes.get("deductions") is not None and changes["deductions"] > MAX_DEDUCTIONS:
        raise TaxInputError("INVALID_DEDUCTION", "deductions above Rs 10 crore")
    if "state" in changes and changes["state"] is not None:
        changes["state"] = " ".join(str(changes["state"]).split())[:40] or None
    for name, value in changes.items():
        if value is None and name not in ("state", "receipt_categories"):
            continue
        setattr(row, name, value)
    # The core's checks raise TaxError before anything is written; its amounts are to the paisa.
    row.deductions = _settings(row).profile.deductions
    await row.save()
    return row


async def record_payment(
    user: User, *, amount: Decimal, paid_on: date, kind: PaymentKind, financial_year: str | None
) -> TaxPayment:
    """A payment for `financial_year` (default: the year `paid_on` is in; self-assessment
    tax is for the year before that). Not in the future, not over Rs 10 crore, not before
    the year began."""
    today = local_today(user.timezone)
    if paid_on > today:
        raise TaxInputError("INVALID_DATE", f"a tax payment cannot be dated after today ({today})")
    if not ZERO < amount <= MAX_PAYMENT:
        raise TaxInputError(
            "INVALID_AMOUNT", "a tax payment must be more than Rs 0 and at most Rs 10 crore"
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise TaxInputError("INVALID_AMOUNT", "amounts have at most two decimal places")
    label = financial_year or _default_year(paid_on, kind)
    year = rules_for(label)
    if paid_on < year.start:
        raise TaxInputError(
            "INVALID_DATE", f"a payment for {label} cannot be dated before {year.start}"
        )
    if kind is not PaymentKind.SELF_ASSESSMENT and paid_on > year.end:
        # Advance tax is paid within the year; TDS is withheld from its fees (a certificate
        # issued later carries the date of the deduction).
        raise TaxInputError(
            "INVALID_DATE", f"{kind.value} for {label} is dated within it, by {year.end}"
        )
    async with in_transaction() as connection:
        # Counted under the user's row lock: concurrent records stop at the cap.
        await locks.user_row(user.id, connection)
        held = TaxPayment.filter(user_id=user.id, financial_year=label).using_db(connection)
        if await held.count() >= MAX_PAYMENTS_PER_YEAR:
            raise TaxInputError(
                "TOO_MANY_PAYMENTS", f"at most {MAX_PAYMENTS_PER_YEAR} payments a year"
            )
        return await TaxPayment.create(
            user_id=user.id,
            financial_year=label,
            kind=kind,
            amount=amount,
            paid_on=paid_on,
            using_db=connection,
        )


def _default_year(paid_on: date, kind: PaymentKind) -> str:
    if kind is PaymentKind.SELF_ASSESSMENT:
        return financial_year_of(date(paid_on.year - 1, paid_on.month, min(paid_on.day, 28)))
    return financial_year_of(paid_on)


# The rows the tax reads: income in the window, and "Taxes" and business expenses.
_ROWS = """
SELECT occurred_at, amount, direction = 'income', category, COALESCE(income_source_id, -1),
       merchant, description
  FROM ledger_transaction
 WHERE user_id = $1 AND occurred_at >= $2 AND occurred_at < $3
"""
_FIRST = "SELECT MIN(occurred_at) FROM ledger_transaction WHERE user_id = $1"
_TDS = "SELECT id, tds_percent FROM income_source WHERE user_id = $1 AND tds_percent IS NOT NULL"


@dataclass(frozen=True)
class LedgerTax:
    """What the ledger says for the tax: gross receipts and business expenses per local day,
    TDS grossed up from the sources' rates, and income-tax payments found in it."""

    receipts: dict[date, Decimal]
    net_receipts: dict[date, Decimal]  # as they arrived, before grossing up by the TDS rates
    expenses: dict[date, Decimal]
    tds: Decimal  # in the year only
    paid: tuple[tuple[date, Decimal], ...]
    history_start: date | None


def _utc(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


def _sort_rows(
    rows: Sequence[Sequence[Any]],
    zone: ZoneInfo,
    settings: Settings,
    tds_rates: dict[int, Decimal],
    year: TaxRules,
    history_start: date | None,
) -> LedgerTax:
    """Runs in a thread: a busy year is tens of thousands of rows."""
    receipts: dict[date, Decimal] = defaultdict(lambda: ZERO)
    net: dict[date, Decimal] = defaultdict(lambda: ZERO)
    expenses: dict[date, Decimal] = defaultdict(lambda: ZERO)
    tds, paid = ZERO, []
    counted, spent = frozenset(settings.receipt_categories), frozenset(settings.expense_categories)
    for at, amount, incoming, category, source, merchant, description in rows:
        moment = datetime.fromisoformat(at) if isinstance(at, str) else at
        day = moment.astimezone(zone).date()
        amount = Decimal(str(amount))
        if incoming:
            if category not in counted:
                continue
            net[day] += amount
            rate = tds_rates.get(source)
            if rate:
                gross = (amount / (1 - rate / 100)).quantize(Decimal("0.01"))
                if year.start <= day <= year.end:
                    tds += gross - amount
                amount = gross
            receipts[day] += amount
        elif category in spent:
            expenses[day] += amount
        elif category == TAX_CATEGORY and year.start <= day <= year.end:
            text = f"{merchant} {description}"
            if _INCOME_TAX.search(text) and not _NOT_INCOME_TAX.search(text):
                paid.append((day, amount))
    return LedgerTax(dict(receipts), dict(net), dict(expenses), tds, tuple(paid), history_start)


async def _ledger_tax(user: User, settings: Settings, year: TaxRules, as_of: date) -> LedgerTax:
    zone = ZoneInfo(user.timezone)
    since = min(year.start, as_of - timedelta(days=expected.LOOKBACK_DAYS))
    until = min(as_of, year.end) + timedelta(days=1)
    rows = await db.fetch_tuples(
        _ROWS, user.id, db.sql_timestamp(_utc(since, zone)), db.sql_timestamp(_utc(until, zone))
    )
    first = (await db.fetch_tuples(_FIRST, user.id))[0][0]
    start = None
    if first is not None:
        moment = datetime.fromisoformat(first) if isinstance(first, str) else first
        start = moment.astimezone(zone).date()
    rates = {
        int(source): Decimal(str(rate)) for source, rate in await db.fetch_tuples(_TDS, user.id)
    }
    return await asyncio.to_thread(_sort_rows, rows, zone, settings, rates, year, start)


def _payments(
    recorded: Sequence[TaxPayment], from_ledger: Sequence[tuple[date, Decimal]], as_of: date
) -> list[CorePayment]:
    """Recorded payments, and the ledger's tax payments not matched by a recorded advance
    payment of the same amount within a week (each recorded payment matches one row)."""
    payments = [CorePayment(p.paid_on, p.amount, p.kind) for p in recorded if p.paid_on <= as_of]
    # Any recorded payment may be the ledger row's twin (one paid and typed in by hand).
    unmatched = [p for p in payments if p.kind is not PaymentKind.TDS]
    for day, amount in from_ledger:
        twin = next(
            (
                p
                for p in unmatched
                if p.amount == amount and abs((p.paid_on - day).days) <= MATCH_DAYS
            ),
            None,
        )
        if twin is not None:
            unmatched.remove(twin)
        elif day <= as_of:
            payments.append(CorePayment(day, amount, PaymentKind.ADVANCE_TAX))
    return payments


@dataclass(frozen=True)
class UserTax:
    outlook: TaxOutlook
    saved: bool  # the user set a profile (only then is tax in the forecast)


async def outlook_for(user: User, financial_year: str | None = None) -> UserTax:
    """The outlook of `financial_year` (default: the current one) as of today, the user's
    local date: receipts so far, the rest of the year expected from the trailing twelve
    months, payments recorded or found in the ledger."""
    today = local_today(user.timezone)
    year = rules_for(financial_year or financial_year_of(today))
    if year.start > today:
        raise TaxError(
            TaxErrorCode.UNSUPPORTED_FINANCIAL_YEAR,
            f"financial year {year.financial_year} has not started",
        )
    settings = _settings(await TaxProfile.get_or_none(user_id=user.id))
    found = await _ledger_tax(user, settings, year, today)
    recorded = await TaxPayment.filter(user_id=user.id, financial_year=year.financial_year)
    in_year = {d: a for d, a in found.receipts.items() if year.start <= d <= today}
    rest = expected.expected_rest(
        found.receipts, as_of=today, year_end=year.end, history_start=found.history_start
    )
    profile = settings.profile
    if settings.expense_categories:
        spent = sum((a for d, a in found.expenses.items() if year.start <= d <= today), ZERO)
        spend_rest = expected.expected_rest(
            found.expenses, as_of=today, year_end=year.end, history_start=found.history_start
        )
        profile = CoreProfile(
            regime=profile.regime,
            scheme=profile.scheme,
            deductions=profile.deductions,
            business_expenses=spent + spend_rest.expected,
            gst_state=profile.gst_state,
            gst_registered=profile.gst_registered,
        )
    # TDS the user recorded was withheld from fees whose rest arrived: it is part of the gross
    # receipts (api.md: "gross receipts are the credited income plus the TDS recorded"). Once
    # any is recorded for the year (from Form 26AS, say), it replaces the estimate from the
    # sources' rates, which would otherwise count the same tax twice.
    recorded_tds = [p for p in recorded if p.kind is PaymentKind.TDS and p.paid_on <= today]
    tds_estimate = found.tds
    if recorded_tds:
        in_year = {d: a for d, a in found.net_receipts.items() if year.start <= d <= today}
        tds_estimate = ZERO
        for payment in recorded_tds:
            in_year[payment.paid_on] = in_year.get(payment.paid_on, ZERO) + payment.amount
    outlook = tax_outlook(
        year,
        profile,
        receipts=[Receipt(d, a) for d, a in sorted(in_year.items()) if a > 0],
        expected_rest=ReceiptsRange(rest.expected, rest.low, rest.high),
        as_of=today,
        tds_credited=tds_estimate,
        payments=_payments(recorded, found.paid, today),
    )
    return UserTax(outlook, settings.saved)


async def forecast_tax(user: User) -> TaxOutlook | None:
    """The current year's outlook for the cash-flow forecast, when the user has a profile
    (else None: tax stays out of the forecast rather than in it on a guess). A year the
    rules do not cover yet leaves tax out too, rather than stopping the forecast."""
    if not await TaxProfile.exists(user_id=user.id):
        return None
    try:
        return (await outlook_for(user)).outlook
    except TaxError:
        return None
