"""Rows by key for the DataLoaders: the keys travel as one parameter, not one per key.

A batch of 500 keys written as ``IN ($1, …, $500)`` costs the ORM a query term per key to
build, and PostgreSQL a statement of a different text for every batch size. Here the
queryset's statement gets one more condition, ``column = ANY($n)`` on PostgreSQL (an array)
or ``column IN (SELECT value FROM json_each(?))`` on SQLite (a JSON list), so its cost and
text do not depend on the number of keys. Rows come back as the ORM's models.

``selected_rows`` runs a queryset the same way when it needs nothing of tortoise's own select
(related rows, prefetching, annotations): the statement as tortoise writes it, the rows built
by ``hub.models.rows.from_records``.

``linked_rows_by_keys`` reads the links of a many-to-many relation and, in the same statement,
the rows they lead to that a queryset (a row scope) keeps: what a loader of linked ids and
the loader of those rows by id would read in two waves.

Rows of a model whose columns the running operation names (``resolvers.columns``: users,
organizations and actions under the compiled read path) are read with those columns only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pypika_tortoise.context import SqlContext
from pypika_tortoise.terms import Criterion, Field, ValueWrapper
from tortoise.models import Model
from tortoise.queryset import QuerySet

from hub.models.rows import from_records
from resolvers.columns import columns_read
from resolvers.statements import by_keys, written

ModelT = TypeVar("ModelT", bound=Model)


def _one_of(dialect: str, column: str, parameter: str) -> str:
    if dialect == "postgres":
        return f"{column}=ANY({parameter})"
    return f"{column} IN (SELECT value FROM json_each({parameter}))"


def _keys_parameter(dialect: str, keys: Sequence[Any]) -> Any:
    return list(keys) if dialect == "postgres" else json.dumps(list(keys))


@dataclass(frozen=True)
class _OneOf:
    """``field`` (a column of the queryset's model) is one of the keys."""

    field: str

    def criterion(self, model: type[Model], keys: Any, dialect: str) -> Criterion:
        column = Field(model._meta.fields_db_projection[self.field], table=model._meta.basetable)
        return _Condition(lambda ctx, keys: _one_of(dialect, column.get_sql(ctx), keys), keys)


@dataclass(frozen=True)
class _LinkedTo:
    """The row is linked to one of the keys through the many-to-many ``relation``."""

    relation: str

    def criterion(self, model: type[Model], keys: Any, dialect: str) -> Criterion:
        field: Any = model._meta.fields_map[self.relation]
        through, row_key, link_key = field.through, field.backward_key, field.forward_key
        column = Field(model._meta.db_pk_column, table=model._meta.basetable)

        def sql(ctx: SqlContext, keys: str) -> str:
            linked = _one_of(dialect, f'"{through}"."{link_key}"', keys)
            return (
                f'{column.get_sql(ctx)} IN (SELECT "{through}"."{row_key}"'
                f' FROM "{through}" WHERE {linked})'
            )

        return _Condition(sql, keys)


class _Condition(Criterion):
    """A condition written by ``write`` from the placeholder of its one parameter, ``keys``."""

    def __init__(self, write: Callable[[SqlContext, str], str], keys: Any) -> None:
        super().__init__()
        self.write = write
        self.keys = ValueWrapper(keys)

    def get_sql(self, ctx: SqlContext) -> str:
        return self.write(ctx, self.keys.get_sql(ctx))


def _projected(queryset: QuerySet[ModelT], key: str) -> QuerySet[ModelT]:
    """``queryset`` reading only the columns of its model the running operation reads
    (``resolvers.columns``), with its primary key and ``key``, which its rows are filed by."""
    columns = columns_read(queryset.model)
    if columns is None:
        return queryset
    return queryset.only(*dict.fromkeys((queryset.model._meta.pk_attr, key, *columns)))


def order_terms(order: Sequence[str], column: Callable[[str], str]) -> str:
    """The terms of an ORDER BY for ``order`` (names, ``-`` for descending), each name
    written as ``column`` writes it."""
    return ", ".join(
        f"{column(term.lstrip('-'))} {'DESC' if term.startswith('-') else 'ASC'}" for term in order
    )


async def rows_by_keys(queryset: QuerySet[ModelT], field: str, keys: Sequence[Any]) -> list[ModelT]:
    """The rows of ``queryset`` whose ``field`` is one of ``keys``."""
    if not keys:
        return []
    model = queryset.model
    queryset = _projected(queryset, field)
    dialect = queryset._choose_db().capabilities.dialect
    statement = by_keys(queryset, _OneOf(field), _keys_parameter(dialect, keys))
    _, rows = await statement.db.execute_query(statement.sql, statement.params)
    return from_records(model, rows)


async def linked_by_keys(
    model: type[Model], relation: str, keys: Sequence[Any], order: Sequence[str]
) -> list[tuple[Any, Any]]:
    """(id, key) of the ``model`` rows linked to each of ``keys`` through the many-to-many
    ``relation``, in ``order`` (column names, ``-`` for descending): the link table alone
    is joined, not the table on the keys' side."""
    if not keys:
        return []
    field: Any = model._meta.fields_map[relation]
    db = model._meta.db
    dialect = db.capabilities.dialect
    table, through = model._meta.db_table, field.through
    terms = order_terms(order, lambda name: f'"{table}"."{name}"')
    parameter = "$1" if dialect == "postgres" else "?"
    linked = f'"{through}"."{field.forward_key}"'
    sql = (
        f'SELECT "{table}"."id" AS id, "{through}"."{field.forward_key}" AS hub_key'
        f' FROM "{table}" JOIN "{through}"'
        f' ON "{table}"."id" = "{through}"."{field.backward_key}"'
        f" WHERE {_one_of(dialect, linked, parameter)}"
        f" ORDER BY {terms}"
    )
    _, rows = await db.execute_query(sql, [_keys_parameter(dialect, keys)])
    return [(row["id"], row["hub_key"]) for row in rows]


async def selected_rows(queryset: QuerySet[ModelT]) -> list[ModelT]:
    """The rows of ``queryset``, as ``await queryset`` gives them."""
    if (
        queryset._prefetch_map
        or queryset._prefetch_queries
        or queryset._select_related
        or queryset._annotations
        or queryset._single
    ):
        return await queryset
    statement = written(queryset)
    _, rows = await statement.db.execute_query(statement.sql, statement.params)
    return from_records(queryset.model, rows)


async def linked_rows_by_keys(
    readable: QuerySet[ModelT], relation: str, keys: Sequence[Any], order: Sequence[str]
) -> tuple[list[tuple[Any, Any]], dict[Any, ModelT | None]]:
    """``linked_by_keys`` of ``readable``'s model, and in the same statement the rows of
    ``readable`` among those linked, by id (None for a linked row ``readable`` leaves out:
    what ``rows_by_keys(readable, "id", ids)`` leaves out)."""
    if not keys:
        return [], {}
    model = readable.model
    readable = _projected(readable, model._meta.pk_attr)
    field: Any = model._meta.fields_map[relation]
    dialect = readable._choose_db().capabilities.dialect
    table, through = model._meta.db_table, field.through
    parameter = _keys_parameter(dialect, keys)
    scoped = by_keys(readable, _LinkedTo(relation), parameter)
    db, inner, params = scoped.db, scoped.sql, scoped.params
    outer = f"${len(params) + 1}" if dialect == "postgres" else "?"
    terms = order_terms(order, lambda name: f'"{table}"."{name}"')
    linked = f'"{through}"."{field.forward_key}"'
    sql = (
        f'SELECT {linked} AS hub_key, "{table}"."id" AS hub_id, hub_row.*'
        f' FROM "{table}" JOIN "{through}"'
        f' ON "{table}"."id" = "{through}"."{field.backward_key}"'
        f' LEFT JOIN ({inner}) AS hub_row ON hub_row."id" = "{table}"."id"'
        f" WHERE {_one_of(dialect, linked, outer)}"
        f" ORDER BY {terms}"
    )
    _, records = await db.execute_query(sql, [*params, parameter])
    pairs: list[tuple[Any, Any]] = []
    rows: dict[Any, ModelT | None] = {}
    readable_records: list[dict[str, Any]] = []
    for record in records:
        values = dict(record)
        row_id = values.pop("hub_id")
        pairs.append((row_id, values.pop("hub_key")))
        if row_id not in rows:
            rows[row_id] = None
            if values["id"] is not None:
                readable_records.append(values)
    for row in from_records(model, readable_records):
        rows[row.pk] = row
    return pairs, rows
