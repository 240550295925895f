"""Rate limits through the real app: per person, per partner application, per anonymous
address; in memory, in a Redis shared by two app instances ("workers"), and with Redis down
or silent, when the memory takes over until Redis answers again."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx
import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from starlette.applications import Starlette

from hub.demo.reference import PERSONA_DOMAIN
from hub.server.app import create_app
from hub.server.auth.dev_issuer import DevIssuer
from hub.server.ratelimit.limiter import Rate
from hub.server.ratelimit.memory import MemoryLimiter
from hub.server.ratelimit.redis import RETRY_SECONDS
from hub.settings import Settings, SettingsError
from tests.processes import free_port
from tests.support import REDIS_URL, bearer, delete_redis_keys

QUERY = {"query": "{ __typename }"}
# Small budgets: the fourth request in a row is refused; one request comes back every 20 s.
# The budget per address, counted before the caller's, is off unless a test sets it.
BUDGET = 3
LIMITS = {
    "rate_limit": BUDGET,
    "rate_limit_apps": BUDGET,
    "rate_limit_anonymous": BUDGET,
    "rate_limit_address": 0,
}


class Clock:
    """Time that passes only when told."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def limited(settings: Settings) -> Settings:
    return replace(settings, **LIMITS)


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A prefix of this test's own, whose keys are deleted afterwards."""
    prefix = f"hub:test:{uuid.uuid4().hex}:"
    yield prefix
    await delete_redis_keys(prefix)


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Starlette]:
    app = create_app(settings, manage_database=False)
    try:
        yield app
    finally:
        await app.state.rate_limits.close()


def client(app: Starlette, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40_000))
    return httpx.AsyncClient(transport=transport, base_url="http://hub.test")


async def token(issuer: DevIssuer, who: str, ttl: int = 600) -> dict[str, str]:
    email = who if who.startswith("demo-") else f"{who}@{PERSONA_DOMAIN}"
    minted, _ = await issuer.token_for(email, ttl=ttl)
    return bearer(minted)


async def ask(http: httpx.AsyncClient, headers: dict[str, str] | None = None) -> httpx.Response:
    return await http.post("/graphql", json=QUERY, headers=headers or {})


async def statuses(
    http: httpx.AsyncClient, count: int, headers: dict[str, str] | None = None
) -> list[int]:
    return [(await ask(http, headers)).status_code for _ in range(count)]


def assert_refused(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    seconds = int(response.headers["retry-after"])
    assert seconds >= 1
    assert response.json() == {
        "errors": [
            {
                "message": f"Too many requests; retry in {seconds} s.",
                "extensions": {"code": "RATE_LIMITED", "retryAfter": seconds},
            }
        ]
    }
    assert response.headers["ratelimit-remaining"] == "0"
    return seconds


async def test_a_person_over_budget_is_refused_while_another_is_not(
    limited: Settings, dev_issuer: DevIssuer
) -> None:
    admin = await token(dev_issuer, "national_admin")
    operator = await token(dev_issuer, "operator")
    async with running(limited) as app, client(app) as http:
        answers = [await ask(http, admin) for _ in range(BUDGET)]
        assert [a.status_code for a in answers] == [200] * BUDGET
        assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0"]
        assert {a.headers["ratelimit-limit"] for a in answers} == {str(BUDGET)}
        # 60 s / 3 requests: one comes back every 20 s; the whole budget after 60 s.
        assert answers[-1].headers["ratelimit-reset"] == "60"
        assert assert_refused(await ask(http, admin)) == 20
        assert await statuses(http, BUDGET, operator) == [200] * BUDGET
        assert_refused(await ask(http, operator))


async def test_the_budget_comes_back_with_time(limited: Settings, dev_issuer: DevIssuer) -> None:
    admin = await token(dev_issuer, "national_admin")
    async with running(limited) as app, client(app) as http:
        clock = app.state.rate_limits.limiter.clock = Clock()
        assert await statuses(http, BUDGET, admin) == [200] * BUDGET
        assert assert_refused(await ask(http, admin)) == 20
        clock.now += 19
        assert assert_refused(await ask(http, admin)) == 1
        clock.now += 1
        assert await statuses(http, 2, admin) == [200, 429]
        clock.now += 60
        assert await statuses(http, BUDGET + 1, admin) == [200] * BUDGET + [429]


async def test_the_tokens_of_an_application_share_its_budget(
    limited: Settings, dev_issuer: DevIssuer
) -> None:
    first = await token(dev_issuer, "demo-association-app", ttl=600)
    second = await token(dev_issuer, "demo-association-app", ttl=900)
    assert first != second
    other_app = await token(dev_issuer, "demo-commune-app")
    async with running(limited) as app, client(app) as http:
        assert await statuses(http, 2, first) == [200, 200]
        assert await statuses(http, 1, second) == [200]
        assert_refused(await ask(http, first))
        assert_refused(await ask(http, second))
        assert await statuses(http, 1, other_app) == [200]


async def test_anonymous_callers_are_counted_per_address(limited: Settings) -> None:
    async with (
        running(limited) as app,
        client(app, "198.51.100.7") as one,
        client(app, "198.51.100.8") as other,
        client(app, "2001:db8:1:2::10") as v6,
        client(app, "2001:db8:1:2::20") as same_v6_network,
    ):
        assert await statuses(one, BUDGET + 1) == [200] * BUDGET + [429]
        assert await statuses(other, 1) == [200]
        # One host commonly holds a whole IPv6 /64: it is counted as one address.
        assert await statuses(v6, 2) == [200, 200]
        assert await statuses(same_v6_network, 2) == [200, 429]


async def test_zero_disables_a_limit(limited: Settings, dev_issuer: DevIssuer) -> None:
    admin = await token(dev_issuer, "national_admin")
    async with running(replace(limited, rate_limit=0)) as app, client(app) as http:
        answers = [await ask(http, admin) for _ in range(BUDGET * 3)]
        assert {a.status_code for a in answers} == {200}
        assert "ratelimit-limit" not in answers[0].headers
        # The other budgets still hold.
        assert await statuses(http, BUDGET + 1) == [200] * BUDGET + [429]


async def test_exports_share_the_budget_and_health_is_never_limited(
    limited: Settings, dev_issuer: DevIssuer
) -> None:
    admin = await token(dev_issuer, "national_admin")
    async with running(limited) as app, client(app) as http:
        assert await statuses(http, 2, admin) == [200, 200]
        export = await http.get("/exports/sites.csv", headers=admin)
        assert export.status_code == 200
        assert export.headers["ratelimit-remaining"] == "0"
        assert_refused(await http.get("/exports/actions.xlsx", headers=admin))
        assert_refused(await ask(http, admin))
        # Anonymous too: the probes answer whatever the address's budget says.
        assert await statuses(http, BUDGET + 1) == [200] * BUDGET + [429]
        for path in ("/health", "/ready") * BUDGET:
            probe = await http.get(path)
            assert probe.status_code == 200
            assert "ratelimit-limit" not in probe.headers


async def test_workers_sharing_redis_share_the_budget(
    limited: Settings, dev_issuer: DevIssuer, redis_prefix: str
) -> None:
    shared = replace(limited, redis_url=REDIS_URL, redis_prefix=redis_prefix)
    admin = await token(dev_issuer, "national_admin")
    operator = await token(dev_issuer, "operator")
    async with (
        running(shared) as worker_1,
        running(shared) as worker_2,
        client(worker_1) as http_1,
        client(worker_2) as http_2,
    ):
        assert await statuses(http_1, 2, admin) == [200, 200]
        answer = await ask(http_2, admin)
        assert answer.status_code == 200
        assert answer.headers["ratelimit-remaining"] == "0"
        assert_refused(await ask(http_1, admin))
        assert_refused(await ask(http_2, admin))
        assert await statuses(http_2, 1, operator) == [200]
    redis = Redis.from_url(REDIS_URL)
    try:
        keys = sorted([key.decode() async for key in redis.scan_iter(match=f"{redis_prefix}*")])
        assert [key.removeprefix(redis_prefix).split(":")[0] for key in keys] == ["user", "user"]
        # Each key expires when its budget is whole again (60 s after the last request).
        for key in keys:
            assert 0 < await redis.pttl(key) <= 60_000
    finally:
        await redis.aclose()


async def test_workers_sharing_redis_share_an_address_budget(
    limited: Settings, redis_prefix: str
) -> None:
    shared = replace(limited, redis_url=REDIS_URL, redis_prefix=redis_prefix, rate_limit_address=2)
    forged = bearer("forged")
    async with (
        running(shared) as worker_1,
        running(shared) as worker_2,
        client(worker_1) as http_1,
        client(worker_2) as http_2,
    ):
        assert await statuses(http_1, 1, forged) == [401]
        assert await statuses(http_2, 1, forged) == [401]
        assert_refused(await ask(http_1, forged))
        assert_refused(await ask(http_2))


async def test_with_redis_down_requests_are_counted_in_memory(
    limited: Settings, dev_issuer: DevIssuer, caplog: pytest.LogCaptureFixture
) -> None:
    down = replace(limited, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    admin = await token(dev_issuer, "national_admin")
    with caplog.at_level(logging.WARNING, logger="hub.server.ratelimit"):
        async with running(down) as app, client(app) as http:
            assert await statuses(http, BUDGET, admin) == [200] * BUDGET
            assert_refused(await ask(http, admin))
            assert_refused(await ask(http, admin))
    warnings = [r for r in caplog.records if r.name == "hub.server.ratelimit.redis"]
    assert len(warnings) == 1, "one warning, not one per request"
    assert "Redis unreachable" in warnings[0].getMessage()


async def test_a_silent_redis_does_not_hold_requests(
    limited: Settings, dev_issuer: DevIssuer
) -> None:
    """A server that accepts connections and never answers: the first request gives up after
    the short timeout, the next ones do not even try until the retry delay has passed."""
    connections: list[asyncio.StreamWriter] = []

    async def silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    admin = await token(dev_issuer, "national_admin")
    try:
        slow = replace(limited, redis_url=f"redis://127.0.0.1:{port}/0")
        async with running(slow) as app, client(app) as http:
            assert await statuses(http, BUDGET + 1, admin) == [200] * BUDGET + [429]
        assert len(connections) == 1
    finally:
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()


class LateRedis:
    """A Redis server of the test's own, on a port that stays closed until ``start``."""

    def __init__(self) -> None:
        self.url = f"redis://127.0.0.1:{free_port()}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        port = self.url.rsplit(":", 1)[1].split("/")[0]
        command = ["redis-server", "--port", port, "--bind", "127.0.0.1", "--save", ""]
        self.process = subprocess.Popen([*command, "--appendonly", "no"], stdout=subprocess.DEVNULL)

    async def ready(self) -> None:
        redis = Redis.from_url(self.url)
        try:
            for _ in range(200):
                try:
                    if await redis.ping():
                        return
                except RedisConnectionError:
                    await asyncio.sleep(0.025)
            raise AssertionError(f"redis-server did not start at {self.url}")
        finally:
            await redis.aclose()


@pytest.fixture
def late_redis() -> Iterator[LateRedis]:
    redis = LateRedis()
    yield redis
    if redis.process is not None:
        redis.process.terminate()
        redis.process.wait(timeout=10)


async def test_rate_limits_go_back_to_redis_when_it_returns(
    limited: Settings,
    dev_issuer: DevIssuer,
    late_redis: LateRedis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = await token(dev_issuer, "national_admin")
    with caplog.at_level(logging.WARNING, logger="hub.server.ratelimit"):
        async with running(replace(limited, redis_url=late_redis.url)) as app, client(app) as http:
            limiter = app.state.rate_limits.limiter
            clock = limiter.clock = Clock()
            assert await statuses(http, 1, admin) == [200]
            late_redis.start()
            await late_redis.ready()
            # Until the retry delay has passed, the memory keeps counting.
            assert await statuses(http, 1, admin) == [200]
            clock.now += RETRY_SECONDS
            # Redis starts afresh: a whole budget there.
            assert await statuses(http, BUDGET + 1, admin) == [200] * BUDGET + [429]
            redis = Redis.from_url(late_redis.url)
            try:
                assert [key async for key in redis.scan_iter(match="hub:rl:user:*")]
            finally:
                await redis.aclose()
    messages = [r.getMessage() for r in caplog.records if r.name == "hub.server.ratelimit.redis"]
    assert len(messages) == 2
    assert "Redis unreachable" in messages[0]
    assert "Redis answers again" in messages[1]


async def test_idle_keys_are_forgotten_and_a_flood_of_keys_is_bounded() -> None:
    clock = Clock()
    limiter = MemoryLimiter(max_keys=100, clock=clock)
    rate = Rate(BUDGET)
    for number in range(1_000):
        await limiter.hit(f"ip:10.0.{number // 256}.{number % 256}", rate)
    assert len(limiter) == 100
    for _ in range(BUDGET):
        await limiter.hit("user:1", rate)
    assert not (await limiter.hit("user:1", rate)).allowed
    clock.now += 60
    # Every key is idle now: a whole budget, as for a key never seen, and nothing kept.
    decision = await limiter.hit("user:2", rate)
    assert len(limiter) == 1
    assert decision.allowed and decision.remaining == BUDGET - 1
    assert (await limiter.hit("user:1", rate)).remaining == BUDGET - 1


def test_rate_limit_settings() -> None:
    defaults = Settings.from_environ({})
    assert (defaults.rate_limit, defaults.rate_limit_apps, defaults.rate_limit_anonymous) == (
        600,
        1200,
        120,
    )
    assert (defaults.redis_url, defaults.redis_prefix) == (None, "hub:rl:")
    chosen = Settings.from_environ(
        {
            "HUB_RATE_LIMIT": "0",
            "HUB_RATE_LIMIT_APPS": "5000",
            "HUB_RATE_LIMIT_ANONYMOUS": "30",
            "HUB_REDIS_URL": "redis://cache.internal:6379/2",
            "HUB_REDIS_PREFIX": "hub-a:rl:",
        }
    )
    assert (chosen.rate_limit, chosen.rate_limit_apps, chosen.rate_limit_anonymous) == (
        0,
        5000,
        30,
    )
    assert (chosen.redis_url, chosen.redis_prefix) == ("redis://cache.internal:6379/2", "hub-a:rl:")
    refused = {
        "HUB_RATE_LIMIT": ("-1", "HUB_RATE_LIMIT must be at least 0, got -1"),
        "HUB_RATE_LIMIT_APPS": ("many", "HUB_RATE_LIMIT_APPS must be a whole number, got 'many'"),
        "HUB_RATE_LIMIT_ANONYMOUS": ("1.5", "HUB_RATE_LIMIT_ANONYMOUS must be a whole number"),
        "HUB_REDIS_URL": ("http://cache:6379", "HUB_REDIS_URL must start with redis://"),
    }
    for name, (value, message) in refused.items():
        with pytest.raises(SettingsError, match=message.replace(".", r"\.")):
            Settings.from_environ({name: value})
