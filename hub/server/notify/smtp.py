"""Sending one message to an SMTP server (``HUB_SMTP_URL``) with the standard library's
``smtplib``, in a thread so that the event loop never waits on the network.

``HUB_SMTP_URL`` is ``smtp://[user:password@]host[:port][?starttls=true]`` (port 25, or 587
with STARTTLS) or ``smtps://…`` (TLS from the first byte, port 465); the user and password
are URL-encoded. A failure is either ``Temporary`` (no answer, a timeout, a 4xx reply, a
refusal of the hub's own sender or credentials: tried again later, when the server or its
configuration may have changed) or ``Refused`` (a 5xx reply to the recipient or to the
message itself: the same message to the same address would be refused again).
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

# Each network operation (connecting, each command) must answer within this. A message takes
# at most seven of them (connect, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA): even all slow, they
# end within the outbox's lease of the row (two minutes), so no other worker takes it meanwhile.
TIMEOUT_SECONDS = 15.0
_TRUE = frozenset({"1", "true", "yes", "on"})


class Temporary(Exception):
    """The message was not taken; it may be later."""


class Refused(Exception):
    """The server refused the recipient or the message for good (a 5xx reply)."""


@dataclass(frozen=True)
class Relay:
    """Where and how the messages are handed over."""

    host: str
    port: int
    tls: bool = False
    starttls: bool = False
    user: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> Relay:
        """The relay of a ``HUB_SMTP_URL`` (whose form the settings already checked)."""
        parts = urlsplit(url)
        tls = parts.scheme == "smtps"
        starttls = not tls and any(
            value.lower() in _TRUE for value in parse_qs(parts.query).get("starttls", [])
        )
        default_port = 465 if tls else 587 if starttls else 25
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or default_port,
            tls=tls,
            starttls=starttls,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )

    def __str__(self) -> str:
        # For logs: never the password.
        scheme = "smtps" if self.tls else "smtp"
        return f"{scheme}://{self.host}:{self.port}" + ("?starttls=true" if self.starttls else "")


async def send(relay: Relay, message: EmailMessage, helo: str) -> None:
    """Hands ``message`` to ``relay`` (its ``To`` is the envelope's recipient); ``Temporary``
    or ``Refused`` when it was not taken. ``helo`` names this host in the conversation (the
    default would look the machine's name up in the DNS, which may take seconds)."""
    await asyncio.to_thread(_send, relay, message, helo, TIMEOUT_SECONDS)


def _send(relay: Relay, message: EmailMessage, helo: str, timeout: float) -> None:
    try:
        with _connect(relay, helo, timeout) as server:
            if relay.starttls:
                server.starttls(context=ssl.create_default_context())
                server.ehlo()
            if relay.user is not None:
                server.login(relay.user, relay.password or "")
            server.send_message(message)
    except smtplib.SMTPRecipientsRefused as refused:
        # One recipient per message: its reply decides.
        code, reply = next(iter(refused.recipients.values()))
        raise _by_code(code, reply, "recipient refused") from None
    except smtplib.SMTPDataError as refused:
        raise _by_code(refused.smtp_code, refused.smtp_error, "message refused") from None
    except smtplib.SMTPResponseException as failure:
        # The sender or the credentials refused, or an unexpected reply: the hub's side or
        # the server's state, not the recipient's, so worth another attempt.
        raise Temporary(_reply(failure.smtp_code, failure.smtp_error, "refused")) from None
    except (smtplib.SMTPException, OSError) as failure:
        # Refused or lost connections, timeouts, TLS failures, no STARTTLS offered.
        raise Temporary(f"{type(failure).__name__}: {failure}") from None


def _connect(relay: Relay, helo: str, timeout: float) -> smtplib.SMTP:
    if relay.tls:
        return smtplib.SMTP_SSL(
            relay.host, relay.port, local_hostname=helo, timeout=timeout,
            context=ssl.create_default_context(),
        )  # fmt: skip
    return smtplib.SMTP(relay.host, relay.port, local_hostname=helo, timeout=timeout)


def _by_code(code: int, reply: bytes | str, what: str) -> Exception:
    text = _reply(code, reply, what)
    return Refused(text) if 500 <= code < 600 else Temporary(text)


def _reply(code: int, reply: bytes | str, what: str) -> str:
    said = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return f"{what}: {code} {said}".strip()
