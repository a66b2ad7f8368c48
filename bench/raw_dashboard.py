"""The ceiling for bench/api_load: the same dashboard and 50-row transactions page as the GraphQL
API, served by plain Starlette and raw asyncpg (no GraphQL, no ORM).

    DATABASE_URL=postgres://... JWT_SECRET=... .venv/bin/python -m uvicorn \\
        bench.raw_dashboard:create_app --factory --port 8001

`GET /dashboard` and `GET /transactions?first=50&after=CURSOR`, both with
`Authorization: Bearer <accessToken>` from the real server's `login`. The token is checked as
gql_server/auth/tokens.py and services/accounts.authenticate do (HS256 pinned, the required
claims, an access token, then the user row: active and the same token version). The reads are
the ones the GraphQL resolvers make, done once each on one pooled connection:

- the user row (authentication and `me`);
- the outlook's freshness: the services' own fingerprint SQL, hashed the same way, beside the
  stored `user_forecast` row (`forecasts`). The raw app cannot refit: a stale outlook answers
  409, which the bench counts as an error, so the comparison never credits raw with skipped work;
- the buffer row and the 24-month cash flow (the services' own SQL), through the same pure
  `core.smoothing.plan.smoothing_plan` (`buffer` and `smoothingPlan`);
- the 5 most important insights and the 20 newest transactions, with keyset cursors and global IDs
  (base64 of Type:id) encoded like the API's.

Responses are JSON with the same fields and the same text forms (Decimal as a string, dates in
ISO format, times in the user's zone) as the GraphQL query in bench/api_load.py selects.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast
from zoneinfo import ZoneInfo

import asyncpg
import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.relay.utils import to_base64

from gql_server.core.smoothing.months import MonthFlow
from gql_server.core.smoothing.plan import SmoothingPlan, smoothing_plan
from gql_server.models import User
from gql_server.services import cashflow, cursors
from gql_server.services.outlook import inputs as outlook_inputs
from gql_server.services.smoothing import HISTORY_MONTHS
from gql_server.services.validation import history_end, local_today

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "sub", "typ", "ver", "jti"]
MAX_PAGE_SIZE = 100

USER = """
SELECT id, email, full_name, city, occupation, income_pattern, currency, timezone, role,
       created_at, is_active, token_version, opening_balance
  FROM app_user WHERE id = $1
"""
STORED_FORECAST = """
SELECT fingerprint, as_of, model, backtest_mase, interval_coverage, low_confidence, horizons,
       generated_at
  FROM user_forecast WHERE user_id = $1
"""
BUFFER = """
SELECT balance, total_deposited, total_withdrawn, target_months, paycheck_override
  FROM buffer WHERE user_id = $1
"""
INSIGHTS = """
SELECT id, kind, severity, title, message, metrics, period_start, period_end, created_at
  FROM insight WHERE user_id = $1 ORDER BY importance DESC, id LIMIT $2
"""
TRANSACTIONS = """
SELECT id, occurred_at, amount, direction, category, merchant, description, balance_after
  FROM ledger_transaction WHERE user_id = $1 {keyset}
 ORDER BY occurred_at DESC, id DESC LIMIT {limit}
"""
# The same SQL the services run by hand, so the two sides read alike.
FINGERPRINT = outlook_inputs.fingerprint_sql(sqlite=False)
CASHFLOW = cashflow._POSTGRES
HORIZON_MONEY = (
    "expected_inflow",
    "expected_outflow",
    "expected_net",
    "inflow_low",
    "inflow_high",
    "net_low",
    "net_high",
    "projected_min_balance",
)


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def json_response(body: object, status: int = 200) -> Response:
    text = json.dumps(body, default=_plain, separators=(",", ":"))
    return Response(text, status_code=status, media_type="application/json")


def _claims(request: Request, secret: str) -> tuple[int, int]:
    """(user id, token version) of a valid access token, as gql_server/auth/tokens.py checks."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refused(401, "sign in first")
    try:
        payload = jwt.decode(
            token.strip(), secret, algorithms=[ALGORITHM], options={"require": REQUIRED_CLAIMS}
        )
        if payload.get("typ") != "access":
            raise Refused(401, "an access token is required here")
        return int(payload["sub"]), int(payload["ver"])
    except (jwt.PyJWTError, TypeError, ValueError):
        raise Refused(401, "token is invalid") from None


async def _user(connection: asyncpg.Connection, user_id: int, version: int) -> asyncpg.Record:
    user = await connection.fetchrow(USER, user_id)
    if user is None or not user["is_active"] or user["token_version"] != version:
        raise Refused(401, "token was revoked; sign in again")
    return user


def _me(user: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": to_base64("User", user["id"]),
        "email": user["email"],
        "fullName": user["full_name"],
        "city": user["city"],
        "occupation": user["occupation"],
        "incomePattern": user["income_pattern"],
        "currency": user["currency"],
        "timezone": user["timezone"],
        "role": user["role"].upper(),
        "createdAt": user["created_at"],
    }


def _owner(user: asyncpg.Record) -> User:
    """What the fingerprint reads of the user's own row, as the service has it."""
    return cast(
        User, SimpleNamespace(opening_balance=user["opening_balance"], timezone=user["timezone"])
    )


async def _forecasts(connection: asyncpg.Connection, user: asyncpg.Record) -> list[dict[str, Any]]:
    """The stored outlook's horizons, after the same freshness check the service makes (its
    history ends with the last complete local day, `history_end`)."""
    row = await connection.fetchrow(FINGERPRINT, user["id"])
    assert row is not None  # an aggregate without GROUP BY always has its one row
    stored = await connection.fetchrow(STORED_FORECAST, user["id"])
    as_of = history_end(user["timezone"])
    if stored is None or stored["fingerprint"] != outlook_inputs.digest(
        _owner(user), dict(row), as_of
    ):
        raise Refused(409, "the stored outlook is stale (the raw app cannot refit)")
    return [
        {
            "horizonDays": h["horizon_days"],
            "asOf": stored["as_of"],
            **{_camel(key): h[key] for key in HORIZON_MONEY},
            "shortfallProbability": float(h["shortfall_probability"]),
            "riskLevel": h["risk_level"],
            "riskScore": float(h["risk_score"]),
            "model": stored["model"],
            "lowConfidence": stored["low_confidence"],
            "backtestMase": stored["backtest_mase"],
            "intervalCoverage": stored["interval_coverage"],
            "generatedAt": stored["generated_at"],
        }
        for h in sorted(stored["horizons"], key=lambda h: h["horizon_days"])
    ]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def _plan(
    connection: asyncpg.Connection, user: asyncpg.Record, today: date
) -> tuple[asyncpg.Record | None, SmoothingPlan]:
    """The buffer row (None while the user has none) and the smoothing plan, as
    services/smoothing.buffer_state makes them."""
    buffer = await connection.fetchrow(BUFFER, user["id"])
    this_month = today.replace(day=1)
    since = this_month
    for _ in range(HISTORY_MONTHS):
        since = (since - timedelta(days=1)).replace(day=1)
    starts = cashflow.period_starts(since, today, cashflow.Interval.MONTH)
    zone = ZoneInfo(user["timezone"])
    lower = datetime.combine(starts[0], time.min, zone)
    upper = datetime.combine(
        cashflow.next_period(starts[-1], cashflow.Interval.MONTH), time.min, zone
    )
    rows = await connection.fetch(CASHFLOW, user["id"], "month", user["timezone"], lower, upper)
    cent = Decimal("0.01")
    totals = {r["period"]: r for r in rows}
    flows: list[MonthFlow] = []
    current = Decimal("0.00")
    for start in starts:
        row = totals.get(start)
        if row is None and not flows:
            continue  # months before the first transaction
        income = Decimal(row["income"]).quantize(cent) if row else Decimal("0.00")
        essential = Decimal(row["essential"]).quantize(cent) if row else Decimal("0.00")
        if start == this_month:
            current = income
        else:
            flows.append(MonthFlow(start, income, essential))
    balance = buffer["balance"] if buffer else Decimal("0.00")
    plan = smoothing_plan(
        flows,
        current,
        balance,
        paycheck_override=buffer["paycheck_override"] if buffer else None,
        target_months_override=buffer["target_months"] if buffer else None,
    )
    return buffer, plan


def _buffer(buffer: asyncpg.Record | None, plan: SmoothingPlan) -> dict[str, Any]:
    zero = Decimal("0.00")
    return {
        "balance": buffer["balance"] if buffer else zero,
        "target": plan.target,
        "targetMonths": plan.target_months,
        "totalDeposited": buffer["total_deposited"] if buffer else zero,
        "totalWithdrawn": buffer["total_withdrawn"] if buffer else zero,
        "monthlyPaycheck": plan.monthly_paycheck,
        "paycheckOverride": buffer["paycheck_override"] if buffer else None,
        "runwayMonths": plan.runway_months,
        "riskScore": plan.risk_score,
    }


def _smoothing(plan: SmoothingPlan) -> dict[str, Any]:
    replay = plan.replay
    return {
        "monthlyPaycheck": plan.monthly_paycheck,
        "recommendedPaycheck": plan.recommended_paycheck,
        "target": plan.target,
        "targetMonths": plan.target_months,
        "thisMonthIncome": plan.this_month_income,
        "recommendedDeposit": plan.recommended_deposit,
        "recommendedWithdrawal": plan.recommended_withdrawal,
        "monthsToTarget": plan.months_to_target,
        "runwayMonths": plan.runway_months,
        "riskScore": plan.risk_score,
        "rawIncomeCv": replay.raw_income_cv,
        "smoothedIncomeCv": replay.paycheck_cv,
        "dryMonths": replay.dry_months,
        "history": [
            {
                "month": m.month,
                "income": m.income,
                "paycheckPaid": m.paycheck_paid,
                "deposit": m.deposit,
                "withdrawal": m.withdrawal,
                "balanceAfter": m.balance_after,
                "shortfall": m.shortfall,
            }
            for m in replay.months
        ],
    }


def _insight(row: asyncpg.Record) -> dict[str, Any]:
    period = None
    if row["period_start"] and row["period_end"]:
        period = {"start": row["period_start"], "end": row["period_end"]}
    return {
        "id": to_base64("Insight", row["id"]),
        "kind": row["kind"],
        "severity": row["severity"],
        "title": row["title"],
        "message": row["message"],
        "metrics": row["metrics"],
        "period": period,
        "createdAt": row["created_at"],
    }


async def _transactions(
    connection: asyncpg.Connection, user: asyncpg.Record, first: int, after: str | None
) -> dict[str, Any]:
    if after:
        kind_key = cursors.decode_cursor(after, "tx", 2)
        moment, row_id = datetime.fromisoformat(kind_key[0]), int(kind_key[1])
        sql = TRANSACTIONS.format(keyset="AND (occurred_at, id) < ($2, $3)", limit=first + 1)
        rows = await connection.fetch(sql, user["id"], moment, row_id)
    else:
        rows = await connection.fetch(TRANSACTIONS.format(keyset="", limit=first + 1), user["id"])
    zone = ZoneInfo(user["timezone"])
    edges = [
        {
            "cursor": cursors.encode_cursor(
                "tx", r["occurred_at"].astimezone(UTC).isoformat(), r["id"]
            ),
            "node": {
                "id": to_base64("Transaction", r["id"]),
                "occurredAt": r["occurred_at"].astimezone(zone),
                "amount": r["amount"],
                "direction": r["direction"].upper(),
                "category": r["category"],
                "merchant": r["merchant"],
                "description": r["description"],
                "balanceAfter": r["balance_after"],
            },
        }
        for r in rows[:first]
    ]
    return {
        "edges": edges,
        "pageInfo": {
            "hasNextPage": len(rows) > first,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


async def dashboard(request: Request) -> Response:
    user_id, version = _claims(request, request.app.state.secret)
    async with request.app.state.pool.acquire() as connection:
        user = await _user(connection, user_id, version)
        today = local_today(user["timezone"])
        forecasts = await _forecasts(connection, user)
        buffer, plan = await _plan(connection, user, today)
        insights = await connection.fetch(INSIGHTS, user["id"], 5)
        transactions = await _transactions(connection, user, 20, None)
    return json_response(
        {
            "data": {
                "me": _me(user),
                "forecasts": forecasts,
                "buffer": _buffer(buffer, plan),
                "smoothingPlan": _smoothing(plan),
                "insights": [_insight(row) for row in insights],
                "transactions": transactions,
            }
        }
    )


async def transactions(request: Request) -> Response:
    user_id, version = _claims(request, request.app.state.secret)
    first = int(request.query_params.get("first", "50"))
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise Refused(400, f"first must be between 1 and {MAX_PAGE_SIZE}")
    async with request.app.state.pool.acquire() as connection:
        user = await _user(connection, user_id, version)
        page = await _transactions(connection, user, first, request.query_params.get("after"))
    return json_response({"data": {"transactions": page}})


async def healthz(request: Request) -> Response:
    return json_response({"status": "ok"})


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    return json_response({"errors": [{"message": exc.message}]}, exc.status)


async def _init_connection(connection: asyncpg.Connection) -> None:
    for kind in ("json", "jsonb"):
        await connection.set_type_codec(
            kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


def create_app() -> Starlette:
    url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    pool_size = int(os.environ.get("DB_POOL_SIZE", "10"))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(
            url, min_size=1, max_size=pool_size, init=_init_connection
        )
        try:
            yield
        finally:
            await app.state.pool.close()

    app = Starlette(
        routes=[
            Route("/dashboard", dashboard, methods=["GET"]),
            Route("/transactions", transactions, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        exception_handlers={Refused: _refused},
        lifespan=lifespan,
    )
    app.state.secret = os.environ["JWT_SECRET"]
    return app
