"""`make load`: a load test of a real `hub serve`, not part of the suite.

Seeds the demo data into LOAD_DB (SQLite by default; a postgres:// URL is created if
missing), starts `hub serve` on a free local port with rate limits off, mints the demo
personas' tokens with `hub token`, then runs locust headless (tests/load/locustfile.py) for
LOAD_SECONDS with LOAD_USERS users against LOAD_WORKERS hub processes, and prints throughput,
latency percentiles and errors per operation. Exits non-zero when any request failed.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from tests.processes import free_port

HERE = Path(__file__).parent
PERSONAS = ("national_admin", "local_admin", "correspondent", "operator")
DOMAIN = "demo.bidonvilles.example"


def hub_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "HUB_ENV": "demo",
        "HUB_DATABASE_URL": database_url,
        # The load comes from a handful of personas: per-person limits would answer 429.
        "HUB_RATE_LIMIT": "0",
        "HUB_RATE_LIMIT_APPS": "0",
        "HUB_RATE_LIMIT_ANONYMOUS": "0",
        "HUB_RATE_LIMIT_ADDRESS": "0",
    }


def hub(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "hub.server.cli", *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(f"hub {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip()


async def create_postgres_database(url: str) -> None:
    import asyncpg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


def wait_until_ready(base: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"hub serve exited with code {server.returncode}: see var/load-serve.log")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    sys.exit(f"hub serve did not answer within {timeout:g} s")


def main() -> int:
    database_url = os.environ.get("LOAD_DB") or "sqlite://var/load.sqlite3"
    seconds = int(os.environ.get("LOAD_SECONDS", "30"))
    users = int(os.environ.get("LOAD_USERS", "20"))
    workers = os.environ.get("LOAD_WORKERS", "1")
    Path("var").mkdir(exist_ok=True)
    if database_url.startswith("postgres"):
        asyncio.run(create_postgres_database(database_url))
    env = hub_env(database_url)
    print(hub("seed", "--demo", "--if-empty", env=env))
    tokens = [hub("token", f"{persona}@{DOMAIN}", env=env) for persona in PERSONAS]

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open("var/load-serve.log", "wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hub.server.cli",
                "serve",
                "--port",
                str(port),
                "--workers",
                workers,
            ],
            env={**env, "HUB_LOG_LEVEL": "WARNING"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_ready(base, server)
        print(
            f"Load: {users} users for {seconds} s against {base} "
            f"({workers} worker(s)) over {database_url}"
        )
        locust = subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless",
             "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s",
             "--host", base, "--stop-timeout", "5", "--loglevel", "WARNING", "--only-summary"],
            env={**os.environ, "LOAD_TOKENS": json.dumps(tokens)},
        )  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
    return locust.returncode


if __name__ == "__main__":
    sys.exit(main())
