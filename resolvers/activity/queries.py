"""The activity feed: the event stream's changes the caller may see, newest first."""

from __future__ import annotations

import datetime

from tortoise.expressions import Q

from hub.errors import BadUserInput
from hub.models import Event
from permissions.rows import events_q
from resolvers.context import Context
from resolvers.filters import ActivityFilter
from resolvers.pagination import Page, by_key
from resolvers.sites.filters import SITE_LOCATION_COLUMNS
from resolvers.territories.locations import check_locations, location_q


async def activity_filter_q(activity_filter: ActivityFilter | None) -> Q:
    if activity_filter is None:
        return Q()
    f = activity_filter
    conditions: list[Q] = []
    if f.location is not None:
        conditions.append(location_q(await check_locations([f.location]), SITE_LOCATION_COLUMNS))
    if f.since is not None:
        if f.since.tzinfo is None:
            raise BadUserInput(
                "`since` needs a time zone, such as 2026-12-07T09:00:00+01:00 or …Z.",
                argument="filter",
            )
        # SQLite compares moments as text: both in UTC.
        conditions.append(Q(at__gte=f.since.astimezone(datetime.UTC)))
    if f.kinds is not None:
        conditions.append(Q(kind__in=list(f.kinds)))
    return Q(*conditions)


async def list_activity(
    context: Context, activity_filter: ActivityFilter | None, first: int | None, after: str | None
) -> Page[Event]:
    where = await activity_filter_q(activity_filter)
    events = Event.filter(events_q(context.principal), where)
    return await by_key(events, context.settings, first, after)
