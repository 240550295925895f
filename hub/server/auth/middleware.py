"""Authentication at the edge: the caller is built once per request, before GraphQL runs.

Without an ``Authorization`` header the caller is anonymous. A bearer token that fails
validation is answered here with 401 and ``WWW-Authenticate: Bearer error="invalid_token"``
(RFC 6750), a holder the hub does not admit with 403, and an issuer whose keys are
unreachable with 503, each with a GraphQL-shaped body ``{"errors": [{message, extensions:
{code}}]}``. The token itself is never logged nor echoed.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.server.auth.dev_issuer import DevIssuer
from hub.server.auth.errors import AccessDenied, AuthError, BadAuthorization, InsufficientScope
from hub.server.auth.keys import RemoteKeys, StaticKeys
from hub.server.auth.principals import principal_for
from hub.server.auth.tokens import TokenValidator, Trust
from hub.server.auth.uses import Uses
from hub.server.http_errors import error_response
from hub.settings import Settings
from permissions.principal import ANONYMOUS, HUB_SCOPES, Principal

log = logging.getLogger(__name__)

REALM = "hub"
# While an issuer's keys are unreachable, clients are asked to come back after this delay.
RETRY_AFTER_SECONDS = 5


class PrincipalCache:
    """Callers built from tokens, reused for a few seconds: building one costs a signature
    check and three queries, on every request of a busy partner application otherwise.

    Keys are digests of the tokens (the tokens themselves are not kept); an entry never
    outlives its token. Only admitted callers are kept: a refusal is decided afresh.
    """

    def __init__(
        self, seconds: float, size: int = 10_000, clock: Callable[[], float] = time.time
    ) -> None:
        self.seconds = seconds
        self.size = size
        self.clock = clock
        self._entries: OrderedDict[bytes, tuple[float, Principal, float]] = OrderedDict()

    def get(self, token: str) -> tuple[Principal, float] | None:
        """The caller of a token seen lately, and when the token expires."""
        key = hashlib.sha256(token.encode()).digest()
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self.clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry[1], entry[2]

    def put(self, token: str, principal: Principal, token_expires_at: float) -> None:
        if self.seconds <= 0:
            return
        until = min(self.clock() + self.seconds, token_expires_at)
        self._entries[hashlib.sha256(token.encode()).digest()] = (
            until,
            principal,
            token_expires_at,
        )
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)


class Authenticator:
    """Turns a request's headers into its Principal, or refuses it with an AuthError."""

    def __init__(
        self,
        validator: TokenValidator,
        dev_issuer: DevIssuer | None = None,
        cache: PrincipalCache | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.validator = validator
        self.dev_issuer = dev_issuer
        self.cache = cache or PrincipalCache(0)
        # What a first sign-in's writes run with (an account activated then).
        self.settings = settings or Settings()
        # When people used the hub, written by the app's lifespan.
        self.uses = Uses()

    @classmethod
    def from_settings(cls, settings: Settings) -> Authenticator:
        trusted = [Trust(issuer, RemoteKeys(issuer, settings)) for issuer in settings.oidc_issuers]
        dev_issuer = DevIssuer.load(settings) if settings.dev_issuer else None
        if dev_issuer is not None:
            trusted.append(Trust(dev_issuer.trusted, StaticKeys([dev_issuer.public_key])))
        validator = TokenValidator(trusted, settings.token_leeway)
        cache = PrincipalCache(settings.principal_cache_seconds)
        return cls(validator, dev_issuer, cache, settings)

    async def principal(self, headers: Headers) -> Principal:
        values = headers.getlist("authorization")
        if not values:
            return ANONYMOUS
        if len(values) > 1:
            raise BadAuthorization("send one Authorization header, not several")
        principal, _ = await self.admit(values[0])
        return principal

    async def admit(self, authorization: str) -> tuple[Principal, float]:
        """The caller of an ``Authorization`` value (``Bearer <token>``), and when its token
        expires (a Unix time)."""
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise BadAuthorization("the Authorization header must be: Bearer <access token>")
        token = token.strip()
        cached = self.cache.get(token)
        if cached is not None:
            return cached
        access = await self.validator.validate(token)
        principal = await principal_for(access, self.settings, self.uses)
        expires_at = float(access.claims["exp"])
        self.cache.put(token, principal, expires_at)
        return principal, expires_at


class RequireIdentity:
    """ASGI wrapper that puts the caller in ``scope["state"]["principal"]``. With
    ``newcomers``, a person the hub does not know goes on as a newcomer instead of being
    refused: ``app`` must then let them ask for access only (``newcomers.AskOnly``)."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator, newcomers: bool = False) -> None:
        self.app = app
        self.authenticator = authenticator
        self.newcomers = newcomers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            principal = await self.authenticator.principal(Headers(scope=scope))
        except AccessDenied as error:
            if not self.newcomers or error.newcomer is None:
                await _refuse(error, scope, receive, send)
                return
            principal = Principal(role=None, newcomer=error.newcomer)
        except AuthError as error:
            await _refuse(error, scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        if principal.anonymous and principal.newcomer is None:
            await self.app(scope, receive, send)
            return

        async def no_store(message: Message) -> None:
            # What a signed-in caller reads must not stay in shared or browser caches.
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message["headers"] if k != b"cache-control"]
                message = {**message, "headers": [*headers, (b"cache-control", b"no-store")]}
            await send(message)

        await self.app(scope, receive, no_store)


async def _refuse(error: AuthError, scope: Scope, receive: Receive, send: Send) -> None:
    log.info("Refused a request (%s %s): %s", error.status, error.code, error.message)
    await refusal(error)(scope, receive, send)


def principal_of(scope: Scope) -> Principal:
    """The caller RequireIdentity found; anonymous (default deny) on an unwrapped route."""
    principal = scope.get("state", {}).get("principal", ANONYMOUS)
    assert isinstance(principal, Principal)
    return principal


def refusal(error: AuthError) -> JSONResponse:
    headers: dict[str, str] = {}
    if error.challenge is not None:
        challenge = (
            f'Bearer realm="{REALM}", error="{error.challenge}", '
            f'error_description="{_header_text(error.message)}"'
        )
        if isinstance(error, InsufficientScope):
            challenge += f', scope="{" ".join(sorted(HUB_SCOPES))}"'
        headers["WWW-Authenticate"] = challenge
    if error.status == 503:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return error_response(error.status, error.code, error.message, headers)


def _header_text(text: str) -> str:
    # RFC 6750 3: error_description is printable ASCII without '"' and '\'.
    return "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in text)
