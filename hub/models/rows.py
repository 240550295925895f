"""Model instances built from database rows with less work than tortoise's own.

tortoise builds each instance field by field through ``setattr`` and, for a row holding only
some columns (``.only()``), through a slower path that rebuilds sets of names for every row.
A list of 500 sites and the actions, users and communes around it is over 1,400 rows a
request, so the hub's models get ``_init_from_db`` (tortoise's hook for exactly this) built
once per model: the same attributes with the same conversions, the row's own dict becoming
the instance's ``__dict__``. ``from_records`` builds them from the driver's rows, without
tortoise's detour through keyword arguments.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from tortoise import timezone
from tortoise.fields import DatetimeField
from tortoise.models import Model

Build = Callable[[list[dict[str, Any]]], list[Model]]
Convert = Callable[[Any], Any]
ModelT = TypeVar("ModelT", bound=Model)

# Each model's builder, per database dialect: tortoise fills a model's lists of fields when
# it starts, for the dialect it connects to.
_BUILT: dict[tuple[type[Model], int], Build] = {}


def build_rows_quickly(model: type[Model]) -> None:
    """Gives ``model`` the quicker ``_init_from_db``."""

    def init_from_db(cls: type[Model], **row: Any) -> Model:
        return _builder_of(cls)([row])[0]

    model._init_from_db = classmethod(init_from_db)  # type: ignore[assignment,method-assign]


def from_records(model: type[ModelT], records: Sequence[Mapping[str, Any]]) -> list[ModelT]:
    """Instances of ``model`` from rows as the driver gives them (asyncpg's records,
    sqlite3's rows), as tortoise's own select builds them. The rows of one statement have
    the same columns: what to convert is worked out once for all of them. A row given as a
    dict becomes its instance's ``__dict__`` as it is: the caller hands it over."""
    if not records:
        return []
    first = records[0]
    if type(first) is dict:
        rows = [record if type(record) is dict else dict(record) for record in records]
    else:
        # The driver's rows share their columns: named once, then zipped with each row's
        # values (a quarter quicker than asking each row for its names).
        names = tuple(first.keys())
        rows = [dict(zip(names, record, strict=False)) for record in records]
    return _builder_of(model)(rows)  # type: ignore[return-value]


def _builder_of(model: type[Model]) -> Build:
    key = (model, id(model._meta.db_native_fields))
    build = _BUILT.get(key)
    if build is None:
        build = _BUILT[key] = _builder(model)
    return build


def _builder(model: type[Model]) -> Build:
    meta = model._meta
    fields = [*meta.db_native_fields, *meta.db_default_fields, *meta.db_complex_fields]
    columns = frozenset(key for key, _, _ in fields)
    if any(key != attr for key, attr, _ in fields):
        return _by_field(model)
    # Columns whose value tortoise converts: the others are taken as the driver gives them.
    converted = [(key, _or_none(field.field_type)) for key, _, field in meta.db_default_fields]
    converted += [(key, _python_value(field)) for key, _, field in meta.db_complex_fields]
    custom_pk = meta.db_pk_column not in meta.generated_db_fields
    new = object.__new__
    set_attribute = object.__setattr__
    # The conversions and the partiality of each shape of row (its columns, in order): a
    # model of a hundred columns read through a handful would otherwise try each of its
    # conversions on every row.
    shapes: dict[tuple[str, ...], tuple[list[tuple[str, Convert]], dict[str, bool]]] = {}

    def shape(keys: tuple[str, ...]) -> tuple[list[tuple[str, Convert]], dict[str, bool]]:
        found = shapes.get(keys)
        if found is None:
            present = set(keys)
            conversions = [(key, convert) for key, convert in converted if key in present]
            flags = {
                "_partial": not columns <= present,
                "_saved_in_db": True,
                "_custom_generated_pk": custom_pk,
            }
            found = shapes[keys] = (conversions, flags)
        return found

    def build(rows: list[dict[str, Any]]) -> list[Model]:
        # Each row is a dict of the builder's own (the row's columns, named as the
        # attributes, and what the statement added): it becomes its instance's.
        conversions, flags = shape(tuple(rows[0]))
        for key, convert in conversions:
            for values in rows:
                values[key] = convert(values[key])
        built = []
        for values in rows:
            values.update(flags)
            values["_await_when_save"] = {}
            instance = new(model)
            set_attribute(instance, "__dict__", values)  # not through tortoise's __setattr__
            built.append(instance)
        return built

    return build


def _by_field(model: type[Model]) -> Build:
    """For a model whose columns and attributes differ in name: tortoise's own way."""
    init_from_db = Model._init_from_db.__func__  # type: ignore[attr-defined]
    return lambda rows: [init_from_db(model, **row) for row in rows]


def _python_value(field: Any) -> Convert:
    """The field's conversion of a column's value; for a date and time, the driver's UTC
    value moved to tortoise's time zone at once, as tortoise does it after looking the zone
    up again for every value. SQLite gives dates and times as text with their offset
    (``2026-11-01 09:30:00+00:00``): read by ``datetime.fromisoformat``, a C function, where
    tortoise reads them with a regular expression (iso8601) to the same instant; any other
    text takes tortoise's way."""
    convert: Convert = field.to_python_value
    if not isinstance(field, DatetimeField) or not timezone.get_use_tz():
        return convert
    zone = timezone.get_default_timezone()
    utc = datetime.UTC
    parse = datetime.datetime.fromisoformat

    def moved(value: Any) -> Any:
        if type(value) is datetime.datetime and value.tzinfo is utc:
            return value.astimezone(zone)
        if type(value) is str:
            try:
                parsed = parse(value)
            except ValueError:
                return convert(value)
            if parsed.tzinfo is not None:
                return parsed.astimezone(zone)
        return convert(value)

    return moved


def _or_none(kind: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: kind(value) if value is not None else None
