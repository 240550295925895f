"""Plain rows on their way to the database: a model's values as the drivers take them, and
many rows written by one statement.

tortoise's ``bulk_create`` builds an instance per row, writes its INSERT anew on every call
and sends the rows with ``executemany`` inside a transaction of its own: three round trips.
``insert_rows`` sends one ``INSERT … VALUES (…), (…)``, atomic as any statement is. The demo
data and the audit log write their rows this way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields.data import JSON_DUMPS, CharEnumFieldInstance
from tortoise.models import Model
from tortoise.transactions import in_transaction

COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))
# Field types whose Python values both drivers take unchanged.
PLAIN_FIELDS: tuple[type[fields.Field[Any]], ...] = (
    fields.IntField, fields.CharField, fields.TextField, fields.BooleanField, fields.FloatField,
    fields.DateField,
)  # fmt: skip
# Parameters per statement at most: SQLite takes 32,766 (PostgreSQL 65,535).
MAX_PARAMETERS = 30_000


def converter(model: type[Model], name: str) -> Callable[[Any], Any] | None:
    """How a value of field ``name`` goes to the driver: what bulk_create would do, skipped
    for the plain types the drivers take as they are."""
    field = model._meta.fields_map[name]
    if isinstance(field, CharEnumFieldInstance):
        return lambda value: value.value if isinstance(value, Enum) else value
    if type(field) in PLAIN_FIELDS:
        return None
    if isinstance(field, fields.JSONField) and field.encoder is JSON_DUMPS:
        # JSON_DUMPS builds a new encoder on every call; this one gives the same text.
        return lambda value: None if value is None else COMPACT_JSON.encode(value)
    return lambda value: field.to_db_value(value, model)


def driver_values(
    model: type[Model], rows: Sequence[dict[str, Any]]
) -> tuple[list[str], list[list[Any]]]:
    """Column names and driver-ready values of plain rows (field names as keys, the same in
    every row)."""
    names = list(rows[0])
    converters = [(name, converter(model, name)) for name in names]
    values = [
        [row[name] if convert is None else convert(row[name]) for name, convert in converters]
        for row in rows
    ]
    return [model._meta.fields_db_projection[name] for name in names], values


async def insert_rows(model: type[Model], rows: Sequence[dict[str, Any]]) -> None:
    """Writes ``rows`` (field names as keys, the same in every row) into ``model``'s table:
    one statement, or several in one transaction past ``MAX_PARAMETERS``. On the connection
    a write of ``model`` would use (a transaction's, when one is open)."""
    if not rows:
        return
    columns, values = driver_values(model, rows)
    db = model._choose_db(for_write=True)
    per_statement = max(1, MAX_PARAMETERS // len(columns))
    if len(values) <= per_statement:
        await _insert(db, model._meta.db_table, columns, values)
        return
    async with in_transaction(db.connection_name) as connection:
        for start in range(0, len(values), per_statement):
            chunk = values[start : start + per_statement]
            await _insert(connection, model._meta.db_table, columns, chunk)


async def _insert(
    db: BaseDBAsyncClient, table: str, columns: list[str], values: list[list[Any]]
) -> None:
    width = len(columns)
    if db.capabilities.dialect == "postgres":
        marks = (
            ", ".join(f"${row * width + n}" for n in range(1, width + 1))
            for row in range(len(values))
        )
    else:
        marks = (", ".join("?" * width) for _ in values)
    rows = ", ".join(f"({row})" for row in marks)
    names = ", ".join(f'"{column}"' for column in columns)
    await db.execute_query(
        f'INSERT INTO "{table}" ({names}) VALUES {rows}', [value for row in values for value in row]
    )
