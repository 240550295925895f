"""The limiter's contract and its algorithm, GCRA, shared by the memory and Redis backends.

GCRA (the generic cell rate algorithm) is a token bucket kept as one number per key: the
*theoretical arrival time* (TAT), the moment the key's bucket is full again. A budget of
``limit`` requests per ``period`` lets ``limit`` requests through at once, then one every
``period / limit`` seconds: unlike a fixed window there is no reset instant at which every
client comes back at once, nor twice the budget across a window's edge. A key whose TAT has
passed holds a full bucket, exactly like a key never seen: idle keys can be dropped freely.

Times are whole microseconds so that the Lua copy (``redis.GCRA_SCRIPT``) computes exactly
the same decisions with Lua's doubles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

MICROSECONDS = 1_000_000


@dataclass(frozen=True)
class Rate:
    """``limit`` requests per ``period`` seconds, all of which may come at once."""

    limit: int
    period: int = 60

    def __post_init__(self) -> None:
        if self.limit < 1 or self.period < 1:
            raise ValueError(f"a rate needs a positive limit and period, got {self}")

    @property
    def interval(self) -> int:
        """Microseconds one request costs at the sustained rate."""
        return max(1, self.period * MICROSECONDS // self.limit)

    @property
    def capacity(self) -> int:
        """Microseconds of credit a full bucket holds: the whole budget (never above the period)."""
        return self.interval * self.limit


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    # Requests of cost 1 that would still be allowed right now.
    remaining: int
    # Seconds to wait before this request would be allowed (0 when allowed).
    retry_after_seconds: float
    # Seconds until the whole budget is available again.
    reset_seconds: float

    @property
    def retry_after(self) -> int:
        """Retry-After as HTTP wants it: whole seconds, at least 1."""
        return max(1, math.ceil(self.retry_after_seconds))

    @property
    def reset(self) -> int:
        return math.ceil(self.reset_seconds)


class Limiter(Protocol):
    async def hit(self, key: str, rate: Rate, cost: int = 1) -> Decision:
        """Counts a request of ``cost`` against ``key``'s budget, if it fits."""
        ...

    async def close(self) -> None: ...


def check_cost(rate: Rate, cost: int) -> None:
    # A cost above the budget could never pass: that is a programming error, not a refusal.
    if not 1 <= cost <= rate.limit:
        raise ValueError(f"cost must be between 1 and the limit ({rate.limit}), got {cost}")


def gcra(now: int, tat: int | None, rate: Rate, cost: int) -> tuple[bool, int]:
    """Whether a request arriving at ``now`` is allowed, and the key's TAT after it."""
    tat = now if tat is None else max(tat, now)
    after = tat + rate.interval * cost
    if after - rate.capacity > now:
        return False, tat
    return True, after


def decision(allowed: bool, now: int, tat: int, rate: Rate, cost: int) -> Decision:
    """The Decision for a request at ``now`` that left the key at ``tat``."""
    wait = 0 if allowed else tat + rate.interval * cost - rate.capacity - now
    return Decision(
        allowed=allowed,
        limit=rate.limit,
        remaining=max(0, (rate.capacity - (tat - now)) // rate.interval),
        retry_after_seconds=wait / MICROSECONDS,
        reset_seconds=max(0, tat - now) / MICROSECONDS,
    )
