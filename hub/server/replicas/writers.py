"""Who wrote in the last seconds, so that their reads go to the primary (read your writes).

In memory, each process knows the writes made through it. With ``HUB_REDIS_URL`` the
processes (every worker of every node with the replica configured) share them: a write sets
a key that expires after the window, a read asks whether its caller's key exists. Redis is
asked with short timeouts: while it does not answer, each process knows its own writes only,
a warning is logged once, and Redis is tried again, by one request, every ``RETRY_SECONDS``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from hub.settings import Settings

log = logging.getLogger(__name__)

# Seconds a Redis connection or command may take before the process's memory answers.
TIMEOUT_SECONDS = 0.2
RETRY_SECONDS = 5.0
# Writers remembered at most by one process; the expired ones are forgotten first.
MAX_REMEMBERED = 100_000


class RecentWriters:
    """The callers (``caller_key``) who wrote through this process in the last ``seconds``."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._until: dict[str, float] = {}

    async def wrote(self, caller: str) -> None:
        now = self.clock()
        if self.seconds <= 0:  # read-your-writes is off
            return
        if len(self._until) >= MAX_REMEMBERED:
            self._until = {key: until for key, until in self._until.items() if until > now}
            if len(self._until) >= MAX_REMEMBERED:
                self._until.clear()
        self._until[caller] = now + self.seconds

    async def wrote_recently(self, caller: str) -> bool:
        until = self._until.get(caller)
        if until is None:
            return False
        if until <= self.clock():
            del self._until[caller]
            return False
        return True

    async def close(self) -> None:
        pass


class SharedRecentWriters(RecentWriters):
    """The same, shared through Redis, with this process's memory answering while Redis does
    not (and for the writes made through it, at once)."""

    def __init__(self, seconds: float, url: str, prefix: str) -> None:
        super().__init__(seconds)
        self.prefix = prefix
        self._redis = Redis.from_url(
            url,
            socket_timeout=TIMEOUT_SECONDS,
            socket_connect_timeout=TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),
        )
        self._retry_at: float | None = None

    async def wrote(self, caller: str) -> None:
        await super().wrote(caller)
        if self.seconds <= 0 or self._skipping():
            return
        milliseconds = max(1, math.ceil(self.seconds * 1000))
        try:
            async with asyncio.timeout(2 * TIMEOUT_SECONDS):
                await self._redis.set(self.prefix + caller, b"1", px=milliseconds)
        except (RedisError, OSError, TimeoutError) as error:
            self._failed(error)
        else:
            self._answered()

    async def wrote_recently(self, caller: str) -> bool:
        if await super().wrote_recently(caller):
            return True
        if self._skipping():
            return False
        try:
            async with asyncio.timeout(2 * TIMEOUT_SECONDS):
                found = await self._redis.exists(self.prefix + caller)
        except (RedisError, OSError, TimeoutError) as error:
            self._failed(error)
            return False
        self._answered()
        return bool(found)

    def _skipping(self) -> bool:
        """Redis failed less than RETRY_SECONDS ago; once that is over, one request tries."""
        if self._retry_at is None:
            return False
        if self.clock() < self._retry_at:
            return True
        self._retry_at = self.clock() + RETRY_SECONDS
        return False

    def _failed(self, error: Exception) -> None:
        if self._retry_at is None:
            log.warning(
                "Redis unreachable for read-your-writes (%s: %s): each process knows its own "
                "writers only, retrying every %g s.",
                type(error).__name__,
                error,
                RETRY_SECONDS,
            )
        self._retry_at = self.clock() + RETRY_SECONDS

    def _answered(self) -> None:
        if self._retry_at is not None:
            self._retry_at = None
            log.warning("Redis answers again: read-your-writes is shared by the workers again.")

    async def close(self) -> None:
        await self._redis.aclose()


def recent_writers(settings: Settings) -> RecentWriters:
    seconds = settings.replica_read_your_writes_seconds
    if settings.redis_url is None:
        return RecentWriters(seconds)
    return SharedRecentWriters(seconds, settings.redis_url, settings.redis_prefix + "wrote:")
