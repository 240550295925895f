"""Organizations, their users, and the caller (``me``)."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from hub.models import InterventionArea as AreaRow
from hub.models import Organization as OrganizationRow
from hub.models import PartnerApplication as ApplicationRow
from hub.models import User as UserRow
from hub.models.enums import (
    LocationLevel,
    OrganizationCategory,
    OrganizationType,
    Role,
    UserOption,
    UserStatus,
)
from permissions.capabilities import Capability, Level
from permissions.principal import Principal
from permissions.territories import places_of
from resolvers.context import Context
from resolvers.filters import LocationInput
from resolvers.nodes import resolve_entity
from resolvers.notifications.settings import read_settings
from resolvers.organizations import loaders
from resolvers.pagination import child_page
from resolvers.territories.locations import check_locations
from schema.execution.batched import loaded
from schema.gates import gated, holds
from schema.pagination import Connection
from schema.projection import Projection, reads
from schema.rows import rows_of
from schema.types.notifications import NotificationSetting
from schema.types.refs import ActionRef, SiteActorRef


@strawberry.type(description="A territory given by level and code (no code for NATION).")
class Location:
    level: LocationLevel
    code: str | None
    is_type_of = rows_of(AreaRow)


@strawberry.federation.type(keys=["id"])
class Organization(relay.Node):
    @classmethod
    async def resolve_reference(cls, info: Info[Context, None], id: strawberry.ID) -> Any:
        return await resolve_entity(info.context, id, "Organization")

    id: relay.NodeID[int]
    name: str
    abbreviation: str | None
    category: OrganizationCategory
    type: OrganizationType
    active: bool
    is_type_of = rows_of(OrganizationRow)

    @strawberry.field(description="Home territory; null for a national organization.")
    @reads("location_level", "location_code")
    def location(root: strawberry.Parent[OrganizationRow]) -> Location | None:
        if root.location_level is None:
            return None
        return Location(level=root.location_level, code=root.location_code)

    intervention_areas: list[Location] = loaded(loaders.areas_by_organization, "id", list[Location])

    @strawberry.field(
        description="By last and first name for callers who may read them (user.read where "
        "the organization stands), else in the order they joined."
    )
    @reads("id")
    async def members(
        root: strawberry.Parent[OrganizationRow],
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[User]:
        by_name = await holds(Capability.USER_READ, root, info)
        members = loaders.MEMBERS_BY_NAME if by_name else loaders.MEMBERS
        page = await child_page(info, members, root.id, first, after)
        return Connection.of(page)

    @strawberry.field(description="Where the organization is declared as an actor on a site.")
    @reads("id")
    async def site_actors(
        root: strawberry.Parent[OrganizationRow],
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[SiteActorRef]:
        page = await child_page(info, loaders.ACTOR_ENTRIES, root.id, first, after)
        return Connection.of(page)

    @strawberry.field(description="Actions one of whose operators belongs to the organization.")
    @reads("id")
    async def actions(
        root: strawberry.Parent[OrganizationRow],
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ActionRef]:
        page = await child_page(info, loaders.OPERATED_ACTIONS, root.id, first, after)
        return Connection.of(page)


# What the loaders read of organizations by key in an operation: what its selections of
# this type read, and the key (the policy's decisions read it).
ORGANIZATION_COLUMNS = Projection("Organization", OrganizationRow, ("id",), by_key=True)


@strawberry.federation.type(
    keys=["id"], description="A person using the hub, member of one organization."
)
class User(relay.Node):
    @classmethod
    async def resolve_reference(cls, info: Info[Context, None], id: strawberry.ID) -> Any:
        return await resolve_entity(info.context, id, "User")

    id: relay.NodeID[int]
    first_name: str | None = gated(Capability.USER_READ)
    last_name: str | None = gated(Capability.USER_READ)
    email: str | None = gated(Capability.USER_READ)
    phone: str | None = gated(Capability.USER_READ)
    job_title: str | None = gated(Capability.USER_READ)
    role: Role
    status: UserStatus
    created_at: datetime.datetime
    is_type_of = rows_of(UserRow)

    @strawberry.field
    @reads("options")
    def options(root: strawberry.Parent[UserRow]) -> list[UserOption]:
        return [UserOption(option) for option in root.options]

    organization: Organization = loaded(loaders.organization_by_id, "organization_id", Organization)

    @strawberry.field(description="The user's own areas, else the organization's.")
    @reads("id", "organization_id")
    async def intervention_areas(
        root: strawberry.Parent[UserRow], info: Info[Context, None]
    ) -> list[Location]:
        own = await info.context.loaders[loaders.areas_by_user].load(root.id)
        if own:
            return own
        return await info.context.loaders[loaders.areas_by_organization].load(root.organization_id)


# The same for users: the policy places a user where its organization stands.
USER_COLUMNS = Projection("User", UserRow, ("id", "organization_id"), by_key=True)


@strawberry.type(description="An OIDC client acting for one organization with a fixed role.")
class PartnerApplication:
    client_id: str
    name: str
    role: Role
    scopes: list[str] = strawberry.field(description="OAuth scopes the hub may grant it.")
    active: bool
    is_type_of = rows_of(ApplicationRow)

    organization: Organization = loaded(loaders.organization_by_id, "organization_id", Organization)


@strawberry.type(description="A capability and how far the caller holds it.")
class Permission:
    capability: Capability
    level: Level


@strawberry.type(description="The caller, as the hub sees it.")
class Me:
    principal: strawberry.Private[Principal]

    @strawberry.field(description="Null for an anonymous caller.")
    def role(self) -> Role | None:
        return self.principal.role

    @strawberry.field(description="Where the caller acts: its own areas, else its organization's.")
    def intervention_areas(self) -> list[Location]:
        return [Location(level=area.level, code=area.code) for area in self.principal.areas]

    @strawberry.field
    def options(self) -> list[UserOption]:
        return sorted(self.principal.options)

    @strawberry.field(description="Scopes granted to a partner application; null for a person.")
    def scopes(self) -> list[str] | None:
        return None if self.principal.scopes is None else sorted(self.principal.scopes)

    @strawberry.field(description="False when anonymous or for an application without hub:write.")
    def may_write(self) -> bool:
        return self.principal.may_write

    @strawberry.field(description="The signed-in person; null for an application or anonymous.")
    async def user(self, info: Info[Context, None]) -> User | None:
        if self.principal.user_id is None:
            return None
        return await info.context.loaders[loaders.user_by_id].load(self.principal.user_id)

    @strawberry.field
    async def organization(self, info: Info[Context, None]) -> Organization | None:
        if self.principal.organization_id is None:
            return None
        organizations = info.context.loaders[loaders.organization_by_id]
        return await organizations.load(self.principal.organization_id)

    @strawberry.field(description="Each capability the caller holds, and how far it reaches.")
    def permissions(self) -> list[Permission]:
        return [
            Permission(capability=capability, level=self.principal.grant(capability).level)
            for capability in Capability
        ]

    @strawberry.field(
        description="Whether the caller holds the capability at the location (false for "
        "grants limited to objects the caller is attached to: they depend on the object)."
    )
    async def can(self, capability: Capability, location: LocationInput) -> bool:
        (level, code), *_ = await check_locations([location])
        places = (await places_of([(level, code)])).get((level, code), [])
        return any(self.principal.can(capability, place) for place in places)

    @strawberry.field(
        description="For each kind of e-mail the caller may turn off, whether it receives it "
        "(`updateNotificationSettings` changes them); the others, about its access or its "
        "account, are always sent. Null for a caller without an account."
    )
    async def notification_settings(self) -> list[NotificationSetting] | None:
        found = await read_settings(self.principal)
        # strawberry reads the type's fields off the dataclasses it is given.
        return None if found is None else list(found)  # type: ignore[arg-type]

    @strawberry.field(description="The partner application calling with its own token.")
    async def application(self, info: Info[Context, None]) -> PartnerApplication | None:
        if self.principal.application_id is None:
            return None
        applications = info.context.loaders[loaders.application_by_id]
        return await applications.load(self.principal.application_id)
