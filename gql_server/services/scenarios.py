"""What-if scenarios: checked against the caller's data, computed in the forecast pool from the
same plan and seed as the stored outlook (`outlook.reader`), and never stored."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from gql_server.core.forecasting.choice import Choice
from gql_server.core.forecasting.forecast import ForecastResult
from gql_server.core.forecasting.risk import RiskAssessment
from gql_server.core.forecasting.scenarios import MAX_CHANGE_PCT, MIN_CHANGE_PCT, Scenario
from gql_server.core.outlook import Surroundings, compute_scenario
from gql_server.core.series import Ledger
from gql_server.errors import BadUserInput, NotFound
from gql_server.models import IncomeSource, User
from gql_server.services import validation
from gql_server.services.validation import object_id

MAX_LIST = 50


@dataclass(frozen=True)
class OneOffForm:
    amount: Decimal
    on: date
    note: str | None = None


@dataclass(frozen=True)
class ScenarioForm:
    drop_income_sources: list[str] = field(default_factory=list)
    income_change_percent: float | None = None
    extra_monthly_expense: Decimal | None = None
    one_off_expenses: list[OneOffForm] = field(default_factory=list)
    pay_advance_tax_on: date | None = None

    @property
    def is_empty(self) -> bool:
        return (
            not self.drop_income_sources
            and self.income_change_percent is None
            and self.extra_monthly_expense is None
            and not self.one_off_expenses
            and self.pay_advance_tax_on is None
        )


async def check_scenario(
    user: User, form: ScenarioForm, horizon_days: int, as_of: date
) -> Scenario:
    """A Scenario of the caller's own sources and amounts that can be paid: each failure is a
    BAD_USER_INPUT naming its field (another user's source is NOT_FOUND, as a missing one).
    One-offs fall in the forecast: the `horizon_days` after `as_of`, the history's last day."""
    prefix = "scenario."
    if len(form.drop_income_sources) > MAX_LIST or len(form.one_off_expenses) > MAX_LIST:
        raise BadUserInput(f"a scenario takes at most {MAX_LIST} entries per list")
    wanted = [
        object_id(raw, "income source", field=f"{prefix}dropIncomeSources[{k}]")
        for k, raw in enumerate(form.drop_income_sources)
    ]
    own = set(
        await IncomeSource.filter(user_id=user.id, id__in=wanted).values_list("id", flat=True)
    )
    for k, source_id in enumerate(wanted):
        if source_id not in own:
            raise NotFound("income source not found", field=f"{prefix}dropIncomeSources[{k}]")
    drop = set(wanted)
    change = form.income_change_percent or 0.0
    if not (math.isfinite(change) and MIN_CHANGE_PCT <= change <= MAX_CHANGE_PCT):
        raise BadUserInput(
            f"incomeChangePercent must be between {MIN_CHANGE_PCT:.0f} and {MAX_CHANGE_PCT:.0f}",
            field=f"{prefix}incomeChangePercent",
        )
    extra = Decimal("0")
    if form.extra_monthly_expense is not None:
        extra = validation.money(form.extra_monthly_expense, f"{prefix}extraMonthlyExpense")
    first, last = as_of + timedelta(days=1), as_of + timedelta(days=horizon_days)
    one_offs = []
    for k, one_off in enumerate(form.one_off_expenses):
        where = f"{prefix}oneOffExpenses[{k}]"
        amount = validation.money(one_off.amount, f"{where}.amount")
        if not first <= one_off.on <= last:
            raise BadUserInput(
                f"{where}.on must be within the forecast: {first} to {last}", field=f"{where}.on"
            )
        validation.text(one_off.note, f"{where}.note", 200)
        one_offs.append((one_off.on, float(amount)))
    paid_on = form.pay_advance_tax_on
    if paid_on is not None and not first <= paid_on <= last:
        raise BadUserInput(
            f"{prefix}payAdvanceTaxOn must be within the forecast: {first} to {last}",
            field=f"{prefix}payAdvanceTaxOn",
        )
    return Scenario(
        drop_source_ids=frozenset(drop),
        income_change_pct=float(change),
        extra_monthly_expense=float(extra),
        one_offs=tuple(one_offs),
        dues_paid_on=paid_on,
    )


def compute_what_if(
    ledger: Ledger,
    seed: int,
    scenario: Scenario,
    features: dict[str, float | None],
    surroundings: Surroundings,
    choice: Choice | None = None,
) -> tuple[ForecastResult, tuple[RiskAssessment, ...]]:
    """Runs in a pool worker. `choice`: the stored outlook's models and calibration."""
    return compute_scenario(
        ledger,
        seed=seed,
        scenario=scenario,
        features=features,
        surroundings=surroundings,
        choice=choice,
    )
