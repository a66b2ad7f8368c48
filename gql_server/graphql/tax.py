"""Tax ahead in GraphQL: the caller's tax profile and payments, and the year's outlook."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import TypeAlias

import strawberry
from strawberry import relay

from gql_server import models
from gql_server.core.tax.errors import TaxError
from gql_server.core.tax.outlook import TaxOutlook as CoreOutlook
from gql_server.errors import BadUserInput
from gql_server.graphql.context import Info
from gql_server.graphql.income_sources import present_fields
from gql_server.graphql.permissions import IsAuthenticated
from gql_server.services import tax

TaxRegime: TypeAlias = models.Regime
strawberry.enum(models.Regime, name="TaxRegime")
TaxScheme: TypeAlias = models.Scheme
strawberry.enum(models.Scheme, name="TaxScheme")
TaxPaymentKind: TypeAlias = models.PaymentKind
strawberry.enum(models.PaymentKind, name="TaxPaymentKind")


@contextmanager
def _coded() -> Iterator[None]:
    """The tax core's and the service's coded errors as BAD_USER_INPUT with their `reason`."""
    try:
        yield
    except (TaxError, tax.TaxInputError) as exc:
        raise BadUserInput(str(exc), reason=str(exc.code)) from None


@strawberry.type(name="TaxProfile")
class TaxProfileType:
    regime: TaxRegime
    scheme: TaxScheme
    deductions: Decimal = strawberry.field(
        description="Chapter VI-A deductions claimed for the year (80C, 80D, ...): only the OLD "
        "regime counts them."
    )
    business_expense_categories: list[str] = strawberry.field(
        description="Under REGULAR, expenses in these categories are deducted from receipts."
    )
    receipt_categories: list[str] = strawberry.field(
        description="Income in these categories counts as professional receipts."
    )
    gst_registered: bool
    state: str | None = strawberry.field(description="For the GST threshold (code or name).")
    in_forecast: bool = strawberry.field(
        description="Whether advance-tax instalments are known outflows in the forecast: once "
        "the profile has been saved (until then these are the defaults)."
    )


def _profile(row: models.TaxProfile) -> TaxProfileType:
    return TaxProfileType(
        regime=models.Regime(row.regime),
        scheme=models.Scheme(row.scheme),
        deductions=row.deductions,
        business_expense_categories=list(row.business_expense_categories or ()),
        receipt_categories=list(row.receipt_categories or tax.DEFAULT_RECEIPT_CATEGORIES),
        gst_registered=row.gst_registered,
        state=row.state,
        in_forecast=row.id is not None,
    )


@strawberry.input
class TaxProfileInput:
    regime: TaxRegime | None = strawberry.UNSET
    scheme: TaxScheme | None = strawberry.UNSET
    deductions: Decimal | None = strawberry.UNSET
    business_expense_categories: list[str] | None = strawberry.UNSET
    receipt_categories: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="null: the defaults"
    )
    gst_registered: bool | None = strawberry.UNSET
    state: str | None = strawberry.field(default=strawberry.UNSET, description="null clears it")


@strawberry.type(name="TaxPayment")
class TaxPaymentType(relay.Node):
    id: relay.NodeID[int]
    amount: Decimal
    paid_on: date
    kind: TaxPaymentKind
    financial_year: str
    created_at: datetime


@strawberry.input
class TaxPaymentInput:
    amount: Decimal
    paid_on: date
    kind: TaxPaymentKind = models.PaymentKind.ADVANCE_TAX
    financial_year: str | None = strawberry.field(
        default=None,
        description="Default: the year paidOn falls in (for SELF_ASSESSMENT, the year before).",
    )


@strawberry.type
class TaxInstalment:
    due_date: date
    cumulative_percent: Decimal = strawberry.field(
        description="The share of the advance tax due by this date."
    )
    cumulative_due: Decimal
    paid: Decimal = strawberry.field(description="Advance tax paid by this date.")
    shortfall: Decimal


@strawberry.type
class AmountRange:
    low: Decimal
    high: Decimal


@strawberry.type
class TaxOutlook:
    financial_year: str
    rules_version: str
    as_of: date
    regime: TaxRegime
    scheme: TaxScheme
    scheme_applied: TaxScheme = strawberry.field(
        description="Differs from scheme when receipts exceed its limit (schemeProblem says "
        "why): the tax is then computed under the regular rules."
    )
    scheme_problem: str | None
    receipts_to_date: Decimal
    gross_receipts: Decimal = strawberry.field(
        description="Receipts so far plus those expected for the rest of the year (a "
        "forecast; grossReceiptsRange is its 80% range)."
    )
    gross_receipts_range: AmountRange
    taxable_income: Decimal
    tax_before_cess: Decimal
    cess: Decimal
    total_tax: Decimal
    total_tax_range: AmountRange
    tds_credited: Decimal
    advance_tax_paid: Decimal
    self_assessment_paid: Decimal
    balance_payable: Decimal
    instalments: list[TaxInstalment]
    interest_234_b: Decimal = strawberry.field(name="interest234B")
    interest_234_c: Decimal = strawberry.field(name="interest234C")
    next_instalment_date: date | None
    next_instalment_amount: Decimal | None
    monthly_set_aside: Decimal
    gst_threshold: Decimal | None = strawberry.field(
        description="Null when registered for GST (or the state is unknown and so the "
        "threshold too)."
    )
    gst_threshold_reached_on: date | None = strawberry.field(
        description="When receipts of the year crossed the threshold, or are forecast to."
    )
    sources: list[str]


def _outlook(found: CoreOutlook) -> TaxOutlook:
    upcoming = found.next_instalment
    return TaxOutlook(
        financial_year=found.financial_year,
        rules_version=found.rules_version,
        as_of=found.as_of,
        regime=found.regime,
        scheme=found.scheme,
        scheme_applied=found.scheme_applied,
        scheme_problem=found.scheme_problem,
        receipts_to_date=found.receipts_to_date,
        gross_receipts=found.gross_receipts,
        gross_receipts_range=AmountRange(
            low=found.gross_receipts_range.low, high=found.gross_receipts_range.high
        ),
        taxable_income=found.taxable_income,
        tax_before_cess=found.tax_before_cess,
        cess=found.cess,
        total_tax=found.total_tax,
        total_tax_range=AmountRange(low=found.total_tax_range.low, high=found.total_tax_range.high),
        tds_credited=found.tds_credited,
        advance_tax_paid=found.advance_tax_paid,
        self_assessment_paid=found.self_assessment_paid,
        balance_payable=found.balance_payable,
        instalments=[
            TaxInstalment(
                due_date=i.due_date,
                cumulative_percent=i.cumulative_percent,
                cumulative_due=i.cumulative_due,
                paid=i.paid,
                shortfall=i.shortfall,
            )
            for i in found.instalments
        ],
        interest_234_b=found.interest_234b,
        interest_234_c=found.interest_234c,
        next_instalment_date=upcoming.due_date if upcoming else None,
        next_instalment_amount=upcoming.amount if upcoming else None,
        monthly_set_aside=found.monthly_set_aside,
        gst_threshold=found.gst_threshold,
        gst_threshold_reached_on=found.gst_threshold_reached_on,
        sources=list(found.sources),
    )


@strawberry.type
class TaxQueries:
    @strawberry.field(permission_classes=[IsAuthenticated])
    async def tax_profile(self, info: Info) -> TaxProfileType:
        user = await info.context.require_user()
        return _profile(await tax.get_profile(user))

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The tax of a financial year ('2025-26' or '2026-27'; default: the "
        "current one) as of today: for a year in progress, the receipts so far plus those "
        "expected from the trailing twelve months, so the tax due is a forecast too.",
    )
    async def tax_outlook(self, info: Info, financial_year: str | None = None) -> TaxOutlook:
        user = await info.context.require_user()
        with _coded():
            return _outlook((await tax.outlook_for(user, financial_year)).outlook)


@strawberry.type
class TaxMutations:
    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def update_tax_profile(self, info: Info, input: TaxProfileInput) -> TaxProfileType:
        user = await info.context.require_user()
        with _coded():
            row = await tax.update_profile(user, present_fields(input))
        return _profile(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Records advance or self-assessment tax paid, or TDS a client withheld.",
    )
    async def record_tax_payment(self, info: Info, input: TaxPaymentInput) -> TaxPaymentType:
        user = await info.context.require_user()
        with _coded():
            row = await tax.record_payment(
                user,
                amount=input.amount,
                paid_on=input.paid_on,
                kind=models.PaymentKind(input.kind),
                financial_year=input.financial_year,
            )
        return TaxPaymentType(
            id=row.id,
            amount=row.amount,
            paid_on=row.paid_on,
            kind=models.PaymentKind(row.kind),
            financial_year=row.financial_year,
            created_at=row.created_at,
        )
