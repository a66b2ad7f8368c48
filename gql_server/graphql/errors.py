"""Give every error an `extensions.code`, and mask the unexpected ones."""

from __future__ import annotations

import logging
import re

from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from gql_server import db
from gql_server.errors import ApiError
from gql_server.request_ids import current_request_id

logger = logging.getLogger("gql_server.errors")

# graphql-core's validation suggests names ("Did you mean 'email'?"), which would spell out
# the schema that production hides by refusing introspection.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class ApiErrorCodes(MaskErrors):
    """ApiErrors keep their message and code; parse, validation and variable errors (raised
    before execution, so without a path) are BAD_USER_INPUT; anything else is logged with the
    request id and reaches the client as INTERNAL_SERVER_ERROR."""

    def __init__(self, *, expose_internal: bool = False) -> None:
        super().__init__(error_message="Internal server error.")
        self.expose_internal = expose_internal

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [self._with_code(error) for error in errors]

    def _with_code(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, ApiError):
            return self._rebuild(error, original.message, original.extensions)
        if error.path is None:
            extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
            message = _SUGGESTION.sub("", error.message) if self._in_production() else error.message
            return self._rebuild(error, message, extensions)
        request_id = current_request_id.get()
        if db.connection_lost(original):
            # An outage, not a bug: one line in the log, and a message the client can act on.
            logger.warning(
                "database unavailable in %s [request %s]: %s",
                ".".join(map(str, error.path)),
                request_id,
                type(original).__name__,
            )
            extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
            message = "The database is unavailable; try again shortly."
            return self._rebuild(error, message, {**extensions, "retryable": True})
        logger.error(
            "unexpected error in %s [request %s]",
            ".".join(map(str, error.path)),
            request_id,
            exc_info=original if original is not None else error,
        )
        extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
        if self.expose_internal:
            extensions["debug"] = repr(original if original is not None else error)
        return self._rebuild(error, self.error_message, extensions)

    def _in_production(self) -> bool:
        settings = getattr(getattr(self.execution_context, "context", None), "settings", None)
        return bool(getattr(settings, "is_production", False))

    @staticmethod
    def _rebuild(error: GraphQLError, message: str, extensions: dict) -> GraphQLError:
        return GraphQLError(
            message=message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions=extensions,
        )
