"""Webhook mutations, for national administrators: through the write pipeline (checked,
atomic, audited), over ``registry``."""

from __future__ import annotations

from dataclasses import dataclass

from hub.models import Webhook
from hub.settings import Environment
from permissions.territories import Place
from resolvers.context import Context
from resolvers.inputs.webhooks import CreateWebhookInput
from resolvers.webhooks import registry
from resolvers.writes import ErrorCode, Operation, Refused, UserError, Write, write

CREATE = Operation("webhook.create", "createWebhook", "registering a webhook")
DELETE = Operation("webhook.delete", "deleteWebhook", "removing a webhook")
RESUME = Operation("webhook.resume", "resumeWebhook", "resuming a webhook")
WHAT = "webhook"


@dataclass(frozen=True)
class Registered:
    webhook: Webhook
    secret: str


def _allow(w: Write) -> None:
    """National administrators only; webhooks stand in the nation."""
    if not w.principal.national_admin:
        raise Refused(
            [UserError(None, ErrorCode.FORBIDDEN, "Not allowed: national administrators only.")]
        )
    w.allow(Place())


async def create_webhook(
    context: Context, data: CreateWebhookInput
) -> Registered | list[UserError]:
    async def work(w: Write) -> Registered:
        _allow(w)
        app = await registry.application_named(data.client_id)
        plain_http = context.settings.environment is not Environment.PRODUCTION
        kinds = [kind.value for kind in data.kinds]
        webhook, secret = await registry.register(app, data.url, kinds, plain_http)
        await w.audit(WHAT, webhook.id, Place(), {"application": app.client_id, "url": data.url})
        return Registered(webhook, secret)

    return await write(context, CREATE, work)


async def delete_webhook(context: Context, webhook_id: int) -> int | list[UserError]:
    async def work(w: Write) -> int:
        _allow(w)
        webhook = await registry.find(webhook_id)
        await webhook.delete()
        await w.audit(WHAT, webhook_id, Place(), {"url": webhook.url})
        return webhook_id

    return await write(context, DELETE, work)


async def resume_webhook(context: Context, webhook_id: int) -> Webhook | list[UserError]:
    async def work(w: Write) -> Webhook:
        _allow(w)
        webhook = await registry.resume(await registry.find(webhook_id))
        await w.audit(WHAT, webhook.id, Place())
        return webhook

    return await write(context, RESUME, work)
