"""The columns the running operation reads of some models: what their loaders fetch by key.

A user row has thirteen columns, an action fifteen; a list of actions and their operators
shows a name and an organization. The compiled read path knows, before it runs an
operation, every selection of such a type in it (``schema.projection.BY_KEY``), so it sets
here the columns those selections read, with the key and what the policy's decisions read;
``resolvers.fetching`` then reads only those for rows of that model, whoever asks for them
during the operation. The value lives in a context variable because the loaders' batches run
in tasks of their own, started from the operation's (which copy it), and a loader's factory
knows the caller, not the operation. Outside an operation the compiled path runs (mutations,
introspection, graphql-core's executor), nothing is set: whole rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

from tortoise.models import Model

Columns = Mapping[type[Model], Sequence[str]]

_READ: ContextVar[Columns] = ContextVar("hub_columns_read", default=MappingProxyType({}))


def columns_read(model: type[Model]) -> Sequence[str] | None:
    """The columns of ``model`` the running operation reads; None: all of them."""
    return _READ.get().get(model)


@contextmanager
def reading(columns: Columns) -> Iterator[None]:
    """Within: rows of the models of ``columns`` are read with those columns only."""
    token = _READ.set(columns)
    try:
        yield
    finally:
        _READ.reset(token)
