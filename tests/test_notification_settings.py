"""A person's e-mail settings through the real stack: read and changed by the person
themselves (``me.notificationSettings``, ``updateNotificationSettings``), refused to those
without an account, audited; and the one-click unsubscribe page of the e-mails' links,
which makes the same change as the account itself, and changes nothing for a bad link."""

from __future__ import annotations

import html
import time
from dataclasses import replace
from typing import Any

import httpx

from hub.models import AuditEntry, User
from hub.models.enums import NotificationKind
from hub.server.app import create_app
from hub.server.notify.links import LIFETIME_SECONDS, PATH, unsubscribe_token
from resolvers.notifications.outbox import users_wanting
from tests.support import Hub

SETTINGS = "query MySettings { me { notificationSettings { kind enabled } } }"
UPDATE = """mutation ($input: UpdateNotificationSettingsInput!) {
  updateNotificationSettings(input: $input) {
    settings { kind enabled } errors { field code message } } }"""
OPTIONAL = ["ACCESS_REQUESTED", "COMMENT_TARGETED", "WEEKLY_DIGEST", "SITE_OUT_OF_DATE"]
OPERATION = "user.notification_settings"


def changes(*pairs: tuple[str, bool]) -> dict[str, Any]:
    return {"input": {"settings": [{"kind": kind, "enabled": on} for kind, on in pairs]}}


async def persona(name: str) -> User:
    return await User.get(email=f"{name}@demo.bidonvilles.example")


async def entries(user: User) -> list[AuditEntry]:
    return await AuditEntry.filter(operation=OPERATION, user_id=user.id).order_by("id")


async def test_a_person_reads_and_changes_their_own_settings(hub: Hub) -> None:
    user = await persona("intervener")
    body = await hub.ask("intervener", SETTINGS)
    assert body["data"]["me"]["notificationSettings"] == [
        {"kind": kind, "enabled": True} for kind in OPTIONAL
    ]
    payload = await hub.call("intervener", UPDATE, changes(("WEEKLY_DIGEST", False)))
    assert payload["errors"] == [], payload
    assert {s["kind"]: s["enabled"] for s in payload["settings"]} == {
        "ACCESS_REQUESTED": True, "COMMENT_TARGETED": True, "WEEKLY_DIGEST": False,
        "SITE_OUT_OF_DATE": True,
    }  # fmt: skip
    await user.refresh_from_db()
    assert user.notifications_off == ["digest.weekly"]
    # The outbox no longer queues that kind for the person; the others still.
    assert await users_wanting(NotificationKind.WEEKLY_DIGEST, [user.id]) == []
    assert len(await users_wanting(NotificationKind.COMMENT_TARGETED, [user.id])) == 1
    [entry] = await entries(user)
    assert (entry.subject_type, entry.subject_ids) == ("user", [user.id])
    assert entry.details == {"off": ["digest.weekly"], "on": []}
    # Asking again changes nothing, and writes nothing.
    again = await hub.call("intervener", UPDATE, changes(("WEEKLY_DIGEST", False)))
    assert again["errors"] == [] and len(await entries(user)) == 1
    # Kinds left out stay as they are; turned on again, it is on again.
    back = await hub.call(
        "intervener", UPDATE, changes(("WEEKLY_DIGEST", True), ("SITE_OUT_OF_DATE", False))
    )
    assert [s["kind"] for s in back["settings"] if not s["enabled"]] == ["SITE_OUT_OF_DATE"]
    assert (await entries(user))[-1].details == {
        "off": ["site.out_of_date"],
        "on": ["digest.weekly"],
    }
    # Another person's settings are their own.
    body = await hub.ask("operator", SETTINGS)
    assert all(s["enabled"] for s in body["data"]["me"]["notificationSettings"])


async def test_e_mails_about_ones_access_or_account_cannot_be_turned_off(hub: Hub) -> None:
    user = await persona("correspondent")
    before = (list(user.notifications_off), len(await entries(user)))
    payload = await hub.call(
        "correspondent",
        UPDATE,
        changes(("WEEKLY_DIGEST", False), ("ACCESS_APPROVED", False), ("WEEKLY_DIGEST", True)),
    )
    assert payload["settings"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("input.settings.1.kind", "INVALID"),
        ("input.settings.2.kind", "INVALID"),
    ]
    assert "always sent" in payload["errors"][0]["message"]
    await user.refresh_from_db()
    # Refused whole: the valid part was not written either.
    assert (user.notifications_off, len(await entries(user))) == before


async def test_callers_without_an_account_have_no_settings_to_read_or_change(hub: Hub) -> None:
    audited = await AuditEntry.filter(operation=OPERATION).count()
    for who in (None, "demo-association-app", "demo-commune-app"):
        body = await hub.ask(who, SETTINGS)
        assert body["data"]["me"]["notificationSettings"] is None, who
        payload = await hub.call(who, UPDATE, changes(("WEEKLY_DIGEST", False)))
        assert payload["settings"] is None
        assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"], who
    assert await AuditEntry.filter(operation=OPERATION).count() == audited


async def unsubscribe(
    http: httpx.AsyncClient, token: str | None, method: str = "GET", **form: str
) -> httpx.Response:
    params = {} if token is None else {"token": token}
    if method == "GET":
        return await http.get(PATH, params=params)
    return await http.post(PATH, params=params, data=form)


def shown_text(answer: httpx.Response) -> str:
    return html.unescape(answer.text)


async def test_the_link_of_an_e_mail_turns_its_kind_off_in_one_click(hub: Hub) -> None:
    user = await persona("operator")
    token = unsubscribe_token(hub.settings, user.id, NotificationKind.COMMENT_TARGETED)
    shown = await unsubscribe(hub.http, token)
    assert shown.status_code == 200 and shown.headers["content-type"].startswith("text/html")
    assert "commentaires qui vous sont adressés" in shown_text(shown)
    assert (
        '<form method="post"' in shown_text(shown) and shown.headers["cache-control"] == "no-store"
    )
    # Showing the page changes nothing.
    await user.refresh_from_db()
    assert "comment.targeted" not in user.notifications_off and await entries(user) == []
    # A mail client's RFC 8058 one-click POST: the token is the authority.
    done = await unsubscribe(hub.http, token, "POST", **{"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "C'est noté" in shown_text(done)
    await user.refresh_from_db()
    assert user.notifications_off == ["comment.targeted"]
    # The same write as the mutation, audited with the account itself as its author.
    [entry] = await entries(user)
    assert entry.details == {"off": ["comment.targeted"], "on": []}
    assert entry.application_id is None
    body = await hub.ask("operator", SETTINGS)
    off = [s["kind"] for s in body["data"]["me"]["notificationSettings"] if not s["enabled"]]
    assert off == ["COMMENT_TARGETED"]
    # Clicked twice (the page's button, then the mail client): the same answer, nothing more.
    twice = await unsubscribe(hub.http, token, "POST")
    assert twice.status_code == 200 and "C'est noté" in shown_text(twice)
    await user.refresh_from_db()
    assert user.notifications_off == ["comment.targeted"] and len(await entries(user)) == 1
    again = await unsubscribe(hub.http, token)
    assert again.status_code == 200 and "déjà" in shown_text(again) and "<form" not in again.text


async def test_a_bad_link_is_refused_and_changes_nothing(hub: Hub) -> None:
    user = await persona("institutional_partner")
    other = await persona("local_admin")
    kind = NotificationKind.WEEKLY_DIGEST
    valid = unsubscribe_token(hub.settings, user.id, kind)
    payload, signature = valid.rsplit("~", 1)
    expired = unsubscribe_token(
        hub.settings, user.id, kind, now=time.time() - LIFETIME_SECONDS - 60
    )
    # The signature of one account's link, over another account's id.
    _, kind_value, expiry = payload.split("~")
    for_another = f"{other.id}~{kind_value}~{expiry}~{signature}"
    altered = f"{payload}~{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    # A kind about one's access is signed, but not one to turn off.
    always_sent = unsubscribe_token(hub.settings, user.id, NotificationKind.ACCESS_APPROVED)
    for token in (expired, for_another, altered, always_sent, "", "garbage", None):
        for method in ("GET", "POST"):
            answer = await unsubscribe(hub.http, token, method)
            assert answer.status_code == 400, (token, method)
            assert "Lien non valide" in shown_text(answer)
            assert "Rien n'a été changé" in shown_text(answer)
    for person in (user, other):
        await person.refresh_from_db()
        assert person.notifications_off == [] and await entries(person) == []


async def test_the_unsubscribe_page_is_rate_limited_like_anonymous_requests(hub: Hub) -> None:
    # A hub of its own, whose anonymous callers may send 2 requests a minute per address.
    app = create_app(replace(hub.settings, rate_limit_anonymous=2), manage_database=False)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 4242))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        answers = [await unsubscribe(http, "garbage") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [400, 400, 429]
    assert answers[0].headers["ratelimit-limit"] == "2" and answers[2].headers["retry-after"]
