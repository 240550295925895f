"""Fields resolved for many objects in one call: the batch form the compiled path runs.

A batched field is written once, as a function from the objects of a level to their values
(``many(objects, context) -> values``, one per object, in order). Under graphql-core it
resolves one object at a time through that same function (the request's DataLoaders still
batch the objects' look-ups together); the compiled path calls it once for every object of
the level, with no coroutine per object.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import strawberry
from strawberry.types import Info

from resolvers.context import Context, LoaderFactory
from schema.projection import READS

Many = Callable[[Sequence[Any], Context], Awaitable[Sequence[Any]]]

# The attribute on a field's resolver that holds its batch form.
BATCH = "__hub_batch__"


def batched(
    many: Many,
    graphql_type: Any,
    description: str | None = None,
    reads: Sequence[str] | None = None,
) -> Any:
    """A strawberry field of type ``graphql_type`` whose values come from ``many``, which
    reads the ``reads`` columns of the objects (``schema.projection``)."""

    async def resolve(root: strawberry.Parent[Any], info: Info[Context, None]) -> Any:
        return (await many([root], info.context))[0]

    setattr(resolve, BATCH, many)
    if reads is not None:
        setattr(resolve, READS, tuple(reads))
    resolve.__name__ = many.__name__
    return strawberry.field(resolver=resolve, graphql_type=graphql_type, description=description)


def batch_of(resolver: Callable[..., Any] | None) -> Many | None:
    """The batch form of a field's resolver, if it was declared with ``batched``."""
    return getattr(resolver, BATCH, None)


def loaded(
    factory: LoaderFactory, key: str, graphql_type: Any, description: str | None = None
) -> Any:
    """A field holding what the request's ``factory`` loader finds for the object's ``key``
    attribute (null where that attribute is null)."""

    async def many(roots: Sequence[Any], context: Context) -> list[Any]:
        keys = [getattr(root, key) for root in roots]
        found = iter(await context.loaders[factory].load_many([k for k in keys if k is not None]))
        return [None if k is None else next(found) for k in keys]

    many.__name__ = key
    return batched(many, graphql_type, description, reads=(key,))
