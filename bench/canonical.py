"""The canonical queries: their documents (``bench/queries/*.graphql``), variables and floors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.answers import graphql_body, joined_sites, post_graphql, walk_pages
from bench.floor import floor_list, floor_map, floor_map_pages, floor_sheet
from bench.sql import Sql, global_id

QUERIES = Path(__file__).parent / "queries"
MAP_PAGE = 500  # the page maximum (Settings.max_page_size)
LIST_PAGE = 100
SHEET_CHILDREN = 20  # the first page of the site's journal, and of its history


@dataclass(frozen=True)
class Canonical:
    name: str
    # The hub's raw answers to one measured call: one request, or every page of a walk.
    ask: Callable[[httpx.AsyncClient], Awaitable[list[httpx.Response]]]
    # Those answers as one JSON document, to compare with the floor's (and the baseline's).
    join: Callable[[list[dict[str, Any]]], dict[str, Any]]
    floor: Callable[[Sql], Awaitable[dict[str, Any]]]
    note: str

    def body(self, answers: list[httpx.Response]) -> dict[str, Any]:
        """The joined JSON of checked answers (QueryFailed on errors or no data)."""
        return self.join([graphql_body(answer.content) for answer in answers])


def document(name: str) -> str:
    """The GraphQL document of a canonical query, as sent: ``bench/queries/<name>.graphql``."""
    return (QUERIES / f"{name}.graphql").read_text(encoding="utf-8")


def _one_request(
    query: str, variables: dict[str, Any]
) -> Callable[[httpx.AsyncClient], Awaitable[list[httpx.Response]]]:
    async def ask(http: httpx.AsyncClient) -> list[httpx.Response]:
        return [await post_graphql(http, query, variables)]

    return ask


def _every_page(
    query: str, variables: dict[str, Any]
) -> Callable[[httpx.AsyncClient], Awaitable[list[httpx.Response]]]:
    async def ask(http: httpx.AsyncClient) -> list[httpx.Response]:
        return await walk_pages(http, query, variables)

    return ask


def _only(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    return bodies[0]


def canonical_queries(sheet_site_id: int) -> list[Canonical]:
    sheet = {"id": global_id("Site", sheet_site_id), "children": SHEET_CHILDREN}
    return [
        Canonical(
            "MAP",
            _one_request(document("map"), {"first": MAP_PAGE}),
            _only,
            lambda sql: floor_map(sql, MAP_PAGE),
            f"one page of {MAP_PAGE} open sites (the page maximum), not every open site",
        ),
        Canonical(
            "LIST",
            _one_request(document("list"), {"first": LIST_PAGE}),
            _only,
            lambda sql: floor_list(sql, LIST_PAGE),
            f"one page of {LIST_PAGE} sites with actors and actions",
        ),
        Canonical(
            "SHEET",
            _one_request(document("sheet"), sheet),
            _only,
            lambda sql: floor_sheet(sql, sheet_site_id, SHEET_CHILDREN),
            "one site with every field group",
        ),
        Canonical(
            "MAP all",
            _every_page(document("map_all"), {"first": MAP_PAGE}),
            joined_sites,
            lambda sql: floor_map_pages(sql, MAP_PAGE),
            f"every open site: MAP with a cursor, page after page of {MAP_PAGE}, as one walk"
            " (times, statements and bytes are the whole walk's)",
        ),
    ]
