"""Webhooks through the real stack: registered by a national administrator over GraphQL (or
by an operator with ``hub app webhook``), fed by the event stream in the write's
transaction, sent by the served hub's deliverer to a real HTTP receiver started by the test,
signed, retried, paused, and read as the partner application would read the event."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.relay import to_base64

from hub.models import Event, PartnerApplication, Site, Webhook, WebhookDelivery
from hub.models.enums import DeliveryStatus, SiteStatus
from hub.settings import Settings
from resolvers.webhooks import registry
from tests.live import WITHIN, metric, served, serving
from tests.support import Hub, open_site

CREATE = """mutation ($input: CreateWebhookInput!) {
  createWebhook(input: $input) {
    webhook { id url kinds pausedAt } secret errors { field code } } }"""
RESUME = """mutation ($id: ID!) { resumeWebhook(id: $id) {
  webhook { pausedAt failures } errors { code } } }"""
DELETE = """mutation ($id: ID!) { deleteWebhook(id: $id) { deletedId errors { code } } }"""
WEBHOOKS = """{ webhooks { nodes { id url kinds failures pausedAt application { clientId }
  deliveries { totalCount nodes { status attempts lastError event { kind } } } } } }"""
RENAME = """mutation ($id: ID!, $version: Int!, $input: UpdateSiteInput!) {
  updateSite(id: $id, version: $version, input: $input) { errors { code } } }"""
APP = "demo-association-app"  # an operator of an association of the Haute-Garonne (31)


@dataclass
class Receiver:
    """An HTTP endpoint that records what it is sent and answers the statuses it is told."""

    statuses: list[int] = field(default_factory=list)
    received: list[Request] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    seen: int = 0
    url: str = ""

    async def endpoint(self, request: Request) -> Response:
        self.received.append(request)
        self.bodies.append(await request.body())
        self.arrived.set()
        return Response(status_code=self.statuses.pop(0) if self.statuses else 200)

    async def next(self, within: float = WITHIN) -> tuple[Request, dict[str, Any], bytes]:
        """The next request not yet looked at (waits for it)."""
        async with asyncio.timeout(within):
            while len(self.received) <= self.seen:
                self.arrived.clear()
                await self.arrived.wait()
        request, body = self.received[self.seen], self.bodies[self.seen]
        self.seen += 1
        return request, json.loads(body), body


@pytest.fixture(autouse=True)
async def no_webhook_left(hub: Hub) -> None:
    """Each test starts without the webhooks of the others: their receivers are gone, and
    their failed attempts would count in this test's figures."""
    await Webhook.all().delete()


@pytest.fixture
async def receiver(hub: Hub) -> AsyncIterator[Receiver]:
    found = Receiver()
    app = Starlette(routes=[Route("/hook", found.endpoint, methods=["POST"])])
    async with serving(app, hub.settings) as base:
        found.url = f"{base}/hook"
        yield found


@pytest.fixture
def fast(hub: Hub) -> Settings:
    """Retries after 1 s (then 2 s), three attempts, paused after three failures in a row."""
    return replace(
        hub.settings, webhook_retry_seconds=1, webhook_max_attempts=3, webhook_pause_after=3
    )


async def register(
    hub: Hub, url: str, kinds: tuple[str, ...] = ("SITE_UPDATED",)
) -> tuple[str, str]:
    payload = await hub.call(
        "national_admin", CREATE, {"input": {"clientId": APP, "url": url, "kinds": list(kinds)}}
    )
    assert payload["errors"] == [], payload
    return payload["webhook"]["id"], payload["secret"]


async def rename(hub: Hub, site: Site, name: str) -> None:
    fresh = await Site.get(id=site.id)
    variables = {
        "id": to_base64("Site", site.id),
        "version": fresh.version,
        "input": {"identity": {"name": name}},
    }
    assert (await hub.call("national_admin", RENAME, variables))["errors"] == []


def verified(secret: str, signature: str, body: bytes) -> bool:
    """What a receiver does with the Hub-Signature header."""
    parts = dict(part.split("=", 1) for part in signature.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"])


async def until(condition: Callable[[], Any], within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def test_a_change_is_posted_signed_with_what_the_application_may_read(
    hub: Hub, receiver: Receiver
) -> None:
    webhook_id, secret = await register(hub, receiver.url)
    site = await open_site("31")
    async with served(hub.settings):
        await rename(hub, site, "Terrain signalé au carnet")
        request, body, raw = await receiver.next()
    assert request.headers["hub-event"] == "site.updated"
    assert request.headers["content-type"] == "application/json"
    assert verified(secret, request.headers["hub-signature"], raw)
    assert not verified("whsec_forged", request.headers["hub-signature"], raw)
    assert body["delivery"] == request.headers["hub-delivery"]
    event = body["event"]
    assert event["kind"] == "SITE_UPDATED" and event["changedFields"] == ["name"]
    assert event["site"]["name"] == "Terrain signalé au carnet"
    assert body["errors"] == []
    delivery = await WebhookDelivery.get(webhook_id=int(_key(webhook_id)))
    assert delivery.status is DeliveryStatus.DELIVERED and delivery.attempts == 1


async def test_what_the_application_may_not_read_is_not_sent(hub: Hub, receiver: Receiver) -> None:
    webhook_id, _ = await register(hub, receiver.url)
    elsewhere = await Site.filter(status=SiteStatus.OPEN).exclude(departement_code="31").first()
    assert elsewhere is not None
    async with served(hub.settings):
        await rename(hub, elsewhere, "Hors du département de l'association")
        delivery = await WebhookDelivery.get(webhook_id=int(_key(webhook_id)))
        await until(lambda: _status_is(delivery.id, DeliveryStatus.SKIPPED))
    assert receiver.received == []


async def test_a_failed_delivery_is_retried_with_the_same_key(
    hub: Hub, receiver: Receiver, fast: Settings
) -> None:
    await register(hub, receiver.url)
    receiver.statuses = [500]
    async with served(fast):
        await rename(hub, await open_site("31"), "Réessayé")
        first, _, _ = await receiver.next()
        second, body, _ = await receiver.next()
    assert first.headers["hub-delivery"] == second.headers["hub-delivery"] == body["delivery"]
    delivery = await WebhookDelivery.get(id=int(body["delivery"].removeprefix("whd_")))
    assert delivery.status is DeliveryStatus.DELIVERED and delivery.attempts == 2
    assert delivery.last_error is None


async def test_repeated_failures_pause_the_webhook_until_it_is_resumed(
    hub: Hub, receiver: Receiver, fast: Settings
) -> None:
    webhook_id, _ = await register(hub, receiver.url)
    receiver.statuses = [503, 503, 503]
    async with served(fast) as address:
        await rename(hub, await open_site("31"), "En panne")
        for _ in range(3):
            await receiver.next(within=10)
        key = int(_key(webhook_id))
        await until(lambda: _paused(key))
        listed = await hub.ask("national_admin", WEBHOOKS)
        [shown] = [n for n in listed["data"]["webhooks"]["nodes"] if n["id"] == webhook_id]
        assert shown["pausedAt"] is not None and shown["failures"] == 3
        assert shown["deliveries"]["nodes"][0] == {
            "status": "FAILED", "attempts": 3, "lastError": "HTTP 503",
            "event": {"kind": "SITE_UPDATED"},
        }  # fmt: skip
        # Paused: a new event waits, unsent.
        await rename(hub, await open_site("31"), "En attente")
        await asyncio.sleep(1.5)
        assert len(receiver.received) == 3
        resumed = await hub.call("national_admin", RESUME, {"id": webhook_id})
        assert resumed["webhook"] == {"pausedAt": None, "failures": 0}
        _, body, _ = await receiver.next()
        await until(lambda: _delivered(address))
        assert await metric(address, 'hub_webhook_deliveries_total{outcome="failed"}') == 2
        assert await metric(address, 'hub_webhook_deliveries_total{outcome="given_up"}') == 1
    assert body["event"]["site"]["name"] == "En attente"


async def test_a_rolled_back_write_queues_no_delivery(
    hub: Hub, receiver: Receiver, failing_audit: None
) -> None:
    # Registered without the mutation, whose own audit entry would fail here.
    app = await PartnerApplication.get(client_id=APP)
    await registry.register(app, receiver.url, ["site.updated"], plain_http=True)
    before = (await Event.all().count(), await WebhookDelivery.all().count())
    site = await Site.get(id=(await open_site("31")).id)
    variables = {"id": to_base64("Site", site.id), "version": site.version,
                 "input": {"identity": {"name": "Jamais écrit"}}}  # fmt: skip
    body = await hub.ask("national_admin", RENAME, variables)
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL"
    assert (await Event.all().count(), await WebhookDelivery.all().count()) == before


async def test_only_national_administrators_manage_webhooks(hub: Hub, receiver: Receiver) -> None:
    variables = {"input": {"clientId": APP, "url": receiver.url, "kinds": ["SITE_CREATED"]}}
    for who in ("local_admin", "correspondent"):
        payload = await hub.call(who, CREATE, variables)
        assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"], who
        assert (await hub.ask(who, WEBHOOKS))["data"]["webhooks"]["nodes"] == []
    refused = {
        "ftp://example.org/hook": "INVALID",
        "https://user:pass@example.org/hook": "INVALID",
        "https://" + "a" * 2000 + ".org": "TOO_LONG",
    }
    for url, code in refused.items():
        input_ = {"clientId": APP, "url": url, "kinds": ["SITE_CREATED"]}
        payload = await hub.call("national_admin", CREATE, {"input": input_})
        assert payload["errors"] == [{"field": "input.url", "code": code}], url
    unknown = {"clientId": "no-such-app", "url": receiver.url, "kinds": ["SITE_CREATED"]}
    payload = await hub.call("national_admin", CREATE, {"input": unknown})
    assert payload["errors"] == [{"field": "input.clientId", "code": "NOT_FOUND"}]
    empty = {"clientId": APP, "url": receiver.url, "kinds": []}
    payload = await hub.call("national_admin", CREATE, {"input": empty})
    assert payload["errors"] == [{"field": "input.kinds", "code": "REQUIRED"}]
    webhook_id, _ = await register(hub, receiver.url)
    deleted = await hub.call("national_admin", DELETE, {"id": webhook_id})
    assert deleted == {"deletedId": webhook_id, "errors": []}
    assert not await Webhook.exists(id=int(_key(webhook_id)))


def test_hub_app_webhook_commands(hub: Hub) -> None:
    env = {"HUB_DATABASE_URL": hub.settings.database_url, "HUB_ENV": "test", "PATH": ""}

    def hub_command(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hub.server.cli", "app", "webhook", *args],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    added = hub_command("add", APP, "--url", "https://carnet.example/hook", "--kind", "site.closed")
    assert added.returncode == 0, added.stderr
    assert "receives site.closed at https://carnet.example/hook" in added.stdout
    assert "whsec_" in added.stdout
    key = added.stdout.split(":", 1)[0].removeprefix("Webhook ")
    listed = hub_command("list", APP)
    assert f"{key}\t{APP}\thttps://carnet.example/hook\tsite.closed\tactive" in listed.stdout
    assert hub_command("deliveries", key).returncode == 0
    refused = hub_command("add", APP, "--url", "gopher://x", "--kind", "site.closed")
    assert refused.returncode == 1 and "absolute" in refused.stderr
    assert hub_command("remove", key).stdout.strip() == f"Webhook {key} removed."
    missing = hub_command("resume", key)
    assert missing.returncode == 1 and "No webhook with this ID." in missing.stderr


def _key(global_id: str) -> str:
    import base64

    return base64.b64decode(global_id).decode().split(":", 1)[1]


async def _status_is(delivery_id: int, status: DeliveryStatus) -> bool:
    return (await WebhookDelivery.get(id=delivery_id)).status is status


async def _paused(webhook_id: int) -> bool:
    return (await Webhook.get(id=webhook_id)).paused_at is not None


async def _delivered(address: str) -> bool:
    return await metric(address, 'hub_webhook_deliveries_total{outcome="delivered"}') == 1
