"""Ids in, for arguments: a global ID (base64 of "Type:id", what every `id` field answers now)
or, for clients written before global IDs, the bare number it stands for."""

from __future__ import annotations

from strawberry.relay import GlobalID, GlobalIDValueError


def local_id(value: str, type_name: str) -> str:
    """The database id behind `value` when it names a `type_name` (or is a bare number, the old
    form). Anything else is handed on unchanged: not a number, so the service answers
    NOT_FOUND exactly as for another user's id."""
    if value.isascii() and value.isdigit():
        return value
    try:
        gid = GlobalID.from_id(value)
    except GlobalIDValueError:
        return value
    return gid.node_id if gid.type_name == type_name else value


def global_id_parts(value: str) -> tuple[str, str] | None:
    """(type name, database id) of a global ID, None when it is not one."""
    try:
        gid = GlobalID.from_id(value)
    except GlobalIDValueError:
        return None
    return gid.type_name, gid.node_id
