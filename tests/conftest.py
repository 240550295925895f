"""Shared fixtures: throwaway databases on the backend chosen by ``--db``, and an HTTP client.

Every test goes through the real stack (HTTP → GraphQL → ORM → database). The suite runs
once per backend (``pytest --db sqlite`` and ``pytest --db postgres``; ``make test`` runs
both). Tortoise holds one global connection, so the fixtures switch it explicitly.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import httpx
import pytest
from strawberry.schema import BaseSchema

from hub.models import AuditEntry, Email
from hub.server.app import create_app
from hub.server.auth.dev_issuer import DevIssuer
from hub.server.observability.logs import configure_logging
from hub.settings import LogFormat, Settings
from schema.build import build_schema
from tests.mail import SmtpServer, smtp_server
from tests.support import (
    SESSION_DATABASE,
    Captured,
    Databases,
    Hub,
    bearer,
    close_stray_sqlite_connections,
    demo_database,
    isolated_database,
    settings_for,
    use_database,
)

BACKENDS = ("sqlite", "postgres")
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
    await close_stray_sqlite_connections()
    await dbs.drop_all()


@pytest.fixture(scope="session")
async def demo_db(databases: Databases) -> AsyncIterator[str]:
    """A database with the territories and a small demo data set, shared by the session."""
    from hub.demo import seed_demo
    from hub.territories import load_territories

    url = await databases.create("demo")
    await use_database(url)
    await load_territories()
    await seed_demo(sites=DEMO_SITES)
    SESSION_DATABASE["url"] = url
    yield url
    SESSION_DATABASE["url"] = None


@pytest.fixture
async def fresh_db(databases: Databases) -> AsyncIterator[str]:
    async with isolated_database(databases, "fresh") as url:
        yield url


@pytest.fixture(scope="session")
def settings(demo_db: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of the hub over the demo database; its development issuer signs test tokens."""
    return settings_for(demo_db, dev_issuer_key=tmp_path_factory.mktemp("keys") / "dev.json")


@pytest.fixture(scope="session")
def dev_issuer(settings: Settings) -> DevIssuer:
    return DevIssuer.load(settings)


@pytest.fixture(scope="session")
async def admin_token(dev_issuer: DevIssuer) -> str:
    """A token of the national administrator persona, who may read everything."""
    token, _ = await dev_issuer.token_for("national_admin@demo.bidonvilles.example")
    return token


@pytest.fixture
async def client(settings: Settings, admin_token: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the hub acting as the national administrator (a ``token`` passed to
    ``support.graphql`` acts as someone else)."""
    app = create_app(settings, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=bearer(admin_token)
    ) as http:
        yield http


@pytest.fixture(scope="module")
async def own_database(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> AsyncIterator[Settings]:
    """A demo database for one test module to change, and the settings of a hub over it."""
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    async with demo_database(databases, name) as url:
        yield settings_for(url, dev_issuer_key=tmp_path_factory.mktemp("keys") / "dev.json")


@pytest.fixture
async def hub(own_database: Settings, request: pytest.FixtureRequest) -> AsyncIterator[Hub]:
    """The hub over the module's own database; a module may extend ``Hub`` under that name."""
    kind = getattr(request.module, "Hub", Hub)
    app = create_app(own_database, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield kind(own_database, DevIssuer.load(own_database), http, app)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on a free loopback port, for the test (tests/mail.py)."""
    with smtp_server() as server:
        yield server


@pytest.fixture
async def empty_outbox(hub: Hub) -> None:
    """No e-mail in the module's outbox (``pytestmark = pytest.mark.usefixtures(...)``)."""
    await Email.all().delete()


@pytest.fixture(scope="module")
def schema(own_database: Settings) -> BaseSchema:
    """The hub's schema over the module's database, for what runs outside HTTP (the mailer)."""
    return build_schema(own_database.limits)


@pytest.fixture
def failing_audit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Audit inserts fail: a write's audit comes last, after its object and history."""

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(AuditEntry, "create", broken)


@pytest.fixture
async def anonymous(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield http


@pytest.fixture
def logs(settings: Settings) -> Iterator[Captured]:
    """The hub's logging set-up at its most verbose (DEBUG), captured."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    quieted = {name: logging.getLogger(name).level for name in ("tortoise", "aiosqlite", "httpx")}
    configure_logging(replace(settings, log_level="DEBUG", log_format=LogFormat.JSON))
    # The test's own HTTP client logs the URLs it calls: those lines are not the hub's.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    captured = Captured()
    root.addHandler(captured)
    try:
        yield captured
    finally:
        root.handlers, root.level = saved[0], saved[1]
        for name, level in quieted.items():
            logging.getLogger(name).setLevel(level)
