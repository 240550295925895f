"""The activity feed's entries and the payloads of the subscriptions, read from the event
stream (``hub.models.events``) with the reader's rights: an entry names what changed and
points to the objects as they are now, each as the reader may read it."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from hub.models import Event
from hub.models.enums import EventKind, HistorySubject
from permissions.capabilities import Capability
from permissions.fields import GATED_COLUMNS
from permissions.territories import site_place
from resolvers.actions.loaders import action_by_id
from resolvers.context import Context
from resolvers.journal.loaders import comment_by_id
from resolvers.organizations.loaders import user_by_id
from resolvers.sites.loaders import site_by_id
from schema.execution.batched import loaded
from schema.gates import holds
from schema.rows import rows_of
from schema.types.refs import ActionRef, CommentRef, SiteRef, UserRef

Row = strawberry.Parent[Event]
# Names of gated columns are left out too: that a legal procedure changed is itself gated.
_GATED = {subject.value: columns for subject, columns in GATED_COLUMNS.items()}
Ctx = Info[Context, None]


@strawberry.type(
    description="A committed change: what it was, when, by whom, and what it concerns, as "
    "the caller may read it now."
)
class Activity(relay.Node):
    id: relay.NodeID[int]
    at: datetime.datetime
    kind: EventKind
    is_type_of = rows_of(Event)

    @strawberry.field(
        description="The names of the fields that changed (stored names, as in the history), "
        "except those of data the caller may not read."
    )
    async def changed_fields(root: Row, info: Ctx) -> list[str]:
        gated = _GATED.get(root.subject_type, {})
        if not any(name in gated for name in root.changes):
            return list(root.changes)
        subject = await _subject(root, info)
        return [
            name
            for name in root.changes
            if name not in gated or await _may_read(gated[name], root, subject, info)
        ]

    author: UserRef | None = loaded(user_by_id, "user_id", UserRef | None, "Who made the change.")
    site: SiteRef | None = loaded(
        site_by_id,
        "site_id",
        SiteRef | None,
        "The site it concerns (a comment's or an actor's too), as it is now; null "
        "if it was deleted or the caller may not read it.",
    )
    action: ActionRef | None = loaded(
        action_by_id,
        "action_id",
        ActionRef | None,
        "The action it concerns (a comment's too), as it is now.",
    )

    @strawberry.field(description="The comment, for a comment's activity, if readable now.")
    async def comment(root: Row, info: Ctx) -> CommentRef | None:
        if root.subject_type != "comment":
            return None
        return await info.context.loaders[comment_by_id].load(root.subject_id)

    @strawberry.field(description="The user, for a user's activity.")
    async def user(root: Row, info: Ctx) -> UserRef | None:
        if root.subject_type != "user":
            return None
        return await info.context.loaders[user_by_id].load(root.subject_id)


async def _may_read(capability: Capability, root: Event, subject: Any, info: Ctx) -> bool:
    """Whether the caller may read ``capability``'s data of the subject; of a deleted site,
    where it stood (a subject out of reach otherwise: not)."""
    if subject is not None:
        return await holds(capability, subject, info)
    if root.kind is EventKind.SITE_DELETED:
        return info.context.principal.can(capability, site_place(root))
    return False


async def _subject(root: Event, info: Ctx) -> Any:
    if root.subject_type == HistorySubject.SITE:
        return await info.context.loaders[site_by_id].load(root.subject_id)
    return await info.context.loaders[action_by_id].load(root.subject_id)


@strawberry.type(
    description="One change of a followed site or action. The last one of a subscription "
    "(`last`: the object was closed or deleted, or the subscriber may no longer read it) ends it."
)
class Followed:
    activity: Activity | None = strawberry.field(
        description="What happened; null when the object left what the subscriber may read."
    )
    last: bool = strawberry.field(description="Whether the subscription ends after this one.")
