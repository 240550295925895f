"""The webhooks list, for national administrators (empty for everyone else)."""

from __future__ import annotations

from hub.models import Webhook
from permissions.rows import webhooks_q
from resolvers.context import Context
from resolvers.pagination import Page, PageRequest, page_of


async def list_webhooks(context: Context, first: int | None, after: str | None) -> Page[Webhook]:
    page = PageRequest.parse(context.settings, first, after)
    return await page_of(Webhook.filter(webhooks_q(context.principal)), page, ["id"])
