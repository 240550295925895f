"""Rate limits shared by every worker through Redis, with this process's memory as a fallback.

One Lua script per request runs GCRA atomically on the server, with the server's clock (the
workers' clocks may differ); keys carry the prefix and expire when their bucket is full again.
Redis is asked with short timeouts: when it is unreachable or slow, requests are counted in
memory (per process, so a client may get up to one budget per worker meanwhile), a warning is
logged once per ``WARN_SECONDS``, and Redis is tried again, by one request, every
``RETRY_SECONDS``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from hub.server.ratelimit.limiter import Decision, Rate, check_cost, decision
from hub.server.ratelimit.memory import MemoryLimiter

log = logging.getLogger(__name__)

# Seconds a Redis connection or command may take before the request falls back to memory.
TIMEOUT_SECONDS = 0.2
RETRY_SECONDS = 5.0
WARN_SECONDS = 60.0

# KEYS[1]: the key; ARGV: interval and capacity (µs), cost. Returns {allowed, now, tat}.
# Mirrors limiter.gcra; %d keeps the TAT exact (Lua would write 1.7e+15).
GCRA_SCRIPT = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval, capacity, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local stored = redis.call('GET', KEYS[1])
local tat = now
if stored then tat = math.max(tonumber(stored), now) end
local after = tat + interval * cost
if after - capacity > now then
  return {0, now, tat}
end
redis.call('SET', KEYS[1], string.format('%d', after), 'PX', math.ceil((after - now) / 1000))
return {1, now, after}
"""


class RedisLimiter:
    def __init__(
        self,
        url: str,
        prefix: str,
        fallback: MemoryLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.prefix = prefix
        self.fallback = fallback or MemoryLimiter()
        self.clock = clock
        self._redis = Redis.from_url(
            url,
            socket_timeout=TIMEOUT_SECONDS,
            socket_connect_timeout=TIMEOUT_SECONDS,
            # A failure falls back at once; waiting on retries would hold the request.
            retry=Retry(NoBackoff(), 0),
        )
        self._script = self._redis.register_script(GCRA_SCRIPT)
        self._down = False
        self._retry_at = 0.0
        self._warned_at: float | None = None

    async def hit(self, key: str, rate: Rate, cost: int = 1) -> Decision:
        check_cost(rate, cost)
        if self._down:
            if self.clock() < self._retry_at:
                return await self.fallback.hit(key, rate, cost)
            # This request tries Redis; the others keep to memory until it has answered.
            self._retry_at = self.clock() + RETRY_SECONDS
        try:
            # Bounds the connection and the command together, whatever the socket does.
            async with asyncio.timeout(2 * TIMEOUT_SECONDS):
                allowed, now, tat = await self._script(
                    keys=[self.prefix + key], args=[rate.interval, rate.capacity, cost]
                )
        except (RedisError, OSError, TimeoutError) as error:
            self._failed(error)
            return await self.fallback.hit(key, rate, cost)
        if self._down:
            self._down = False
            self._warned_at = None
            log.warning("Redis answers again: rate limits are shared by the workers again.")
        return decision(bool(allowed), int(now), int(tat), rate, cost)

    def _failed(self, error: Exception) -> None:
        now = self.clock()
        self._down = True
        self._retry_at = now + RETRY_SECONDS
        if self._warned_at is None or now - self._warned_at >= WARN_SECONDS:
            self._warned_at = now
            log.warning(
                "Redis unreachable for rate limits (%s: %s): counting in this process only, "
                "retrying every %g s.",
                type(error).__name__,
                error,
                RETRY_SECONDS,
            )

    async def close(self) -> None:
        await self._redis.aclose()
        await self.fallback.close()
