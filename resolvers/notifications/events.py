"""The e-mails a committed change calls for, queued in its transaction (``Write.audit``).

Recipients are chosen generously here and checked when each message is read: every message
is read with its recipient's rights at sending time (``hub.server.notify``), so one who may
not read what it concerns (a local administrator outside the request's areas) gets nothing.
"""

from __future__ import annotations

from typing import Any, cast

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from hub.live.announcements import Announcement
from hub.models import AccessRequest, Comment, InterventionArea, User
from hub.models.enums import EventKind, LocationLevel, NotificationKind, Role, UserStatus
from resolvers.notifications.outbox import Recipient, queue, users_wanting


async def queue_for(announcement: Announcement) -> None:
    kind = announcement.kind
    if kind is EventKind.ACCESS_REQUESTED:
        await _access_requested(announcement)
    elif kind in (EventKind.ACCESS_APPROVED, EventKind.ACCESS_REFUSED):
        await _access_decided(announcement)
    elif kind is EventKind.COMMENT_CREATED:
        await _comment_targeted(announcement)


async def _access_requested(announcement: Announcement) -> None:
    deciders = await _possible_deciders(announcement)
    recipients = await users_wanting(NotificationKind.ACCESS_REQUESTED, deciders)
    await queue(
        NotificationKind.ACCESS_REQUESTED,
        f"r{announcement.subject_id}",
        recipients,
        announcement.at,
        about={"access_request": announcement.subject_id},
        event_id=announcement.id,
    )


async def _possible_deciders(announcement: Announcement) -> set[int]:
    """National administrators, and local administrators with an area (their own or their
    organization's) where the request stands."""
    where = Q(level=LocationLevel.NATION)
    for level, code in (
        (LocationLevel.REGION, announcement.region_code),
        (LocationLevel.DEPARTEMENT, announcement.departement_code),
        (LocationLevel.EPCI, announcement.epci_code),
        (LocationLevel.COMMUNE, announcement.commune_scope_code),
    ):
        if code is not None:
            where |= Q(level=level, code=code)
    areas = await InterventionArea.filter(where).values_list("user_id", "organization_id")
    users = {user for user, _ in areas if user is not None}
    organizations = {organization for _, organization in areas if organization is not None}
    local = Q(role=Role.LOCAL_ADMIN) & (Q(id__in=users) | Q(organization_id__in=organizations))
    return await _ids(User.filter(Q(role=Role.NATIONAL_ADMIN) | local, status=UserStatus.ACTIVE))


async def _ids(rows: QuerySet[Any]) -> set[int]:
    # tortoise types values_list(flat=True) as tuples; flat, it returns the values.
    return set(cast(list[int], await rows.values_list("id", flat=True)))


async def _access_decided(announcement: Announcement) -> None:
    request = await AccessRequest.get(id=announcement.subject_id)
    kind = (
        NotificationKind.ACCESS_APPROVED
        if announcement.kind is EventKind.ACCESS_APPROVED
        else NotificationKind.ACCESS_REFUSED
    )
    # To the person who asked, whatever their settings: it answers their request.
    await queue(
        kind,
        f"r{request.id}",
        [Recipient(request.email, request.user_id)],
        announcement.at,
        about={"access_request": request.id},
        event_id=announcement.id,
    )


async def _comment_targeted(announcement: Announcement) -> None:
    comment = await Comment.get(id=announcement.subject_id)
    if not comment.targeted:
        return
    users = await _ids(comment.target_users.all())
    organizations = await _ids(comment.target_organizations.all())
    if organizations:
        users |= await _ids(User.filter(organization_id__in=organizations))
    users.discard(comment.author_id)
    recipients = await users_wanting(NotificationKind.COMMENT_TARGETED, users)
    await queue(
        NotificationKind.COMMENT_TARGETED,
        f"c{comment.id}",
        recipients,
        announcement.at,
        about={"comment": comment.id},
        event_id=announcement.id,
    )
