"""After a mutation, the caller's outlook is refitted in the background (debounced), so the
next read finds it fresh or, if it comes sooner, gets the previous one marked stale instead
of waiting for a fit."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

logger = logging.getLogger("gql_server.refits")


class RefitAfterWrites(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        yield
        execution = self.execution_context
        try:
            kind = execution.operation_type
        except Exception:  # no document (a syntax error) or no such operation: nothing ran
            return
        if kind is not OperationType.MUTATION:
            return
        context = execution.context
        user = context.known_user()
        if user is None or context.resources is None:  # nobody signed in, or no lifespan
            return
        try:
            # Every mutation asks: one that changed nothing the outlook reads costs a
            # fingerprint query later, not a fit. Which ones change it is the inputs' business.
            await context.resources.outlook.refits.request(user.id)
        except Exception as exc:  # the write is done; a missed refit means a slower next read
            logger.warning("could not ask for a refit of user %s: %s", user.id, exc)
