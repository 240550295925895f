"""Journal comments."""

from __future__ import annotations

import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from hub.models import Comment as CommentRow
from resolvers.actions.queries import actions_read_at
from resolvers.context import Context
from resolvers.history.as_of import day_of
from resolvers.journal import loaders
from resolvers.organizations.loaders import organization_by_id, user_by_id
from resolvers.sites.queries import sites_read_at
from schema.execution.batched import loaded
from schema.rows import rows_of
from schema.types.refs import ActionRef, OrganizationRef, SiteRef, UserRef

Row = strawberry.Parent[CommentRow]


@strawberry.type(description="A comment in the journal of a site or an action.")
class Comment(relay.Node):
    id: relay.NodeID[int]
    body: str
    tags: list[str]
    created_at: datetime.datetime
    updated_at: datetime.datetime | None
    targeted: bool = strawberry.field(
        description="Visible only to its author, its targets and private-comment readers."
    )
    is_type_of = rows_of(CommentRow)

    author: UserRef | None = loaded(user_by_id, "author_id", UserRef | None)

    @strawberry.field
    async def site(root: Row, info: Info[Context, None]) -> SiteRef | None:
        if root.site_id is None:
            return None
        found = await sites_read_at(info.context, [root.site_id], day_of(root))
        # strawberry reads the type's fields off the ORM row it is given.
        return found[0] if found else None  # type: ignore[return-value]

    @strawberry.field
    async def action(root: Row, info: Info[Context, None]) -> ActionRef | None:
        if root.action_id is None:
            return None
        found = await actions_read_at(info.context, [root.action_id], day_of(root))
        # strawberry reads the type's fields off the ORM row it is given.
        return found[0] if found else None  # type: ignore[return-value]

    @strawberry.field
    async def target_users(root: Row, info: Info[Context, None]) -> list[UserRef]:
        ids = await info.context.loaders[loaders.target_user_ids].load(root.id)
        rows = await info.context.loaders[user_by_id].load_many(ids)
        return [row for row in rows if row is not None]

    @strawberry.field
    async def target_organizations(root: Row, info: Info[Context, None]) -> list[OrganizationRef]:
        ids = await info.context.loaders[loaders.target_organization_ids].load(root.id)
        rows = await info.context.loaders[organization_by_id].load_many(ids)
        return [row for row in rows if row is not None]
