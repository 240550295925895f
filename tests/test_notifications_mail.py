"""E-mail notifications through the real stack: a request for access, its decision and a
targeted comment made over HTTP queue e-mails in their transaction; the mailer reads each as
its recipient would and hands it to a real SMTP server started by the test, which may refuse,
fail for a while, or be down; ``hub notify --once`` does the same as a process of its own."""

from __future__ import annotations

import asyncio
import datetime
import os
import re
import subprocess
import sys
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import pytest
from strawberry.relay import to_base64
from strawberry.schema import BaseSchema

from hub.demo.reference import PERSONA_DOMAIN, PREFECTURE_31, RESEARCH_LAB, TOULOUSE
from hub.models import Email, Organization, Site, User
from hub.models.enums import DeliveryStatus, NotificationKind, Role, SiteStatus, UserStatus
from hub.server.notify.commands import notify_once
from hub.server.notify.mailer import Mailer
from hub.server.notify.smtp import Relay
from hub.server.observability.metrics import Metrics
from hub.settings import Settings
from tests.live import served
from tests.mail import SmtpServer, body, send_due, smtp_server
from tests.support import Hub
from tests.test_access_requests import APPROVE, REFUSE, ask
from tests.test_webhooks import until

# Each test reads and sends only its own e-mails.
pytestmark = pytest.mark.usefixtures("empty_outbox")

SECRET_KEY = "a test key that signs the unsubscribe links"
COMMENT = """mutation ($input: CreateCommentInput!) {
  createComment(input: $input) { comment { id } errors { field code } } }"""


def persona(name: str) -> str:
    return f"{name}@{PERSONA_DOMAIN}"


@pytest.fixture
def mail_settings(hub: Hub, smtp: SmtpServer) -> Settings:
    """The hub's settings with the test's SMTP server; three attempts at most; no reminders
    (the calendar's e-mails are not what this module tests)."""
    return replace(
        hub.settings, smtp_url=smtp.url, secret_key=SECRET_KEY, mail_max_attempts=3,
        mail_from="Plateforme bidonvilles <ne-pas-repondre@hub.example>",
        public_url="https://hub.example", out_of_date_reminder_days=0, inactivity_days=0,
    )  # fmt: skip


@pytest.fixture
def mailer(mail_settings: Settings, schema: BaseSchema) -> Mailer:
    return Mailer(mail_settings, schema, Metrics())


async def later() -> None:
    """The time of the next attempts has come (their delay is not what is tested)."""
    now = datetime.datetime.now(datetime.UTC)
    await Email.filter(status=DeliveryStatus.PENDING).update(next_attempt_at=now)


async def rows(kind: NotificationKind | None = None) -> list[Email]:
    found = Email.all().order_by("id")
    return await (found.filter(kind=kind) if kind else found)


def by_status(emails: list[Email]) -> dict[str, DeliveryStatus]:
    return {email.address: email.status for email in emails}


def sent(smtp: SmtpServer, address: str, subject: str = "") -> list[EmailMessage]:
    return [m for m in smtp.inbox.to(address) if subject in str(m["Subject"])]


async def test_a_request_for_access_reaches_those_who_may_decide_on_it(
    hub: Hub, smtp: SmtpServer, mailer: Mailer
) -> None:
    lab = await Organization.get(name=RESEARCH_LAB)  # its area: the Gironde
    await User.get_or_create(
        email="local_admin.gironde@example.org",
        defaults={"organization": lab, "first_name": "Anne", "last_name": "Ailleurs",
                  "role": Role.LOCAL_ADMIN, "status": UserStatus.ACTIVE},
    )  # fmt: skip
    reason = "Nous intervenons <chaque semaine> à Toulouse & alentours.\nMerci."
    await ask(hub, "mail.request@example.org", reason=reason, role="INTERVENER")
    await send_due(mailer)

    queued = by_status(await rows(NotificationKind.ACCESS_REQUESTED))
    assert queued[persona("national_admin")] is DeliveryStatus.DELIVERED
    assert queued[persona("local_admin")] is DeliveryStatus.DELIVERED
    for elsewhere in ("local_admin.gironde@example.org", persona("operator")):
        assert elsewhere not in queued and not smtp.inbox.to(elsewhere), elsewhere
    # Exactly the rows delivered were received, each once.
    delivered = sorted(a for a, status in queued.items() if status is DeliveryStatus.DELIVERED)
    assert sorted(m["X-Envelope-To"] for m in smtp.inbox.messages) == delivered

    [message] = sent(smtp, persona("local_admin"))
    assert message["Subject"] == "Demande d'accès : Inès Garcia, Médiation Garonne"
    assert message["From"] == "Plateforme bidonvilles <ne-pas-repondre@hub.example>"
    assert message["To"] == persona("local_admin")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text, html = body(message, "plain"), body(message, "html")
    for shown in ("Inès Garcia", "mail.request@example.org", "Médiatrice", "Toulouse (commune)",
                  "Intervenant", reason, "https://hub.example"):  # fmt: skip
        assert shown in text, shown
    assert "&lt;chaque semaine&gt; à Toulouse &amp; alentours." in html
    assert "<chaque semaine>" not in html
    assert '<a href="https://hub.example">' in html
    # The local administrator may turn these off, with one click in its mail client.
    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://hub.example/notifications/unsubscribe?token=")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.strip("<>") in text and unsubscribe.strip("<>").replace("&", "&amp;") in html


async def test_a_request_its_deciders_may_not_decide_on_is_not_sent_to_them(
    hub: Hub, smtp: SmtpServer, mailer: Mailer
) -> None:
    # A local administrator gives the intervener role only: an operator's request is not its.
    await ask(hub, "mail.operator@example.org", role="OPERATOR")
    await send_due(mailer)
    queued = by_status(await rows(NotificationKind.ACCESS_REQUESTED))
    assert queued[persona("local_admin")] is DeliveryStatus.SKIPPED
    assert not smtp.inbox.to(persona("local_admin"))
    assert queued[persona("national_admin")] is DeliveryStatus.DELIVERED
    assert "Opérateur" in body(sent(smtp, persona("national_admin"))[0])


async def test_the_decision_reaches_the_person_who_asked(
    hub: Hub, smtp: SmtpServer, mailer: Mailer
) -> None:
    approved = (await ask(hub, "mail.approved@example.org"))["accessRequestId"]
    refused = (await ask(hub, "mail.refused@example.org"))["accessRequestId"]
    approval = {"id": approved, "input": {"role": "INTERVENER"}}
    assert (await hub.call("national_admin", APPROVE, approval))["errors"] == []
    refusal = {"id": refused, "reason": "Votre structure n'intervient pas <ici>."}
    assert (await hub.call("local_admin", REFUSE, refusal))["errors"] == []
    await send_due(mailer)

    [welcome] = sent(smtp, "mail.approved@example.org")
    assert welcome["Subject"] == "Votre accès à la plateforme bidonvilles est accepté"
    text = body(welcome)
    assert "Bonjour Inès," in text and "« Intervenant »" in text
    assert "« Médiation Garonne »" in text and "https://hub.example" in text
    assert "avec l'adresse mail.approved@example.org" in text
    # Answers to a request cannot be turned off: no unsubscribe link.
    assert welcome["List-Unsubscribe"] is None
    [answer] = sent(smtp, "mail.refused@example.org")
    assert "Votre structure n'intervient pas <ici>." in body(answer)
    assert "Votre structure n&#x27;intervient pas &lt;ici&gt;." in body(answer, "html")
    # Decided before the deciders' e-mails went: nothing is asked of them any more.
    asked = await rows(NotificationKind.ACCESS_REQUESTED)
    assert asked and {email.status for email in asked} == {DeliveryStatus.SKIPPED}
    assert not sent(smtp, persona("national_admin"))


async def comment(hub: Hub, who: str, site: Site, text: str, **targets: list[str]) -> None:
    data = {"siteId": to_base64("Site", site.id), "body": text, **targets}
    payload = await hub.call(who, COMMENT, {"input": data})
    assert payload["errors"] == [], payload


async def users(*emails: str) -> list[str]:
    found = await User.filter(email__in=emails).values_list("id", flat=True)
    return [to_base64("User", user_id) for user_id in found]


async def test_a_targeted_comment_reaches_its_targets_and_no_one_else(
    hub: Hub, smtp: SmtpServer, mailer: Mailer
) -> None:
    site = await Site.filter(commune_id="31555", status=SiteStatus.OPEN).order_by("id").first()
    assert site is not None
    toulouse = await Organization.get(name=TOULOUSE)
    members = await User.filter(organization=toulouse, status=UserStatus.ACTIVE).count()
    targets = await users(
        persona("intervener"), persona("national_admin"), persona("correspondent")
    )
    await comment(
        hub, "correspondent", site, "Visite prévue jeudi :\nmerci de prévenir les familles.",
        targetUsers=targets, targetOrganizations=[to_base64("Organization", toulouse.id)],
    )  # fmt: skip
    await send_due(mailer)

    received = {m["X-Envelope-To"] for m in smtp.inbox.messages}
    assert {persona("intervener"), persona("national_admin"), persona("institutional_partner")} <= (
        received
    )
    assert len(received) == len(smtp.inbox.messages) == members + 2
    # Not the author, though targeted, nor anyone else of the site's département.
    for other in ("correspondent", "operator", "local_admin"):
        assert not smtp.inbox.to(persona(other)), other

    [to_intervener] = sent(smtp, persona("intervener"))
    name = site.name
    assert to_intervener["Subject"] == f"Un message vous est adressé sur le site « {name} »"
    text = body(to_intervener)
    assert "Visite prévue jeudi :\nmerci de prévenir les familles." in text
    # An intervener may not read other people's names: the author's organization only.
    assert f"Un membre de {PREFECTURE_31} vous a adressé un message" in text
    assert "Lacombe" not in text
    assert f"https://hub.example/sites/{to_base64('Site', site.id)}" in text
    assert to_intervener["List-Unsubscribe"] is not None
    to_admin = body(sent(smtp, persona("national_admin"))[0])
    assert f"Sophie Lacombe ({PREFECTURE_31}) vous a adressé un message" in to_admin


async def test_the_message_id_is_the_same_at_every_attempt(
    hub: Hub, smtp: SmtpServer, mailer: Mailer
) -> None:
    await ask(hub, "mail.repeat@example.org")
    await send_due(mailer)
    first = {m["X-Envelope-To"]: m["Message-ID"] for m in smtp.inbox.messages}
    assert len(set(first.values())) == len(first) >= 2
    assert all(mid.endswith("@hub.example>") for mid in first.values())
    # The answers were lost (the worker died before recording them): sent again, the same.
    await Email.all().update(status=DeliveryStatus.PENDING, attempts=0)
    await later()
    smtp.inbox.clear()
    await send_due(mailer)
    again = {m["X-Envelope-To"]: m["Message-ID"] for m in smtp.inbox.messages}
    assert again == first


async def test_while_the_server_is_down_nothing_is_lost_and_then_each_is_sent_once(
    hub: Hub, smtp: SmtpServer, mailer: Mailer
) -> None:
    await ask(hub, "mail.outage@example.org")
    queued = await rows()
    assert len(queued) >= 2
    smtp.stop()
    await send_due(mailer)
    waiting = await rows()
    assert {(e.status, e.attempts) for e in waiting} == {(DeliveryStatus.PENDING, 1)}
    assert all("ConnectionRefusedError" in (e.last_error or "") for e in waiting)
    assert all(e.next_attempt_at > datetime.datetime.now(datetime.UTC) for e in waiting)
    # Not due yet: the next pass sends nothing.
    await send_due(mailer)
    assert {e.attempts for e in await rows()} == {1}

    smtp.start()
    await later()
    await send_due(mailer)
    await send_due(mailer)
    done = await rows()
    assert {(e.status, e.attempts, e.last_error) for e in done} == {
        (DeliveryStatus.DELIVERED, 2, None)
    }
    assert sorted(m["X-Envelope-To"] for m in smtp.inbox.messages) == sorted(
        e.address for e in done
    )


async def test_two_mailers_at_once_send_each_e_mail_once(
    hub: Hub, smtp: SmtpServer, mail_settings: Settings, schema: BaseSchema
) -> None:
    for n in range(4):
        await ask(hub, f"mail.concurrent.{n}@example.org")
    queued = await rows()
    first, second = (
        Mailer(mail_settings, schema, Metrics()),
        Mailer(mail_settings, schema, Metrics()),
    )
    await asyncio.gather(send_due(first), send_due(second))
    ids = [m["Message-ID"] for m in smtp.inbox.messages]
    assert len(ids) == len(set(ids)) == len(queued) > 8
    assert {e.status for e in await rows()} == {DeliveryStatus.DELIVERED}
    assert {e.attempts for e in await rows()} == {1}


async def test_a_temporary_refusal_is_retried_then_the_last_one_fails_the_e_mail(
    hub: Hub, smtp: SmtpServer, mailer: Mailer
) -> None:
    await ask(hub, "mail.busy@example.org")
    smtp.inbox.refusing = "451 4.3.0 Mailbox busy, try again later"
    await send_due(mailer)
    [row, *_] = await rows()
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
    assert row.last_error == "message refused: 451 4.3.0 Mailbox busy, try again later"
    await later()
    await send_due(mailer)
    await later()
    await send_due(mailer)
    failed = await rows()
    assert {(e.status, e.attempts) for e in failed} == {(DeliveryStatus.FAILED, 3)}
    assert not smtp.inbox.messages
    registry = mailer.metrics.registry
    assert registry.get_sample_value("hub_emails_total", {"outcome": "failed"}) == 2 * len(failed)
    assert registry.get_sample_value("hub_emails_total", {"outcome": "given_up"}) == len(failed)


async def test_a_temporary_refusal_is_delivered_at_the_next_attempt(
    hub: Hub, smtp: SmtpServer, mailer: Mailer
) -> None:
    await ask(hub, "mail.later@example.org")
    smtp.inbox.refusing = "451 4.3.0 Try again later"
    await send_due(mailer)
    smtp.inbox.refusing = None
    await later()
    await send_due(mailer)
    done = await rows()
    assert {(e.status, e.attempts, e.last_error) for e in done} == {
        (DeliveryStatus.DELIVERED, 2, None)
    }
    assert len(smtp.inbox.messages) == len(done)


async def test_a_recipient_refused_for_good_fails_at_once(
    hub: Hub, smtp: SmtpServer, mailer: Mailer
) -> None:
    smtp.inbox.unknown = {"mail.nobody@example.org"}
    key = (await ask(hub, "mail.nobody@example.org"))["accessRequestId"]
    refusal = {"id": key, "reason": "Inconnu."}
    assert (await hub.call("national_admin", REFUSE, refusal))["errors"] == []
    await send_due(mailer)
    [row] = await rows(NotificationKind.ACCESS_REFUSED)
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 1)
    assert row.last_error == "recipient refused: 550 5.1.1 No such mailbox"
    registry = mailer.metrics.registry
    assert registry.get_sample_value("hub_emails_total", {"outcome": "given_up"}) == 1


async def test_a_recipient_who_turned_the_kind_off_gets_nothing(
    hub: Hub, smtp: SmtpServer, mailer: Mailer
) -> None:
    await ask(hub, "mail.unwanted@example.org")
    # Turned off once the e-mail was queued: checked again when it is sent.
    local_admin = await User.get(email=persona("local_admin"))
    await User.filter(id=local_admin.id).update(notifications_off=["access.requested"])
    try:
        await send_due(mailer)
    finally:
        await User.filter(id=local_admin.id).update(notifications_off=[])
    queued = by_status(await rows())
    assert queued[persona("local_admin")] is DeliveryStatus.SKIPPED
    assert not smtp.inbox.to(persona("local_admin"))
    assert queued[persona("national_admin")] is DeliveryStatus.DELIVERED


async def test_without_an_smtp_server_the_e_mails_wait(
    hub: Hub, mail_settings: Settings, schema: BaseSchema
) -> None:
    await ask(hub, "mail.unconfigured@example.org")
    unconfigured = replace(mail_settings, smtp_url=None)
    await send_due(Mailer(unconfigured, schema, Metrics()))
    waiting = await rows()
    assert {(e.status, e.attempts) for e in waiting} == {(DeliveryStatus.PENDING, 0)}
    said = await notify_once(unconfigured)
    assert (
        said == f"0 e-mail(s) queued; none sent: HUB_SMTP_URL is not set ({len(waiting)} waiting)."
    )


async def test_hub_serve_sends_them(hub: Hub, smtp: SmtpServer, mail_settings: Settings) -> None:
    async with served(mail_settings):
        await ask(hub, "mail.served@example.org")

        async def mailed() -> bool:
            return bool(sent(smtp, persona("national_admin"), "Demande d'accès"))

        await until(mailed)
    [message] = sent(smtp, persona("national_admin"), "Demande d'accès")
    assert "mail.served@example.org" in body(message)


def test_the_smtp_url_says_where_and_how_to_hand_the_e_mails_over() -> None:
    assert Relay.parse("smtp://mail.example") == Relay("mail.example", 25)
    assert Relay.parse("smtps://mail.example") == Relay("mail.example", 465, tls=True)
    relay = Relay.parse("smtp://hub%40relay:p%3Ass%20w@mail.example?starttls=true")
    assert relay == Relay("mail.example", 587, starttls=True, user="hub@relay", password="p:ss w")
    assert str(relay) == "smtp://mail.example:587?starttls=true"  # no password in logs
    assert Relay.parse("smtp://mail.example:2525?starttls=false").port == 2525


async def test_the_credentials_of_the_smtp_url_are_given_to_the_server(
    hub: Hub, mail_settings: Settings, schema: BaseSchema
) -> None:
    await ask(hub, "mail.auth@example.org")
    with smtp_server(credentials=("hub@relay", "s3cret:pass")) as relay:
        base = f"127.0.0.1:{relay.port}"
        wrong = replace(mail_settings, smtp_url=f"smtp://hub%40relay:guess@{base}")
        await send_due(Mailer(wrong, schema, Metrics()))
        refused = await rows()
        assert {(e.status, e.attempts) for e in refused} == {(DeliveryStatus.PENDING, 1)}
        assert all((e.last_error or "").startswith("refused: 535") for e in refused)
        await later()
        right = replace(mail_settings, smtp_url=f"smtp://hub%40relay:s3cret%3Apass@{base}")
        await send_due(Mailer(right, schema, Metrics()))
        assert {e.status for e in await rows()} == {DeliveryStatus.DELIVERED}
        assert len(relay.inbox.messages) == len(refused)


def hub_notify(settings: Settings, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        "PATH": os.environ.get("PATH", ""), "HUB_ENV": "test", "HUB_SECRET_KEY": SECRET_KEY,
        "HUB_DATABASE_URL": settings.database_url, "HUB_OUT_OF_DATE_REMINDER_DAYS": "0",
        "HUB_INACTIVITY_DAYS": "0", **env,
    }  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "hub.server.cli", "notify", "--once"],
        env=environ, cwd=cwd, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


SAID = re.compile(
    r"(?P<queued>\d+) e-mail\(s\) queued; (?P<sent>\d+) sent, (?P<skipped>\d+) skipped, "
    r"(?P<failed>\d+) failed \(to be retried\), (?P<given_up>\d+) given up; "
    r"(?P<waiting>\d+) waiting\.$"
)


async def test_hub_notify_once_sends_what_is_due_and_says_so(
    hub: Hub, smtp: SmtpServer, tmp_path: Path
) -> None:
    await ask(hub, "mail.cron@example.org")
    mine = len(await rows())
    done = await asyncio.to_thread(hub_notify, hub.settings, tmp_path, HUB_SMTP_URL=smtp.url)
    assert done.returncode == 0, done.stderr
    said = SAID.search(done.stdout.strip())
    assert said is not None, done.stdout
    assert int(said["sent"]) == len(smtp.inbox.messages) >= mine
    assert int(said["waiting"]) == await Email.filter(status=DeliveryStatus.PENDING).count()
    assert {e.status for e in await rows(NotificationKind.ACCESS_REQUESTED)} == {
        DeliveryStatus.DELIVERED
    }
    assert len(sent(smtp, persona("national_admin"), "Demande d'accès")) == 1
    # Run again at once: nothing more to queue or send.
    again = await asyncio.to_thread(hub_notify, hub.settings, tmp_path, HUB_SMTP_URL=smtp.url)
    assert again.stdout.startswith("0 e-mail(s) queued; 0 sent"), again.stdout
    assert len(smtp.inbox.messages) == int(said["sent"])
