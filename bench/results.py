"""What a run measured: timings, per query and per database × size."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

WARMUP = 3  # untimed calls before the timed ones (connections, caches)


@dataclass
class Timing:
    median_ms: float
    p95_ms: float
    samples: int


@dataclass
class QueryResult:
    name: str
    hub: Timing
    in_process: Timing
    floor: Timing
    statements: int
    floor_statements: int
    response_bytes: int
    # Where the floor's JSON differs from the hub's; None when the two are equal.
    floor_difference: str | None
    note: str
    # Set when the hub answered errors: the query is then reported, not timed.
    error: str | None = None

    @property
    def floor_matches(self) -> bool:
        return self.floor_difference is None

    @classmethod
    def failed(cls, name: str, note: str, error: str) -> QueryResult:
        none = Timing(0.0, 0.0, 0)
        return cls(name, none, none, none, 0, 0, 0, None, note, error)

    @property
    def ratio(self) -> float:
        return self.hub.median_ms / self.floor.median_ms if self.floor.median_ms else math.inf


@dataclass
class RunResult:
    backend: str
    sites: int
    territories_seconds: float
    seed_seconds: float
    analyze_seconds: float
    seeded: dict[str, int]
    queries: list[QueryResult] = field(default_factory=list)


def timing_of(samples: Sequence[float]) -> Timing:
    """Median and nearest-rank 95th percentile, in milliseconds."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(0.95 * len(ordered)))
    return Timing(
        median_ms=statistics.median(ordered) * 1000,
        p95_ms=ordered[rank - 1] * 1000,
        samples=len(ordered),
    )


async def time_calls(
    call: Callable[[], Awaitable[object]], repeat: int, budget_seconds: float
) -> Timing:
    """Times ``repeat`` sequential calls after a warm-up; stops early past the budget."""
    for _ in range(WARMUP):
        await call()
    samples: list[float] = []
    deadline = time.perf_counter() + budget_seconds
    for _ in range(repeat):
        start = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - start)
        if time.perf_counter() > deadline:
            break
    return timing_of(samples)
