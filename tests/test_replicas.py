"""A read replica, with real parts: a throwaway PostgreSQL primary and its streaming replica
(``pg_basebackup -R``), and two ``hub serve`` processes over them: node A on the primary
alone, node B reading from the replica (``HUB_DATABASE_REPLICA_URL``). Live updates cross the
nodes through the primary; B's reads come from the replica, but a writer's own reads and
everything after a write come from the primary; a stopped replica sends B's reads to the
primary, counted and logged once. PostgreSQL only: SQLite has no replicas.

Every wait is for a condition, with a deadline; the one figure asserted is the issue's: an
event reaches a subscriber of the other node within a second of the mutation's answer.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis
from strawberry.relay import to_base64
from tortoise import connections
from tortoise.transactions import in_transaction

from hub import database
from hub.demo.reference import PERSONA_DOMAIN
from hub.models import AuditEntry, Site
from hub.models.enums import SiteStatus
from hub.replicas.lag import LagMeter, parse_lsn
from hub.replicas.monitor import ReplicaMonitor
from hub.replicas.replica import Replica, ReplicaState
from hub.replicas.routing import reading
from hub.server.auth.dev_issuer import DevIssuer
from hub.server.replicas.writers import RecentWriters, SharedRecentWriters
from hub.settings import Settings, SettingsError
from tests.clusters import Cluster
from tests.live import Subscriber, served
from tests.processes import start_hub, stop_process
from tests.support import (
    REDIS_URL,
    SESSION_DATABASE,
    bearer,
    delete_redis_keys,
    settings_for,
    use_database,
)

SITE_CHANGED = """subscription ($id: ID!) { siteChanged(id: $id) {
  activity { kind site { id name } } } }"""
SITES_CHANGED = "subscription { sitesChanged { kind site { id name } } }"
IN_RECOVERY = "SELECT pg_is_in_recovery() AS standby"
WRITING_READ = (
    "WITH touched AS (UPDATE site SET version = version WHERE id = (SELECT min(id) FROM site)"
    " RETURNING id) SELECT count(*) AS touched FROM touched"
)
PUBLIC = '{ territory(level: REGION, code: "76") { name } }'
NAME = "query ($id: ID!) { site(id: $id) { name } }"
LEGAL = "query ($id: ID!) { site(id: $id) { name legalProcedures { justiceProcedure } } }"
RENAME = """mutation ($id: ID!, $version: Int!, $name: String!) {
  updateSite(id: $id, version: $version, input: {identity: {name: $name}}) {
    site { version name } errors { code } } }"""
# The bound: from the mutation's answer on A to the event on B.
DELIVERY_SECONDS = 1.0
# How long a condition may take to come true on a loaded machine: a deadline, not a measure.
DEADLINE_SECONDS = 30.0
# B's replica may lag this much before its reads go to the primary: far more than the test
# takes while replay is paused, so that B keeps reading from it.
MAX_LAG_SECONDS = 120


@dataclass
class Node:
    base: str
    log: Path

    @property
    def socket(self) -> str:
        return self.base.replace("http://", "ws://") + "/graphql"


@dataclass
class Replicated:
    primary: Cluster
    replica: Cluster
    a: Node
    b: Node
    b_process: subprocess.Popen[bytes]
    issuer: DevIssuer
    http: httpx.AsyncClient

    async def token(self, who: str) -> str:
        token, _ = await self.issuer.token_for(f"{who}@{PERSONA_DOMAIN}")
        return token

    async def ask(
        self, node: Node, who: str, query: str, variables: dict[str, Any]
    ) -> dict[str, Any]:
        headers = bearer(await self.token(who))
        body = {"query": query, "variables": variables}
        response = await self.http.post(f"{node.base}/graphql", json=body, headers=headers)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        assert "errors" not in answer, answer
        return answer["data"]

    async def name_on(self, node: Node, who: str, site: Site) -> str:
        data = await self.ask(node, who, NAME, {"id": gid(site)})
        return str(data["site"]["name"])

    async def rename(self, node: Node, who: str, site: Site, name: str) -> dict[str, Any]:
        """The mutation's payload; the version is read from the primary."""
        version = (await Site.get(id=site.id)).version
        variables = {"id": gid(site), "version": version, "name": name}
        payload: dict[str, Any] = (await self.ask(node, who, RENAME, variables))["updateSite"]
        assert payload["errors"] == [], payload
        return payload

    async def replica_sql(self, statement: str) -> Any:
        connection = await asyncpg.connect(self.replica.url("hub"))
        try:
            return await connection.fetchval(statement)
        finally:
            await connection.close()

    async def ready(self, node: Node) -> dict[str, Any]:
        response = await self.http.get(f"{node.base}/ready")
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def metric(self, node: Node, name: str, labels: str) -> float:
        text = (await self.http.get(f"{node.base}/metrics")).text
        found = re.search(rf"^{name}\{{{labels}\}} (\S+)$", text, re.MULTILINE)
        return float(found.group(1)) if found else 0.0


def gid(site: Site) -> str:
    return to_base64("Site", site.id)


async def until(what: str, check: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not await check():
        assert time.monotonic() < deadline, f"not within {DEADLINE_SECONDS:g} s: {what}"
        await asyncio.sleep(0.1)


async def replica_state(hub: Replicated, state: str) -> bool:
    return bool((await hub.ready(hub.b)).get("replica", {}).get("state") == state)


async def open_site(departement: str) -> Site:
    site = await Site.filter(departement_code=departement, status=SiteStatus.OPEN).first()
    assert site is not None, f"no open site in the {departement} of the demo data"
    return site


@pytest.fixture(scope="module")
async def redis_prefix() -> AsyncIterator[str]:
    """B's keys in the test Redis (rate limits, recent writers), removed afterwards."""
    prefix = f"hub-test-replicas-{os.getpid()}:"
    yield prefix
    await delete_redis_keys(prefix)


@pytest.fixture(scope="module")
async def replicated(
    backend: str, tmp_path_factory: pytest.TempPathFactory, redis_prefix: str
) -> AsyncIterator[Replicated]:
    from hub.demo import seed_demo
    from hub.territories import load_territories

    if backend != "postgres":
        pytest.skip("read replicas: run with --db postgres")
    folder = tmp_path_factory.mktemp("replicas")
    primary = Cluster()
    replica: Cluster | None = None
    processes = []
    try:
        primary.start()
        admin = await asyncpg.connect(primary.url("postgres"))
        await admin.execute("CREATE DATABASE hub")
        await admin.close()
        await use_database(primary.url("hub"))
        await load_territories()
        await seed_demo(sites=80)
        # Copied once the data is there: the replica starts with it, and streams the rest.
        replica = Cluster(primary=primary)
        replica.start()
        settings = settings_for(primary.url("hub"), dev_issuer_key=folder / "key.json")
        issuer = DevIssuer.load(settings)
        env = {
            "HUB_ENV": "test",
            "HUB_DATABASE_URL": primary.url("hub"),
            "HUB_DEV_ISSUER_KEY": str(settings.dev_issuer_key),
            "HUB_PRINCIPAL_CACHE_SECONDS": "0",
            "HUB_DB_CONNECT_TIMEOUT": "2",
        }
        a_process, a_base = start_hub(env, log=folder / "a.log")
        processes.append(a_process)
        b_env = {
            **env,
            "HUB_DATABASE_REPLICA_URL": replica.url("hub"),
            "HUB_REPLICA_MAX_LAG_SECONDS": str(MAX_LAG_SECONDS),
            "HUB_REPLICA_READ_YOUR_WRITES_SECONDS": "60",
            "HUB_REDIS_URL": REDIS_URL,
            "HUB_REDIS_PREFIX": redis_prefix,
        }
        b_process, b_base = start_hub(b_env, log=folder / "b.log")
        processes.append(b_process)
        async with httpx.AsyncClient(timeout=60) as http:
            hub = Replicated(
                primary, replica, Node(a_base, folder / "a.log"),
                Node(b_base, folder / "b.log"), b_process, issuer, http,
            )  # fmt: skip
            await until("B reads from its replica", lambda: replica_state(hub, "ok"))
            yield hub
    finally:
        for process in processes:
            stop_process(process)
        await use_database(SESSION_DATABASE["url"])
        if replica is not None:
            replica.destroy()
        primary.destroy()


async def delivered(
    subscriber: Subscriber, site: Site, change: Callable[[], Awaitable[Any]]
) -> None:
    """Changes ``site`` until its change reaches ``subscriber``: its subscription is then in
    place (a subscribe message has no answer of its own)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        await change()
        try:
            while _site_of(await subscriber.next(within=2)) != gid(site):
                pass
            return
        except TimeoutError:
            assert time.monotonic() < deadline, "the subscription never delivered"


async def until_named(subscriber: Subscriber, site: Site, name: str) -> float:
    """When ``subscriber`` got the change that named ``site`` so; every change before it
    must be of ``site`` too."""
    while True:
        payload = await subscriber.next()
        assert _site_of(payload) == gid(site), payload
        if _name_of(payload) == name:
            return time.monotonic()


def _changed(payload: dict[str, Any]) -> dict[str, Any]:
    (field,) = payload["data"].values()
    site: dict[str, Any] = field["activity"]["site"] if "activity" in field else field["site"]
    return site


def _site_of(payload: dict[str, Any]) -> str:
    return str(_changed(payload)["id"])


def _name_of(payload: dict[str, Any]) -> str:
    return str(_changed(payload)["name"])


async def test_a_change_written_on_a_reaches_subscribers_on_b_who_may_read_it(
    replicated: Replicated,
) -> None:
    hub = replicated
    site, gironde = await open_site("31"), await open_site("33")
    operator = Subscriber.connect(hub.b.socket, await hub.token("operator"))
    observer = Subscriber.connect(hub.b.socket, await hub.token("external_observer"))
    async with operator as follower, observer as outsider:
        await follower.acknowledged()
        await outsider.acknowledged()
        await follower.subscribe(SITE_CHANGED, {"id": gid(site)})
        # The observer (a laboratory of the Gironde) follows every site it may read.
        await outsider.subscribe(SITES_CHANGED)
        count = iter(range(1000))

        async def rename_in_gironde() -> None:
            await hub.rename(hub.a, "national_admin", gironde, f"Gironde {next(count)}")

        async def rename_on_a() -> None:
            await hub.rename(hub.a, "correspondent", site, f"Renamed on A {next(count)}")

        await delivered(outsider, gironde, rename_in_gironde)
        await delivered(follower, site, rename_on_a)

        # Measured once both subscriptions are in place. The event may come before the
        # answer does: NOTIFY is delivered at the commit, the answer is sent after it.
        measured = "Renamed on A, measured"
        arrival = asyncio.create_task(until_named(follower, site, measured))
        await hub.rename(hub.a, "correspondent", site, measured)
        answered = time.monotonic()
        delay = max(0.0, await arrival - answered)
        assert delay < DELIVERY_SECONDS, f"the event came {delay:.3f} s after the answer"

        # Every change the observer got since its subscription was in place is of the
        # Gironde: none of the Haute-Garonne's, written meanwhile, reached it.
        await hub.rename(hub.a, "national_admin", gironde, "Gironde, last")
        await until_named(outsider, gironde, "Gironde, last")


async def test_b_reads_from_the_replica_and_a_writer_reads_its_own_writes(
    replicated: Replicated,
) -> None:
    hub = replicated
    site = await open_site("31")
    before = await hub.name_on(hub.b, "operator", site)
    await hub.replica_sql("SELECT pg_wal_replay_pause()")
    try:
        await until(
            "the replica's replay is paused",
            lambda: _paused(hub),
        )
        # Written on the primary through A: the replica does not replay it.
        await hub.rename(hub.a, "correspondent", site, "Written through A")
        assert await hub.name_on(hub.a, "operator", site) == "Written through A"
        # B answers a caller who did not write from the replica: the name before.
        assert await hub.name_on(hub.b, "operator", site) == before
        await until(
            "B measures its replica's lag",
            lambda: _lagging(hub),
        )
        # A caller who writes through B: the mutation reads and answers from the primary
        # (its version check would fail on the replica), and so do its next reads.
        payload = await hub.rename(hub.b, "correspondent", site, "Written through B")
        assert payload["site"]["name"] == "Written through B"
        assert await hub.name_on(hub.b, "correspondent", site) == "Written through B"
        # Everyone else still reads the replica on B, exports included; what a read writes
        # (its audit entry) is written on the primary.
        assert await hub.name_on(hub.b, "operator", site) == before
        audited = await AuditEntry.filter(operation="site.legal.read").count()
        data = await hub.ask(hub.b, "national_admin", LEGAL, {"id": gid(site)})
        assert data["site"]["name"] == before
        assert await AuditEntry.filter(operation="site.legal.read").count() == audited + 1
        token = await hub.token("national_admin")
        export = await hub.http.get(f"{hub.b.base}/exports/sites.csv", headers=bearer(token))
        assert export.status_code == 200, export.text
        assert before in export.text
        assert "Written through" not in export.text
        replica_pool = await hub.metric(hub.b, "hub_db_pool_connections", 'database="replica"')
        assert replica_pool > 0
    finally:
        await hub.replica_sql("SELECT pg_wal_replay_resume()")

    async def replayed() -> bool:
        return await hub.name_on(hub.b, "operator", site) == "Written through B"

    await until("the replica replays the writes", replayed)
    assert await hub.metric(hub.b, "hub_replica_fallbacks_total", 'reason="lagging"') == 0


async def _paused(hub: Replicated) -> bool:
    return bool(await hub.replica_sql("SELECT pg_get_wal_replay_pause_state()") == "paused")


async def _lagging(hub: Replicated) -> bool:
    replica = (await hub.ready(hub.b))["replica"]
    assert replica["state"] == "ok", replica
    return bool(replica["lag_seconds"] > 0)


async def test_each_statement_goes_where_its_request_reads(replicated: Replicated) -> None:
    """The database client's routing itself, in this process, over the same clusters."""
    primary = database.primary_client()
    assert primary is not None
    replica = Replica(database.replica_client(replicated.replica.url("hub"), database.Bounds()))
    monitor = ReplicaMonitor(replica, primary, max_lag=MAX_LAG_SECONDS, timeout=5)

    async def healthy() -> bool:
        await monitor.check()
        return replica.state is ReplicaState.OK

    async def on_replica() -> bool:
        _, rows = await connections.get("default").execute_query(IN_RECOVERY)
        return bool(rows[0]["standby"])

    await until("the replica is checked healthy", healthy)
    primary.replica = replica
    try:
        assert not await on_replica()  # outside any request
        with reading(replica=False):
            assert not await on_replica()
        with reading(replica=True):
            assert await on_replica()
            # It begins as a read, but writes: refused by the replica, run by the primary,
            # and no fault of the replica's.
            _, rows = await connections.get("default").execute_query(WRITING_READ)
            assert rows[0]["touched"] == 1
            assert replica.state is ReplicaState.OK
        with reading(replica=True) as reads:
            async with in_transaction():
                assert not await on_replica()  # a transaction runs on the primary
            # Committed: the rest of the request reads what it wrote.
            assert reads.wrote
            assert not await on_replica()
    finally:
        primary.replica = None
        await replica.client.close()


async def test_a_stopped_replica_sends_reads_to_the_primary_counted_and_logged_once(
    replicated: Replicated,
) -> None:
    hub = replicated
    site = await open_site("31")
    current = await hub.name_on(hub.a, "operator", site)
    hub.replica.stop()
    try:
        # B keeps answering, from the primary, whether it has noticed yet or not.
        for _ in range(5):
            assert await hub.name_on(hub.b, "operator", site) == current
        await until("B sees its replica down", lambda: replica_state(hub, "unavailable"))
        assert (await hub.ready(hub.b))["status"] == "ok"
        for _ in range(5):
            assert await hub.name_on(hub.b, "operator", site) == current
        assert await hub.metric(hub.b, "hub_replica_fallbacks_total", 'reason="unavailable"') >= 5
        assert await hub.metric(hub.b, "hub_replica_state", 'state="unavailable"') == 1
    finally:
        hub.replica.start()
    await until("B reads from its replica again", lambda: replica_state(hub, "ok"))
    # Logged once per change of state, not per request nor per check.
    hub.b_process.send_signal(signal.SIGTERM)
    hub.b_process.wait(timeout=30)
    log = hub.b.log.read_text()
    assert log.count("Read replica unavailable") == 1, log
    assert log.count("Read replica healthy again") == 1, log
    assert log.count("Read replica ready") == 1, log


# What needs no replica: the lag's arithmetic, the writers' memory and Redis, the settings,
# and SQLite, which ignores the replica.


def test_the_lag_is_the_age_of_the_oldest_position_the_replica_lacks() -> None:
    meter = LagMeter()
    assert parse_lsn("16/B374D848") == (0x16 << 32) | 0xB374D848
    # A replica that has not yet reached a position seen here is not known to be caught up.
    meter.primary_at(100, at=0.0)
    assert meter.lag(replayed=50, at=0.5) == 0.5
    assert not meter.caught_up
    # An idle primary stays at one position: a replica holding it does not lag, however
    # old its last replayed transaction.
    assert meter.lag(replayed=100, at=1.0) == 0.0
    assert meter.caught_up
    meter.primary_at(100, at=60.0)
    assert meter.lag(replayed=100, at=60.0) == 0.0
    # Replay paused while the primary writes: the lag grows from the first position missed.
    meter.primary_at(200, at=61.0)
    meter.primary_at(300, at=62.0)
    assert meter.lag(replayed=100, at=65.0) == 4.0
    assert meter.lag(replayed=250, at=66.0) == 4.0
    assert meter.lag(replayed=300, at=67.0) == 0.0


async def test_recent_writers_expire_and_are_shared_through_redis() -> None:
    now = [0.0]
    memory = RecentWriters(5, clock=lambda: now[0])
    await memory.wrote("user:1")
    assert await memory.wrote_recently("user:1")
    assert not await memory.wrote_recently("user:2")
    now[0] = 5.0
    assert not await memory.wrote_recently("user:1")

    prefix = f"hub-test-writers-{os.getpid()}:"
    node_a, node_b = (SharedRecentWriters(5, REDIS_URL, prefix) for _ in range(2))
    try:
        await node_a.wrote("user:1")
        assert await node_b.wrote_recently("user:1")
        assert not await node_b.wrote_recently("user:2")
    finally:
        redis = Redis.from_url(REDIS_URL)
        await redis.delete(f"{prefix}user:1")
        await redis.aclose()
        await node_a.close()
        await node_b.close()
    # Redis unreachable: each process still knows the writes made through it.
    unreachable = SharedRecentWriters(5, "redis://127.0.0.1:1/0", prefix)
    try:
        await unreachable.wrote("user:1")
        assert await unreachable.wrote_recently("user:1")
        assert not await unreachable.wrote_recently("user:2")
    finally:
        await unreachable.close()


def test_replica_settings() -> None:
    default = Settings.from_environ({})
    assert default.database_replica_url is None
    assert (default.replica_max_lag_seconds, default.replica_read_your_writes_seconds) == (2, 5)
    given = Settings.from_environ(
        {
            "HUB_DATABASE_REPLICA_URL": "postgresql://hub@replica/hub",
            "HUB_REPLICA_MAX_LAG_SECONDS": "10",
            "HUB_REPLICA_READ_YOUR_WRITES_SECONDS": "0",
        }
    )
    assert given.database_replica_url == "postgresql://hub@replica/hub"
    assert (given.replica_max_lag_seconds, given.replica_read_your_writes_seconds) == (10, 0)
    with pytest.raises(SettingsError, match="HUB_DATABASE_REPLICA_URL"):
        Settings.from_environ({"HUB_DATABASE_REPLICA_URL": "sqlite://var/replica.sqlite3"})
    with pytest.raises(SettingsError, match="HUB_REPLICA_MAX_LAG_SECONDS"):
        Settings.from_environ({"HUB_REPLICA_MAX_LAG_SECONDS": "0"})


@pytest.fixture(scope="session")
def sqlite_only(backend: str) -> None:
    """Skips before the session's demo database is made (``settings``): on PostgreSQL it
    would be made while this module's own database is connected."""
    if backend != "sqlite":
        pytest.skip("SQLite's own behaviour: run with --db sqlite")


async def test_sqlite_ignores_the_replica(
    sqlite_only: None, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with_replica = replace(settings, database_replica_url="postgres://hub@127.0.0.1:1/hub")
    async with served(with_replica) as socket, httpx.AsyncClient() as http:
        base = socket.replace("ws://", "http://").removesuffix("/graphql")
        assert (await http.get(f"{base}/ready")).json() == {"status": "ok"}
        answer = (await http.post(f"{base}/graphql", json={"query": PUBLIC})).json()
        assert answer == {"data": {"territory": {"name": "Occitanie"}}}
    assert "HUB_DATABASE_REPLICA_URL is ignored: SQLite has no replicas." in caplog.text
