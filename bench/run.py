"""The runner: every database × size, one after the other, and the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bench
from bench.baseline import baseline_worktree, compare_one
from bench.measure import measure_all
from bench.report import print_table, to_json
from bench.results import RunResult
from bench.seeding import seed_announced, throwaway_database
from bench.server import caller_headers, in_process_client, server_client, server_process
from hub.throwaway import use_database

DEFAULT_SIZES = (500, 5000, 20000)
DEFAULT_DATABASES = ("sqlite", "postgres")
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REPEAT = 30
# Per query and per side (hub or floor): a run stops repeating once this much time is spent.
DEFAULT_BUDGET_SECONDS = 60.0


async def run_one(
    backend: str, sites: int, repeat: int, budget_seconds: float, postgres_url: str
) -> RunResult:
    async with throwaway_database(backend, sites, postgres_url) as url:
        await use_database(url)
        try:
            run = await seed_announced(backend, sites)
            headers = await caller_headers(url)
            async with (
                server_process(url) as server,
                server_client(server, headers) as http,
                in_process_client(url, headers) as local,
            ):
                run.load_before = os.getloadavg()
                run.queries = await measure_all(http, local, repeat, budget_seconds)
                run.load_after = os.getloadavg()
            print_table(run)
            return run
        finally:
            await use_database(None)


def _csv(kind: Callable[[str], Any]) -> Callable[[str], list[Any]]:
    def parse(raw: str) -> list[Any]:
        return [kind(item.strip()) for item in raw.split(",") if item.strip()]

    return parse


def _backend(raw: str) -> str:
    if raw not in DEFAULT_DATABASES:
        raise argparse.ArgumentTypeError(f"unknown database {raw!r} (sqlite or postgres)")
    return raw


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=bench.__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--sizes",
        type=_csv(int),
        default=list(DEFAULT_SIZES),
        help="sites per run (500,5000,20000)",
    )
    parser.add_argument(
        "--databases",
        type=_csv(_backend),
        default=list(DEFAULT_DATABASES),
        help="sqlite,postgres (both)",
    )
    parser.add_argument(
        "--repeat", type=int, default=DEFAULT_REPEAT, help="timed requests per query (30)"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=DEFAULT_BUDGET_SECONDS,
        help="seconds at most per query and side (with --baseline: per query, the two servers"
        " together) before repeating stops (60)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("HUB_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="admin URL; a throwaway database is created and dropped beside it",
    )
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also serve git revision REV (from a temporary worktree) over the same database,"
        " asked in turn with this tree, and print both and their ratio",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    return parser


async def run_all(args: argparse.Namespace) -> list[RunResult]:
    runs: list[RunResult] = []
    if args.baseline is None:
        for backend in args.databases:
            for sites in args.sizes:
                runs.append(
                    await run_one(backend, sites, args.repeat, args.budget, args.postgres_url)
                )
        return runs
    with baseline_worktree(args.baseline) as baseline:
        print(f"Baseline: {baseline.label} (worktree {baseline.tree})", flush=True)
        for backend in args.databases:
            for sites in args.sizes:
                runs.append(
                    await compare_one(
                        backend, sites, baseline, args.repeat, args.budget, args.postgres_url
                    )
                )
    return runs


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.repeat < 1:
        print("--repeat must be at least 1", file=sys.stderr)
        return 2
    started = time.perf_counter()
    runs = asyncio.run(run_all(args))
    print(f"\nTotal {time.perf_counter() - started:.0f} s.")
    if args.json:
        args.json.write_text(json.dumps(to_json(runs), indent=2), encoding="utf-8")
        print(f"Wrote {args.json}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
