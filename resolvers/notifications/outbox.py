"""Queuing e-mails in the outbox (``hub.models.notifications``), inside the transaction of
what causes them: an e-mail exists only if its cause was committed, and a cause queued twice
still makes one e-mail per recipient (its key)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hub.models import Email, User
from hub.models.enums import NotificationKind, UserStatus

# Kinds a person may turn off (``me.notificationSettings``); the others concern their access
# or their account and are always sent.
OPTIONAL_KINDS = (
    NotificationKind.ACCESS_REQUESTED,
    NotificationKind.COMMENT_TARGETED,
    NotificationKind.WEEKLY_DIGEST,
    NotificationKind.SITE_OUT_OF_DATE,
)


@dataclass(frozen=True)
class Recipient:
    address: str
    # None: a person without an account (a requester).
    user_id: int | None = None

    @property
    def key(self) -> str:
        return f"u{self.user_id}" if self.user_id is not None else self.address.lower()


async def users_wanting(kind: NotificationKind, user_ids: Iterable[int]) -> list[Recipient]:
    """The active accounts among ``user_ids`` that did not turn ``kind`` off."""
    rows = await User.filter(id__in=set(user_ids), status=UserStatus.ACTIVE).values_list(
        "id", "email", "notifications_off"
    )
    return [
        Recipient(email, user_id)
        for user_id, email, off in sorted(rows)
        if kind.value not in (off or [])
    ]


async def queue(
    kind: NotificationKind,
    about_key: str,
    recipients: Iterable[Recipient],
    at: datetime.datetime,
    *,
    about: dict[str, Any] | None = None,
    event_id: int | None = None,
) -> int:
    """One e-mail of ``kind`` per recipient, about what ``about_key`` names (``about`` holds
    what its message reads); recipients already queued for it are left as they are. How many
    rows were offered."""
    rows = [
        Email(
            key=f"{kind.value}:{about_key}:{recipient.key}",
            kind=kind,
            user_id=recipient.user_id,
            address=recipient.address,
            event_id=event_id,
            about=about or {},
            next_attempt_at=at,
            created_at=at,
        )
        for recipient in recipients
    ]
    if rows:
        await Email.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
