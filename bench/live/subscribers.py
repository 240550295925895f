"""The subscribers: one asyncio process holding many graphql-transport-ws connections, each
with one ``sitesChanged`` subscription, recording when each event arrives.

``python -m bench.live.subscribers PLAN OUT``: PLAN is a JSON file (``Plan``); the process
connects every subscriber (a few at a time), then says so on stdout, and answers the lines
its parent writes on stdin: ``status`` (one JSON line of counts), ``stop`` (closes every
connection, writes OUT — every receipt, every failure — and exits). What it does between
messages is kept small (a clock reading, ``orjson.loads``, an append): its CPU is measured
with the hub's, to show it is not what limits the run.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import websockets
from websockets.asyncio.client import ClientConnection

SITES_CHANGED = """subscription BenchSitesChanged($location: LocationInput) {
  sitesChanged(location: $location) { id at kind site { id name } }
}"""
CONNECT_SECONDS = 120.0


@dataclass
class Plan:
    url: str
    # Each subscriber's token and département, by index (its place in the run's plan).
    subscribers: dict[int, tuple[str, str]]
    # permessage-deflate, as browsers negotiate it; or none.
    compression: bool = True
    # Handshakes under way at once.
    connecting: int = 50

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "url": self.url,
                "subscribers": [[i, t, c] for i, (t, c) in self.subscribers.items()],
                "compression": self.compression,
                "connecting": self.connecting,
            }
        )

    @classmethod
    def from_json(cls, raw: bytes) -> Plan:
        data = orjson.loads(raw)
        subscribers = {int(i): (str(t), str(c)) for i, t, c in data["subscribers"]}
        return cls(data["url"], subscribers, bool(data["compression"]), int(data["connecting"]))


@dataclass
class Receipts:
    # [subscriber, event's global id, event's `at`, time.time() on receipt]
    received: list[tuple[int, str, str, float]] = field(default_factory=list)
    acknowledged: int = 0
    # Subscribers that received at least one event.
    reached: set[int] = field(default_factory=set)
    # What went wrong, by kind ("close 4413", "error TOO_MANY_SUBSCRIPTIONS", …), and the
    # first few in full.
    failures: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    stopping: bool = False

    def fail(self, kind: str, detail: str) -> None:
        self.failures[kind] += 1
        if len(self.examples) < 10:
            self.examples.append(f"{kind}: {detail[:300]}")

    def status(self) -> dict[str, Any]:
        return {
            "acknowledged": self.acknowledged,
            "reached": len(self.reached),
            "messages": len(self.received),
            "failures": sum(self.failures.values()),
        }


async def subscriber(
    plan: Plan,
    index: int,
    receipts: Receipts,
    connecting: asyncio.Semaphore,
    settled: Callable[[], None],
) -> None:
    """Connects, subscribes (then calls ``settled``, or on failure), and reads until stopped."""
    socket: ClientConnection | None = None
    try:
        try:
            socket = await _subscribe(plan, index, receipts, connecting)
        finally:
            settled()
        if socket is not None:
            await _read(socket, index, receipts)
    except websockets.ConnectionClosed as closed:
        if not receipts.stopping:
            received = closed.rcvd
            code = received.code if received else None
            receipts.fail(f"close {code}", received.reason if received else "no close frame")
    except (OSError, TimeoutError, websockets.InvalidHandshake) as error:
        if not receipts.stopping:
            receipts.fail(f"connection {type(error).__name__}", str(error))
    finally:
        if socket is not None:
            await socket.close()


async def _subscribe(
    plan: Plan, index: int, receipts: Receipts, connecting: asyncio.Semaphore
) -> ClientConnection | None:
    token, code = plan.subscribers[index]
    async with connecting:
        socket = await websockets.connect(
            plan.url,
            subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
            compression="deflate" if plan.compression else None,
            proxy=None,
            open_timeout=CONNECT_SECONDS,
            ping_interval=None,  # the hub pings; the client answers
            max_queue=None,  # read as it comes: no back-pressure from the client side
        )
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await socket.send(orjson.dumps(init).decode())
        ack = orjson.loads(await asyncio.wait_for(socket.recv(), CONNECT_SECONDS))
        if ack.get("type") != "connection_ack":
            receipts.fail("no connection_ack", str(ack))
            await socket.close()
            return None
        variables = {"location": {"level": "DEPARTEMENT", "code": code}}
        subscribe = {
            "id": "1",
            "type": "subscribe",
            "payload": {"query": SITES_CHANGED, "variables": variables},
        }
        await socket.send(orjson.dumps(subscribe).decode())
        receipts.acknowledged += 1
        return socket


async def _read(socket: ClientConnection, index: int, receipts: Receipts) -> None:
    received = receipts.received
    async for raw in socket:
        now = time.time()
        message = orjson.loads(raw)
        kind = message.get("type")
        if kind == "next":
            payload = message["payload"]
            if payload.get("errors"):
                receipts.fail("next with errors", str(payload["errors"]))
            activity = (payload.get("data") or {}).get("sitesChanged")
            if activity:
                received.append((index, activity["id"], activity["at"], now))
                receipts.reached.add(index)
        elif kind == "ping":
            await socket.send('{"type":"pong"}')
        elif kind == "pong":
            continue
        else:
            # error (TOO_MANY_SUBSCRIPTIONS, RATE_LIMITED, …) or complete: the subscription
            # is over, the connection stays.
            codes = [
                (error.get("extensions") or {}).get("code", "?")
                for error in (message.get("payload") or [])
                if isinstance(error, dict)
            ]
            receipts.fail(f"{kind} {','.join(codes)}".strip(), str(message))
    if not receipts.stopping:
        code = socket.close_code
        receipts.fail(f"close {code}", socket.close_reason or "")


async def run(plan: Plan) -> Receipts:
    receipts = Receipts()
    connecting = asyncio.Semaphore(plan.connecting)
    ready = asyncio.Event()
    unsettled = len(plan.subscribers)

    def settled() -> None:
        nonlocal unsettled
        unsettled -= 1
        if unsettled == 0:
            ready.set()

    tasks = [
        asyncio.create_task(subscriber(plan, index, receipts, connecting, settled))
        for index in plan.subscribers
    ]
    # Ready once every subscriber has subscribed, or failed to.
    await ready.wait()
    _say({"ready": receipts.status(), "failures": dict(receipts.failures)})
    reader = await _stdin()
    while True:
        line = (await reader.readline()).decode().strip()
        if line == "status":
            _say(receipts.status())
        elif line in ("stop", ""):
            break
    receipts.stopping = True
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return receipts


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(orjson.dumps(message).decode() + "\n")
    sys.stdout.flush()


async def _stdin() -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


def main(argv: list[str]) -> None:
    plan, out = Plan.from_json(Path(argv[1]).read_bytes()), Path(argv[2])
    receipts = asyncio.run(run(plan))
    document = {
        "received": receipts.received,
        "failures": dict(receipts.failures),
        "examples": receipts.examples,
        "acknowledged": receipts.acknowledged,
    }
    out.write_bytes(orjson.dumps(document))
    _say({"done": str(out)})


if __name__ == "__main__":
    main(sys.argv)
