"""Budgets per address and per caller, and the ASGI wrappers that enforce them.

Every request first counts against its address's budget (``addr:<address>``), before its
token is even read: requests bearing tokens, forged or not, cannot escape a limit. Once the
caller is known, a partner application's tokens share the application's budget
(``app:<id>``), a signed-in person has one (``user:<id>``), an anonymous caller one per
address (``ip:<address>``). An IPv6 address is counted by its /64, which one host commonly
holds whole. The address is the ASGI ``client``: behind a reverse proxy, the server
(uvicorn's ``--forwarded-allow-ips``) decides whether to take it from ``X-Forwarded-For``.
"""

from __future__ import annotations

import ipaddress

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.server.auth.middleware import Authenticator, RequireIdentity, principal_of
from hub.server.auth.newcomers import AskOnly
from hub.server.http_errors import error_response
from hub.server.ratelimit.limiter import Decision, Limiter, Rate
from hub.server.ratelimit.memory import MemoryLimiter
from hub.server.ratelimit.redis import RedisLimiter
from hub.settings import Settings
from permissions.principal import Principal

CODE = "RATE_LIMITED"


def _rate(per_minute: int) -> Rate | None:
    return Rate(per_minute, 60) if per_minute else None


class RateLimits:
    """The budget of each kind of caller (None: unlimited) and the limiter counting them."""

    def __init__(
        self,
        limiter: Limiter,
        users: Rate | None,
        applications: Rate | None,
        anonymous: Rate | None,
        addresses: Rate | None = None,
    ) -> None:
        self.limiter = limiter
        self.users = users
        self.applications = applications
        self.anonymous = anonymous
        self.addresses = addresses

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        limiter: Limiter = (
            RedisLimiter(settings.redis_url, settings.redis_prefix)
            if settings.redis_url
            else MemoryLimiter()
        )
        return cls(
            limiter,
            users=_rate(settings.rate_limit),
            applications=_rate(settings.rate_limit_apps),
            anonymous=_rate(settings.rate_limit_anonymous),
            addresses=_rate(settings.rate_limit_address),
        )

    def budget(self, principal: Principal, scope: Scope) -> tuple[str, Rate | None]:
        """The key a request is counted under, and its rate."""
        if principal.application_id is not None:
            return f"app:{principal.application_id}", self.applications
        if principal.user_id is not None:
            return f"user:{principal.user_id}", self.users
        return f"ip:{client_address(scope)}", self.anonymous

    async def hit(self, principal: Principal, scope: Scope) -> Decision | None:
        """Counts the request; None when its caller is not limited."""
        key, rate = self.budget(principal, scope)
        return None if rate is None else await self.limiter.hit(key, rate)

    async def hit_address(self, scope: Scope) -> Decision | None:
        """Counts the request against its address, whoever it claims to come from; None when
        addresses are not limited."""
        if self.addresses is None:
            return None
        return await self.limiter.hit(f"addr:{client_address(scope)}", self.addresses)

    async def attempt(self, key: str, count: int, seconds: int) -> bool:
        """Counts one attempt under ``key``; False once ``count`` were made in ``seconds``
        (a budget of its own, beside the callers', such as requests for access)."""
        return (await self.limiter.hit(key, Rate(count, seconds))).allowed

    async def close(self) -> None:
        await self.limiter.close()


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    if not client:
        return "unknown"
    try:
        address = ipaddress.ip_address(client[0])
    except ValueError:
        return str(client[0])
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class RateLimited:
    """ASGI wrapper, inside RequireIdentity: counts each HTTP request against its caller's
    budget, refuses it with 429 when spent, and adds the RateLimit-* headers to answers."""

    def __init__(self, app: ASGIApp, limits: RateLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        decision = await self.limits.hit(principal_of(scope), scope)
        if decision is None:
            await self.app(scope, receive, send)
            return
        if not decision.allowed:
            await too_many_requests(decision)(scope, receive, send)
            return
        headers = [
            (name.lower().encode(), value.encode()) for name, value in _headers(decision).items()
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AddressLimited:
    """ASGI wrapper, outside RequireIdentity: refuses with 429 a request whose address has
    spent its budget, before the token it bears costs a signature check or a query."""

    def __init__(self, app: ASGIApp, limits: RateLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            decision = await self.limits.hit_address(scope)
            if decision is not None and not decision.allowed:
                await too_many_requests(decision)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def guarded(
    app: ASGIApp, authenticator: Authenticator, limits: RateLimits, newcomers: bool = False
) -> ASGIApp:
    """``app`` behind the address's budget, then the caller's identity, then the caller's
    budget: each refusal is made before the next step's cost (and before any body is read).
    With ``newcomers`` (``/graphql``), a person the hub does not know may still ask for an
    account, and nothing else (``hub.server.auth.newcomers``), counted as anonymous."""
    if newcomers:
        app = AskOnly(app, authenticator.settings)
    identity = RequireIdentity(RateLimited(app, limits), authenticator, newcomers=newcomers)
    return AddressLimited(identity, limits)


def _headers(decision: Decision) -> dict[str, str]:
    # draft-ietf-httpapi-ratelimit-headers (its three-field form).
    return {
        "RateLimit-Limit": str(decision.limit),
        "RateLimit-Remaining": str(decision.remaining),
        "RateLimit-Reset": str(decision.reset),
    }


def too_many_requests(decision: Decision) -> JSONResponse:
    seconds = decision.retry_after
    return error_response(
        429,
        CODE,
        f"Too many requests; retry in {seconds} s.",
        headers={**_headers(decision), "Retry-After": str(seconds)},
        retryAfter=seconds,
    )
