"""Relay global object identification: `node(id:)` and `nodes(ids:)` answer any object the
caller may see by its global ID, and null for anything else (another user's object, an id
that is not a global ID, a type that is not a Node, an administrator's object asked for by
someone else) exactly like `transaction(id:)` does for another user's transaction."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Protocol

import strawberry
from strawberry import relay

from gql_server.graphql.accounts import UserType
from gql_server.graphql.alerts import Alert, Webhook
from gql_server.graphql.buffer import BufferEntryType
from gql_server.graphql.category_rules import CategoryRuleType
from gql_server.graphql.context import Info
from gql_server.graphql.generation import GenerationJobType
from gql_server.graphql.ids import global_id_parts
from gql_server.graphql.income_sources import IncomeSourceType
from gql_server.graphql.insights import Insight
from gql_server.graphql.ledger import TransactionType
from gql_server.graphql.permissions import IsAuthenticated
from gql_server.graphql.recurring import RecurringItemType
from gql_server.services import pages

MAX_IDS = pages.IDS_PER_LOOKUP


class OwnedNode(Protocol):
    """A Node type that loads its objects by id, only those the caller may see."""

    async def resolve_owned(self, info: Info, node_ids: list[str]) -> list[Any]: ...


# GraphQL type name -> the type; a name missing here is not a Node, and answers null.
NODE_TYPES: dict[str, OwnedNode] = {
    "User": UserType,
    "Transaction": TransactionType,
    "IncomeSource": IncomeSourceType,
    "RecurringItem": RecurringItemType,
    "BufferEntry": BufferEntryType,
    "Insight": Insight,
    "GenerationJob": GenerationJobType,
    "CategoryRule": CategoryRuleType,
    "Alert": Alert,
    "Webhook": Webhook,
}


async def resolve_nodes(info: Info, ids: list[str]) -> list[relay.Node | None]:
    """One query per type asked for, answers in the order of `ids`."""
    wanted: defaultdict[str, list[tuple[int, str]]] = defaultdict(list)
    for position, value in enumerate(ids):
        parts = global_id_parts(value)
        if parts is not None and parts[0] in NODE_TYPES:
            wanted[parts[0]].append((position, parts[1]))
    answers: list[relay.Node | None] = [None] * len(ids)
    for type_name, pairs in wanted.items():
        found = await NODE_TYPES[type_name].resolve_owned(info, [i for _, i in pairs])
        for (position, _), node in zip(pairs, found, strict=True):
            answers[position] = node
    return answers


@strawberry.type
class NodeQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The object with this global ID, if the caller may see it; null otherwise.",
    )
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        [found] = await resolve_nodes(info, [id])
        return found

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description=f"node(id) for each id, in order (at most {MAX_IDS}).",
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
        pages.id_count(ids)
        return await resolve_nodes(info, list(ids))
