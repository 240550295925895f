"""Writing the demo rows: emptiness checks, reset, bulk inserts, sequences."""

from __future__ import annotations

import logging
import time
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields.relational import ManyToManyFieldInstance
from tortoise.models import Model

from hub.demo.context import Rows
from hub.models import (
    Action,
    ActionFinance,
    ActionIndicators,
    ActionTopicLink,
    Comment,
    Commune,
    Departement,
    Epci,
    HistoryEntry,
    InterventionArea,
    Organization,
    Outline,
    ParcelOwner,
    PartnerApplication,
    Region,
    Site,
    SiteActor,
    SiteClosingSolution,
    SiteResorptionPhase,
    User,
    UserIdentity,
)
from hub.models.records import driver_values

logger = logging.getLogger(__name__)
BATCH_SIZE = 5000
TERRITORY_MODELS: tuple[type[Model], ...] = (Region, Departement, Epci, Commune, Outline)
# Parents before children, so that foreign keys always point at rows already written.
WRITE_ORDER: tuple[type[Model] | str, ...] = (
    Organization, User, InterventionArea, UserIdentity, PartnerApplication,
    Site, "site_reinstallation", ParcelOwner, SiteClosingSolution, SiteResorptionPhase, SiteActor,
    Action, ActionTopicLink, "action_manager", "action_operator", "action_site",
    ActionFinance, ActionIndicators,
    Comment, "comment_target_user", "comment_target_organization",
    HistoryEntry,
)  # fmt: skip


class DemoDataExists(RuntimeError):
    """The database already holds organizations or sites; seeding again would duplicate them."""


def _app_models() -> list[type[Model]]:
    return [model for model in Tortoise.apps["hub"].values() if model not in TERRITORY_MODELS]


def through_tables() -> dict[str, tuple[str, str]]:
    """Many-to-many tables -> (column of the model declaring the field, column of the other)."""
    tables: dict[str, tuple[str, str]] = {}
    for model in _app_models():
        for name in sorted(model._meta.m2m_fields):
            relation = model._meta.fields_map[name]
            if isinstance(relation, ManyToManyFieldInstance) and not relation._generated:
                tables[relation.through] = (relation.backward_key, relation.forward_key)
    return tables


def _dialect(conn: BaseDBAsyncClient) -> str:
    return conn.capabilities.dialect


async def ensure_empty(conn: BaseDBAsyncClient) -> None:
    for model in (Organization, User, Site):
        if await model.all().using_db(conn).exists():
            raise DemoDataExists(
                f"The database already holds {model._meta.db_table} rows: demo data would be "
                "mixed with them."
            )


async def delete_all(conn: BaseDBAsyncClient) -> None:
    """Every row of every table but the territories'."""
    tables = [model._meta.db_table for model in _app_models()] + list(through_tables())
    quoted = ", ".join(f'"{table}"' for table in tables)
    # Never execute_script: sqlite3's executescript commits the open transaction first.
    if _dialect(conn) == "postgres":
        await conn.execute_query(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        return
    # SQLite then checks foreign keys at commit time only, once every table is empty.
    await conn.execute_query("PRAGMA defer_foreign_keys = ON")
    for table in tables:
        await conn.execute_query(f'DELETE FROM "{table}"')


async def _send(
    conn: BaseDBAsyncClient, table: str, columns: list[str], records: list[list[Any]]
) -> None:
    """Insert ``records`` (values in ``columns`` order): COPY on PostgreSQL, which takes a
    fraction of the time of one INSERT per row; executemany on SQLite, already fast."""
    for start in range(0, len(records), BATCH_SIZE):
        batch = records[start : start + BATCH_SIZE]
        if _dialect(conn) == "postgres":
            async with conn.acquire_connection() as connection:
                await connection.copy_records_to_table(table, records=batch, columns=columns)
        else:
            names = ", ".join(f'"{column}"' for column in columns)
            marks = ", ".join("?" * len(columns))
            await conn.execute_many(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', batch)


async def write_rows(conn: BaseDBAsyncClient, rows: Rows) -> dict[str, int]:
    columns = through_tables()
    counts: dict[str, int] = {}
    for item in WRITE_ORDER:
        started = time.perf_counter()
        if isinstance(item, str):
            pairs = rows.links.get(item, [])
            if pairs:
                await _send(conn, item, list(columns[item]), [list(pair) for pair in pairs])
            counts[item] = len(pairs)
            _log_write(item, len(pairs), started)
            continue
        instances = rows.models.get(item, [])
        if instances:
            await item.bulk_create(instances, batch_size=BATCH_SIZE, using_db=conn)
        plain = rows.values.get(item, [])
        if plain:
            await _send(conn, item._meta.db_table, *driver_values(item, plain))
        counts[item._meta.db_table] = len(instances) + len(plain)
        _log_write(item._meta.db_table, counts[item._meta.db_table], started)
    return counts


def _log_write(table: str, count: int, started: float) -> None:
    logger.debug(
        "demo data: %d %s rows written in %.2f s", count, table, time.perf_counter() - started
    )


async def advance_sequences(conn: BaseDBAsyncClient) -> None:
    """Ids were given explicitly: PostgreSQL's sequences must move past them (SQLite's
    AUTOINCREMENT follows on its own)."""
    if _dialect(conn) != "postgres":
        return
    for model in _app_models():
        meta = model._meta
        if meta.db_pk_column not in meta.generated_db_fields:
            continue
        table, pk = meta.db_table, meta.db_pk_column
        await conn.execute_query(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{pk}'), "
            f'COALESCE((SELECT MAX("{pk}") FROM "{table}"), 0) + 1, false)'
        )
