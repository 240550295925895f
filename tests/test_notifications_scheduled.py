"""The calendar's e-mails through the real stack: changes made over HTTP, ``schedule.plan``
queuing what is due at a given moment, and the mailer reading each e-mail as its recipient
and handing it to a real SMTP server started by the test.

Time passes by dates written in the database: events moved into the last week whose digest
is due, a site's last update moved months back, an account's last use or its reminder moved
back. ``plan`` is called with the real time, so that what it queues is due to the mailer.

- The digest holds, for each persona, only what its ``activity`` lists in its areas: another
  département's site, a comment targeted at others, the names of legal fields for a reader
  without ``site.legal.read`` are left out; with nothing to tell it is not sent.
- An out-of-date site's reminder goes once per staleness episode to its actors and its
  département's correspondents.
- An unused account is reminded, then deactivated after the grace period (audited,
  announced, told), unless used meanwhile; the last national administrator stays.
- A second run of ``plan`` queues nothing more.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import AsyncIterator
from dataclasses import replace
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from strawberry.relay import to_base64
from strawberry.schema import BaseSchema

from hub.database import count_statements
from hub.demo.reference import PERSONA_DOMAIN, TOULOUSE
from hub.models import (
    AuditEntry,
    Email,
    Event,
    InterventionArea,
    Organization,
    Site,
    SiteActor,
    User,
)
from hub.models.enums import (
    DeliveryStatus,
    EventKind,
    LocationLevel,
    NotificationKind,
    Role,
    SiteStatus,
    UserStatus,
)
from hub.server.app import create_app
from hub.server.auth.uses import Uses
from hub.server.notify import schedule
from hub.server.notify.mailer import Mailer
from hub.server.notify.scheduled_messages import LINES_PER_GROUP, french_date
from hub.server.observability.metrics import Metrics
from hub.settings import Settings
from tests.live import serving
from tests.mail import SmtpServer, body, send_due
from tests.support import Hub, graphql

# Each test reads and sends only its own e-mails.
pytestmark = pytest.mark.usefixtures("empty_outbox")

SECRET_KEY = "a test key that signs the unsubscribe links"
PUBLIC_URL = "https://hub.example"
DIGEST = NotificationKind.WEEKLY_DIGEST
OUT_OF_DATE = NotificationKind.SITE_OUT_OF_DATE
INACTIVE = NotificationKind.ACCOUNT_INACTIVE
DEACTIVATED = NotificationKind.ACCOUNT_DEACTIVATED

UPDATE_SITE = """mutation ($id: ID!, $version: Int!, $input: UpdateSiteInput!) {
  updateSite(id: $id, version: $version, input: $input) { site { id } errors { field code } } }"""
CLOSE_SITE = """mutation ($id: ID!, $version: Int!, $input: CloseSiteInput!) {
  closeSite(id: $id, version: $version, input: $input) { site { id } errors { field code } } }"""
CONFIRM_SITE = """mutation ($id: ID!, $version: Int!) {
  confirmSiteUnchanged(id: $id, version: $version) { site { id } errors { field code } } }"""
COMMENT = """mutation ($input: CreateCommentInput!) {
  createComment(input: $input) { comment { id } errors { field code } } }"""
ACTIVATE_USER = """mutation ($id: ID!) {
  activateUser(id: $id) { user { id status } errors { field code } } }"""
DEACTIVATIONS = """{ activity(filter: {kinds: [USER_DEACTIVATED]}, first: 50) {
  nodes { kind author { id } user { id status } } } }"""


def persona(name: str) -> str:
    return f"{name}@{PERSONA_DOMAIN}"


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def mail_settings(hub: Hub, smtp: SmtpServer, **changes: Any) -> Settings:
    return replace(
        hub.settings, smtp_url=smtp.url, secret_key=SECRET_KEY, public_url=PUBLIC_URL,
        mail_from="Plateforme bidonvilles <ne-pas-repondre@hub.example>", **changes,
    )  # fmt: skip


async def send_all(settings: Settings, schema: BaseSchema) -> Mailer:
    return await send_due(Mailer(settings, schema, Metrics()))


async def user_id(name: str) -> int:
    return (await User.get(email=persona(name))).id


async def rows(kind: NotificationKind) -> list[Email]:
    return await Email.filter(kind=kind).order_by("id")


def only(smtp: SmtpServer, address: str, subject: str = "") -> EmailMessage:
    """The one message to ``address`` whose subject starts with ``subject``."""
    [message] = [m for m in smtp.inbox.to(address) if str(m["Subject"]).startswith(subject)]
    return message


async def call(hub: Hub, who: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    payload = await hub.call(who, query, variables)
    assert payload["errors"] == [], payload
    return payload


async def open_site(**where: Any) -> Site:
    site = await Site.filter(status=SiteStatus.OPEN, **where).order_by("id").first()
    assert site is not None, where
    return site


async def update_site(hub: Hub, who: str, site: Site, change: dict[str, Any]) -> None:
    version = (await Site.get(id=site.id)).version
    variables = {"id": to_base64("Site", site.id), "version": version, "input": change}
    await call(hub, who, UPDATE_SITE, variables)


async def comment(hub: Hub, who: str, site: Site, text: str, **extra: Any) -> None:
    data = {"siteId": to_base64("Site", site.id), "body": text} | extra
    await call(hub, who, COMMENT, {"input": data})


# Last use of the hub.


def uses_of(hub: Hub) -> Uses:
    """The uses noted by the hub's app, which its lifespan writes every minute."""
    assert hub.app is not None
    uses: Uses = hub.app.state.authenticator.uses
    return uses


async def test_a_person_using_the_hub_is_noted_once_a_day(hub: Hub) -> None:
    uses = uses_of(hub)
    await uses.write()
    operator = await user_id("operator")
    await User.filter(id=operator).update(last_seen_at=None)
    before = now()
    with count_statements() as statements:
        await hub.ask("operator", "{ me { role } }")
    # Noted, not written by the request: a read never waits on this write.
    assert not [sql for sql in statements.statements if sql.lstrip().upper().startswith("UPDATE")]
    assert (await User.get(id=operator)).last_seen_at is None
    assert await uses_of(hub).write() == 1
    seen = (await User.get(id=operator)).last_seen_at
    assert seen is not None and before <= seen <= now()
    assert await uses_of(hub).write() == 0

    # Earlier today: not noted again.
    today = seen.replace(hour=0, minute=0, second=1, microsecond=0)
    await User.filter(id=operator).update(last_seen_at=today)
    await hub.ask("operator", "{ me { role } }")
    assert await uses_of(hub).write() == 0
    assert (await User.get(id=operator)).last_seen_at == today

    # Yesterday: today's use is noted; written once, even if another process noted it too.
    await User.filter(id=operator).update(last_seen_at=today - datetime.timedelta(days=1))
    await hub.ask("operator", "{ me { role } }")
    other_process = Uses()
    other_process.note(await User.get(id=operator))
    assert await uses_of(hub).write() == 1
    assert await other_process.write() == 0
    again = (await User.get(id=operator)).last_seen_at
    assert again is not None and again >= before

    # A partner application's token notes nobody.
    await User.filter(organization__name=TOULOUSE).update(last_seen_at=None)
    await hub.ask("demo-commune-app", "{ me { role } }")
    await uses_of(hub).write()
    assert await User.filter(organization__name=TOULOUSE, last_seen_at__isnull=False).count() == 0


async def test_a_served_hub_writes_the_uses_it_noted(hub: Hub) -> None:
    """Every minute, and when it stops: here, when it stops."""
    operator = await user_id("operator")
    await User.filter(id=operator).update(last_seen_at=None)
    async with serving(create_app(hub.settings, manage_database=False), hub.settings) as base:
        token = await hub.token("operator")
        async with httpx.AsyncClient(base_url=base) as http:
            assert "errors" not in await graphql(http, "{ me { role } }", token=token)
        assert (await User.get(id=operator)).last_seen_at is None
    assert (await User.get(id=operator)).last_seen_at is not None


# The weekly digest.


async def events_since(first_id: int) -> list[Event]:
    return await Event.filter(id__gt=first_id).order_by("id")


@contextlib.asynccontextmanager
async def in_digest_week(events: list[Event]) -> AsyncIterator[schedule.Week]:
    """The events moved into the last week whose digest is due now, in their order; back
    to their moment afterwards (the other tests have no digest due)."""
    week = schedule.digest_week(now())
    try:
        for position, event in enumerate(events):
            at = week.start + datetime.timedelta(days=1, minutes=position)
            await Event.filter(id=event.id).update(at=at)
        yield week
    finally:
        for event in events:
            await Event.filter(id=event.id).update(at=event.at)


async def someone_elsewhere() -> User:
    """An active member, without areas of its own, of an organization acting in one
    département only, neither the Haute-Garonne nor the Gironde."""
    own_areas = {area.user_id for area in await InterventionArea.filter(user_id__isnull=False)}
    for area in await InterventionArea.filter(
        level=LocationLevel.DEPARTEMENT, organization_id__isnull=False
    ).exclude(code__in=["31", "33"]):
        if await InterventionArea.filter(organization_id=area.organization_id).count() != 1:
            continue
        members = await User.filter(
            organization_id=area.organization_id, status=UserStatus.ACTIVE,
            organization__active=True,
        ).order_by("id")  # fmt: skip
        for member in members:
            if member.id not in own_areas:
                return member
    raise AssertionError("no member of a single-département organization elsewhere")


async def test_the_digest_tells_each_reader_what_it_may_read_of_last_week(
    hub: Hub, smtp: SmtpServer, schema: BaseSchema
) -> None:
    settings = mail_settings(hub, smtp, out_of_date_reminder_days=0, inactivity_days=0)
    first = await Event.all().order_by("-id").first()
    first_id = first.id if first is not None else 0
    toulouse = await open_site(commune_scope_code="31555")
    gironde = await open_site(departement_code="33")
    # Closed: a site of the Haute-Garonne out of Toulouse.
    closing = (
        await Site.filter(status=SiteStatus.OPEN, departement_code="31")
        .exclude(commune_scope_code="31555")
        .order_by("id")
        .first()
    )
    assert closing is not None

    # Older changes first: eleven comments, more than a digest's part shows.
    for number in range(LINES_PER_GROUP + 1):
        await comment(hub, "operator", toulouse, f"Passage numéro {number}.")
    await update_site(hub, "correspondent", toulouse, {
        "identity": {"name": "Terrain <Digest> & Garonne"},
        "legalProcedures": {"bailiff": "Maître Digest"},
    })  # fmt: skip
    await update_site(hub, "national_admin", gironde, {"identity": {"name": "Terrain Gironde"}})
    await call(hub, "correspondent", CLOSE_SITE, {
        "id": to_base64("Site", closing.id), "version": (await Site.get(id=closing.id)).version,
        "input": {"status": "RESORBED", "closedAt": now().date().isoformat()},
    })  # fmt: skip
    await comment(hub, "operator", toulouse, "Point d'eau réparé.")
    await comment(
        hub, "correspondent", toulouse, "Réservé à l'intervenant.",
        targetUsers=[to_base64("User", await user_id("intervener"))],
    )  # fmt: skip
    async with in_digest_week(await events_since(first_id)) as week:
        await read_the_digests(hub, smtp, schema, settings, week, toulouse)


async def read_the_digests(
    hub: Hub,
    smtp: SmtpServer,
    schema: BaseSchema,
    settings: Settings,
    week: schedule.Week,
    toulouse: Site,
) -> None:
    # Who turned the digest off gets none; nobody is noted as seen by being read for it.
    await User.filter(email=persona("national_actor")).update(notifications_off=[DIGEST.value])
    elsewhere = await someone_elsewhere()
    await User.filter(id=elsewhere.id).update(last_seen_at=None)
    planned = await schedule.plan(settings, now())
    queued = {row.user_id: row for row in await rows(DIGEST)}
    assert planned == len(queued) > 0
    assert await user_id("national_actor") not in queued
    readers = ["national_admin", "correspondent", "operator", "operator.legal", "intervener",
               "institutional_partner", "external_observer"]  # fmt: skip
    for reader in readers:
        row = queued[await user_id(reader)]
        assert row.key == f"digest.weekly:{week.label}:u{row.user_id}"
        assert row.about == {
            "start": week.start.isoformat(), "end": week.end.isoformat(), "week": week.label
        }  # fmt: skip
    assert await schedule.plan(settings, now()) == 0
    assert await Email.filter(kind=DIGEST).count() == len(queued)

    # Only these are sent (the other accounts' digests would take the test's time).
    kept = [await user_id(reader) for reader in readers] + [elsewhere.id]
    await Email.filter(kind=DIGEST).exclude(user_id__in=kept).delete()
    await send_all(settings, schema)
    statuses = {row.user_id: row.status for row in await rows(DIGEST)}
    assert statuses.pop(elsewhere.id) is DeliveryStatus.SKIPPED
    assert not smtp.inbox.to(elsewhere.email)
    assert (await User.get(id=elsewhere.id)).last_seen_at is None
    assert set(statuses.values()) == {DeliveryStatus.DELIVERED}

    # (The intervener also got the targeted comment's own e-mail.)
    digests = {reader: only(smtp, persona(reader), "Bidonvilles : ") for reader in readers}
    texts = {reader: body(message) for reader, message in digests.items()}
    toulouse_line = "- Terrain <Digest> & Garonne (Toulouse)"
    gironde_line = "- Terrain Gironde ("
    targeted = "Réservé à l'intervenant."
    public = "Point d'eau réparé."
    closed = "Sites fermés (1)"
    seen = {
        reader: {
            "toulouse": toulouse_line in text,
            "gironde": gironde_line in text,
            "bailiff": "bailiff" in text,
            "targeted": targeted in text,
            "public": public in text,
            "closed": closed in text,
        }
        for reader, text in texts.items()
    }
    everything = dict.fromkeys(seen["national_admin"], True)
    assert seen == {
        # Reads everything, private comments and legal procedures included.
        "national_admin": everything,
        # Its département only: legal procedures too (site.legal.read nationwide, so in 31).
        "correspondent": everything | {"gironde": False},
        # No legal procedures, and not a target of the targeted comment.
        "operator": everything | {"gironde": False, "bailiff": False, "targeted": False},
        # The same, with the legal_access option.
        "operator.legal": everything | {"gironde": False, "targeted": False},
        # Its commune's sites: the closed site of another commune is not in its area.
        "intervener": everything | {"gironde": False, "bailiff": False, "closed": False},
        "institutional_partner": everything | {
            "gironde": False, "bailiff": False, "targeted": False, "closed": False
        },
        # The Gironde only.
        "external_observer": {name: name == "gironde" for name in everything},
    }  # fmt: skip

    # One line per site updated, with the names of the fields changed the reader may read.
    operator_text = texts["operator"]
    assert f"{toulouse_line} — champs modifiés : name" in operator_text
    assert "Maître Digest" not in texts["national_admin"]  # names, never values
    # Eleven comments and more: ten lines, then how many more, with a link.
    comments = operator_text.split("Commentaires (")[1]
    assert comments.startswith(f"{LINES_PER_GROUP + 2})")
    assert comments.count("\n- ") == LINES_PER_GROUP
    assert f"… et 2 de plus : {PUBLIC_URL}/activity" in comments
    # The newest first: the last comment written leads.
    assert comments.index(public) < comments.index("Passage numéro 10.")

    message = digests["operator"]
    assert f"du {week.start.day} " in message["Subject"]
    html = body(message, "html")
    assert "Terrain &lt;Digest&gt; &amp; Garonne" in html and "<Digest>" not in html
    assert f'href="{PUBLIC_URL}/sites/{to_base64("Site", toulouse.id)}"' in html
    assert message["List-Unsubscribe"].startswith(f"<{PUBLIC_URL}/notifications/unsubscribe?")


async def test_a_week_without_changes_queues_no_digest(hub: Hub, smtp: SmtpServer) -> None:
    settings = mail_settings(hub, smtp, out_of_date_reminder_days=0, inactivity_days=0)
    # Twenty weeks on, the weeks before hold no change.
    later = now() + datetime.timedelta(weeks=20)
    assert await schedule.plan(settings, later) == 0
    assert await Email.filter(kind=DIGEST).count() == 0


# Out-of-date sites.


async def test_an_out_of_date_site_reminds_its_actors_and_correspondents_once(
    hub: Hub, smtp: SmtpServer, schema: BaseSchema
) -> None:
    settings = mail_settings(hub, smtp, inactivity_days=0)
    moment = now()
    # Every open site is fresh, but the one the test makes stale.
    await Site.filter(status=SiteStatus.OPEN).update(updated_at=moment)
    site = await open_site(departement_code="31", commune_scope_code="31555")
    stale_since = moment - datetime.timedelta(days=100)
    await Site.filter(id=site.id).update(updated_at=stale_since, confirmed_unchanged_at=None)
    # Its actors: the operator by name, and the Ville de Toulouse as a whole.
    association = (await User.get(email=persona("operator"))).organization_id
    toulouse = await Organization.get(name=TOULOUSE)
    await SiteActor.filter(site_id=site.id).delete()
    await SiteActor.create(site_id=site.id, organization_id=association,
                           user_id=await user_id("operator"), themes=["health"])  # fmt: skip
    await SiteActor.create(site_id=site.id, organization_id=toulouse.id, themes=["steering"])
    # A correspondent of the Gironde, who should not hear of it.
    gironde = await InterventionArea.filter(
        level=LocationLevel.DEPARTEMENT, code="33", organization_id__isnull=False
    ).first()
    assert gironde is not None
    other = await User.create(
        organization_id=gironde.organization_id, first_name="Paul", last_name="Ailleurs",
        email="correspondent.gironde@example.org", role=Role.CORRESPONDENT,
        status=UserStatus.ACTIVE,
    )  # fmt: skip

    # (The digest may be due too: each test here reads the rows of its own kind.)
    planned = await schedule.plan(settings, moment)
    reminders = await rows(OUT_OF_DATE)
    assert planned == await Email.all().count() and reminders
    assert {row.about["site"] for row in reminders} == {site.id}
    episode = f"s{site.id}@{stale_since.date().isoformat()}"
    assert {row.key for row in reminders} == {
        f"site.out_of_date:{episode}:u{row.user_id}" for row in reminders
    }
    recipients = {row.user_id for row in reminders}
    members = await User.filter(organization_id=toulouse.id, status=UserStatus.ACTIVE)
    assert {await user_id("operator"), await user_id("correspondent")} <= recipients
    assert {member.id for member in members} <= recipients
    for nobody in ("operator.legal", "national_admin", "local_admin", "external_observer"):
        assert await user_id(nobody) not in recipients, nobody
    assert other.id not in recipients
    # Once per episode: not again, neither now nor the next days.
    with count_statements() as statements:
        assert await schedule.plan(settings, moment) == 0
    # Nothing new costs a few reads, however many sites and people there are.
    assert statements.count <= 8, statements.statements
    assert all(sql.lstrip().upper().startswith("SELECT") for sql in statements.statements)
    assert await schedule.plan(settings, moment + datetime.timedelta(days=3)) == 0

    await Email.filter(kind=DIGEST).delete()  # (the digest test's week, if left due)
    await send_all(settings, schema)
    message = only(smtp, persona("operator"))
    assert message["Subject"] == f"Site à mettre à jour : {site.name} (Toulouse)"
    text = body(message)
    assert f"depuis le {stale_since.day} " in text
    assert f"{PUBLIC_URL}/sites/{to_base64('Site', site.id)}" in text
    assert message["List-Unsubscribe"].startswith(f"<{PUBLIC_URL}/notifications/unsubscribe?")
    assert only(smtp, persona("correspondent"))["Subject"] == message["Subject"]

    # Confirmed unchanged: the episode ends; stale again later, a new one begins.
    version = (await Site.get(id=site.id)).version
    await call(hub, "correspondent", CONFIRM_SITE, {"id": to_base64("Site", site.id),
                                                    "version": version})  # fmt: skip
    assert await schedule.plan(settings, now()) == 0
    again = moment - datetime.timedelta(days=95)
    await Site.filter(id=site.id).update(updated_at=again, confirmed_unchanged_at=None)
    assert await schedule.plan(settings, now()) == len(recipients)  # (no digest due again)
    fresh = [row for row in await rows(OUT_OF_DATE) if row.key not in {r.key for r in reminders}]
    assert {row.user_id for row in fresh} == recipients

    # Read with the rights of the moment: the operator, now working in the Gironde only, may
    # no longer read the site, and is not told about it; the correspondent is.
    operator = await user_id("operator")
    moved = await InterventionArea.create(user_id=operator, level=LocationLevel.DEPARTEMENT,
                                          code="33")  # fmt: skip
    smtp.inbox.clear()
    try:
        await send_all(settings, schema)
    finally:
        await moved.delete()
    statuses = {row.user_id: row.status for row in await rows(OUT_OF_DATE) if row in fresh}
    assert statuses[operator] is DeliveryStatus.SKIPPED and not smtp.inbox.to(persona("operator"))
    assert statuses[await user_id("correspondent")] is DeliveryStatus.DELIVERED

    # Updated before its reminder went out: the reminder is not sent.
    third = moment - datetime.timedelta(days=93)
    await Site.filter(id=site.id).update(updated_at=third, confirmed_unchanged_at=None)
    assert await schedule.plan(settings, now()) == len(recipients)
    last = await Email.filter(kind=OUT_OF_DATE, key__contains=f"@{third.date().isoformat()}:")
    await update_site(hub, "correspondent", site, {"identity": {"name": "Terrain revu"}})
    smtp.inbox.clear()
    await send_all(settings, schema)
    assert {row.status for row in await Email.filter(id__in=[r.id for r in last])} == {
        DeliveryStatus.SKIPPED
    }
    assert smtp.inbox.messages == []
    await other.delete()


# Unused accounts.


async def test_an_unused_account_is_reminded_then_deactivated_after_the_grace(
    hub: Hub, smtp: SmtpServer, schema: BaseSchema
) -> None:
    settings = mail_settings(
        hub, smtp, out_of_date_reminder_days=0, inactivity_days=180, inactivity_grace_days=30
    )
    moment = now()
    # Everyone used the hub today, but for the accounts the test leaves unused.
    await User.all().update(last_seen_at=moment)
    quiet = await User.filter(
        status=UserStatus.ACTIVE, role=Role.OPERATOR, organization__active=True,
        email__not_in=[persona("operator"), persona("operator.legal")],
    ).order_by("id").limit(2)  # fmt: skip
    seen_long_ago, never_seen = quiet
    long_ago = moment - datetime.timedelta(days=200)
    await User.filter(id=seen_long_ago.id).update(last_seen_at=long_ago)
    await User.filter(id=never_seen.id).update(
        last_seen_at=None, created_at=moment - datetime.timedelta(days=400)
    )
    # The intervener too, who will come back in time.
    await User.filter(email=persona("intervener")).update(last_seen_at=long_ago)
    # Every national administrator unused; the persona the least long ago.
    admins = await User.filter(role=Role.NATIONAL_ADMIN, status=UserStatus.ACTIVE)
    await User.filter(id__in=[a.id for a in admins]).update(last_seen_at=long_ago)
    await User.filter(email=persona("national_admin")).update(
        last_seen_at=long_ago + datetime.timedelta(days=1)
    )
    unused = {seen_long_ago.id, never_seen.id, await user_id("intervener")} | {
        admin.id for admin in admins
    }

    planned = await schedule.plan(settings, moment)
    reminders = {row.user_id: row for row in await rows(INACTIVE)}
    assert planned == await Email.all().count() and set(reminders) == unused
    assert reminders[seen_long_ago.id].key == (
        f"account.inactive:{long_ago.date().isoformat()}:u{seen_long_ago.id}"
    )
    assert await schedule.plan(settings, moment) == 0
    assert await User.filter(id__in=list(unused), status=UserStatus.ACTIVE).count() == len(unused)

    await Email.filter(kind=DIGEST).delete()  # (the digest test's week, if left due)
    await send_all(settings, schema)
    message = only(smtp, seen_long_ago.email)
    deactivation = (moment + datetime.timedelta(days=30)).date()
    assert message["Subject"] == (
        f"Votre compte sur la plateforme bidonvilles sera désactivé le {french_date(deactivation)}"
    )
    text = body(message)
    assert f"Bonjour {seen_long_ago.first_name}," in text
    assert f"depuis le {long_ago.day} " in text and PUBLIC_URL in text
    # Its account's e-mails cannot be turned off.
    assert message["List-Unsubscribe"] is None

    # The intervener comes back; the others are still unused when the grace has passed.
    await hub.ask("intervener", "{ me { role } }")
    await uses_of(hub).write()
    await Email.filter(kind=INACTIVE).update(created_at=moment - datetime.timedelta(days=31))
    deactivated = await schedule.plan(settings, moment)
    gone = set(
        await User.filter(id__in=list(unused), status=UserStatus.INACTIVE).values_list(
            "id", flat=True
        )
    )
    kept = await user_id("national_admin")
    assert gone == unused - {await user_id("intervener"), kept}
    assert deactivated == len(gone)
    assert (await User.get(id=kept)).status is UserStatus.ACTIVE
    assert await schedule.plan(settings, moment) == 0

    # Audited as the hub's own write, and announced.
    entries = await AuditEntry.filter(operation="user.deactivate_unused")
    assert sorted(entry.subject_ids[0] for entry in entries) == sorted(gone)
    assert all(entry.user_id is None and entry.details["reason"] == "unused" for entry in entries)
    for user in gone:
        event = await Event.filter(kind=EventKind.USER_DEACTIVATED, subject_id=user).get()
        assert event.subject_type == "user" and event.user_id is None
    feed = (await hub.ask("national_admin", DEACTIVATIONS))["data"]["activity"]["nodes"]
    listed = {node["user"]["id"] for node in feed}
    assert {to_base64("User", user) for user in gone} <= listed
    assert all(node["author"] is None for node in feed)

    # Told, in French, with a way back; one reactivated before its message went out is not.
    reactivate = {"id": to_base64("User", seen_long_ago.id)}
    await call(hub, "national_admin", ACTIVATE_USER, reactivate)
    smtp.inbox.clear()
    await send_all(settings, schema)
    told = only(smtp, never_seen.email)
    assert told["Subject"] == "Votre compte sur la plateforme bidonvilles a été désactivé"
    assert "administrateur local de votre département" in body(told)
    statuses = {row.user_id: row.status for row in await rows(DEACTIVATED)}
    assert set(statuses) == gone
    assert statuses.pop(seen_long_ago.id) is DeliveryStatus.SKIPPED
    assert set(statuses.values()) == {DeliveryStatus.DELIVERED}
    assert not smtp.inbox.to(seen_long_ago.email)
    assert not smtp.inbox.to(persona("national_admin"))
    # Reactivated, the account starts afresh: neither reminded nor deactivated again now.
    assert await schedule.plan(settings, now()) == 0
    assert (await User.get(id=seen_long_ago.id)).status is UserStatus.ACTIVE
    # The other tests of the module find the accounts as they were.
    await User.filter(id__in=list(gone)).update(status=UserStatus.ACTIVE, last_seen_at=moment)
