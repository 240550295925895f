"""Partner applications' webhooks and their deliveries, as national administrators see them."""

from __future__ import annotations

import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from hub.models import Webhook as WebhookRow
from hub.models import WebhookDelivery as DeliveryRow
from hub.models.enums import DeliveryStatus, EventKind
from resolvers.activity.loaders import activity_by_id
from resolvers.context import Context
from resolvers.organizations.loaders import application_by_id
from resolvers.pagination import child_page
from resolvers.webhooks.loaders import DELIVERIES
from schema.execution.batched import loaded
from schema.pagination import Connection
from schema.rows import rows_of
from schema.types.activity import Activity
from schema.types.refs import ApplicationRef

DeliveryStatusEnum = strawberry.enum(DeliveryStatus, name="DeliveryStatus")


@strawberry.type(description="One event sent (or to send) to a webhook.")
class WebhookDelivery(relay.Node):
    id: relay.NodeID[int]
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime.datetime = strawberry.field(
        description="When it is (or was) next tried, while pending."
    )
    last_error: str | None
    delivered_at: datetime.datetime | None
    is_type_of = rows_of(DeliveryRow)

    event: Activity | None = loaded(activity_by_id, "event_id", Activity | None)


@strawberry.type(description="Where a partner application receives the events it asked for.")
class Webhook(relay.Node):
    id: relay.NodeID[int]
    url: str
    kinds: list[EventKind]
    failures: int = strawberry.field(description="Attempts failed in a row.")
    paused_at: datetime.datetime | None = strawberry.field(
        description="Set after repeated failures: deliveries wait until `resumeWebhook`."
    )
    created_at: datetime.datetime
    is_type_of = rows_of(WebhookRow)

    application: ApplicationRef = loaded(application_by_id, "application_id", ApplicationRef)

    @strawberry.field(description="Its deliveries, newest first.")
    async def deliveries(
        root: strawberry.Parent[WebhookRow],
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[WebhookDelivery]:
        return Connection.of(await child_page(info, DELIVERIES, root.id, first, after))
