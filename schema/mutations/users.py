"""User administration mutations: thin entry points over
``resolvers/organizations/mutations.py``."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info
from strawberry.types.unset import UNSET

from hub.ids import decode_id
from hub.models.enums import Role, UserOption
from permissions.capabilities import Capability
from permissions.capabilities import Level as PermissionLevel
from resolvers import enums as _registered_enums  # noqa: F401  (registers the GraphQL enums)
from resolvers.context import Context
from resolvers.inputs.users import InviteUserInput
from resolvers.organizations import mutations as users
from schema.payloads import UserError, answer
from schema.types.organizations import Organization, User

Ctx = Info[Context, None]


@strawberry.type(description="The user written, or the errors that refused the write.")
class UserPayload:
    user: User | None
    errors: list[UserError]


@strawberry.type(
    description="The override as it now stands (level null: there is none), or the errors "
    "that refused the write."
)
class OverridePayload:
    capability: Capability | None
    level: PermissionLevel | None
    organization: Organization | None
    user: User | None
    errors: list[UserError]


@strawberry.type
class UserMutations:
    @strawberry.mutation(
        description="Invite a person into an active organization: created pending, to be "
        "activated (user.manage where the organization has its home; a local administrator "
        "invites interveners only)."
    )
    async def invite_user(self, info: Ctx, input: InviteUserInput) -> UserPayload:
        organization_id = decode_id(input.organization_id, "Organization")
        return answer(
            UserPayload, "user", await users.invite_user(info.context, organization_id, input)
        )

    @strawberry.mutation(
        description="Accept a pending user, or reactivate a deactivated one (a local "
        "administrator: interveners only)."
    )
    async def activate_user(self, info: Ctx, id: strawberry.ID) -> UserPayload:
        return answer(
            UserPayload, "user", await users.activate_user(info.context, decode_id(id, "User"))
        )

    @strawberry.mutation(
        description="Deactivate an active user, or turn down a pending one (not oneself; a "
        "local administrator: interveners only)."
    )
    async def deactivate_user(self, info: Ctx, id: strawberry.ID) -> UserPayload:
        return answer(
            UserPayload, "user", await users.deactivate_user(info.context, decode_id(id, "User"))
        )

    @strawberry.mutation(
        description="Change a user's role (not one's own). A local administrator manages "
        "intervener accounts only: giving or taking another role is the national "
        "administrators'."
    )
    async def change_user_role(self, info: Ctx, id: strawberry.ID, role: Role) -> UserPayload:
        return answer(
            UserPayload,
            "user",
            await users.change_user_role(info.context, decode_id(id, "User"), role),
        )

    @strawberry.mutation(
        description="Replace a user's per-user options (a local administrator: interveners only)."
    )
    async def set_user_options(
        self, info: Ctx, id: strawberry.ID, options: list[UserOption]
    ) -> UserPayload:
        user_id = decode_id(id, "User")
        return answer(
            UserPayload, "user", await users.set_user_options(info.context, user_id, options)
        )

    @strawberry.mutation(
        description="Set the level of one capability for an organization or a user (exactly "
        "one of them); level null removes the override. National administrators only."
    )
    async def set_permission_override(
        self,
        info: Ctx,
        capability: Capability,
        level: Annotated[
            PermissionLevel | None,
            strawberry.argument(
                description="Required: the new level, or null to remove the override."
            ),
        ] = UNSET,
        organization_id: strawberry.ID | None = None,
        user_id: strawberry.ID | None = None,
    ) -> OverridePayload:
        result = await users.set_permission_override(
            info.context,
            capability,
            level,
            None if organization_id is None else decode_id(organization_id, "Organization"),
            None if user_id is None else decode_id(user_id, "User"),
        )
        if isinstance(result, list):
            return OverridePayload(
                capability=None, level=None, organization=None, user=None,
                errors=UserError.of(result),
            )  # fmt: skip
        return OverridePayload(
            capability=result.capability, level=result.level,
            # strawberry reads the type's fields off the ORM row it is given.
            organization=result.organization, user=result.user, errors=[],  # type: ignore[arg-type]
        )  # fmt: skip
