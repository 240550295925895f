"""The root Subscription type: live changes over WebSocket (``graphql-transport-ws``).

Each event is resolved for each subscriber as a query would be: the same row scope, the
same field gates, read at the moment the event comes (``resolvers.activity.streams``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator

import strawberry
from strawberry.types import Info

from hub.models.enums import LocationLevel
from resolvers.activity.streams import (
    Change,
    closing_on_faults,
    comments_added,
    follow_action,
    follow_site,
    sites_changed,
)
from resolvers.context import Context
from resolvers.filters import LocationInput
from resolvers.nodes import resolve_node
from resolvers.territories.locations import check_locations
from schema.types.activity import Activity, Followed
from schema.types.journal import Comment

Ctx = Info[Context, None]


async def _followed(changes: AsyncIterator[Change]) -> AsyncGenerator[Followed, None]:
    async for change in changes:
        # strawberry reads the type's fields off the ORM row it is given.
        yield Followed(activity=change.event, last=change.last)  # type: ignore[arg-type]


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="A site's changes (its actors' too), each with the site as it is then; the "
        "last one comes when it is closed or deleted, or leaves what the caller may read."
    )
    async def site_changed(self, info: Ctx, id: strawberry.ID) -> AsyncGenerator[Followed, None]:
        site = await resolve_node(info.context, id, expected="Site")
        return _followed(closing_on_faults(info.context, follow_site(info.context, site.id)))

    @strawberry.subscription(
        description="An action's changes; the last one comes when it leaves what the caller "
        "may read."
    )
    async def action_changed(self, info: Ctx, id: strawberry.ID) -> AsyncGenerator[Followed, None]:
        action = await resolve_node(info.context, id, expected="Action")
        return _followed(closing_on_faults(info.context, follow_action(info.context, action.id)))

    @strawberry.subscription(
        description="Sites created, changed, closed or deleted within a territory (all the "
        "caller may read without one)."
    )
    async def sites_changed(
        self, info: Ctx, location: LocationInput | None = None
    ) -> AsyncGenerator[Activity, None]:
        everywhere = LocationInput(level=LocationLevel.NATION)
        locations = await check_locations([location or everywhere])
        changes = sites_changed(info.context, locations)
        return closing_on_faults(info.context, changes)  # type: ignore[return-value]

    @strawberry.subscription(
        description="New comments of a site, of an action, or of all the caller may read; a "
        "targeted comment reaches its author and its targets only."
    )
    async def journal_added(
        self,
        info: Ctx,
        site_id: strawberry.ID | None = None,
        action_id: strawberry.ID | None = None,
    ) -> AsyncGenerator[Comment, None]:
        site = await resolve_node(info.context, site_id, expected="Site") if site_id else None
        action = (
            await resolve_node(info.context, action_id, expected="Action") if action_id else None
        )
        comments = comments_added(
            info.context, site.id if site else None, action.id if action else None
        )
        return closing_on_faults(info.context, comments)  # type: ignore[return-value]
