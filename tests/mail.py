"""A real SMTP server for the e-mail tests (aiosmtpd on a free loopback port), whose received
messages the tests read, and which can refuse messages or recipients, or be stopped to play
an outage."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from hub.server.notify.mailer import Mailer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """What the server received, and whether it refuses messages for now."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        # While set, each message is answered with this temporary failure.
        self.refusing: str | None = None
        # Addresses refused for good at RCPT TO, as a server refuses a mailbox that does not exist.
        self.unknown: set[str] = set()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.lower() in self.unknown:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refusing is not None:
            return self.refusing
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in m["X-Envelope-To"].lower()]

    def clear(self) -> None:
        self.messages.clear()


def body(message: EmailMessage, subtype: str = "plain") -> str:
    """The text of a part, with its lines ended as in Python ("\\n", not SMTP's CRLF)."""
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    content: Any = part.get_content()
    return str(content).replace("\r\n", "\n")


class SmtpServer:
    """``with SmtpServer() as smtp``: listening on ``smtp.url`` until the block ends; ``stop()``
    and ``start()`` play an outage on the same port. With ``credentials`` (user, password) it
    offers AUTH and refuses other credentials (535)."""

    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.credentials = credentials
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        options: dict[str, Any] = {}
        if self.credentials is not None:
            # AUTH offered without TLS (a loopback test), checked when given.
            options = {"authenticator": self._authenticate, "auth_require_tls": False}
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        given = (data.login.decode(), data.password.decode()) if isinstance(
            data, LoginPassword
        ) else None  # fmt: skip
        # Not handled: the server answers 235 or 535 itself.
        return AuthResult(success=given == self.credentials, handled=False)

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


@contextmanager
def smtp_server(credentials: tuple[str, str] | None = None) -> Iterator[SmtpServer]:
    with SmtpServer(credentials) as server:
        yield server


async def send_due(mailer: Mailer) -> Mailer:
    """Sends every e-mail due now, as one pass of the mailer's loop does."""
    async with mailer.session():
        while await mailer.send_due():
            pass
    return mailer
