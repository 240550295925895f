"""The results of a run: a table on the terminal, or JSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bench.results import RunResult


def _load(run: RunResult) -> str:
    def three(load: tuple[float, float, float]) -> str:
        return " ".join(f"{value:.2f}" for value in load)

    return f"load average {three(run.load_before)} before, {three(run.load_after)} after"


def print_table(run: RunResult) -> None:
    header = (
        f"{'query':<7} {'median ms':>10} {'p95 ms':>9} {'in-proc':>9} {'stmts':>6}"
        f" {'bytes':>9} {'floor ms':>9} {'floor st':>8} {'ratio':>7} {'same':>5} {'n':>3}"
    )
    print(f"\n{run.backend} · {run.sites} sites (seed {run.seed_seconds:.1f} s) · {_load(run)}")
    print(header)
    print("-" * len(header))
    for q in run.queries:
        if q.error:
            print(f"{q.name:<7} {'ERROR':>10}")
            continue
        print(
            f"{q.name:<7} {q.hub.median_ms:>10.1f} {q.hub.p95_ms:>9.1f}"
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


def print_comparison(run: RunResult) -> None:
    header = (
        f"{'query':<7} {'base ms':>9} {'base p95':>9} {'cur ms':>8} {'cur p95':>8}"
        f" {'base st':>7} {'cur st':>6} {'bytes':>9} {'floor ms':>9} {'base/cur':>8}"
        f" {'same':>5} {'n':>3}"
    )
    print(f"\n{run.backend} · {run.sites} sites (seed {run.seed_seconds:.1f} s) · {_load(run)}")
    print(f"  baseline: {run.baseline}\n  current: {run.current}")
    print(header)
    print("-" * len(header))
    for q in run.compared:
        if q.error:
            print(f"{q.name:<7} {'ERROR':>9}")
            continue
        same = q.baseline_difference is None and q.floor_difference is None
        print(
            f"{q.name:<7} {q.baseline.median_ms:>9.1f} {q.baseline.p95_ms:>9.1f}"
            f" {q.current.median_ms:>8.1f} {q.current.p95_ms:>8.1f}"
            f" {q.baseline_statements:>7} {q.current_statements:>6} {q.response_bytes:>9}"
            f" {q.floor.median_ms:>9.2f} {q.ratio:>7.1f}x {'yes' if same else 'NO':>5}"
            f" {q.current.samples:>3}"
        )
    for q in run.compared:
        print(f"  {q.name}: {q.note}")
        if q.error:
            print(f"  ERROR {q.name}: {q.error}")
        if q.baseline_difference:
            print(f"  WARNING {q.name}: the baseline answers otherwise at {q.baseline_difference}")
        if q.floor_difference:
            print(f"  WARNING {q.name}: the floor differs from the current at {q.floor_difference}")
    print(
        "  base/cur: the baseline's and this tree's servers (HTTP, uvicorn subprocesses) asked"
        " in turn over the same database; st: statements per request, counted in each server;"
        " same: the baseline, the current and the floor answer the same;"
        " base/cur ratio = baseline median / current median",
        flush=True,
    )


def to_json(runs: list[RunResult]) -> list[dict[str, Any]]:
    documents = []
    for run in runs:
        document = asdict(run)
        for query, result in zip(document["queries"], run.queries, strict=True):
            query["ratio"] = result.ratio
        for compared, outcome in zip(document["compared"], run.compared, strict=True):
            compared["ratio"] = outcome.ratio
        documents.append(document)
    return documents
