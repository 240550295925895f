"""Which columns of a row a selection reads, so that lists fetch only those.

A site row has more than a hundred columns; a map or a list reads a handful. Each field of a
type viewing a row says what it reads: a plain attribute reads its own column; a resolver
declares its columns with ``reads`` (a field built by ``loaded`` reads its key), or, for a
field whose object is another view of the same row (a site's population figures), with
``reads_below`` the columns of each of that object's fields. A selection holding a field that
says nothing reads the whole row, so a field added without a declaration costs speed, never
correctness.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

from strawberry.types import Info
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField
from tortoise.models import Model

from resolvers.selection import names_below

FunctionT = TypeVar("FunctionT", bound=Callable[..., Any])

# The attribute on a resolver that lists the columns it reads (a sequence), or, for a field
# viewing the same row, the columns of each field below it (a mapping by GraphQL name).
READS = "__hub_reads__"
Reads = Sequence[str] | Mapping[str, Sequence[str]]


def reads(*columns: str) -> Callable[[FunctionT], FunctionT]:
    """Declares the columns of the row a resolver (and what it builds) reads."""

    def declare(function: FunctionT) -> FunctionT:
        setattr(function, READS, columns)
        return function

    return declare


def reads_below(**columns: Sequence[str]) -> Callable[[FunctionT], FunctionT]:
    """Declares, for a resolver whose object views the same row, the columns each field of
    that object reads (by GraphQL name): a selection reads those of the fields it asks for."""

    def declare(function: FunctionT) -> FunctionT:
        setattr(function, READS, dict(columns))
        return function

    return declare


def _field_reads(field: StrawberryField, model: type[Model]) -> Reads | None:
    resolver = field.base_resolver
    if resolver is None:
        name = field.python_name
        return (name,) if name in model._meta.fields_map else None
    declared: Reads | None = getattr(resolver.wrapped_func, READS, None)
    return declared


class Projection:
    """The columns a selection of one type reads from its model's rows.

    Built with ``by_key=True``, it also bounds what the request's loaders read of the model
    by key (``schema.execution.plan.columns_read``): every selection of the type in an
    operation is then known, so rows read once for all of them hold what each one reads.
    Only for a model whose rows no other GraphQL type shows."""

    def __init__(
        self, type_name: str, model: type[Model], always: Iterable[str], *, by_key: bool = False
    ) -> None:
        self.type_name = type_name
        self.model = model
        # The key, and what the policy's decisions and the audit read of every row.
        self.always = tuple(always)
        self._by_field: dict[str, Reads | None] | None = None
        if by_key:
            BY_KEY[type_name] = self

    def columns(self, info: Info[Any, Any], *paths: Sequence[str]) -> list[str] | None:
        """The columns read by the selections found at ``paths`` below the field being
        resolved (e.g. ``("nodes",)`` and ``("edges", "node")`` of a connection); None: all
        of them."""
        by_field = self._fields(info)
        wanted = dict.fromkeys(self.always)
        for path in paths:
            for name in names_below(info, *path):
                if name == "__typename":
                    continue
                found = read(by_field.get(name), partial(names_below, info, *path, name))
                if found is None:
                    return None
                wanted.update(dict.fromkeys(found))
        return list(wanted)

    def reads_of(self, field: StrawberryField) -> Reads | None:
        return _field_reads(field, self.model)

    def _fields(self, info: Info[Any, Any]) -> dict[str, Reads | None]:
        if self._by_field is None:
            definition = info.schema.get_type_by_name(self.type_name)
            assert isinstance(definition, StrawberryObjectDefinition)
            name_of = info.schema.config.name_converter.get_graphql_name
            self._by_field = {name_of(field): self.reads_of(field) for field in definition.fields}
        return self._by_field


def read(reads: Reads | None, below: Callable[[], Iterable[str]]) -> Sequence[str] | None:
    """The columns a field declaring ``reads`` reads (``below``: the names selected under
    it, for a field viewing the same row); None: the whole row."""
    if reads is None or not isinstance(reads, Mapping):
        return reads
    columns: list[str] = []
    for name in below():
        if name == "__typename":
            continue
        found = reads.get(name)
        if found is None:
            return None
        columns += found
    return columns


# The projections bounding what the loaders read by key, by GraphQL type name.
BY_KEY: dict[str, Projection] = {}
