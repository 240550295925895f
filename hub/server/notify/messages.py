"""How each kind of e-mail is written: its renderer reads what the message is about with the
recipient's rights, then fills the kind's templates (``templates/<name>.subject|.txt|.html``).

A renderer raises ``Skipped`` when the recipient may not (or no longer) read what the message
concerns: nothing is sent. Fields the recipient may not read come back null and are left out
of the message, so an e-mail never says more than the API would tell its recipient.
"""

from __future__ import annotations

import html
import string
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from strawberry.schema import BaseSchema

from hub.models import Email, User
from hub.models.enums import NotificationKind, UserStatus
from hub.server.auth.principals import user_principal
from hub.server.outbox import Skipped
from hub.settings import Settings
from resolvers.context import Context

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str
    # Where the recipient turns this kind off (None: a kind that cannot be turned off).
    unsubscribe_url: str | None = None


class Safe(str):
    """HTML already escaped (a block rendered from a template): put in an HTML template as it is."""


@cache
def _template(name: str) -> string.Template:
    return string.Template((TEMPLATES / name).read_text(encoding="utf-8"))


def render(name: str, values: Mapping[str, Any], unsubscribe_url: str | None = None) -> Message:
    """The message of the templates ``name``.subject, .txt and .html filled with ``values``
    (escaped in the HTML, but for ``Safe`` ones). A value missing from ``values`` is a bug,
    raised as one."""
    subject = _template(f"{name}.subject").substitute({k: str(v) for k, v in values.items()})
    text, markup = render_block(name, values)
    return Message(subject.strip(), text, markup, unsubscribe_url)


def render_block(name: str, values: Mapping[str, Any]) -> tuple[str, Safe]:
    """``name``.txt and ``name``.html filled: a whole message's bodies, or one repeated piece
    of them (a digest's line)."""
    text = _template(f"{name}.txt").substitute({k: str(v) for k, v in values.items()})
    markup = _template(f"{name}.html").substitute(
        {k: v if isinstance(v, Safe) else html.escape(str(v)) for k, v in values.items()}
    )
    return text, Safe(markup)


class Reader:
    """Runs GraphQL queries as a recipient would: with its rights as they are now."""

    def __init__(self, settings: Settings, schema: BaseSchema) -> None:
        self.settings = settings
        self.schema = schema

    async def user(self, user_id: int | None) -> User:
        """The recipient's account; ``Skipped`` when it is gone or no longer active."""
        user = await User.get_or_none(id=user_id) if user_id is not None else None
        if user is None or user.status is not UserStatus.ACTIVE:
            raise Skipped
        return user

    async def read(
        self, user: User, query: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The query's data as ``user`` reads it (denied fields null)."""
        context = Context.build(None, self.settings, await user_principal(user))
        result = await self.schema.execute(query, variable_values=variables, context_value=context)
        if result.data is None:
            raise RuntimeError(f"reading an e-mail's content failed: {result.errors}")
        return result.data


Renderer = Callable[[Email, Reader], Awaitable[Message]]
RENDERERS: dict[NotificationKind, Renderer] = {}


def renders(kind: NotificationKind) -> Callable[[Renderer], Renderer]:
    def register(renderer: Renderer) -> Renderer:
        RENDERERS[kind] = renderer
        return renderer

    return register
