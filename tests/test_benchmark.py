"""Smoke test of the benchmark machinery (``python -m bench``, ``make bench``), at a tiny size.

No timing is asserted: only that the canonical queries answer data, that their statement
counts are stable, and that the hand-written SQL floor returns the same JSON as the hub
(otherwise the benchmark's ratio would compare different work).
"""

from __future__ import annotations

from bench.measure import measure_all
from bench.results import QueryResult
from bench.seeding import seed
from bench.server import caller_headers, in_process_client

SITES = 30


async def measure(url: str) -> list[QueryResult]:
    # In-process on both sides: the "HTTP" client is the ASGI app too, no server needed.
    headers = await caller_headers(url)
    async with in_process_client(url, headers) as local:
        return await measure_all(local, local, repeat=2, budget_seconds=10)


async def test_benchmark_machinery_runs(fresh_db: str) -> None:
    run = await seed(SITES)
    assert run.seeded

    first = await measure(fresh_db)
    second = await measure(fresh_db)

    assert [r.name for r in first] == ["MAP", "LIST", "SHEET"]
    # Errors first: a failed request leaves loader statements that land in later counts.
    assert [r.error for r in first + second if r.error] == []
    for a, b in zip(first, second, strict=True):
        assert a.statements > 0, a.name
        assert a.statements == b.statements, (a.name, a.statements, b.statements)
        assert a.response_bytes > 0, a.name
        assert a.floor_difference is None, (a.name, a.floor_difference)
        assert a.hub.samples == a.floor.samples == 2, a.name
