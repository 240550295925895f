"""E-mail mutations: a person's own settings, and a national administrator's retry of a
dead letter; thin entry points over ``resolvers/notifications/``."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from hub.ids import decode_id
from resolvers.context import Context
from resolvers.inputs.notifications import UpdateNotificationSettingsInput
from resolvers.notifications import queries, settings
from schema.payloads import UserError, answer
from schema.types.notifications import Email, NotificationSetting

Ctx = Info[Context, None]


@strawberry.type(description="The caller's e-mail settings, or the errors that refused them.")
class NotificationSettingsPayload:
    settings: list[NotificationSetting] | None
    errors: list[UserError]


@strawberry.type(description="The e-mail, or the errors that refused the retry.")
class EmailPayload:
    email: Email | None
    errors: list[UserError]


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(
        description="Turn kinds of e-mail on or off for yourself (a signed-in person, not a "
        "partner application). Only the kinds of `me.notificationSettings` may be turned off."
    )
    async def update_notification_settings(
        self, info: Ctx, input: UpdateNotificationSettingsInput
    ) -> NotificationSettingsPayload:
        changes = [(setting.kind, setting.enabled) for setting in input.settings]
        result = await settings.update_settings(info.context, changes)
        if isinstance(result, list):
            return NotificationSettingsPayload(settings=None, errors=UserError.of(result))
        # strawberry reads the type's fields off the dataclasses it is given.
        return NotificationSettingsPayload(settings=list(result), errors=[])  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Send a failed e-mail again now, its attempts counted afresh (national "
        "administrators)."
    )
    async def retry_email(self, info: Ctx, id: strawberry.ID) -> EmailPayload:
        result = await queries.retry_email(info.context, decode_id(id, "Email"))
        return answer(EmailPayload, "email", result)
