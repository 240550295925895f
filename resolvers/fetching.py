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

A statement may read, with each of its rows, the row a to-one relation leads to (``ToOne``: a
user's organization, a commune's département) as the loader of those rows by key reads them
(``Readable``): a LEFT JOIN onto that loader's queryset as a subquery, so that a row its scope
leaves out is read as None, as that loader would answer. The joined columns are named
``hub_<n>__<column>`` (n: the relation's place), so that no name of one table hides one of
the other; they are taken apart from the row's own (``joined_rows``) and given by loader and
key (``Primed``), for ``resolvers.batching.Priming`` to prime those loaders with.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pypika_tortoise.context import SqlContext
from pypika_tortoise.enums import JoinType
from pypika_tortoise.queries import JoinOn, QueryBuilder
from pypika_tortoise.terms import Criterion, Field, Term, ValueWrapper
from tortoise.models import Model
from tortoise.queryset import QuerySet

from hub.models.rows import from_records
from resolvers.batching import Factory, Primed

ModelT = TypeVar("ModelT", bound=Model)


def _one_of(dialect: str, column: str, parameter: str) -> str:
    if dialect == "postgres":
        return f"{column}=ANY({parameter})"
    return f"{column} IN (SELECT value FROM json_each({parameter}))"


def _keys_parameter(dialect: str, keys: Sequence[Any]) -> Any:
    return list(keys) if dialect == "postgres" else json.dumps(list(keys))


class _OneOf(Criterion):
    """``column`` is one of ``keys``, the keys being a single parameter."""

    def __init__(self, column: Field, keys: Sequence[Any], dialect: str) -> None:
        super().__init__()
        self.column = column
        self.dialect = dialect
        self.keys = ValueWrapper(_keys_parameter(dialect, keys))

    def get_sql(self, ctx: SqlContext) -> str:
        return _one_of(self.dialect, self.column.get_sql(ctx), self.keys.get_sql(ctx))


class _LinkedTo(Criterion):
    """``column`` is the key of a row linked to one of ``keys`` through a link table."""

    def __init__(
        self, column: Field, through: str, row_key: str, link_key: str, keys: Any, dialect: str
    ) -> None:
        super().__init__()
        self.column = column
        self.through = through
        self.row_key = row_key
        self.link_key = link_key
        self.dialect = dialect
        self.keys = ValueWrapper(keys)

    def get_sql(self, ctx: SqlContext) -> str:
        linked = _one_of(
            self.dialect, f'"{self.through}"."{self.link_key}"', self.keys.get_sql(ctx)
        )
        return (
            f'{self.column.get_sql(ctx)} IN (SELECT "{self.through}"."{self.row_key}"'
            f' FROM "{self.through}" WHERE {linked})'
        )


@dataclass(frozen=True)
class Readable:
    """The rows a loader by key (``loader``) gives: those ``queryset`` keeps (its row scope),
    read with the rows of their to-one relations ``joined``. A statement priming that loader
    reads them the same way, so that the two cannot disagree on what the caller may read."""

    queryset: QuerySet[Any]
    loader: Factory
    joined: tuple[ToOne, ...] = ()


@dataclass(frozen=True)
class ToOne:
    """A to-one relation read in the statement of the rows holding its key (``key``, a field
    of theirs): the row it leads to, by primary key, as ``rows`` gives it."""

    key: str
    rows: Readable


def primed_loaders(joined: Sequence[ToOne]) -> tuple[Factory, ...]:
    """The loaders a statement reading the rows of ``joined`` primes."""
    found: dict[Factory, None] = {}
    for relation in joined:
        found[relation.rows.loader] = None
        found.update(dict.fromkeys(primed_loaders(relation.rows.joined)))
    return tuple(found)


def _made(queryset: QuerySet[ModelT]) -> QuerySet[ModelT]:
    """``queryset`` with its query built afresh (a ``Readable``'s queryset is read by every
    batch of its loader: its statement is written before anything else runs)."""
    queryset._choose_db_if_not_chosen()
    queryset._make_query()
    return queryset


def joined_query(queryset: QuerySet[Any], joined: Sequence[ToOne]) -> QueryBuilder:
    """The statement of ``queryset`` (its query built) also reading, for each row, the rows
    ``joined`` lead to, under the names ``joined_rows`` takes apart."""
    query: QueryBuilder = queryset.query
    meta = queryset.model._meta
    for index, relation in enumerate(joined):
        target = _made(relation.rows.queryset)
        alias = _alias(index)
        inner = joined_query(target, relation.rows.joined)
        inner.alias = alias
        key = Field(meta.fields_db_projection[relation.key], table=meta.basetable)
        target_key = Field(target.model._meta.db_pk_column, table=inner)
        # Appended as they are, not through the builder's join() and select(): those copy
        # the query and check the tables by hashing it, which its rendering costs over again.
        # (pypika types a join's condition as a query, and the selected terms as fields.)
        query._joins.append(JoinOn(inner, JoinType.left, target_key == key))  # type: ignore[arg-type]
        query._selects.append(_columns_of(alias, tuple(_names(inner))))  # type: ignore[arg-type]
    return query


def _alias(index: int) -> str:
    return f"hub_{index}"


class _Columns(Term):
    """The columns of a joined row under the names ``joined_rows`` takes apart, written once
    for every statement reading them."""

    def __init__(self, names: Sequence[str], sql: str) -> None:
        super().__init__()
        self.names = names
        self.sql = sql

    def get_sql(self, ctx: SqlContext) -> str:
        return self.sql


@functools.lru_cache(maxsize=256)
def _columns_of(alias: str, names: tuple[str, ...]) -> _Columns:
    renamed = [f"{alias}__{name}" for name in names]
    sql = ",".join(f'"{alias}"."{name}" "{new}"' for name, new in zip(names, renamed, strict=True))
    return _Columns(renamed, sql)


def _names(query: QueryBuilder) -> list[str]:
    """The names of the columns ``query`` gives."""
    names: list[str] = []
    for term in query._selects:
        if isinstance(term, _Columns):
            names += term.names
        elif isinstance(term, Field):
            names.append(term.alias or term.name)
        else:
            raise TypeError(f"A joined row is read by its columns, not by {term!r}.")
    return names


def joined_rows(
    model: type[Model], records: Sequence[Mapping[str, Any]], joined: Sequence[ToOne]
) -> tuple[Sequence[Mapping[str, Any]], Primed]:
    """``records`` of ``model`` without the columns ``joined_query`` added, and the rows those
    columns hold, by loader and key (None for a key whose row the loader leaves out)."""
    primed: Primed = {}
    if not joined or not records:
        return records, primed
    return _apart(model, records, joined, primed), primed


def _apart(
    model: type[Model],
    records: Sequence[Mapping[str, Any]],
    joined: Sequence[ToOne],
    primed: Primed,
) -> list[dict[str, Any]]:
    names = list(records[0].keys())
    prefixes = tuple(f"{_alias(index)}__" for index in range(len(joined)))
    for prefix, relation in zip(prefixes, joined, strict=True):
        columns = [(name, name.removeprefix(prefix)) for name in names if name.startswith(prefix)]
        target = relation.rows.queryset.model
        target_key = f"{prefix}{target._meta.db_pk_column}"
        key_column = model._meta.fields_db_projection[relation.key]
        found = primed.setdefault(relation.rows.loader, {})
        # The rows of the distinct keys: many rows may lead to the same one.
        read: dict[Any, dict[str, Any]] = {}
        for record in records:
            key = record[key_column]
            if key is None or key in read:
                continue
            if record[target_key] is None:
                found.setdefault(key, None)
            else:
                read[key] = {short: record[name] for name, short in columns}
        kept: Sequence[Mapping[str, Any]] = list(read.values())
        if relation.rows.joined and kept:
            kept = _apart(target, kept, relation.rows.joined, primed)
        found.update(zip(read, from_records(target, kept), strict=True))
    own = [name for name in names if not name.startswith(prefixes)]
    return [{name: record[name] for name in own} for record in records]


async def joined_rows_by_keys(
    queryset: QuerySet[ModelT], field: str, keys: Sequence[Any], joined: Sequence[ToOne]
) -> tuple[list[ModelT], Primed]:
    """The rows of ``queryset`` whose ``field`` is one of ``keys``, and in the same statement
    the rows ``joined`` lead to, by loader and key (``joined_rows``)."""
    if not keys:
        return [], {}
    model = queryset.model
    made = _made(queryset)
    db = made._db
    column = Field(model._meta.fields_db_projection[field], table=model._meta.basetable)
    query = joined_query(made, joined).where(_OneOf(column, keys, db.capabilities.dialect))
    sql, params = query.get_parameterized_sql()
    _, records = await db.execute_query(sql, list(params))
    own, primed = joined_rows(model, records, joined)
    return from_records(model, own), primed


async def rows_by_keys(queryset: QuerySet[ModelT], field: str, keys: Sequence[Any]) -> list[ModelT]:
    """The rows of ``queryset`` whose ``field`` is one of ``keys``."""
    rows, _ = await joined_rows_by_keys(queryset, field, keys, ())
    return rows


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
    terms = ", ".join(
        f'"{table}"."{term.lstrip("-")}" {"DESC" if term.startswith("-") else "ASC"}'
        for term in order
    )
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
    queryset._choose_db_if_not_chosen()
    queryset._make_query()
    sql, params = queryset.query.get_parameterized_sql()
    _, rows = await queryset._db.execute_query(sql, list(params))
    return from_records(queryset.model, rows)


async def linked_rows_by_keys(
    readable: Readable, relation: str, keys: Sequence[Any], order: Sequence[str]
) -> tuple[list[tuple[Any, Any]], Primed]:
    """``linked_by_keys`` of ``readable``'s model, and in the same statement the rows
    ``readable`` gives among those linked, for its loader by id (None for a linked row its
    queryset leaves out: what ``rows_by_keys(queryset, "id", ids)`` leaves out), with the
    rows of their to-one relations for theirs."""
    if not keys:
        return [], {}
    queryset = _made(readable.queryset)
    model = queryset.model
    field: Any = model._meta.fields_map[relation]
    db = queryset._db
    dialect = db.capabilities.dialect
    table, through = model._meta.db_table, field.through
    parameter = _keys_parameter(dialect, keys)
    column = Field(model._meta.db_pk_column, table=model._meta.basetable)
    scoped = joined_query(queryset, readable.joined).where(
        _LinkedTo(column, through, field.backward_key, field.forward_key, parameter, dialect)
    )
    inner, params = scoped.get_parameterized_sql()
    params = list(params)
    outer = f"${len(params) + 1}" if dialect == "postgres" else "?"
    terms = ", ".join(
        f'"{table}"."{term.lstrip("-")}" {"DESC" if term.startswith("-") else "ASC"}'
        for term in order
    )
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
    rows: dict[Any, Model | None] = {}
    readable_records: list[dict[str, Any]] = []
    for record in records:
        values = dict(record)
        row_id = values.pop("hub_id")
        pairs.append((row_id, values.pop("hub_key")))
        if row_id not in rows:
            rows[row_id] = None
            if values["id"] is not None:
                readable_records.append(values)
    own, primed = joined_rows(model, readable_records, readable.joined)
    for row in from_records(model, own):
        rows[row.pk] = row
    primed.setdefault(readable.loader, {}).update(rows)
    return pairs, primed
