"""Access-request mutations: thin entry points over ``resolvers/access/``."""

from __future__ import annotations

import strawberry
from strawberry.relay import to_base64
from strawberry.types import Info

from hub.ids import decode_id
from resolvers.access import decisions
from resolvers.access.requests import request_access
from resolvers.context import Context
from resolvers.inputs.access import ApproveAccessInput, RequestAccessInput
from schema.payloads import UserError, answer
from schema.types.access import AccessRequest

Ctx = Info[Context, None]


@strawberry.type(
    description="The request's ID, or the errors that refused it. Nothing else of it is "
    "read back: only those who decide on it read a request."
)
class RequestAccessPayload:
    access_request_id: strawberry.ID | None
    errors: list[UserError]


@strawberry.type(description="The request, or the errors that refused the decision.")
class AccessRequestPayload:
    access_request: AccessRequest | None
    errors: list[UserError]


@strawberry.type
class AccessMutations:
    @strawberry.mutation(
        description="Ask for an account (anyone, anonymous included; signed in, a person the "
        "hub does not know yet asks for the address its provider verified). Those who may "
        "decide on it are told; the decision goes to the e-mail address given."
    )
    async def request_access(self, info: Ctx, input: RequestAccessInput) -> RequestAccessPayload:
        result = await request_access(info.context, input)
        if isinstance(result, list):
            return RequestAccessPayload(access_request_id=None, errors=UserError.of(result))
        key = strawberry.ID(to_base64("AccessRequest", result.id))
        return RequestAccessPayload(access_request_id=key, errors=[])

    @strawberry.mutation(
        description="Create the account asked for, pending until its first sign-in with the "
        "verified address, which activates it."
    )
    async def approve_access_request(
        self, info: Ctx, id: strawberry.ID, input: ApproveAccessInput
    ) -> AccessRequestPayload:
        key = decode_id(id, "AccessRequest")
        result = await decisions.approve_access_request(info.context, key, input)
        return answer(AccessRequestPayload, "access_request", result)

    @strawberry.mutation(description="Refuse a request for access, saying why.")
    async def refuse_access_request(
        self, info: Ctx, id: strawberry.ID, reason: str
    ) -> AccessRequestPayload:
        key = decode_id(id, "AccessRequest")
        result = await decisions.refuse_access_request(info.context, key, reason)
        return answer(AccessRequestPayload, "access_request", result)
