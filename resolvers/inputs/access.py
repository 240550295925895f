"""Inputs of the access-request mutations."""

from __future__ import annotations

import strawberry

from hub.models import enums
from resolvers import enums as _registered_enums  # noqa: F401  (registers the GraphQL enums)
from resolvers.filters import LocationInput


@strawberry.input(description="Who asks for access, for which organization, where, and why.")
class RequestAccessInput:
    first_name: str
    last_name: str
    email: str | None = strawberry.field(
        default=None,
        description="Where the decision is sent; the sign-in address. Required without a "
        "token; with one (a person the hub does not know yet, signed in), the token's "
        "verified address: left out, it is taken from the token.",
    )
    phone: str | None = None
    position: str | None = strawberry.field(default=None, description="The job held.")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="An organization of the hub; or name a new one below."
    )
    organization_name: str | None = None
    organization_type: enums.OrganizationType | None = None
    location: LocationInput = strawberry.field(description="The territory where one works.")
    role: enums.Role | None = strawberry.field(
        default=None, description="The role asked for; left out, the deciders choose."
    )
    reason: str = strawberry.field(description="Why access is needed.")


@strawberry.input(description="What the approver grants.")
class ApproveAccessInput:
    role: enums.Role
    areas: list[LocationInput] | None = strawberry.field(
        default=None,
        description="The person's own intervention areas; left out, the organization's.",
    )
    options: list[enums.UserOption] | None = None
