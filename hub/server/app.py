"""The ASGI application: the GraphQL endpoint (GraphiQL outside production), exports, health
checks and metrics (and in demo and development, the reference map page), behind the
middleware that production needs (in ``create_app``, outermost first: tracing, access log and
metrics, CORS, requests cut by the shutdown, database faults; around /graphql and the exports:
the address's rate limit, identity, the caller's rate limit; then around /graphql only: the
body's size and deadline)."""

from __future__ import annotations

import asyncio
import datetime
import logging
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import orjson
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET
from tortoise import connections

from hub import database
from hub.faults import RETRY_AFTER_SECONDS
from hub.server.auth.middleware import Authenticator, principal_of
from hub.server.body_limit import LimitBody
from hub.server.exports import export_routes
from hub.server.faults import DatabaseFaultsAsUnavailable, nothing_but_unavailable
from hub.server.http_errors import CancelledAsUnavailable, error_response
from hub.server.live import AddressLimitedSocket, Socket, Sockets, listen
from hub.server.notify.commands import send_notifications
from hub.server.notify.unsubscribe import unsubscribe_routes
from hub.server.observability.metrics import Metrics, metrics_routes
from hub.server.observability.middleware import Observe
from hub.server.observability.operation import RecordOperation
from hub.server.observability.tracing import tracing_middleware
from hub.server.ratelimit import RateLimits, client_address, guarded
from hub.server.replicas import ReadRouting
from hub.server.webhooks import Deliverer
from hub.settings import Environment, Settings
from permissions.principal import ANONYMOUS
from resolvers.context import Context
from schema.build import build_schema

log = logging.getLogger(__name__)

# GraphiQL's page and the pinned built files it loads from the hub itself (no CDN).
STATIC = Path(__file__).parent / "static"
GRAPHIQL_PAGE = (STATIC / "graphiql.html").read_text(encoding="utf-8")
# The reference map page (docs/map.md) and its files, Leaflet's pinned ones among them.
MAP_PAGE = (STATIC / "map.html").read_text(encoding="utf-8")


class TextFrames(ASGIWebSocketAdapter):
    """graphql-transport-ws messages go in text frames: the JSON encoder gives bytes (for
    HTTP), which would go in binary frames, and browsers' clients (graphql-ws, GraphiQL)
    refuse those."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        encoded = self.view.encode_json(message)
        try:
            await self.ws.send_text(encoded.decode() if isinstance(encoded, bytes) else encoded)
        except WebSocketDisconnect as disconnected:
            raise WebSocketDisconnected from disconnected


class HubGraphQL(GraphQL[Context, None]):
    # Subscriptions over graphql-transport-ws only: the older graphql-ws protocol would not
    # go through the hub's identity and limits (hub.server.live).
    graphql_transport_ws_handler_class = Socket
    websocket_adapter_class = TextFrames

    def __init__(
        self,
        settings: Settings,
        authenticator: Authenticator,
        rate_limits: RateLimits,
        reads: ReadRouting | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        observers = [RecordOperation, *(reads.extensions() if reads is not None else ())]
        super().__init__(
            build_schema(settings.limits, observers=observers, compiled=settings.compiled_reads),
            graphql_ide="graphiql" if settings.graphiql else None,
            # Queries by GET (cacheable, loggable URLs) only outside production, for GraphiQL.
            allow_queries_via_get=settings.graphiql,
            multipart_uploads_enabled=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=datetime.timedelta(seconds=10),
            max_subscriptions_per_connection=settings.ws_max_subscriptions,
        )
        self.settings = settings
        self.authenticator = authenticator
        self.rate_limits = rate_limits
        self.metrics = metrics or Metrics()
        self.sockets = Sockets()
        self._local_origins = (
            re.compile(settings.cors_origin_regex) if settings.cors_origin_regex else None
        )

    def is_websocket_origin_allowed(self, request: WebSocket, origin: str) -> bool:
        # The browser origins allowed to call the hub over HTTP (HUB_CORS_ORIGINS, and the
        # local ones outside production); clients that are not browsers send no Origin.
        if origin in self.settings.cors_origins:
            return True
        return self._local_origins is not None and self._local_origins.fullmatch(origin) is not None

    @property
    def graphql_ide_html(self) -> str:
        return GRAPHIQL_PAGE

    # strawberry types the request as its own adapter's; through starlette it is a Request.
    async def run(  # type: ignore[override]
        self, request: Request | WebSocket, context: Context = UNSET, root_value: None = UNSET
    ) -> Response | WebSocket:
        if isinstance(request, Request) and request.method == "GET" and not self.settings.graphiql:
            # Production answers POST only: a GET could be forged by any page (CSRF) and its
            # query would sit in proxies' logs. Exports are the one GET (their own routes).
            message = "Send GraphQL operations by POST, as application/json."
            return error_response(405, "METHOD_NOT_ALLOWED", message, {"Allow": "POST"})
        # strawberry answers a bad request (content type, JSON, batch) in plain text: answer
        # in the shape of every other error instead.
        try:
            return await super().run(request, context, root_value)
        except HTTPException as error:
            code = "NOT_FOUND" if error.status_code == 404 else "BAD_REQUEST"
            return error_response(error.status_code, code, error.reason)

    def decode_json(self, data: str | bytes) -> object:
        try:
            return super().decode_json(data)
        except RecursionError:
            raise HTTPException(400, "The JSON body is nested too deeply.") from None

    def encode_json(self, data: object) -> str | bytes:
        # The answers are plain JSON types (the GraphQL layer serialized every scalar), which
        # orjson encodes several times faster than json, while the worker's loop waits; what
        # it refuses (an integer beyond 64 bits, a key that is not a string) json encodes.
        try:
            return orjson.dumps(data)
        except orjson.JSONEncodeError:
            return super().encode_json(data)

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        # Nothing answered because the database is unavailable: say so in HTTP too, so that
        # proxies, monitors and clients back off (hub.faults).
        if isinstance(response_data, dict) and nothing_but_unavailable(response_data):
            response.status_code = 503
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        if isinstance(request, WebSocket):
            # The caller is known once connection_init brings its token (hub.server.live).
            return Context.build(None, self.settings, ANONYMOUS)
        context = Context.build(request, self.settings, principal_of(request.scope))
        context.address = client_address(request.scope)
        context.attempt = self.rate_limits.attempt
        return context


async def reference_map(_: Request) -> HTMLResponse:
    """The reference map page: the caller's open sites over the départements' outlines."""
    return HTMLResponse(MAP_PAGE)


async def health(_: Request) -> JSONResponse:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})


def readiness(
    settings: Settings, reads: ReadRouting
) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def ready(_: Request) -> JSONResponse:
        """Readiness: the database answers, within the connect timeout. The read replica's
        state is told, never a reason to be unready: reads go to the primary without it."""
        try:
            async with asyncio.timeout(settings.db_connect_timeout):
                await connections.get("default").execute_query("SELECT 1")
        except Exception as error:  # any failure means "not ready"; the reason goes to the log
            log.warning("Not ready: %s: %s", type(error).__name__, error)
            return JSONResponse({"status": "unavailable", **reads.status()}, status_code=503)
        return JSONResponse({"status": "ok", **reads.status()})

    return ready


# What a browser may send and read across origins.
CORS_METHODS = ("GET", "POST")
CORS_HEADERS = ("authorization", "content-type", "x-request-id")
# So that browser clients can read when to retry and quote the request id.
CORS_EXPOSED = (
    "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "X-Request-Id",
)  # fmt: skip


class Cors(CORSMiddleware):
    """starlette's CORS, whose refused preflight is shaped like every other refusal (JSON,
    with a code saying what to change) instead of a plain-text line."""

    def preflight_response(self, request_headers: Headers) -> Response:
        answer = super().preflight_response(request_headers)
        if answer.status_code < 400:
            return answer
        origin = request_headers["origin"]
        if not self.is_allowed_origin(origin):
            message = f"The origin {origin} may not call this hub: list it in HUB_CORS_ORIGINS."
        else:
            message = (
                f"Cross-origin requests may use the methods {', '.join(CORS_METHODS)} "
                f"and the headers {', '.join(CORS_HEADERS)} only."
            )
        return error_response(400, "CORS_REFUSED", message, {"Vary": "Origin"})


def cors(settings: Settings) -> Middleware:
    """CORS for the origins of ``HUB_CORS_ORIGINS`` (none by default), and in demo and
    development for the front-ends served on this machine; preflights are answered in every
    mode, a refusal included."""
    return Middleware(
        Cors,
        allow_origins=list(settings.cors_origins),
        allow_origin_regex=settings.cors_origin_regex,
        allow_methods=list(CORS_METHODS),
        allow_headers=list(CORS_HEADERS),
        expose_headers=list(CORS_EXPOSED),
        max_age=600,
    )


def create_app(
    settings: Settings | None = None,
    *,
    manage_database: bool = True,
    authenticator: Authenticator | None = None,
    when_ready: Callable[[], None] | None = None,
) -> Starlette:
    """The hub. With ``manage_database`` the app opens and closes the database itself; an
    ``authenticator`` replaces the one the settings describe (tests of production mode);
    ``when_ready`` runs once start-up is over, before the first request (``hub serve`` tunes
    the worker's garbage collector there)."""
    settings = settings or Settings.from_environ()

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if manage_database:
            await database.connect(
                settings.database_url,
                shared_across_tasks=True,
                bounds=database.Bounds.of(settings),
            )
        await reads.start()
        listener = await listen(settings.database_url)
        deliveries = (
            asyncio.create_task(Deliverer(settings, view.schema, metrics).run())
            if settings.webhooks
            else None
        )
        # Each worker of each node sends (each e-mail claimed by one at a time) unless
        # HUB_NOTIFY=off leaves it to a `hub notify` process; none without an SMTP server.
        notifications = (
            asyncio.create_task(send_notifications(settings, view.schema, metrics))
            if settings.notify and settings.smtp_url
            else None
        )
        # Cancelled last of them: it writes once more then (hub.server.auth.uses).
        uses = asyncio.create_task(view.authenticator.uses.run())
        if when_ready is not None:
            when_ready()
        try:
            yield
        finally:
            for task in (deliveries, notifications, uses):
                if task is not None:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            if listener is not None:
                await listener.stop()
            await rate_limits.close()
            await reads.stop()
            if manage_database:
                await database.disconnect()

    authenticator = authenticator or Authenticator.from_settings(settings)
    rate_limits = RateLimits.from_settings(settings)
    metrics = Metrics()
    reads = ReadRouting(settings, metrics)
    view = HubGraphQL(settings, authenticator, rate_limits, reads, metrics)
    # Nothing of the body is read before the address, the token and the caller's budget pass.
    body = LimitBody(view, settings.max_body_bytes, settings.body_timeout_seconds)
    # A person signed in whom the hub does not know may still ask for an account there.
    graphql = guarded(body, authenticator, rate_limits, newcomers=True)
    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", AddressLimitedSocket(view, rate_limits)),
        Route("/health", health, methods=["GET"]),
        Route("/ready", readiness(settings, reads), methods=["GET"]),
    ]
    routes += export_routes(settings, authenticator, view.schema, rate_limits, reads)
    routes += unsubscribe_routes(settings, authenticator, rate_limits)
    if settings.graphiql:
        routes.append(Mount("/graphiql", StaticFiles(directory=STATIC / "graphiql")))
    if settings.environment in (Environment.DEMO, Environment.DEVELOPMENT):
        routes.append(Route("/map", reference_map, methods=["GET"]))
        routes.append(Mount("/map", StaticFiles(directory=STATIC / "map")))
    if authenticator.dev_issuer is not None:
        routes += authenticator.dev_issuer.routes()
    routes += metrics_routes(settings, metrics)
    # Outermost, so that the access log and the metrics see every answer (401, 413, 429…).
    # Outside production each answer names the worker process that made it (X-Hub-Worker).
    worker = None if settings.environment is Environment.PRODUCTION else str(os.getpid())
    observe = Middleware(Observe, metrics=metrics, worker=worker)
    middleware = [*tracing_middleware(settings), observe]
    # Inside CORS, so that browsers may read the 503 of a request cut by the shutdown.
    middleware += [cors(settings), Middleware(CancelledAsUnavailable)]
    middleware.append(Middleware(DatabaseFaultsAsUnavailable))
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    app.state.authenticator = authenticator
    app.state.rate_limits = rate_limits
    return app
