"""Loaders of the change history of sites and actions."""

from __future__ import annotations

import datetime
from collections.abc import Hashable, Sequence
from functools import lru_cache
from typing import Any

from hub.models import HistoryEntry
from hub.models.enums import HistorySubject
from permissions.principal import Principal
from resolvers.batching import BatchLoad
from resolvers.fetching import rows_by_keys
from resolvers.history.as_of import end_of, rows_read_at
from resolvers.pagination import ChildConnection, ChildList, by_key_loader, child_connection

_NEWEST_FIRST = ("-changed_at", "-id")


def history_entry_by_id(_: Principal) -> BatchLoad[int, HistoryEntry | None]:
    async def fetch(ids: list[int]) -> list[HistoryEntry]:
        return await rows_by_keys(HistoryEntry.all(), "id", ids)

    return by_key_loader(fetch, key=lambda row: row.id)


def _history_of(subject: HistorySubject, before: datetime.datetime | None = None) -> ChildList:
    def queryset(parents: Sequence[Hashable]) -> Any:
        entries = HistoryEntry.filter(subject_type=subject, subject_id__in=parents)
        return entries if before is None else entries.filter(changed_at__lt=before)

    return ChildList(queryset, "subject_id", _NEWEST_FIRST)


# A page reads its entries in its own statement: they are the rows ``history_entry_by_id`` reads.
SITE_HISTORY = child_connection(
    _history_of(HistorySubject.SITE), history_entry_by_id, rows_in_page=True
)
ACTION_HISTORY = child_connection(
    _history_of(HistorySubject.ACTION), history_entry_by_id, rows_in_page=True
)
REQUEST_HISTORY = child_connection(
    _history_of(HistorySubject.REQUEST), history_entry_by_id, rows_in_page=True
)


@lru_cache(maxsize=256)
def history_as_of(subject: HistorySubject, day: datetime.date) -> ChildConnection:
    """The history of a site or an action read at ``day``: its entries up to the end of that
    day. Cached: the loaders of a request are keyed by the connection's factories."""
    return child_connection(_history_of(subject, end_of(day)), rows_read_at(HistoryEntry, day))
