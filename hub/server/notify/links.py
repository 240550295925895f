"""Signed, expiring links of the e-mails: one click turns a kind of e-mail off for its
recipient, without signing in (``/notifications/unsubscribe``).

A link carries the account, the kind and its expiry, signed with ``HUB_SECRET_KEY``
(HMAC-SHA256): it cannot be forged for another account or kind, nor used once expired.
Outside production, without ``HUB_SECRET_KEY``, a key is generated once in ``var/``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from hub.models.enums import NotificationKind
from hub.settings import Environment, Settings

# A link works for this long after its e-mail was written.
LIFETIME_SECONDS = 60 * 24 * 3600
DEV_KEY_FILE = Path("var/secret-key")
PATH = "/notifications/unsubscribe"


class BadLink(ValueError):
    """A link that was not signed by this hub, was altered, or expired."""


@dataclass(frozen=True)
class Unsubscription:
    user_id: int
    kind: NotificationKind


def _key(settings: Settings) -> bytes:
    if settings.secret_key is not None:
        return settings.secret_key.encode()
    if settings.environment is Environment.PRODUCTION:
        raise RuntimeError("HUB_SECRET_KEY is needed to sign the e-mails' links")
    if not DEV_KEY_FILE.exists():
        DEV_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        DEV_KEY_FILE.write_text(secrets.token_urlsafe(48))
        DEV_KEY_FILE.chmod(0o600)
    return DEV_KEY_FILE.read_text().strip().encode()


def _sign(settings: Settings, payload: str) -> str:
    mac = hmac.new(_key(settings), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def unsubscribe_token(
    settings: Settings, user_id: int, kind: NotificationKind, now: float | None = None
) -> str:
    expires = int((time.time() if now is None else now) + LIFETIME_SECONDS)
    payload = f"{user_id}~{kind.value}~{expires}"
    return f"{payload}~{_sign(settings, payload)}"


def unsubscribe_url(settings: Settings, user_id: int, kind: NotificationKind) -> str:
    query = urlencode({"token": unsubscribe_token(settings, user_id, kind)})
    return f"{settings.base_url}{PATH}?{query}"


def check_token(settings: Settings, token: str, now: float | None = None) -> Unsubscription:
    """What a link's token turns off; ``BadLink`` when forged, altered or expired."""
    payload, _, signature = token.rpartition("~")
    if not payload or not hmac.compare_digest(_sign(settings, payload), signature):
        raise BadLink("This link is not valid.")
    user, kind, expires = payload.split("~") if payload.count("~") == 2 else ("", "", "")
    try:
        unsubscription = Unsubscription(int(user), NotificationKind(kind))
        expiry = int(expires)
    except ValueError:
        raise BadLink("This link is not valid.") from None
    if expiry < (time.time() if now is None else now):
        raise BadLink("This link has expired.")
    return unsubscription
