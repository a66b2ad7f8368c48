"""Which requests may check the caller's token against the process's recent copy of their
account (auth/caller_cache.py): queries. Mutations read the account (they change things on
the strength of it: a password, a role) and then forget the copy, so the next query in this
process reads what the mutation did."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType


class CallerFreshness(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        context = execution.context
        try:
            kind = execution.operation_type
        except Exception:  # no such operation: nothing runs
            kind = None
        context.trust_cached_caller = kind is OperationType.QUERY
        yield
        if kind is OperationType.MUTATION and context.resources is not None:
            user = context.known_user()
            if user is not None:
                context.resources.callers.forget(user.id)
