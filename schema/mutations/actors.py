"""Actor mutations: thin entry points over ``resolvers/sites/actors.py``."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from hub.ids import decode_id
from hub.models.enums import ActorTheme
from resolvers.context import Context
from resolvers.sites import actors
from schema.payloads import UserError, answer
from schema.types.sites import SiteActor

Ctx = Info[Context, None]


@strawberry.type(description="The actor entry written, or the errors that refused the write.")
class SiteActorPayload:
    actor: SiteActor | None
    errors: list[UserError]


@strawberry.type
class ActorMutations:
    @strawberry.mutation(
        description="Declare your organization (and, unless asUser is false, yourself) as "
        "acting on a site, with themes (actor.declare there)."
    )
    async def declare_actor(
        self, info: Ctx, site_id: strawberry.ID, themes: list[ActorTheme], as_user: bool = True
    ) -> SiteActorPayload:
        key = decode_id(site_id, "Site")
        return answer(
            SiteActorPayload,
            "actor",
            await actors.declare_actor(info.context, key, themes, as_user),
        )

    @strawberry.mutation(description="Change the themes of your organization's actor entry.")
    async def update_actor(
        self, info: Ctx, id: strawberry.ID, themes: list[ActorTheme]
    ) -> SiteActorPayload:
        key = decode_id(id, "SiteActor")
        return answer(
            SiteActorPayload, "actor", await actors.update_actor(info.context, key, themes)
        )

    @strawberry.mutation(description="Withdraw an actor entry from its site.")
    async def withdraw_actor(self, info: Ctx, id: strawberry.ID) -> SiteActorPayload:
        result = await actors.withdraw_actor(info.context, decode_id(id, "SiteActor"))
        errors = UserError.of(result) if isinstance(result, list) else []
        return SiteActorPayload(actor=None, errors=errors)
