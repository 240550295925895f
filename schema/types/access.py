"""Requests for access, as those who may decide on them read them."""

from __future__ import annotations

import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from hub.models import AccessRequest as RequestRow
from hub.models.enums import AccessRequestStatus, OrganizationType, Role
from resolvers.context import Context
from resolvers.history.loaders import REQUEST_HISTORY
from resolvers.organizations.loaders import organization_by_id, user_by_id
from resolvers.pagination import child_page
from schema.execution.batched import loaded
from schema.pagination import Connection
from schema.rows import rows_of
from schema.types.organizations import Location
from schema.types.refs import HistoryEntryRef, OrganizationRef, UserRef

Row = strawberry.Parent[RequestRow]


@strawberry.type(description="A person's request for an account, and what was decided.")
class AccessRequest(relay.Node):
    id: relay.NodeID[int]
    created_at: datetime.datetime
    status: AccessRequestStatus
    first_name: str
    last_name: str
    email: str
    phone: str | None
    position: str | None
    organization_name: str | None = strawberry.field(
        description="A new organization's name, when none of the hub's was named."
    )
    organization_type: OrganizationType | None
    role: Role | None = strawberry.field(
        description="The role asked for (null: the deciders choose), or the role given."
    )
    reason: str
    decided_at: datetime.datetime | None
    decision_reason: str | None = strawberry.field(description="Why it was refused.")
    is_type_of = rows_of(RequestRow)

    organization: OrganizationRef | None = loaded(
        organization_by_id, "organization_id", OrganizationRef | None
    )
    decided_by: UserRef | None = loaded(user_by_id, "decided_by_id", UserRef | None)
    user: UserRef | None = loaded(
        user_by_id, "user_id", UserRef | None, "The account the approval created."
    )

    @strawberry.field(description="The territory where the person works.")
    def location(root: Row) -> Location:
        return Location(level=root.location_level, code=root.location_code)

    @strawberry.field(
        description="The identity provider (issuer) the person was signed in with when asking, "
        "if any: an approval links that identity to the account at its first sign-in."
    )
    def signed_in_with(root: Row) -> str | None:
        # The subject stays between the hub and the provider.
        return root.issuer

    @strawberry.field(description="The request's history: made, then decided.")
    async def history(
        root: Row, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[HistoryEntryRef]:
        return Connection.of(await child_page(info, REQUEST_HISTORY, root.id, first, after))
