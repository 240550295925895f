"""Action mutations: thin entry points over ``resolvers/actions/mutations.py``."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from hub.ids import decode_id
from resolvers.actions import mutations as actions
from resolvers.context import Context
from resolvers.inputs.actions import (
    ActionFinanceInput,
    ActionIndicatorsInput,
    CreateActionInput,
    UpdateActionInput,
)
from schema.payloads import UserError, Version, answer
from schema.types.actions import Action

Ctx = Info[Context, None]


@strawberry.type(description="The action written, or the errors that refused the write.")
class ActionPayload:
    action: Action | None
    errors: list[UserError]


@strawberry.type
class ActionMutations:
    @strawberry.mutation(description="Create an action (action.create on its département).")
    async def create_action(self, info: Ctx, input: CreateActionInput) -> ActionPayload:
        return answer(ActionPayload, "action", await actions.create_action(info.context, input))

    @strawberry.mutation(
        description="Change fields and lists of an action (action.update: its managers and "
        "operators, or where the caller's grant reaches)."
    )
    async def update_action(
        self,
        info: Ctx,
        id: strawberry.ID,
        version: Version,
        input: UpdateActionInput,
    ) -> ActionPayload:
        action_id = decode_id(id, "Action")
        return answer(
            ActionPayload,
            "action",
            await actions.update_action(info.context, action_id, version, input),
        )

    @strawberry.mutation(
        description="Replace one year's financing rows (action.update and action.finances.read)."
    )
    async def upsert_action_finances(
        self,
        info: Ctx,
        id: strawberry.ID,
        version: Version,
        year: int,
        finances: list[ActionFinanceInput],
    ) -> ActionPayload:
        action_id = decode_id(id, "Action")
        result = await actions.upsert_finances(info.context, action_id, version, year, finances)
        return answer(ActionPayload, "action", result)

    @strawberry.mutation(description="Record one year's indicators (action.update).")
    async def upsert_action_indicators(
        self,
        info: Ctx,
        id: strawberry.ID,
        version: Version,
        year: int,
        indicators: ActionIndicatorsInput,
    ) -> ActionPayload:
        action_id = decode_id(id, "Action")
        result = await actions.upsert_indicators(info.context, action_id, version, year, indicators)
        return answer(ActionPayload, "action", result)
