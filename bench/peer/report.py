"""The table: one row per server, caller and connections, over all rounds; then the ratios and
the latency of /health under load."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from bench.peer.passes import HealthLatency, Pass


@dataclass(frozen=True)
class Row:
    label: str
    connections: int
    rps: float
    # Half the range of the rounds' req/s, in % of their mean: how much the rounds agree.
    spread: float
    p50_ms: float
    p99_ms: float
    server_cpu_ms: float
    database_cpu_ms: float
    statements: float
    pool_releases: float
    errors: int


def summarize(passes: Sequence[Pass]) -> list[Row]:
    """Rounds of the same label and connections together: mean req/s, median latencies, CPU
    and statements per request served."""
    groups: dict[tuple[str, int], list[Pass]] = {}
    for one in passes:
        groups.setdefault((one.target.label, one.connections), []).append(one)
    rows = []
    for (label, connections), group in groups.items():
        rates = [p.result.rps for p in group]
        served = sum(p.served for p in group)
        mean = statistics.fmean(rates)
        # A pass too short for the slowest server may complete nothing: no latency then.
        timed = [p.result for p in group if p.result.requests]
        rows.append(
            Row(
                label=label,
                connections=connections,
                rps=mean,
                spread=(max(rates) - min(rates)) / 2 / mean * 100 if mean else 0.0,
                p50_ms=statistics.median(r.p50_ms for r in timed) if timed else math.nan,
                p99_ms=statistics.median(r.p99_ms for r in timed) if timed else math.nan,
                server_cpu_ms=sum(p.server_cpu for p in group) / served * 1000,
                database_cpu_ms=sum(p.database_cpu for p in group) / served * 1000,
                statements=sum(p.statements for p in group) / served,
                pool_releases=sum(p.pool_releases for p in group) / served,
                errors=sum(p.result.errors + p.result.non_2xx for p in group),
            )
        )
    return sorted(rows, key=lambda row: row.connections)


def _number(value: float, width: int) -> str:
    return f"{'—':>{width}}" if math.isnan(value) else f"{value:>{width}.1f}"


def print_table(rows: Sequence[Row], body_bytes: dict[str, int], rounds: int) -> None:
    header = (
        f"{'server (caller)':<18} {'conns':>5} {'req/s':>7} {'±':>4} {'p50 ms':>7}"
        f" {'p99 ms':>7} {'CPU ms/req':>10} {'PG ms/req':>9} {'stmts/req':>9}"
        f" {'pool/req':>8} {'bytes':>7} {'errors':>6}"
    )
    print(f"\n{header}\n{'-' * len(header)}")
    for row in rows:
        print(
            f"{row.label:<18} {row.connections:>5} {row.rps:>7.1f} {row.spread:>3.0f}%"
            f" {_number(row.p50_ms, 7)} {_number(row.p99_ms, 7)} {row.server_cpu_ms:>10.1f}"
            f" {row.database_cpu_ms:>9.1f} {row.statements:>9.1f} {row.pool_releases:>8.1f}"
            f" {body_bytes.get(row.label, 0):>7} {row.errors:>6}"
        )
    print(
        f"  req/s: mean of {rounds} round(s), ± half their range; p50, p99: wrk's, median of"
        " the rounds.\n"
        "  Per request served: CPU ms of the server's processes (every hub worker), of"
        " PostgreSQL's (PG);\n"
        "  stmts: top-level statements of the server's database role (pg_stat_statements),"
        " asyncpg's\n"
        "  reset of a released connection apart: pool = releases (one round trip each)."
        " bytes: the answer's body."
    )


def print_ratios(rows: Sequence[Row], pairs: Sequence[tuple[str, str, str]]) -> None:
    """``pairs``: (numerator label, denominator label, "rps" or "p50")."""
    by_key = {(row.label, row.connections): row for row in rows}
    connections = sorted({row.connections for row in rows})
    print()
    for numerator, denominator, metric in pairs:
        parts = []
        for count in connections:
            a, b = by_key.get((numerator, count)), by_key.get((denominator, count))
            if a is None or b is None:
                continue
            top, bottom = (a.rps, b.rps) if metric == "rps" else (a.p50_ms, b.p50_ms)
            if bottom and not math.isnan(top / bottom):
                parts.append(f"{top / bottom:.2f} at {count} conn.")
        if parts:
            what = "req/s" if metric == "rps" else "p50"
            print(f"{numerator} / {denominator} ({what}): {', '.join(parts)}")


def print_health(results: Sequence[HealthLatency]) -> None:
    for h in results:
        print(
            f"GET /health while {h.label} serves the query on {h.connections} connections"
            f" ({h.rps:.1f} req/s): {h.samples} samples, p50 {h.p50_ms:.1f} ms,"
            f" p99 {h.p99_ms:.1f} ms, max {h.max_ms:.1f} ms"
        )
