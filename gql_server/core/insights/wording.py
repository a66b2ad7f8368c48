"""How a number is written into an insight's message and its metrics: amounts with
`format_inr` (₹1,07,954), percentages as whole percent of a metric already in percent
(`change_pct` -35.2 reads "35%" after "down"), months and ratios with one decimal. A client can
then show the message and chart the metrics without the two disagreeing."""

from __future__ import annotations

from gql_server.core.money_format import format_inr


def money(amount: float) -> str:
    """An amount for a message: whole rupees the Indian way, rounded from the paise the
    metrics keep (so ₹9,998.50 reads ₹9,998 in both, never ₹9,999 from ₹9,998.5000001)."""
    return format_inr(rupees(amount))


def percent(value_pct: float) -> str:
    """A metric already in percent, as a whole percent without sign ('35%')."""
    return f"{abs(value_pct):.0f}%"


def one_decimal(value: float) -> str:
    return f"{value:.1f}"


def rupees(value: float) -> float:
    """An amount for metrics: rupees to the paisa."""
    return round(float(value), 2)


def pct(fraction: float) -> float:
    """A fraction for metrics, in percent with one decimal (0.372 -> 37.2)."""
    return round(float(fraction) * 100, 1)
