"""Objects as they were at a past date, rebuilt from their history.

Starting from the object as it is (or, once deleted, from nothing: its deletion entry holds
its last state), every entry recorded after the date is undone, newest first, by putting
back the old value of each field it changed. An entry of creation after the date means the
object did not exist yet. Besides a site's own columns, its parcel owners, closing
solutions and resorption phases are rebuilt (their history holds them as lists); the other
lists of an object rebuilt this way (journal, history, actors, actions) are today's.
"""

from __future__ import annotations

import datetime
from typing import Any

from tortoise.models import Model

from hub.models import HistoryEntry
from hub.models.enums import HistoryOperation, HistorySubject

# Lists kept in the history beside the columns: on the rebuilt object, as ``hub_as_of``.
AS_OF_LISTS = "hub_as_of"


async def as_of(
    model: type[Model],
    subject: HistorySubject,
    key: int,
    day: datetime.date,
    current_lists: dict[str, list[dict[str, Any]]] | None = None,
) -> Model | None:
    """The object at the end of ``day`` (UTC), unsaved; None if it did not exist then."""
    moment = end_of(day)
    current = await model.get_or_none(id=key)
    state: dict[str, Any] = {}
    if current is not None:
        state = {name: getattr(current, name) for name in model._meta.db_fields}
        state |= current_lists or {}
    later = HistoryEntry.filter(
        subject_type=subject, subject_id=key, changed_at__gte=moment
    ).order_by("-changed_at", "-id")
    for entry in await later:
        if entry.operation == HistoryOperation.CREATE:
            return None
        for name, (old, _new) in entry.changes.items():
            state[name] = old
    if not state or (current is None and not await _existed(subject, key, moment)):
        return None
    fields = model._meta.fields_map
    columns = {
        name: fields[name].to_python_value(value) if value is not None else None
        for name, value in state.items()
        if name in model._meta.db_fields
    }
    rebuilt = model(**columns)
    rebuilt.id = key
    setattr(rebuilt, AS_OF_LISTS, {k: v for k, v in state.items() if k not in columns})
    return rebuilt


async def _existed(subject: HistorySubject, key: int, moment: datetime.datetime) -> bool:
    return await HistoryEntry.exists(subject_type=subject, subject_id=key, changed_at__lt=moment)


async def rewind(
    model: type[Model], subject: HistorySubject, rows: list[Model], day: datetime.date
) -> list[Model]:
    """Rows as they were at the end of ``day``, in one query for the whole list; rows created
    later are left out. Lists the history holds are set as ``hub_as_of`` on each row."""
    moment = end_of(day)
    later: dict[int, list[HistoryEntry]] = {}
    entries = HistoryEntry.filter(
        subject_type=subject, subject_id__in=[row.id for row in rows], changed_at__gte=moment
    ).order_by("-changed_at", "-id")
    for entry in await entries:
        later.setdefault(entry.subject_id, []).append(entry)
    fields = model._meta.fields_map
    rewound: list[Model] = []
    for row in rows:
        lists: dict[str, Any] = {}
        created_later = False
        for entry in later.get(row.id, []):
            created_later = created_later or entry.operation == HistoryOperation.CREATE
            for name, (old, _new) in entry.changes.items():
                if name in model._meta.db_fields:
                    setattr(row, name, None if old is None else fields[name].to_python_value(old))
                else:
                    lists[name] = old
        if not created_later:
            setattr(row, AS_OF_LISTS, lists)
            rewound.append(row)
    return rewound


def end_of(day: datetime.date) -> datetime.datetime:
    """The first moment after ``day`` (UTC): what an as-of date includes ends there."""
    return datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC
    )
