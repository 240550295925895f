"""A real SMTP server for the e-mail tests (aiosmtpd on a free loopback port), whose received
messages the tests read, and which can refuse messages or be stopped to play an outage."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


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
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    content: Any = part.get_content()
    return str(content)


class SmtpServer:
    """``with SmtpServer() as smtp``: listening on ``smtp.url`` until the block ends; ``stop()``
    and ``start()`` play an outage on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

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
def smtp_server() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server
