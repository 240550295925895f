"""The benchmark's server subprocess: uvicorn serving the hub of one source tree.

``bench/server.py`` runs this file as a script, ``python -P bench/serve_tree.py URL FD
SETTINGS``, with the tree's root alone on ``PYTHONPATH``: the repository's own, or a baseline
revision's worktree (``--baseline``). So it imports the hub's packages from that tree, and
nothing from ``bench/`` (a baseline may have another one, or none). Before serving it prints
one JSON line: where each package was imported from, and which of the benchmark's settings
that tree's ``Settings`` does not have (a baseline may lack newer ones: they are left out).

A request carrying ``x-bench-count: 1`` is answered with ``x-bench-statements``: the SQL
statements it ran. Counting logs every statement, so only those requests pay for it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import importlib.util
import json
import os
import socket
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.settings import Settings

PACKAGES = ("hub", "permissions", "resolvers", "schema")
COUNT_HEADER = b"x-bench-count"
STATEMENTS_HEADER = b"x-bench-statements"

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[Message, Receive, Send], Awaitable[None]]


def settings_of(database_url: str, wanted: dict[str, Any]) -> tuple[Settings, list[str]]:
    """This tree's Settings with the ``wanted`` values it knows (given as JSON values), and
    the names of those it does not know."""
    from hub.settings import Environment, Settings

    known = {field.name for field in dataclasses.fields(Settings)}
    values = {**wanted, "database_url": database_url}
    values["environment"] = Environment(values["environment"])
    values["dev_issuer_key"] = Path(values["dev_issuer_key"])
    given = {name: value for name, value in values.items() if name in known}
    return Settings(**given), sorted(set(values) - known)


class CountOnDemand:
    """Counts the statements of the requests that ask for it, into a response header."""

    def __init__(self, app: Asgi) -> None:
        self.app = app

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (COUNT_HEADER, b"1") not in scope["headers"]:
            await self.app(scope, receive, send)
            return
        from hub.database import count_statements

        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        with count_statements() as counter:
            await self.app(scope, receive, hold)
        # The answer is held until the count is known: the header goes before the body.
        start, *rest = held
        headers = [*start["headers"], (STATEMENTS_HEADER, str(counter.count).encode())]
        await send({**start, "headers": headers})
        for message in rest:
            await send(message)


async def serve(database_url: str, fd: int, settings: Settings) -> None:
    import uvicorn

    from hub import database
    from hub.server.app import create_app

    # Not create_app's own lifespan: it connects inside uvicorn's lifespan task, and
    # tortoise 1.x keeps the connection in a context variable of that task, which request
    # tasks do not inherit (every query then fails with "No TortoiseContext is currently
    # active"). Connected here, in the task that starts the server, every request task
    # copies the context that holds the connection.
    await database.connect(database_url)
    tuned = _as_hub_serve_runs_it(settings)
    app = CountOnDemand(create_app(settings, manage_database=False, **tuned["app"]))
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="on", **tuned["uvicorn"]
    )
    try:
        # The parent bound the socket: no race for a free port, and only loopback listens.
        await uvicorn.Server(config).serve(sockets=[socket.socket(fileno=fd)])
    finally:
        await database.disconnect()


def _as_hub_serve_runs_it(settings: Settings) -> dict[str, dict[str, Any]]:
    """What ``hub serve`` adds to the app and to uvicorn, in the trees that have it: the
    garbage collector tuned once the app is ready, and the HTTP protocol with its bounds.
    Measured without them, a tree would not be measured as it is served. Older trees (a
    baseline) have neither and get plain uvicorn, as their ``hub serve`` did."""
    tuned: dict[str, dict[str, Any]] = {"app": {}, "uvicorn": {}}
    if importlib.util.find_spec("hub.server.gc_tuning") is not None:
        from hub.server import gc_tuning

        threshold = settings.gc_threshold
        tuned["app"]["when_ready"] = lambda: gc_tuning.tune(threshold)
    if importlib.util.find_spec("hub.server.serving") is not None:
        from hub.server.serving import uvicorn_options

        tuned["uvicorn"] = uvicorn_options(settings)
    return tuned


def main(argv: list[str]) -> None:
    database_url, fd, wanted = argv[1], int(argv[2]), json.loads(argv[3])
    settings, unknown = settings_of(database_url, wanted)
    imported = {name: importlib.import_module(name).__file__ for name in PACKAGES}
    print(json.dumps({"imported": imported, "unknown_settings": unknown}), flush=True)
    # Nothing else is read from the pipe: later output would only fill it.
    with open(os.devnull, "wb") as devnull:
        os.dup2(devnull.fileno(), sys.stdout.fileno())
    asyncio.run(serve(database_url, fd, settings))


if __name__ == "__main__":
    main(sys.argv)
