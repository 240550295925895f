"""Partner applications' webhooks: registered, removed and resumed, by the GraphQL mutations
(national administrators) and by ``hub app webhook`` (operators at the console) alike."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Sequence
from urllib.parse import urlsplit

from hub.models import PartnerApplication, Webhook, WebhookDelivery
from hub.models.enums import DeliveryStatus, EventKind
from resolvers.writes import ErrorCode, Refused, UserError

MAX_URL = 2000
SECRET_PREFIX = "whsec_"


def check_url(url: str, plain_http: bool) -> list[UserError]:
    """An https URL (http too outside production: a receiver on the same machine) with a
    host and no credentials (they would sit in the hub's database and logs)."""
    field = "input.url"
    if len(url) > MAX_URL:
        return [UserError(field, ErrorCode.TOO_LONG, f"At most {MAX_URL} characters.")]
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return [UserError(field, ErrorCode.INVALID, "Not a URL.")]
    schemes = ("https", "http") if plain_http else ("https",)
    if parts.scheme not in schemes or not host or any(c.isspace() or c == "\x00" for c in url):
        wanted = " or ".join(f"{scheme}://" for scheme in schemes)
        return [UserError(field, ErrorCode.INVALID, f"Give an absolute {wanted} URL.")]
    if parts.username is not None or parts.password is not None:
        return [
            UserError(
                field,
                ErrorCode.INVALID,
                "No credentials in the URL: the receiver checks the signature instead.",
            )
        ]
    return []


def check_kinds(kinds: Sequence[str]) -> list[UserError]:
    if not kinds:
        return [UserError("input.kinds", ErrorCode.REQUIRED, "Name the event kinds to send.")]
    known = {kind.value for kind in EventKind}
    return [
        UserError(f"input.kinds.{i}", ErrorCode.INVALID, f"No event kind {kind!r}.")
        for i, kind in enumerate(kinds)
        if kind not in known
    ]


async def application_named(client_id: str) -> PartnerApplication:
    app = await PartnerApplication.get_or_none(client_id=client_id)
    if app is None:
        raise Refused(
            [UserError("input.clientId", ErrorCode.NOT_FOUND, "No partner application with it.")]
        )
    return app


async def register(
    app: PartnerApplication, url: str, kinds: Sequence[str], plain_http: bool
) -> tuple[Webhook, str]:
    """A new webhook of ``app``, and its signing secret (shown once: only its holders may
    tell the hub's deliveries from forged ones)."""
    errors = check_url(url, plain_http) + check_kinds(kinds)
    if errors:
        raise Refused(errors)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    webhook = await Webhook.create(
        application_id=app.id,
        url=url,
        kinds=sorted(set(kinds)),
        secret=secret,
        created_at=datetime.datetime.now(datetime.UTC),
    )
    return webhook, secret


async def find(webhook_id: int) -> Webhook:
    webhook = await Webhook.get_or_none(id=webhook_id)
    if webhook is None:
        raise Refused([UserError("id", ErrorCode.NOT_FOUND, "No webhook with this ID.")])
    return webhook


async def resume(webhook: Webhook) -> Webhook:
    """Sends again: the waiting deliveries are due at once, the failures forgotten."""
    webhook.paused_at = None
    webhook.failures = 0
    await webhook.save(update_fields=["paused_at", "failures"])
    now = datetime.datetime.now(datetime.UTC)
    await WebhookDelivery.filter(webhook_id=webhook.id, status=DeliveryStatus.PENDING).update(
        next_attempt_at=now
    )
    return webhook
