"""Exact rupees: amounts in (Decimal or int, never float), and the rounding the Income-tax
Acts prescribe for total income, amounts payable and the base of interest."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from gql_server.core.tax.errors import TaxError, TaxErrorCode

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
RUPEE = Decimal(1)
TEN = Decimal(10)
HUNDRED = Decimal(100)
# ₹1,000 lakh crore: far beyond any real freelancer's figure, and small enough that every
# computation stays exact at Decimal's default 28 digits. Larger inputs are refused as absurd.
MAX_AMOUNT = Decimal(10) ** 15


def amount_in(
    value: object, name: str, code: TaxErrorCode = TaxErrorCode.INVALID_AMOUNT
) -> Decimal:
    """A rupee amount >= 0 to the paisa (half up). Floats are refused (not exact money), as
    are bools, non-finite and negative values and anything above MAX_AMOUNT."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TaxError(
            code, f"{name} must be a Decimal amount in rupees, not {type(value).__name__}"
        )
    amount = Decimal(value)
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise TaxError(
            code, f"{name} must be a finite amount between 0 and {MAX_AMOUNT}, got {amount}"
        )
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def share_in(value: object, name: str) -> Decimal:
    """A share in [0, 1] given as a Decimal or int (e.g. Decimal("0.05") for 5%)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TaxError(TaxErrorCode.INVALID_CASH_SHARE, f"{name} must be a Decimal in [0, 1]")
    share = Decimal(value)
    if not share.is_finite() or share < 0 or share > 1:
        raise TaxError(TaxErrorCode.INVALID_CASH_SHARE, f"{name} must be in [0, 1], got {share}")
    return share


def paise(value: Decimal) -> Decimal:
    """To the paisa, half up: how a computed rupee figure (cess, surcharge) is stated."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def round_to_ten(value: Decimal) -> Decimal:
    """Nearest multiple of ₹10: paise ignored, then a last digit of 5 or more goes up, less
    than 5 goes down. Income-tax Act 1961 s.288A (total income) and s.288B (any amount
    payable or refund due); Income-tax Act 2025 s.516 (both).
    https://taxpage.in/section-288a-rounding-off-of-total-income-under-income-tax-act-1961.html
    https://taxmanagementindia.com/visitor/detail_act.asp?ID=3492
    https://aubsp.com/income-tax-act-2025-section-516"""
    rupees = value.to_integral_value(rounding=ROUND_DOWN)
    return ((rupees / TEN).to_integral_value(rounding=ROUND_HALF_UP) * TEN).quantize(CENT)


def floor_hundred(value: Decimal) -> Decimal:
    """The amount interest is charged on: a multiple of ₹100, any fraction of ₹100 ignored
    (Income-tax Rules 1962, rule 119A(c)); never below 0.
    https://ravcco.com/detail/36077.aspx"""
    if value <= 0:
        return ZERO
    return ((value / HUNDRED).to_integral_value(rounding=ROUND_FLOOR) * HUNDRED).quantize(CENT)


def ceil_rupee(value: Decimal) -> Decimal:
    """Up to the whole rupee (a set-aside that must not fall short)."""
    return value.to_integral_value(rounding=ROUND_CEILING).quantize(CENT)
