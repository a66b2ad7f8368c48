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

A step further (`execute_fields`): when every field an object's selection asks for is plain in
that sense, recursively (a leaf, a node's id, or an object or a list of objects whose own
selection is plain: a page's connection, edges, nodes and pageInfo), the whole object is built
in one loop from a plan made once per request and selection, with no per-field path, resolve
info, awaitable check or completion. A 50-row page is then one loop over its rows instead of
about 600 trips through the executor. Anything the plan did not expect (an exception, a null
where the schema says non-null, a value a scalar refuses, an object of the wrong type) drops
the plan for that object, and the ordinary executor does it again from the start, reporting
errors with their paths exactly as before (the fields it re-reads are attribute reads).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
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


class _NotPlain(Exception):
    """The plan met something it does not handle: the ordinary executor takes over."""


_LEAF, _ID, _TYPENAME, _OBJECT, _LIST = range(5)


class _Step:
    """One field of a plain selection: how to read it and what to make of the value."""

    __slots__ = (
        "item_non_null",
        "kind",
        "leaf",
        "name",
        "non_null",
        "object_type",
        "resolve",
        "sub",
    )

    # Any where a kind has no use for the slot: the loop below reads them without checks.
    def __init__(self, name: str, kind: int, resolve: Callable[..., Any] | None = None) -> None:
        self.name = name
        self.kind = kind
        self.resolve: Any = resolve
        self.leaf: Any = None  # GraphQLScalarType | GraphQLEnumType, for leaves and ids
        self.non_null = False
        self.item_non_null = False
        self.object_type: Any = None  # GraphQLObjectType, for objects and lists of them
        self.sub: Any = None  # list[_Step]: the object's (or the list's objects') own plan


def _unwrap(type_: GraphQLOutputType) -> tuple[GraphQLOutputType, bool]:
    if isinstance(type_, GraphQLNonNull):
        return type_.of_type, True
    return type_, False


def _leaf(value: Any, leaf: GraphQLScalarType | GraphQLEnumType, non_null: bool) -> Any:
    if value is None:
        if non_null:
            raise _NotPlain
        return None
    coerced = leaf.coerce_output_value(value)
    if coerced is None or coerced is Undefined:
        raise _NotPlain
    return coerced


def _object(value: Any, step: _Step, non_null: bool) -> Any:
    if value is None:
        if non_null:
            raise _NotPlain
        return None
    object_type = step.object_type
    # Strawberry's is_type_of ignores its info argument (an isinstance check).
    if object_type.is_type_of is not None and not object_type.is_type_of(value, None):
        raise _NotPlain
    return _build(step.sub, value, object_type)


def _leaf_value(step: _Step, source: Any, parent_type: GraphQLObjectType) -> Any:
    """A leaf's or a node id's output value, or _NotPlain."""
    if step.kind == _LEAF:
        return _leaf(step.resolve(source, None), step.leaf, step.non_null)
    global_id = (
        _plain_global_id(source, parent_type.name) if isinstance(source, relay.Node) else None
    )
    if global_id is None:
        raise _NotPlain
    return _leaf(global_id, step.leaf, True)


def _build(plan: list[_Step], source: Any, parent_type: GraphQLObjectType) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for step in plan:
        kind = step.kind
        if kind in (_LEAF, _ID):
            result[step.name] = _leaf_value(step, source, parent_type)
        elif kind == _TYPENAME:
            result[step.name] = parent_type.name
        elif kind == _OBJECT:
            result[step.name] = _object(step.resolve(source, None), step, step.non_null)
        else:
            values = step.resolve(source, None)
            if values is None:
                if step.non_null:
                    raise _NotPlain
                result[step.name] = None
            elif isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
                raise _NotPlain
            elif step.sub is not None:
                result[step.name] = [_object(v, step, step.item_non_null) for v in values]
            else:
                result[step.name] = [_leaf(v, step.leaf, step.item_non_null) for v in values]
    return result


# What a plan needs to know of a field, found once per field of a type of the schema (a
# schema lives as long as its process, and its types with it): None for a field that is not
# plain. A pure cache of the schema, nothing processes need to agree on.
_FIELD_STEPS: dict[tuple[int, str], tuple[GraphQLObjectType, GraphQLField, _Step | None]] = {}


def _field_step(parent_type: GraphQLObjectType, name: str, field_def: GraphQLField) -> _Step | None:
    key = (id(parent_type), name)
    found = _FIELD_STEPS.get(key)
    # The type is kept with its entry, so its id is not reused while the entry exists.
    if found is None or found[1] is not field_def:
        found = (parent_type, field_def, _make_field_step(parent_type, name, field_def))
        _FIELD_STEPS[key] = found
    return found[2]


def _make_field_step(
    parent_type: GraphQLObjectType, name: str, field_def: GraphQLField
) -> _Step | None:
    if field_def.args:
        return None
    type_, non_null = _unwrap(field_def.type)
    is_node = any(i.name == "Node" for i in parent_type.interfaces)
    if name == "id" and is_node and not _is_basic(field_def.resolve):
        if not isinstance(type_, GraphQLScalarType):
            return None
        step = _Step(name, _ID)
        step.leaf = type_
        return step
    if not _is_basic(field_def.resolve):
        return None
    step = _Step(name, _LEAF, field_def.resolve)
    step.non_null = non_null
    if isinstance(type_, GraphQLList):
        step.kind = _LIST
        type_, step.item_non_null = _unwrap(type_.of_type)
    elif isinstance(type_, GraphQLObjectType):
        step.kind = _OBJECT
    if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
        step.leaf = type_
    elif isinstance(type_, GraphQLObjectType):
        step.object_type = type_
    else:  # a list of lists, an interface or a union
        return None
    return step


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
        name = node.name.value
        field_def = parent_type.fields.get(name)
        if field_def is not None and not node.arguments and self._no_middleware():
            # The same knowledge of the field as a plan's (a leaf or a node id, else None).
            known = _field_step(parent_type, name, field_def)
            if known is not None and known.kind in (_LEAF, _ID):
                try:
                    return _leaf_value(known, source, parent_type)
                except Exception:  # noqa: S110 - the ordinary path reports it
                    pass
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    # --- whole objects ------------------------------------------------------------------------

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> list[_Step] | None:
        """The plan of a plain selection of `parent_type`, or None; made once per request and
        selection (graphql-core keeps a selection's grouped field set for the request)."""
        plans: dict[tuple[str, int], tuple[Any, list[_Step] | None]]
        plans = self.__dict__.setdefault("_plain_plans", {})
        key = (parent_type.name, id(grouped_field_set))
        found = plans.get(key)
        if found is not None:
            return found[1]
        plans[key] = (grouped_field_set, None)  # kept alive with the plan, so its id stays
        plan = self._make_plan(parent_type, grouped_field_set)
        plans[key] = (grouped_field_set, plan)
        return plan

    def _make_plan(
        self, parent_type: GraphQLObjectType, grouped_field_set: Any
    ) -> list[_Step] | None:
        plan: list[_Step] = []
        for response_name, field_details_list in grouped_field_set.items():
            node = field_details_list[0].node
            name = node.name.value
            if name == "__typename":
                plan.append(_Step(response_name, _TYPENAME))
                continue
            if node.arguments:
                return None
            field_def = parent_type.fields.get(name)
            if field_def is None:
                return None
            known = _field_step(parent_type, name, field_def)
            if known is None:
                return None
            step = _Step(response_name, known.kind, known.resolve)
            step.leaf, step.non_null = known.leaf, known.non_null
            step.item_non_null, step.object_type = known.item_non_null, known.object_type
            if known.object_type is not None:
                grouped, defer_usages, _ = self.collect_subfields(
                    known.object_type, field_details_list
                )
                if defer_usages:
                    return None
                step.sub = self._plan(known.object_type, grouped)
                if step.sub is None:
                    return None
            plan.append(step)
        return plan

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Any,
        grouped_field_set: Any,
        position_context: Any = None,
    ) -> Any:
        if self._no_middleware():
            plan = self._plan(parent_type, grouped_field_set)
            if plan is not None:
                try:
                    return _build(plan, source_value, parent_type)
                except Exception:  # noqa: S110 - the ordinary path does it again, and reports
                    pass
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )
