"""Objects as they were at a past date, rebuilt from their history.

Starting from the object as it is (or, once deleted, from nothing: its deletion entry holds
its last state), every entry recorded after the date is undone, newest first, by putting
back the old value of each field it changed. An entry of creation after the date means the
object did not exist yet. The lists the history holds beside the columns (a site's parcel
owners, closing solutions, resorption phases and actors; an action's topics, people, sites
and yearly figures) are rebuilt the same way.

The history does not hold a version nor who saved last (every entry says who and when
instead): for an object saved since the date, its version is the number of saves recorded
by then (what a save adds), and its last update the latest of them; one not saved since
keeps its own.

A rebuilt object carries its date (``day_of``). Every nested field of an object that has
one answers as of that date through the as-of loaders, and never falls back on today's
rows: what cannot be rebuilt is answered empty (see ``rebuilt_list``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from tortoise.models import Model

from hub.errors import BadUserInput, NotFound
from hub.ids import decode_id
from hub.models import HistoryEntry
from hub.models.enums import HistoryOperation, HistorySubject
from permissions.principal import Principal
from resolvers.batching import BatchLoad, regrouped
from resolvers.context import Context, LoaderFactory
from resolvers.pagination import by_key_loader

# Lists kept in the history beside the columns: on the rebuilt object, as ``hub_as_of``.
AS_OF_LISTS = "hub_as_of"
# The date an object was read at (``asOf``), on it and on every row reached through it.
AS_OF_DAY = "hub_as_of_day"

RowT = TypeVar("RowT")
ModelT = TypeVar("ModelT", bound=Model)
# The current lists of many objects, by id, as their history holds them.
ListsOf = Callable[[list[int]], Awaitable[dict[int, dict[str, list[Any]]]]]
# A key of the as-of loaders: the object's id and the date it is read at.
AsOfKey = tuple[int, datetime.date]
# Lists written without saving their object (a site's actors): their entries are no saves.
_UNSAVED_LISTS = frozenset({"actors"})


def day_of(row: object) -> datetime.date | None:
    """The date ``row`` is read at, if it belongs to an object read with ``asOf``."""
    day: datetime.date | None = getattr(row, AS_OF_DAY, None)
    return day


def mark(rows: Iterable[RowT], day: datetime.date) -> list[RowT]:
    """Rows reached through an object read at ``day``: what hangs off them is read then."""
    marked = list(rows)
    for row in marked:
        setattr(row, AS_OF_DAY, day)
    return marked


def rows_read_at(
    model: type[ModelT], day: datetime.date
) -> Callable[[Principal], BatchLoad[int, ModelT | None]]:
    """A loader factory of rows by id, marked as reached through an object read at ``day``
    (their rows are those of the day: a page of children chose them)."""

    def factory(_: Principal) -> BatchLoad[int, ModelT | None]:
        async def fetch(ids: list[int]) -> list[ModelT]:
            return mark(await model.filter(id__in=ids), day)

        return by_key_loader(fetch, key=lambda row: row.id)

    return factory


def rebuilt_list(row: object, name: str) -> list[Any] | None:
    """A list of an object read at a past date: as it was then, or empty when its history
    does not hold it (an object deleted since keeps only the lists its deletion recorded).
    None for an object read today."""
    if day_of(row) is None:
        return None
    lists: dict[str, list[Any]] = getattr(row, AS_OF_LISTS, {})
    return lists.get(name) or []


async def rebuild(
    model: type[ModelT],
    subject: HistorySubject,
    keys: list[int],
    day: datetime.date,
    lists_of: ListsOf | None = None,
) -> dict[int, ModelT]:
    """The objects at the end of ``day`` (UTC), unsaved, by id; those that did not exist
    then are left out. Three statements (and those of ``lists_of``) whatever the number
    of keys."""
    moment = end_of(day)
    # ModelT is bound to tortoise's Model, which declares no columns; Site and Action have them.
    current = {row.id: row for row in await model.filter(id__in=keys)}  # type: ignore[attr-defined]
    lists = await lists_of(list(current)) if lists_of is not None and current else {}
    later = await _entries(subject, keys, changed_at__gte=moment)
    saved_since = [
        key
        for key in keys
        if key not in current
        # ModelT is bound to tortoise's Model, which declares no columns; Site and Action have them.
        or current[key].updated_at >= moment  # type: ignore[attr-defined]
        or any(_is_save(entry) for entry in later.get(key, []))
    ]
    earlier = await _entries(subject, saved_since, changed_at__lt=moment)
    rebuilt: dict[int, ModelT] = {}
    for key in keys:
        entries = later.get(key, [])
        if any(entry.operation == HistoryOperation.CREATE for entry in entries):
            continue
        state: dict[str, Any] = {}
        if key in current:
            state = {name: getattr(current[key], name) for name in model._meta.db_fields}
            state |= lists.get(key, {})
        for entry in reversed(entries):
            for name, (old, _new) in entry.changes.items():
                state[name] = old
        if key not in current and key not in earlier:
            continue  # never existed, or nothing is known of it
        if key in saved_since:
            state |= _bookkeeping(state, earlier.get(key, []))
        rebuilt[key] = _built(model, key, state, day)
    return rebuilt


async def _entries(
    subject: HistorySubject, keys: list[int], **when: datetime.datetime
) -> dict[int, list[HistoryEntry]]:
    """The entries of each subject in a period, oldest first."""
    found: defaultdict[int, list[HistoryEntry]] = defaultdict(list)
    if keys:
        entries = HistoryEntry.filter(subject_type=subject, subject_id__in=keys, **when)
        for entry in await entries.order_by("changed_at", "id"):
            found[entry.subject_id].append(entry)
    return dict(found)


def _is_save(entry: HistoryEntry) -> bool:
    return not entry.changes or not entry.changes.keys() <= _UNSAVED_LISTS


def _bookkeeping(state: dict[str, Any], earlier: list[HistoryEntry]) -> dict[str, Any]:
    """Version and last update of an object saved since, from its entries up to then (and
    its creation, for an object deleted since: its deletion entry does not hold it)."""
    values: dict[str, Any] = {}
    created = next((e for e in earlier if e.operation == HistoryOperation.CREATE), None)
    if created is not None and state.get("created_at") is None:
        values |= {"created_at": created.changed_at, "created_by_id": created.author_id}
    saves = [entry for entry in earlier if _is_save(entry)]
    # Without any entry by then, it was created by means that left none: nothing since.
    last = (saves[-1].changed_at, saves[-1].author_id) if saves else None
    updated_at, updated_by = last or (state.get("created_at"), state.get("created_by_id"))
    return values | {"version": len(saves), "updated_at": updated_at, "updated_by_id": updated_by}


def _built(model: type[ModelT], key: int, state: dict[str, Any], day: datetime.date) -> ModelT:
    fields = model._meta.fields_map
    columns = {
        name: fields[name].to_python_value(value) if value is not None else None
        for name, value in state.items()
        if name in model._meta.db_fields
    }
    row = model(**columns)
    row.id = key
    setattr(row, AS_OF_LISTS, {k: v for k, v in state.items() if k not in columns})
    setattr(row, AS_OF_DAY, day)
    return row


async def as_of(
    model: type[ModelT],
    subject: HistorySubject,
    key: int,
    day: datetime.date,
    current_lists: dict[str, list[dict[str, Any]]] | None = None,
) -> ModelT | None:
    """The object at the end of ``day`` (UTC), unsaved; None if it did not exist then."""

    async def lists_of(_: list[int]) -> dict[int, dict[str, list[Any]]]:
        return {key: dict(current_lists or {})}

    return (await rebuild(model, subject, [key], day, lists_of)).get(key)


def as_of_loader(
    model: type[ModelT],
    subject: HistorySubject,
    lists_of: ListsOf,
    readable: Callable[[Principal, ModelT], bool],
    principal: Principal,
) -> BatchLoad[AsOfKey, ModelT | None]:
    """Loads (id, day) → the object rebuilt at that day, if the caller may read it where it
    stood then (else None), in one rebuild per distinct day of the batch."""

    async def load(keys: list[AsOfKey]) -> list[ModelT | None]:
        days: defaultdict[datetime.date, list[int]] = defaultdict(list)
        for key, day in keys:
            days[day].append(key)
        found: dict[AsOfKey, ModelT] = {}
        for day, ids in days.items():
            for key, row in (await rebuild(model, subject, ids, day, lists_of)).items():
                if readable(principal, row):
                    found[(key, day)] = row
        return [found.get(key) for key in keys]

    return load


async def read_at(
    context: Context,
    today: LoaderFactory,
    then: LoaderFactory,
    ids: list[int],
    day: datetime.date | None,
) -> list[Any]:
    """Objects by id as the caller may read them: through ``then`` (an as-of loader) as they
    were at ``day`` when reached through an object read at that date, else through
    ``today``; those the caller may not read are left out."""
    return (await read_groups_at(context, today, then, [ids], [day]))[0]


async def loaded_by_day(
    context: Context, today: LoaderFactory, then: LoaderFactory, roots: Sequence[Any]
) -> list[tuple[Any, datetime.date | None]]:
    """For each object: what ``today`` loads for its id, or for an object read at a past date,
    what ``then`` loads for (its id, that day); with that day (None: today)."""
    days = [day_of(root) for root in roots]
    current = iter(
        await context.loaders[today].load_many(
            [root.id for root, day in zip(roots, days, strict=True) if day is None]
        )
    )
    past = iter(
        await context.loaders[then].load_many(
            [(root.id, day) for root, day in zip(roots, days, strict=True) if day is not None]
        )
    )
    return [(next(current) if day is None else next(past), day) for day in days]


async def read_groups_at(
    context: Context,
    today: LoaderFactory,
    then: LoaderFactory,
    groups: Sequence[Sequence[int]],
    days: Sequence[datetime.date | None],
) -> list[list[Any]]:
    """``read_at`` for many groups of ids, each at its own day, in two loads at most."""
    current = [key for group, day in zip(groups, days, strict=True) if day is None for key in group]
    past = [
        (key, day) for group, day in zip(groups, days, strict=True) if day is not None
        for key in group
    ]  # fmt: skip
    rows_today = iter(await context.loaders[today].load_many(current) if current else [])
    rows_then = iter(await context.loaders[then].load_many(past) if past else [])
    return regrouped(
        groups,
        [
            next(rows_today if day is None else rows_then)
            for group, day in zip(groups, days, strict=True)
            for _ in group
        ],
    )


async def one_as_of(
    context: Context, then: LoaderFactory, type_name: str, value: str, day: datetime.date
) -> Any:
    """The object of global ID ``value`` as it was at the end of ``day``, through ``then``
    (an as-of loader), if the caller may read it as it stood then."""
    key = decode_id(value, type_name)
    if day > context.today:
        raise BadUserInput("`asOf` cannot be in the future.", argument="asOf")
    rebuilt = await context.loaders[then].load((key, day))
    if rebuilt is None:
        raise NotFound(f"No {type_name} with this ID at that date.", id=value)
    return rebuilt


async def rewind(
    model: type[ModelT],
    subject: HistorySubject,
    lists_of: ListsOf,
    keep: Callable[[ModelT], bool],
    rows: list[ModelT],
    day: datetime.date,
) -> list[ModelT]:
    """Rows as they were at the end of ``day``, in the same order, rebuilt as ``asOf`` does
    (lists included); those created later, and those ``keep`` refuses as they stood then,
    are left out."""
    # ModelT is bound to tortoise's Model, which declares no columns; Site and Action have them.
    rebuilt = await rebuild(model, subject, [row.id for row in rows], day, lists_of)  # type: ignore[attr-defined]
    # ModelT is bound to tortoise's Model, which declares no columns; Site and Action have them.
    return [rebuilt[row.id] for row in rows if row.id in rebuilt and keep(rebuilt[row.id])]  # type: ignore[attr-defined]


def end_of(day: datetime.date) -> datetime.datetime:
    """The first moment after ``day`` (UTC): what an as-of date includes ends there."""
    return datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC
    )
