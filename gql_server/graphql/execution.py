"""A cheaper way through graphql-core for the fields that are only an attribute.

Most of a page's fields are plain values read off an object (a transaction's amount, merchant,
category...): Strawberry marks their resolver as "basic" (no arguments, permissions, extensions
or info). graphql-core still gives each of them the whole per-field machinery: a resolve-info
object, argument coercion, an awaitable check, and a walk through value completion, which
for a 50-row page is about 400 fields and most of the server's CPU (bench.api_load
--profile). For a basic field whose type is a scalar or an enum and whose selection has no
arguments, the value is read and coerced to its output form directly, as complete_leaf_value
would; anything out of the ordinary (an exception, a null, a value the scalar refuses) goes
the ordinary way, which reads the attribute again and reports the error exactly as before.
A Relay node's `id` is made the same way Strawberry makes it, without its per-field wrapping.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
)
from strawberry import relay
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


def _is_basic(resolve: Any) -> bool:
    # Strawberry's resolver for a field with no resolver of its own (schema_converter.py).
    return getattr(resolve, "_is_default", False) is True


# A Node's `id` the way relay.Node._id makes it, when the type keeps Strawberry's own way of
# finding the id and the type name (no type here overrides them; one that did would go the
# ordinary way). The ordinary way builds a resolve info, Strawberry's Info and an extension
# chain for every row's id.
_RESOLVE_ID = relay.Node.resolve_id.__func__  # type: ignore[attr-defined]
_RESOLVE_TYPENAME = relay.Node.resolve_typename.__func__  # type: ignore[attr-defined]


def _plain_global_id(source: relay.Node, type_name: str) -> relay.GlobalID | None:
    cls = type(source)
    if (
        cls.resolve_id.__func__ is not _RESOLVE_ID  # type: ignore[attr-defined]
        or cls.resolve_typename.__func__ is not _RESOLVE_TYPENAME  # type: ignore[attr-defined]
    ):
        return None
    node_id = getattr(source, cls.resolve_id_attr(), None)
    if node_id is None:
        return None
    return relay.GlobalID(type_name=type_name, node_id=str(node_id))


class PlainLeafExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def _no_middleware(self) -> bool:
        # Strawberry hands graphql-core a manager on every request, holding the extensions
        # that implement `resolve` (none of this server's do): with any, every field goes the
        # ordinary way, through them.
        manager = self.middleware_manager
        return manager is None or not manager.middlewares

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any = None,
    ) -> Any:
        node = field_details_list[0].node
        field_def = parent_type.fields.get(node.name.value)
        if (
            field_def is not None
            and node.name.value == "id"
            and isinstance(source, relay.Node)
            and not node.arguments
            and self._no_middleware()
        ):
            global_id = _plain_global_id(source, parent_type.name)
            if global_id is not None:
                leaf = field_def.type
                if isinstance(leaf, GraphQLNonNull):
                    leaf = leaf.of_type
                if isinstance(leaf, GraphQLScalarType):
                    return leaf.coerce_output_value(global_id)
        if (
            field_def is not None
            and not node.arguments
            and not field_def.args
            and self._no_middleware()
            and _is_basic(field_def.resolve)
        ):
            leaf = field_def.type
            if isinstance(leaf, GraphQLNonNull):
                leaf = leaf.of_type
            if isinstance(leaf, GraphQLScalarType | GraphQLEnumType):
                try:
                    value = field_def.resolve(source, None)
                    if value is not None:
                        coerced = leaf.coerce_output_value(value)
                        if coerced is not None and coerced is not Undefined:
                            return coerced
                    elif not isinstance(field_def.type, GraphQLNonNull):
                        return None
                except Exception:  # noqa: S110 - the ordinary path reports it
                    pass
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
