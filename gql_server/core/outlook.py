"""A user's outlook: the named features, the forecast of each horizon and its risk, and the
insights they support, computed together from one ledger (this is what a forecast worker
runs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from gql_server.core.features import compute_features
from gql_server.core.forecasting import HORIZONS, ForecastResult, forecast
from gql_server.core.insights import Insight, InsightContext, generate_insights
from gql_server.core.risk import RiskAssessment, assess_risk
from gql_server.core.series import Ledger, daily_series


@dataclass(frozen=True)
class Surroundings:
    """What the insights need beside the ledger: names and the buffer's state."""

    merchants: np.ndarray | None = None  # one per ledger row
    source_names: dict[int, str] = field(default_factory=dict)
    buffer_balance: Decimal | None = None
    buffer_target: Decimal | None = None
    monthly_paycheck: Decimal | None = None


@dataclass(frozen=True)
class Outlook:
    features: dict[str, float | None]
    forecast: ForecastResult
    risks: tuple[RiskAssessment, ...]  # one per horizon, in the order of forecast.horizons
    insights: tuple[Insight, ...] = ()  # most important first


def compute_outlook(
    ledger: Ledger,
    *,
    seed: int,
    horizons: tuple[int, ...] = HORIZONS,
    scheduled_net: np.ndarray | None = None,
    time_budget_s: float = 2.0,
    surroundings: Surroundings | None = None,
) -> Outlook:
    """Features of the history, then simulated forecasts; each horizon's risk combines its
    shortfall probability with the runway, the volatility and the trend of income
    (see `risk.assess_risk`); then the insight rules over all of it."""
    series = daily_series(ledger)
    features = compute_features(ledger, series)
    result = forecast(
        series,
        seed=seed,
        horizons=horizons,
        scheduled_net=scheduled_net,
        time_budget_s=time_budget_s,
    )
    risks = tuple(
        assess_risk(
            h.shortfall_probability,
            features.get("runway_months"),
            features.get("income_cv"),
            features.get("income_trend_slope"),
        )
        for h in result.horizons
    )
    around = surroundings or Surroundings()
    insights = generate_insights(
        InsightContext(
            ledger=ledger,
            series=series,
            features=features,
            forecast=result,
            source_names=around.source_names,
            buffer_balance=around.buffer_balance,
            buffer_target=around.buffer_target,
            monthly_paycheck=around.monthly_paycheck,
            merchants=around.merchants,
        )
    )
    return Outlook(features=features, forecast=result, risks=risks, insights=tuple(insights))
