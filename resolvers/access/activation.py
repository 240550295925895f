"""The first sign-in of a person whose request for access was approved: it activates the
account that the approval created, as a write of its own (audited, announced)."""

from __future__ import annotations

from hub.models import AccessRequest, User
from hub.models.enums import AccessRequestStatus, EventKind, UserStatus
from hub.settings import Settings
from permissions.principal import Principal
from resolvers.context import Context
from resolvers.organizations.mutations import home_places
from resolvers.writes import Operation, Write, write

# The hub's own write, on the person's behalf: no mutation, no capability to hold.
ACTIVATE = Operation(
    "user.activate_on_sign_in", None, "activating an account", EventKind.USER_ACTIVATED
)


async def approved_access(user: User) -> bool:
    return await AccessRequest.exists(user_id=user.id, status=AccessRequestStatus.APPROVED)


async def activate_on_first_sign_in(user: User, settings: Settings) -> None:
    """Activates the pending ``user`` (whose organization is loaded)."""
    caller = Principal(role=user.role, user_id=user.id, organization_id=user.organization_id)

    async def work(w: Write) -> None:
        places = await home_places(user.organization)
        w.allow(places[0])
        if await User.filter(id=user.id, status=UserStatus.PENDING).update(
            status=UserStatus.ACTIVE
        ):
            await w.audit("user", user.id, places[0])

    await write(Context.build(None, settings, caller), ACTIVATE, work)
    user.status = UserStatus.ACTIVE
