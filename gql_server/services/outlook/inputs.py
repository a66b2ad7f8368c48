"""What the outlook is computed from, and its freshness derived from that one list.

Each read the computation makes is declared here with the table it comes from and a summary
of the user's rows in that table (an SQL aggregate that changes whenever what the read
returns changes). The fingerprint of a stored outlook is built from every declared input, so a
new input brings its part of the fingerprint with it: there is no second list to keep.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, TypeVar

from gql_server import db
from gql_server.core.known_money.items import Declared
from gql_server.core.outlook import Surroundings
from gql_server.core.tax.outlook import TaxOutlook, instalment_outflows
from gql_server.models import IncomeSource, User
from gql_server.services import recurring_items, tax
from gql_server.services.outlook.ledger import LoadedLedger, RawLedger, read_ledger
from gql_server.services.smoothing import BufferState, buffer_state_with

# Bump when the models change, so stored outlooks are recomputed.
MODEL_VERSION = "2026-12-08.1"


@dataclass(frozen=True)
class Input:
    """A table the outlook reads. `summary` is an aggregate over the user's rows of `table`
    (those where `owner` is the user's id and `where` holds); `{list_agg}` stands for the
    dialect's string aggregate (string_agg or group_concat, both taking (text, separator))."""

    name: str
    table: str
    summary: str
    where: str = "TRUE"
    owner: str = "user_id"
    # The caller's own row is in hand (the token check read it): summarised without a query.
    of_user: Callable[[User], str] | None = None


INPUTS: list[Input] = []
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def _declare(found: Input) -> None:
    assert all(i.name != found.name for i in INPUTS), f"input {found.name} declared twice"
    INPUTS.append(found)


def reads(name: str, table: str, summary: str, where: str = "TRUE") -> Callable[[F], F]:
    """Declares the decorated read as an input of the outlook: its table and the summary of
    the user's rows there become part of the fingerprint."""

    def mark(read: F) -> F:
        _declare(Input(name, table, " ".join(summary.split()), " ".join(where.split())))
        return read

    return mark


# The user's own row: the opening balance and the zone every date is local to.
_declare(
    Input(
        "account",
        "app_user",
        "",
        owner="id",
        of_user=lambda user: f"{user.opening_balance}|{user.timezone}",
    )
)


@reads(
    "ledger",
    "ledger_transaction",
    "COUNT(*) || '|' || COALESCE(MAX(id), 0) || '|' || COALESCE(MAX(updated_at) || '', '')",
)
async def ledger(user: User, as_of: date) -> RawLedger:
    return await read_ledger(user, as_of)


# The buffer's state also reads the ledger's months (declared above). A buffer not created
# yet reads like the empty one it will be.
@reads(
    "buffer",
    "buffer",
    """COALESCE(MAX(balance || '|' || COALESCE(target_months, -1) || '|'
                   || COALESCE(paycheck_override, -1)), '0.00|-1|-1')""",
)
async def buffer(user: User, ahead: TaxOutlook | None) -> BufferState:
    return await buffer_state_with(user, ahead)


# The TDS rates are read by the tax (below), the names by the insights.
@reads(
    "income_source_names",
    "income_source",
    """COUNT(*) || '|' || COALESCE({list_agg}(
           id || ':' || name || ':' || COALESCE(tds_percent, -1), ','), '')""",
)
async def income_source_names(user: User) -> dict[int, str]:
    return dict(await IncomeSource.filter(user_id=user.id).values_list("id", "name"))


# Declared or dismissed items; detections are the outlook's own output.
@reads(
    "users_word",
    "recurring_item",
    "COUNT(*) || '|' || COALESCE(SUM(id), 0) || '|' || COALESCE(MAX(updated_at) || '', '')",
    where="source = 'DECLARED' OR status = 'DISMISSED'",
)
async def users_word(user: User) -> tuple[tuple[Declared, ...], frozenset[tuple[str, bool]]]:
    return await recurring_items.the_users_word(user)


# Not read by the computation but by the alerts evaluated after it stores (services/alerts):
# new settings make the outlook stale, so a refit evaluates them (a kind turned off clears).
_declare(
    Input(
        "alert_settings",
        "alert_settings",
        "COALESCE(MAX(updated_at || ''), '')",
    )
)


@reads(
    "tax_profile",
    "tax_profile",
    """COALESCE(MAX(id || '|' || COALESCE(updated_at || '', '')), '')""",
)
@reads(
    "tax_payments",
    "tax_payment",
    "COUNT(*) || '|' || COALESCE(SUM(id), 0) || '|' || COALESCE(SUM(amount), 0)",
)
async def tax_ahead(user: User) -> TaxOutlook | None:
    """The year's tax (the ledger's receipts and tax payments are declared above)."""
    return await tax.forecast_tax(user)


def _dues(found: TaxOutlook | None) -> tuple[tuple[date, float], ...]:
    if found is None:
        return ()
    return tuple((day, float(amount)) for day, amount in instalment_outflows(found))


async def read_all(user: User, as_of: date) -> tuple[RawLedger, Surroundings]:
    """Every input of the outlook, as the computation takes them (only this module reads
    them, so each read sits beside its part of the fingerprint). The ledger is not parsed
    here: the worker does it (`parsed`), and fills in the surroundings' per-row inputs."""
    raw = await ledger(user, as_of)
    found = await tax_ahead(user)
    state = await buffer(user, found)
    declared, dismissed = await users_word(user)
    return raw, Surroundings(
        source_names=await income_source_names(user),
        buffer_balance=state.buffer.balance,
        buffer_target=state.plan.target,
        monthly_paycheck=state.plan.monthly_paycheck,
        declared=declared,
        dismissed=dismissed,
        dues=_dues(found),
        tax=found,
    )


async def read_for_what_if(user: User) -> Surroundings:
    """What a what-if reads beside the ledger (the insights' inputs it does not need)."""
    declared, dismissed = await users_word(user)
    return Surroundings(declared=declared, dismissed=dismissed, dues=_dues(await tax_ahead(user)))


def parsed(raw: RawLedger, around: Surroundings) -> tuple[LoadedLedger, Surroundings]:
    """In the worker: the ledger parsed, and the surroundings with its per-row inputs (the
    merchant names and the user's overrides)."""
    loaded = raw.parse()
    return loaded, replace(around, merchants=loaded.merchants, overrides=loaded.overrides)


def _summary_column(i: Input, list_agg: str) -> str:
    rows = f"FROM {i.table} WHERE {i.owner} = $1 AND ({i.where})"
    summary = i.summary.format(list_agg=list_agg)
    return f"(SELECT {summary} {rows}) AS {i.name}"


def fingerprint_sql(sqlite: bool) -> str:
    """One row, one column per input: the summaries of what the outlook reads."""
    list_agg = "group_concat" if sqlite else "string_agg"
    columns = ",\n       ".join(_summary_column(i, list_agg) for i in INPUTS if i.of_user is None)
    return f"SELECT {columns}"


def digest(user: User, summaries: dict[str, Any], as_of: date) -> str:
    """The fingerprint from the summaries `fingerprint_sql` read and the user's own row."""
    parts = [i.of_user(user) if i.of_user else str(summaries[i.name]) for i in INPUTS]
    raw = "|".join([MODEL_VERSION, str(as_of), *parts])
    return hashlib.sha256(raw.encode()).hexdigest()


async def fingerprint(user: User, as_of: date) -> str:
    """Changes whenever any input of the user's outlook does (or the day, or the models)."""
    row = (await db.fetch_rows(fingerprint_sql(db.is_sqlite()), user.id))[0]
    return digest(user, row, as_of)
