"""The SQL of the statements that read rows by key, written once per shape of queryset.

A loader's statement is its queryset (a model, a row scope, an order, the columns read) with
one more condition on a column, whose value, the batch's keys, is a single parameter
(``resolvers.fetching``). Writing it takes tortoise and pypika ~0.1 ms a statement, about a
tenth of a sheet's time, and gives the same text every time the queryset has the same shape:
the same caller's scope asked again, by any request. So the text and its parameters are kept
by the queryset's *shape*: every attribute of the queryset and of its conditions, taken by
type and value. Only the keys' parameter changes from one batch to the next.

The shape is conservative: a queryset holding anything but plain values (numbers, strings,
dates, enums, models, conditions and collections of them), such as an expression or a
subquery, has no shape, and its statement is written each
time, as tortoise would. Two querysets of equal shape are built from equal values, so
tortoise writes them the same way: a cached text never carries another caller's scope.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Hashable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from pypika_tortoise.terms import Criterion
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet, ValuesQuery

# Statements kept per process: a shape per loader and caller's scope (and set of columns).
# Past this, the oldest is dropped.
KEPT = 2048

# Values taken as they are (with their type). Enums and subclasses come by the slower way.
_PLAIN = frozenset(
    {
        type(None),
        bool,
        int,
        float,
        str,
        bytes,
        decimal.Decimal,
        datetime.date,
        datetime.datetime,
        datetime.time,
        datetime.timedelta,
        uuid.UUID,
    }
)
_COLLECTIONS = frozenset({list, tuple, set, frozenset, dict})
# Derived from the others when tortoise writes the statement (``_make_query`` starts over
# from the model's base query), or the connection to send it to (a transaction's, a
# replica's): not part of what the SQL says, but for the dialect, which the key holds.
_DERIVED = frozenset({"query", "_db", "_capabilities"})


class _NoShape(Exception):
    """A value the shape does not take apart: its statement is written each time."""


class KeyCondition(Protocol):
    """The condition a statement by key adds to its queryset; hashable, as part of its shape."""

    def criterion(self, model: type[Model], keys: Any, dialect: str) -> Criterion:
        """The condition on ``model``'s table, its keys being the parameter ``keys``."""
        ...


@dataclass
class Statement:
    """A statement to send, its parameters, and the client to send it to."""

    db: BaseDBAsyncClient
    sql: str
    params: list[Any]


@dataclass(frozen=True)
class _Written:
    sql: str
    params: tuple[Any, ...]
    # Where the keys go in ``params``.
    keys_at: int


_written: dict[Hashable, _Written] = {}
_slots: dict[type, tuple[str, ...]] = {}


def _slot_names(kind: type) -> tuple[str, ...]:
    names = _slots.get(kind)
    if names is None:
        seen = dict.fromkeys(
            name for klass in reversed(kind.__mro__) for name in getattr(klass, "__slots__", ())
        )
        names = _slots[kind] = tuple(name for name in seen if name not in _DERIVED)
    return names


def _state(value: Any) -> Hashable:
    """Every attribute of ``value`` (a queryset, a condition), frozen."""
    kind = type(value)
    attributes = [(name, _frozen(getattr(value, name, None))) for name in _slot_names(kind)]
    attributes += [(name, _frozen(item)) for name, item in getattr(value, "__dict__", {}).items()]
    return (kind, tuple(attributes))


def _frozen(value: Any) -> Hashable:
    kind = type(value)
    # By type and value: True, 1 and 1.0 are equal in Python but not in a statement.
    if kind in _PLAIN:
        return (kind, value)
    if kind in _COLLECTIONS:
        if not value:
            return (kind,)
        if kind is dict:
            # In order: the order of a filter's terms is the order of its parameters.
            return (kind, tuple((_frozen(key), _frozen(item)) for key, item in value.items()))
        if kind is list or kind is tuple:
            return (kind, tuple(_frozen(item) for item in value))
        return (kind, frozenset(_frozen(item) for item in value))
    if kind is Q:
        return _state(value)
    if isinstance(value, Enum):
        return (kind, value)
    if isinstance(value, type) and issubclass(value, Model):
        return value
    raise _NoShape


def shape(queryset: QuerySet[Any] | ValuesQuery[Any]) -> Hashable | None:
    """What the statement of ``queryset`` depends on, or None when it holds a value whose
    effect on the statement is not plain (an expression, a subquery)."""
    try:
        return _state(queryset)
    except _NoShape:
        return None


def written(
    queryset: QuerySet[Any] | ValuesQuery[Any], where: Criterion | None = None
) -> Statement:
    """The statement of ``queryset`` (and ``where``) as tortoise writes it (joins, escaping,
    placeholders of the connection's dialect); tortoise has no public way to hand it out."""
    queryset._choose_db_if_not_chosen()
    queryset._make_query()
    query = queryset.query if where is None else queryset.query.where(where)
    sql, params = query.get_parameterized_sql()
    return Statement(queryset._db, sql, list(params))


def by_keys(queryset: QuerySet[Any], condition: KeyCondition, parameter: Any) -> Statement:
    """The statement of ``queryset`` with ``condition`` on its rows, ``parameter`` (the keys,
    as the dialect takes them) in place of the keys."""
    key = shape(queryset)
    db = queryset._choose_db()
    dialect = db.capabilities.dialect
    if key is not None:
        key = (key, condition, type(db), dialect)
        known = _written.get(key)
        if known is not None:
            params = list(known.params)
            params[known.keys_at] = parameter
            return Statement(db, known.sql, params)
    marker = object()
    statement = written(queryset, condition.criterion(queryset.model, marker, dialect))
    params = statement.params
    at = [index for index, value in enumerate(params) if value is marker]
    if key is not None and len(at) == 1:
        if len(_written) >= KEPT:
            del _written[next(iter(_written))]
        _written[key] = _Written(statement.sql, tuple(params), at[0])
    statement.params = [parameter if value is marker else value for value in params]
    return statement
