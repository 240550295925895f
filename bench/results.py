"""What a run measured: timings, per query and per database × size."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

WARMUP = 3  # untimed calls before the timed ones (connections, caches)
BLOCK = 5  # timed calls of one side in a row, when two are compared (time_interleaved)


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
class Compared:
    """One canonical query on a baseline revision's server and on this tree's, interleaved."""

    name: str
    baseline: Timing
    current: Timing
    floor: Timing
    baseline_statements: int
    current_statements: int
    response_bytes: int
    # Where the baseline's answer differs from this tree's, and the floor's from this tree's;
    # None when they are equal.
    baseline_difference: str | None
    floor_difference: str | None
    note: str
    # Set when either server answered errors: the query is then reported, not timed.
    error: str | None = None

    @classmethod
    def failed(cls, name: str, note: str, error: str) -> Compared:
        none = Timing(0.0, 0.0, 0)
        return cls(name, none, none, none, 0, 0, 0, None, None, note, error)

    @property
    def ratio(self) -> float:
        """How many times faster this tree answers than the baseline (median over median)."""
        if not self.current.median_ms:
            return math.inf
        return self.baseline.median_ms / self.current.median_ms


@dataclass
class RunResult:
    backend: str
    sites: int
    territories_seconds: float
    seed_seconds: float
    analyze_seconds: float
    seeded: dict[str, int]
    queries: list[QueryResult] = field(default_factory=list)
    # With --baseline: the revision compared with, what it is compared with (this tree), and
    # the comparisons, instead of ``queries``.
    baseline: str | None = None
    current: str | None = None
    compared: list[Compared] = field(default_factory=list)
    # The machine's load average (1, 5 and 15 minutes) before and after measuring: other
    # work on the cores moves every figure.
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)


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


async def time_interleaved(
    calls: Sequence[Callable[[], Awaitable[object]]], repeat: int, budget_seconds: float
) -> list[Timing]:
    """Times the calls in rounds, so that the machine's ups and downs hit them alike: in each
    round, each call once untimed then ``BLOCK`` times in a row, timed; which goes first
    alternates from round to round. Stops early once the calls together are past the budget.

    Why not one call each, in turn: each server would then always answer after sitting idle
    through the other's answer, and on the virtual machines this runs on, a process woken
    after some idle time runs slowly for its first ~10 ms (the core's caches and clock): on
    the development machine, +5.8 ms on a request of 9 ms and on one of 51 ms alike, +1.3 ms
    on ``/health``. Added to both sides, that constant hides how much work each does. The
    untimed call takes it; the timed ones measure each server as it runs when it is busy."""
    for _ in range(WARMUP):
        for call in calls:
            await call()
    samples: list[list[float]] = [[] for _ in calls]
    deadline = time.perf_counter() + budget_seconds
    for turn in range(math.ceil(repeat / BLOCK)):
        order = range(len(calls)) if turn % 2 == 0 else reversed(range(len(calls)))
        for index in order:
            await calls[index]()
            for _ in range(min(BLOCK, repeat - turn * BLOCK)):
                start = time.perf_counter()
                await calls[index]()
                samples[index].append(time.perf_counter() - start)
        if time.perf_counter() > deadline:
            break
    return [timing_of(side) for side in samples]
