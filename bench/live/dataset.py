"""What the run measures on the seeded demo data: the territories, their sites, and the
subscribers' callers (personas) with their tokens.

The territories are the ``n`` départements with the most sites. Most subscribers follow them
as the national administrator; one in ten as a territorial persona of the département (an
active correspondent or local administrator of an organization intervening there, the
demo's ``correspondent@…`` for the Haute-Garonne) and one in ten as the national actor. A
persona is kept only if it reads every site of its territory (``sites(filter: {locations})``
counts as many as the administrator's): then every subscriber should get every event of its
territory, once.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from tortoise import connections

from bench.live.driver import Site, Territory
from bench.server import BENCH_CALLER, caller_token
from bench.serving import Connection, graphql_post
from hub.demo.reference import PERSONA_DOMAIN

NATIONAL_ACTOR = f"national_actor@{PERSONA_DOMAIN}"
COUNT = """query BenchCount($code: String!) {
  sites(filter: { locations: [{ level: DEPARTEMENT, code: $code }] }) { totalCount }
}"""


@dataclass(frozen=True)
class Subscriber:
    territory: str
    who: str


async def busiest_departements(count: int) -> list[str]:
    rows = await connections.get("default").execute_query_dict(
        "SELECT departement_code AS code FROM site GROUP BY departement_code"
        " ORDER BY count(*) DESC, departement_code LIMIT $1",
        [count],
    )
    return [row["code"] for row in rows]


async def territories(codes: list[str]) -> list[Territory]:
    """Each département's sites with their versions, as they are now."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT id, version, departement_code AS code FROM site"
        " WHERE departement_code = ANY($1) ORDER BY id",
        [codes],
    )
    sites: dict[str, list[Site]] = {code: [] for code in codes}
    for row in rows:
        sites[row["code"]].append(Site(row["id"], row["version"]))
    return [Territory(code, sites[code]) for code in codes]


async def territorial_people(codes: list[str]) -> dict[str, str]:
    """A correspondent or local administrator per département (the lowest id), if any."""
    rows = await connections.get("default").execute_query_dict(
        'SELECT DISTINCT ON (a.code) a.code, u.email FROM "user" u'
        " JOIN intervention_area a ON a.organization_id = u.organization_id OR a.user_id = u.id"
        " WHERE u.role IN ('correspondent', 'local_admin') AND u.status = 'active'"
        " AND a.level = 'departement' AND a.code = ANY($1) ORDER BY a.code, u.id",
        [codes],
    )
    return {row["code"]: row["email"] for row in rows}


def plan_subscribers(
    count: int, codes: list[str], territorial: dict[str, str], actor: str | None
) -> list[Subscriber]:
    """``count`` subscribers spread evenly over the départements: a tenth of each as its
    territorial persona, a tenth as the national actor (when they qualified), the rest as
    the national administrator."""
    planned = []
    for index in range(count):
        code = codes[index % len(codes)]
        turn = (index // len(codes)) % 10
        who = BENCH_CALLER
        if turn == 0 and code in territorial:
            who = territorial[code]
        elif turn == 5 and actor is not None:
            who = actor
        planned.append(Subscriber(code, who))
    return planned


async def tokens(database_url: str, people: set[str]) -> dict[str, str]:
    return {who: await caller_token(database_url, who) for who in sorted(people)}


@dataclass
class Personas:
    # The territorial persona of each département that has one that qualified.
    territorial: dict[str, str]
    # The national actor, if it qualified for every département.
    actor: str | None
    # Who was left out, and why.
    notes: list[str]


async def qualified(port: int, codes: list[str], database_url: str) -> Personas:
    """The personas that read every site of their territories, asked of the hub."""
    candidates = await territorial_people(codes)
    admin = await caller_token(database_url)
    actor = await caller_token(database_url, NATIONAL_ACTOR)
    connection = await Connection.open(port)
    personas = Personas({}, NATIONAL_ACTOR, [])
    try:
        for code in codes:
            expected = await _count(connection, admin, code)
            who = candidates.get(code)
            if who is None:
                personas.notes.append(f"{code}: no territorial persona")
            elif await _count(connection, await caller_token(database_url, who), code) == expected:
                personas.territorial[code] = who
            else:
                personas.notes.append(f"{code}: {who} does not read every site")
            if personas.actor and await _count(connection, actor, code) != expected:
                personas.notes.append(f"{NATIONAL_ACTOR} does not read every site of {code}")
                personas.actor = None
    finally:
        connection.close()
    return personas


async def _count(connection: Connection, token: str, code: str) -> int:
    _, body = await connection.post(graphql_post(token, COUNT, {"code": code}))
    answer = orjson.loads(body)
    if answer.get("errors"):
        raise RuntimeError(f"counting the sites of {code}: {answer['errors']}")
    return int(answer["data"]["sites"]["totalCount"])
