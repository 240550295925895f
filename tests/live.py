"""The hub served for real in the test's own event loop (so that its database and the
test's are the same): uvicorn on a free port, and a graphql-transport-ws client over a real
WebSocket. Other servers a test needs (a webhook receiver) are served the same way."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn
import websockets
from starlette.types import ASGIApp
from websockets.asyncio.client import ClientConnection

from hub.live.bus import BUS
from hub.server.app import create_app
from hub.server.serving import uvicorn_options
from hub.settings import Settings

# An event reaches its subscriber within this many seconds, or the test fails.
WITHIN = 5.0
# How long a test waits to be sure that nothing comes.
QUIET = 1.0


@asynccontextmanager
async def serving(app: ASGIApp, settings: Settings) -> AsyncIterator[str]:
    """``app`` served by uvicorn on a free port, with the hub's server options: its base
    URL (``http://127.0.0.1:<port>``)."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="on",
        **uvicorn_options(settings),
    )  # fmt: skip
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[str]:
    """The hub over ``settings``' database on a free port: its ws:// URL of /graphql."""
    async with serving(create_app(settings, manage_database=False), settings) as base:
        yield base.replace("http://", "ws://") + "/graphql"


class Subscriber:
    """One graphql-transport-ws connection."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket

    @classmethod
    @asynccontextmanager
    async def connect(
        cls, url: str, token: str | None = None, payload: dict[str, Any] | None = None
    ) -> AsyncIterator[Subscriber]:
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as socket:
            subscriber = cls(socket)
            init = (
                payload
                if payload is not None
                else ({"Authorization": f"Bearer {token}"} if token else {})
            )
            await subscriber.send({"type": "connection_init", "payload": init})
            yield subscriber

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self, within: float = WITHIN) -> dict[str, Any]:
        frame = await asyncio.wait_for(self.socket.recv(), within)
        # Browsers' clients (graphql-ws) refuse binary frames.
        assert isinstance(frame, str), f"a binary frame: {frame!r}"
        message: dict[str, Any] = json.loads(frame)
        return message

    async def acknowledged(self) -> None:
        assert (await self.receive())["type"] == "connection_ack"

    async def subscribe(
        self, query: str, variables: dict[str, Any] | None = None, id: str = "1"
    ) -> None:
        payload = {"query": query, "variables": variables or {}}
        await self.send({"id": id, "type": "subscribe", "payload": payload})

    async def follow(
        self, query: str, variables: dict[str, Any] | None = None, id: str = "1"
    ) -> None:
        """``subscribe``, returning once the hub follows what was subscribed to: a change
        made before it does (the subscription's first step, run after the message arrives)
        is never announced. The hub is served in this process: its bus is this one's."""
        before = len(BUS)
        await self.subscribe(query, variables, id)
        deadline = asyncio.get_running_loop().time() + WITHIN
        while len(BUS) <= before:
            assert asyncio.get_running_loop().time() < deadline, "the hub never followed it"
            await asyncio.sleep(0.01)

    async def next(self, within: float = WITHIN) -> dict[str, Any]:
        """The payload of the next `next` message (an `error` or `complete` fails)."""
        message = await self.receive(within)
        assert message["type"] == "next", message
        payload: dict[str, Any] = message["payload"]
        return payload

    async def nothing(self, seconds: float = QUIET) -> None:
        try:
            message = await asyncio.wait_for(self.socket.recv(), seconds)
        except TimeoutError:
            return
        raise AssertionError(f"Expected nothing, got {message}")

    async def closed(self, within: float = WITHIN) -> tuple[int | None, str | None]:
        """The close code and reason, once the server closes the connection."""
        try:
            while True:
                await asyncio.wait_for(self.socket.recv(), within)
        except websockets.ConnectionClosed as closed:
            received = closed.rcvd
            return (received.code, received.reason) if received else (None, None)


async def metric(address: str, name: str) -> float:
    """A metric's value (the sum of its series matching ``name``, labels included), read from
    the served hub's /metrics; ``address`` is its ws:// or http:// URL."""
    base = address.replace("ws://", "http://").removesuffix("/graphql")
    async with httpx.AsyncClient(base_url=base) as http:
        text = (await http.get("/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name) and not line.startswith("#")
    )
