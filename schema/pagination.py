"""Relay cursor connections with ``totalCount``, generic over the node type."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import strawberry

from resolvers.pagination import Page

NodeT = TypeVar("NodeT")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type(description="A page of a list; `totalCount` counts the whole list.")
class Connection(Generic[NodeT]):
    # The page itself: edges, cursors and page info are built only if the query asks for them
    # (a map reads ``nodes`` of 500 sites, and 500 cursors would be encoded for nothing).
    _page: strawberry.Private[Page[Any]]

    @strawberry.field
    def page_info(self) -> PageInfo:
        page = self._page
        return PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.offset > 0,
            start_cursor=page.cursor(0) if page.rows else None,
            end_cursor=page.cursor(len(page.rows) - 1) if page.rows else None,
        )

    @strawberry.field
    def edges(self) -> list[Edge[NodeT]]:
        page = self._page
        return [Edge(cursor=page.cursor(index), node=row) for index, row in enumerate(page.rows)]

    @strawberry.field
    def nodes(self) -> list[NodeT]:
        return list(self._page.rows)

    @strawberry.field(description="Size of the whole list, all pages together.")
    async def total_count(self) -> int:
        return await self._page.count()

    @classmethod
    def of(cls, page: Page[Any]) -> Connection[Any]:
        return cls(_page=page)
