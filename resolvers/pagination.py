"""Cursor pagination: argument checks, root pages, and pages of children for many parents.

Cursors are opaque base64 strings holding an offset. Pages of children (a site's journal,
a territory's communes…) are computed for every parent of a batch in one SQL statement
with ``ROW_NUMBER() OVER (PARTITION BY parent)``, so the statement count of a request
does not grow with the number of parents. The same statement counts each parent's children
(``COUNT(*) OVER (PARTITION BY parent)``), which a first page's ``totalCount`` takes; and
for a connection whose rows are the children's own (``child_connection(rows_in_page=True)``)
it reads the rows too, instead of their ids then the rows by id a wave later.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from strawberry.types import Info
from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from hub.errors import BadUserInput
from hub.models.rows import from_records
from hub.settings import Settings
from permissions.principal import Principal
from resolvers.batching import BatchLoad, Priming, Sharing
from resolvers.fetching import linked_by_keys, linked_rows_by_keys, order_terms, selected_rows
from resolvers.selection import names_below
from resolvers.statements import written

RowT = TypeVar("RowT")
_CURSOR_PREFIX = "offset:"


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not raw.startswith(_CURSOR_PREFIX):
            raise ValueError(cursor)
        offset = int(raw.removeprefix(_CURSOR_PREFIX))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadUserInput(f"Invalid cursor {cursor!r}: pass a cursor this API returned.") from None
    if offset < 0:
        raise BadUserInput(f"Invalid cursor {cursor!r}: pass a cursor this API returned.")
    return offset


@dataclass(frozen=True)
class PageRequest:
    first: int
    offset: int

    @classmethod
    def parse(cls, settings: Settings, first: int | None, after: str | None) -> PageRequest:
        if first is None:
            first = settings.default_page_size
        if not 0 <= first <= settings.max_page_size:
            raise BadUserInput(
                f"`first` must be between 0 and {settings.max_page_size}, got {first}.",
                argument="first",
                maximum=settings.max_page_size,
            )
        offset = decode_cursor(after) + 1 if after else 0
        return cls(first=first, offset=offset)


@dataclass
class Page(Generic[RowT]):
    """One page of rows with what a connection needs around them. ``offset``: how many rows
    come before it (for a page read by key, 1 when there are some: how many is not known)."""

    rows: Sequence[RowT]
    offset: int
    has_next: bool
    count: Callable[[], Awaitable[int]]
    # The rows' cursors when they are their keys rather than their offsets (``by_key``).
    keys: Sequence[str] | None = None

    def cursor(self, index: int) -> str:
        return self.keys[index] if self.keys is not None else encode_cursor(self.offset + index)


_KEY_PREFIX = "before:"


async def by_key(
    queryset: QuerySet[Any], settings: Settings, first: int | None, after: str | None
) -> Page[Any]:
    """A page of a list read newest first by id, whose cursors are ids: rows added at its
    head while a client pages through it do not shift the next page (as offsets would)."""
    size = PageRequest.parse(settings, first, None).first
    rest = queryset.filter(id__lt=_decode_key(after)) if after else queryset
    rows = await selected_rows(rest.order_by("-id").limit(size + 1)) if size else []
    kept = rows[:size]
    return Page(
        rows=kept,
        offset=1 if after else 0,
        has_next=len(rows) > size,
        count=queryset.count,
        keys=[_encode_key(row.id) for row in kept],
    )


def _encode_key(key: int) -> str:
    return base64.urlsafe_b64encode(f"{_KEY_PREFIX}{key}".encode()).decode()


def _decode_key(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not raw.startswith(_KEY_PREFIX):
            raise ValueError(cursor)
        return int(raw.removeprefix(_KEY_PREFIX))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadUserInput(f"Invalid cursor {cursor!r}: pass a cursor this API returned.") from None


async def page_of(
    queryset: QuerySet[Any],
    page: PageRequest,
    order: Sequence[str],
    columns: Sequence[str] | None = None,
) -> Page[Any]:
    """A page of a root list, of rows holding only ``columns`` if given; the total is
    counted only if the client asks for it."""
    rows_of = queryset.only(*columns) if columns else queryset
    rows = (
        await selected_rows(rows_of.order_by(*order).offset(page.offset).limit(page.first + 1))
        if page.first
        else []
    )
    return Page(
        rows=rows[: page.first],
        offset=page.offset,
        has_next=len(rows) > page.first,
        count=queryset.count,
    )


@dataclass(frozen=True)
class ChildList:
    """How to list the children of many parents.

    ``queryset(parents)`` selects the children of all the parents; ``parent_field`` is the
    ``values()`` key naming a child's parent (``site_id``, or a relation path such as
    ``operators__organization_id``); ``order`` lists ``values()`` keys (``-`` for descending)
    and ends with a unique key so that pages are stable. ``scope`` gives the condition
    (``permissions/rows.py``) keeping out the children the caller may not read.
    """

    queryset: Callable[[Sequence[Hashable]], QuerySet[Any]]
    parent_field: str
    order: tuple[str, ...]
    id_field: str = "id"
    scope: Callable[[Principal], Q] | None = None

    def of(self, parents: Sequence[Hashable], principal: Principal) -> QuerySet[Any]:
        children = self.queryset(parents)
        return children if self.scope is None else children.filter(self.scope(principal))

    @property
    def columns(self) -> list[str]:
        keys = [self.id_field, self.parent_field]
        keys += [key.lstrip("-") for key in self.order if key.lstrip("-") not in keys]
        return keys


@dataclass
class Window:
    """Up to ``page.first + 1`` children of each parent: their ids, each parent's number of
    children (of every page), and with ``rows`` the children's rows by id."""

    ids: dict[Hashable, list[Any]]
    totals: dict[Hashable, int]
    rows: dict[Any, Any]


async def window(
    children: ChildList,
    parents: Sequence[Hashable],
    page: PageRequest,
    principal: Principal,
    rows: bool = False,
) -> Window:
    """The children of a page for every parent, in one statement.

    The distinct (child, parent) pairs are numbered per parent by ``ROW_NUMBER()``, so a
    child reached twice through a join still counts once (the order's keys are the child's
    own, so a pair is one child of one parent). With ``rows``, the children's own rows are
    numbered: the parent and the order's keys are columns of the children's table, and the
    queryset reaches each child once (``child_connection(rows_in_page=True)``).
    """
    queryset = children.of(parents, principal)
    names: dict[str, str] = {}
    if rows:
        names = queryset.model._meta.fields_db_projection
        statement = written(queryset)
    else:
        statement = written(queryset.distinct().values(*children.columns))

    def column(key: str) -> str:
        return f'"{names.get(key, key)}"'

    order = order_terms(children.order, lambda key: f"pairs.{column(key)}")
    child, parent = column(children.id_field), column(children.parent_field)
    low, high = int(page.offset), int(page.offset + page.first + 1)
    selected = "numbered.*" if rows else f"numbered.{child}, numbered.{parent}, numbered.hub_total"
    sql = (
        f"SELECT {selected} FROM ("
        f"SELECT pairs.*, ROW_NUMBER() OVER (PARTITION BY pairs.{parent} ORDER BY {order})"
        f" AS hub_row_number, COUNT(*) OVER (PARTITION BY pairs.{parent}) AS hub_total"
        f" FROM ({statement.sql}) AS pairs) AS numbered"
        f" WHERE numbered.hub_row_number > {low} AND numbered.hub_row_number <= {high}"
        f" ORDER BY numbered.{parent}, numbered.hub_row_number"
    )
    _, records = await statement.db.execute_query(sql, statement.params)
    found = Window(defaultdict(list), {}, {})
    child_key = names.get(children.id_field, children.id_field)
    parent_key = names.get(children.parent_field, children.parent_field)
    kept: list[dict[str, Any]] = []
    for record in records:
        values = dict(record)
        key = values[parent_key]
        found.ids[key].append(values[child_key])
        found.totals[key] = values.pop("hub_total")
        if rows:
            del values["hub_row_number"]
            kept.append(values)
    if rows:
        model = queryset.model
        found.rows = {getattr(row, children.id_field): row for row in from_records(model, kept)}
    return found


def _pages_of(
    children: ChildList, principal: Principal, rows: bool
) -> Callable[[list[tuple[Hashable, PageRequest]]], Awaitable[tuple[list[Any], dict[Any, Any]]]]:
    async def load(
        keys: list[tuple[Hashable, PageRequest]],
    ) -> tuple[list[tuple[list[Any], int]], dict[Any, Any]]:
        by_page: dict[PageRequest, list[Hashable]] = defaultdict(list)
        for parent, page in keys:
            by_page[page].append(parent)
        results: dict[PageRequest, Window] = {}
        primed: dict[Any, Any] = {}
        for page, parents in by_page.items():
            if page.first:
                found = await window(children, parents, page, principal, rows)
                primed |= found.rows
            else:
                found = Window({}, {}, {})
            results[page] = found
        values = [
            (results[page].ids.get(parent, []), results[page].totals.get(parent, 0))
            for parent, page in keys
        ]
        return values, primed

    return load


def child_page_loader(
    children: ChildList, principal: Principal
) -> BatchLoad[tuple[Hashable, PageRequest], tuple[list[Any], int]]:
    """Loads (parent, page) → (ids, the parent's number of children); one statement per
    distinct page size and offset (the number is the window's: 0 for an empty first page)."""
    pages = _pages_of(children, principal, rows=False)

    async def load(keys: list[tuple[Hashable, PageRequest]]) -> list[tuple[list[Any], int]]:
        return (await pages(keys))[0]

    return load


def child_rows_loader(
    children: ChildList, principal: Principal, rows: Callable[[Any], Any]
) -> Priming:
    """``child_page_loader`` whose statement also reads the children's rows, for ``rows``."""
    return Priming(rows, _pages_of(children, principal, rows=True))


def child_count_loader(children: ChildList, principal: Principal) -> BatchLoad[Hashable, int]:
    async def load(parents: list[Hashable]) -> list[int]:
        rows = (
            await children.of(parents, principal)
            .annotate(hub_count=Count(children.id_field, distinct=True))
            .group_by(children.parent_field)
            .values(children.parent_field, "hub_count")
        )
        counts = {row[children.parent_field]: row["hub_count"] for row in rows}
        return [counts.get(parent, 0) for parent in parents]

    return load


def by_key_loader(
    fetch: Callable[[list[Any]], Awaitable[Sequence[Any]]], key: Callable[[Any], Hashable]
) -> BatchLoad[Any, Any]:
    """One row per key (or None), fetched for the whole batch at once."""

    async def load(keys: list[Any]) -> list[Any]:
        found = {key(row): row for row in await fetch(keys)}
        return [found.get(k) for k in keys]

    return load


def linked_ids_loader(
    model: Any, relation: str, order: Sequence[str] = ("id",)
) -> BatchLoad[Any, list[Any]]:
    """Ids of ``model`` rows linked to each key through a many-to-many ``relation``."""

    async def load(keys: list[Any]) -> list[list[Any]]:
        found: dict[Any, list[Any]] = defaultdict(list)
        for row_id, key in await linked_by_keys(model, relation, keys, order):
            found[key].append(row_id)
        return [found.get(k, []) for k in keys]

    return load


def grouped_loader(
    fetch: Callable[[list[Any]], Awaitable[Sequence[Any]]], key: Callable[[Any], Hashable]
) -> BatchLoad[Any, list[Any]]:
    """All rows of each key, fetched for the whole batch at once."""

    async def load(keys: list[Any]) -> list[list[Any]]:
        found: dict[Hashable, list[Any]] = defaultdict(list)
        for row in await fetch(keys):
            found[key(row)].append(row)
        return [found.get(k, []) for k in keys]

    return load


@dataclass(frozen=True)
class ChildConnection:
    """The three loaders behind a nested connection: pages of ids, counts, rows by id."""

    pages: Callable[[Any], BatchLoad[Any, tuple[list[Any], int]] | Priming]
    counts: Callable[[Any], BatchLoad[Any, int]]
    rows: Callable[[Any], BatchLoad[Any, Any] | Sharing]


def child_connection(
    children: ChildList,
    rows: Callable[[Any], BatchLoad[Any, Any] | Sharing],
    rows_in_page: bool = False,
) -> ChildConnection:
    """Built once at import, so the factories are stable keys of the request's loaders.

    ``rows_in_page``: ``rows`` gives, for a child's id, the child's row as ``children`` reads
    it (the same table, scope and columns), so a page reads its rows in its own statement;
    the parent and the order's keys must be columns of that table."""
    if rows_in_page:
        return ChildConnection(
            pages=lambda principal: child_rows_loader(children, principal, rows),
            counts=lambda principal: child_count_loader(children, principal),
            rows=rows,
        )
    return ChildConnection(
        pages=lambda principal: child_page_loader(children, principal),
        counts=lambda principal: child_count_loader(children, principal),
        rows=rows,
    )


def selects_total_count(info: Info[Any, Any]) -> bool:
    """Whether the connection being resolved asks for ``totalCount`` (fragments included)."""
    return "totalCount" in names_below(info)


async def child_page(
    info: Info[Any, Any],
    children: ChildConnection,
    parent: Hashable,
    first: int | None,
    after: str | None,
) -> Page[Any]:
    """A page of one parent's children through the request's loaders.

    A wanted ``totalCount`` is asked for with the page, not after it: otherwise parents
    with an empty page would ask one wave earlier than the others, splitting the batch.
    """
    loaders = info.context.loaders
    page = PageRequest.parse(info.context.settings, first, after)
    count_loader = loaders[children.counts]
    # A first page's statement counts every child of the parent; another page's does not
    # tell a parent without children from one whose children are all before the page.
    counted = page.offset == 0 and page.first > 0
    early_count = count_loader.load(parent) if selects_total_count(info) and not counted else None
    ids, total = await loaders[children.pages].load((parent, page))
    rows = await loaders[children.rows].load_many(ids[: page.first])

    def count() -> Awaitable[int]:
        if counted:
            return _ready(total)
        return early_count if early_count is not None else count_loader.load(parent)

    return Page(
        rows=[row for row in rows if row is not None],
        offset=page.offset,
        has_next=len(ids) > page.first,
        count=count,
    )


def _ready(value: int) -> Awaitable[int]:
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    future.set_result(value)
    return future


def linked_rows_loader(
    readable: Callable[[], QuerySet[Any]],
    relation: str,
    order: Sequence[str],
    rows: Callable[[Any], Any],
) -> Priming:
    """``linked_ids_loader`` of ``readable``'s model whose statement also reads the linked
    rows ``readable()`` keeps, for ``rows``: the loader of those rows by id, which must read
    them through the same queryset (None for those it leaves out)."""

    async def load(keys: list[Any]) -> tuple[list[list[Any]], dict[Any, Any]]:
        pairs, found = await linked_rows_by_keys(readable(), relation, keys, order)
        linked: dict[Any, list[Any]] = defaultdict(list)
        for row_id, key in pairs:
            linked[key].append(row_id)
        return [linked.get(k, []) for k in keys], found

    return Priming(rows, load)
