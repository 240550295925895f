"""Rate limits counted in this process only: one TAT per key, in memory.

Memory stays bounded: keys are kept in least-recently-used order, and since a key's TAT is
never more than one period after its last request, every key idle for a period is at the
front and is dropped on the next hit (amortized O(1)). Past ``max_keys`` (a flood of
distinct addresses), the least recently used key is dropped even if not yet idle, which
only hands that key a fresh budget.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from hub.server.ratelimit.limiter import MICROSECONDS, Decision, Rate, check_cost, decision, gcra


class MemoryLimiter:
    def __init__(
        self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_keys = max_keys
        # Seconds, monotonic; tests replace it to make time pass without sleeping.
        self.clock = clock
        self._tats: OrderedDict[str, int] = OrderedDict()

    async def hit(self, key: str, rate: Rate, cost: int = 1) -> Decision:
        # Nothing here awaits: each hit is atomic with respect to the other tasks.
        check_cost(rate, cost)
        now = round(self.clock() * MICROSECONDS)
        self._forget_idle(now)
        allowed, tat = gcra(now, self._tats.get(key), rate, cost)
        self._tats[key] = tat
        self._tats.move_to_end(key)
        while len(self._tats) > self.max_keys:
            self._tats.popitem(last=False)
        return decision(allowed, now, tat, rate, cost)

    def __len__(self) -> int:
        return len(self._tats)

    def _forget_idle(self, now: int) -> None:
        while self._tats:
            key, tat = next(iter(self._tats.items()))
            if tat > now:
                return
            del self._tats[key]

    async def close(self) -> None:
        self._tats.clear()
