"""Inputs of the journal mutations."""

from __future__ import annotations

import strawberry
from strawberry import UNSET


@strawberry.input(description="A comment on a site or an action (give exactly one of them).")
class CreateCommentInput:
    site_id: strawberry.ID | None = None
    action_id: strawberry.ID | None = None
    body: str
    tags: list[str] = strawberry.field(default_factory=list)
    target_users: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Only these users (and the targets below)…"
    )
    target_organizations: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="…and members of these organizations see it."
    )


@strawberry.input(description="What to change in one's own comment.")
class UpdateCommentInput:
    body: str | None = UNSET
    tags: list[str] | None = UNSET
