"""What every insight rule is given (the context) and returns (insights with their severity,
importance and metrics). A message shows only numbers that are also in its metrics, written
the one way `wording` writes them, counts as integers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

import numpy as np

from gql_server.core.forecasting.forecast import ForecastResult
from gql_server.core.known_money.items import RecurringSeries
from gql_server.core.series import DailySeries, Ledger
from gql_server.core.tax.outlook import TaxOutlook

Metric = float | int | str | None


class Severity(StrEnum):
    POSITIVE = "POSITIVE"
    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


# Severity orders insights first; the size of the effect (0..1) orders them within a severity.
SEVERITY_RANK: dict[Severity, int] = {
    Severity.INFO: 0,
    Severity.POSITIVE: 1,
    Severity.WARNING: 2,
    Severity.CRITICAL: 3,
}


@dataclass(frozen=True)
class Insight:
    kind: str  # snake_case: "income_trend", "seasonality", "runway", ...
    severity: Severity
    title: str  # short, e.g. "Income up 40% over the last 3 months"
    message: str  # one or two plain sentences a person can act on; amounts via format_inr
    period_start: date | None
    period_end: date | None
    metrics: dict[str, Metric]  # the numbers the statement rests on (JSON-able)
    importance: float  # higher first: severity rank, then the size of the effect


@dataclass(frozen=True)
class InsightContext:
    ledger: Ledger
    series: DailySeries
    features: dict[str, float | None]
    forecast: ForecastResult | None = None
    source_names: dict[int, str] = field(default_factory=dict)  # income source id -> name
    buffer_balance: Decimal | None = None
    buffer_target: Decimal | None = None
    monthly_paycheck: Decimal | None = None
    # Merchant or counterparty of each ledger row (object array of str, parallel to the
    # ledger); the Ledger has no such column and only `top_merchants` needs it.
    merchants: np.ndarray | None = None
    # Recurring items scheduled in the forecast (known_money.plan.KnownMoney.schedule).
    schedule: tuple[RecurringSeries, ...] = ()
    # The user's tax outlook for the current financial year (`insights.tax` reads it); None
    # when it could not be computed, and then no tax insight is given.
    tax: TaxOutlook | None = None


def clean_metrics(metrics: dict[str, Metric]) -> dict[str, Metric]:
    """Plain Python values for JSON: numpy scalars unwrapped, NaN and infinities as None."""
    cleaned: dict[str, Metric] = {}
    for name, value in metrics.items():
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        cleaned[name] = value
    return cleaned


def make_insight(
    kind: str,
    severity: Severity,
    title: str,
    message: str,
    metrics: dict[str, Metric],
    effect: float,
    period: tuple[date | None, date | None] = (None, None),
) -> Insight:
    """An insight whose importance is its severity's rank plus the effect clipped to 0..1."""
    size = effect if math.isfinite(effect) else 0.0
    return Insight(
        kind=kind,
        severity=severity,
        title=title,
        message=message,
        period_start=period[0],
        period_end=period[1],
        metrics=clean_metrics(metrics),
        importance=SEVERITY_RANK[severity] + 0.999 * min(max(size, 0.0), 1.0),
    )
