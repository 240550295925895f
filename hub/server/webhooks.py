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
webhook until it is resumed. Deliveries are at least once: a delivery is claimed by one
worker at a time (a conditional update, so several workers and nodes may send), and one sent
whose answer was lost is sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import hashlib
import hmac
import logging
import time
from typing import Any

import httpx
import orjson
from strawberry.relay import to_base64
from strawberry.schema import BaseSchema
from tortoise.expressions import F

from hub.live.announcements import Announcement
from hub.live.bus import BUS, Bus
from hub.models import PartnerApplication, Webhook, WebhookDelivery
from hub.models.enums import DeliveryStatus, EventKind
from hub.server.auth.principals import application_principal
from hub.server.observability.metrics import Metrics
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
# Deliveries claimed at once by a worker, and how long a claim holds if the worker dies.
BATCH = 20
LEASE = datetime.timedelta(minutes=2)
# Without an announcement to wake it, a worker looks for due deliveries this often.
POLL_SECONDS = 1.0
MAX_DELAY_SECONDS = 3600


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def delivery_key(delivery: WebhookDelivery) -> str:
    return f"whd_{delivery.id}"


class Deliverer:
    """Sends the due deliveries, woken by the process's announcements (a new event may have
    deliveries) or every ``POLL_SECONDS`` (retries, and events written by other nodes)."""

    def __init__(
        self, settings: Settings, schema: BaseSchema, metrics: Metrics, bus: Bus = BUS
    ) -> None:
        self.settings = settings
        self.schema = schema
        self.metrics = metrics
        self.bus = bus
        self._wake = asyncio.Event()

    def offer(self, announcement: Announcement) -> None:
        self._wake.set()

    async def run(self) -> None:
        self.bus.add(self)
        try:
            async with httpx.AsyncClient(
                timeout=self.settings.webhook_timeout_seconds, follow_redirects=False
            ) as http:
                while True:
                    try:
                        while await self.deliver_due(http):
                            pass
                    except Exception:
                        # The database is down, or a bug: logged, and tried again later.
                        log.exception("Webhook deliveries failed; trying again.")
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
        finally:
            self.bus.remove(self)

    async def deliver_due(self, http: httpx.AsyncClient) -> int:
        """Sends one batch of due deliveries; how many were claimed."""
        claimed = await self._claim()
        await asyncio.gather(*(self._send(http, delivery) for delivery in claimed))
        return len(claimed)

    async def _claim(self) -> list[WebhookDelivery]:
        now = datetime.datetime.now(datetime.UTC)
        due = (
            await WebhookDelivery.filter(
                status=DeliveryStatus.PENDING,
                next_attempt_at__lte=now,
                webhook__paused_at__isnull=True,
                webhook__application__active=True,
            )
            .order_by("id")
            .limit(BATCH)
            .select_related("webhook")
        )
        claimed = []
        for delivery in due:
            # Taken only if no other worker took it since: the condition and the change are
            # one statement.
            taken = await WebhookDelivery.filter(
                id=delivery.id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
            ).update(next_attempt_at=now + LEASE)
            if taken:
                claimed.append(delivery)
        return claimed

    async def _send(self, http: httpx.AsyncClient, delivery: WebhookDelivery) -> None:
        webhook = delivery.webhook
        body = await self._body(webhook, delivery)
        if body is None:
            await WebhookDelivery.filter(id=delivery.id).update(status=DeliveryStatus.SKIPPED)
            self.metrics.webhook_sent("skipped")
            return
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "bidonvilles-hub",
            "Hub-Delivery": delivery_key(delivery),
            "Hub-Event": body[1],
            "Hub-Signature": signature(webhook.secret, timestamp, body[0]),
        }
        try:
            response = await http.post(webhook.url, content=body[0], headers=headers)
            error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"[:500]
        await self._record(webhook, delivery, error)

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

    async def _record(self, webhook: Webhook, delivery: WebhookDelivery, error: str | None) -> None:
        now = datetime.datetime.now(datetime.UTC)
        attempts = delivery.attempts + 1
        if error is None:
            await WebhookDelivery.filter(id=delivery.id).update(
                status=DeliveryStatus.DELIVERED,
                attempts=attempts,
                delivered_at=now,
                last_error=None,
            )
            await Webhook.filter(id=webhook.id).update(failures=0)
            self.metrics.webhook_sent("delivered")
            return
        settings = self.settings
        given_up = attempts >= settings.webhook_max_attempts
        self.metrics.webhook_sent("given_up" if given_up else "failed")
        if given_up:
            changes: dict[str, Any] = {"status": DeliveryStatus.FAILED}
            log.warning("Webhook %s: delivery %s failed %d times (%s); given up.",
                        webhook.id, delivery.id, attempts, error)  # fmt: skip
        else:
            delay = min(settings.webhook_retry_seconds * 2 ** (attempts - 1), MAX_DELAY_SECONDS)
            changes = {"next_attempt_at": now + datetime.timedelta(seconds=delay)}
        await WebhookDelivery.filter(id=delivery.id).update(
            attempts=attempts, last_error=error, **changes
        )
        await Webhook.filter(id=webhook.id).update(failures=F("failures") + 1)
        paused = await Webhook.filter(
            id=webhook.id, paused_at__isnull=True, failures__gte=settings.webhook_pause_after
        ).update(paused_at=now)
        if paused:
            log.warning("Webhook %s (%s) paused after %d failed attempts in a row.",
                        webhook.id, webhook.url, settings.webhook_pause_after)  # fmt: skip
