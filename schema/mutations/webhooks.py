"""Webhook mutations: thin entry points over ``resolvers/webhooks/mutations.py``."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from hub.ids import decode_id
from resolvers.context import Context
from resolvers.inputs.webhooks import CreateWebhookInput
from resolvers.webhooks import mutations as webhooks
from schema.payloads import DeletePayload, UserError, answer, deleted
from schema.types.webhooks import Webhook

Ctx = Info[Context, None]


@strawberry.type(description="The webhook registered and its signing secret, or the errors.")
class CreateWebhookPayload:
    webhook: Webhook | None
    secret: str | None = strawberry.field(
        description="Shown this once: give it to the application, which checks each "
        "delivery's Hub-Signature with it."
    )
    errors: list[UserError]


@strawberry.type(description="The webhook, or the errors that refused the change.")
class WebhookPayload:
    webhook: Webhook | None
    errors: list[UserError]


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(
        description="Send a partner application the events of these kinds that it may read "
        "(national administrators)."
    )
    async def create_webhook(self, info: Ctx, input: CreateWebhookInput) -> CreateWebhookPayload:
        result = await webhooks.create_webhook(info.context, input)
        if isinstance(result, list):
            return CreateWebhookPayload(webhook=None, secret=None, errors=UserError.of(result))
        # strawberry reads the type's fields off the ORM row it is given.
        return CreateWebhookPayload(webhook=result.webhook, secret=result.secret, errors=[])  # type: ignore[arg-type]

    @strawberry.mutation(description="Stop sending to a webhook; its deliveries are dropped.")
    async def delete_webhook(self, info: Ctx, id: strawberry.ID) -> DeletePayload:
        return deleted(
            "Webhook", await webhooks.delete_webhook(info.context, decode_id(id, "Webhook"))
        )

    @strawberry.mutation(description="Send again to a webhook paused after repeated failures.")
    async def resume_webhook(self, info: Ctx, id: strawberry.ID) -> WebhookPayload:
        key = decode_id(id, "Webhook")
        return answer(WebhookPayload, "webhook", await webhooks.resume_webhook(info.context, key))
