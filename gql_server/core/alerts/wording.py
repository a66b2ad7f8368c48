"""How numbers are written into alerts: amounts in messages the Indian way in whole rupees
(`format_inr`, "₹42,300", "-₹12,400") and in metrics as strings to the paisa ("42300.00"),
so a client never meets a float rupee; dates as "15 Dec", with the year only when it is not
the as-of date's; chances as whole percent."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from gql_server.core.money_format import format_inr

_PAISA = Decimal("0.01")


def money(amount: Decimal) -> str:
    """For a message: '₹42,300', rounded from the paise the metrics keep."""
    return format_inr(amount_metric_value(amount))


def amount_metric(amount: Decimal) -> str:
    """For metrics: '42300.00'."""
    return str(amount_metric_value(amount))


def amount_metric_value(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(_PAISA, rounding=ROUND_HALF_EVEN)


def chance(probability: float) -> str:
    """'35%'; never '0%' or '100%' for a chance that is neither, since a person reads those
    as certainties."""
    whole = round(probability * 100)
    if whole == 0 and probability > 0:
        return "under 1%"
    if whole == 100 and probability < 1:
        return "over 99%"
    return f"{whole}%"


def days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def possessive(name: str) -> str:
    """ "Acme Studio's", "Acme Designs'"."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"
