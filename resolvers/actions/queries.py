"""Root queries on actions."""

from __future__ import annotations

import datetime

from hub.models import Action
from hub.models.enums import HistorySubject
from permissions.capabilities import Capability
from permissions.gates import action_place
from permissions.rows import actions_q
from resolvers.actions.filters import action_filter_q
from resolvers.actions.lists import all_lists
from resolvers.context import Context
from resolvers.history.as_of import as_of
from resolvers.pagination import Page, PageRequest, page_of
from schema.errors import BadUserInput, NotFound
from schema.filters import ActionFilter
from schema.ids import decode_id


async def action_as_of(context: Context, value: str, day: datetime.date) -> Action:
    """The action's row as it was at the end of ``day``, if the caller may read it as it
    stood then (its département then).

    Its columns and its lists (topics, managers, operators, sites, finances, indicators)
    are rebuilt; its journal and history are today's.
    """
    key = decode_id(value, "Action")
    if day > context.today:
        raise BadUserInput("`asOf` cannot be in the future.", argument="asOf")
    rebuilt = await as_of(Action, HistorySubject.ACTION, key, day, await all_lists(key))
    if not isinstance(rebuilt, Action) or not context.principal.can(
        Capability.ACTION_READ, action_place(rebuilt)
    ):
        raise NotFound("No Action with this ID at that date.", id=value)
    return rebuilt


async def list_actions(
    context: Context, action_filter: ActionFilter | None, first: int | None, after: str | None
) -> Page[Action]:
    page = PageRequest.parse(context.settings, first, after)
    query = await action_filter_q(action_filter)
    queryset = Action.filter(actions_q(context.principal), query)
    return await page_of(queryset, page, ["-started_at", "-id"])
