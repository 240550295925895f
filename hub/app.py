"""The ASGI application: GraphQL endpoint, GraphiQL outside production, health checks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from tortoise import connections

from hub import database
from hub.auth.middleware import Authenticator, RequireIdentity, principal_of
from hub.exports import export_routes
from hub.settings import Settings
from resolvers.context import Context
from schema.build import build_schema


class HubGraphQL(GraphQL[Context, None]):
    def __init__(self, settings: Settings) -> None:
        super().__init__(
            build_schema(),
            graphql_ide="graphiql" if settings.graphiql else None,
            multipart_uploads_enabled=False,
        )
        self.settings = settings

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:  # type: ignore[override]
        assert isinstance(request, Request)
        return Context.build(request, self.settings, principal_of(request.scope))


async def health(_: Request) -> JSONResponse:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})


async def ready(_: Request) -> JSONResponse:
    """Readiness: the database answers."""
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:  # any failure means "not ready"; the reason goes to the log, not out
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings | None = None, *, manage_database: bool = True) -> Starlette:
    """The hub. With ``manage_database`` the app opens and closes the database itself."""
    settings = settings or Settings.from_environ()

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if manage_database:
            await database.connect(settings.database_url, shared_across_tasks=True)
        try:
            yield
        finally:
            if manage_database:
                await database.disconnect()

    authenticator = Authenticator.from_settings(settings)
    view = HubGraphQL(settings)
    graphql = RequireIdentity(view, authenticator)
    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/ready", ready, methods=["GET"]),
    ]
    routes += export_routes(settings, authenticator, view.schema)
    if authenticator.dev_issuer is not None:
        routes += authenticator.dev_issuer.routes()
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.authenticator = authenticator
    return app
