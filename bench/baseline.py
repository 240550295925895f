"""``--baseline REV``: that revision's server beside this tree's, over the same database, the
two asked in turn, query by query."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tortoise import connections

from bench.answers import QueryFailed
from bench.canonical import Canonical, canonical_queries
from bench.floor import pick_sheet_site
from bench.measure import first_difference, measure_floor
from bench.report import print_comparison
from bench.results import Compared, RunResult, time_interleaved
from bench.seeding import seed_announced, throwaway_database
from bench.server import (
    ROOT,
    Server,
    caller_headers,
    counted_statements,
    server_client,
    server_process,
)
from bench.sql import Sql
from hub.throwaway import use_database

# Both servers keep the caller for the whole run: every request then runs the same
# statements, and the count of each is stable (with the default of 5 s, a walk of ten pages
# may build the caller again half-way).
PRINCIPAL_CACHE_SECONDS = 3600
# The hub's source packages: the current tree's changes to them are what is compared.
SOURCES = ("hub", "permissions", "resolvers", "schema")


@dataclass(frozen=True)
class Baseline:
    tree: Path
    label: str


def git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


@contextmanager
def baseline_worktree(revision: str) -> Iterator[Baseline]:
    """``revision`` checked out (detached) in a temporary git worktree, removed afterwards."""
    commit = git("rev-parse", "--verify", f"{revision}^{{commit}}")
    folder = Path(tempfile.mkdtemp(prefix="hub_bench_baseline_"))
    tree = folder / "tree"
    try:
        git("worktree", "add", "--detach", str(tree), commit)
        yield Baseline(tree, git("log", "-1", "--format=%h %<(60,trunc)%s", commit))
    finally:
        removed = subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)
        if removed.returncode:
            # Added half-way, or not removable: git forgets worktrees whose folder is gone.
            subprocess.run(["git", "-C", str(ROOT), "worktree", "prune"], capture_output=True)


def current_label() -> str:
    """What "current" is: the working tree, which may hold changes not yet committed."""
    head = git("log", "-1", "--format=%h %<(60,trunc)%s")
    changed = git("status", "--porcelain", "--", *SOURCES)
    return f"the working tree at {head}" + (" (with uncommitted changes)" if changed else "")


@dataclass(frozen=True)
class Side:
    name: str
    http: httpx.AsyncClient
    # The same server, asked to count each request's statements (only these requests pay).
    counting: httpx.AsyncClient


@dataclass(frozen=True)
class Checked:
    body: dict[str, Any]
    statements: int
    size: int


async def checked_answer(query: Canonical, side: Side) -> Checked:
    """The side's answer, checked, with its statements and size (counted on a second call:
    the first one built the caller, which the server then keeps)."""
    try:
        query.body(await query.ask(side.http))
        answers = await query.ask(side.counting)
        size = sum(len(answer.content) for answer in answers)
        return Checked(query.body(answers), counted_statements(answers), size)
    except QueryFailed as error:
        raise QueryFailed(f"{side.name}: {error}") from None


async def compare_query(
    query: Canonical, old: Side, new: Side, repeat: int, budget_seconds: float
) -> Compared:
    before = await checked_answer(query, old)
    after = await checked_answer(query, new)
    old_timing, new_timing = await time_interleaved(
        [lambda: query.ask(old.http), lambda: query.ask(new.http)], repeat, budget_seconds
    )
    floor = await measure_floor(query, repeat, budget_seconds)
    return Compared(
        name=query.name,
        baseline=old_timing,
        current=new_timing,
        floor=floor.timing,
        baseline_statements=before.statements,
        current_statements=after.statements,
        response_bytes=after.size,
        baseline_difference=first_difference(
            after.body, before.body, sides=("current", "baseline")
        ),
        floor_difference=first_difference(after.body, floor.body, sides=("current", "floor")),
        note=query.note,
    )


async def compare_all(
    old: Server, new: Server, headers: dict[str, str], repeat: int, budget_seconds: float
) -> list[Compared]:
    sheet_site = await pick_sheet_site(Sql(connections.get("default")))
    async with (
        server_client(old, headers) as old_http,
        server_client(old, headers, count=True) as old_counting,
        server_client(new, headers) as new_http,
        server_client(new, headers, count=True) as new_counting,
    ):
        baseline = Side("baseline", old_http, old_counting)
        current = Side("current", new_http, new_counting)
        results = []
        for query in canonical_queries(sheet_site):
            # A query one side cannot answer is reported; the others are still compared.
            try:
                results.append(
                    await compare_query(query, baseline, current, repeat, budget_seconds)
                )
            except QueryFailed as error:
                results.append(Compared.failed(query.name, query.note, str(error)))
        return results


async def compare_one(
    backend: str,
    sites: int,
    baseline: Baseline,
    repeat: int,
    budget_seconds: float,
    postgres_url: str,
) -> RunResult:
    """One database × size: seeded by this tree, served by both trees at once."""
    async with throwaway_database(backend, sites, postgres_url) as url:
        await use_database(url)
        try:
            run = await seed_announced(backend, sites)
            run.baseline, run.current = baseline.label, current_label()
            headers = await caller_headers(url)
            async with (
                server_process(url, baseline.tree, PRINCIPAL_CACHE_SECONDS) as old,
                server_process(url, ROOT, PRINCIPAL_CACHE_SECONDS) as new,
            ):
                if old.unknown_settings:
                    print(f"   the baseline has no setting {', '.join(old.unknown_settings)}")
                run.load_before = os.getloadavg()
                run.compared = await compare_all(old, new, headers, repeat, budget_seconds)
                run.load_after = os.getloadavg()
            print_comparison(run)
            return run
        finally:
            await use_database(None)
