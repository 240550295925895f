"""Writing to the event stream, inside a change's transaction, and announcing it once
committed: by ``NOTIFY`` on PostgreSQL (sent by the database at commit, to every node), by
the process's bus on SQLite (after the commit, in this process only)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tortoise import connections

from hub.live.announcements import Announcement
from hub.live.bus import BUS
from hub.models.events import Event

CHANNEL = "hub_events"


def _postgres(connection: Any) -> bool:
    return bool(connection.capabilities.dialect == "postgres")


async def record(**fields: Any) -> Announcement:
    """Writes an event row in the running transaction; on PostgreSQL, also its ``NOTIFY``,
    which PostgreSQL delivers only if the transaction commits."""
    event = await Event.create(**fields)
    announcement = Announcement.of(event)
    connection = connections.get("default")
    if _postgres(connection):
        await connection.execute_query(
            "SELECT pg_notify($1, $2)", [CHANNEL, announcement.to_json()]
        )
    return announcement


def committed(announcements: Iterable[Announcement]) -> None:
    """Once the transaction has committed: on SQLite, announce in this process."""
    if _postgres(connections.get("default")):
        return
    for announcement in announcements:
        BUS.publish(announcement)
