"""How much one answer may hold, for every list a client asks for: checked here, in one place.

Connections (transactions, buffer entries) and the admins' job list take `first` up to
MAX_PAGE_SIZE (a setting, 100 by default, that the GraphQL layer passes in); insights are a
short ranked list, and `nodes(ids)` a batch lookup, each with its own fixed ceiling.
"""

from __future__ import annotations

from collections.abc import Sized

from gql_server.errors import BadUserInput

DEFAULT_PAGE_SIZE = 100  # MAX_PAGE_SIZE when unset
TOP_INSIGHTS = 50
IDS_PER_LOOKUP = 100


def page_size(first: int, limit: int = DEFAULT_PAGE_SIZE) -> int:
    """`first` when it is 1..limit; otherwise BAD_USER_INPUT naming `first`."""
    if not 1 <= first <= limit:
        raise BadUserInput(f"first must be between 1 and {limit}", field="first")
    return first


def id_count(ids: Sized, limit: int = IDS_PER_LOOKUP) -> None:
    if len(ids) > limit:
        raise BadUserInput(f"ids may hold at most {limit} ids", field="ids")
