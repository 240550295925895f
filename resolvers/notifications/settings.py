"""A person's choice of the e-mails they receive: for each kind they may turn off
(``outbox.OPTIONAL_KINDS``), whether it is on. The others (the answer to their request for
access, their account's inactivity) are always sent.

Only the person changes it, for their own account: by ``updateNotificationSettings`` or by
the one-click link of an e-mail (``hub.server.notify.unsubscribe``), both through
``update_settings``: one write, audited with the person as its author.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hub.models import Organization, User
from hub.models.enums import NotificationKind
from permissions.principal import Principal
from resolvers.context import Context
from resolvers.notifications.outbox import OPTIONAL_KINDS
from resolvers.organizations.mutations import home_places
from resolvers.writes import ErrorCode, Operation, Refused, UserError, Write, write

UPDATE = Operation(
    "user.notification_settings", "updateNotificationSettings", "changing e-mail settings"
)
WHAT = "user"


@dataclass(frozen=True)
class Setting:
    kind: NotificationKind
    enabled: bool


def settings_of(off: Sequence[str]) -> tuple[Setting, ...]:
    return tuple(Setting(kind, kind.value not in off) for kind in OPTIONAL_KINDS)


async def read_settings(principal: Principal) -> tuple[Setting, ...] | None:
    """The caller's settings; None for a caller without an account (anonymous, an
    application)."""
    if principal.user_id is None:
        return None
    user = await User.get_or_none(id=principal.user_id).only("id", "notifications_off")
    return None if user is None else settings_of(user.notifications_off or [])


def _checked(changes: Sequence[tuple[NotificationKind, bool]]) -> list[UserError]:
    errors = []
    seen: set[NotificationKind] = set()
    for position, (kind, _) in enumerate(changes):
        field = f"input.settings.{position}.kind"
        if kind not in OPTIONAL_KINDS:
            errors.append(
                UserError(
                    field,
                    ErrorCode.INVALID,
                    f"{kind.name} e-mails concern your access or your account: they are "
                    "always sent. Those you may turn off: "
                    f"{', '.join(k.name for k in OPTIONAL_KINDS)}.",
                )
            )
        elif kind in seen:
            errors.append(UserError(field, ErrorCode.INVALID, f"{kind.name} is given twice."))
        seen.add(kind)
    return errors


async def update_settings(
    context: Context, changes: Sequence[tuple[NotificationKind, bool]]
) -> tuple[Setting, ...] | list[UserError]:
    """Turns each kind given on or off for the caller (the others stay as they are); the
    caller's settings then (a tuple: a list is the user errors, as ``write`` answers them).
    Audited only when something changed: asking twice is harmless."""

    async def work(w: Write) -> tuple[Setting, ...]:
        errors = _checked(changes)
        if errors:
            raise Refused(errors)
        # Locked (on PostgreSQL): two changes at once each keep the other's.
        user = await User.filter(id=w.principal.user_id).select_for_update().first()
        if user is None:
            raise Refused([UserError(None, ErrorCode.NOT_FOUND, "No account.")])
        before = set(user.notifications_off or [])
        after = set(before)
        for kind, enabled in changes:
            (after.discard if enabled else after.add)(kind.value)
        organization = await Organization.get(id=user.organization_id)
        place = (await home_places(organization))[0]
        w.allow(place)
        if after != before:
            await User.filter(id=user.id).update(notifications_off=sorted(after))
            await w.audit(
                WHAT, user.id, place, {"off": sorted(after - before), "on": sorted(before - after)}
            )
        return settings_of(sorted(after))

    return await write(context, UPDATE, work)
