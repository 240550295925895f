"""Root queries on actions."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from hub.models import Action
from hub.models.enums import HistorySubject
from permissions.capabilities import Capability
from permissions.principal import Principal
from permissions.rows import actions_q
from permissions.territories import action_place
from resolvers.actions.filters import action_filter_q
from resolvers.actions.lists import lists_of_actions
from resolvers.actions.loaders import action_by_id
from resolvers.batching import BatchLoad
from resolvers.context import Context
from resolvers.filters import ActionFilter
from resolvers.history.as_of import AsOfKey, as_of_loader, one_as_of, read_at, read_groups_at
from resolvers.pagination import Page, PageRequest, page_of


def _readable_then(principal: Principal, action: Action) -> bool:
    return principal.can(Capability.ACTION_READ, action_place(action))


def action_as_of_by_id(principal: Principal) -> BatchLoad[AsOfKey, Action | None]:
    """(id, day) → the action rebuilt at the end of that day (columns and lists: topics,
    managers, operators, sites, finances, indicators), if the caller may read it where it
    stood then (its département then). Everything reached through it is read then too."""
    return as_of_loader(Action, HistorySubject.ACTION, lists_of_actions, _readable_then, principal)


async def actions_read_at(
    context: Context, ids: list[int], day: datetime.date | None
) -> list[Action]:
    """Actions by id as the caller may read them: as they were at ``day`` when reached
    through an object read at that date, else as they are."""
    return await read_at(context, action_by_id, action_as_of_by_id, ids, day)


async def action_groups_read_at(
    context: Context, groups: Sequence[Sequence[int]], days: Sequence[datetime.date | None]
) -> list[list[Action]]:
    """``actions_read_at`` for many groups of ids, each at its own day."""
    return await read_groups_at(context, action_by_id, action_as_of_by_id, groups, days)


async def action_as_of(context: Context, value: str, day: datetime.date) -> Action:
    """The action as it was at the end of ``day``, if the caller may read it as it stood then."""
    return await one_as_of(context, action_as_of_by_id, "Action", value, day)


async def list_actions(
    context: Context, action_filter: ActionFilter | None, first: int | None, after: str | None
) -> Page[Action]:
    page = PageRequest.parse(context.settings, first, after)
    query = await action_filter_q(action_filter)
    queryset = Action.filter(actions_q(context.principal), query)
    return await page_of(queryset, page, ["-started_at", "-id"])
