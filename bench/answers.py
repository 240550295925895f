"""Asking the hub over HTTP: one request, or every page of a connection, and the answers checked."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx


class QueryFailed(RuntimeError):
    """The hub answered a canonical query with errors or without data."""


# pageInfo as the walk asks it, read from the raw answer: no JSON is parsed while timing (it
# costs a millisecond per page of 500 sites). A string value cannot match: its quotes are escaped.
NEXT_PAGE = re.compile(rb'"hasNextPage":\s*(true|false),\s*"endCursor":\s*(?:"([^"]*)"|null)')


async def post_graphql(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any]
) -> httpx.Response:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    response.raise_for_status()
    # A quick answer of errors must never be timed as an answer: a cheap look on every
    # request, the full check (graphql_body) when the word is there.
    if b'"errors"' in response.content:
        graphql_body(response.content)
    return response


def graphql_body(content: bytes) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(content)
    if body.get("errors"):
        messages = "; ".join(sorted({str(e.get("message")) for e in body["errors"]}))
        raise QueryFailed(f"{len(body['errors'])} error(s): {messages}")
    if not body.get("data"):
        raise QueryFailed("no data")
    return body


async def walk_pages(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any]
) -> list[httpx.Response]:
    """Every page of ``query``: sent again with ``after`` set to the last ``endCursor``
    while ``hasNextPage``."""
    pages: list[httpx.Response] = []
    after: str | None = None
    while True:
        page = await post_graphql(http, query, {**variables, "after": after})
        pages.append(page)
        found = NEXT_PAGE.search(page.content)
        if found is None:
            raise QueryFailed("a page without pageInfo { hasNextPage endCursor }")
        if found[1] == b"false":
            return pages
        cursor = (found[2] or b"").decode()
        if cursor == after:
            raise QueryFailed(f"the cursor did not move past {after!r}")
        after = cursor


def joined_sites(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """The pages of a ``sites`` connection as one answer: the first page's fields (without
    its pageInfo, which the floor has no equivalent of), every page's nodes."""
    first = {k: v for k, v in bodies[0]["data"]["sites"].items() if k != "pageInfo"}
    nodes = [node for body in bodies for node in body["data"]["sites"]["nodes"]]
    return {"data": {"sites": {**first, "nodes": nodes}}}
