"""Writing to the event stream, inside a change's transaction (with the webhook deliveries
it calls for), and announcing it once committed: by ``NOTIFY`` on PostgreSQL (sent by the
database at commit, to every node), by the process's bus on SQLite (after the commit, in
this process only)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tortoise import connections

from hub.live.announcements import Announcement
from hub.live.bus import BUS
from hub.models.events import Event
from hub.models.webhooks import Webhook, WebhookDelivery

CHANNEL = "hub_events"


def _postgres(connection: Any) -> bool:
    return bool(connection.capabilities.dialect == "postgres")


async def record(**fields: Any) -> Announcement:
    """Writes an event row in the running transaction; on PostgreSQL, also its ``NOTIFY``,
    which PostgreSQL delivers only if the transaction commits."""
    event = await Event.create(**fields)
    await _queue_deliveries(event)
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


async def _queue_deliveries(event: Event) -> None:
    """A delivery for each webhook that wants the event's kind, in the event's transaction:
    sent once committed, never if rolled back (``hub.server.webhooks``)."""
    hooks = await Webhook.filter(application__active=True).values_list("id", "kinds")
    wanted = [key for key, kinds in hooks if event.kind.value in kinds]
    if wanted:
        await WebhookDelivery.bulk_create(
            [
                WebhookDelivery(webhook_id=key, event_id=event.id, next_attempt_at=event.at)
                for key in wanted
            ]
        )
