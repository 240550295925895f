"""A throwaway database per run, seeded with the territories and the demo data."""

from __future__ import annotations

import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tortoise import connections

from bench.results import RunResult
from hub.throwaway import ThrowawayDatabases


@asynccontextmanager
async def throwaway_database(backend: str, size: int, postgres_url: str) -> AsyncIterator[str]:
    """A new, empty database URL for one run; dropped (or deleted) afterwards."""
    with tempfile.TemporaryDirectory(prefix="hub_bench_") as folder:
        databases = ThrowawayDatabases(backend, Path(folder), "hub_bench", postgres_url)
        try:
            yield await databases.create(str(size))
        finally:
            await databases.drop_all()


async def seed_announced(backend: str, sites: int) -> RunResult:
    """``seed``, saying what it does and how long it took."""
    print(f"\n== {backend}, {sites} sites: seeding…", flush=True)
    run = await seed(sites)
    run.backend = backend
    seeded = ", ".join(f"{n} {k}" for k, n in run.seeded.items())
    print(
        f"   territories loaded in {run.territories_seconds:.1f} s;"
        f" demo seeded in {run.seed_seconds:.1f} s ({seeded});"
        f" ANALYZE {run.analyze_seconds:.1f} s",
        flush=True,
    )
    return run


async def seed(sites: int, seed_value: int | None = None) -> RunResult:
    """Territories, demo data (and PostgreSQL statistics) into the connected empty database."""
    from hub.demo import seed_demo
    from hub.territories import load_territories

    start = time.perf_counter()
    await load_territories()
    loaded = time.perf_counter()
    if seed_value is None:
        seeded = await seed_demo(sites=sites)
    else:
        seeded = await seed_demo(sites=sites, seed=seed_value)
    done = time.perf_counter()
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        # Autovacuum would analyze the fresh tables within a minute or so, in the middle of
        # the measurements; without statistics the planner guesses 15 open sites out of
        # thousands and picks nested loops (MAP's page took 28 ms instead of 6 at 20,000).
        await connection.execute_script("ANALYZE")
    return RunResult(
        backend=connection.capabilities.dialect,
        sites=sites,
        territories_seconds=loaded - start,
        seed_seconds=done - loaded,
        analyze_seconds=time.perf_counter() - done,
        seeded=dict(seeded),
    )
