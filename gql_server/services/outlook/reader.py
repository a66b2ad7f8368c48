"""One request's reads of the caller's outlook. Every read makes sure the outlook is fresh for
the caller's data first, so no caller has to know the order in which to ask."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any, TypeVar

from gql_server.core.forecasting.choice import choice_from_json
from gql_server.core.forecasting.forecast import ForecastResult
from gql_server.core.forecasting.risk import RiskAssessment
from gql_server.core.forecasting.scenarios import Scenario
from gql_server.core.outlook import Surroundings
from gql_server.models import (
    Direction,
    Insight,
    RecurringItem,
    RecurringStatus,
    StoredOutlook,
    Transaction,
    User,
)
from gql_server.services import pages, recurring_items, scenarios
from gql_server.services.outlook import inputs
from gql_server.services.outlook.ledger import RawLedger
from gql_server.services.outlook.service import OutlookService, Served
from gql_server.services.outlook.views import (
    ForecastView,
    check_horizon,
    feature_values,
)
from gql_server.services.validation import history_end

T = TypeVar("T")


def what_if_in_worker(
    raw: RawLedger,
    seed: int,
    scenario: Scenario,
    features: dict[str, float | None],
    surroundings: Surroundings,
    choice: dict[str, Any] | None,
) -> tuple[ForecastResult, tuple[RiskAssessment, ...]]:
    """Runs in a pool worker, which parses the ledger (`RawLedger`). `choice`: the stored
    outlook's models and calibration (None for an outlook stored before it kept them, or one
    that does not read back: the evaluation is redone)."""
    loaded, around = inputs.parsed(raw, surroundings)
    try:
        chosen = choice_from_json(choice) if choice is not None else None
    except (KeyError, TypeError, ValueError):
        chosen = None
    return scenarios.compute_what_if(loaded.ledger, seed, scenario, features, around, chosen)


async def excluded_transactions(user: User, ids: Sequence[int]) -> list[Transaction]:
    """The caller's transactions among `ids`, newest first (a stored list may name rows that
    were deleted since)."""
    if not ids:
        return []
    return await Transaction.filter(user_id=user.id, id__in=list(ids)).order_by(
        "-occurred_at", "-id"
    )


class OutlookReader:
    """The caller's outlook for one request. Shared (a query): the outlook is read once
    however many fields ask, a what-if asked for twice is one fit, and the ledger is read once
    for all the what-ifs. Not shared (a mutation, where a field may follow a write): every
    read is afresh."""

    def __init__(
        self,
        service: Callable[[], OutlookService],
        user: Callable[[], Awaitable[User]],
        *,
        shared: bool = True,
    ) -> None:
        self._service = service
        self._user = user
        self.shared = shared
        self._futures: dict[str, asyncio.Future[Any]] = {}

    async def _once(self, key: str, make: Callable[[], Awaitable[T]]) -> T:
        if not self.shared:
            return await make()
        if key not in self._futures:
            self._futures[key] = asyncio.ensure_future(make())
        return await asyncio.shield(self._futures[key])

    def cancel(self) -> None:
        """The request was abandoned: stop the reads and fits its fields were sharing (each
        is shielded from any one field's cancellation, so they stop only here)."""
        for future in self._futures.values():
            future.cancel()

    async def served(self, max_staleness_s: float | None = None) -> Served:
        """The caller's outlook: fresh for their data, or the previous one (marked stale)
        while its refit runs, when that is no older than `max_staleness_s` (None: any)."""
        user = await self._user()
        key = "outlook" if max_staleness_s is None else f"outlook:{max_staleness_s}"
        return await self._once(key, lambda: self._service().serve(user, max_staleness_s))

    async def current(self) -> StoredOutlook:
        return (await self.served()).outlook

    async def refreshed(self) -> StoredOutlook:
        """Computed now, even if nothing changed; later reads of the request see it."""
        user = await self._user()
        outlook = await self._service().current(user, refresh=True)
        if self.shared:
            self._futures["outlook"] = asyncio.get_running_loop().create_future()
            self._futures["outlook"].set_result(Served(outlook))
        return outlook

    async def forecast(
        self,
        horizon_days: int,
        scenario: scenarios.ScenarioForm | None = None,
        max_staleness_s: float | None = None,
    ) -> ForecastView:
        """The horizon's stored forecast, or under the scenario when there is one (an empty
        scenario would reproduce the stored forecast exactly)."""
        check_horizon(horizon_days)
        if scenario is None or scenario.is_empty:
            served = await self.served(max_staleness_s)
            return ForecastView.stored(served.outlook, horizon_days, stale=served.stale)
        return await self._once(
            f"what-if:{horizon_days}:{scenario!r}", lambda: self._what_if(horizon_days, scenario)
        )

    async def _what_if(self, horizon_days: int, form: scenarios.ScenarioForm) -> ForecastView:
        user = await self._user()
        as_of = history_end(user.timezone)
        scenario = await scenarios.check_scenario(user, form, horizon_days, as_of)  # first
        stored = await self.current()
        if stored.as_of != as_of:  # midnight passed in between: check against the new day
            scenario = await scenarios.check_scenario(user, form, horizon_days, stored.as_of)

        async def arguments() -> tuple[Any, ...]:
            raw = await self._once(
                f"ledger:{stored.as_of}", lambda: inputs.ledger(user, stored.as_of)
            )
            surroundings = await inputs.read_for_what_if(user)
            return (raw, user.id, scenario, stored.features, surroundings, stored.choice)

        result, risks = await self._service().run(user.id, what_if_in_worker, arguments)
        return ForecastView.what_if(stored, result, risks, horizon_days)

    async def features(self) -> tuple[date, list[tuple[str, float | None, str]]]:
        outlook = await self.current()
        return outlook.as_of, feature_values(outlook)

    async def insights(self, first: int) -> list[Insight]:
        """The most important first, as of the caller's current data."""
        pages.page_size(first, pages.TOP_INSIGHTS)
        user = await self._user()
        await self.current()
        return await Insight.filter(user_id=user.id).order_by("-importance", "id").limit(first)

    async def recurring_items(
        self, status: RecurringStatus | None = None, direction: Direction | None = None
    ) -> list[RecurringItem]:
        """Detected (as of the caller's current ledger) and declared, by next date."""
        user = await self._user()
        await self.current()
        return await recurring_items.list_items(user, status, direction)
