"""Sending the e-mail outbox (``hub.models.notifications``): each due row is read with its
recipient's rights (its kind's renderer), made into a message and handed to the SMTP server
of ``HUB_SMTP_URL``; claimed, retried and failed as every outbox is (``hub.server.outbox``).

- A recipient who turned the kind off since it was queued, or who may not read what it is
  about, gets nothing: the row is skipped.
- A temporary failure (the server down or slow, a 4xx reply) is retried after
  ``HUB_MAIL_RETRY_SECONDS``, doubled at each attempt, up to ``HUB_MAIL_MAX_ATTEMPTS``; a
  recipient the server refuses for good (a 5xx reply) fails the row at once.
- Each row's message has the same ``Message-ID`` at every attempt, derived from its key: a
  message sent again after its answer was lost is recognisable as the same message.

Without ``HUB_SMTP_URL`` nothing is sent: the rows wait, and sending starts once it is set.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib
import logging
import pkgutil
from collections import Counter
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any
from urllib.parse import urlsplit

from strawberry.schema import BaseSchema
from tortoise.queryset import QuerySet

import hub.server.notify
from hub.live.bus import BUS, Bus
from hub.models import Email, User
from hub.server.notify import smtp
from hub.server.notify.messages import RENDERERS, Message, Reader
from hub.server.observability.metrics import Metrics
from hub.server.outbox import GiveUp, Outbox, Skipped
from hub.settings import Settings
from resolvers.notifications.outbox import OPTIONAL_KINDS

log = logging.getLogger(__name__)


def _load_renderers() -> None:
    """Imports the modules beside this one that register renderers (``*_messages``): each
    kind's renderer is written apart, and the registry holds those that exist."""
    for module in pkgutil.iter_modules(hub.server.notify.__path__):
        if module.name.endswith("_messages"):
            importlib.import_module(f"{hub.server.notify.__name__}.{module.name}")


_load_renderers()


class Mailer(Outbox[Email]):
    """Sends the due e-mails (``hub.server.outbox``); ``outcomes`` counts what it did."""

    model = Email
    what = "E-mails"

    def __init__(
        self, settings: Settings, schema: BaseSchema, metrics: Metrics, bus: Bus = BUS
    ) -> None:
        super().__init__(settings.mail_retry_seconds, settings.mail_max_attempts, bus)
        self.settings = settings
        self.metrics = metrics
        self.reader = Reader(settings, schema)
        self.relay = smtp.Relay.parse(settings.smtp_url) if settings.smtp_url else None
        self.helo = urlsplit(settings.base_url).hostname or "localhost"
        self.outcomes: Counter[str] = Counter()
        self._said_unconfigured = False

    def due(self, now: datetime.datetime) -> QuerySet[Email]:
        # A kind without a renderer (yet) waits rather than fails.
        return super().due(now).filter(kind__in=list(RENDERERS))

    async def send_due(self) -> int:
        if self.relay is None:
            if not self._said_unconfigured:
                log.warning("HUB_SMTP_URL is not set: e-mails wait in the outbox, unsent.")
                self._said_unconfigured = True
            return 0
        return await super().send_due()

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] += 1
        self.metrics.email_sent(outcome)

    async def send(self, row: Email) -> str | None:
        assert self.relay is not None  # send_due sends nothing without one
        try:
            message = await self.message(row, datetime.datetime.now(datetime.UTC))
        except Skipped:
            raise
        except Exception as error:
            # A bug in a renderer: the row's attempts count, so that it ends failed and
            # visible instead of being claimed again forever.
            log.exception("Writing e-mail %s (%s) failed.", row.id, row.kind.value)
            return f"writing the message failed: {type(error).__name__}"
        try:
            await smtp.send(self.relay, message, self.helo)
        except smtp.Refused as refused:
            raise GiveUp(str(refused)) from None
        except smtp.Temporary as failure:
            return str(failure)
        return None

    async def message(self, row: Email, now: datetime.datetime) -> EmailMessage:
        """The message of ``row`` as it is sent now; ``Skipped`` when it is not to be."""
        if row.kind in OPTIONAL_KINDS and await _turned_off(row):
            raise Skipped
        rendered = await RENDERERS[row.kind](row, self.reader)
        return compose(self.settings, row, rendered, now)


async def _turned_off(row: Email) -> bool:
    """Whether the recipient turned the row's kind off since it was queued."""
    if row.user_id is None:
        return False
    off: list[Any] = await User.filter(id=row.user_id).values_list("notifications_off", flat=True)
    return any(row.kind.value in (kinds or []) for kinds in off)


def compose(
    settings: Settings, row: Email, rendered: Message, now: datetime.datetime
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = row.address
    # A subject is one line, whatever a name in it holds.
    message["Subject"] = " ".join(rendered.subject.split())
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(settings, row.key)
    # Out-of-office and other automatic replies are not to answer it (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    if rendered.unsubscribe_url is not None:
        # One click in the mail client turns the kind off (RFC 8058): a POST to the link.
        message["List-Unsubscribe"] = f"<{rendered.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message


def message_id(settings: Settings, key: str) -> str:
    """The same for a row at every attempt, and different from another hub's row of the
    same key (a test instance sending from the same domain)."""
    digest = hashlib.sha256(f"{settings.base_url}\n{key}".encode()).hexdigest()[:40]
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2]
    return f"<{digest}@{domain or urlsplit(settings.base_url).hostname or 'localhost'}>"
