"""The outlook service: loads a user's inputs (`inputs`), computes the outlook in the forecast
pool, stores it with the fingerprint of those inputs, and serves it until they change."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from tortoise.transactions import in_transaction

from gql_server import locks
from gql_server.core.forecasting.choice import choice_as_json
from gql_server.core.insights.records import Insight as CoreInsight
from gql_server.core.outlook import Outlook, Surroundings, compute_outlook
from gql_server.errors import AccountErased
from gql_server.models import Insight, StoredOutlook, User
from gql_server.services import recurring_items
from gql_server.services.forecast_leases import ForecastLeases
from gql_server.services.forecast_pool import ForecastPool
from gql_server.services.outlook import inputs
from gql_server.services.outlook.ledger import RawLedger
from gql_server.services.outlook.refits import RefitQueue, RefitTimes
from gql_server.services.outlook.views import horizon_views
from gql_server.services.validation import history_end

MAX_EXCLUDED_LISTED = 500
logger = logging.getLogger("gql_server.outlook")
T = TypeVar("T")


def _insight_row(user_id: int, insight: CoreInsight, made_at: datetime) -> Insight:
    return Insight(
        user_id=user_id,
        kind=insight.kind[:40],
        severity=insight.severity.value,
        title=insight.title[:200],
        message=insight.message[:1000],
        metrics=insight.metrics,
        period_start=insight.period_start,
        period_end=insight.period_end,
        importance=insight.importance,
        created_at=made_at,
    )


def _age_s(stored: StoredOutlook) -> float:
    return (datetime.now(UTC) - stored.generated_at).total_seconds()


def _compute(raw: RawLedger, seed: int, surroundings: Surroundings) -> tuple[Outlook, list[int]]:
    """Runs in a pool worker, which parses the ledger (`RawLedger`): the outlook, and the ids
    of the rows its baseline leaves out (at most MAX_EXCLUDED_LISTED)."""
    loaded, around = inputs.parsed(raw, surroundings)
    outlook = compute_outlook(loaded.ledger, seed=seed, surroundings=around)
    known = outlook.known
    excluded = loaded.ids[known.excluded][:MAX_EXCLUDED_LISTED].tolist() if known else []
    return outlook, excluded


@dataclass(frozen=True)
class Served:
    """An outlook as a reader gets it: `stale` when it is the previous one, served while its
    refit runs in the background."""

    outlook: StoredOutlook
    stale: bool = False


class OutlookService:
    """The one owner of stored outlooks. Concurrent requests for the same user and inputs
    share one computation (a per-process cache of futures, safe to lose). With a refit queue,
    readers of a stale outlook do not wait for the fit: they get the fresh one if it is ready
    within `read_budget_s`, else the previous one, marked stale (`serve`)."""

    def __init__(
        self,
        pool: ForecastPool,
        jobs_per_user: int = 1,
        read_budget_s: float = 0.025,
        refit_workers: int = 2,
        refit_times: RefitTimes | None = None,
    ) -> None:
        self.pool = pool
        self.read_budget_s = read_budget_s
        self.outlooks_computed = 0  # in this process, since it started (metrics, tests)
        self.refits = RefitQueue(self._refit_user, refit_workers, refit_times)
        # A lease lasts past the time limit by as much again: a fit the request gave up on
        # still runs in its worker and still counts.
        self.leases = ForecastLeases(jobs_per_user, lifetime_s=2 * pool.timeout_s + 60)
        self._in_flight: dict[tuple[int, str], asyncio.Future[StoredOutlook]] = {}
        # Run after each outlook is stored (the alerts' evaluation): a failure is logged, the
        # outlook stays stored (the next one evaluates again).
        self.after_store: list[
            Callable[[User, StoredOutlook, Surroundings], Awaitable[object]]
        ] = []

    async def run(
        self,
        user_id: int,
        function: Callable[..., T],
        arguments: Callable[[], Awaitable[tuple[Any, ...]]],
    ) -> T:
        """`function(*await arguments())` in the pool for this user, within one time limit
        that counts the wait for the user's lease and for a pool slot as well as the fit.

        The arguments (the ledger, mostly) are read only once the user's turn has come: a
        user's queued what-ifs each reading a large ledger at once stalled everyone else's
        requests for seconds (bench/abuse.py), and held every copy in memory while waiting.
        """
        deadline = asyncio.get_running_loop().time() + self.pool.timeout_s
        lease = await self.leases.take(user_id, deadline)
        try:
            async with asyncio.timeout_at(deadline):
                args = await arguments()
        except BaseException as exc:
            self.leases.give_back(lease)
            if isinstance(exc, TimeoutError):
                raise self.pool.late() from None
            raise
        return await self.pool.run(
            function, *args, deadline=deadline, finished=lambda: self.leases.give_back(lease)
        )

    async def serve(self, user: User, max_staleness_s: float | None = None) -> Served:
        """The user's outlook for a reader. Fresh when stored fresh; else, when there is a
        previous one no older than `max_staleness_s` (None: any age), the refit is asked for
        now and the reader gets its result if it comes within the read budget, or the
        previous one, stale. With nothing to fall back on, it is computed for the reader."""
        as_of = history_end(user.timezone)
        fingerprint, stored = await self._fingerprint_and_stored(user, as_of)
        if stored is not None and stored.fingerprint == fingerprint:
            return Served(stored)
        if stored is None or (max_staleness_s is not None and _age_s(stored) > max_staleness_s):
            return Served(await self._fresh(user, as_of, fingerprint))
        await self.refits.request(user.id, now=True)
        fresh = await self._wait_for_refit(user.id, fingerprint)
        return Served(fresh) if fresh is not None else Served(stored, stale=True)

    async def _wait_for_refit(self, user_id: int, fingerprint: str) -> StoredOutlook | None:
        """The outlook of `fingerprint` if a refit stores it within the read budget: this
        process's refit is awaited, another process's is looked for every 50 ms. A refit
        that ends without it (it failed, or stored an older input) ends the wait, and there
        is no wait when this process's refits take longer than the budget (`eta_s`)."""
        eta = self.refits.eta_s(user_id)
        if eta is not None and eta > self.read_budget_s:
            # This process's refits take longer than the budget: waiting would only delay
            # the previous outlook (every read after a write waited the whole budget for it).
            return None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.read_budget_s
        while (left := deadline - loop.time()) > 0:
            running = self.refits.running.get(user_id)
            if running is not None:
                try:
                    await asyncio.wait_for(asyncio.shield(running), left)
                except TimeoutError:
                    return None
            else:
                await asyncio.sleep(min(0.05, left))
            stored = await StoredOutlook.get_or_none(user_id=user_id)
            if stored is not None and stored.fingerprint == fingerprint:
                return stored
            if running is not None:
                return None
        return None

    async def stop(self) -> None:
        """At shutdown: stop the background refits and every computation still running (a
        shielded one outlives the request or refit that started it, and must not outlive the
        database connections it writes through)."""
        await self.refits.stop()
        computations = list(self._in_flight.values())
        for computation in computations:
            computation.cancel()
        if computations:
            await asyncio.wait(computations, timeout=5)

    async def _refit_user(self, user_id: int) -> None:
        """A background refit: recomputed only if the inputs changed since it was stored."""
        user = await User.get_or_none(id=user_id)
        if user is None:
            return
        try:
            await self.current(user)
        except Exception:
            # Erased while the fit ran (the store found the user gone, or the lease's insert
            # did): nothing to store and nothing to try again.
            if await User.exists(id=user_id):
                raise
            logger.info("a background refit of an erased account was dropped")

    async def current(self, user: User, *, refresh: bool = False) -> StoredOutlook:
        """The user's outlook, fresh for their inputs: the stored one when its fingerprint
        matches, else computed now (always, with `refresh`)."""
        as_of = history_end(user.timezone)
        if refresh:
            return await self._fresh(user, as_of, await inputs.fingerprint(user, as_of))
        fingerprint, stored = await self._fingerprint_and_stored(user, as_of)
        if stored is not None and stored.fingerprint == fingerprint:
            return stored
        return await self._fresh(user, as_of, fingerprint)

    @staticmethod
    async def _fingerprint_and_stored(user: User, as_of: date) -> tuple[str, StoredOutlook | None]:
        """Both reads at once (neither needs the other): every read of an outlook starts here,
        so this is one round trip's wait on every dashboard, not two."""
        return await asyncio.gather(
            inputs.fingerprint(user, as_of), StoredOutlook.get_or_none(user_id=user.id)
        )

    async def _fresh(self, user: User, as_of: date, fingerprint: str) -> StoredOutlook:
        """Computed for `fingerprint`, or joined: one computation per user and inputs."""
        key = (user.id, fingerprint)
        if key in self._in_flight:
            return await asyncio.shield(self._in_flight[key])
        task = asyncio.ensure_future(self._compute_and_store(user, as_of, fingerprint))
        self._in_flight[key] = task
        task.add_done_callback(lambda _: self._in_flight.pop(key, None))
        return await asyncio.shield(task)

    async def _compute_and_store(self, user: User, as_of: date, fingerprint: str) -> StoredOutlook:
        read: list[Surroundings] = []

        async def arguments() -> tuple[Any, ...]:
            raw, surroundings = await inputs.read_all(user, as_of)
            read.append(surroundings)
            return (raw, user.id, surroundings)

        outlook, excluded = await self.run(user.id, _compute, arguments)
        self.outlooks_computed += 1
        surroundings = read[0]
        stored = await self._store(user.id, as_of, fingerprint, outlook, excluded)
        for hook in self.after_store:
            try:
                await hook(user, stored, surroundings)
            except Exception:
                logger.exception("after storing the outlook of user %s", user.id)
        return stored

    async def _store(
        self, user_id: int, as_of: date, fingerprint: str, outlook: Outlook, excluded: list[int]
    ) -> StoredOutlook:
        known = outlook.known
        generated_at = datetime.now(UTC)
        values: dict[str, Any] = {
            "fingerprint": fingerprint,
            "as_of": as_of,
            "model": outlook.forecast.model[:60],
            "outflow_model": outlook.forecast.outflow_model[:60],
            "backtest_mase": outlook.forecast.backtest_mase,
            "interval_coverage": outlook.forecast.interval_coverage,
            "low_confidence": outlook.forecast.low_confidence,
            "features": outlook.features,
            "horizons": [
                view.to_stored() for view in horizon_views(outlook.forecast, outlook.risks)
            ],
            "baseline_excluded": excluded,
            "choice": choice_as_json(outlook.choice) if outlook.choice else None,
            "generated_at": generated_at,
        }
        async with in_transaction() as connection:
            # The user may have been erased while the fit ran: storing would bring rows of an
            # erased account back. Their row is held from here to the commit, so an erasure
            # waits for this store or this store finds the user gone.
            if not await locks.user_kept(user_id, connection):
                raise AccountErased("the account was erased")
            stored, _ = await StoredOutlook.update_or_create(
                defaults=values, user_id=user_id, using_db=connection
            )
            await Insight.filter(user_id=user_id).using_db(connection).delete()
            await Insight.bulk_create(
                [_insight_row(user_id, insight, generated_at) for insight in outlook.insights],
                using_db=connection,
            )
            if known is not None:
                await recurring_items.store_detected(
                    user_id, known.detected, known.detected_sources, connection
                )
        return stored

    async def refresh_many(
        self,
        user_ids: Sequence[int],
        on_progress: Callable[[int], Awaitable[None]] | None = None,
        should_stop: Callable[[], Awaitable[bool]] | None = None,
        first: Callable[[User], Awaitable[object]] | None = None,
    ) -> int:
        """Recompute the outlooks of many users, as many at once as the pool takes (after
        `first(user)`, when given); report progress as they finish. Returns how many were
        done."""
        done = 0
        lock = asyncio.Lock()

        async def one(user_id: int) -> None:
            nonlocal done
            user = await User.get_or_none(id=user_id)
            try:
                if user is None:
                    raise AccountErased("the account was erased")
                if first is not None:
                    await first(user)
                await self.current(user, refresh=True)
            except AccountErased:
                pass  # an admin erased it meanwhile: done, with nothing to compute
            async with lock:
                done += 1
                if on_progress is not None:
                    await on_progress(done)

        # A sliding window, not batches with a barrier: each worker takes the next user as
        # soon as its last is done, so a slow user does not leave the rest of the pool (or a
        # cluster's workers) idle. A failure stops them all (the task group cancels).
        waiting = iter(user_ids)

        async def worker() -> None:
            for user_id in waiting:
                if should_stop is not None and await should_stop():
                    return
                await one(user_id)

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(max(1, min(self.pool.max_in_flight, len(user_ids)))):
                    group.create_task(worker())
        except ExceptionGroup as failed:  # callers handle the error itself (a pool outage)
            raise failed.exceptions[0] from None
        return done
