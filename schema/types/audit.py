"""Audit log entries."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.relay import to_base64

from hub.models import AuditEntry as AuditEntryRow
from hub.models.enums import AuditKind
from resolvers.organizations.loaders import application_by_id, user_by_id
from schema.execution.batched import loaded
from schema.rows import rows_of
from schema.types.refs import ApplicationRef, UserRef

Row = strawberry.Parent[AuditEntryRow]
_TYPE_NAMES = {"site": "Site", "action": "Action", "comment": "Comment", "user": "User"}


@strawberry.type(description="A write, a read of gated data or an export, and who did it.")
class AuditEntry:
    at: datetime.datetime
    kind: AuditKind
    operation: str = strawberry.field(
        description='The mutation ("site.update"), the capability read, or the export.'
    )
    subject_type: str | None
    departement_code: str | None
    is_type_of = rows_of(AuditEntryRow)

    @strawberry.field(description="IDs of the objects written, read or exported.")
    def subject_ids(root: Row) -> list[strawberry.ID]:
        type_name = _TYPE_NAMES.get(root.subject_type or "", root.subject_type or "")
        return [strawberry.ID(to_base64(type_name, key)) for key in root.subject_ids]

    user: UserRef | None = loaded(user_by_id, "user_id", UserRef | None)
    application: ApplicationRef | None = loaded(
        application_by_id,
        "application_id",
        ApplicationRef | None,
        "The partner application that called, if one did.",
    )
