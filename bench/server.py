"""The real server in a subprocess, and the same app in-process (where statements are counted)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from hub import database
from hub.settings import Environment, Settings

SERVER_START_SECONDS = 60.0
# The server subprocess imports bench/ from here (the package is not installed).
ROOT = Path(__file__).resolve().parents[1]

# The hub runs in development mode so that its development issuer signs the national
# administrator's token the queries are sent with (the caller who may read everything, as
# the floor does); the key is a throwaway, shared by the parent and the server subprocess.
DEV_ISSUER_KEY = Path(tempfile.gettempdir()) / "hub-benchmark-dev-issuer.json"
BENCH_CALLER = "national_admin@demo.bidonvilles.example"


def bench_settings(database_url: str, principal_cache_seconds: int = 5) -> Settings:
    return Settings(
        environment=Environment.DEVELOPMENT,
        database_url=database_url,
        dev_issuer_key=DEV_ISSUER_KEY,
        principal_cache_seconds=principal_cache_seconds,
        # One caller sends every request, back to back: it measures queries, not the limiter.
        rate_limit=0,
        rate_limit_address=0,
    )


async def caller_headers(database_url: str) -> dict[str, str]:
    """The Authorization header of the benchmark's caller (needs the demo data)."""
    from hub.server.auth.dev_issuer import DevIssuer

    token, _ = await DevIssuer.load(bench_settings(database_url)).token_for(BENCH_CALLER)
    return {"Authorization": f"Bearer {token}"}


def serve(database_url: str, fd: int) -> None:
    """Entry point of the server subprocess: uvicorn on the inherited listening socket."""
    asyncio.run(_serve(database_url, fd))


async def _serve(database_url: str, fd: int) -> None:
    import uvicorn

    from hub.server.app import create_app

    settings = bench_settings(database_url)
    # Not create_app's own lifespan: it connects inside uvicorn's lifespan task, and
    # tortoise 1.x keeps the connection in a context variable of that task, which request
    # tasks do not inherit (every query then fails with "No TortoiseContext is currently
    # active"). Connected here, in the task that starts the server, every request task
    # copies the context that holds the connection.
    await database.connect(database_url)
    app = create_app(settings, manage_database=False)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    try:
        # The parent bound the socket: no race for a free port, and only loopback listens.
        await uvicorn.Server(config).serve(sockets=[socket.socket(fileno=fd)])
    finally:
        await database.disconnect()


@contextmanager
def server_process(database_url: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Starts the hub on 127.0.0.1 (a free port) in a subprocess; yields its base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    code = "import sys; from bench.server import serve; serve(sys.argv[1], int(sys.argv[2]))"
    process = subprocess.Popen(
        [sys.executable, "-c", code, database_url, str(listener.fileno())],
        pass_fds=(listener.fileno(),),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    listener.close()  # the child holds its own copy
    try:
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def wait_until_healthy(http: httpx.AsyncClient, process: subprocess.Popen[bytes]) -> None:
    deadline = time.perf_counter() + SERVER_START_SECONDS
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the hub server exited with code {process.returncode}")
        try:
            if (await http.get("/health")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the hub server did not answer /health within {SERVER_START_SECONDS} s")


def in_process_client(database_url: str, headers: dict[str, str]) -> httpx.AsyncClient:
    """The same app, on this process's connection: what ``count_statements`` can see.

    It builds the caller on every request, so that the statements counted always include
    the three of building it (the server reuses it for a few seconds, as in production)."""
    from hub.server.app import create_app

    app = create_app(bench_settings(database_url, 0), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://hub.bench", headers=headers)
