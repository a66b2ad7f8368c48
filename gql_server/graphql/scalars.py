"""Scalars whose parsing is ours: money on the wire is a plain ASCII decimal string."""

from __future__ import annotations

import re
from decimal import Decimal

from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

# Python's Decimal() also reads "٥", "１２", "1_000", "1e999999" and "NaN"; none of them is
# how anyone writes an amount, and some end as database errors far from the input.
_PLAIN_DECIMAL = re.compile(r"[+-]?[0-9]{1,20}(?:\.[0-9]{1,20})?", re.ASCII)
_EXAMPLE = 'such as "4819.41"'


def parse_decimal(value: object) -> Decimal:
    """A decimal written with ASCII digits and an optional point; an integer JSON number is
    read exactly, a fractional one is refused (it has already been rounded by the client's
    float)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise StrawberryInputCoercionError(f"Decimal must be a string, {_EXAMPLE}")
    text = str(value)
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise StrawberryInputCoercionError(
            f"Decimal must be written with the digits 0-9 and an optional point, {_EXAMPLE}"
        )
    return Decimal(text)


DECIMAL = ScalarDefinition(
    name="Decimal",
    description="Decimal (fixed-point)",
    specified_by_url=None,
    serialize=str,
    parse_value=parse_decimal,
    parse_literal=None,
    origin=Decimal,
)
