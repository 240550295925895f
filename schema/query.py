"""The root Query type."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from hub.models.enums import LocationLevel
from resolvers.access.queries import list_access_requests
from resolvers.actions.queries import action_as_of, list_actions
from resolvers.activity.queries import list_activity
from resolvers.audit.queries import list_audit_entries
from resolvers.context import Context
from resolvers.filters import (
    AccessRequestFilter,
    ActionFilter,
    ActivityFilter,
    AuditFilter,
    OrganizationFilter,
    SiteFilter,
    SiteOrder,
)
from resolvers.inputs.notifications import EmailFilter
from resolvers.nodes import resolve_node
from resolvers.notifications.queries import list_emails
from resolvers.organizations.queries import list_organizations
from resolvers.sites.queries import list_sites, site_as_of
from resolvers.territories.places import BORDER_TOLERANCE_M, commune_at
from resolvers.territories.queries import territory
from resolvers.webhooks.queries import list_webhooks
from schema.pagination import Connection
from schema.types.access import AccessRequest
from schema.types.actions import Action
from schema.types.activity import Activity
from schema.types.audit import AuditEntry
from schema.types.notifications import Email
from schema.types.organizations import Me, Organization
from schema.types.sites import SITE_COLUMNS, Site
from schema.types.territories import Commune, Territory
from schema.types.webhooks import Webhook

Ctx = Info[Context, None]


@strawberry.type
class Query:
    @strawberry.field(description="Any object from its ID; null (NOT_FOUND) if there is none.")
    async def node(self, info: Ctx, id: strawberry.ID) -> relay.Node | None:
        return await resolve_node(info.context, id)

    @strawberry.field(description="The caller: role, organization, areas and options.")
    def me(self, info: Ctx) -> Me:
        return Me(principal=info.context.principal)

    @strawberry.field(description="Sites matching a filter, most recently updated first.")
    async def sites(
        self,
        info: Ctx,
        filter: SiteFilter | None = None,
        order_by: SiteOrder | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Site]:
        columns = SITE_COLUMNS.columns(info, ("nodes",), ("edges", "node"))
        page = await list_sites(info.context, filter, order_by, first, after, columns)
        return Connection.of(page)

    @strawberry.field(description="A site; with `asOf`, as it was at the end of that day.")
    async def site(
        self, info: Ctx, id: strawberry.ID, as_of: datetime.date | None = None
    ) -> Site | None:
        if as_of is not None:
            # strawberry reads the type's fields off the ORM row it is given.
            return await site_as_of(info.context, id, as_of)  # type: ignore[return-value]
        return await resolve_node(info.context, id, expected="Site")

    @strawberry.field(description="Actions matching a filter, most recently started first.")
    async def actions(
        self,
        info: Ctx,
        filter: ActionFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Action]:
        return Connection.of(await list_actions(info.context, filter, first, after))

    @strawberry.field(description="An action; with `asOf`, as it was at the end of that day.")
    async def action(
        self, info: Ctx, id: strawberry.ID, as_of: datetime.date | None = None
    ) -> Action | None:
        if as_of is not None:
            # strawberry reads the type's fields off the ORM row it is given.
            return await action_as_of(info.context, id, as_of)  # type: ignore[return-value]
        return await resolve_node(info.context, id, expected="Action")

    @strawberry.field
    async def organizations(
        self,
        info: Ctx,
        filter: OrganizationFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Organization]:
        return Connection.of(await list_organizations(info.context, filter, first, after))

    @strawberry.field
    async def organization(self, info: Ctx, id: strawberry.ID) -> Organization | None:
        return await resolve_node(info.context, id, expected="Organization")

    @strawberry.field(
        description="Writes, reads of gated data and exports where the caller holds "
        "audit.read, newest first."
    )
    async def audit_log(
        self,
        info: Ctx,
        filter: AuditFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AuditEntry]:
        return Connection.of(await list_audit_entries(info.context, filter, first, after))

    @strawberry.field(
        description="The latest changes the caller may see (what changed on a site, an action "
        "or a comment the caller may not read is not listed), newest first."
    )
    async def activity(
        self,
        info: Ctx,
        filter: ActivityFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Activity]:
        return Connection.of(await list_activity(info.context, filter, first, after))

    @strawberry.field(
        description="Partner applications' webhooks (national administrators; empty for others)."
    )
    async def webhooks(
        self, info: Ctx, first: int | None = None, after: str | None = None
    ) -> Connection[Webhook]:
        return Connection.of(await list_webhooks(info.context, first, after))

    @strawberry.field(
        description="The e-mails the hub sent or is sending, newest first (national "
        "administrators; empty for others): `filter: {status: FAILED}` lists the dead letters."
    )
    async def emails(
        self,
        info: Ctx,
        filter: EmailFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Email]:
        return Connection.of(await list_emails(info.context, filter, first, after))

    @strawberry.field(
        description="Requests for access the caller may decide on, oldest first: every one "
        "for national administrators, those of its areas asking for the intervener role (or "
        "for none) for a local administrator; empty for everyone else."
    )
    async def access_requests(
        self,
        info: Ctx,
        filter: AccessRequestFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AccessRequest]:
        return Connection.of(await list_access_requests(info.context, filter, first, after))

    @strawberry.field(description="A territory by level and INSEE code (no code for NATION).")
    async def territory(self, level: LocationLevel, code: str | None = None) -> Territory | None:
        found: Any = await territory(level, code)
        return found

    @strawberry.field(
        description="The commune (or municipal arrondissement) a point lies in, with its EPCI, "
        "département and région through its fields; null outside France. A point within "
        f"{BORDER_TOLERANCE_M:g} m of a commune's outline counts as in it (outlines are "
        "simplified)."
    )
    async def commune_at(self, latitude: float, longitude: float) -> Commune | None:
        found: Any = await commune_at(latitude, longitude)
        return found
