"""Database faults: a PostgreSQL cluster of the tests' own is stopped, restarted, frozen, made
read-only, locked and cut off under the hub, which must answer a clean SERVICE_UNAVAILABLE
(503) within its timeouts, write nothing by halves, and recover by itself. On SQLite, a
database locked by another writer does the same.

The cluster is a throwaway one (initdb in a temporary folder, on a free port), never the
shared server: stopping or freezing that one would break every other test.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from strawberry.relay import to_base64

from hub import database
from hub.faults import MESSAGE
from hub.models import AuditEntry, HistoryEntry, Site
from hub.server.app import create_app
from hub.server.auth.dev_issuer import DevIssuer
from hub.settings import Settings
from tests.clusters import Cluster
from tests.processes import free_port
from tests.support import (
    SESSION_DATABASE,
    Databases,
    bearer,
    demo_database,
    settings_for,
    use_database,
)

ADMIN = "national_admin@demo.bidonvilles.example"
SITES = "{ sites(first: 3) { totalCount nodes { name } } }"
PUBLIC = '{ territory(level: REGION, code: "76") { name } }'
UPDATE = """mutation ($id: ID!, $version: Int!, $name: String!) {
  updateSite(id: $id, version: $version, input: {identity: {name: $name}}) {
    site { version name } errors { code } } }"""
# What an error must never show: driver, database, SQL, paths, tracebacks.
LEAKS = re.compile(r"asyncpg|postgres|sqlite|select |traceback|/(tmp|work|usr|var|root)/", re.I)
# The hub's bounds here, small so that faults show quickly; recoveries are polled this long.
BOUNDS = {"db_connect_timeout": 1, "db_statement_timeout": 2, "db_pool_timeout": 1}
RECOVERY_SECONDS = 30


@dataclass
class Faulty:
    """The hub (in process) over a database that the tests break."""

    settings: Settings
    http: httpx.AsyncClient
    token: str
    url: str
    cluster: Cluster | None = None

    async def ask(
        self, query: str, variables: dict[str, Any] | None = None, signed_in: bool = True
    ) -> httpx.Response:
        headers = bearer(self.token) if signed_in else {}
        body = {"query": query, "variables": variables or {}}
        # A guard against hanging for ever, far above the bounds: not a timing assertion.
        return await asyncio.wait_for(self.http.post("/graphql", json=body, headers=headers), 60)

    async def admin(self, sql: str, *args: Any) -> list[Any]:
        """A statement run by the database's owner, beside the hub."""
        connection = await asyncpg.connect(self.url.rsplit("/", 1)[0] + "/postgres")
        try:
            return await connection.fetch(sql, *args)
        finally:
            await connection.close()

    async def cut_off(self) -> int:
        """Terminates the hub's connections to the database; how many there were."""
        rows = await self.admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            self.url.rsplit("/", 1)[1],
        )
        return len(rows)


def assert_unavailable(response: httpx.Response) -> None:
    """A clean refusal: 503, Retry-After, SERVICE_UNAVAILABLE and nothing of the fault."""
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    errors = response.json()["errors"]
    assert errors and all(
        e["message"] == MESSAGE and e["extensions"]["code"] == "SERVICE_UNAVAILABLE" for e in errors
    ), errors
    assert not LEAKS.search(response.text), response.text


def assert_answered(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body


async def recovered(ask: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
    """Asks again until answered; every answer before that is a clean SERVICE_UNAVAILABLE."""
    deadline = time.monotonic() + RECOVERY_SECONDS
    while True:
        response = await ask()
        if response.status_code == 200:
            return response
        assert_unavailable(response)
        assert time.monotonic() < deadline, f"no recovery within {RECOVERY_SECONDS} s"
        await asyncio.sleep(0.2)


async def _faulty(url: str, key: Path, cluster: Cluster | None = None) -> Faulty:
    settings = settings_for(url, dev_issuer_key=key, **BOUNDS)
    await database.disconnect()
    await database.connect(url, bounds=database.Bounds.of(settings))
    token, _ = await DevIssuer.load(settings).token_for(ADMIN)
    transport = httpx.ASGITransport(app=create_app(settings, manage_database=False))
    http = httpx.AsyncClient(transport=transport, base_url="http://hub.test")
    return Faulty(settings, http, token, url, cluster)


@pytest.fixture(scope="module")
async def pg(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Faulty]:
    """The hub over a throwaway PostgreSQL cluster with a little demo data."""
    from hub.demo import seed_demo
    from hub.territories import load_territories

    if backend != "postgres":
        pytest.skip("PostgreSQL faults: run with --db postgres")
    cluster = Cluster()
    try:
        cluster.start()
        admin = await asyncpg.connect(cluster.url("postgres"))
        await admin.execute("CREATE DATABASE hub")
        await admin.close()
        await use_database(cluster.url("hub"))
        await load_territories()
        await seed_demo(sites=20)
        faulty = await _faulty(cluster.url("hub"), tmp_path_factory.mktemp("pg") / "key", cluster)
        async with faulty.http:
            yield faulty
    finally:
        await use_database(SESSION_DATABASE["url"])
        cluster.destroy()


@pytest.fixture(scope="module")
async def locked_sqlite(
    backend: str, databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Faulty]:
    if backend != "sqlite":
        pytest.skip("a locked SQLite database: run with --db sqlite")
    async with demo_database(databases, "faults", sites=20) as url:
        faulty = await _faulty(url, tmp_path_factory.mktemp("sqlite") / "key")
        async with faulty.http:
            yield faulty


@pytest.fixture(autouse=True)
def transactions_end_before_release(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Whatever the fault, a write's transaction is rolled back before its connection returns
    to the pool: asyncpg would otherwise log an ERROR for each ("Resetting connection with an
    active transaction", once per refused write of a read-only database) and roll it back
    itself."""
    yield
    messages = [record.getMessage() for record in caplog.records]
    assert not [message for message in messages if "with an active transaction" in message]


async def first_site() -> Site:
    site = await Site.all().order_by("id").first()
    assert site is not None
    return site


async def trace(site_id: int) -> tuple[int, str, int, int]:
    """What a write of the site leaves: its version and name, its history and audit rows."""
    site = await Site.get(id=site_id)
    history = await HistoryEntry.filter(subject_type="site", subject_id=site_id).count()
    audit = await AuditEntry.filter(operation="updateSite").count()
    return site.version, site.name, history, audit


def rename(site: Site, name: str) -> dict[str, Any]:
    return {"id": to_base64("Site", site.id), "version": site.version, "name": name}


async def test_a_stopped_database_is_unavailable_then_the_hub_recovers(pg: Faulty) -> None:
    assert pg.cluster is not None
    assert_answered(await pg.ask(SITES))
    pg.cluster.stop()
    try:
        # Signed in: building the caller needs the database. Anonymous: the query itself.
        assert_unavailable(await pg.ask(SITES))
        assert_unavailable(await pg.ask(PUBLIC, signed_in=False))
        export = await pg.http.get("/exports/sites.csv", headers=bearer(pg.token))
        assert_unavailable(export)
        ready = await pg.http.get("/ready")
        assert (ready.status_code, ready.json()) == (503, {"status": "unavailable"})
        assert (await pg.http.get("/health")).status_code == 200
    finally:
        pg.cluster.start()
    assert_answered(await recovered(lambda: pg.ask(SITES)))
    assert (await pg.http.get("/ready")).json() == {"status": "ok"}


async def test_connections_cut_by_the_server_are_replaced(pg: Faulty) -> None:
    await asyncio.gather(*(pg.ask(SITES) for _ in range(3)))
    assert await pg.cut_off() >= 1
    assert_answered(await recovered(lambda: pg.ask(SITES)))
    assert_answered(await recovered(lambda: pg.ask(PUBLIC, signed_in=False)))


async def test_a_statement_blocked_by_a_lock_times_out(pg: Faulty) -> None:
    site = await first_site()
    before = await trace(site.id)
    locker = await asyncpg.connect(pg.url)
    try:
        async with locker.transaction():
            await locker.execute("LOCK TABLE site IN ACCESS EXCLUSIVE MODE")
            response = await pg.ask(SITES)
            assert_unavailable(response)
            assert response.json()["errors"][0]["path"] == ["sites"]
            # An export reads its first rows before answering: a 503, not a broken file.
            assert_unavailable(await pg.http.get("/exports/sites.csv", headers=bearer(pg.token)))
            assert_unavailable(await pg.ask(UPDATE, rename(site, "Pendant le verrou")))
    finally:
        await locker.close()
    assert await trace(site.id) == before
    assert_answered(await pg.ask(SITES))


async def test_a_read_only_database_refuses_writes_and_still_reads(pg: Faulty) -> None:
    site = await first_site()
    before = await trace(site.id)
    # As after a fail-over to a standby: every new session is read-only.
    await pg.admin("ALTER DATABASE hub SET default_transaction_read_only = on")
    try:
        await pg.cut_off()
        assert_answered(await recovered(lambda: pg.ask(SITES)))
        assert_unavailable(await pg.ask(UPDATE, rename(site, "Pendant la lecture seule")))
        assert await trace(site.id) == before
    finally:
        await pg.admin("ALTER DATABASE hub RESET default_transaction_read_only")
        await pg.cut_off()
    answered = assert_answered(await recovered(lambda: pg.ask(UPDATE, rename(site, "Relu"))))
    assert answered["data"]["updateSite"]["site"] == {"version": site.version + 1, "name": "Relu"}


async def test_a_frozen_database_fails_within_the_timeouts(pg: Faulty) -> None:
    assert pg.cluster is not None
    assert_answered(await pg.ask(SITES))  # the hub holds a connection the freeze will hang
    with pg.cluster.frozen():
        assert_unavailable(await pg.ask(SITES))
        assert_unavailable(await pg.ask(PUBLIC, signed_in=False))
        ready = await asyncio.wait_for(pg.http.get("/ready"), 60)
        assert ready.status_code == 503
    assert_answered(await recovered(lambda: pg.ask(SITES)))


async def test_a_write_cut_off_midway_leaves_nothing_half_written(pg: Faulty) -> None:
    site = await first_site()
    before = await trace(site.id)
    locker = await asyncpg.connect(pg.url)
    try:
        async with locker.transaction():
            # The write changes the site and its history, then waits to add its audit entry.
            await locker.execute("LOCK TABLE audit_entry IN ACCESS EXCLUSIVE MODE")
            write = asyncio.create_task(pg.ask(UPDATE, rename(site, "Coupé en route")))
            waiting: list[Any] = []
            deadline = time.monotonic() + 10
            while not waiting and not write.done() and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
                waiting = await pg.admin(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                    "datname = 'hub' AND wait_event_type = 'Lock' AND pid <> $1",
                    locker.get_server_pid(),
                )
            assert waiting, "the write never waited for the lock"
            assert_unavailable(await write)
    finally:
        await locker.close()
    assert await trace(site.id) == before


async def test_hub_serve_answers_503_while_the_database_is_down(pg: Faulty, tmp_path: Path) -> None:
    """The real server process, its own pool and lifespan, through a stop and a restart."""
    assert pg.cluster is not None
    port = free_port()
    env = {
        **os.environ,
        "HUB_ENV": "test",
        "HUB_DATABASE_URL": pg.url,
        "HUB_DEV_ISSUER_KEY": str(pg.settings.dev_issuer_key),
        "HUB_PRINCIPAL_CACHE_SECONDS": "0",
        **{f"HUB_{name.upper()}": str(value) for name, value in BOUNDS.items()},
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hub.server.cli", "serve", "--port", str(port),
            env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:

            async def ready() -> httpx.Response:
                try:
                    return await http.get("/ready")
                except httpx.TransportError:  # not listening yet
                    return httpx.Response(503)

            deadline = time.monotonic() + 30
            while (await ready()).status_code != 200:
                assert time.monotonic() < deadline, log.read_text()
                await asyncio.sleep(0.2)
            signed_in = bearer(pg.token)
            pg.cluster.stop()
            try:
                refused = await http.post("/graphql", json={"query": SITES}, headers=signed_in)
                assert_unavailable(refused)
                assert_unavailable(await http.post("/graphql", json={"query": PUBLIC}))
                assert (await http.get("/ready")).status_code == 503
            finally:
                pg.cluster.start()
            await recovered(lambda: http.post("/graphql", json={"query": SITES}, headers=signed_in))
            assert (await http.get("/ready")).status_code == 200
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
    served = log.read_text()
    # Each fault is logged once, with the id the client was given, and without a traceback.
    assert refused.json()["errors"][0]["extensions"]["errorId"] in served, served
    assert "Traceback" not in served, served


async def test_a_locked_sqlite_database_refuses_writes_within_its_busy_timeout(
    locked_sqlite: Faulty,
) -> None:
    hub = locked_sqlite
    site = await first_site()
    before = await trace(site.id)
    other = sqlite3.connect(hub.url.removeprefix("sqlite://"), isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        assert_answered(await hub.ask(SITES))  # readers are not blocked (WAL)
        assert_unavailable(await hub.ask(UPDATE, rename(site, "Pendant le verrou")))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert await trace(site.id) == before
    answered = assert_answered(await hub.ask(UPDATE, rename(site, "Après le verrou")))
    assert answered["data"]["updateSite"]["site"]["version"] == site.version + 1
