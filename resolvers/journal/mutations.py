"""Journal mutations: comment on a site or an action, edit or delete one's own, moderate.

A comment is written where ``comment.create`` holds on its subject's territory; only its
author edits or deletes it; ``comment.moderate`` holders delete others' with a reason.
Deleted comments are kept, hidden from every journal, with who deleted them and why.
"""

from __future__ import annotations

from typing import Any

from strawberry import UNSET

from hub.ids import decode_id
from hub.models import Action, Comment, Organization, Site, User
from hub.models.enums import EventKind, UserStatus
from permissions.rows import actions_q, comments_q, sites_q
from permissions.territories import Place, action_place, site_place
from resolvers.context import Context
from resolvers.inputs.journal import CreateCommentInput, UpdateCommentInput
from resolvers.sites.validation import check_text
from resolvers.writes import ErrorCode, Operation, Refused, UserError, Write, in_scope, write

MAX_BODY, MAX_TAGS, MAX_TAG = 5000, 10, 40

CREATE = Operation("comment.create", "createComment", "commenting here", EventKind.COMMENT_CREATED)
# Editing or deleting one's comment is writing in that journal still: comment.create there.
UPDATE = Operation(
    "comment.update", "updateComment", "editing a comment here", EventKind.COMMENT_UPDATED
)
DELETE = Operation(
    "comment.delete", "deleteComment", "deleting a comment here", EventKind.COMMENT_DELETED
)
MODERATE = Operation(
    "comment.moderate", "moderateComment", "moderating comments here", EventKind.COMMENT_DELETED
)


async def _audit(
    w: Write, comment: Comment, place: Place, details: dict[str, Any] | None = None
) -> None:
    """The comment's audit entry and event, on its site or action."""
    await w.audit(
        "comment", comment.id, place, details, site_id=comment.site_id, action_id=comment.action_id
    )


def _checked(body: str | None, tags: list[str] | None) -> list[UserError]:
    errors: list[UserError] = []
    if body is not None:
        if not body.strip():
            errors.append(UserError("input.body", ErrorCode.REQUIRED, "A comment needs a text."))
        errors += check_text(body, MAX_BODY, "input.body")
    if tags is not None:
        if len(tags) > MAX_TAGS:
            errors.append(UserError("input.tags", ErrorCode.TOO_LONG, f"At most {MAX_TAGS} tags."))
        for position, tag in enumerate(tags):
            if not tag.strip():
                errors.append(UserError(f"input.tags.{position}", ErrorCode.REQUIRED, "Empty."))
            errors += check_text(tag, MAX_TAG, f"input.tags.{position}")
    return errors


async def _subject(context: Context, data: CreateCommentInput) -> tuple[dict[str, Any], Place]:
    if (data.site_id is None) == (data.action_id is None):
        raise Refused(
            [UserError("input", ErrorCode.INVALID, "Give either siteId or actionId, not both.")]
        )
    principal = context.principal
    if data.site_id is not None:
        site_id = decode_id(data.site_id, "Site")
        site = await in_scope(Site, sites_q(principal), site_id, "input.siteId", "site")
        return {"site_id": site.id}, site_place(site)
    key = decode_id(data.action_id or "", "Action")
    action = await in_scope(Action, actions_q(principal), key, "input.actionId", "action")
    return {"action_id": action.id}, action_place(action)


async def _targets(data: CreateCommentInput) -> tuple[list[int], list[int]]:
    users = [decode_id(value, "User") for value in data.target_users]
    organizations = [decode_id(value, "Organization") for value in data.target_organizations]
    found_users = set(
        await User.filter(id__in=users, status=UserStatus.ACTIVE).values_list("id", flat=True)
    )
    found_orgs = set(
        await Organization.filter(id__in=organizations, active=True).values_list("id", flat=True)
    )
    errors = [
        UserError(f"input.targetUsers.{i}", ErrorCode.NOT_FOUND, "No active user with this ID.")
        for i, key in enumerate(users)
        if key not in found_users
    ] + [
        UserError(
            f"input.targetOrganizations.{i}",
            ErrorCode.NOT_FOUND,
            "No active organization with this ID.",
        )
        for i, key in enumerate(organizations)
        if key not in found_orgs
    ]
    if errors:
        raise Refused(errors)
    return sorted(set(users)), sorted(set(organizations))


async def create_comment(context: Context, data: CreateCommentInput) -> Comment | list[UserError]:
    async def work(w: Write) -> Comment:
        subject, place = await _subject(context, data)
        w.allow(place)
        errors = _checked(data.body, data.tags)
        if errors:
            raise Refused(errors)
        users, organizations = await _targets(data)
        comment = await Comment.create(
            **subject,
            author_id=w.principal.user_id,
            body=data.body,
            tags=[tag.strip() for tag in data.tags],
            targeted=bool(users or organizations),
            created_at=w.at,
        )
        if users:
            await comment.target_users.add(*await User.filter(id__in=users))
        if organizations:
            await comment.target_organizations.add(*await Organization.filter(id__in=organizations))
        await _audit(w, comment, place)
        return comment

    return await write(context, CREATE, work)


async def _allowed(w: Write, comment_id: int) -> tuple[Comment, Place]:
    """The comment, if the caller may read it (else NOT_FOUND), and holds the operation's
    capability where it stands (else FORBIDDEN); where it stands."""
    comment = await in_scope(Comment, comments_q(w.principal), comment_id, "id", "comment")
    if comment.site_id is not None:
        place = site_place(await Site.get(id=comment.site_id))
    else:
        place = action_place(await Action.get(id=comment.action_id))
    w.allow(place)
    return comment, place


def _author_only(w: Write, comment: Comment) -> None:
    if w.principal.user_id is None or comment.author_id != w.principal.user_id:
        raise Refused(
            [UserError(None, ErrorCode.FORBIDDEN, "Only its author edits or deletes a comment.")]
        )


async def update_comment(
    context: Context, comment_id: int, data: UpdateCommentInput
) -> Comment | list[UserError]:
    async def work(w: Write) -> Comment:
        comment, place = await _allowed(w, comment_id)
        _author_only(w, comment)
        body = None if data.body is UNSET else data.body
        tags = None if data.tags is UNSET else data.tags
        if data.body is None:
            raise Refused([UserError("input.body", ErrorCode.REQUIRED, "A comment needs a text.")])
        errors = _checked(body, tags)
        if errors:
            raise Refused(errors)
        if body is not None:
            comment.body = body
        if tags is not None:
            comment.tags = [tag.strip() for tag in tags]
        comment.updated_at = w.at
        await comment.save(update_fields=["body", "tags", "updated_at"])
        await _audit(w, comment, place)
        return comment

    return await write(context, UPDATE, work)


async def delete_comment(
    context: Context, comment_id: int, reason: str | None = None
) -> int | list[UserError]:
    """Deletes one's own comment, or with ``reason`` moderates someone else's."""
    operation = MODERATE if reason is not None else DELETE

    async def work(w: Write) -> int:
        comment, place = await _allowed(w, comment_id)
        if reason is None:
            _author_only(w, comment)
        else:
            errors = check_text(reason, 1000, "reason")
            if not reason.strip():
                errors.append(UserError("reason", ErrorCode.REQUIRED, "Say why."))
            if errors:
                raise Refused(errors)
        comment.deleted_at = w.at
        comment.deleted_by_id = w.principal.user_id
        # tortoise types a nullable column (null=True) without None.
        comment.deletion_reason = reason  # type: ignore[assignment]
        await comment.save(update_fields=["deleted_at", "deleted_by_id", "deletion_reason"])
        details = {"reason": reason} if reason else None
        await _audit(w, comment, place, details)
        return comment.id

    return await write(context, operation, work)
