"""`hub serve --workers 2` as a real process: every worker gets its share of a burst of
keep-alive connections, even a worker busy when they arrive; a worker that dies is replaced by
one that does too; each worker tunes its garbage collector once it is ready; only outside
production do answers name their worker."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from hub.server.app import create_app
from hub.settings import Environment, Settings, SettingsError
from tests.processes import start_hub

# The kernel assigns each connection to a worker by a hash of its ports: with 64 of them, a
# worker gets fewer than 16 about once in 30,000 runs.
CONNECTIONS = 64
FAIR_SHARE = CONNECTIONS // 4
HEALTH = b"GET /health HTTP/1.1\r\nHost: hub.test\r\n\r\n"


def _worker_of(connection: socket.socket) -> str:
    """Asks /health on an open connection; the X-Hub-Worker of the answer."""
    connection.sendall(HEALTH)
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(4096)
        assert chunk, f"the connection closed after {received!r}"
        received += chunk
    head = received.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    assert head.startswith("HTTP/1.1 200"), head
    headers = dict(line.split(": ", 1) for line in head.split("\r\n")[1:])
    return headers["x-hub-worker"]


def _burst(base: str, busy: str) -> Counter[str]:
    """Opens the connections while the worker ``busy`` cannot accept any (stopped, as if a
    long request held its loop), then asks each which worker answered it.

    Through one socket shared by the workers, the other worker accepted them all. Each on a
    socket of its own, the kernel queues its share for the busy worker, served once free."""
    host, port = base.removeprefix("http://").split(":")
    os.kill(int(busy), signal.SIGSTOP)
    try:
        connections = [
            socket.create_connection((host, int(port)), timeout=20) for _ in range(CONNECTIONS)
        ]
    finally:
        os.kill(int(busy), signal.SIGCONT)
    try:
        return Counter(_worker_of(connection) for connection in connections)
    finally:
        for connection in connections:
            connection.close()


def _workers_answering(base: str, known: set[str], count: int) -> set[str]:
    """Once ``count`` workers not in ``known`` have answered (within 60 s), those workers:
    each new connection goes to any worker listening, so all of them answer soon."""
    seen: set[str] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        # A connection the socket of a dead worker had taken fails.
        with contextlib.suppress(httpx.TransportError):
            seen.add(httpx.get(f"{base}/health", timeout=2).headers["x-hub-worker"])
        if len(seen - known) >= count:
            return seen - known
        time.sleep(0.1)
    pytest.fail(f"{count} worker(s) besides {known} did not answer within 60 s: {seen}")


def test_each_worker_accepts_its_share_of_connections(fresh_db: str, tmp_path: Path) -> None:
    env = {
        "HUB_ENV": "test",
        "HUB_DATABASE_URL": fresh_db,
        "HUB_DEV_ISSUER_KEY": str(tmp_path / "dev-issuer-key.json"),
        "HUB_GC_THRESHOLD": "12345,6,7",
    }
    process, base = start_hub(env, "--workers", "2")
    try:
        # /health answered as soon as one worker was ready.
        workers = _workers_answering(base, set(), 2)
        assert str(process.pid) not in workers
        dead, survivor = sorted(workers)
        first = _burst(base, busy=dead)
        assert set(first) == workers and min(first.values()) >= FAIR_SHARE, first
        # The supervisor replaces a worker that died, and the new one listens too.
        os.kill(int(dead), signal.SIGKILL)
        (new,) = _workers_answering(base, workers, 1)
        second = _burst(base, busy=new)
        assert set(second) == {survivor, new}, second
        assert min(second.values()) >= FAIR_SHARE, second
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0].decode()
    # Every worker, the replacement too, tuned its collector once ready.
    assert output.count("thresholds 12345,6,7") == 3, output


async def test_only_answers_outside_production_name_their_worker(settings: Settings) -> None:
    for environment, named in ((Environment.TEST, True), (Environment.PRODUCTION, False)):
        app = create_app(replace(settings, environment=environment), manage_database=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
            response = await http.get("/health")
        assert ("x-hub-worker" in response.headers) is named
        if named:
            assert response.headers["x-hub-worker"] == str(os.getpid())


@pytest.mark.parametrize("threshold", ["50000,20", "50000,20,0", "many,20,10"])
def test_the_collector_thresholds_are_three_positive_numbers(threshold: str) -> None:
    with pytest.raises(SettingsError, match="HUB_GC_THRESHOLD"):
        Settings.from_environ({"HUB_GC_THRESHOLD": threshold})
    assert Settings.from_environ({"HUB_GC_THRESHOLD": "7,8,9"}).gc_threshold == (7, 8, 9)
