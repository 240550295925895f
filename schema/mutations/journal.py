"""Journal mutations: thin entry points over ``resolvers/journal/mutations.py``."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from hub.ids import decode_id
from resolvers.context import Context
from resolvers.inputs.journal import CreateCommentInput, UpdateCommentInput
from resolvers.journal import mutations as journal
from schema.payloads import DeletePayload, UserError, answer, deleted
from schema.types.journal import Comment

Ctx = Info[Context, None]


@strawberry.type(description="The comment written, or the errors that refused the write.")
class CommentPayload:
    comment: Comment | None
    errors: list[UserError]


@strawberry.type
class JournalMutations:
    @strawberry.mutation(
        description="Comment on a site or an action (comment.create there); with targets, "
        "only they, the author and private-comment readers see it."
    )
    async def create_comment(self, info: Ctx, input: CreateCommentInput) -> CommentPayload:
        return answer(CommentPayload, "comment", await journal.create_comment(info.context, input))

    @strawberry.mutation(description="Edit one's own comment.")
    async def update_comment(
        self, info: Ctx, id: strawberry.ID, input: UpdateCommentInput
    ) -> CommentPayload:
        key = decode_id(id, "Comment")
        return answer(
            CommentPayload, "comment", await journal.update_comment(info.context, key, input)
        )

    @strawberry.mutation(description="Delete one's own comment (it is kept for the audit).")
    async def delete_comment(self, info: Ctx, id: strawberry.ID) -> DeletePayload:
        return deleted(
            "Comment", await journal.delete_comment(info.context, decode_id(id, "Comment"))
        )

    @strawberry.mutation(description="Delete someone's comment, saying why (comment.moderate).")
    async def moderate_comment(self, info: Ctx, id: strawberry.ID, reason: str) -> DeletePayload:
        key = decode_id(id, "Comment")
        return deleted("Comment", await journal.delete_comment(info.context, key, reason))
