"""Opaque keyset cursors: a kind and the key of the last row seen, base64-encoded. The kind
keeps a cursor of one list from being accepted by another."""

from __future__ import annotations

import base64
import binascii

from gql_server.errors import BadUserInput


def encode_cursor(kind: str, *key: object) -> str:
    return base64.urlsafe_b64encode("|".join((kind, *map(str, key))).encode()).decode()


def decode_cursor(cursor: str, kind: str, parts: int) -> list[str]:
    """The key's parts as text; BAD_USER_INPUT for anything this API did not hand out."""
    try:
        found, *key = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        found, key = "", []
    if found != kind or len(key) != parts:
        raise BadUserInput("after is not a cursor this API returned", field="after")
    return key
