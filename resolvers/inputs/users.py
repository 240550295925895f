"""Inputs of the user administration mutations."""

from __future__ import annotations

import strawberry

from hub.models.enums import Role


@strawberry.input(
    description="A person to invite into an organization: created pending, to be activated."
)
class InviteUserInput:
    organization_id: strawberry.ID = strawberry.field(
        description="An active organization; the user stands where it has its home."
    )
    email: str = strawberry.field(
        description="Unique (case-insensitively): the address the person signs in with."
    )
    first_name: str
    last_name: str
    role: Role = strawberry.field(description="A local administrator may only give INTERVENER.")
    phone: str | None = None
    job_title: str | None = None
