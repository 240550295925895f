"""HTTP-level hardening: a budget per address before authentication, the token checked before
the body is read, every wait on a client bounded, every refusal shaped like the others
(``{"errors": [{"message", "extensions": {"code"}}]}``), the shutdown included.

The bounds that live in the server (uvicorn's protocol) are tested against a real
``hub serve`` over raw sockets; the rest through the app, in process.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from hub.server.app import create_app
from hub.server.auth.middleware import Authenticator
from hub.settings import Settings, SettingsError
from permissions.principal import Principal
from tests.processes import start_hub, stop_process
from tests.support import bearer, error_codes

# Every answer a test waits for comes well before this, or the test fails.
DEADLINE_SECONDS = 30
QUERY = {"query": "{ __typename }"}
FORGED = bearer("forged.token.value")


# --- Through the app, in process -------------------------------------------------------------


def _client(app: Any, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40_000))
    return httpx.AsyncClient(transport=transport, base_url="http://hub.test")


@pytest.fixture
def tokens_checked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the Authorization headers the hub reads."""
    checked: list[int] = []
    principal = Authenticator.principal

    async def counting(self: Authenticator, headers: Any) -> Principal:
        if "authorization" in headers:
            checked.append(1)
        return await principal(self, headers)

    monkeypatch.setattr(Authenticator, "principal", counting)
    return checked


async def test_forged_tokens_spend_their_address_budget_before_being_checked(
    settings: Settings, admin_token: str, tokens_checked: list[int]
) -> None:
    budget = replace(settings, rate_limit_address=3, rate_limit=0, rate_limit_anonymous=0)
    app = create_app(budget, manage_database=False)
    try:
        async with _client(app, "203.0.113.5") as flood, _client(app, "203.0.113.6") as other:
            for _ in range(3):
                refused = await flood.post("/graphql", json=QUERY, headers=FORGED)
                assert refused.status_code == 401
            assert len(tokens_checked) == 3
            for headers in (FORGED, bearer(admin_token), {}):
                limited = await flood.post("/graphql", json=QUERY, headers=headers)
                assert limited.status_code == 429, limited.text
                assert error_codes(limited.json()) == ["RATE_LIMITED"]
                assert int(limited.headers["retry-after"]) >= 1
                assert limited.json()["errors"][0]["extensions"]["retryAfter"] >= 1
            # Refused before the token was read; the exports are behind the same budget.
            assert len(tokens_checked) == 3
            export = await flood.get("/exports/sites.csv", headers=bearer(admin_token))
            assert export.status_code == 429
            assert (await flood.get("/health")).status_code == 200
            # Another address has its own budget.
            answer = await other.post("/graphql", json=QUERY, headers=bearer(admin_token))
            assert answer.json() == {"data": {"__typename": "Query"}}
    finally:
        await app.state.rate_limits.close()


async def test_zero_disables_the_address_budget(settings: Settings) -> None:
    app = create_app(replace(settings, rate_limit_address=0), manage_database=False)
    try:
        async with _client(app, "203.0.113.7") as http:
            answers = [await http.post("/graphql", json=QUERY, headers=FORGED) for _ in range(5)]
            assert {answer.status_code for answer in answers} == {401}
    finally:
        await app.state.rate_limits.close()


@dataclass
class Body:
    """A request body that records whether the hub has read any of it."""

    size: int
    read: bool = False

    async def stream(self) -> AsyncIterator[bytes]:
        self.read = True
        prefix = b'{"query": "{ __typename }", "extensions": {"pad": "'
        yield prefix
        yield b"x" * (self.size - len(prefix) - 3)
        yield b'"}}'


@pytest.mark.parametrize("size", [200, 1_048_576])
async def test_a_refused_token_is_refused_before_its_body_is_read(
    settings: Settings, admin_token: str, size: int
) -> None:
    app = create_app(replace(settings, rate_limit_address=2), manage_database=False)
    headers = {"content-type": "application/json", "content-length": str(size)}
    try:
        async with _client(app, "203.0.113.8") as http:
            forged = Body(size)
            refused = await http.post(
                "/graphql", content=forged.stream(), headers={**headers, **FORGED}
            )
            assert refused.status_code == 401
            assert not forged.read
            genuine = Body(size)
            answer = await http.post(
                "/graphql", content=genuine.stream(), headers={**headers, **bearer(admin_token)}
            )
            assert answer.json() == {"data": {"__typename": "Query"}}
            assert genuine.read
            spent = Body(size)
            limited = await http.post(
                "/graphql", content=spent.stream(), headers={**headers, **bearer(admin_token)}
            )
            assert limited.status_code == 429
            assert not spent.read
    finally:
        await app.state.rate_limits.close()


def test_hardening_settings() -> None:
    defaults = Settings.from_environ({})
    assert defaults.rate_limit_address == 2400
    assert (defaults.body_timeout_seconds, defaults.header_timeout_seconds) == (30, 10)
    assert (defaults.keep_alive_seconds, defaults.max_header_bytes) == (5, 16_384)
    chosen = Settings.from_environ(
        {
            "HUB_RATE_LIMIT_ADDRESS": "0",
            "HUB_BODY_TIMEOUT_SECONDS": "5",
            "HUB_HEADER_TIMEOUT_SECONDS": "3",
            "HUB_KEEP_ALIVE_SECONDS": "2",
            "HUB_MAX_HEADER_BYTES": "32768",
        }
    )
    assert chosen.rate_limit_address == 0
    assert (chosen.body_timeout_seconds, chosen.header_timeout_seconds) == (5, 3)
    assert (chosen.keep_alive_seconds, chosen.max_header_bytes) == (2, 32_768)
    refused = {
        "HUB_RATE_LIMIT_ADDRESS": ("-1", "HUB_RATE_LIMIT_ADDRESS must be at least 0, got -1"),
        "HUB_BODY_TIMEOUT_SECONDS": ("0", "HUB_BODY_TIMEOUT_SECONDS must be at least 1, got 0"),
        "HUB_HEADER_TIMEOUT_SECONDS": ("soon", "must be a whole number, got 'soon'"),
        "HUB_KEEP_ALIVE_SECONDS": ("0", "HUB_KEEP_ALIVE_SECONDS must be at least 1, got 0"),
        "HUB_MAX_HEADER_BYTES": ("1024", "HUB_MAX_HEADER_BYTES must be at least 4096, got 1024"),
    }
    for name, (value, message) in refused.items():
        with pytest.raises(SettingsError, match=message):
            Settings.from_environ({name: value})


# --- Against a real `hub serve`, over raw sockets ----------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def code(self) -> str:
        return str(self.body["errors"][0]["extensions"]["code"])


class Connection:
    """One TCP connection to the served hub, spoken to byte by byte."""

    def __init__(self, base: str) -> None:
        url = urlsplit(base)
        self.sock = socket.create_connection((url.hostname, url.port), timeout=DEADLINE_SECONDS)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def head(self, method: str, path: str, *headers: tuple[str, str]) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", "Host: hub.test"]
        lines += [f"{name}: {value}" for name, value in headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def answer(self) -> Answer:
        """The next answer; the test fails if none comes before the deadline."""
        while b"\r\n\r\n" not in self.buffer:
            self._more()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers["content-length"])
        while len(self.buffer) < length:
            self._more()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        assert headers["content-type"] == "application/json", headers
        return Answer(int(status_line.split()[1]), headers, json.loads(body))

    def wait_until_closed(self) -> None:
        """Reads until the hub closes the connection; the test fails if it does not before
        the deadline (the socket's timeout)."""
        try:
            while self.sock.recv(65_536):
                pass
        except ConnectionResetError:
            pass

    def _more(self) -> None:
        chunk = self.sock.recv(65_536)
        assert chunk, f"the hub closed the connection without answering: {self.buffer!r}"
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


def _start(database_url: str, folder: Path, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    return start_hub(
        {
            "HUB_ENV": "test",
            "HUB_DATABASE_URL": database_url,
            "HUB_DEV_ISSUER_KEY": str(folder / "dev-issuer-key.json"),
            "HUB_BODY_TIMEOUT_SECONDS": "1",
            "HUB_HEADER_TIMEOUT_SECONDS": "1",
            **env,
        }
    )


@pytest.fixture
def served(fresh_db: str, tmp_path: Path) -> Iterator[str]:
    """`hub serve` with one-second deadlines on headers and bodies."""
    process, base = _start(fresh_db, tmp_path)
    try:
        yield base
    finally:
        stop_process(process)


@pytest.fixture
def connect(served: str) -> Iterator[Any]:
    opened: list[Connection] = []

    def open_one() -> Connection:
        opened.append(Connection(served))
        return opened[-1]

    yield open_one
    for connection in opened:
        connection.close()


def test_a_body_shorter_than_declared_is_answered_408_and_closed(connect: Any) -> None:
    hub = connect()
    headers = [("Content-Type", "application/json"), ("Content-Length", "100")]
    hub.send(hub.head("POST", "/graphql", *headers) + b'{"query": ')
    answer = hub.answer()
    assert (answer.status, answer.code) == (408, "REQUEST_TIMEOUT")
    assert answer.headers["connection"] == "close"
    hub.wait_until_closed()


def test_an_incomplete_head_is_answered_408_and_an_idle_connection_closed(connect: Any) -> None:
    slow = connect()
    slow.send(b"POST /graphql HTTP/1.1\r\nHost: hub.test\r\nContent-Type: appli")
    answer = slow.answer()
    assert (answer.status, answer.code) == (408, "REQUEST_TIMEOUT")
    assert answer.headers["connection"] == "close"
    slow.wait_until_closed()
    idle = connect()
    idle.wait_until_closed()


def test_a_head_too_large_or_malformed_gets_a_shaped_refusal(connect: Any) -> None:
    huge = connect()
    huge.send(huge.head("POST", "/graphql", ("Authorization", "Bearer " + "a" * 267_000)))
    answer = huge.answer()
    assert (answer.status, answer.code) == (431, "REQUEST_HEADER_FIELDS_TOO_LARGE")
    huge.wait_until_closed()
    malformed = connect()
    malformed.send(b"POST /graphql HTTP/1.1\r\nHost: hub.test\r\nno colon here\r\n\r\n")
    answer = malformed.answer()
    assert (answer.status, answer.code) == (400, "BAD_REQUEST")
    malformed.wait_until_closed()
    # Malformed in the body the application is reading: the same answer.
    chunked = connect()
    headers = [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")]
    chunked.send(chunked.head("POST", "/graphql", *headers) + b'4\r\n{"qu\r\nzz\r\n')
    answer = chunked.answer()
    assert (answer.status, answer.code) == (400, "BAD_REQUEST")
    chunked.wait_until_closed()


def test_a_forged_token_is_answered_before_its_body_and_the_rest_is_bounded(
    connect: Any,
) -> None:
    hub = connect()
    headers = [("Authorization", "Bearer forged"), ("Content-Length", "1048576")]
    hub.send(hub.head("POST", "/graphql", *headers))
    # Not a byte of the body sent: the token alone decides.
    answer = hub.answer()
    assert (answer.status, answer.code) == (401, "UNAUTHENTICATED")
    # A client trickling the body the answer did not need is cut off after the deadline.
    deadline = time.monotonic() + DEADLINE_SECONDS
    with pytest.raises(OSError):  # the hub closed the connection: sending fails
        while time.monotonic() < deadline:
            hub.send(b"x")
            time.sleep(0.1)
    assert time.monotonic() < deadline


def test_a_request_cut_by_the_shutdown_gets_a_shaped_503(fresh_db: str, tmp_path: Path) -> None:
    env = {"HUB_SHUTDOWN_GRACE_SECONDS": "1", "HUB_BODY_TIMEOUT_SECONDS": "60"}
    process, base = _start(fresh_db, tmp_path, **env)
    hub = Connection(base)
    try:
        headers = [("Content-Type", "application/json"), ("Content-Length", "100")]
        hub.send(hub.head("POST", "/graphql", *headers) + b'{"query": ')
        time.sleep(0.5)  # the request reaches the app (no assertion hangs on this)
        process.terminate()
        answer = hub.answer()
        output = process.communicate(timeout=DEADLINE_SECONDS)[0].decode()
    finally:
        hub.close()
        stop_process(process)
    assert (answer.status, answer.code) == (503, "SERVICE_UNAVAILABLE")
    assert answer.headers["retry-after"] == "5"
    assert "Traceback" not in output
    assert "Exception in ASGI application" not in output
    assert "Refused a request cut by the shutdown" in output


async def test_a_cancelled_request_is_answered_503_in_process(settings: Settings) -> None:
    app = create_app(settings, manage_database=False)
    sent: list[dict[str, Any]] = []
    reading, never = asyncio.Event(), asyncio.Event()

    async def receive() -> dict[str, Any]:
        reading.set()
        await never.wait()
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"50")],
        "client": ("127.0.0.1", 40_000),
        "server": ("hub.test", 80),
        "scheme": "http",
        "http_version": "1.1",
        "root_path": "",
    }
    try:
        task = asyncio.create_task(app(scope, receive, send))
        await asyncio.wait_for(reading.wait(), DEADLINE_SECONDS)
        task.cancel()
        await asyncio.wait_for(task, DEADLINE_SECONDS)
    finally:
        await app.state.rate_limits.close()
    assert sent[0]["status"] == 503
    headers = dict(sent[0]["headers"])
    assert headers[b"retry-after"] == b"5"
    assert json.loads(sent[1]["body"])["errors"][0]["extensions"] == {"code": "SERVICE_UNAVAILABLE"}
