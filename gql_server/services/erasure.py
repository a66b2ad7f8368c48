"""Erasure of an account: every row of the user in every table, in one transaction, and a record
that an erasure happened (when, who asked, how many rows of each table) that identifies no one:
the log of erasures the DPDP Rules ask a data fiduciary to keep.

What to erase is read from the models, not listed here. A table whose rows reference the user,
directly or through rows of theirs (buffer entries through the buffer, deliveries through the
webhook), is erased with the user, so a table added with a relation to User needs no change
here. A nullable SET_NULL reference marks data that is not the user's (an admin's generation
job): the reference is set to null and the row kept. Deletes are set-based, one statement per
table, children before the rows they reference; nothing relies on ON DELETE CASCADE (SQLite
enforces foreign keys only when a connection asks it to).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields.base import OnDelete
from tortoise.fields.relational import ForeignKeyFieldInstance
from tortoise.models import Model
from tortoise.transactions import in_transaction

from gql_server import db, locks
from gql_server.errors import AccountErased
from gql_server.models import AccountErasure, User

SELF = "SELF"  # the user, through deleteAccount
ADMIN = "ADMIN"  # an operator, through `gql-server delete-user`
REQUESTERS = (SELF, ADMIN)


@dataclass(frozen=True)
class Link:
    """A foreign key (or one-to-one) column: `model.column` references `target.target_column`."""

    model: type[Model]
    column: str
    target: type[Model]
    target_column: str
    on_delete: OnDelete


@dataclass(frozen=True)
class Plan:
    """The statements of one erasure, each with the user's id as $1."""

    locks: tuple[str, ...]  # rows that other writers lock instead of the user's (parents first)
    unlinks: tuple[tuple[str, str], ...]  # (name in the counts, UPDATE ... SET column = NULL)
    deletes: tuple[tuple[str, str], ...]  # (table, DELETE), children first, the user's row last


def _table(model: type[Model]) -> str:
    return model._meta.db_table


def _column(model: type[Model], field_name: str) -> str:
    return model._meta.fields_db_projection[field_name]


def links_of(models: Iterable[type[Model]]) -> list[Link]:
    found = []
    for model in models:
        meta = model._meta
        for name in sorted(meta.fk_fields | meta.o2o_fields):
            field = meta.fields_map[name]
            # One-to-one fields are foreign keys too; source_field names the id field behind.
            assert isinstance(field, ForeignKeyFieldInstance)
            assert field.source_field
            target = field.related_model
            found.append(
                Link(
                    model=model,
                    column=_column(model, field.source_field),
                    target=target,
                    target_column=_column(target, field.to_field),
                    on_delete=OnDelete(field.on_delete),
                )
            )
    return found


def _owning_links(links: list[Link], user: type[Model]) -> dict[type[Model], list[Link]]:
    """The models whose rows belong to a user, each with the references that make them so:
    any reference but SET_NULL to User or to such a model (a row that cannot outlive what it
    references is part of it)."""
    owning: dict[type[Model], list[Link]] = {}
    grew = True
    while grew:
        grew = False
        for link in links:
            if link.model is user or link.on_delete == OnDelete.SET_NULL:
                continue
            if link.on_delete == OnDelete.SET_DEFAULT:
                raise RuntimeError(
                    f"{_table(link.model)}.{link.column} is SET DEFAULT: erasure cannot tell "
                    "whose data it is; make it CASCADE or SET NULL"
                )
            if (link.target is user or link.target in owning) and link not in owning.get(
                link.model, []
            ):
                owning.setdefault(link.model, []).append(link)
                grew = True
    return owning


def _rows_of_user(
    model: type[Model],
    owning: dict[type[Model], list[Link]],
    user: type[Model],
    path: frozenset[type[Model]] = frozenset(),
) -> str:
    """An SQL condition on `model`'s rows: those that belong to the user whose id is $1 (by
    any of its owning references, followed up to User)."""
    if model is user:
        return f'"{_column(user, user._meta.pk_attr)}" = $1'
    parts = [
        _references_user(link, owning, user, path | {model})
        for link in owning[model]
        if link.target is not model and link.target not in path
    ]
    return parts[0] if len(parts) == 1 else " OR ".join(f"({part})" for part in parts)


def _references_user(
    link: Link,
    owning: dict[type[Model], list[Link]],
    user: type[Model],
    path: frozenset[type[Model]] = frozenset(),
) -> str:
    """An SQL condition on `link.model`'s rows: `link` references the user or rows of theirs."""
    if link.target is user:
        return f'"{link.column}" = $1'
    inner = _rows_of_user(link.target, owning, user, path)
    return (
        f'"{link.column}" IN (SELECT "{link.target_column}" '  # noqa: S608 - names from models
        f'FROM "{_table(link.target)}" WHERE {inner})'
    )


def _children_first(owned: set[type[Model]], links: list[Link]) -> list[type[Model]]:
    """Owned models in an order where every row is deleted before the rows it references
    (whatever the reference's ON DELETE: a cascade or a SET NULL left to the database would be
    work the erasure does anyway, row by row)."""
    order: list[type[Model]] = []
    left = set(owned)
    while left:
        referenced = {
            link.target
            for link in links
            if link.model in left and link.target in left and link.model is not link.target
        }
        ready = sorted(left - referenced, key=_table)
        if not ready:
            tables = ", ".join(sorted(_table(model) for model in left))
            raise RuntimeError(f"the tables {tables} reference each other: no order to erase")
        order.extend(ready)
        left -= set(ready)
    return order


def plan_for(models: Iterable[type[Model]], user: type[Model] = User) -> Plan:
    """The erasure of one user across `models` (see the module's docstring)."""
    links = links_of(models)
    owning = _owning_links(links, user)
    order = _children_first(set(owning), links)
    pk = {model: _column(model, model._meta.pk_attr) for model in [*order, user]}

    # Children that other writers add under a lock on their parent, not on the user (a buffer
    # entry under the buffer's row): locked first, so such a writer either commits before the
    # erasure deletes the children or finds its parent gone. Parents first, after the user's
    # row (gql_server/locks.py's order).
    parents = {link.target for model in order for link in owning[model]} - {user}
    lock_statements = tuple(
        f'SELECT "{pk[model]}" FROM "{_table(model)}" '  # noqa: S608 - names from the models
        f"WHERE {_rows_of_user(model, owning, user)} FOR UPDATE"
        for model in reversed(order)
        if model in parents
    )
    unlinks = tuple(
        (
            f"{_table(link.model)}.{link.column}",
            f'UPDATE "{_table(link.model)}" SET "{link.column}" = NULL '  # noqa: S608
            f"WHERE {_references_user(link, owning, user)}",
        )
        for link in links
        if link.on_delete == OnDelete.SET_NULL
        and link.model not in owning
        and (link.target is user or link.target in owning)
    )
    deletes = tuple(
        (
            _table(model),
            f'DELETE FROM "{_table(model)}" '  # noqa: S608 - names from the models
            f"WHERE {_rows_of_user(model, owning, user)}",
        )
        for model in [*order, user]
    )
    return Plan(lock_statements, unlinks, deletes)


def _models() -> list[type[Model]]:
    return list(Tortoise.apps[db.APP_LABEL].values())


# Rate-limit counters whose key names the user (gql_server/services/accounts.py and the
# services that count per user): by id, by email, or by the email's digest.
_COUNTER_BY_KEY = "DELETE FROM rate_limit_counter WHERE key = $1"
_COUNTER_BY_PREFIX = "DELETE FROM rate_limit_counter WHERE substr(key, 1, $2) = $1"


def _counter_keys(user_id: int, email: str) -> tuple[list[str], list[str]]:
    """(keys, key prefixes) of the user's rate-limit counters."""
    # password_reset imports accounts, which imports this module.
    from gql_server.services.password_reset import email_counter_key, use_counter_key

    keys = [
        f"login:account:{email}",
        f"password-change:{user_id}",
        f"account-delete:{user_id}",
        f"statement-import:{user_id}",
        f"data-export:{user_id}",
        use_counter_key(user_id),
        email_counter_key(email),
    ]
    return keys, [f"login:account-address:{email}:"]


async def _erase_counters(user_id: int, email: str, connection: BaseDBAsyncClient) -> int:
    keys, prefixes = _counter_keys(user_id, email)
    erased = 0
    for key in keys:
        erased += await db.execute(_COUNTER_BY_KEY, key, connection=connection)
    for prefix in prefixes:
        erased += await db.execute(_COUNTER_BY_PREFIX, prefix, len(prefix), connection=connection)
    return erased


async def erase_user(user_id: int, requested_by: str) -> dict[str, int]:
    """Erases the user and every row of theirs, in one transaction (all or nothing), and keeps
    an AccountErasure row: when, `requested_by` (SELF or ADMIN) and the rows erased per table,
    nothing that identifies the person. Returns those counts ({table: rows deleted};
    {table.column: rows of others whose reference to the user's rows was set to null}).
    AccountErased when the user is gone already."""
    if requested_by not in REQUESTERS:
        raise ValueError(f"requested_by must be one of {REQUESTERS}")
    plan = plan_for(_models())
    async with in_transaction() as connection:
        # The user's row first (locks.py's order): writers that take it wait for the erasure
        # and then find the user gone; inserts that reference the user wait on it too.
        await locks.user_row(user_id, connection)
        user = await User.get_or_none(id=user_id, using_db=connection)
        if user is None:
            raise AccountErased("the account does not exist (erased already?)")
        if not db.is_sqlite(connection):  # SQLite has one writer: nothing can interleave
            for statement in plan.locks:
                await db.fetch_rows(statement, user_id, connection=connection)
        counts: dict[str, int] = {}
        for name, statement in plan.unlinks:
            counts[name] = await db.execute(statement, user_id, connection=connection)
        for table, statement in plan.deletes:
            counts[table] = await db.execute(statement, user_id, connection=connection)
        counts["rate_limit_counter"] = await _erase_counters(user_id, user.email, connection)
        await AccountErasure.create(
            erased_at=datetime.now(UTC),
            requested_by=requested_by,
            rows=counts,
            using_db=connection,
        )
    return counts
