"""What a reader of the outlook gets: one horizon's forecast with its risk (`HorizonView`), made
from the core's `HorizonForecast` once, stored as a dict of exact decimal strings and read back
from it; and a forecast as served (`ForecastView`), stored or what-if alike."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from gql_server.core.features import FEATURES
from gql_server.core.forecasting.choice import UNCALIBRATED, Calibration
from gql_server.core.forecasting.forecast import HORIZONS, ForecastResult, HorizonForecast
from gql_server.core.forecasting.risk import RiskAssessment
from gql_server.errors import BadUserInput
from gql_server.models import StoredOutlook

_MONEY_KEYS = (
    "expected_inflow",
    "expected_outflow",
    "expected_net",
    "inflow_low",
    "inflow_high",
    "outflow_low",
    "outflow_high",
    "net_low",
    "net_high",
    "projected_min_balance",
)


def money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


@dataclass(frozen=True)
class HorizonView:
    """One horizon's forecast and risk, money as Decimal to the paisa (as stored)."""

    horizon_days: int
    expected_inflow: Decimal
    expected_outflow: Decimal
    expected_net: Decimal
    inflow_low: Decimal
    inflow_high: Decimal
    outflow_low: Decimal
    outflow_high: Decimal
    net_low: Decimal
    net_high: Decimal
    projected_min_balance: Decimal
    shortfall_probability: float
    risk_level: str
    risk_score: float
    balance_quantiles: list[list[str]]  # per day: p10, p50, p90 as decimal strings
    # How this horizon's intervals were calibrated and how often they held out of sample
    # (`core.forecasting.choice.Calibration`); "none" and no figures for a short history.
    calibration_method: str = UNCALIBRATED
    coverage80: float | None = None
    calibration_sample_size: int = 0

    @classmethod
    def of(
        cls, horizon: HorizonForecast, risk: RiskAssessment, calibration: Calibration
    ) -> HorizonView:
        days = horizon.horizon_days
        coverage = calibration.coverage80.get(days)
        return cls(
            horizon_days=days,
            shortfall_probability=round(horizon.shortfall_probability, 4),
            risk_level=risk.level.value,
            risk_score=round(risk.score, 4),
            balance_quantiles=[[str(money(v)) for v in row] for row in horizon.balance_quantiles],
            calibration_method=calibration.method,
            coverage80=None if coverage is None else round(coverage, 4),
            calibration_sample_size=calibration.sample_size.get(days, 0),
            **{key: money(getattr(horizon, key)) for key in _MONEY_KEYS},
        )

    @classmethod
    def stored(cls, data: dict[str, Any]) -> HorizonView:
        coverage = data.get("coverage80")
        return cls(
            horizon_days=int(data["horizon_days"]),
            shortfall_probability=float(data["shortfall_probability"]),
            risk_level=data["risk_level"],
            risk_score=float(data["risk_score"]),
            balance_quantiles=data["balance_quantiles"],
            calibration_method=str(data.get("calibration_method", UNCALIBRATED)),
            coverage80=None if coverage is None else float(coverage),
            calibration_sample_size=int(data.get("calibration_sample_size", 0)),
            **{key: Decimal(data[key]) for key in _MONEY_KEYS},
        )

    def to_stored(self) -> dict[str, Any]:
        """As the JSON column keeps it: money as exact decimal strings."""
        data = asdict(self)
        return {key: str(v) if isinstance(v, Decimal) else v for key, v in data.items()}


def horizon_views(result: ForecastResult, risks: tuple[RiskAssessment, ...]) -> list[HorizonView]:
    return [
        HorizonView.of(h, r, result.calibration)
        for h, r in zip(result.horizons, risks, strict=True)
    ]


@dataclass(frozen=True)
class ForecastView:
    """One horizon's forecast as served: from the stored outlook or from a what-if."""

    as_of: date
    horizon: HorizonView
    model: str
    low_confidence: bool
    backtest_mase: float | None
    interval_coverage: float | None
    excluded_ids: list[int]  # transactions kept out of the baseline (as stored)
    generated_at: datetime | None  # None: computed for this request
    stale: bool = False  # the previous outlook, served while its refit runs

    @classmethod
    def stored(
        cls, outlook: StoredOutlook, horizon_days: int, *, stale: bool = False
    ) -> ForecastView:
        data = next(h for h in outlook.horizons if h["horizon_days"] == horizon_days)
        return cls(
            as_of=outlook.as_of,
            horizon=HorizonView.stored(data),
            model=outlook.model,
            low_confidence=outlook.low_confidence,
            backtest_mase=outlook.backtest_mase,
            interval_coverage=outlook.interval_coverage,
            excluded_ids=list(outlook.baseline_excluded or []),
            generated_at=outlook.generated_at,
            stale=stale,
        )

    @classmethod
    def what_if(
        cls,
        outlook: StoredOutlook,
        result: ForecastResult,
        risks: tuple[RiskAssessment, ...],
        horizon_days: int,
    ) -> ForecastView:
        """A what-if's horizon, beside the stored outlook it was computed against."""
        view = next(v for v in horizon_views(result, risks) if v.horizon_days == horizon_days)
        return cls(
            as_of=outlook.as_of,
            horizon=view,
            model=result.model,
            low_confidence=result.low_confidence,
            backtest_mase=result.backtest_mase,
            interval_coverage=result.interval_coverage,
            excluded_ids=list(outlook.baseline_excluded or []),
            generated_at=None,
        )


def check_horizon(horizon_days: int) -> int:
    if horizon_days not in HORIZONS:
        raise BadUserInput(
            f"horizonDays must be one of {', '.join(map(str, HORIZONS))}", field="horizonDays"
        )
    return horizon_days


def feature_values(outlook: StoredOutlook) -> list[tuple[str, float | None, str]]:
    return [(spec.name, outlook.features.get(spec.name), spec.description) for spec in FEATURES]
