"""The mutations: ``updateSite`` renaming sites of the measured territories, at a steady rate,
over a few keep-alive HTTP/1.1 connections (``bench.serving.Connection``).

Mutation ``i`` is due at ``start + i / rate`` and renames the next site of territory
``i % territories`` that has no rename under way (a site is never renamed twice at once, so
its version is always known). A connection takes the next due mutation as soon as it is free:
when every connection is busy the mutations wait, and their lag behind the schedule is
recorded (the rate is then the hub's, not the one asked for).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson
from strawberry.relay import to_base64

from bench.serving import Connection, graphql_post

UPDATE_SITE = """mutation BenchRename($id: ID!, $version: Int!, $input: UpdateSiteInput!) {
  updateSite(id: $id, version: $version, input: $input) { site { version } errors { code message } }
}"""


@dataclass
class Site:
    id: int
    version: int
    busy: bool = False


@dataclass
class Territory:
    code: str
    sites: list[Site]
    _next: itertools.cycle[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._next = itertools.cycle(range(len(self.sites)))

    def free_site(self) -> Site | None:
        for _ in range(len(self.sites)):
            site = self.sites[next(self._next)]
            if not site.busy:
                return site
        return None


@dataclass
class Mutation:
    index: int
    territory: str
    site_id: int
    due: float  # time.time() it was due at
    sent: float
    answered: float
    worker: str
    error: str | None = None


@dataclass
class Drive:
    mutations: list[Mutation] = field(default_factory=list)
    # Mutations not sent: no site of their territory was free.
    skipped: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0

    @property
    def succeeded(self) -> list[Mutation]:
        return [m for m in self.mutations if m.error is None]


async def drive(
    port: int,
    token: str,
    territories: Sequence[Territory],
    rate: float,
    seconds: float,
    connections: int,
    label: str,
) -> Drive:
    """``rate × seconds`` renames, paced, over ``connections`` connections."""
    total = round(rate * seconds)
    due: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    measured = Drive()

    async def pace() -> None:
        start = time.time() + 0.05
        measured.started = start
        for index in range(total):
            at = start + index / rate
            delay = at - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            due.put_nowait((index, at))
        for _ in range(connections):
            due.put_nowait(None)

    async def send() -> None:
        connection = await Connection.open(port)
        try:
            while (item := await due.get()) is not None:
                index, at = item
                territory = territories[index % len(territories)]
                site = territory.free_site()
                if site is None:
                    measured.skipped += 1
                    continue
                site.busy = True
                try:
                    connection, mutation = await _rename(connection, port, token, site, label)
                finally:
                    site.busy = False
                mutation.index, mutation.territory, mutation.due = index, territory.code, at
                measured.mutations.append(mutation)
                if mutation.error is not None:
                    measured.errors[mutation.error.split(":")[0]] += 1
                    if len(measured.examples) < 3:
                        measured.examples.append(mutation.error[:300])
        finally:
            connection.close()

    await asyncio.gather(pace(), *(send() for _ in range(connections)))
    measured.ended = time.time()
    return measured


async def _rename(
    connection: Connection, port: int, token: str, site: Site, label: str
) -> tuple[Connection, Mutation]:
    """Renames ``site``: what happened, and the connection to use next (a new one after a
    refused request, whose body is left unread)."""
    variables = {
        "id": to_base64("Site", site.id),
        "version": site.version,
        "input": {"identity": {"name": f"Bench live {label} {time.time():.6f}"}},
    }
    request = graphql_post(token, UPDATE_SITE, variables)
    sent = time.time()
    error: str | None = None
    worker = "?"
    try:
        headers, body = await connection.post(request)
        worker = headers.get("x-hub-worker", "?")
        answer = orjson.loads(body)
        payload = (answer.get("data") or {}).get("updateSite")
        if answer.get("errors") or not payload:
            error = f"GraphQL: {answer.get('errors')}"
        elif payload["errors"]:
            error = f"{payload['errors'][0]['code']}: {payload['errors'][0]['message']}"
        else:
            site.version = payload["site"]["version"]
    except (OSError, RuntimeError, asyncio.IncompleteReadError) as failure:
        error = f"HTTP: {failure}"
        connection.close()
        connection = await Connection.open(port)
    mutation = Mutation(-1, "", site.id, 0.0, sent, time.time(), worker, error)
    return connection, mutation
