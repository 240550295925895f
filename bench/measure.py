"""Measuring one canonical query: the hub over HTTP and in-process, and its floor."""

from __future__ import annotations

import json
from typing import Any

import httpx
from tortoise import connections

from bench.canonical import Canonical, canonical_queries
from bench.floor import pick_sheet_site
from bench.results import QueryResult, time_calls
from bench.sql import Sql
from hub import database


async def post_graphql(http: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> bytes:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    response.raise_for_status()
    return response.content


class QueryFailed(RuntimeError):
    """The hub answered a canonical query with errors or without data."""


def graphql_body(content: bytes, name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(content)
    if body.get("errors"):
        messages = "; ".join(sorted({str(e.get("message")) for e in body["errors"]}))
        raise QueryFailed(f"{name} answered {len(body['errors'])} error(s): {messages}")
    if not body.get("data"):
        raise QueryFailed(f"{name} answered no data")
    return body


async def count_request_statements(
    http: httpx.AsyncClient, query: Canonical
) -> tuple[int, dict[str, Any]]:
    """Statements of one request, through the in-process app (the counter sees this process)."""
    with database.count_statements() as counter:
        content = await post_graphql(http, query.query, query.variables)
    return counter.count, graphql_body(content, query.name)


async def measure_query(
    query: Canonical,
    http: httpx.AsyncClient,
    local: httpx.AsyncClient,
    repeat: int,
    budget_seconds: float,
) -> QueryResult:
    """Hub over HTTP, hub in-process, and the floor, for one canonical query."""
    statements, body = await count_request_statements(local, query)
    content = await post_graphql(http, query.query, query.variables)
    graphql_body(content, query.name)
    hub = await time_calls(
        lambda: post_graphql(http, query.query, query.variables), repeat, budget_seconds
    )
    in_process = await time_calls(
        lambda: post_graphql(local, query.query, query.variables), repeat, budget_seconds
    )
    sql = Sql(connections.get("default"))
    floor_body = await query.floor(sql)
    floor_statements = sql.statements

    async def floor_call() -> str:
        return json.dumps(await query.floor(sql))

    floor = await time_calls(floor_call, repeat, budget_seconds)
    return QueryResult(
        name=query.name,
        hub=hub,
        in_process=in_process,
        floor=floor,
        statements=statements,
        floor_statements=floor_statements,
        response_bytes=len(content),
        floor_difference=first_difference(body, floor_body),
        note=query.note,
    )


def first_difference(hub: Any, floor: Any, path: str = "") -> str | None:
    """Where the floor's JSON differs from the hub's (None when they are equal)."""
    if isinstance(hub, dict) and isinstance(floor, dict):
        for key in sorted(set(hub) | set(floor)):
            if key not in hub or key not in floor:
                return f"{path}.{key}: missing on one side"
            found = first_difference(hub[key], floor[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(hub, list) and isinstance(floor, list):
        if len(hub) != len(floor):
            return f"{path}: {len(hub)} items in the hub, {len(floor)} in the floor"
        for index, (a, b) in enumerate(zip(hub, floor, strict=True)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if hub == floor else f"{path}: hub {hub!r}, floor {floor!r}"


async def measure_all(
    http: httpx.AsyncClient, local: httpx.AsyncClient, repeat: int, budget_seconds: float
) -> list[QueryResult]:
    sheet_site = await pick_sheet_site(Sql(connections.get("default")))
    results = []
    for query in canonical_queries(sheet_site):
        # A broken query is reported in the table; the others are still worth measuring.
        try:
            results.append(await measure_query(query, http, local, repeat, budget_seconds))
        except QueryFailed as error:
            results.append(QueryResult.failed(query.name, query.note, str(error)))
    return results
