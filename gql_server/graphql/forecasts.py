"""Forecasts and features in GraphQL: what the next 7, 30 and 60 days look like, and how sure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import TypeAlias
from zoneinfo import ZoneInfo

import strawberry

from gql_server.core.forecasting import risk
from gql_server.core.forecasting.choice import CONFORMAL, UNCALIBRATED
from gql_server.core.forecasting.forecast import HORIZONS
from gql_server.errors import BadUserInput
from gql_server.graphql.context import Info, outlook
from gql_server.graphql.ids import local_id
from gql_server.graphql.ledger import TransactionType, to_gql_transaction
from gql_server.graphql.permissions import IsAuthenticated
from gql_server.services import scenarios
from gql_server.services.outlook import ForecastView
from gql_server.services.outlook.reader import excluded_transactions
from gql_server.services.outlook.service import Served

# The core's enum, registered in place (see ledger.Direction): one declaration, not two.
RiskLevel: TypeAlias = risk.RiskLevel
strawberry.enum(risk.RiskLevel, name="RiskLevel")


@strawberry.enum(description="How a forecast's 80% intervals were calibrated.")
class CalibrationMethod(Enum):
    NONE = strawberry.enum_value(
        UNCALIBRATED, description="As simulated: the history is too short to test them."
    )
    CONFORMAL = strawberry.enum_value(
        CONFORMAL,
        description="Widened or narrowed so that 80% of the outcomes of the same forecast made "
        "at earlier dates fell inside (conformal calibration on the user's own history, shrunk "
        "towards a factor pooled over many users whose income had the same trend and "
        "volatility).",
    )


@strawberry.type(description="How the 80% intervals were calibrated and how often they held.")
class ForecastCalibration:
    method: CalibrationMethod
    coverage80: float | None = strawberry.field(
        description="Out of sample: the share of this horizon's inflow and outflow sums, "
        "forecast at up to five earlier dates (each from the data before it, with the "
        "calibration known then), that fell inside their 80% interval. Null when not tested."
    )
    sample_size: int = strawberry.field(
        description="How many forecast sums coverage80 counts (inflow and outflow per date)."
    )


@strawberry.type
class Forecast:
    horizon_days: int
    as_of: date = strawberry.field(description="Last day of the history it starts after.")
    expected_inflow: Decimal
    expected_outflow: Decimal
    expected_net: Decimal
    inflow_low: Decimal = strawberry.field(description="80% interval of the inflow: 10th pct.")
    inflow_high: Decimal = strawberry.field(description="80% interval of the inflow: 90th pct.")
    outflow_low: Decimal = strawberry.field(description="80% interval of the outflow: 10th pct.")
    outflow_high: Decimal = strawberry.field(description="80% interval of the outflow: 90th pct.")
    net_low: Decimal
    net_high: Decimal
    projected_min_balance: Decimal = strawberry.field(
        description="Median over simulated paths of the lowest end-of-day balance."
    )
    shortfall_probability: float = strawberry.field(
        description="Chance that the balance goes below zero within the horizon, 0..1."
    )
    risk_level: RiskLevel
    risk_score: float = strawberry.field(description="0 (safe) .. 1.")
    model: str = strawberry.field(description="The model behind the inflow forecast.")
    low_confidence: bool = strawberry.field(description="Too little history to trust much.")
    backtest_mase: float | None = strawberry.field(
        description="Out of sample: the whole forecast made at up to five earlier dates 30 days "
        "apart, each from the data before it (model, ARIMA order, recurring items and outlier "
        "limits chosen then), its mean absolute error on your actual 30-day inflow, divided by "
        "the mean error over your history of forecasting 30 days by the 30 before them (MASE: "
        "below 1 beats that rule)."
    )
    interval_coverage: float | None = strawberry.field(
        description="Out of sample, at the same dates: the share whose actual 30-day inflow fell "
        "inside the calibrated 80% interval given then."
    )
    calibration: ForecastCalibration
    generated_at: datetime
    computed_at: datetime = strawberry.field(
        description="When the outlook this forecast comes from was computed (a what-if: now)."
    )
    stale: bool = strawberry.field(
        description="True: your data changed since computedAt and this is the previous "
        "outlook, served while its refit runs in the background (ask with "
        "maxStalenessSeconds: 0 to wait for the fresh one)."
    )
    excluded_ids: strawberry.Private[list[int]]

    @strawberry.field(
        description="One-off transactions the model learns only in part (clipped to what is "
        "usual for their category by the outlier rule) or not at all (excludeFromForecast: "
        "true), newest first."
    )
    async def kept_out_of_baseline(self, info: Info) -> list[TransactionType]:
        user = await info.context.require_user()
        rows = await excluded_transactions(user, self.excluded_ids)
        zone = ZoneInfo(user.timezone)
        return [to_gql_transaction(row, zone) for row in rows]


@strawberry.type
class Feature:
    name: str
    value: float | None
    description: str


@strawberry.type
class Features:
    as_of: date
    values: list[Feature]


@strawberry.input(description="A one-off expense on a day inside the forecast.")
class OneOffInput:
    amount: Decimal = strawberry.field(description="Rupees, > 0, at most 2 decimals.")
    on: date = strawberry.field(
        description="From today (the first forecast day) to the horizon's last day."
    )
    note: str | None = None


@strawberry.input(
    description="A what-if, computed on the fly and never stored. Each part is optional."
)
class ScenarioInput:
    drop_income_sources: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Your income sources to lose: their money stops."
    )
    income_change_percent: float | None = strawberry.field(
        default=None, description="-100..500: every inflow scaled by it (-20 earns 20% less)."
    )
    extra_monthly_expense: Decimal | None = strawberry.field(
        default=None, description="A new cost each month, spread evenly over the days."
    )
    one_off_expenses: list[OneOffInput] | None = None
    pay_advance_tax_on: date | None = strawberry.field(
        default=None,
        description="Pay every advance-tax instalment due after this day on it instead (a day "
        "within the forecast).",
    )


@strawberry.type
class BalanceQuantiles:
    date: date
    p10: Decimal = strawberry.field(description="1 path in 10 ends the day below this.")
    p50: Decimal
    p90: Decimal


def _form(scenario: ScenarioInput | None) -> scenarios.ScenarioForm | None:
    if scenario is None:
        return None
    return scenarios.ScenarioForm(
        drop_income_sources=[
            local_id(i, "IncomeSource") for i in scenario.drop_income_sources or []
        ],
        income_change_percent=scenario.income_change_percent,
        extra_monthly_expense=scenario.extra_monthly_expense,
        one_off_expenses=[
            scenarios.OneOffForm(amount=o.amount, on=o.on, note=o.note)
            for o in scenario.one_off_expenses or []
        ],
        pay_advance_tax_on=scenario.pay_advance_tax_on,
    )


def to_gql_forecast(forecast: ForecastView) -> Forecast:
    view = forecast.horizon
    computed = forecast.generated_at or datetime.now(UTC)
    return Forecast(
        horizon_days=view.horizon_days,
        as_of=forecast.as_of,
        expected_inflow=view.expected_inflow,
        expected_outflow=view.expected_outflow,
        expected_net=view.expected_net,
        inflow_low=view.inflow_low,
        inflow_high=view.inflow_high,
        outflow_low=view.outflow_low,
        outflow_high=view.outflow_high,
        net_low=view.net_low,
        net_high=view.net_high,
        projected_min_balance=view.projected_min_balance,
        shortfall_probability=view.shortfall_probability,
        risk_level=RiskLevel(view.risk_level),
        risk_score=view.risk_score,
        model=forecast.model,
        low_confidence=forecast.low_confidence,
        backtest_mase=forecast.backtest_mase,
        interval_coverage=forecast.interval_coverage,
        calibration=ForecastCalibration(
            method=CalibrationMethod(view.calibration_method),
            coverage80=view.coverage80,
            sample_size=view.calibration_sample_size,
        ),
        generated_at=computed,
        computed_at=computed,
        stale=forecast.stale,
        excluded_ids=forecast.excluded_ids,
    )


MAX_STALENESS_S = 30 * 24 * 3600


def staleness(value: int | None) -> float | None:
    if value is None:
        return None
    if not 0 <= value <= MAX_STALENESS_S:
        raise BadUserInput(
            f"maxStalenessSeconds must be between 0 and {MAX_STALENESS_S:,} (30 days)",
            field="maxStalenessSeconds",
        )
    return float(value)


async def resolve_forecast(
    info: Info,
    horizon_days: int,
    scenario: ScenarioInput | None = None,
    max_staleness_seconds: int | None = None,
) -> Forecast:
    limit = staleness(max_staleness_seconds)
    return to_gql_forecast(await outlook(info).forecast(horizon_days, _form(scenario), limit))


async def resolve_balance_forecast(
    info: Info, horizon_days: int, scenario: ScenarioInput | None = None
) -> list[BalanceQuantiles]:
    forecast = await outlook(info).forecast(horizon_days, _form(scenario))
    first = forecast.as_of + timedelta(days=1)
    return [
        BalanceQuantiles(
            date=first + timedelta(days=k), p10=Decimal(p10), p50=Decimal(p50), p90=Decimal(p90)
        )
        for k, (p10, p50, p90) in enumerate(forecast.horizon.balance_quantiles)
    ]


async def resolve_forecasts(
    info: Info, refresh: bool = False, max_staleness_seconds: int | None = None
) -> list[Forecast]:
    reader = outlook(info)
    if refresh:
        served = Served(await reader.refreshed())
    else:
        served = await reader.served(staleness(max_staleness_seconds))
    return [
        to_gql_forecast(ForecastView.stored(served.outlook, h, stale=served.stale))
        for h in HORIZONS
    ]


async def resolve_features(info: Info) -> Features:
    as_of, values = await outlook(info).features()
    return Features(
        as_of=as_of, values=[Feature(name=n, value=v, description=d) for n, v, d in values]
    )


@strawberry.type
class ForecastMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Recomputes the caller's forecasts now, even if nothing changed.",
    )
    async def refresh_forecasts(self, info: Info) -> list[Forecast]:
        return await resolve_forecasts(info, refresh=True)
