"""The real server in a subprocess, and the same app in-process (where statements are counted)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.serve_tree import COUNT_HEADER, PACKAGES, STATEMENTS_HEADER, settings_of
from hub.settings import Settings

SERVER_START_SECONDS = 60.0
# The repository: the tree served unless a baseline's worktree is given.
ROOT = Path(__file__).resolve().parents[1]
SERVE_TREE = Path(__file__).resolve().parent / "serve_tree.py"

# The hub runs in development mode so that its development issuer signs the national
# administrator's token the queries are sent with (the caller who may read everything, as
# the floor does); the key is a throwaway, shared by the parent and the server subprocess.
DEV_ISSUER_KEY = Path(tempfile.gettempdir()) / "hub-benchmark-dev-issuer.json"
BENCH_CALLER = "national_admin@demo.bidonvilles.example"


def bench_overrides(principal_cache_seconds: int = 5) -> dict[str, Any]:
    """The settings the benchmark sets, as JSON values (how the server subprocess gets them)."""
    return {
        "environment": "development",
        "dev_issuer_key": str(DEV_ISSUER_KEY),
        "principal_cache_seconds": principal_cache_seconds,
        # One caller sends every request, back to back: it measures queries, not the limiter.
        "rate_limit": 0,
        "rate_limit_address": 0,
    }


def bench_settings(database_url: str, principal_cache_seconds: int = 5) -> Settings:
    return settings_of(database_url, bench_overrides(principal_cache_seconds))[0]


async def caller_headers(database_url: str) -> dict[str, str]:
    """The Authorization header of the benchmark's caller (needs the demo data)."""
    return {"Authorization": f"Bearer {await caller_token(database_url)}"}


async def caller_token(database_url: str, who: str = BENCH_CALLER) -> str:
    """A token of the development issuer for ``who`` (an e-mail of the demo data, or a client
    id), that a hub in development mode with ``DEV_ISSUER_KEY`` trusts."""
    from hub.server.auth.dev_issuer import DevIssuer

    token, _ = await DevIssuer.load(bench_settings(database_url)).token_for(who)
    return token


@dataclass(frozen=True)
class Server:
    base_url: str
    # The benchmark's settings that the served tree does not have (left out).
    unknown_settings: list[str]


@asynccontextmanager
async def server_process(
    database_url: str, tree: Path = ROOT, principal_cache_seconds: int = 5
) -> AsyncIterator[Server]:
    """The hub of ``tree`` on 127.0.0.1 (a free port) in a subprocess, answering ``/health``
    and checked to import the hub from ``tree``; stopped afterwards."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    settings = json.dumps(bench_overrides(principal_cache_seconds))
    # -P: nothing but PYTHONPATH before the venv, so the tree's packages win over the
    # repository's (installed in the venv as editable).
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-P", str(SERVE_TREE), database_url, str(listener.fileno()), settings),
        pass_fds=(listener.fileno(),),
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        stdout=asyncio.subprocess.PIPE,
    )
    listener.close()  # the child holds its own copy
    try:
        base_url = f"http://127.0.0.1:{port}"
        await wait_until_healthy(base_url, process)
        yield Server(base_url, await check_tree(process, tree))
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=15)
            except TimeoutError:
                process.kill()
                await process.wait()


async def check_tree(process: asyncio.subprocess.Process, tree: Path) -> list[str]:
    """The line the server printed before serving: its packages must come from ``tree``.
    Returns the settings it left out."""
    assert process.stdout is not None
    said = json.loads(await process.stdout.readline())
    for package in PACKAGES:
        origin = Path(said["imported"][package])
        if not origin.is_relative_to(tree):
            raise RuntimeError(f"the server of {tree} imported {package} from {origin}")
    return list(said["unknown_settings"])


async def wait_until_healthy(base_url: str, process: asyncio.subprocess.Process) -> None:
    deadline = time.perf_counter() + SERVER_START_SECONDS
    async with httpx.AsyncClient(base_url=base_url, trust_env=False) as http:
        while time.perf_counter() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"the hub server exited with code {process.returncode}")
            try:
                if (await http.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the hub server did not answer /health within {SERVER_START_SECONDS} s")


def server_client(
    server: Server, headers: dict[str, str], count: bool = False
) -> httpx.AsyncClient:
    """A client of the server; with ``count``, every answer says how many statements it ran."""
    extra = {COUNT_HEADER.decode(): "1"} if count else {}
    return httpx.AsyncClient(
        base_url=server.base_url, timeout=120, trust_env=False, headers={**headers, **extra}
    )


def counted_statements(answers: list[httpx.Response]) -> int:
    """The statements of answers from a counting client (``server_client(count=True)``)."""
    return sum(int(answer.headers[STATEMENTS_HEADER.decode()]) for answer in answers)


def in_process_client(database_url: str, headers: dict[str, str]) -> httpx.AsyncClient:
    """The same app, on this process's connection: what ``count_statements`` can see.

    It builds the caller on every request, so that the statements counted always include
    the three of building it (the server reuses it for a few seconds, as in production)."""
    from hub.server.app import create_app

    app = create_app(bench_settings(database_url, 0), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://hub.bench", headers=headers)
