"""Outlooks (features, forecasts, risks) per user: loaded from the ledger, computed in the
forecast pool, stored with the fingerprint of the ledger they came from, and reused until it
changes."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from tortoise.transactions import in_transaction

from gql_server import db
from gql_server.core.features import FEATURES
from gql_server.core.forecasting.forecast import HORIZONS, HorizonForecast
from gql_server.core.forecasting.risk import RiskAssessment
from gql_server.core.insights.records import Insight as CoreInsight
from gql_server.core.known_money.plan import AUTOMATIC, EXCLUDE, INCLUDE
from gql_server.core.outlook import Outlook, Surroundings, compute_outlook
from gql_server.core.series import Ledger
from gql_server.errors import BadUserInput
from gql_server.models import IncomeSource, Insight, Transaction, User, UserForecast
from gql_server.services import recurring_items
from gql_server.services.forecast_leases import ForecastLeases
from gql_server.services.forecast_pool import ForecastPool
from gql_server.services.smoothing import buffer_state
from gql_server.services.validation import local_today

# Bump when the models change, so stored outlooks are recomputed.
MODEL_VERSION = "2026-11-25.2"
CENT = Decimal("0.01")
_MONEY_KEYS = (
    "expected_inflow",
    "expected_outflow",
    "expected_net",
    "inflow_low",
    "inflow_high",
    "net_low",
    "net_high",
    "projected_min_balance",
)

# The ledger's shape, the buffer's state (the insights read both) and the user's word on
# recurring items (declared or dismissed; detections are the outlook's own output); a buffer
# not created yet reads like the empty one it will be.
_FINGERPRINT = """
SELECT COUNT(*) AS n, MAX(id) AS last_id, MAX(updated_at) AS last_change,
       COALESCE((SELECT balance || '|' || COALESCE(target_months, -1) || '|'
                        || COALESCE(paycheck_override, -1) FROM buffer WHERE user_id = $1),
                '0.00|-1|-1') AS buffer,
       (SELECT COUNT(*) || '|' || COALESCE(SUM(id), 0) || '|' || COALESCE(MAX(updated_at) || '', '')
          FROM recurring_item
         WHERE user_id = $1 AND (source = 'DECLARED' OR status = 'DISMISSED')) AS recurring
  FROM ledger_transaction WHERE user_id = $1
"""
# Money as floats for the statistics (the one place they are allowed), cast by the database:
# a Decimal object per value would cost more than the row.
# PostgreSQL sends the ledger as CSV through COPY, parsed into arrays by pandas' C reader in a
# thread: row tuples cost 0.26 s of the event loop and 0.2 s more of Python for 100,000 rows
# (a datetime, two floats and two strings per row), and a what-if stalled every request.
_LEDGER_COLUMNS = (
    "id",
    "at",
    "amount",
    "income",
    "category",
    "merchant",
    "source",
    "balance",
    "exclude",
)
_LEDGER_POSTGRES = """
SELECT id, FLOOR(EXTRACT(EPOCH FROM occurred_at))::bigint, amount::float8,
       CASE WHEN direction = 'income' THEN 1 ELSE 0 END, category, merchant,
       COALESCE(income_source_id, -1), balance_after::float8,
       CASE exclude_from_forecast WHEN TRUE THEN 1 WHEN FALSE THEN 0 ELSE -1 END
  FROM ledger_transaction WHERE user_id = $1 ORDER BY occurred_at, id
"""
_LEDGER = """
SELECT id, occurred_at, CAST(amount AS DOUBLE PRECISION), direction = 'income', category,
       merchant, COALESCE(income_source_id, -1), CAST(balance_after AS DOUBLE PRECISION),
       exclude_from_forecast
  FROM ledger_transaction WHERE user_id = $1 ORDER BY occurred_at, id
"""
MAX_EXCLUDED_LISTED = 500
T = TypeVar("T")


@dataclass(frozen=True)
class HorizonView:
    """One horizon of a stored outlook, money back as Decimal."""

    horizon_days: int
    expected_inflow: Decimal
    expected_outflow: Decimal
    expected_net: Decimal
    inflow_low: Decimal
    inflow_high: Decimal
    net_low: Decimal
    net_high: Decimal
    projected_min_balance: Decimal
    shortfall_probability: float
    risk_level: str
    risk_score: float
    balance_quantiles: list[list[str]]


def check_horizon(horizon_days: int) -> int:
    if horizon_days not in HORIZONS:
        raise BadUserInput(
            f"horizonDays must be one of {', '.join(map(str, HORIZONS))}", field="horizonDays"
        )
    return horizon_days


def money(value: float) -> str:
    return str(Decimal(f"{value:.2f}"))


async def ledger_fingerprint(user: User, as_of: date) -> str:
    row = (await db.fetch_rows(_FINGERPRINT, user.id))[0]
    raw = (
        f"{MODEL_VERSION}|{as_of}|{user.opening_balance}|{user.timezone}|"
        f"{row['n']}|{row['last_id']}|{row['last_change']}|{row['buffer']}|{row['recurring']}"
    )
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class LoadedLedger:
    """The ledger as the core reads it, with what stays beside it, one entry per row."""

    ledger: Ledger
    merchants: np.ndarray  # object array of str
    ids: np.ndarray  # int64 transaction ids
    overrides: np.ndarray  # int8: known_money.plan.EXCLUDE, INCLUDE or AUTOMATIC


async def load_ledger(user: User, as_of: date) -> Ledger:
    return (await load_ledger_rows(user, as_of)).ledger


async def load_ledger_rows(user: User, as_of: date) -> LoadedLedger:
    """The user's ledger as arrays. The rows are turned into arrays in a thread: for a large
    ledger that is a second of Python the event loop would otherwise spend."""
    opening, zone = float(user.opening_balance), user.timezone
    if db.is_sqlite():
        rows = await db.fetch_tuples(_LEDGER, user.id)
        return await asyncio.to_thread(_as_arrays, rows, opening, zone, as_of)
    text = await db.copy_out_csv(_LEDGER_POSTGRES, user.id)
    return await asyncio.to_thread(_from_csv, text, opening, zone, as_of)


def _from_csv(text: bytes, opening_balance: float, timezone: str, as_of: date) -> LoadedLedger:
    if not text:  # no transactions (pandas refuses an empty file)
        return _as_arrays((), opening_balance, timezone, as_of)
    table = pd.read_csv(
        io.BytesIO(text),
        header=None,
        names=list(_LEDGER_COLUMNS),
        dtype={"category": object, "merchant": object},
        keep_default_na=False,  # an empty merchant is "", not NaN
    )
    exclude = table["exclude"].to_numpy()
    ledger = Ledger(
        occurred_at=table["at"].to_numpy(dtype=np.int64).astype("datetime64[s]"),
        amount=table["amount"].to_numpy(dtype=np.float64),
        is_income=table["income"].to_numpy(dtype=np.int8).astype(bool),
        category=table["category"].to_numpy(dtype=object),
        source_id=table["source"].to_numpy(dtype=np.int64),
        balance_after=table["balance"].to_numpy(dtype=np.float64),
        opening_balance=opening_balance,
        timezone=timezone,
        as_of=as_of,
    )
    overrides = np.select([exclude == 1, exclude == 0], [EXCLUDE, INCLUDE], AUTOMATIC)
    return LoadedLedger(
        ledger=ledger,
        merchants=table["merchant"].to_numpy(dtype=object),
        ids=table["id"].to_numpy(dtype=np.int64),
        overrides=overrides.astype(np.int8),
    )


_OVERRIDE = {None: AUTOMATIC, True: EXCLUDE, False: INCLUDE}  # SQLite's 1 and 0 are equal


def _as_arrays(
    rows: Sequence[Sequence[Any]], opening_balance: float, timezone: str, as_of: date
) -> LoadedLedger:
    (ids, moments, amounts, incoming, categories, merchants, sources, balances, excluded) = (
        zip(*rows, strict=True) if rows else ((),) * 9
    )
    if moments and isinstance(moments[0], str):  # SQLite hands back text
        moments = tuple(
            datetime.fromisoformat(m).astimezone(UTC).replace(tzinfo=None) for m in moments
        )
    ledger = Ledger(
        occurred_at=np.array(moments, dtype="datetime64[s]"),
        amount=np.array(amounts, dtype=np.float64),
        is_income=np.array(incoming, dtype=bool),
        category=np.array(categories, dtype=object),
        source_id=np.array(sources, dtype=np.int64),
        balance_after=np.array(balances, dtype=np.float64),
        opening_balance=opening_balance,
        timezone=timezone,
        as_of=as_of,
    )
    return LoadedLedger(
        ledger=ledger,
        merchants=np.array(merchants, dtype=object),
        ids=np.array(ids, dtype=np.int64),
        overrides=np.array([_OVERRIDE[e] for e in excluded], dtype=np.int8),
    )


def stored_horizons(
    horizons: Sequence[HorizonForecast], risks: Sequence[RiskAssessment]
) -> list[dict[str, Any]]:
    """Each horizon with its risk as stored: money as exact decimal strings."""
    return [
        {
            "horizon_days": horizon.horizon_days,
            **{key: money(getattr(horizon, key)) for key in _MONEY_KEYS},
            "shortfall_probability": round(horizon.shortfall_probability, 4),
            "risk_level": risk.level.value,
            "risk_score": round(risk.score, 4),
            "balance_quantiles": [[money(v) for v in row] for row in horizon.balance_quantiles],
        }
        for horizon, risk in zip(horizons, risks, strict=True)
    ]


def view_of(horizons: list[dict[str, Any]], horizon_days: int) -> HorizonView:
    """One stored horizon, money back as Decimal."""
    data = next(h for h in horizons if h["horizon_days"] == horizon_days)
    return HorizonView(
        horizon_days=horizon_days,
        shortfall_probability=float(data["shortfall_probability"]),
        risk_level=data["risk_level"],
        risk_score=float(data["risk_score"]),
        balance_quantiles=data["balance_quantiles"],
        **{key: Decimal(data[key]) for key in _MONEY_KEYS},
    )


def horizon_view(stored: UserForecast, horizon_days: int) -> HorizonView:
    return view_of(stored.horizons, horizon_days)


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


def check_first(first: int) -> int:
    if not 1 <= first <= 50:
        raise BadUserInput("first must be between 1 and 50", field="first")
    return first


async def list_insights(user: User, first: int) -> list[Insight]:
    """The most important first (the caller makes sure the outlook is fresh)."""
    check_first(first)
    return await Insight.filter(user_id=user.id).order_by("-importance", "id").limit(first)


async def excluded_transactions(user: User, ids: Sequence[int]) -> list[Transaction]:
    """The caller's transactions among `ids`, newest first (a stored list may name rows that
    were deleted since)."""
    if not ids:
        return []
    return await Transaction.filter(user_id=user.id, id__in=list(ids)).order_by(
        "-occurred_at", "-id"
    )


def feature_values(stored: UserForecast) -> list[tuple[str, float | None, str]]:
    return [(spec.name, stored.features.get(spec.name), spec.description) for spec in FEATURES]


def _compute(ledger: Ledger, seed: int, surroundings: Surroundings) -> Outlook:
    """Runs in a pool worker."""
    return compute_outlook(ledger, seed=seed, surroundings=surroundings)


async def _surroundings(user: User, loaded: LoadedLedger) -> Surroundings:
    state = await buffer_state(user)
    names = dict(await IncomeSource.filter(user_id=user.id).values_list("id", "name"))
    declared, dismissed = await recurring_items.the_users_word(user)
    return Surroundings(
        merchants=loaded.merchants,
        source_names=names,
        buffer_balance=state.buffer.balance,
        buffer_target=state.plan.target,
        monthly_paycheck=state.plan.monthly_paycheck,
        declared=declared,
        dismissed=dismissed,
        overrides=loaded.overrides,
    )


class Outlooks:
    """Reads and refreshes stored outlooks. Concurrent requests for the same user and ledger
    share one computation (a per-process cache of futures, safe to lose)."""

    def __init__(self, pool: ForecastPool, jobs_per_user: int = 1) -> None:
        self.pool = pool
        # A lease lasts past the time limit by as much again: a fit the request gave up on
        # still runs in its worker and still counts.
        self.leases = ForecastLeases(jobs_per_user, lifetime_s=2 * pool.timeout_s + 60)
        self._in_flight: dict[tuple[int, str], asyncio.Future[UserForecast]] = {}

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

    async def get(self, user: User, *, refresh: bool = False) -> UserForecast:
        as_of = local_today(user.timezone)
        fingerprint = await ledger_fingerprint(user, as_of)
        if not refresh:
            stored = await UserForecast.get_or_none(user_id=user.id)
            if stored is not None and stored.fingerprint == fingerprint:
                return stored
        key = (user.id, fingerprint)
        if key in self._in_flight:
            return await asyncio.shield(self._in_flight[key])
        task = asyncio.ensure_future(self._compute_and_store(user, as_of, fingerprint))
        self._in_flight[key] = task
        task.add_done_callback(lambda _: self._in_flight.pop(key, None))
        return await asyncio.shield(task)

    async def _compute_and_store(self, user: User, as_of: date, fingerprint: str) -> UserForecast:
        read: list[LoadedLedger] = []

        async def arguments() -> tuple[Any, ...]:
            read.append(await load_ledger_rows(user, as_of))
            return (read[0].ledger, user.id, await _surroundings(user, read[0]))

        outlook = await self.run(user.id, _compute, arguments)
        loaded = read[0]
        known = outlook.known
        values = {
            "fingerprint": fingerprint,
            "as_of": as_of,
            "model": outlook.forecast.model[:60],
            "outflow_model": outlook.forecast.outflow_model[:60],
            "backtest_mase": outlook.forecast.backtest_mase,
            "interval_coverage": outlook.forecast.interval_coverage,
            "low_confidence": outlook.forecast.low_confidence,
            "features": outlook.features,
            "horizons": stored_horizons(outlook.forecast.horizons, outlook.risks),
            "baseline_excluded": (
                loaded.ids[known.excluded][:MAX_EXCLUDED_LISTED].tolist() if known else []
            ),
            "generated_at": datetime.now(UTC),
        }
        async with in_transaction() as connection:
            stored, _ = await UserForecast.update_or_create(
                defaults=values, user_id=user.id, using_db=connection
            )
            await Insight.filter(user_id=user.id).using_db(connection).delete()
            await Insight.bulk_create(
                [
                    _insight_row(user.id, insight, values["generated_at"])
                    for insight in outlook.insights
                ],
                using_db=connection,
            )
            if known is not None:
                await recurring_items.store_detected(
                    user.id, known.detected, known.detected_sources, connection
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
            user = await User.get(id=user_id)
            if first is not None:
                await first(user)
            await self.get(user, refresh=True)
            async with lock:
                done += 1
                if on_progress is not None:
                    await on_progress(done)

        batch = max(1, self.pool.max_in_flight)
        for start in range(0, len(user_ids), batch):
            if should_stop is not None and await should_stop():
                break
            await asyncio.gather(*(one(uid) for uid in user_ids[start : start + batch]))
        return done
