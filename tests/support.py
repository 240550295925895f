"""Helpers shared by the tests: throwaway databases, switching tortoise, GraphQL calls."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis
from starlette.applications import Starlette

from hub.demo.reference import PERSONA_DOMAIN
from hub.models import Site
from hub.models.enums import SiteStatus
from hub.server.auth.dev_issuer import DevIssuer
from hub.server.observability.logs import JsonFormatter
from hub.settings import Environment, Settings
from hub.throwaway import ThrowawayDatabases, use_database

POSTGRES_ADMIN_URL = os.environ.get(
    "HUB_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)


class Databases(ThrowawayDatabases):
    """Throwaway databases of the test session's backend (``hub_test_<pid>_<name>``)."""

    def __init__(self, backend: str, folder: Path) -> None:
        super().__init__(backend, folder, "hub_test", POSTGRES_ADMIN_URL)


# The shared demo database, reconnected after a test that needed a database of its own.
SESSION_DATABASE: dict[str, str | None] = {"url": None}


@asynccontextmanager
async def isolated_database(databases: Databases, name: str) -> AsyncIterator[str]:
    """An empty, migrated database; the shared demo database is reconnected afterwards."""
    url = await databases.create(f"{name}_{len(databases.created)}")
    await use_database(url)
    try:
        yield url
    finally:
        await use_database(SESSION_DATABASE["url"])


@asynccontextmanager
async def demo_database(databases: Databases, name: str, sites: int = 240) -> AsyncIterator[str]:
    """An isolated database with the territories and the demo data, for a module to change."""
    from hub.demo import seed_demo
    from hub.territories import load_territories

    async with isolated_database(databases, name) as url:
        await load_territories()
        await seed_demo(sites=sites)
        yield url


def settings_for(url: str, **overrides: Any) -> Settings:
    # Tests change users and overrides between requests: no reuse of callers unless asked.
    overrides.setdefault("principal_cache_seconds", 0)
    return Settings(environment=Environment.TEST, database_url=url, **overrides)


@dataclass
class Hub:
    """The hub over a test module's own database (fixture ``hub``), and tokens for callers:
    a persona by its e-mail's local part (``"operator"``), any e-mail, or a client id."""

    settings: Settings
    issuer: DevIssuer
    http: httpx.AsyncClient
    # The app served, when the test needs its parts (``app.state.authenticator``).
    app: Starlette | None = None

    async def token(self, who: str) -> str:
        email = who if "@" in who or who.startswith("demo-") else f"{who}@{PERSONA_DOMAIN}"
        token, _ = await self.issuer.token_for(email)
        return token

    async def ask(
        self, who: str | None, query: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        token = await self.token(who) if who else None
        return await graphql(self.http, query, variables, token=token)

    async def call(self, who: str | None, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The payload of a mutation."""
        body = await self.ask(who, query, variables)
        # Gated fields of the object read back may be denied to the caller: nothing else.
        assert {e["extensions"]["code"] for e in body.get("errors", [])} <= {"FORBIDDEN"}, body
        (payload,) = body["data"].values()
        result: dict[str, Any] = payload
        return result


async def open_site(departement: str = "31") -> Site:
    """The first open site of a département (of the demo data)."""
    site = (
        await Site.filter(departement_code=departement, status=SiteStatus.OPEN)
        .order_by("id")
        .first()
    )
    assert site is not None
    return site


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def graphql(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """POST a GraphQL request; the HTTP status is 200 and the body has data or errors."""
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers=bearer(token) if token else {},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "data" in body or "errors" in body, body
    return body


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]


async def close_stray_sqlite_connections() -> None:
    """Close aiosqlite connections that tortoise's teardown did not reach.

    tortoise keeps its connections per context variable; a connection opened in one
    fixture's context can be invisible to the teardown running in another, and aiosqlite's
    worker thread (not a daemon) then keeps the finished pytest process alive.
    """
    import gc

    import aiosqlite

    for candidate in gc.get_objects():
        try:
            stray = isinstance(candidate, aiosqlite.Connection) and candidate._running
        except ReferenceError:
            # A weak proxy whose object is gone (isinstance asks it for its class).
            continue
        if stray:
            await candidate.close()


class Captured(logging.Handler):
    """Every log line, formatted as the production hub writes it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def parsed(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]

    def access(self) -> list[dict[str, Any]]:
        return [line for line in self.parsed() if line["logger"] == "hub.access"]


# The Redis the rate-limit and replica tests share budgets through (.ci/run starts it).
REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def delete_redis_keys(prefix: str) -> None:
    """Removes a test's keys (those under ``prefix``) from the test Redis."""
    redis = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()
