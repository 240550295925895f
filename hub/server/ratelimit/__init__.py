"""Rate limits per address and per caller: GCRA budgets counted in memory, or in Redis when
HUB_REDIS_URL is set so that every worker shares them; spent budgets are answered with 429
and Retry-After."""

from hub.server.ratelimit.middleware import (
    AddressLimited,
    RateLimited,
    RateLimits,
    client_address,
    guarded,
)

__all__ = ["AddressLimited", "RateLimited", "RateLimits", "client_address", "guarded"]
