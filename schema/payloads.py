"""What mutations answer: the object written, or the user errors that refused the write."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.relay import to_base64

from resolvers import writes
from schema.types.sites import Site

# The version argument of every mutation of a versioned object (sites, actions).
Version = Annotated[
    int,
    strawberry.argument(
        description="The version you read: refused (CONFLICT) if the object changed since."
    ),
]

ErrorCode = strawberry.enum(
    writes.ErrorCode, name="UserErrorCode", description="Why a mutation was refused."
)


@strawberry.type(description="What is wrong with a mutation's input; nothing was written.")
class UserError:
    field: str | None = strawberry.field(description="Dotted path of the input field, if any.")
    code: writes.ErrorCode
    message: str
    current_version: int | None = strawberry.field(
        description="With CONFLICT: the version the object is at now."
    )

    @classmethod
    def of(cls, errors: list[writes.UserError]) -> list[UserError]:
        return [
            cls(field=e.field, code=e.code, message=e.message, current_version=e.current_version)
            for e in errors
        ]


@strawberry.type(description="The site written, or the errors that refused the write.")
class SitePayload:
    site: Site | None
    errors: list[UserError]


@strawberry.type(description="The ID deleted, or the errors that refused the deletion.")
class DeletePayload:
    deleted_id: strawberry.ID | None
    errors: list[UserError]


PayloadT = TypeVar("PayloadT")


def answer(payload: type[PayloadT], field: str, result: Any) -> PayloadT:
    """A mutation's payload: its object under ``field``, or the user errors that refused it."""
    if isinstance(result, list):
        return payload(**{field: None, "errors": UserError.of(result)})
    return payload(**{field: result, "errors": []})


def deleted(type_name: str, result: Any) -> DeletePayload:
    """The payload of a deletion: the deleted object's ID, or the user errors."""
    key = None if isinstance(result, list) else strawberry.ID(to_base64(type_name, result))
    return answer(DeletePayload, "deleted_id", result if key is None else key)
