"""The floor: the hub's OpenSites answer from its own tables, with raw ASGI, asyncpg and orjson.

No GraphQL, no ORM, no authentication: every ``POST /graphql`` gets the answer to
``queries/hub.graphql`` — the 500 most recently updated open sites, their commune and
département names, their actions (most recent first) with topics and operators' organization
names, with the hub's global ids. Four set-oriented statements per request (sites with commune
and département; actions by site; topics; operators by action): the best case of a server
batching one statement per level.

``?departement=31`` (repeatable) keeps the sites of those départements only: the scope of a
territorial operator of the demo, so that the floor can be compared with the hub serving one.

    FLOOR_DSN=postgres://… uvicorn bench.peer.floor:app --host 127.0.0.1 --port 5100
"""

from __future__ import annotations

import base64
import os
from collections import defaultdict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

import asyncpg
import orjson

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

FIRST = 500
Q_SITES = """
SELECT s.id, s.name, s.address, s.population_total, s.population_minors,
       c.name AS commune, d.name AS departement
FROM site s JOIN commune c ON c.code = s.commune_id
JOIN departement d ON d.code = s.departement_code
WHERE s.status = 'open' AND ($2::text[] IS NULL OR s.departement_code = ANY($2::text[]))
ORDER BY s.updated_at DESC, s.id DESC LIMIT $1"""
Q_ACTIONS = """
SELECT l.site_id, a.id, a.name FROM action_site l JOIN action a ON a.id = l.action_id
WHERE l.site_id = ANY($1::int[]) ORDER BY a.started_at DESC, a.id DESC"""
Q_TOPICS = (
    "SELECT action_id, topic FROM action_topic WHERE action_id = ANY($1::int[]) ORDER BY topic"
)
Q_OPERATORS = """
SELECT l.action_id, o.name FROM action_operator l JOIN "user" u ON u.id = l.user_id
JOIN organization o ON o.id = u.organization_id
WHERE l.action_id = ANY($1::int[]) ORDER BY u.id"""


def site_id(n: int) -> str:
    return base64.b64encode(f"Site:{n}".encode()).decode()


async def answer(connection: Any, departements: list[str] | None) -> bytes:
    sites = await connection.fetch(Q_SITES, FIRST, departements)
    links = await connection.fetch(Q_ACTIONS, [r["id"] for r in sites])
    action_ids = sorted({r["id"] for r in links})
    topics: defaultdict[int, list[str]] = defaultdict(list)
    operators: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in await connection.fetch(Q_TOPICS, action_ids):
        topics[r["action_id"]].append(r["topic"].upper())
    for r in await connection.fetch(Q_OPERATORS, action_ids):
        operators[r["action_id"]].append({"organization": {"name": r["name"]}})
    actions: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in links:
        actions[r["site_id"]].append(
            {"name": r["name"], "topics": topics[r["id"]], "operators": operators[r["id"]]}
        )
    nodes = [
        {
            "id": site_id(r["id"]),
            "name": r["name"],
            "address": r["address"],
            "population": {"total": r["population_total"], "minors": r["population_minors"]},
            "commune": {"name": r["commune"]},
            "departement": {"name": r["departement"]},
            "actions": actions[r["id"]],
        }
        for r in sites
    ]
    return orjson.dumps({"data": {"sites": {"nodes": nodes}}})


class Floor:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.pool: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        more = True
        while more:  # the request's body is the same every time: read and dropped
            more = (await receive()).get("more_body", False)
        if scope["method"] != "POST" or scope["path"] != "/graphql":
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        departements = parse_qs(scope["query_string"].decode()).get("departement")
        async with self.pool.acquire() as connection:
            body = await answer(connection, departements)
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # The hub's pool size (Settings.db_pool_size), so that neither waits on fewer.
                self.pool = await asyncpg.create_pool(self.dsn, min_size=2, max_size=10)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


app = Floor(os.environ.get("FLOOR_DSN", "postgres://postgres@127.0.0.1:5432/hub_peer"))
