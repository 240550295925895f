"""Change history entries."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from hub.models import HistoryEntry as HistoryEntryRow
from hub.models.enums import HistoryOperation, HistorySubject
from permissions.fields import GATED_COLUMNS
from resolvers.actions.queries import actions_read_at
from resolvers.context import Context
from resolvers.history.as_of import day_of
from resolvers.organizations.loaders import user_by_id
from resolvers.sites.queries import sites_read_at
from schema.execution.batched import loaded
from schema.gates import holds
from schema.rows import rows_of
from schema.types.refs import UserRef

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

    @strawberry.field(description="What changed, except data the caller may not read.")
    async def changes(root: Row, info: Info[Context, None]) -> list[FieldChange]:
        gated = GATED_COLUMNS[HistorySubject(root.subject_type)]
        hidden: set[str] = set()
        if any(name in gated for name in root.changes):
            # Read through an object read at a past date, the gates apply where it stood then.
            read = sites_read_at if root.subject_type == HistorySubject.SITE else actions_read_at
            found = await read(info.context, [root.subject_id], day_of(root))
            subject = found[0] if found else None
            for name in root.changes:
                if name in gated and (
                    subject is None or not await holds(gated[name], subject, info)
                ):
                    hidden.add(name)
        return [
            # the history's values are JSON, typed as object in the model.
            FieldChange(field=name, old_value=old, new_value=new)  # type: ignore[arg-type]
            for name, (old, new) in sorted(root.changes.items())
            if name not in hidden
        ]

    author: UserRef | None = loaded(user_by_id, "author_id", UserRef | None)
