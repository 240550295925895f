"""The canonical queries: their documents (``bench/queries/*.graphql``), variables and floors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.floor import floor_list, floor_map, floor_sheet
from bench.sql import Sql, global_id

QUERIES = Path(__file__).parent / "queries"
MAP_PAGE = 500  # the page maximum (Settings.max_page_size): MAP fetches one page only
LIST_PAGE = 100
SHEET_CHILDREN = 20  # the first page of the site's journal, and of its history


@dataclass(frozen=True)
class Canonical:
    name: str
    query: str
    variables: dict[str, Any]
    floor: Callable[[Sql], Awaitable[dict[str, Any]]]
    note: str


def document(name: str) -> str:
    """The GraphQL document of a canonical query, as sent: ``bench/queries/<name>.graphql``."""
    return (QUERIES / f"{name.lower()}.graphql").read_text(encoding="utf-8")


def canonical_queries(sheet_site_id: int) -> list[Canonical]:
    return [
        Canonical(
            "MAP",
            document("MAP"),
            {"first": MAP_PAGE},
            lambda sql: floor_map(sql, MAP_PAGE),
            f"one page of {MAP_PAGE} open sites (the page maximum), not every open site",
        ),
        Canonical(
            "LIST",
            document("LIST"),
            {"first": LIST_PAGE},
            lambda sql: floor_list(sql, LIST_PAGE),
            f"one page of {LIST_PAGE} sites with actors and actions",
        ),
        Canonical(
            "SHEET",
            document("SHEET"),
            {"id": global_id("Site", sheet_site_id), "children": SHEET_CHILDREN},
            lambda sql: floor_sheet(sql, sheet_site_id, SHEET_CHILDREN),
            "one site with every field group",
        ),
    ]
