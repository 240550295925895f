"""Measuring one canonical query: the hub over HTTP and in-process, and its floor."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
from tortoise import connections

from bench.answers import QueryFailed
from bench.canonical import Canonical, canonical_queries
from bench.floor import pick_sheet_site
from bench.results import QueryResult, Timing, time_calls
from bench.sql import Sql
from hub import database


async def count_request_statements(
    http: httpx.AsyncClient, query: Canonical
) -> tuple[int, dict[str, Any]]:
    """Statements of one call, through the in-process app (the counter sees this process),
    after a first one: what a server keeps between requests (the caller, the territories)
    is kept then, as it is while it serves."""
    await query.ask(http)
    with database.count_statements() as counter:
        answers = await query.ask(http)
    return counter.count, query.body(answers)


@dataclass
class Floor:
    body: dict[str, Any]
    statements: int
    timing: Timing


async def measure_floor(query: Canonical, repeat: int, budget_seconds: float) -> Floor:
    """The floor's answer, its statements, and its timing (serialized, as the hub's is)."""
    sql = Sql(connections.get("default"))
    body = await query.floor(sql)
    statements = sql.statements

    async def floor_call() -> str:
        return json.dumps(await query.floor(sql))

    return Floor(body, statements, await time_calls(floor_call, repeat, budget_seconds))


async def measure_query(
    query: Canonical,
    http: httpx.AsyncClient,
    local: httpx.AsyncClient,
    repeat: int,
    budget_seconds: float,
) -> QueryResult:
    """Hub over HTTP, hub in-process, and the floor, for one canonical query."""
    statements, body = await count_request_statements(local, query)
    answers = await query.ask(http)
    query.body(answers)
    hub = await time_calls(lambda: query.ask(http), repeat, budget_seconds)
    in_process = await time_calls(lambda: query.ask(local), repeat, budget_seconds)
    floor = await measure_floor(query, repeat, budget_seconds)
    return QueryResult(
        name=query.name,
        hub=hub,
        in_process=in_process,
        floor=floor.timing,
        statements=statements,
        floor_statements=floor.statements,
        response_bytes=sum(len(answer.content) for answer in answers),
        floor_difference=first_difference(body, floor.body),
        note=query.note,
    )


def first_difference(
    hub: Any, other: Any, path: str = "", sides: tuple[str, str] = ("hub", "floor")
) -> str | None:
    """Where the other side's JSON (the floor's, or a baseline's) differs from the hub's (None
    when they are equal)."""
    if isinstance(hub, dict) and isinstance(other, dict):
        for key in sorted(set(hub) | set(other)):
            if key not in hub or key not in other:
                return f"{path}.{key}: missing on one side"
            found = first_difference(hub[key], other[key], f"{path}.{key}", sides)
            if found:
                return found
        return None
    if isinstance(hub, list) and isinstance(other, list):
        if len(hub) != len(other):
            return f"{path}: {len(hub)} items in the {sides[0]}, {len(other)} in the {sides[1]}"
        for index, (a, b) in enumerate(zip(hub, other, strict=True)):
            found = first_difference(a, b, f"{path}[{index}]", sides)
            if found:
                return found
        return None
    return None if hub == other else f"{path}: {sides[0]} {hub!r}, {sides[1]} {other!r}"


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
