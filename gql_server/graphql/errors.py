"""Give every error an `extensions.code`, and mask the unexpected ones."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from graphql.error import GraphQLError
from graphql.language import (
    ArgumentNode,
    DocumentNode,
    ObjectFieldNode,
    VariableNode,
    Visitor,
    visit,
)
from graphql.pyutils import inspect
from strawberry.extensions import MaskErrors

from gql_server import db
from gql_server.errors import ApiError
from gql_server.request_ids import current_request_id

logger = logging.getLogger("gql_server.errors")

# graphql-core's validation suggests names ("Did you mean 'email'?"), which would spell out
# the schema that production hides by refusing introspection.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
# graphql-core's two wordings: "Variable '$input' got invalid value ... at 'input.amount'; ..."
# (a type mismatch) and "Variable '$input' has invalid value at .amount: ..." (a scalar refused it).
_BAD_VARIABLE = re.compile(r"^Variable '\$(\w+)' (?:got|has) invalid value")
_PATH = r"((?:\.\w+|\[\d+\])+)"
_AT_PATH = (
    re.compile(r"^Variable '\$\w+' has invalid value at " + _PATH + ":"),
    re.compile(r" at '\w+" + _PATH + "'; "),
)


def _argument_of(document: DocumentNode | None, variable: str) -> str | None:
    """The argument (or input field) a variable is passed as, when it is passed as one."""
    if document is None:
        return None
    found: list[str] = []

    class Finder(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: object) -> None:
            self._note(node)

        def enter_object_field(self, node: ObjectFieldNode, *_: object) -> None:
            self._note(node)

        @staticmethod
        def _note(node: ArgumentNode | ObjectFieldNode) -> None:
            if isinstance(node.value, VariableNode) and node.value.name.value == variable:
                found.append(node.name.value)

    visit(document, Finder())
    return found[0] if len(set(found)) == 1 else None


def variable_field(message: str, document: DocumentNode | None) -> str | None:
    """Which input a variable coercion error is about, named as BAD_USER_INPUT errors name it
    (`amount`, `scenario.dropIncomeSources[0]`), so a client handles a value the scalar refused
    like one the service refused."""
    match = _BAD_VARIABLE.match(message)
    if match is None:
        return None
    argument = _argument_of(document, match.group(1))
    if argument is None:
        return None
    inside = next((at.group(1) for at in (p.search(message) for p in _AT_PATH) if at), "")
    if argument == "input" and inside:
        # A mutation's own `input` is named as the service names it: `amount`, not `input.amount`.
        return inside.removeprefix(".")
    return argument + inside


def _string_leaves(value: object) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def without_values(message: str, variables: dict[str, Any] | None) -> str:
    """The message with every string the client sent as a variable taken out: graphql-core
    quotes the invalid value ("got invalid value {'password': 'hunter2...'}"), and a message
    that travels to logs and error trackers must not carry a password or a token."""
    for text in sorted(set(_string_leaves(variables or {})), key=len, reverse=True):
        for shown in (inspect(text), repr(text)):
            message = message.replace(shown, "<redacted>")
        if len(text) >= 4:
            message = message.replace(text, "<redacted>")
    return message


class ApiErrorCodes(MaskErrors):
    """ApiErrors keep their message and code; parse, validation and variable errors (raised
    before execution, so without a path) are BAD_USER_INPUT; anything else is logged with the
    request id and reaches the client as INTERNAL_SERVER_ERROR."""

    def __init__(self, *, expose_internal: bool = False) -> None:
        # Every error passes through anonymise_error (MaskErrors' public hook), which gives it
        # its code and masks only the unexpected ones.
        super().__init__(should_mask_error=lambda _: True, error_message="Internal server error.")
        self.expose_internal = expose_internal

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, ApiError):
            return self._rebuild(error, original.message, original.extensions)
        if error.path is None:
            extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
            field = variable_field(error.message, self.execution_context.graphql_document)
            if field is not None:
                extensions["field"] = field
            message = _SUGGESTION.sub("", error.message) if self._in_production() else error.message
            message = without_values(message, self.execution_context.variables)
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
            extensions = {"code": "SERVICE_UNAVAILABLE", "requestId": request_id}
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
