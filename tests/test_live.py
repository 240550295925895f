"""Subscriptions over WebSocket, through the real stack: the hub served by uvicorn, a
graphql-transport-ws client, mutations over HTTP, on SQLite (in-process fan-out) and on
PostgreSQL (NOTIFY in the write's transaction, LISTEN in the serving process)."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
import websockets
from strawberry.relay import to_base64
from tortoise import connections

from hub.live.announcements import Announcement
from hub.live.bus import BUS
from hub.models import Event, Site, User
from hub.models.enums import EventKind, SiteStatus
from hub.settings import Settings
from tests.live import Subscriber, metric, served
from tests.support import Hub, open_site

SITE_CHANGED = """subscription ($id: ID!) { siteChanged(id: $id) {
  last activity { kind changedFields author { id } site { id name status population { total } } }
} }"""
SITES_CHANGED = """subscription ($location: LocationInput) { sitesChanged(location: $location) {
  kind site { id name } } }"""
JOURNAL_ADDED = """subscription ($siteId: ID) { journalAdded(siteId: $siteId) {
  body targeted site { id } } }"""
UPDATE = """mutation ($id: ID!, $version: Int!, $input: UpdateSiteInput!) {
  updateSite(id: $id, version: $version, input: $input) { site { version } errors { code } } }"""
CLOSE = """mutation ($id: ID!, $version: Int!, $input: CloseSiteInput!) {
  closeSite(id: $id, version: $version, input: $input) { site { version } errors { code } } }"""
COMMENT = """mutation ($input: CreateCommentInput!) {
  createComment(input: $input) { comment { id } errors { code message } } }"""
DEACTIVATE = """mutation ($id: ID!) { deactivateUser(id: $id) { errors { code message } } }"""


def gid(type_name: str, key: int) -> str:
    return to_base64(type_name, key)


@pytest.fixture
async def url(hub: Hub) -> AsyncIterator[str]:
    async with served(hub.settings) as address:
        yield address


async def rename(hub: Hub, site: Site, name: str, who: str = "correspondent") -> None:
    fresh = await Site.get(id=site.id)
    payload = await hub.call(
        who,
        UPDATE,
        {
            "id": gid("Site", site.id),
            "version": fresh.version,
            "input": {"identity": {"name": name}},
        },
    )
    assert payload["errors"] == [], payload


async def test_a_site_change_reaches_its_subscriber_with_the_site_as_it_is_now(
    hub: Hub, url: str
) -> None:
    site = await open_site()
    async with Subscriber.connect(url, await hub.token("operator")) as operator:
        await operator.acknowledged()
        await operator.follow(SITE_CHANGED, {"id": gid("Site", site.id)})
        await rename(hub, site, "Terrain du canal (renamed)")
        payload = await operator.next()
    assert "errors" not in payload, payload
    changed = payload["data"]["siteChanged"]
    assert changed["last"] is False
    activity = changed["activity"]
    assert activity["kind"] == "SITE_UPDATED"
    assert activity["changedFields"] == ["name"]
    assert activity["site"]["name"] == "Terrain du canal (renamed)"
    assert activity["author"] is not None


async def test_a_subscriber_without_access_gets_nothing_and_no_sign_of_it(
    hub: Hub, url: str
) -> None:
    site = await open_site()
    observer = await hub.token("external_observer")
    async with Subscriber.connect(url, observer) as outsider:
        await outsider.acknowledged()
        # Following a site out of reach is answered as for a site that does not exist.
        await outsider.subscribe(SITE_CHANGED, {"id": gid("Site", site.id)}, id="a")
        refused = await outsider.receive()
        assert refused["type"] == "error", refused
        assert refused["payload"][0]["extensions"]["code"] == "NOT_FOUND"
        await outsider.follow(SITES_CHANGED, {"location": None}, id="b")
        await rename(hub, site, "Renamed where the observer cannot read")
        await outsider.nothing()


async def test_sites_changed_within_a_territory(hub: Hub, url: str) -> None:
    site = await open_site()
    elsewhere = await Site.filter(status=SiteStatus.OPEN).exclude(departement_code="31").first()
    assert elsewhere is not None
    location = {"level": "DEPARTEMENT", "code": "31"}
    async with Subscriber.connect(url, await hub.token("national_admin")) as admin:
        await admin.acknowledged()
        await admin.follow(SITES_CHANGED, {"location": location})
        await rename(hub, elsewhere, "Outside the territory", who="national_admin")
        await rename(hub, site, "Inside the territory", who="national_admin")
        payload = await admin.next()
        assert payload["data"]["sitesChanged"] == {
            "kind": "SITE_UPDATED",
            "site": {"id": gid("Site", site.id), "name": "Inside the territory"},
        }
        await admin.nothing(0.5)


async def test_closing_a_site_ends_its_subscription(hub: Hub, url: str) -> None:
    site = await open_site()
    fresh = await Site.get(id=site.id)
    async with Subscriber.connect(url, await hub.token("correspondent")) as correspondent:
        await correspondent.acknowledged()
        await correspondent.follow(SITE_CHANGED, {"id": gid("Site", site.id)})
        closing = {
            "closedAt": datetime.date.today().isoformat(),
            "status": "RESORBED",
            "closedWithSolutions": "YES",
        }
        payload = await hub.call(
            "correspondent",
            CLOSE,
            {"id": gid("Site", site.id), "version": fresh.version, "input": closing},
        )
        assert payload["errors"] == [], payload
        last = (await correspondent.next())["data"]["siteChanged"]
        assert last["last"] is True
        assert last["activity"]["kind"] == "SITE_CLOSED"
        assert last["activity"]["site"]["status"] == "RESORBED"
        assert (await correspondent.receive())["type"] == "complete"


async def test_a_targeted_comment_reaches_its_target_only(hub: Hub, url: str) -> None:
    site = await open_site()
    target = await User.get(email="operator.legal@demo.bidonvilles.example")
    async with (
        Subscriber.connect(url, await hub.token("operator.legal")) as targeted,
        Subscriber.connect(url, await hub.token("operator")) as bystander,
    ):
        for subscriber in (targeted, bystander):
            await subscriber.acknowledged()
            await subscriber.follow(JOURNAL_ADDED, {"siteId": gid("Site", site.id)})
        comment = {
            "siteId": gid("Site", site.id),
            "body": "Pour vous seulement.",
            "targetUsers": [gid("User", target.id)],
        }
        payload = await hub.call("correspondent", COMMENT, {"input": comment})
        assert payload["errors"] == [], payload
        received = (await targeted.next())["data"]["journalAdded"]
        assert received == {
            "body": "Pour vous seulement.",
            "targeted": True,
            "site": {"id": gid("Site", site.id)},
        }
        await bystander.nothing()


async def test_a_write_rolled_back_announces_nothing(
    hub: Hub, url: str, failing_audit: None
) -> None:
    site = await open_site()
    events = await Event.all().count()
    async with Subscriber.connect(url, await hub.token("national_admin")) as admin:
        await admin.acknowledged()
        await admin.follow(SITE_CHANGED, {"id": gid("Site", site.id)})
        fresh = await Site.get(id=site.id)
        body = await hub.ask(
            "national_admin",
            UPDATE,
            {
                "id": gid("Site", site.id),
                "version": fresh.version,
                "input": {"identity": {"name": "Lost"}},
            },
        )
        assert body["errors"][0]["extensions"]["code"] == "INTERNAL", body
        await admin.nothing()
    assert await Event.all().count() == events


async def test_a_deactivated_account_is_disconnected(hub: Hub, url: str) -> None:
    intervener = await User.get(email="intervener@demo.bidonvilles.example")
    async with Subscriber.connect(url, await hub.token("intervener")) as subscriber:
        await subscriber.acknowledged()
        await subscriber.follow(SITES_CHANGED, {"location": None})
        payload = await hub.call("national_admin", DEACTIVATE, {"id": gid("User", intervener.id)})
        assert payload["errors"] == [], payload
        assert await subscriber.closed() == (4403, "Your account was deactivated.")


async def test_an_expired_token_ends_the_connection(hub: Hub, url: str) -> None:
    token, _ = await hub.issuer.token_for("operator@demo.bidonvilles.example", ttl=2)
    async with Subscriber.connect(url, token) as subscriber:
        await subscriber.acknowledged()
        code, reason = await subscriber.closed(within=10)
    assert code == 4401
    assert reason is not None and "expired" in reason


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"Authorization": "Bearer not-a-token"}, 4401),
        ({"authorization": "Basic dXNlcjpwYXNz"}, 4400),
        ({"AUTHORIZATION": 42}, 4403),
    ],
)
async def test_a_refused_token_closes_the_connection_with_a_reason(
    url: str, payload: dict[str, object], code: int
) -> None:
    async with Subscriber.connect(url, payload=payload) as subscriber:
        closed_code, reason = await subscriber.closed()
    assert closed_code == code
    assert reason


async def test_an_idle_connection_is_closed(hub: Hub) -> None:
    async with (
        served(replace(hub.settings, ws_idle_seconds=1)) as address,
        Subscriber.connect(address, await hub.token("operator")) as subscriber,
    ):
        await subscriber.acknowledged()
        assert await metric(address, "hub_ws_connections") == 1
        assert await subscriber.closed() == (4408, "No operation for 1 s.")
        assert await metric(address, 'hub_ws_closes_total{code="4408"}') == 1


async def test_subscriptions_per_caller_are_bounded(hub: Hub) -> None:
    settings: Settings = replace(hub.settings, ws_max_subscriptions_per_caller=2)
    token = await hub.token("operator")
    async with (
        served(settings) as address,
        Subscriber.connect(address, token) as first,
        Subscriber.connect(address, token) as second,
    ):
        for subscriber in (first, second):
            await subscriber.acknowledged()
        await first.follow(SITES_CHANGED, id="1")
        await second.follow(SITES_CHANGED, id="2")
        await second.subscribe(SITES_CHANGED, id="3")
        refused = await second.receive()
    assert refused["type"] == "error"
    assert refused["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"


async def test_a_slow_subscriber_is_dropped_with_a_close_code(hub: Hub) -> None:
    site = await open_site()
    event = await Event.filter(site_id__isnull=False).order_by("-id").first()
    assert event is not None
    async with (
        served(replace(hub.settings, live_queue_size=2)) as address,
        Subscriber.connect(address, await hub.token("national_admin")) as subscriber,
    ):
        await subscriber.acknowledged()
        await subscriber.follow(SITES_CHANGED)
        # A burst, as the listener would deliver it after a pause: more than the queue holds
        # before the subscriber has read the first one.
        burst = Announcement.of(event)
        for _ in range(10):
            BUS.publish(
                replace(burst, subject_type="site", site_id=site.id, kind=EventKind.SITE_UPDATED)
            )
        code, reason = await subscriber.closed()
    assert code == 4413
    assert reason == "More than 2 events waited: read faster."


async def test_a_browser_page_of_another_origin_may_not_connect(url: str) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(
            url, subprotocols=["graphql-transport-ws"], origin="https://evil.example"
        ):
            pass
    assert refused.value.response.status_code == 403


async def test_a_message_larger_than_allowed_closes_the_connection(hub: Hub) -> None:
    async with (
        served(replace(hub.settings, ws_max_message_bytes=1024)) as address,
        Subscriber.connect(address, await hub.token("operator")) as subscriber,
    ):
        await subscriber.acknowledged()
        padded = SITES_CHANGED + " " * 2048
        await subscriber.subscribe(padded)
        code, _ = await subscriber.closed()
    assert code == 1009  # the message was too big


async def test_subscriptions_count_against_the_callers_rate_limit(hub: Hub) -> None:
    async with (
        served(replace(hub.settings, rate_limit=2)) as address,
        Subscriber.connect(address, await hub.token("operator")) as subscriber,
    ):
        await subscriber.acknowledged()
        for key in ("1", "2"):
            await subscriber.subscribe(SITES_CHANGED, id=key)
        await subscriber.subscribe(SITES_CHANGED, id="3")
        refused = await subscriber.receive()
    assert refused["type"] == "error" and refused["id"] == "3"
    assert refused["payload"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_handshakes_count_against_the_addresss_rate_limit(hub: Hub) -> None:
    async with served(replace(hub.settings, rate_limit_address=1)) as address:
        async with Subscriber.connect(address) as first:
            await first.acknowledged()
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with Subscriber.connect(address):
                pass
    assert refused.value.response.status_code == 403


async def test_a_database_that_does_not_answer_ends_the_connection_to_reconnect(
    hub: Hub, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("the pool's connections are held to keep the event from being read")
    site = await open_site()
    await rename(hub, site, "Avant la panne")
    event = await Event.filter(subject_type="site").order_by("-id").first()
    assert event is not None
    pool = connections.get("default")._pool
    async with (
        served(hub.settings) as address,
        Subscriber.connect(address, await hub.token("national_admin")) as subscriber,
    ):
        await subscriber.acknowledged()
        await subscriber.follow(SITES_CHANGED)
        # Every connection of the pool held: reading the event waits, then gives up.
        held = [await pool.acquire() for _ in range(hub.settings.db_pool_size)]
        try:
            BUS.publish(Announcement.of(event))
            code, reason = await subscriber.closed(within=hub.settings.db_pool_timeout + 5)
        finally:
            for connection in held:
                await pool.release(connection)
    assert (code, reason) == (1013, "The database did not answer: connect again in a few seconds.")
