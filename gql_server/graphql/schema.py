"""The schema factory: root types composed from the per-domain modules, plus the limits."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from gql_server.graphql.accounts import AccountMutations, AccountQueries
from gql_server.graphql.errors import ApiErrorCodes
from gql_server.graphql.income_sources import IncomeSourceMutations, IncomeSourceQueries
from gql_server.graphql.ledger import LedgerMutations, LedgerQueries
from gql_server.settings import Settings


@strawberry.type
class Query(AccountQueries, LedgerQueries, IncomeSourceQueries):
    pass


@strawberry.type
class Mutation(AccountMutations, LedgerMutations, IncomeSourceMutations):
    pass


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # ApiErrorCodes already logged the unexpected errors with their request id; the rest
        # (bad input, wrong passwords) are the client's business, not the server log's.
        return None


def create_schema(settings: Settings) -> strawberry.Schema:
    # Factories, not instances: Strawberry builds fresh extensions for every request.
    extensions: list[Callable[[], SchemaExtension]] = [
        partial(ApiErrorCodes, expose_internal=settings.is_development),
        partial(ParserCache, maxsize=512),
        partial(QueryDepthLimiter, max_depth=settings.max_query_depth),
        partial(MaxAliasesLimiter, max_alias_count=settings.max_aliases),
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        partial(ValidationCache, maxsize=512),
    ]
    if settings.is_production:
        extensions.append(DisableIntrospection)
    return Schema(query=Query, mutation=Mutation, extensions=extensions)
