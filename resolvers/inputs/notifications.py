"""Inputs of the e-mail settings and of the outbox's list."""

from __future__ import annotations

import strawberry

from hub.models import enums
from resolvers import enums as _registered_enums  # noqa: F401  (registers the GraphQL enums)


@strawberry.input(description="Turn one kind of e-mail on or off.")
class NotificationSettingInput:
    kind: enums.NotificationKind
    enabled: bool


@strawberry.input(description="The kinds of e-mail to turn on or off; the others stay as they are.")
class UpdateNotificationSettingsInput:
    settings: list[NotificationSettingInput]


@strawberry.input(description="E-mails matching all the given conditions.")
class EmailFilter:
    status: enums.DeliveryStatus | None = strawberry.field(
        default=None, description="FAILED: the dead letters, every attempt spent."
    )
    kind: enums.NotificationKind | None = None
