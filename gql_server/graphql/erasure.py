"""deleteAccount: the caller's account and every row of theirs erased."""

from __future__ import annotations

import strawberry

from gql_server.graphql.context import Info
from gql_server.graphql.permissions import IsAuthenticated
from gql_server.services import accounts


@strawberry.type
class ErasureMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Erases the caller's account once its password is given: every row of "
        "theirs in every table, all at once, and every token stops working. What is kept is "
        "only that an account was erased, when, and how many rows of each table, nothing that "
        "identifies anyone. A wrong password is BAD_USER_INPUT with reason WRONG_PASSWORD "
        "(rate-limited like sign-ins) and changes nothing.",
    )
    async def delete_account(self, info: Info, password: str) -> bool:
        ctx = info.context
        user = await ctx.require_live_session()
        await accounts.delete_account(ctx.settings, user, password)
        return True
