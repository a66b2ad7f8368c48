"""What the tax outlook costs, alone and inside a user's outlook.

    .venv/bin/python -m bench.tax [--users 100] [--repeat 20]

Generates users (720-day histories, seed 42, the ledger's clock pinned to 6 December 2026 so
the financial year is 2026-27 whatever the day), gives each a tax profile (the regular scheme:
four instalments), then prints:
- the tax outlook of one user (`services.tax.outlook_for`: the ledger's year read and summed,
  the rules applied), p50/p99 over `--repeat` calls, and of all users one after another;
- what tax adds to a user's outlook: the outlook's inputs read with the tax (`inputs.read_all`)
  beside the same reads without a profile, and a whole cold outlook (the fit included, in the
  forecast pool) with and without, medians over the users. The issue's bound: under 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from asgi_lifespan import LifespanManager
from rich.console import Console
from rich.table import Table

from bench.common import generate_users, scratch_database, summary, time_calls
from gql_server import clock
from gql_server.app import create_app
from gql_server.models import Scheme, TaxProfile, User
from gql_server.resources import Resources
from gql_server.services import tax
from gql_server.services.outlook import inputs
from gql_server.services.validation import history_end
from gql_server.settings import Settings

PASSWORD = "Bench-tax-users-2026"  # noqa: S105 - throwaway users
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
console = Console()


async def _ms(call: object) -> float:
    started = time.perf_counter()
    await call  # type: ignore[misc]
    return (time.perf_counter() - started) * 1000


async def _with_and_without(users: list[User], measure: object) -> tuple[list[float], list[float]]:
    """Per user: the measure with a profile, then without (the profile deleted and put back),
    alternating so drift in the machine falls on both alike."""
    with_tax, without = [], []
    for user in users:
        with_tax.append(await measure(user))  # type: ignore[operator]
        await TaxProfile.filter(user_id=user.id).delete()
        without.append(await measure(user))  # type: ignore[operator]
        await TaxProfile.create(user_id=user.id, scheme=Scheme.REGULAR)
    return with_tax, without


async def main(args: argparse.Namespace) -> None:
    clock.pin(NOW)
    async with scratch_database() as url:
        settings = Settings(app_env="test", database_url=url, db_pool_size=10)
        app = create_app(settings)
        async with LifespanManager(app):
            resources: Resources = app.state.resources
            users = await generate_users(settings, args.users, PASSWORD)
            for user in users:
                await TaxProfile.create(user_id=user.id, scheme=Scheme.REGULAR)
            one = await time_calls(lambda: tax.outlook_for(users[0]), args.repeat)
            started = time.perf_counter()
            outlooks = [(await tax.outlook_for(user)).outlook for user in users]
            all_ms = (time.perf_counter() - started) * 1000
            # Many gig workers owe nothing (the 87A rebate covers income up to Rs 12 lakh):
            # show one who does, with how many of the users do.
            taxed = [o for o in outlooks if o.total_tax > 0]
            found = max(outlooks, key=lambda o: o.total_tax)

            async def reads(user: User) -> float:
                return await _ms(inputs.read_all(user, history_end(user.timezone)))

            async def cold(user: User) -> float:
                return await _ms(resources.outlook.current(user, refresh=True))

            read_with, read_without = await _with_and_without(users, reads)
            cold_users = users[: args.cold_users]
            cold_with, cold_without = await _with_and_without(cold_users, cold)

    p50, p99, _ = summary(one)
    table = Table(title=f"Tax outlook, FY {found.financial_year} ({args.users} generated users)")
    for column in ("what", "p50 ms", "p99 ms / total"):
        table.add_column(column, justify="left" if column == "what" else "right")
    table.add_row(f"one user, {args.repeat} calls", f"{p50:.1f}", f"{p99:.1f}")
    table.add_row(f"{args.users} users, one after another", "", f"{all_ms:,.0f} ms")
    table.add_row(
        "outlook inputs read, with tax / without",
        f"{statistics.median(read_with):.1f} / {statistics.median(read_without):.1f}",
        f"adds {statistics.median(read_with) - statistics.median(read_without):.1f} ms",
    )
    table.add_row(
        f"cold outlook ({len(cold_users)} users), with tax / without",
        f"{statistics.median(cold_with):.0f} / {statistics.median(cold_without):.0f}",
        f"adds {statistics.median(cold_with) - statistics.median(cold_without):.0f} ms",
    )
    console.print(table)
    console.print(f"{len(taxed)} of {len(outlooks)} users owe tax this year")
    console.print(
        f"the highest: tax Rs {found.total_tax:,} (range {found.total_tax_range.low:,}-"
        f"{found.total_tax_range.high:,}), next instalment "
        f"{found.next_instalment.due_date if found.next_instalment else '-'}, set aside "
        f"Rs {found.monthly_set_aside:,} a month"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--cold-users", type=int, default=20)
    asyncio.run(main(parser.parse_args()))
