"""Model instances built from database rows with less work than tortoise's own.

tortoise builds each instance field by field through ``setattr`` and, for a row holding only
some columns (``.only()``), through a slower path that rebuilds sets of names for every row.
A list of 500 sites and the actions, users and communes around it is over 1,400 rows a
request, so the hub's models get ``_init_from_db`` (tortoise's hook for exactly this) built
once per model: the same attributes with the same conversions, written straight into the
instance's ``__dict__``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tortoise.models import Model

Build = Callable[[dict[str, Any]], Model]


def build_rows_quickly(model: type[Model]) -> None:
    """Gives ``model`` the quicker ``_init_from_db``."""
    built: dict[int, Build] = {}

    def init_from_db(cls: type[Model], **row: Any) -> Model:
        # tortoise fills these lists when it starts (per database dialect): build then.
        key = id(cls._meta.db_native_fields)
        build = built.get(key)
        if build is None:
            build = built[key] = _builder(cls)
        return build(row)

    model._init_from_db = classmethod(init_from_db)  # type: ignore[assignment,method-assign]


def _builder(model: type[Model]) -> Build:
    meta = model._meta
    fields = [*meta.db_native_fields, *meta.db_default_fields, *meta.db_complex_fields]
    columns = frozenset(key for key, _, _ in fields)
    if any(key != attr for key, attr, _ in fields):
        return _by_field(model)
    # Columns whose value tortoise converts: the others are taken as the driver gives them.
    converted = [(key, _or_none(field.field_type)) for key, _, field in meta.db_default_fields]
    converted += [(key, field.to_python_value) for key, _, field in meta.db_complex_fields]
    custom_pk = meta.db_pk_column not in meta.generated_db_fields
    new = object.__new__

    def build(row: dict[str, Any]) -> Model:
        instance = new(model)
        values = instance.__dict__
        # Columns are named as the attributes: one update sets them all (and what the
        # statement added, as tortoise then does itself).
        values.update(row)
        for key, convert in converted:
            if key in row:
                values[key] = convert(row[key])
        values["_partial"] = not columns <= row.keys()
        values["_saved_in_db"] = True
        values["_custom_generated_pk"] = custom_pk
        values["_await_when_save"] = {}
        return instance

    return build


def _by_field(model: type[Model]) -> Build:
    """For a model whose columns and attributes differ in name: tortoise's own way."""
    init_from_db = Model._init_from_db.__func__  # type: ignore[attr-defined]
    return lambda row: init_from_db(model, **row)


def _or_none(kind: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: kind(value) if value is not None else None
