"""The subscriptions' event streams: the process's announcements (``hub.live``), each one
kept only if the subscriber may read what it concerns, read afresh with the subscriber's
rights when it comes (a fresh set of loaders per event)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from hub.faults import database_fault, report
from hub.live.announcements import Announcement
from hub.live.bus import BUS
from hub.models import Comment, Event
from hub.models.enums import EventKind, HistorySubject, LocationLevel
from permissions.capabilities import Capability
from permissions.territories import site_place
from resolvers.actions.loaders import action_by_id
from resolvers.context import Context
from resolvers.journal.loaders import comment_by_id
from resolvers.sites.loaders import site_by_id

Location = tuple[LocationLevel, str | None]
T = TypeVar("T")
SITE, ACTION = HistorySubject.SITE.value, HistorySubject.ACTION.value


@dataclass(frozen=True)
class Change:
    """An event of a followed object; None when the object left the subscriber's reach.
    ``last``: the subscription ends after it."""

    event: Event | None
    last: bool


def within(announcement: Announcement, locations: Sequence[Location]) -> bool:
    place = site_place(announcement)
    codes = {
        LocationLevel.REGION: place.region,
        LocationLevel.DEPARTEMENT: place.departement,
        LocationLevel.EPCI: place.epci,
        LocationLevel.COMMUNE: place.commune,
    }
    return any(level is LocationLevel.NATION or codes[level] == code for level, code in locations)


async def _announced(
    context: Context, wants: Callable[[Announcement], bool]
) -> AsyncIterator[Announcement]:
    subscription = BUS.subscribe(wants, context.settings.live_queue_size, context.on_overflow)
    try:
        while True:
            announcement = await subscription.next()
            context.renew()
            yield announcement
    finally:
        subscription.close()


async def closing_on_faults(context: Context, stream: AsyncIterator[T]) -> AsyncIterator[T]:
    """``stream``, ended by a database fault as the connection is: the server closes it with
    a code saying "connect again" (1013), rather than the subscription ending quietly while
    the connection stays open, which a client would not notice."""
    try:
        async for item in stream:
            yield item
    except Exception as error:
        fault = database_fault(error)
        if fault is None or context.on_unavailable is None:
            raise
        report(fault, "a subscription")
        context.on_unavailable()


def _deletion_seen(context: Context, announcement: Announcement) -> bool:
    """A site's deletion, shown to who could read the site where it stood."""
    return announcement.kind is EventKind.SITE_DELETED and context.principal.reach(
        Capability.SITE_READ
    ).contains(site_place(announcement))


async def follow_site(context: Context, site_id: int) -> AsyncIterator[Change]:
    """A site's changes (its actors' too) until it is closed or deleted, or leaves the
    subscriber's reach."""

    def wants(a: Announcement) -> bool:
        return a.subject_type == SITE and a.site_id == site_id

    async for announcement in _announced(context, wants):
        site = await context.loaders[site_by_id].load(site_id)
        if site is None:
            seen = _deletion_seen(context, announcement)
            yield Change(announcement.event() if seen else None, last=True)
            return
        closed = announcement.kind is EventKind.SITE_CLOSED
        yield Change(announcement.event(), last=closed)
        if closed:
            return


async def follow_action(context: Context, action_id: int) -> AsyncIterator[Change]:
    """An action's changes, until it leaves the subscriber's reach."""

    def wants(a: Announcement) -> bool:
        return a.subject_type == ACTION and a.action_id == action_id

    async for announcement in _announced(context, wants):
        if await context.loaders[action_by_id].load(action_id) is None:
            yield Change(None, last=True)
            return
        yield Change(announcement.event(), last=False)


async def sites_changed(context: Context, locations: Sequence[Location]) -> AsyncIterator[Event]:
    """Sites created, changed, closed or deleted in the locations, that the subscriber may
    read (a deleted one: where it stood)."""
    reach = context.principal.reach(Capability.SITE_READ)

    def wants(a: Announcement) -> bool:
        return a.subject_type == SITE and within(a, locations) and reach.contains(site_place(a))

    async for announcement in _announced(context, wants):
        assert announcement.site_id is not None
        site = await context.loaders[site_by_id].load(announcement.site_id)
        if site is not None or _deletion_seen(context, announcement):
            yield announcement.event()


async def comments_added(
    context: Context, site_id: int | None, action_id: int | None
) -> AsyncIterator[Comment]:
    """New comments (of a site, of an action, or all) that the subscriber may read: a
    targeted one only by its author and its targets."""

    def wants(a: Announcement) -> bool:
        return (
            a.kind is EventKind.COMMENT_CREATED
            and (site_id is None or a.site_id == site_id)
            and (action_id is None or a.action_id == action_id)
        )

    async for announcement in _announced(context, wants):
        comment = await context.loaders[comment_by_id].load(announcement.subject_id)
        if comment is not None:
            yield comment
