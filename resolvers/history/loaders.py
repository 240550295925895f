"""Loaders of the change history of sites and actions."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from hub.models import HistoryEntry
from hub.models.enums import HistorySubject
from permissions.principal import Principal
from resolvers.batching import BatchLoad
from resolvers.pagination import ChildList, by_key_loader, child_connection

_NEWEST_FIRST = ("-changed_at", "-id")


def history_entry_by_id(_: Principal) -> BatchLoad[int, HistoryEntry | None]:
    async def fetch(ids: list[int]) -> list[HistoryEntry]:
        return await HistoryEntry.filter(id__in=ids)

    return by_key_loader(fetch, key=lambda row: row.id)


def _history_of(subject: HistorySubject) -> ChildList:
    def queryset(parents: Sequence[Hashable]) -> Any:
        return HistoryEntry.filter(subject_type=subject, subject_id__in=parents)

    return ChildList(queryset, "subject_id", _NEWEST_FIRST)


SITE_HISTORY = child_connection(_history_of(HistorySubject.SITE), history_entry_by_id)
ACTION_HISTORY = child_connection(_history_of(HistorySubject.ACTION), history_entry_by_id)
