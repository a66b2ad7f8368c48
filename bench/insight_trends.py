"""Does the income-trend insight tell the truth? Generated users of every income pattern,
no database.

    .venv/bin/python -m bench.insight_trends [--users 40] [--days 720] [--seed 2026]

For each of the six patterns, `--users` users (job `--seed`, indices 0..users-1, `--days` of
history ending on `--end`) go through the same path as the service: a Ledger from the
generator's arrays (rupees from paise, Asia/Kolkata, as_of = the last local day), the daily
series, the features and `generate_insights` (no forecast). Prints per pattern the share of
users told of a rising income (POSITIVE income_trend), the share warned of a falling one
(WARNING or CRITICAL), and how often the other income rules spoke. The generator's truth:
growing earners should be told (>= 80%), declining ones warned (>= 80%), stable ones neither
(< 10%).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from rich.console import Console
from rich.table import Table

from gql_server.core.features import compute_features
from gql_server.core.insights.records import Insight, InsightContext, Severity
from gql_server.core.insights.rules import generate_insights
from gql_server.core.series import Ledger, daily_series
from gql_server.generator.records import GeneratedUser
from gql_server.generator.synth import PATTERNS, generate_user

TIMEZONE = "Asia/Kolkata"
DEFAULT_END = date(2025, 12, 31)


def history_end(last_day: date) -> datetime:
    """The exclusive end of a history whose last local day is `last_day` (midnight in India)."""
    midnight = datetime.combine(last_day + timedelta(days=1), datetime.min.time())
    return midnight.replace(tzinfo=ZoneInfo(TIMEZONE)).astimezone(UTC)


def generated_ledger(user: GeneratedUser, last_day: date) -> Ledger:
    """The generator's columns as the core's Ledger (amounts in rupees)."""
    return Ledger(
        occurred_at=user.occurred_at.astype("datetime64[s]"),
        amount=user.amount_paise.astype(np.float64) / 100,
        is_income=user.is_income.astype(bool),
        category=user.category,
        source_id=user.source_index.astype(np.int64),
        balance_after=user.balance_paise.astype(np.float64) / 100,
        opening_balance=float(user.opening_balance),
        timezone=TIMEZONE,
        as_of=last_day,
    )


def generated_context(user: GeneratedUser, last_day: date) -> InsightContext:
    """Everything the insights need for a generated user, the forecast left out."""
    ledger = generated_ledger(user, last_day)
    series = daily_series(ledger)
    return InsightContext(
        ledger=ledger,
        series=series,
        features=compute_features(ledger, series),
        source_names={i: source.name for i, source in enumerate(user.sources)},
        merchants=user.merchant,
    )


def trend_direction(insights: list[Insight]) -> int:
    """+1 told of a rising income, -1 warned of a falling one, 0 neither."""
    for insight in insights:
        if insight.kind == "income_trend":
            return 1 if insight.severity is Severity.POSITIVE else -1
    return 0


def run(users: int, days: int, seed: int, last_day: date) -> None:
    console = Console(width=110)
    table = Table(title=f"Income-trend insights: {users} users per pattern, {days} days")
    columns = ("pattern", "told rising", "warned falling", "neither", "seasons named",
               "volatility warned", "ms / user")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column == "pattern" else "right")
    end = history_end(last_day)
    for pattern in PATTERNS:
        directions: Counter[int] = Counter()
        kinds: Counter[str] = Counter()
        elapsed = 0.0
        for index in range(users):
            user = generate_user(seed, index, days, end, (pattern,))
            started = time.perf_counter()
            insights = generate_insights(generated_context(user, last_day))
            elapsed += time.perf_counter() - started
            directions[trend_direction(insights)] += 1
            kinds.update(
                f"{i.kind}:{i.severity}"
                for i in insights
                if i.kind in ("seasonality", "income_volatility")
            )
        table.add_row(
            pattern,
            f"{directions[1] / users:.0%}",
            f"{directions[-1] / users:.0%}",
            f"{directions[0] / users:.0%}",
            f"{kinds['seasonality:INFO'] / users:.0%}",
            f"{kinds['income_volatility:WARNING'] / users:.0%}",
            f"{1000 * elapsed / users:.0f}",
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--days", type=int, default=720)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--end", type=date.fromisoformat, default=DEFAULT_END)
    args = parser.parse_args()
    run(args.users, args.days, args.seed, args.end)


if __name__ == "__main__":
    main()
