"""Property: after any sequence of inserts, back-dated edits and deletes, each balanceAfter is
the opening balance plus the signed amounts up to and including it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gql_server.models import Direction, Transaction
from gql_server.services import ledger
from tests.conftest import BOTH_BACKENDS
from tests.factories import assert_balances_exact, make_user

START = datetime(2026, 1, 1, tzinfo=UTC)
amounts = st.integers(min_value=1, max_value=5_000_000).map(lambda paise: Decimal(paise) / 100)
moments = st.integers(min_value=0, max_value=60 * 24).map(lambda h: START + timedelta(hours=h))
directions = st.sampled_from([Direction.INCOME, Direction.EXPENSE])
operations = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), moments, amounts, directions),
        st.tuples(st.just("update"), st.integers(0, 50), moments, amounts, directions),
        st.tuples(st.just("delete"), st.integers(0, 50)),
    ),
    min_size=1,
    max_size=25,
)


@BOTH_BACKENDS
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=operations, opening=amounts)
async def test_running_balance_equals_the_sum_of_signed_amounts(
    app_client, ops: list[tuple], opening: Decimal
) -> None:
    user = await make_user(email=f"prop-{uuid.uuid4().hex}@example.in", opening=str(opening))
    for op in ops:
        existing = await Transaction.filter(user_id=user.id).order_by("id")
        if op[0] == "insert":
            form = ledger.TransactionForm(occurred_at=op[1], amount=op[2], direction=op[3])
            await ledger.create_transaction(user, form)
        elif existing and op[0] == "update":
            target = existing[op[1] % len(existing)]
            changes = {"occurred_at": op[2], "amount": op[3], "direction": op[4]}
            await ledger.update_transaction(user, str(target.id), changes)
        elif existing and op[0] == "delete":
            await ledger.delete_transaction(user, str(existing[op[1] % len(existing)].id))
    await assert_balances_exact(user.id)
