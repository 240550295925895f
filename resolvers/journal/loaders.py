"""Loaders of journal comments and their targets."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from hub.models import Comment, Organization, User
from permissions.principal import Principal
from permissions.rows import comments_q
from resolvers.batching import BatchLoad
from resolvers.pagination import ChildList, by_key_loader, child_connection, linked_ids_loader

_NEWEST_FIRST = ("-created_at", "-id")


def comment_by_id(principal: Principal) -> BatchLoad[int, Comment | None]:
    async def fetch(ids: list[int]) -> list[Comment]:
        return await Comment.filter(comments_q(principal), id__in=ids)

    return by_key_loader(fetch, key=lambda row: row.id)


def target_user_ids(_: Principal) -> BatchLoad[int, list[int]]:
    return linked_ids_loader(User, "targeted_comments")


def target_organization_ids(_: Principal) -> BatchLoad[int, list[int]]:
    return linked_ids_loader(Organization, "targeted_comments")


def _site_comments(parents: Sequence[Hashable]) -> Any:
    return Comment.filter(site_id__in=parents)


def _action_comments(parents: Sequence[Hashable]) -> Any:
    return Comment.filter(action_id__in=parents)


SITE_JOURNAL = child_connection(
    ChildList(_site_comments, "site_id", _NEWEST_FIRST, scope=comments_q), comment_by_id
)
ACTION_JOURNAL = child_connection(
    ChildList(_action_comments, "action_id", _NEWEST_FIRST, scope=comments_q), comment_by_id
)
