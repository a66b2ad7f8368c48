"""The schema factory: root types composed from the per-domain modules, plus the limits."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from gql_server.graphql.accounts import AccountMutations, AccountQueries
from gql_server.graphql.alerts import AlertMutations, AlertQueries, AlertSubscriptions
from gql_server.graphql.buffer import BufferMutations
from gql_server.graphql.caller import CallerFields
from gql_server.graphql.caller_freshness import CallerFreshness
from gql_server.graphql.category_rules import CategoryRuleMutations, CategoryRuleQueries
from gql_server.graphql.costs import cost_rule
from gql_server.graphql.data_export import DataExportQueries
from gql_server.graphql.document_cache import DocumentCache, Documents
from gql_server.graphql.erasure import ErasureMutations
from gql_server.graphql.errors import ApiErrorCodes
from gql_server.graphql.execution import PlainLeafExecutionContext
from gql_server.graphql.forecasts import ForecastMutations
from gql_server.graphql.generation import (
    GenerationMutations,
    GenerationQueries,
    GenerationSubscriptions,
)
from gql_server.graphql.income_sources import IncomeSourceMutations
from gql_server.graphql.ledger import LedgerMutations, LedgerQueries
from gql_server.graphql.metrics_extension import OperationMetrics
from gql_server.graphql.nodes import NodeQueries
from gql_server.graphql.recurring import RecurringMutations
from gql_server.graphql.refits import RefitAfterWrites
from gql_server.graphql.scalars import DECIMAL
from gql_server.graphql.statements import StatementMutations, StatementQueries
from gql_server.graphql.tax import TaxMutations, TaxQueries
from gql_server.settings import Settings


@strawberry.type
class Query(
    AccountQueries,
    CallerFields,
    LedgerQueries,
    StatementQueries,
    CategoryRuleQueries,
    GenerationQueries,
    TaxQueries,
    AlertQueries,
    DataExportQueries,
    NodeQueries,
):
    """The caller's data (CallerFields) is the same set of fields as on `me`."""


@strawberry.type
class Mutation(
    AccountMutations,
    LedgerMutations,
    StatementMutations,
    CategoryRuleMutations,
    IncomeSourceMutations,
    ForecastMutations,
    RecurringMutations,
    BufferMutations,
    TaxMutations,
    AlertMutations,
    GenerationMutations,
    ErasureMutations,
):
    pass


@strawberry.type
class Subscription(GenerationSubscriptions, AlertSubscriptions):
    pass


class Schema(strawberry.Schema):
    documents: Documents  # this schema's parsed-document cache

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # ApiErrorCodes already logged the unexpected errors with their request id; the rest
        # (bad input, wrong passwords) are the client's business, not the server log's.
        return None


def create_schema(settings: Settings) -> Schema:
    # The limit rules are built once per schema: each limiter instance makes new rule classes.
    rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
        cost_rule(settings.max_request_cost),
    ]
    if settings.is_production:
        rules.extend(DisableIntrospection().validation_rules)
    documents = Documents()
    # Factories, not instances: Strawberry builds fresh extensions for every request.
    extensions: list[Callable[[], SchemaExtension]] = [
        OperationMetrics,  # first: it sees the operation end last, errors coded
        partial(ApiErrorCodes, expose_internal=settings.is_development),
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        partial(DocumentCache, documents),
        partial(AddValidationRules, rules),
        RefitAfterWrites,
        CallerFreshness,
    ]
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        scalar_overrides={Decimal: DECIMAL},
        execution_context_class=PlainLeafExecutionContext,
    )
    schema.documents = documents
    return schema
