"""A user's alert settings, checked when made: a bad value raises `AlertSettingsError` with
code INVALID_ALERT_SETTINGS and the field it is about, which the API passes on as it is."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from gql_server.core.alerts.records import AlertKind

INVALID_ALERT_SETTINGS = "INVALID_ALERT_SETTINGS"
# Rs 10 crore: far above any freelancer's floor, low enough to catch a value typed in paise.
MAX_LOW_BALANCE = Decimal("100000000")
# Past two months an invoice is a collection matter, not news about this month's cash.
MAX_INCOME_OVERDUE_DAYS = 60


class AlertSettingsError(ValueError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.code = INVALID_ALERT_SETTINGS
        self.field = field_name


def _all_kinds() -> frozenset[AlertKind]:
    return frozenset(AlertKind)


@dataclass(frozen=True)
class AlertSettings:
    """Thresholds at which alerts fire. Defaults: warn from a 25% chance of going below zero
    within 7 days or 35% within 30 (a 30-day chance is naturally higher, and warning at
    a quarter of it would cry wolf for most irregular earners); a balance projected below
    zero; income 5 days past its usual date (bank transfers and weekends make 1-3 days
    ordinary)."""

    shortfall_threshold_7: float = 0.25
    shortfall_threshold_30: float = 0.35
    low_balance_below: Decimal = Decimal("0.00")
    income_overdue_days: int = 5
    enabled: frozenset[AlertKind] = field(default_factory=_all_kinds)

    def __post_init__(self) -> None:
        for name in ("shortfall_threshold_7", "shortfall_threshold_30"):
            _check_probability(name, getattr(self, name))
        _check_amount("low_balance_below", self.low_balance_below)
        days = self.income_overdue_days
        if isinstance(days, bool) or not isinstance(days, int):
            raise AlertSettingsError(
                "income_overdue_days", "income_overdue_days must be a whole number"
            )
        if not 1 <= days <= MAX_INCOME_OVERDUE_DAYS:
            raise AlertSettingsError(
                "income_overdue_days",
                f"income_overdue_days must be from 1 to {MAX_INCOME_OVERDUE_DAYS}, got {days}",
            )
        if not isinstance(self.enabled, frozenset):
            raise AlertSettingsError("enabled", "enabled must be a frozenset of alert kinds")
        unknown = sorted(str(kind) for kind in self.enabled if not isinstance(kind, AlertKind))
        if unknown:
            raise AlertSettingsError("enabled", f"enabled holds unknown alert kinds: {unknown}")


def _check_probability(name: str, value: float) -> None:
    valid = isinstance(value, float | int) and not isinstance(value, bool) and math.isfinite(value)
    if not valid or not 0 < value < 1:
        raise AlertSettingsError(
            name, f"{name} must be a probability between 0 and 1, got {value!r}"
        )


def _check_amount(name: str, value: Decimal) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise AlertSettingsError(name, f"{name} must be an amount in rupees, got {value!r}")
    if not 0 <= value <= MAX_LOW_BALANCE:
        raise AlertSettingsError(name, f"{name} must be from ₹0 to ₹10,00,00,000, got {value}")
