"""E-mails: a person's choice of those they receive, and the outbox as national
administrators see it."""

from __future__ import annotations

import datetime

import strawberry
from strawberry import relay

from hub.models import Email as EmailRow
from hub.models.enums import DeliveryStatus, NotificationKind
from resolvers import enums as _registered_enums  # noqa: F401  (registers the GraphQL enums)
from schema.rows import rows_of
from schema.types import webhooks as _delivery_status  # noqa: F401  (registers DeliveryStatus)


@strawberry.type(description="Whether the caller receives one kind of e-mail.")
class NotificationSetting:
    kind: NotificationKind
    enabled: bool


@strawberry.type(description="One e-mail of the outbox, to one recipient.")
class Email(relay.Node):
    id: relay.NodeID[int]
    kind: NotificationKind
    address: str = strawberry.field(description="The recipient's address (personal data).")
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime.datetime = strawberry.field(
        description="When it is (or was) next tried, while pending."
    )
    last_error: str | None = strawberry.field(
        description="What the mail server answered at the last failed attempt."
    )
    created_at: datetime.datetime
    delivered_at: datetime.datetime | None
    is_type_of = rows_of(EmailRow)
