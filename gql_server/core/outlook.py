"""A user's outlook: the named features, known money ahead (recurring items and the baseline
the model learns from), the forecast of each horizon and its risk, and the insights they
support, computed together from one ledger (this is what a forecast worker runs). What-if
scenarios run the same plan with the same seed (`compute_scenario`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import numpy as np

from gql_server.core.features import compute_features
from gql_server.core.forecasting.choice import Choice
from gql_server.core.forecasting.evaluation import Planner, evaluate
from gql_server.core.forecasting.forecast import HORIZONS, ForecastResult
from gql_server.core.forecasting.risk import RiskAssessment, assess_risk
from gql_server.core.forecasting.scenarios import Scenario, forecast_known
from gql_server.core.insights.records import Insight, InsightContext
from gql_server.core.insights.rules import generate_insights
from gql_server.core.known_money.items import Declared
from gql_server.core.known_money.plan import KnownMoney, plan_known_money
from gql_server.core.series import DailySeries, Ledger, daily_series
from gql_server.core.tax.outlook import TaxOutlook

# The share of the time budget the evaluation may take before its origins stop early.
EVALUATION_SHARE = 0.7


@dataclass(frozen=True)
class Surroundings:
    """What the insights need beside the ledger: names and the buffer's state."""

    merchants: np.ndarray | None = None  # one per ledger row
    source_names: dict[int, str] = field(default_factory=dict)
    buffer_balance: Decimal | None = None
    buffer_target: Decimal | None = None
    monthly_paycheck: Decimal | None = None
    declared: tuple[Declared, ...] = ()  # the user's recurring items
    dismissed: frozenset[tuple[str, bool]] = frozenset()  # (counterparty key, is_income)
    overrides: np.ndarray | None = None  # per row: known_money.plan.EXCLUDE, INCLUDE or AUTOMATIC
    # Certain outflows ahead (day, rupees): the advance-tax instalments still unpaid.
    dues: tuple[tuple[date, float], ...] = ()
    tax: TaxOutlook | None = None  # the year's tax, for the insights (None: no profile)


@dataclass(frozen=True)
class Outlook:
    features: dict[str, float | None]
    forecast: ForecastResult
    risks: tuple[RiskAssessment, ...]  # one per horizon, in the order of forecast.horizons
    insights: tuple[Insight, ...] = ()  # most important first
    known: KnownMoney | None = None
    choice: Choice | None = None  # the evaluation's models and calibration (what-ifs reuse it)


def _plan(ledger: Ledger, around: Surroundings, rows: np.ndarray | None = None) -> KnownMoney:
    """Known money of `ledger`, which holds `rows` (a mask) of the ledger `around` describes
    when it is cut short (an origin of the evaluation), else all of them."""

    def cut(values: np.ndarray | None) -> np.ndarray | None:
        return values if values is None or rows is None else np.asarray(values)[rows]

    return plan_known_money(
        ledger,
        merchants=cut(around.merchants),
        declared=around.declared,
        dismissed=around.dismissed,
        overrides=cut(around.overrides),
    )


def planner(around: Surroundings) -> Planner:
    """The known money of the ledger `around` describes, cut short at an evaluation origin to
    the rows it keeps: how the live outlook plans, for `evaluation.evaluate`."""
    return lambda past, rows: _plan(past, around, rows)


def _choose(ledger: Ledger, around: Surroundings, seed: int, deadline: float) -> Choice:
    """Models and calibration from the whole forecast redone at rolling origins, each from
    the rows before it (`evaluation.evaluate`)."""
    return evaluate(ledger, planner(around), seed=seed, deadline=deadline)


def _forecast(
    ledger: Ledger,
    around: Surroundings,
    known: KnownMoney,
    series: DailySeries,
    seed: int,
    time_budget_s: float,
    *,
    scenario: Scenario | None = None,
    horizons: tuple[int, ...] = HORIZONS,
    choice: Choice | None = None,
) -> tuple[ForecastResult, Choice]:
    """The forecast under `scenario` (none: as is) with the models and calibration the
    evaluation chose on the real ledger (a scenario changes the future, not which model
    the history supports), within `time_budget_s` shared between the two; `choice` when the
    caller has it (the stored outlook's, for a what-if), else made now. Returns the choice."""
    started = time.perf_counter()
    if choice is None:
        choice = _choose(ledger, around, seed, started + EVALUATION_SHARE * time_budget_s)
    result = forecast_known(
        ledger,
        known,
        series,
        seed=seed,
        scenario=scenario,
        horizons=horizons,
        choice=choice,
        time_budget_s=max(time_budget_s - (time.perf_counter() - started), 0.0),
        dues=around.dues,
    )
    return result, choice


def _risks(result: ForecastResult, features: dict[str, float | None]) -> tuple[RiskAssessment, ...]:
    return tuple(
        assess_risk(
            h.shortfall_probability,
            features.get("runway_months"),
            features.get("income_cv"),
            features.get("income_trend_slope"),
        )
        for h in result.horizons
    )


def compute_outlook(
    ledger: Ledger,
    *,
    seed: int,
    horizons: tuple[int, ...] = HORIZONS,
    time_budget_s: float = 2.0,
    surroundings: Surroundings | None = None,
) -> Outlook:
    """Features of the history; known money and the baseline (`known_money`); simulated
    forecasts of known flows plus the rest; each horizon's risk combines its shortfall
    probability with the runway, the volatility and the trend of income (see
    `risk.assess_risk`); then the insight rules over all of it."""
    around = surroundings or Surroundings()
    series = daily_series(ledger)
    features = compute_features(ledger, series)
    known = _plan(ledger, around)
    result, choice = _forecast(
        ledger, around, known, series, seed, time_budget_s, horizons=horizons
    )
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
            schedule=known.schedule,
            tax=around.tax,
        )
    )
    return Outlook(
        features=features,
        forecast=result,
        risks=_risks(result, features),
        insights=tuple(insights),
        known=known,
        choice=choice,
    )


def compute_scenario(
    ledger: Ledger,
    *,
    seed: int,
    scenario: Scenario,
    features: dict[str, float | None],
    surroundings: Surroundings | None = None,
    time_budget_s: float = 2.0,
    choice: Choice | None = None,
) -> tuple[ForecastResult, tuple[RiskAssessment, ...]]:
    """The forecast of every horizon under `scenario`, with its risks (`features` and
    `choice` from the stored outlook: a scenario changes the future, not the history they
    describe; without a choice the evaluation is redone, the same choice but for a time
    budget that cut it short)."""
    around = surroundings or Surroundings()
    series = daily_series(ledger)
    known = _plan(ledger, around)
    result, _ = _forecast(
        ledger, around, known, series, seed, time_budget_s, scenario=scenario, choice=choice
    )
    return result, _risks(result, features)
