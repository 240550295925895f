"""The results of a run: a table on the terminal, or JSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bench.results import RunResult


def print_table(run: RunResult) -> None:
    header = (
        f"{'query':<6} {'median ms':>10} {'p95 ms':>9} {'in-proc':>9} {'stmts':>6}"
        f" {'bytes':>9} {'floor ms':>9} {'floor st':>8} {'ratio':>7} {'same':>5} {'n':>3}"
    )
    print(f"\n{run.backend} · {run.sites} sites (seed {run.seed_seconds:.1f} s)")
    print(header)
    print("-" * len(header))
    for q in run.queries:
        if q.error:
            print(f"{q.name:<6} {'ERROR':>10}")
            continue
        print(
            f"{q.name:<6} {q.hub.median_ms:>10.1f} {q.hub.p95_ms:>9.1f}"
            f" {q.in_process.median_ms:>9.1f} {q.statements:>6} {q.response_bytes:>9}"
            f" {q.floor.median_ms:>9.2f} {q.floor_statements:>8} {q.ratio:>7.1f}"
            f" {'yes' if q.floor_matches else 'NO':>5} {q.hub.samples:>3}"
        )
    for q in run.queries:
        print(f"  {q.name}: {q.note}")
        if q.error:
            print(f"  ERROR {q.name}: {q.error}")
        if q.floor_difference:
            print(f"  WARNING {q.name}: the floor differs from the hub at {q.floor_difference}")
    print(
        "  median/p95: HTTP to the uvicorn subprocess; in-proc: ASGI in this process;"
        " floor: plain SQL + json.dumps in-process; ratio = median / floor median",
        flush=True,
    )


def to_json(runs: list[RunResult]) -> list[dict[str, Any]]:
    documents = []
    for run in runs:
        document = asdict(run)
        for query, result in zip(document["queries"], run.queries, strict=True):
            query["ratio"] = result.ratio
        documents.append(document)
    return documents
