"""Loaders of webhooks and of their deliveries (national administrators only: the scope is
all or nothing, so it applies to deliveries as it does to webhooks)."""

from __future__ import annotations

from typing import Any

from hub.models import Webhook, WebhookDelivery
from permissions.principal import Principal
from permissions.rows import webhooks_q
from resolvers.batching import BatchLoad
from resolvers.fetching import rows_by_keys
from resolvers.pagination import ChildList, by_key_loader, child_connection


def webhook_by_id(principal: Principal) -> BatchLoad[int, Webhook | None]:
    async def fetch(ids: list[int]) -> list[Webhook]:
        return await rows_by_keys(Webhook.filter(webhooks_q(principal)), "id", ids)

    return by_key_loader(fetch, key=lambda row: row.id)


def delivery_by_id(principal: Principal) -> BatchLoad[int, WebhookDelivery | None]:
    async def fetch(ids: list[int]) -> list[WebhookDelivery]:
        return await rows_by_keys(WebhookDelivery.filter(webhooks_q(principal)), "id", ids)

    return by_key_loader(fetch, key=lambda row: row.id)


def _deliveries(webhooks: Any) -> Any:
    return WebhookDelivery.filter(webhook_id__in=list(webhooks))


# Newest first: what an administrator looks at after a failure.
DELIVERIES = child_connection(
    ChildList(_deliveries, "webhook_id", ("-id",), scope=webhooks_q), delivery_by_id
)
