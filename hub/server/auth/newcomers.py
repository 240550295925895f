"""A person signed in whom the hub does not know may ask for an account, and do nothing else.

``principals`` refuses them ``ACCOUNT_UNKNOWN``, with their identity (a ``Newcomer``). On
``/graphql``, ``RequireIdentity`` lets such a request go on as a newcomer (anonymous but for
that identity) as far as ``AskOnly``, which reads its body (within the hub's size and time
limits) and lets it through only if it is one ``requestAccess`` mutation and nothing else,
sent by POST as JSON; ``requestAccess`` then records the identity and asks for its verified
address. Any other request is refused as it was, with the same 403 ``ACCOUNT_UNKNOWN``.

The check is on the document, before GraphQL: nothing the newcomer sends besides reaches a
resolver, and what ``requestAccess`` answers (an ID and user errors) reads nothing.
"""

from __future__ import annotations

import json
import logging

from graphql import FieldNode, GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.server.auth.errors import AccessDenied
from hub.server.auth.middleware import principal_of, refusal
from hub.server.auth.principals import ACCOUNT_UNKNOWN
from hub.server.body_limit import LimitBody, replay_body
from hub.settings import Settings

log = logging.getLogger(__name__)

ASKING = "requestAccess"
# What the single mutation may select at its root besides it.
HARMLESS = frozenset({ASKING, "__typename"})


def asks_for_access(body: bytes, max_tokens: int) -> bool:
    """Whether a JSON body holds one operation, a mutation selecting ``requestAccess`` (and
    ``__typename``) and nothing else: no fragment, no second operation, no batch."""
    try:
        payload = json.loads(body)
    except ValueError:
        return False
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return False
    try:
        document = parse(payload["query"], no_location=True, max_tokens=max_tokens)
    except (GraphQLError, RecursionError):
        return False
    if len(document.definitions) != 1:
        return False
    [operation] = document.definitions
    if not isinstance(operation, OperationDefinitionNode):
        return False
    if operation.operation is not OperationType.MUTATION:
        return False
    selections = operation.selection_set.selections
    names = [s.name.value for s in selections if isinstance(s, FieldNode)]
    return len(names) == len(selections) and ASKING in names and set(names) <= HARMLESS


class AskOnly:
    """ASGI wrapper, inside ``RequireIdentity``: a newcomer's request goes on only when it
    asks for access (``asks_for_access``); everyone else's goes on untouched."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max_tokens = settings.limits.tokens
        # The body is read within the limits of every body (hub.server.body_limit).
        self._read = LimitBody(self._check, settings.max_body_bytes, settings.body_timeout_seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or principal_of(scope).newcomer is None:
            await self.app(scope, receive, send)
            return
        await self._read(scope, receive, send)

    async def _check(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _body(receive)
        if scope.get("method") != "POST" or not asks_for_access(body, self.max_tokens):
            error = AccessDenied("ACCOUNT_UNKNOWN", ACCOUNT_UNKNOWN)
            log.info("Refused a request (%s %s): %s", error.status, error.code, error.message)
            await refusal(error)(scope, receive, send)
            return
        await self.app(scope, replay_body(body, receive), send)


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
