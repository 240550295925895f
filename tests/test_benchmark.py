"""Smoke test of the benchmark machinery (``python -m bench``, ``make bench``), at a tiny size.

No timing is asserted: only that the canonical queries answer data, that their statement
counts are stable, that the hand-written SQL floor returns the same JSON as the hub
(otherwise the benchmark's ratio would compare different work), and that ``--baseline``
serves a revision from a worktree of its own beside this tree and removes it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from tortoise import connections

from bench.answers import joined_sites, walk_pages
from bench.canonical import document
from bench.floor import floor_map_pages
from bench.measure import first_difference, measure_all
from bench.results import BLOCK, WARMUP, QueryResult, time_interleaved
from bench.seeding import seed
from bench.server import ROOT, caller_headers, in_process_client
from bench.sql import Sql

SITES = 30
NAMES = ["MAP", "LIST", "SHEET", "MAP all"]


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

    assert [r.name for r in first] == NAMES
    # Errors first: a failed request leaves loader statements that land in later counts.
    assert [r.error for r in first + second if r.error] == []
    for a, b in zip(first, second, strict=True):
        assert a.statements > 0, a.name
        assert a.statements == b.statements, (a.name, a.statements, b.statements)
        assert a.response_bytes > 0, a.name
        assert a.floor_difference is None, (a.name, a.floor_difference)
        assert a.hub.samples == a.floor.samples == 2, a.name


@pytest.mark.parametrize("first", [3, 4])
async def test_every_page_is_walked_as_the_floor_walks_them(fresh_db: str, first: int) -> None:
    # Small pages, so that the walk takes several (the benchmark's are of 500); the seed's
    # 8 open sites make a last page part full, then one exactly full.
    await seed(SITES)
    async with in_process_client(fresh_db, await caller_headers(fresh_db)) as local:
        pages = await walk_pages(local, document("map_all"), {"first": first})
    hub = joined_sites([json.loads(page.content) for page in pages])
    floor = await floor_map_pages(Sql(connections.get("default")), first)

    open_sites = hub["data"]["sites"]["totalCount"]
    assert len(pages) == -(-open_sites // first) >= 2
    assert len({node["id"] for node in hub["data"]["sites"]["nodes"]}) == open_sites
    assert first_difference(hub, floor) is None


def test_baseline_revision_is_served_beside_this_tree(backend: str, tmp_path: Path) -> None:
    """``--baseline HEAD`` end to end, in a process of its own as ``make bench`` runs it: its
    server must import HEAD's worktree (the runner checks where each package came from), both
    answer the same, and the worktree is gone afterwards."""
    results = tmp_path / "runs.json"
    command = [sys.executable, "-m", "bench", "--baseline", "HEAD", "--sizes", "50"]
    options = ["--databases", backend, "--repeat", "2", "--budget", "5", "--json", str(results)]
    done = subprocess.run(
        [*command, *options], cwd=ROOT, capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    [run] = json.loads(results.read_text())
    head = subprocess.run(
        ["git", "log", "-1", "--format=%h"], cwd=ROOT, capture_output=True, text=True
    )
    assert run["baseline"].startswith(head.stdout.strip())
    assert [q["name"] for q in run["compared"]] == NAMES
    for q in run["compared"]:
        assert q["error"] is None, q
        assert q["baseline_difference"] is None and q["floor_difference"] is None, q
        assert q["baseline_statements"] > 0 and q["current_statements"] > 0, q
        assert q["baseline"]["samples"] == q["current"]["samples"] == 2, q
    tree = re.search(r"\(worktree (\S+)\)", done.stdout)
    assert tree, done.stdout[:2000]
    worktrees = subprocess.run(
        ["git", "worktree", "list"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    assert tree[1] not in worktrees
    assert not Path(tree[1]).exists()


async def test_compared_servers_are_timed_in_blocks_each_after_an_untimed_call() -> None:
    """Each side answers ``BLOCK`` timed calls in a row after an untimed one (the one that
    pays for waking after the other side's turn), and which side goes first alternates."""
    ran: list[str] = []

    def call(side: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            ran.append(side)

        return run

    timings = await time_interleaved([call("old"), call("new")], repeat=7, budget_seconds=60)
    assert [timing.samples for timing in timings] == [7, 7]
    after_warmup = ran[2 * WARMUP :]
    first_round = ["old"] * (1 + BLOCK) + ["new"] * (1 + BLOCK)
    second_round = ["new"] * (1 + 7 - BLOCK) + ["old"] * (1 + 7 - BLOCK)
    assert after_warmup == first_round + second_round
