"""Change history entries."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from hub.models import HistoryEntry as HistoryEntryRow
from hub.models.enums import HistoryOperation
from resolvers.context import Context
from resolvers.organizations.loaders import user_by_id
from schema.rows import rows_of

if TYPE_CHECKING:
    from schema.types.organizations import User

UserRef = Annotated["User", strawberry.lazy("schema.types.organizations")]
Row = strawberry.Parent[HistoryEntryRow]


@strawberry.type(description="One field's value before and after a change.")
class FieldChange:
    field: str
    old_value: JSON | None
    new_value: JSON | None


@strawberry.type(description="Who changed what, and when.")
class HistoryEntry:
    operation: HistoryOperation
    changed_at: datetime.datetime
    is_type_of = rows_of(HistoryEntryRow)

    @strawberry.field
    def changes(root: Row) -> list[FieldChange]:
        return [
            FieldChange(field=name, old_value=old, new_value=new)
            for name, (old, new) in sorted(root.changes.items())
        ]

    @strawberry.field
    async def author(root: Row, info: Info[Context, None]) -> UserRef | None:
        if root.author_id is None:
            return None
        return await info.context.loaders[user_by_id].load(root.author_id)
