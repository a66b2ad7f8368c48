"""Rupee amounts the Indian way (₹1,07,954: lakhs and crores), through Babel's en_IN data."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from babel.numbers import format_currency

_WHOLE = "¤#,##,##0;-¤#,##,##0"
_PAISE = "¤#,##,##0.00;-¤#,##,##0.00"


def format_inr(amount: Decimal | float | int, *, paise: bool = False) -> str:
    """₹2,61,128 (whole rupees, rounded half to even) or ₹2,61,128.40 with `paise`."""
    value = Decimal(str(amount))
    if not paise:
        value = value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return format_currency(
        value, "INR", locale="en_IN", format=_PAISE if paise else _WHOLE, currency_digits=False
    )
