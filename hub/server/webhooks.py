"""Webhook deliveries: the outbox of ``hub.models.webhooks`` sent to partner applications.

Each delivery is read as its application would read it through the API (its role, areas and
scopes; the query ``EVENT_QUERY``), so it carries only what that application may read: an
event it may not see is marked skipped and nothing is sent. The body is POSTed with:

- ``Hub-Delivery``: the delivery's key, the same at every attempt (receivers drop repeats);
- ``Hub-Event``: the event's kind (``site.updated``…);
- ``Hub-Signature``: ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>``.

A 2xx answer within ``HUB_WEBHOOK_TIMEOUT_SECONDS`` delivers; anything else is retried after
``HUB_WEBHOOK_RETRY_SECONDS``, doubled at each attempt (at most an hour), up to
``HUB_WEBHOOK_MAX_ATTEMPTS`` (then the delivery is failed, and kept for the national
administrators to see); ``HUB_WEBHOOK_PAUSE_AFTER`` failed attempts in a row pause the
webhook until it is resumed. Deliveries are at least once, claimed one worker at a time
(``hub.server.outbox``).
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import hmac
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
from strawberry.relay import to_base64
from strawberry.schema import BaseSchema
from tortoise.expressions import F
from tortoise.queryset import QuerySet

from hub.live.bus import BUS, Bus
from hub.models import PartnerApplication, Webhook, WebhookDelivery
from hub.models.enums import EventKind
from hub.server.auth.principals import application_principal
from hub.server.observability.metrics import Metrics
from hub.server.outbox import Outbox, Skipped
from hub.settings import Settings
from permissions.principal import HUB_SCOPES
from resolvers.context import Context

log = logging.getLogger(__name__)

EVENT_QUERY = """query WebhookEvent($id: ID!) {
  node(id: $id) {
    ... on Activity {
      id at kind changedFields author { id }
      site { id name status version updatedAt commune { code name } departement { code name }
             population { total } }
      action { id name }
      comment { id body createdAt targeted }
      user { id }
    }
  }
}"""


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def delivery_key(delivery: WebhookDelivery) -> str:
    return f"whd_{delivery.id}"


class Deliverer(Outbox[WebhookDelivery]):
    """Sends the due webhook deliveries (``hub.server.outbox``)."""

    model = WebhookDelivery
    what = "Webhook deliveries"

    def __init__(
        self, settings: Settings, schema: BaseSchema, metrics: Metrics, bus: Bus = BUS
    ) -> None:
        super().__init__(settings.webhook_retry_seconds, settings.webhook_max_attempts, bus)
        self.settings = settings
        self.schema = schema
        self.metrics = metrics
        self.http = httpx.AsyncClient()

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[None]:
        async with httpx.AsyncClient(
            timeout=self.settings.webhook_timeout_seconds, follow_redirects=False
        ) as http:
            self.http = http
            yield

    def due(self, now: datetime.datetime) -> QuerySet[WebhookDelivery]:
        return (
            super()
            .due(now)
            .filter(webhook__paused_at__isnull=True, webhook__application__active=True)
            .select_related("webhook")
        )

    def count(self, outcome: str) -> None:
        self.metrics.webhook_sent(outcome)

    async def send(self, delivery: WebhookDelivery) -> str | None:
        webhook = delivery.webhook
        body = await self._body(webhook, delivery)
        if body is None:
            raise Skipped
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "bidonvilles-hub",
            "Hub-Delivery": delivery_key(delivery),
            "Hub-Event": body[1],
            "Hub-Signature": signature(webhook.secret, timestamp, body[0]),
        }
        try:
            response = await self.http.post(webhook.url, content=body[0], headers=headers)
        except httpx.HTTPError as failure:
            return f"{type(failure).__name__}: {failure}"
        return None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"

    async def _body(self, webhook: Webhook, delivery: WebhookDelivery) -> tuple[bytes, str] | None:
        """The JSON sent and the event's kind; None when the application may not read the
        event (or is no longer allowed to read at all)."""
        app = await PartnerApplication.get(id=webhook.application_id)
        scopes = frozenset(app.scopes) & HUB_SCOPES
        if not scopes:
            return None
        principal = await application_principal(app, scopes)
        context = Context.build(None, self.settings, principal)
        result = await self.schema.execute(
            EVENT_QUERY,
            variable_values={"id": to_base64("Activity", delivery.event_id)},
            context_value=context,
        )
        event: dict[str, Any] | None = (result.data or {}).get("node")
        if not event:
            return None
        # Fields the application may not read are null, each with its FORBIDDEN error.
        errors = [error.formatted for error in result.errors or []]
        payload = {"delivery": delivery_key(delivery), "event": event, "errors": errors}
        # The answer names the kind as GraphQL does (SITE_UPDATED); the header as the stream.
        return orjson.dumps(payload), EventKind[event["kind"]].value

    async def after_success(self, delivery: WebhookDelivery) -> None:
        await Webhook.filter(id=delivery.webhook_id).update(failures=0)

    async def after_failure(self, delivery: WebhookDelivery, now: datetime.datetime) -> None:
        webhook = delivery.webhook
        pause_after = self.settings.webhook_pause_after
        await Webhook.filter(id=webhook.id).update(failures=F("failures") + 1)
        paused = await Webhook.filter(
            id=webhook.id, paused_at__isnull=True, failures__gte=pause_after
        ).update(paused_at=now)
        if paused:
            log.warning("Webhook %s (%s) paused after %d failed attempts in a row.",
                        webhook.id, webhook.url, pause_after)  # fmt: skip
