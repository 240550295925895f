"""Loaders of journal comments and their targets."""

from __future__ import annotations

import datetime
from collections.abc import Hashable, Sequence
from functools import lru_cache
from typing import Any

from tortoise.expressions import Q

from hub.models import Comment, Organization, User
from permissions.capabilities import Capability
from permissions.principal import Principal
from permissions.rows import NOTHING, comments_q, targeted_comments_q
from permissions.territories import Place
from resolvers.batching import BatchLoad
from resolvers.fetching import rows_by_keys
from resolvers.history.as_of import end_of, rows_read_at
from resolvers.pagination import (
    ChildConnection,
    ChildList,
    by_key_loader,
    child_connection,
    linked_ids_loader,
)

_NEWEST_FIRST = ("-created_at", "-id")


def comment_by_id(principal: Principal) -> BatchLoad[int, Comment | None]:
    async def fetch(ids: list[int]) -> list[Comment]:
        return await rows_by_keys(Comment.filter(comments_q(principal)), "id", ids)

    return by_key_loader(fetch, key=lambda row: row.id)


def target_user_ids(_: Principal) -> BatchLoad[int, list[int]]:
    return linked_ids_loader(User, "targeted_comments")


def target_organization_ids(_: Principal) -> BatchLoad[int, list[int]]:
    return linked_ids_loader(Organization, "targeted_comments")


def _site_comments(parents: Sequence[Hashable]) -> Any:
    return Comment.filter(site_id__in=parents)


def _action_comments(parents: Sequence[Hashable]) -> Any:
    return Comment.filter(action_id__in=parents)


# A page reads its comments itself: ``comment_by_id`` reads the same table in the same scope.
SITE_JOURNAL = child_connection(
    ChildList(_site_comments, "site_id", _NEWEST_FIRST, scope=comments_q),
    comment_by_id,
    rows_in_page=True,
)
ACTION_JOURNAL = child_connection(
    ChildList(_action_comments, "action_id", _NEWEST_FIRST, scope=comments_q),
    comment_by_id,
    rows_in_page=True,
)


def journal_read_at(
    principal: Principal, subject: str, place: Place, day: datetime.date | None
) -> ChildConnection:
    """The journal of a site (``subject`` ``site_id``) or an action (``action_id``): today's,
    or, read at ``day``, where it stood then (``place``): the comments written by then,
    as the caller may read them there. A comment deleted or moderated, even since, stays out:
    its removal was asked for a reason that holds for the past too (the audit keeps it). A
    comment edited since is left out: its text then is not kept."""
    if day is None:
        return SITE_JOURNAL if subject == "site_id" else ACTION_JOURNAL
    readable = principal.can(Capability.COMMENT_READ, place)
    private = principal.can(Capability.COMMENT_PRIVATE_READ, place)
    return _journal_as_of(subject, day, readable, private)


@lru_cache(maxsize=256)
def _journal_as_of(
    subject: str, day: datetime.date, readable: bool, private: bool
) -> ChildConnection:
    # Cached: the loaders of a request are keyed by the connection's factories.
    moment = end_of(day)

    def queryset(parents: Sequence[Hashable]) -> Any:
        if not readable:
            return Comment.filter(NOTHING)
        return Comment.filter(
            Q(updated_at__isnull=True) | Q(updated_at__lt=moment),
            deleted_at__isnull=True,
            **{f"{subject}__in": parents},
            created_at__lt=moment,
        )

    scope = None if private else targeted_comments_q
    children = ChildList(queryset, subject, _NEWEST_FIRST, scope=scope)
    return child_connection(children, rows_read_at(Comment, day))
