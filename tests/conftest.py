"""Shared fixtures: throwaway databases on the backend chosen by ``--db``, and an HTTP client.

Every test goes through the real stack (HTTP → GraphQL → ORM → database). The suite runs
once per backend (``pytest --db sqlite`` and ``pytest --db postgres``; ``make test`` runs
both). Tortoise holds one global connection, so the fixtures switch it explicitly.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

from hub import database
from hub.app import create_app
from hub.settings import Environment, Settings

BACKENDS = ("sqlite", "postgres")
POSTGRES_ADMIN_URL = os.environ.get(
    "HUB_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
DEMO_SITES = 240


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=BACKENDS,
        default=os.environ.get("HUB_TEST_DB", "sqlite"),
        help="database backend the suite runs on (default sqlite, or $HUB_TEST_DB)",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"hub database backend: {config.getoption('--db')}"


class Databases:
    """Creates and drops throwaway databases of one backend."""

    def __init__(self, backend: str, folder: Path) -> None:
        self.backend = backend
        self.folder = folder
        self.created: list[str] = []

    async def create(self, name: str) -> str:
        if self.backend == "sqlite":
            url = f"sqlite://{self.folder / f'{name}.sqlite3'}"
        else:
            db_name = f"hub_test_{os.getpid()}_{name}"
            admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
                await admin.execute(f'CREATE DATABASE "{db_name}"')
            finally:
                await admin.close()
            url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{db_name}"
        self.created.append(url)
        return url

    async def drop_all(self) -> None:
        if self.backend != "postgres":
            return
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            for url in self.created:
                db_name = url.rsplit("/", 1)[1]
                await admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        finally:
            await admin.close()


async def use_database(url: str | None) -> None:
    """Point tortoise's global connection at ``url`` (migrated), or at nothing."""
    await database.disconnect()
    # tortoise caches INSERT statements per connection name, not per dialect.
    EXECUTOR_CACHE.clear()
    if url is not None:
        await database.migrate(url)
        await database.disconnect()
        await database.connect(url)


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


@pytest.fixture(scope="session")
async def databases(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Databases]:
    dbs = Databases(backend, tmp_path_factory.mktemp("databases"))
    yield dbs
    await use_database(None)
    await dbs.drop_all()


_session_url: dict[str, str | None] = {"url": None}


@pytest.fixture(scope="session")
async def demo_db(databases: Databases) -> AsyncIterator[str]:
    """A database with the territories and a small demo data set, shared by the session."""
    from hub.demo import seed_demo
    from hub.territories import load_territories

    url = await databases.create("demo")
    await use_database(url)
    await load_territories()
    await seed_demo(sites=DEMO_SITES)
    _session_url["url"] = url
    yield url
    _session_url["url"] = None


@pytest.fixture
async def fresh_db(databases: Databases) -> AsyncIterator[str]:
    """An empty, migrated database for one test; the shared one is reconnected afterwards."""
    url = await databases.create(f"fresh_{len(databases.created)}")
    await use_database(url)
    try:
        yield url
    finally:
        await use_database(_session_url["url"])


def test_settings(url: str, **overrides: Any) -> Settings:
    return Settings(environment=Environment.TEST, database_url=url, **overrides)


@pytest.fixture
async def client(demo_db: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(test_settings(demo_db), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield http


async def graphql(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """POST a GraphQL request; the HTTP status is 200 and the body has data or errors."""
    response = await http.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "data" in body or "errors" in body, body
    return body


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]
