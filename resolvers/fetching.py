"""Rows by key for the DataLoaders: the keys travel as one parameter, not one per key.

A batch of 500 keys written as ``IN ($1, …, $500)`` costs the ORM a query term per key to
build, and PostgreSQL a statement of a different text for every batch size. Here the
queryset's statement gets one more condition, ``column = ANY($n)`` on PostgreSQL (an array)
or ``column IN (SELECT value FROM json_each(?))`` on SQLite (a JSON list), so its cost and
text do not depend on the number of keys. Rows come back as the ORM's models.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

from pypika_tortoise.context import SqlContext
from pypika_tortoise.terms import Criterion, Field, ValueWrapper
from tortoise.models import Model
from tortoise.queryset import QuerySet

ModelT = TypeVar("ModelT", bound=Model)


class _OneOf(Criterion):
    """``column`` is one of ``keys``, the keys being a single parameter."""

    def __init__(self, column: Field, keys: Sequence[Any], dialect: str) -> None:
        super().__init__()
        self.column = column
        self.dialect = dialect
        self.keys = ValueWrapper(list(keys) if dialect == "postgres" else json.dumps(list(keys)))

    def get_sql(self, ctx: SqlContext) -> str:
        column, keys = self.column.get_sql(ctx), self.keys.get_sql(ctx)
        if self.dialect == "postgres":
            return f"{column}=ANY({keys})"
        return f"{column} IN (SELECT value FROM json_each({keys}))"


async def rows_by_keys(queryset: QuerySet[ModelT], field: str, keys: Sequence[Any]) -> list[ModelT]:
    """The rows of ``queryset`` whose ``field`` is one of ``keys``."""
    if not keys:
        return []
    model = queryset.model
    queryset._choose_db_if_not_chosen()
    queryset._make_query()
    db = queryset._db
    column = Field(model._meta.fields_db_projection[field], table=model._meta.basetable)
    query = queryset.query.where(_OneOf(column, keys, db.capabilities.dialect))
    sql, params = query.get_parameterized_sql()
    _, rows = await db.execute_query(sql, list(params))
    return [model._init_from_db(**row) for row in rows]
