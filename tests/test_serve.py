"""`hub serve` as a real process: migrations applied, health, readiness and GraphQL over TCP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.processes import free_port


@pytest.fixture
def served(fresh_db: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "HUB_ENV": "test",
        "HUB_DATABASE_URL": fresh_db,
        "HUB_DEV_ISSUER_KEY": str(tmp_path / "dev-issuer-key.json"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("hub serve did not answer within 30 s")
        yield base
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=15)
        # uvicorn re-raises SIGTERM once it has shut down cleanly.
        assert process.returncode in (0, -15), output.decode()
        assert b"Application shutdown complete" in output, output.decode()


def test_serve_answers_health_readiness_and_graphql(served: str) -> None:
    assert httpx.get(f"{served}/health").json() == {"status": "ok"}
    assert httpx.get(f"{served}/ready").json() == {"status": "ok"}
    query = "{ territory(level: NATION) { name } sites { totalCount } }"
    response = httpx.post(f"{served}/graphql", json={"query": query})
    assert response.json() == {
        "data": {"territory": {"name": "France"}, "sites": {"totalCount": 0}}
    }
    graphiql = httpx.get(f"{served}/graphql", headers={"accept": "text/html"})
    assert "GraphiQL" in graphiql.text
