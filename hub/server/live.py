"""Subscriptions over WebSocket (``graphql-transport-ws`` at ``/graphql``): who the caller
is, how long it may stay, and how much it may ask.

``connection_init`` carries the bearer token as ``{"Authorization": "Bearer <token>"}`` (the
key in any case); without one the caller is anonymous. The connection is then closed, with
a code saying why (``Close``), when the token expires, when the account is deactivated or
its rights change (from the event stream, so on every node), when no operation has run for
``HUB_WS_IDLE_SECONDS``, when a subscription falls ``HUB_LIVE_QUEUE_SIZE`` events behind, or
when the database does not answer while an event is read.
Operations count against the caller's rate limit as HTTP requests do, and against the
subscriptions a connection and a caller (in this process) may hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    SubscribeMessage,
)

from hub.live.announcements import Announcement
from hub.live.bus import BUS, Bus
from hub.live.postgres import Listener
from hub.models.enums import EventKind
from hub.server.auth.errors import AuthError
from hub.server.ratelimit import RateLimits
from permissions.principal import ANONYMOUS, Principal
from resolvers.context import Context, Loaders

if TYPE_CHECKING:
    from hub.server.app import HubGraphQL

log = logging.getLogger(__name__)


class Close(IntEnum):
    """Why the hub closed a connection (WebSocket close codes, with a reason in words)."""

    # The token expired, or the account's rights changed: connect again with a valid token.
    REAUTHENTICATE = 4401
    # The token was refused, or the account deactivated.
    FORBIDDEN = 4403
    # No operation for HUB_WS_IDLE_SECONDS.
    IDLE = 4408
    # A subscription fell HUB_LIVE_QUEUE_SIZE events behind: the client reads too slowly.
    TOO_SLOW = 4413
    # The identity provider, or the database, did not answer: connect again a little later.
    TRY_AGAIN_LATER = 1013
    # The address's rate limit is spent (the handshake is refused with HTTP 403).
    TOO_MANY_REQUESTS = 4429


def _authorization(payload: dict[str, Any]) -> Any:
    for key, value in payload.items():
        if key.lower() == "authorization":
            return value
    return None


def caller_key(principal: Principal) -> str | None:
    if principal.application_id is not None:
        return f"app:{principal.application_id}"
    if principal.user_id is not None:
        return f"user:{principal.user_id}"
    return None


class Sockets:
    """The process's open connections, by caller; closes those whose account the event
    stream says was deactivated or changed."""

    def __init__(self, bus: Bus = BUS) -> None:
        self._by_caller: defaultdict[str, set[Socket]] = defaultdict(set)
        self._bus = bus

    def add(self, socket: Socket) -> None:
        if not self._by_caller:
            self._bus.add(self)
        key = caller_key(socket.principal)
        if key is not None:
            self._by_caller[key].add(socket)

    def remove(self, socket: Socket) -> None:
        key = caller_key(socket.principal)
        if key is not None and key in self._by_caller:
            self._by_caller[key].discard(socket)
            if not self._by_caller[key]:
                del self._by_caller[key]
        if not self._by_caller:
            self._bus.remove(self)

    def operations_of(self, principal: Principal) -> int:
        key = caller_key(principal)
        return sum(len(s.operations) for s in self._by_caller.get(key, ())) if key else 0

    def offer(self, announcement: Announcement) -> None:
        kind = announcement.kind
        if kind not in (
            EventKind.USER_DEACTIVATED,
            EventKind.USER_CHANGED,
            EventKind.PERMISSIONS_CHANGED,
        ):
            return
        if announcement.subject_type == "organization":
            affected = [
                socket
                for sockets in self._by_caller.values()
                for socket in sockets
                if socket.principal.organization_id == announcement.subject_id
            ]
        else:
            affected = list(self._by_caller.get(f"user:{announcement.subject_id}", ()))
        for socket in affected:
            if kind is EventKind.USER_DEACTIVATED:
                socket.close_soon(Close.FORBIDDEN, "Your account was deactivated.")
            else:
                socket.close_soon(
                    Close.REAUTHENTICATE, "Your rights changed: connect again to apply them."
                )


class Socket(BaseGraphQLTransportWSHandler[Context, None]):
    """strawberry's graphql-transport-ws handler, with the hub's identity and limits."""

    view: HubGraphQL

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.principal: Principal = ANONYMOUS
        self._tasks: set[asyncio.Task[None]] = set()
        self._quiet_since = time.monotonic()
        self._closing = False
        self.context.on_overflow = lambda: self.close_soon(
            Close.TOO_SLOW,
            f"More than {self.view.settings.live_queue_size} events waited: read faster.",
        )
        self.context.on_unavailable = lambda: self.close_soon(
            Close.TRY_AGAIN_LATER, "The database did not answer: connect again in a few seconds."
        )

    async def handle(self) -> None:
        self._spawn(self._watch_idleness())
        self.view.metrics.ws_connections.inc()
        try:
            await super().handle()
        finally:
            self.view.metrics.ws_connections.dec()
            self.view.sockets.remove(self)
            for task in self._tasks:
                task.cancel()

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        payload = message.get("payload") or {}
        authorization = _authorization(payload) if isinstance(payload, dict) else None
        if authorization is not None and not self.connection_init_received:
            if not isinstance(authorization, str):
                await self._close(Close.FORBIDDEN, "Authorization must be 'Bearer <token>'.")
                return
            try:
                principal, expires_at = await self.view.authenticator.admit(authorization)
            except AuthError as error:
                code = {401: Close.REAUTHENTICATE, 403: Close.FORBIDDEN}.get(
                    error.status, Close.TRY_AGAIN_LATER if error.status == 503 else 4400
                )
                log.info("Refused a WebSocket connection (%s): %s", error.code, error.message)
                await self._close(code, error.message)
                return
            self.principal = principal
            self.context.principal = principal
            self.context.loaders = Loaders(principal)
            self._spawn(self._expire(expires_at))
        self.view.sockets.add(self)
        await super().handle_connection_init(message)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        self._quiet_since = time.monotonic()
        limit = self.view.settings.ws_max_subscriptions_per_caller
        if (
            self.connection_acknowledged
            and self.view.sockets.operations_of(self.principal) >= limit
        ):
            await self._refuse(message, "TOO_MANY_SUBSCRIPTIONS", f"At most {limit} at once.")
            return
        decision = await self.view.rate_limits.hit(self.principal, self.websocket.ws.scope)  # type: ignore[attr-defined]
        if decision is not None and not decision.allowed:
            message_text = f"Too many requests: retry in {decision.retry_after} s."
            await self._refuse(message, "RATE_LIMITED", message_text)
            return
        await super().handle_subscribe(message)

    async def _refuse(self, message: SubscribeMessage, code: str, text: str) -> None:
        error = GraphQLError(text, extensions={"code": code})
        await self.send_message(
            ErrorMessage(id=message["id"], type="error", payload=[error.formatted])
        )

    async def cleanup_operation(self, operation_id: str) -> None:
        await super().cleanup_operation(operation_id)
        self._quiet_since = time.monotonic()

    def close_soon(self, code: int, reason: str) -> None:
        self._spawn(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        if self._closing:
            return
        self._closing = True
        self.view.metrics.ws_closed(code)
        # RuntimeError: closed already, by the client or by the server.
        with contextlib.suppress(RuntimeError):
            await self.websocket.close(code=code, reason=reason[:120])

    async def _expire(self, expires_at: float) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        await self._close(Close.REAUTHENTICATE, "Your token expired: connect again with a new one.")

    async def _watch_idleness(self) -> None:
        idle = self.view.settings.ws_idle_seconds
        while True:
            await asyncio.sleep(min(idle, 30) / 2)
            if not self.operations and time.monotonic() - self._quiet_since >= idle:
                await self._close(Close.IDLE, f"No operation for {idle} s.")
                return

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class AddressLimitedSocket:
    """The WebSocket endpoint: a handshake counts against its address's budget, as an HTTP
    request does, and is refused (HTTP 403) when it is spent."""

    def __init__(self, view: ASGIApp, rate_limits: RateLimits) -> None:
        self.view = view
        self.rate_limits = rate_limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        decision = await self.rate_limits.hit_address(scope)
        if decision is not None and not decision.allowed:
            await WebSocket(scope, receive, send).close(code=Close.TOO_MANY_REQUESTS)
            return
        await self.view(scope, receive, send)


async def listen(database_url: str) -> Listener | None:
    """On PostgreSQL, this process's listener of the event stream (``hub.live.postgres``);
    on SQLite announcements stay in the process that wrote them."""
    if not database_url.startswith(("postgres://", "postgresql://")):
        return None
    listener = Listener(database_url.split("?", 1)[0])
    await listener.start()
    return listener
