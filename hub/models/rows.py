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
    native = [(key, attr) for key, attr, _ in meta.db_native_fields]
    plain = [(key, attr, field.field_type) for key, attr, field in meta.db_default_fields]
    converted = [(key, attr, field.to_python_value) for key, attr, field in meta.db_complex_fields]
    conversions: dict[str, tuple[str, Callable[[Any], Any] | None]] = {
        key: (attr, None) for key, attr in native
    }
    conversions |= {key: (attr, _or_none(kind)) for key, attr, kind in plain}
    conversions |= {key: (attr, convert) for key, attr, convert in converted}
    custom_pk = meta.db_pk_column not in meta.generated_db_fields
    new = object.__new__

    def build(row: dict[str, Any]) -> Model:
        instance = new(model)
        values = instance.__dict__
        values["_saved_in_db"] = True
        values["_custom_generated_pk"] = custom_pk
        values["_await_when_save"] = {}
        try:
            for key, attr in native:
                values[attr] = row[key]
            for key, attr, kind in plain:
                value = row[key]
                values[attr] = kind(value) if value is not None else None
            for key, attr, convert in converted:
                values[attr] = convert(row[key])
            values["_partial"] = False
        except KeyError:
            # A row of some columns only (``.only()``): the others stay unset, as tortoise
            # leaves them.
            values["_partial"] = True
            for key, value in row.items():
                conversion = conversions.get(key)
                if conversion is not None:
                    attr, how = conversion
                    values[attr] = how(value) if how is not None else value
        return instance

    return build


def _or_none(kind: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: kind(value) if value is not None else None
