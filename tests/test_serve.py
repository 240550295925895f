"""`hub serve` as a real process: migrations applied, health, readiness and GraphQL over TCP."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.processes import start_hub


def start(database_url: str, folder: Path, *arguments: str) -> tuple[subprocess.Popen[bytes], str]:
    env = {
        "HUB_ENV": "test",
        "HUB_DATABASE_URL": database_url,
        "HUB_DEV_ISSUER_KEY": str(folder / "dev-issuer-key.json"),
    }
    return start_hub(env, *arguments)


def stop(process: subprocess.Popen[bytes]) -> str:
    """SIGTERM, then what the process printed; it must have shut down cleanly."""
    process.terminate()
    output = process.communicate(timeout=30)[0].decode()
    # uvicorn re-raises SIGTERM once it has shut down cleanly.
    assert process.returncode in (0, -15), output
    assert "Application shutdown complete" in output, output
    return output


@pytest.fixture
def served(fresh_db: str, tmp_path: Path) -> Iterator[str]:
    process, base = start(fresh_db, tmp_path)
    try:
        yield base
    finally:
        stop(process)


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


def test_serve_runs_several_workers(fresh_db: str, tmp_path: Path) -> None:
    process, base = start(fresh_db, tmp_path, "--workers", "2")
    try:
        for _ in range(4):
            body = httpx.post(f"{base}/graphql", json={"query": "{ sites { totalCount } }"})
            assert body.json() == {"data": {"sites": {"totalCount": 0}}}
    finally:
        output = stop(process)
    assert output.count("Application startup complete") == 2, output


def test_shutdown_lets_the_request_in_flight_finish(fresh_db: str, tmp_path: Path) -> None:
    process, base = start(fresh_db, tmp_path)
    received, release = threading.Event(), threading.Event()
    answers: list[httpx.Response] = []

    def body() -> Iterator[bytes]:
        yield b'{"query": "{ sites '
        received.set()
        release.wait(timeout=20)
        yield b'{ totalCount } }"}'

    def send() -> None:
        headers = {"content-type": "application/json"}
        answers.append(httpx.post(f"{base}/graphql", content=body(), headers=headers, timeout=30))

    sender = threading.Thread(target=send)
    sender.start()
    try:
        assert received.wait(timeout=10)
        time.sleep(0.2)  # the first chunk reaches the server (no assertion hangs on this)
        process.terminate()
        # Shutting down: new connections are refused while the request in flight goes on.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/health", timeout=0.5)
            except httpx.TransportError:
                break
            time.sleep(0.1)
        else:
            pytest.fail("hub serve kept accepting connections after SIGTERM")
    finally:
        release.set()
        sender.join(timeout=30)
    assert [answer.json() for answer in answers] == [{"data": {"sites": {"totalCount": 0}}}]
    output = process.communicate(timeout=30)[0].decode()
    assert process.returncode in (0, -15), output
