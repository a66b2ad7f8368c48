"""Relay-style cursor connections, generic over the node type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import strawberry

Node = TypeVar("Node")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool = strawberry.field(
        description="Pages go forward (first/after): true when this page starts after a cursor."
    )
    start_cursor: str | None
    end_cursor: str | None


def page_info(
    cursors: list[str], has_next_page: bool, end_cursor: str | None, after: str | None
) -> PageInfo:
    """A forward page's PageInfo. hasPreviousPage is `after` given, which the Relay spec allows
    for forward pagination (it asks for true only when that is cheap to know); counting the
    rows before the cursor would cost a query per page."""
    return PageInfo(
        has_next_page=has_next_page,
        has_previous_page=after is not None,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=end_cursor,
    )


@strawberry.type
class Edge(Generic[Node]):
    cursor: str
    node: Node


@strawberry.type
class Connection(Generic[Node]):
    edges: list[Edge[Node]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many rows match, over all pages (counted on request).")
    async def total_count(self) -> int:
        return await self.count()
