"""What was paid towards the year's tax, and what came in: dated payments by kind and dated
receipts, validated once on the way in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from gql_server.core.tax.errors import TaxError, TaxErrorCode
from gql_server.core.tax.money import ZERO, amount_in


class PaymentKind(StrEnum):
    ADVANCE_TAX = "ADVANCE_TAX"  # paid during the year (counts as advance tax up to 31 March)
    SELF_ASSESSMENT = "SELF_ASSESSMENT"  # paid after the year, before or with the return
    TDS = "TDS"  # withheld by a client and credited to the user


def parse_payment_kind(value: PaymentKind | str) -> PaymentKind:
    try:
        return PaymentKind(value.upper() if isinstance(value, str) else value)
    except ValueError:
        names = ", ".join(k.value for k in PaymentKind)
        raise TaxError(
            TaxErrorCode.UNKNOWN_PAYMENT_KIND, f"payment kind must be one of {names}, got {value!r}"
        ) from None


@dataclass(frozen=True)
class TaxPayment:
    paid_on: date
    amount: Decimal
    kind: PaymentKind

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", amount_in(self.amount, "payment amount"))
        object.__setattr__(self, "kind", parse_payment_kind(self.kind))


@dataclass(frozen=True)
class Receipt:
    """Gross money received for work (what arrived plus any TDS withheld from it)."""

    received_on: date
    amount: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", amount_in(self.amount, "receipt amount"))


@dataclass(frozen=True)
class ReceiptsRange:
    """Receipts expected for the rest of the year: a central figure and a low-high range."""

    expected: Decimal
    low: Decimal
    high: Decimal

    def __post_init__(self) -> None:
        for name in ("expected", "low", "high"):
            object.__setattr__(self, name, amount_in(getattr(self, name), f"expected {name}"))
        if not self.low <= self.expected <= self.high:
            raise TaxError(
                TaxErrorCode.INVALID_RECEIPTS_RANGE,
                f"expected receipts need low <= expected <= high, got {self.low}, "
                f"{self.expected}, {self.high}",
            )


def paid_by(payments: Iterable[TaxPayment], kind: PaymentKind, day: date) -> Decimal:
    """The total of `kind` paid on or before `day`."""
    return sum((p.amount for p in payments if p.kind is kind and p.paid_on <= day), ZERO)
