"""Benchmark of the hub: three canonical queries against a floor of hand-written SQL.

Not part of the test suite. Run ``python -m hub.server.benchmark`` (``make bench``); ``--help``
lists the options. For each database × size it

1. creates a throwaway database (SQLite temporary file, or a PostgreSQL database
   ``hub_bench_<pid>_<size>`` made through ``--postgres-url``), migrates it, loads the
   territories and seeds ``seed_demo(sites=N)``, timing both (then ANALYZE on PostgreSQL);
2. starts the real server (uvicorn running ``create_app`` in production settings) in a
   subprocess listening on a loopback socket, and sends sequential HTTP requests with httpx;
3. times each canonical query (median, p95 after warm-up), counts its SQL statements
   in-process (``count_statements`` only sees this process, so through ``ASGITransport``),
   and records the response size;
4. times the floor: the same data fetched with plain parameterized SQL through the same
   tortoise connection and serialized with ``json.dumps`` to the same shape, in-process,
   no HTTP. The floor's output is compared with the hub's, so that the ratio compares
   equal work.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from hub import database
from hub.settings import Environment, Settings

CENTS = Decimal("0.01")  # ActionFinance amounts have two decimal places

DEFAULT_SIZES = (500, 5000, 20000)
DEFAULT_DATABASES = ("sqlite", "postgres")
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REPEAT = 30
WARMUP = 3
# Per query and per side (hub or floor): a run stops repeating once this much time is spent.
DEFAULT_BUDGET_SECONDS = 60.0
SERVER_START_SECONDS = 60.0
MAP_PAGE = 500  # the page maximum (Settings.max_page_size): MAP fetches one page only
LIST_PAGE = 100
SHEET_CHILDREN = 20

MAP_QUERY = f"""
query Map {{
  sites(filter: {{statuses: [OPEN]}}, first: {MAP_PAGE}) {{
    totalCount
    nodes {{
      id name
      location {{ latitude longitude }}
      population {{ total }}
      commune {{ code name }}
    }}
  }}
}}
"""

LIST_QUERY = f"""
query List {{
  sites(first: {LIST_PAGE}) {{
    nodes {{
      id name status
      population {{ total minors }}
      commune {{ name departement {{ name }} }}
      actors {{ themes organization {{ name }} }}
      actions {{ name topics operators {{ organization {{ name }} }} }}
    }}
  }}
}}
"""

SHEET_QUERY = f"""
query Sheet($id: ID!) {{
  site(id: $id) {{
    id version name fieldType declaredAt installedAt isReinstallation
    createdAt updatedAt confirmedUnchangedAt status address hasLegalProcedure outOfDate
    location {{ latitude longitude address accessDetails }}
    commune {{ code name }}
    epci {{ code name }}
    departement {{ code name }}
    region {{ code name }}
    reinstalledFrom {{ id name }}
    createdBy {{ firstName lastName }}
    updatedBy {{ firstName lastName }}
    population {{
      total households women minors minorsInSchool countedAt
      minorsByAge {{ from0To3 from3To6 from6To12 from12To16 from16To18 }}
      dwellings {{ caravans huts tents cars mattresses }}
      origins
    }}
    census {{ status date runBy }}
    livingConditions {{
      water {{ status access accessTypes onSite within200m continuous stagnantWater }}
      sanitation {{
        status openDefecation workingToilets toiletTypes litAndLockable handWashing
      }}
      electricity {{ status access types }}
      waste {{ status pilingUp collectionNearby regularCollection }}
      pests {{ status present }}
      firePrevention {{ status diagnosisDone }}
    }}
    legalProcedures {{
      ownerComplaint justiceProcedure justiceDecision justiceDecisionDate justiceCourt
      policeAssistance policeRequestedAt policeGrantedAt bailiff
      administrativeOrder administrativeOrderDate insalubrityOrder insalubrityOrderDate
    }}
    ownership {{ ownerType parcels {{ parcel ownerType ownerName }} }}
    lifecycle {{
      status closedAt closedWithSolutions closingContext
      solutions {{ solution people households }}
    }}
    resorption {{ targetYear phases {{ phase startedAt completedAt }} }}
    actors {{
      themes createdAt
      organization {{ name }}
      user {{ firstName lastName }}
    }}
    actions {{
      id name startedAt endedAt topics
      operators {{ firstName lastName organization {{ name }} }}
      finances {{ year financeType plannedAmount spentAmount comment }}
      indicators {{
        year people households women minors healthFollowup employmentTraining
        employmentTrainingWomen shelteredPeople shelteredHouseholds housedPeople
        housedHouseholds minorsSchoolAge minorsInMediation enrolledNursery enrolledPrimary
        enrolledMiddle enrolledHigh
      }}
    }}
    journal(first: {SHEET_CHILDREN}) {{
      totalCount
      nodes {{
        body tags createdAt
        author {{ firstName lastName organization {{ name }} }}
      }}
    }}
    history(first: {SHEET_CHILDREN}) {{
      totalCount
      nodes {{
        operation changedAt
        changes {{ field oldValue newValue }}
        author {{ firstName lastName }}
      }}
    }}
  }}
}}
"""

QUERY_NOTES = {
    "MAP": f"one page of {MAP_PAGE} open sites (the page maximum), not every open site",
    "LIST": f"one page of {LIST_PAGE} sites with actors and actions",
    "SHEET": "one site with every field group",
}


# ---------------------------------------------------------------------------------------------
# Results


@dataclass
class Timing:
    median_ms: float
    p95_ms: float
    samples: int


@dataclass
class QueryResult:
    name: str
    hub: Timing
    in_process: Timing
    floor: Timing
    statements: int
    floor_statements: int
    response_bytes: int
    # Where the floor's JSON differs from the hub's; None when the two are equal.
    floor_difference: str | None
    note: str
    # Set when the hub answered errors: the query is then reported, not timed.
    error: str | None = None

    @property
    def floor_matches(self) -> bool:
        return self.floor_difference is None

    @classmethod
    def failed(cls, name: str, error: str) -> QueryResult:
        none = Timing(0.0, 0.0, 0)
        return cls(name, none, none, none, 0, 0, 0, None, QUERY_NOTES[name], error)

    @property
    def ratio(self) -> float:
        return self.hub.median_ms / self.floor.median_ms if self.floor.median_ms else math.inf


@dataclass
class RunResult:
    backend: str
    sites: int
    territories_seconds: float
    seed_seconds: float
    analyze_seconds: float
    seeded: dict[str, int]
    queries: list[QueryResult] = field(default_factory=list)


def timing_of(samples: Sequence[float]) -> Timing:
    """Median and nearest-rank 95th percentile, in milliseconds."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(0.95 * len(ordered)))
    return Timing(
        median_ms=statistics.median(ordered) * 1000,
        p95_ms=ordered[rank - 1] * 1000,
        samples=len(ordered),
    )


async def time_calls(
    call: Callable[[], Awaitable[object]], repeat: int, budget_seconds: float
) -> Timing:
    """Times ``repeat`` sequential calls after a warm-up; stops early past the budget."""
    for _ in range(WARMUP):
        await call()
    samples: list[float] = []
    deadline = time.perf_counter() + budget_seconds
    for _ in range(repeat):
        start = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - start)
        if time.perf_counter() > deadline:
            break
    return timing_of(samples)


# ---------------------------------------------------------------------------------------------
# Throwaway databases


@asynccontextmanager
async def throwaway_database(backend: str, size: int, postgres_url: str) -> AsyncIterator[str]:
    """A new, empty database URL for one run; dropped (or deleted) afterwards."""
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="hub_bench_")
        try:
            yield f"sqlite://{Path(folder) / 'bench.sqlite3'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"hub_bench_{os.getpid()}_{size}"
    await _postgres_admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await _postgres_admin(postgres_url, f'CREATE DATABASE "{name}"')
    try:
        yield _replace_database_name(postgres_url, name)
    finally:
        await _postgres_admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _postgres_admin(admin_url: str, statement: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _replace_database_name(url: str, name: str) -> str:
    base, _, rest = url.partition("?")
    prefix = base.rsplit("/", 1)[0]
    return f"{prefix}/{name}" + (f"?{rest}" if rest else "")


async def use_database(url: str | None) -> None:
    """Point tortoise's global connection at ``url`` (migrated first), or at nothing."""
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    await database.disconnect()
    # tortoise caches INSERT statements per connection name, not per dialect: switching
    # from SQLite to PostgreSQL under the same name would reuse the wrong placeholders.
    EXECUTOR_CACHE.clear()
    if url is not None:
        await database.migrate(url)
        await database.disconnect()
        await database.connect(url)


async def seed(sites: int, seed_value: int | None = None) -> RunResult:
    """Territories, demo data (and PostgreSQL statistics) into the connected empty database."""
    from hub.demo import seed_demo
    from hub.territories import load_territories

    start = time.perf_counter()
    await load_territories()
    loaded = time.perf_counter()
    if seed_value is None:
        seeded = await seed_demo(sites=sites)
    else:
        seeded = await seed_demo(sites=sites, seed=seed_value)
    done = time.perf_counter()
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        # Autovacuum would analyze the fresh tables within a minute or so, in the middle of
        # the measurements; without statistics the planner guesses 15 open sites out of
        # thousands and picks nested loops (MAP's page took 28 ms instead of 6 at 20,000).
        await connection.execute_script("ANALYZE")
    return RunResult(
        backend=connection.capabilities.dialect,
        sites=sites,
        territories_seconds=loaded - start,
        seed_seconds=done - loaded,
        analyze_seconds=time.perf_counter() - done,
        seeded=dict(seeded),
    )


# ---------------------------------------------------------------------------------------------
# The real server, in a subprocess


# The hub runs in development mode so that its development issuer signs the national
# administrator's token the queries are sent with (the caller who may read everything, as
# the floor does); the key is a throwaway, shared by the parent and the server subprocess.
DEV_ISSUER_KEY = Path(tempfile.gettempdir()) / "hub-benchmark-dev-issuer.json"
BENCH_CALLER = "national_admin@demo.bidonvilles.example"


def bench_settings(database_url: str, principal_cache_seconds: int = 5) -> Settings:
    return Settings(
        environment=Environment.DEVELOPMENT,
        database_url=database_url,
        dev_issuer_key=DEV_ISSUER_KEY,
        principal_cache_seconds=principal_cache_seconds,
        # One caller sends every request, back to back: it measures queries, not the limiter.
        rate_limit=0,
        rate_limit_address=0,
    )


async def caller_headers(database_url: str) -> dict[str, str]:
    """The Authorization header of the benchmark's caller (needs the demo data)."""
    from hub.server.auth.dev_issuer import DevIssuer

    token, _ = await DevIssuer.load(bench_settings(database_url)).token_for(BENCH_CALLER)
    return {"Authorization": f"Bearer {token}"}


def serve(database_url: str, fd: int) -> None:
    """Entry point of the server subprocess: uvicorn on the inherited listening socket."""
    asyncio.run(_serve(database_url, fd))


async def _serve(database_url: str, fd: int) -> None:
    import uvicorn

    from hub.server.app import create_app

    settings = bench_settings(database_url)
    # Not create_app's own lifespan: it connects inside uvicorn's lifespan task, and
    # tortoise 1.x keeps the connection in a context variable of that task, which request
    # tasks do not inherit (every query then fails with "No TortoiseContext is currently
    # active"). Connected here, in the task that starts the server, every request task
    # copies the context that holds the connection.
    await database.connect(database_url)
    app = create_app(settings, manage_database=False)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    try:
        # The parent bound the socket: no race for a free port, and only loopback listens.
        await uvicorn.Server(config).serve(sockets=[socket.socket(fileno=fd)])
    finally:
        await database.disconnect()


@contextmanager
def server_process(database_url: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Starts the hub on 127.0.0.1 (a free port) in a subprocess; yields its base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    code = (
        "import sys; from hub.server.benchmark import serve; serve(sys.argv[1], int(sys.argv[2]))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, database_url, str(listener.fileno())],
        pass_fds=(listener.fileno(),),
        stdout=subprocess.DEVNULL,
    )
    listener.close()  # the child holds its own copy
    try:
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def wait_until_healthy(http: httpx.AsyncClient, process: subprocess.Popen[bytes]) -> None:
    deadline = time.perf_counter() + SERVER_START_SECONDS
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the hub server exited with code {process.returncode}")
        try:
            if (await http.get("/health")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the hub server did not answer /health within {SERVER_START_SECONDS} s")


def in_process_client(database_url: str, headers: dict[str, str]) -> httpx.AsyncClient:
    """The same app, on this process's connection: what ``count_statements`` can see.

    It builds the caller on every request, so that the statements counted always include
    the three of building it (the server reuses it for a few seconds, as in production)."""
    from hub.server.app import create_app

    app = create_app(bench_settings(database_url, 0), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://hub.bench", headers=headers)


# ---------------------------------------------------------------------------------------------
# The floor: the same data through plain SQL, serialized to the same JSON


class Sql:
    """Parameterized statements on the tortoise connection, in either dialect."""

    def __init__(self, connection: BaseDBAsyncClient) -> None:
        self.connection = connection
        self.postgres = connection.capabilities.dialect == "postgres"
        self.statements = 0

    def marks(self, count: int, start: int = 1) -> str:
        if self.postgres:
            return ", ".join(f"${i}" for i in range(start, start + count))
        return ", ".join("?" * count)

    def mark(self, position: int = 1) -> str:
        return f"${position}" if self.postgres else "?"

    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        self.statements += 1
        return await self.connection.execute_query_dict(sql, list(params))

    async def in_list(self, sql: str, values: Sequence[Any]) -> list[dict[str, Any]]:
        """``sql`` with one ``{ids}`` slot: skipped, as the hub does, when there is nothing."""
        if not values:
            return []
        return await self.rows(sql.format(ids=self.marks(len(values))), values)


def global_id(type_name: str, key: object) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def enum_name(value: str | None) -> str | None:
    # Domain enums store lower-case values; GraphQL names are the same in upper case.
    return None if value is None else value.upper()


def json_list(value: Any) -> list[Any]:
    # JSON columns come back as text from both drivers when read without tortoise's fields.
    return json.loads(value) if isinstance(value, str) else list(value or [])


def json_dict(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def iso_date(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def iso_datetime(value: Any) -> str | None:
    # SQLite keeps datetimes as text; the GraphQL scalar prints ``isoformat()`` in UTC.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC).isoformat()


def as_bool(value: Any) -> bool:
    return bool(value)


def decimal_text(value: Any) -> str | None:
    # SQLite hands numerics back as int or float; the hub prints them with two decimals.
    return None if value is None else str(Decimal(str(value)).quantize(CENTS))


def user_name(row: dict[str, Any], prefix: str) -> dict[str, Any] | None:
    if row[f"{prefix}_id"] is None:
        return None
    return {"firstName": row[f"{prefix}_first_name"], "lastName": row[f"{prefix}_last_name"]}


async def floor_map(sql: Sql) -> dict[str, Any]:
    open_status = ("open",)
    total = await sql.rows(
        f"SELECT COUNT(*) AS n FROM site WHERE status = {sql.mark()}", open_status
    )
    rows = await sql.rows(
        "SELECT s.id, s.name, s.latitude, s.longitude, s.population_total,"
        " c.code AS commune_code, c.name AS commune_name"
        " FROM site s JOIN commune c ON c.code = s.commune_id"
        f" WHERE s.status = {sql.mark()}"
        f" ORDER BY s.updated_at DESC, s.id DESC LIMIT {MAP_PAGE}",
        open_status,
    )
    nodes = [
        {
            "id": global_id("Site", row["id"]),
            "name": row["name"],
            "location": {"latitude": row["latitude"], "longitude": row["longitude"]},
            "population": {"total": row["population_total"]},
            "commune": {"code": row["commune_code"], "name": row["commune_name"]},
        }
        for row in rows
    ]
    return {"data": {"sites": {"totalCount": total[0]["n"], "nodes": nodes}}}


async def floor_list(sql: Sql) -> dict[str, Any]:
    sites = await sql.rows(
        "SELECT s.id, s.name, s.status, s.population_total, s.population_minors,"
        " c.name AS commune_name, d.name AS departement_name"
        " FROM site s JOIN commune c ON c.code = s.commune_id"
        " JOIN departement d ON d.code = c.departement_id"
        f" ORDER BY s.updated_at DESC, s.id DESC LIMIT {LIST_PAGE}"
    )
    site_ids = [row["id"] for row in sites]
    actors = await sql.in_list(
        "SELECT a.site_id, a.themes, o.name FROM site_actor a"
        " JOIN organization o ON o.id = a.organization_id"
        " WHERE a.site_id IN ({ids}) ORDER BY a.created_at, a.id",
        site_ids,
    )
    links = await sql.in_list(
        "SELECT x.site_id, a.id, a.name FROM action_site x JOIN action a ON a.id = x.action_id"
        " WHERE x.site_id IN ({ids}) ORDER BY a.started_at DESC, a.id DESC",
        site_ids,
    )
    action_ids = sorted({row["id"] for row in links})
    topics = await sql.in_list(
        "SELECT action_id, topic FROM action_topic WHERE action_id IN ({ids}) ORDER BY topic",
        action_ids,
    )
    operators = await sql.in_list(
        'SELECT x.action_id, o.name FROM action_operator x JOIN "user" u ON u.id = x.user_id'
        " JOIN organization o ON o.id = u.organization_id"
        " WHERE x.action_id IN ({ids}) ORDER BY u.id",
        action_ids,
    )
    actors_of = _group(actors, "site_id")
    actions_of = _group(links, "site_id")
    topics_of = _group(topics, "action_id")
    operators_of = _group(operators, "action_id")

    def action(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": row["name"],
            "topics": [enum_name(t["topic"]) for t in topics_of[row["id"]]],
            "operators": [{"organization": {"name": o["name"]}} for o in operators_of[row["id"]]],
        }

    nodes = [
        {
            "id": global_id("Site", site["id"]),
            "name": site["name"],
            "status": enum_name(site["status"]),
            "population": {"total": site["population_total"], "minors": site["population_minors"]},
            "commune": {
                "name": site["commune_name"],
                "departement": {"name": site["departement_name"]},
            },
            "actors": [
                {
                    "themes": [enum_name(t) for t in json_list(a["themes"])],
                    "organization": {"name": a["name"]},
                }
                for a in actors_of[site["id"]]
            ],
            "actions": [action(link) for link in actions_of[site["id"]]],
        }
        for site in sites
    ]
    return {"data": {"sites": {"nodes": nodes}}}


def _group(rows: list[dict[str, Any]], key: str) -> defaultdict[Any, list[dict[str, Any]]]:
    grouped: defaultdict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


_SITE_SHEET_SQL = """
SELECT s.*,
  c.name AS commune_name,
  e.code AS epci_code_, e.name AS epci_name,
  d.code AS dep_code, d.name AS dep_name,
  r.code AS region_code_, r.name AS region_name,
  cb.id AS created_by_id_, cb.first_name AS created_by_first_name,
  cb.last_name AS created_by_last_name,
  ub.id AS updated_by_id_, ub.first_name AS updated_by_first_name,
  ub.last_name AS updated_by_last_name
FROM site s
JOIN commune c ON c.code = s.commune_id
LEFT JOIN epci e ON e.code = s.epci_code
JOIN departement d ON d.code = s.departement_code
JOIN region r ON r.code = s.region_code
LEFT JOIN "user" cb ON cb.id = s.created_by_id
LEFT JOIN "user" ub ON ub.id = s.updated_by_id
WHERE s.id = {mark}
"""


async def floor_sheet(sql: Sql, site_id: int, today: datetime.date | None = None) -> dict[str, Any]:
    one = (site_id,)
    mark = sql.mark()
    found = await sql.rows(_SITE_SHEET_SQL.format(mark=mark), one)
    if not found:
        return {"data": {"site": None}}
    s = found[0]
    origins = await sql.rows(
        "SELECT o.id, o.name FROM site_reinstallation x JOIN site o ON o.id = x.site_id"
        f" WHERE x.site_rel_id = {mark} ORDER BY o.id",
        one,
    )
    parcels = await sql.rows(
        "SELECT parcel, owner_type, owner_name FROM site_parcel_owner"
        f" WHERE site_id = {mark} ORDER BY id",
        one,
    )
    solutions = await sql.rows(
        "SELECT solution, people, households FROM site_closing_solution"
        f" WHERE site_id = {mark} ORDER BY id",
        one,
    )
    phases = await sql.rows(
        "SELECT phase, started_at, completed_at FROM site_resorption_phase"
        f" WHERE site_id = {mark} ORDER BY id",
        one,
    )
    actors = await sql.rows(
        "SELECT a.themes, a.created_at, o.name AS organization_name, u.id AS user_id,"
        " u.first_name AS user_first_name, u.last_name AS user_last_name"
        " FROM site_actor a JOIN organization o ON o.id = a.organization_id"
        ' LEFT JOIN "user" u ON u.id = a.user_id'
        f" WHERE a.site_id = {mark} ORDER BY a.created_at, a.id",
        one,
    )
    actions = await _sheet_actions(sql, site_id)
    journal = await _sheet_journal(sql, site_id)
    history = await _sheet_history(sql, site_id)
    return {
        "data": {
            "site": {
                **_sheet_site(s, today or datetime.datetime.now(datetime.UTC).date()),
                "reinstalledFrom": [
                    {"id": global_id("Site", o["id"]), "name": o["name"]} for o in origins
                ],
                "ownership": {
                    "ownerType": enum_name(s["owner_type"]),
                    "parcels": [
                        {
                            "parcel": p["parcel"],
                            "ownerType": enum_name(p["owner_type"]),
                            "ownerName": p["owner_name"],
                        }
                        for p in parcels
                    ],
                },
                "lifecycle": {
                    "status": enum_name(s["status"]),
                    "closedAt": iso_date(s["closed_at"]),
                    "closedWithSolutions": enum_name(s["closed_with_solutions"]),
                    "closingContext": s["closing_context"],
                    "solutions": [
                        {
                            "solution": enum_name(x["solution"]),
                            "people": x["people"],
                            "households": x["households"],
                        }
                        for x in solutions
                    ],
                },
                "resorption": {
                    "targetYear": s["resorption_target_year"],
                    "phases": [
                        {
                            "phase": enum_name(p["phase"]),
                            "startedAt": iso_date(p["started_at"]),
                            "completedAt": iso_date(p["completed_at"]),
                        }
                        for p in phases
                    ],
                },
                "actors": [
                    {
                        "themes": [enum_name(t) for t in json_list(a["themes"])],
                        "createdAt": iso_datetime(a["created_at"]),
                        "organization": {"name": a["organization_name"]},
                        "user": user_name(a, "user"),
                    }
                    for a in actors
                ],
                "actions": actions,
                "journal": journal,
                "history": history,
            }
        }
    }


def _sheet_site(s: dict[str, Any], today: datetime.date) -> dict[str, Any]:
    """The field groups that are views over the site row itself."""
    tri = enum_name
    latest = max(
        datetime.datetime.fromisoformat(v)
        for v in (iso_datetime(s["updated_at"]), iso_datetime(s["confirmed_unchanged_at"]))
        if v
    )
    return {
        "id": global_id("Site", s["id"]),
        "version": s["version"],
        "name": s["name"],
        "fieldType": enum_name(s["field_type"]),
        "declaredAt": iso_date(s["declared_at"]),
        "installedAt": iso_date(s["installed_at"]),
        "isReinstallation": as_bool(s["is_reinstallation"]),
        "createdAt": iso_datetime(s["created_at"]),
        "updatedAt": iso_datetime(s["updated_at"]),
        "confirmedUnchangedAt": iso_datetime(s["confirmed_unchanged_at"]),
        "status": enum_name(s["status"]),
        "address": s["address"],
        "hasLegalProcedure": as_bool(s["has_legal_procedure"]),
        "outOfDate": latest.date() < today - datetime.timedelta(days=Settings.out_of_date_days),
        "location": {
            "latitude": s["latitude"],
            "longitude": s["longitude"],
            "address": s["address"],
            "accessDetails": s["access_details"],
        },
        "commune": {"code": s["commune_id"], "name": s["commune_name"]},
        "epci": (
            {"code": s["epci_code_"], "name": s["epci_name"]}
            if s["epci_code_"] is not None
            else None
        ),
        "departement": {"code": s["dep_code"], "name": s["dep_name"]},
        "region": {"code": s["region_code_"], "name": s["region_name"]},
        "createdBy": user_name(s, "created_by") if s["created_by_id_"] is not None else None,
        "updatedBy": user_name(s, "updated_by") if s["updated_by_id_"] is not None else None,
        "population": {
            "total": s["population_total"],
            "households": s["population_households"],
            "women": s["population_women"],
            "minors": s["population_minors"],
            "minorsInSchool": s["minors_in_school"],
            "countedAt": iso_date(s["population_counted_at"]),
            "minorsByAge": {
                "from0To3": s["minors_0_3"],
                "from3To6": s["minors_3_6"],
                "from6To12": s["minors_6_12"],
                "from12To16": s["minors_12_16"],
                "from16To18": s["minors_16_18"],
            },
            "dwellings": {k: s[k] for k in ("caravans", "huts", "tents", "cars", "mattresses")},
            "origins": [
                name
                for name, column in (
                    ("FRENCH", "origin_french"),
                    ("EU", "origin_eu"),
                    ("NON_EU", "origin_non_eu"),
                )
                if s[column]
            ],
        },
        "census": {
            "status": enum_name(s["census_status"]),
            "date": iso_date(s["census_date"]),
            "runBy": s["census_by"],
        },
        "livingConditions": {
            "water": {
                "status": enum_name(s["water_status"]),
                "access": tri(s["water_access"]),
                "accessTypes": [enum_name(t) for t in json_list(s["water_access_types"])],
                "onSite": tri(s["water_on_site"]),
                "within200m": tri(s["water_within_200m"]),
                "continuous": tri(s["water_continuous"]),
                "stagnantWater": tri(s["water_stagnant"]),
            },
            "sanitation": {
                "status": enum_name(s["sanitation_status"]),
                "openDefecation": tri(s["sanitation_open_defecation"]),
                "workingToilets": tri(s["sanitation_working_toilets"]),
                "toiletTypes": [enum_name(t) for t in json_list(s["sanitation_toilet_types"])],
                "litAndLockable": tri(s["sanitation_lit_and_lockable"]),
                "handWashing": tri(s["sanitation_hand_washing"]),
            },
            "electricity": {
                "status": enum_name(s["electricity_status"]),
                "access": tri(s["electricity_access"]),
                "types": [enum_name(t) for t in json_list(s["electricity_types"])],
            },
            "waste": {
                "status": enum_name(s["waste_status"]),
                "pilingUp": tri(s["waste_piling"]),
                "collectionNearby": tri(s["waste_collection_nearby"]),
                "regularCollection": tri(s["waste_collection_regular"]),
            },
            "pests": {"status": enum_name(s["pests_status"]), "present": tri(s["pests"])},
            "firePrevention": {
                "status": enum_name(s["fire_prevention_status"]),
                "diagnosisDone": tri(s["fire_prevention_diagnosis"]),
            },
        },
        "legalProcedures": {
            "ownerComplaint": tri(s["owner_complaint"]),
            "justiceProcedure": tri(s["justice_procedure"]),
            "justiceDecision": tri(s["justice_decision"]),
            "justiceDecisionDate": iso_date(s["justice_decision_date"]),
            "justiceCourt": s["justice_court"],
            "policeAssistance": enum_name(s["police_assistance"]),
            "policeRequestedAt": iso_date(s["police_requested_at"]),
            "policeGrantedAt": iso_date(s["police_granted_at"]),
            "bailiff": s["bailiff"],
            "administrativeOrder": tri(s["administrative_order"]),
            "administrativeOrderDate": iso_date(s["administrative_order_date"]),
            "insalubrityOrder": tri(s["insalubrity_order"]),
            "insalubrityOrderDate": iso_date(s["insalubrity_order_date"]),
        },
    }


_INDICATOR_FIELDS = {
    "people": "people",
    "households": "households",
    "women": "women",
    "minors": "minors",
    "healthFollowup": "health_followup",
    "employmentTraining": "employment_training",
    "employmentTrainingWomen": "employment_training_women",
    "shelteredPeople": "sheltered_people",
    "shelteredHouseholds": "sheltered_households",
    "housedPeople": "housed_people",
    "housedHouseholds": "housed_households",
    "minorsSchoolAge": "minors_school_age",
    "minorsInMediation": "minors_in_mediation",
    "enrolledNursery": "enrolled_nursery",
    "enrolledPrimary": "enrolled_primary",
    "enrolledMiddle": "enrolled_middle",
    "enrolledHigh": "enrolled_high",
}


async def _sheet_actions(sql: Sql, site_id: int) -> list[dict[str, Any]]:
    actions = await sql.rows(
        "SELECT a.id, a.name, a.started_at, a.ended_at FROM action_site x"
        f" JOIN action a ON a.id = x.action_id WHERE x.site_id = {sql.mark()}"
        " ORDER BY a.started_at DESC, a.id DESC",
        (site_id,),
    )
    ids = [row["id"] for row in actions]
    topics = _group(
        await sql.in_list(
            "SELECT action_id, topic FROM action_topic WHERE action_id IN ({ids}) ORDER BY topic",
            ids,
        ),
        "action_id",
    )
    operators = _group(
        await sql.in_list(
            "SELECT x.action_id, u.first_name, u.last_name, o.name AS organization_name"
            ' FROM action_operator x JOIN "user" u ON u.id = x.user_id'
            " JOIN organization o ON o.id = u.organization_id"
            " WHERE x.action_id IN ({ids}) ORDER BY u.id",
            ids,
        ),
        "action_id",
    )
    finances = _group(
        await sql.in_list(
            "SELECT action_id, year, finance_type, planned_amount, spent_amount, comment"
            " FROM action_finance WHERE action_id IN ({ids}) ORDER BY year, finance_type, id",
            ids,
        ),
        "action_id",
    )
    indicators = _group(
        await sql.in_list(
            "SELECT * FROM action_indicators WHERE action_id IN ({ids}) ORDER BY year, id", ids
        ),
        "action_id",
    )
    return [
        {
            "id": global_id("Action", a["id"]),
            "name": a["name"],
            "startedAt": iso_date(a["started_at"]),
            "endedAt": iso_date(a["ended_at"]),
            "topics": [enum_name(t["topic"]) for t in topics[a["id"]]],
            "operators": [
                {
                    "firstName": o["first_name"],
                    "lastName": o["last_name"],
                    "organization": {"name": o["organization_name"]},
                }
                for o in operators[a["id"]]
            ],
            "finances": [
                {
                    "year": f["year"],
                    "financeType": enum_name(f["finance_type"]),
                    "plannedAmount": decimal_text(f["planned_amount"]),
                    "spentAmount": decimal_text(f["spent_amount"]),
                    "comment": f["comment"],
                }
                for f in finances[a["id"]]
            ],
            "indicators": [
                {"year": i["year"], **{k: i[c] for k, c in _INDICATOR_FIELDS.items()}}
                for i in indicators[a["id"]]
            ],
        }
        for a in actions
    ]


async def _sheet_journal(sql: Sql, site_id: int) -> dict[str, Any]:
    mark = sql.mark()
    total = await sql.rows(f"SELECT COUNT(*) AS n FROM comment WHERE site_id = {mark}", (site_id,))
    comments = await sql.rows(
        "SELECT c.body, c.tags, c.created_at, u.id AS author_id, u.first_name AS author_first_name,"
        " u.last_name AS author_last_name, o.name AS organization_name"
        ' FROM comment c LEFT JOIN "user" u ON u.id = c.author_id'
        " LEFT JOIN organization o ON o.id = u.organization_id"
        f" WHERE c.site_id = {mark} ORDER BY c.created_at DESC, c.id DESC LIMIT {SHEET_CHILDREN}",
        (site_id,),
    )

    def author(row: dict[str, Any]) -> dict[str, Any] | None:
        name = user_name(row, "author")
        return (
            None if name is None else {**name, "organization": {"name": row["organization_name"]}}
        )

    return {
        "totalCount": total[0]["n"],
        "nodes": [
            {
                "body": c["body"],
                "tags": json_list(c["tags"]),
                "createdAt": iso_datetime(c["created_at"]),
                "author": author(c),
            }
            for c in comments
        ],
    }


async def _sheet_history(sql: Sql, site_id: int) -> dict[str, Any]:
    params = ("site", site_id)
    where = f"subject_type = {sql.mark(1)} AND subject_id = {sql.mark(2)}"
    total = await sql.rows(f"SELECT COUNT(*) AS n FROM history_entry WHERE {where}", params)
    entries = await sql.rows(
        "SELECT h.operation, h.changed_at, h.changes, u.id AS author_id,"
        " u.first_name AS author_first_name, u.last_name AS author_last_name"
        ' FROM history_entry h LEFT JOIN "user" u ON u.id = h.author_id'
        f" WHERE h.{where.replace(' AND ', ' AND h.')}"
        f" ORDER BY h.changed_at DESC, h.id DESC LIMIT {SHEET_CHILDREN}",
        params,
    )
    return {
        "totalCount": total[0]["n"],
        "nodes": [
            {
                "operation": enum_name(h["operation"]),
                "changedAt": iso_datetime(h["changed_at"]),
                "changes": [
                    {"field": name, "oldValue": old, "newValue": new}
                    for name, (old, new) in sorted(json_dict(h["changes"]).items())
                ],
                "author": user_name(h, "author"),
            }
            for h in entries
        ],
    }


async def pick_sheet_site(sql: Sql) -> int:
    """The open site with the most actions, then comments, that also has actors and history."""
    rows = await sql.rows(
        "SELECT s.id,"
        " (SELECT COUNT(*) FROM action_site x WHERE x.site_id = s.id) AS n_actions,"
        " (SELECT COUNT(*) FROM comment c WHERE c.site_id = s.id) AS n_comments"
        " FROM site s WHERE s.status = 'open'"
        " AND EXISTS (SELECT 1 FROM site_actor a WHERE a.site_id = s.id)"
        " AND EXISTS (SELECT 1 FROM history_entry h"
        "   WHERE h.subject_type = 'site' AND h.subject_id = s.id)"
        " ORDER BY n_actions DESC, n_comments DESC, s.id LIMIT 1"
    )
    if not rows:
        raise RuntimeError("the demo data has no open site with actors and history")
    return int(rows[0]["id"])


# ---------------------------------------------------------------------------------------------
# Measuring


@dataclass(frozen=True)
class Canonical:
    name: str
    query: str
    variables: dict[str, Any]
    floor: Callable[[Sql], Awaitable[dict[str, Any]]]


def canonical_queries(sheet_site_id: int) -> list[Canonical]:
    return [
        Canonical("MAP", MAP_QUERY, {}, floor_map),
        Canonical("LIST", LIST_QUERY, {}, floor_list),
        Canonical(
            "SHEET",
            SHEET_QUERY,
            {"id": global_id("Site", sheet_site_id)},
            lambda sql: floor_sheet(sql, sheet_site_id),
        ),
    ]


async def post_graphql(http: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> bytes:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    response.raise_for_status()
    return response.content


class QueryFailed(RuntimeError):
    """The hub answered a canonical query with errors or without data."""


def graphql_body(content: bytes, name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(content)
    if body.get("errors"):
        messages = "; ".join(sorted({str(e.get("message")) for e in body["errors"]}))
        raise QueryFailed(f"{name} answered {len(body['errors'])} error(s): {messages}")
    if not body.get("data"):
        raise QueryFailed(f"{name} answered no data")
    return body


async def count_request_statements(
    http: httpx.AsyncClient, query: Canonical
) -> tuple[int, dict[str, Any]]:
    """Statements of one request, through the in-process app (the counter sees this process)."""
    with database.count_statements() as counter:
        content = await post_graphql(http, query.query, query.variables)
    return counter.count, graphql_body(content, query.name)


async def measure_query(
    query: Canonical,
    http: httpx.AsyncClient,
    local: httpx.AsyncClient,
    repeat: int,
    budget_seconds: float,
) -> QueryResult:
    """Hub over HTTP, hub in-process, and the floor, for one canonical query."""
    statements, body = await count_request_statements(local, query)
    content = await post_graphql(http, query.query, query.variables)
    graphql_body(content, query.name)
    hub = await time_calls(
        lambda: post_graphql(http, query.query, query.variables), repeat, budget_seconds
    )
    in_process = await time_calls(
        lambda: post_graphql(local, query.query, query.variables), repeat, budget_seconds
    )
    sql = Sql(connections.get("default"))
    floor_body = await query.floor(sql)
    floor_statements = sql.statements

    async def floor_call() -> str:
        return json.dumps(await query.floor(sql))

    floor = await time_calls(floor_call, repeat, budget_seconds)
    return QueryResult(
        name=query.name,
        hub=hub,
        in_process=in_process,
        floor=floor,
        statements=statements,
        floor_statements=floor_statements,
        response_bytes=len(content),
        floor_difference=first_difference(body, floor_body),
        note=QUERY_NOTES[query.name],
    )


def first_difference(hub: Any, floor: Any, path: str = "") -> str | None:
    """Where the floor's JSON differs from the hub's (None when they are equal)."""
    if isinstance(hub, dict) and isinstance(floor, dict):
        for key in sorted(set(hub) | set(floor)):
            if key not in hub or key not in floor:
                return f"{path}.{key}: missing on one side"
            found = first_difference(hub[key], floor[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(hub, list) and isinstance(floor, list):
        if len(hub) != len(floor):
            return f"{path}: {len(hub)} items in the hub, {len(floor)} in the floor"
        for index, (a, b) in enumerate(zip(hub, floor, strict=True)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if hub == floor else f"{path}: hub {hub!r}, floor {floor!r}"


async def measure_all(
    http: httpx.AsyncClient, local: httpx.AsyncClient, repeat: int, budget_seconds: float
) -> list[QueryResult]:
    sheet_site = await pick_sheet_site(Sql(connections.get("default")))
    results = []
    for query in canonical_queries(sheet_site):
        # A broken query is reported in the table; the others are still worth measuring.
        try:
            results.append(await measure_query(query, http, local, repeat, budget_seconds))
        except QueryFailed as error:
            results.append(QueryResult.failed(query.name, str(error)))
    return results


# ---------------------------------------------------------------------------------------------
# Running


async def run_one(
    backend: str, sites: int, repeat: int, budget_seconds: float, postgres_url: str
) -> RunResult:
    async with throwaway_database(backend, sites, postgres_url) as url:
        await use_database(url)
        try:
            print(f"\n== {backend}, {sites} sites: seeding…", flush=True)
            run = await seed(sites)
            run.backend = backend
            seeded = ", ".join(f"{n} {k}" for k, n in run.seeded.items())
            print(
                f"   territories loaded in {run.territories_seconds:.1f} s;"
                f" demo seeded in {run.seed_seconds:.1f} s ({seeded});"
                f" ANALYZE {run.analyze_seconds:.1f} s",
                flush=True,
            )
            headers = await caller_headers(url)
            with server_process(url) as (base_url, process):
                async with (
                    httpx.AsyncClient(
                        base_url=base_url, timeout=120, trust_env=False, headers=headers
                    ) as http,
                    in_process_client(url, headers) as local,
                ):
                    await wait_until_healthy(http, process)
                    run.queries = await measure_all(http, local, repeat, budget_seconds)
            print_table(run)
            return run
        finally:
            await use_database(None)


def print_table(run: RunResult) -> None:
    header = (
        f"{'query':<6} {'median ms':>10} {'p95 ms':>9} {'in-proc':>9} {'stmts':>6}"
        f" {'bytes':>9} {'floor ms':>9} {'floor st':>8} {'ratio':>7} {'same':>5} {'n':>3}"
    )
    print(f"\n{run.backend} · {run.sites} sites (seed {run.seed_seconds:.1f} s)")
    print(header)
    print("-" * len(header))
    for q in run.queries:
        if q.error:
            print(f"{q.name:<6} {'ERROR':>10}")
            continue
        print(
            f"{q.name:<6} {q.hub.median_ms:>10.1f} {q.hub.p95_ms:>9.1f}"
            f" {q.in_process.median_ms:>9.1f} {q.statements:>6} {q.response_bytes:>9}"
            f" {q.floor.median_ms:>9.2f} {q.floor_statements:>8} {q.ratio:>7.1f}"
            f" {'yes' if q.floor_matches else 'NO':>5} {q.hub.samples:>3}"
        )
    for q in run.queries:
        print(f"  {q.name}: {q.note}")
        if q.error:
            print(f"  ERROR {q.name}: {q.error}")
        if q.floor_difference:
            print(f"  WARNING {q.name}: the floor differs from the hub at {q.floor_difference}")
    print(
        "  median/p95: HTTP to the uvicorn subprocess; in-proc: ASGI in this process;"
        " floor: plain SQL + json.dumps in-process; ratio = median / floor median",
        flush=True,
    )


def to_json(runs: list[RunResult]) -> list[dict[str, Any]]:
    documents = []
    for run in runs:
        document = asdict(run)
        for query, result in zip(document["queries"], run.queries, strict=True):
            query["ratio"] = result.ratio
        documents.append(document)
    return documents


def _csv(kind: Callable[[str], Any]) -> Callable[[str], list[Any]]:
    def parse(raw: str) -> list[Any]:
        return [kind(item.strip()) for item in raw.split(",") if item.strip()]

    return parse


def _backend(raw: str) -> str:
    if raw not in DEFAULT_DATABASES:
        raise argparse.ArgumentTypeError(f"unknown database {raw!r} (sqlite or postgres)")
    return raw


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m hub.server.benchmark", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--sizes",
        type=_csv(int),
        default=list(DEFAULT_SIZES),
        help="sites per run (500,5000,20000)",
    )
    parser.add_argument(
        "--databases",
        type=_csv(_backend),
        default=list(DEFAULT_DATABASES),
        help="sqlite,postgres (both)",
    )
    parser.add_argument(
        "--repeat", type=int, default=DEFAULT_REPEAT, help="timed requests per query (30)"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=DEFAULT_BUDGET_SECONDS,
        help="seconds at most per query and side before repeating stops (60)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("HUB_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="admin URL; a throwaway database is created and dropped beside it",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    return parser


async def run_all(args: argparse.Namespace) -> list[RunResult]:
    runs: list[RunResult] = []
    for backend in args.databases:
        for sites in args.sizes:
            runs.append(await run_one(backend, sites, args.repeat, args.budget, args.postgres_url))
    return runs


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.repeat < 1:
        print("--repeat must be at least 1", file=sys.stderr)
        return 2
    started = time.perf_counter()
    runs = asyncio.run(run_all(args))
    print(f"\nTotal {time.perf_counter() - started:.0f} s.")
    if args.json:
        args.json.write_text(json.dumps(to_json(runs), indent=2), encoding="utf-8")
        print(f"Wrote {args.json}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
