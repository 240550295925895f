"""Plain parameterized SQL on the tortoise connection, and the conversions of its rows to the
hub's JSON: the floor's tools."""

from __future__ import annotations

import base64
import datetime
import json
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

CENTS = Decimal("0.01")  # ActionFinance amounts have two decimal places


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


def group(rows: list[dict[str, Any]], key: str) -> defaultdict[Any, list[dict[str, Any]]]:
    grouped: defaultdict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped
