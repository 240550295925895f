"""Loader of the event stream's rows, as the caller may see them listed."""

from __future__ import annotations

from hub.models import Event
from permissions.principal import Principal
from permissions.rows import events_q
from resolvers.batching import BatchLoad
from resolvers.fetching import rows_by_keys
from resolvers.pagination import by_key_loader


def activity_by_id(principal: Principal) -> BatchLoad[int, Event | None]:
    async def fetch(ids: list[int]) -> list[Event]:
        return await rows_by_keys(Event.filter(events_q(principal)), "id", ids)

    return by_key_loader(fetch, key=lambda row: row.id)
