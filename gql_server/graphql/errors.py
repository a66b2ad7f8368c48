"""Give every error an `extensions.code`, and mask the unexpected ones."""

from __future__ import annotations

import logging

from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from gql_server.errors import ApiError
from gql_server.request_ids import current_request_id

logger = logging.getLogger("gql_server.errors")


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
            return self._rebuild(error, error.message, extensions)
        request_id = current_request_id.get()
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
