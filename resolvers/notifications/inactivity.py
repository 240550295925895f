"""Deactivating an account left unused after its reminder: a write the hub makes itself (no
caller asks for it), audited and announced like an administrator's ``deactivateUser``, and
told to its holder by an e-mail queued in the same transaction.

The conditions are checked again in the write's transaction, each with the statement that
acts on it: an account used meanwhile, or deactivated or changed by someone else, is left
as it is; the last active national administrator is never deactivated.
"""

from __future__ import annotations

import datetime

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from hub.models import Event, User
from hub.models.enums import EventKind, NotificationKind, Role, UserStatus
from hub.settings import Settings
from permissions.principal import Principal
from resolvers.context import Context
from resolvers.notifications.outbox import Recipient, queue
from resolvers.organizations.mutations import home_places
from resolvers.writes import Operation, Write, write

DEACTIVATE_UNUSED = Operation(
    "user.deactivate_unused", None, "deactivating an unused account", EventKind.USER_DEACTIVATED
)
# The hub itself: its audit entries and events name no user nor application.
HUB = Principal(role=None)


def unused_q(before: datetime.datetime) -> Q:
    """Accounts whose last use (their creation, if never used) is before ``before``."""
    return Q(last_seen_at__lt=before) | Q(last_seen_at__isnull=True, created_at__lt=before)


def last_use(user: User, activated: datetime.datetime | None = None) -> datetime.datetime:
    """When the account was last used, or created, or (re)activated: an account an
    administrator reactivates starts afresh, unused only from then on."""
    return max(filter(None, (user.last_seen_at, user.created_at, activated)))


async def activations(users: QuerySet[User]) -> dict[int, datetime.datetime]:
    """The last (re)activation of each of ``users`` that has one (the event stream keeps
    them)."""
    rows = await Event.filter(
        kind=EventKind.USER_ACTIVATED,
        subject_type="user",
        subject_id__in=Subquery(users.values("id")),
    ).values_list("subject_id", "at")
    last: dict[int, datetime.datetime] = {}
    for user_id, at in rows:
        last[user_id] = max(at, last.get(user_id, at))
    return last


def episode(used: datetime.datetime) -> str:
    """What an inactivity reminder and its deactivation are about, beside their recipient:
    the day of the account's last use, so that an account used again, then unused again, is
    reminded again."""
    return used.date().isoformat()


async def deactivate_unused(
    settings: Settings,
    user_id: int,
    unused_before: datetime.datetime,
    used: datetime.datetime,
    at: datetime.datetime,
) -> bool:
    """Deactivates the account if it is still active and unused since before
    ``unused_before`` (last used ``used``, as its reminder said), and is not the last active
    national administrator; whether it did."""

    async def work(w: Write) -> bool:
        user = await User.get_or_none(id=user_id).select_related("organization")
        if user is None or (user.role is Role.NATIONAL_ADMIN and not await _another_admin(user)):
            return False
        if await _activated_since(user.id, unused_before):
            return False
        place = (await home_places(user.organization))[0]
        w.allow(place)
        changed = await User.filter(
            unused_q(unused_before), id=user.id, status=UserStatus.ACTIVE
        ).update(status=UserStatus.INACTIVE)
        if not changed:
            return False
        await w.audit("user", user.id, place, {"reason": "unused", "last_used": used.isoformat()})
        await queue(
            NotificationKind.ACCOUNT_DEACTIVATED,
            episode(used),
            [Recipient(user.email, user.id)],
            at,
            about={"last_used": used.date().isoformat()},
        )
        return True

    result = await write(Context.build(None, settings, HUB), DEACTIVATE_UNUSED, work)
    return result is True


async def _activated_since(user_id: int, moment: datetime.datetime) -> bool:
    return await Event.exists(
        kind=EventKind.USER_ACTIVATED, subject_type="user", subject_id=user_id, at__gte=moment
    )


async def _another_admin(user: User) -> bool:
    """Whether another national administrator stays active. The rows are locked until the
    transaction ends (PostgreSQL; SQLite runs one writer at a time): two deactivations at
    once cannot each count on the other administrator."""
    admins = await User.filter(
        role=Role.NATIONAL_ADMIN, status=UserStatus.ACTIVE
    ).select_for_update()
    return any(admin.id != user.id for admin in admins)
