"""Root queries on actions."""

from __future__ import annotations

from hub.models import Action
from permissions.rows import actions_q
from resolvers.actions.filters import action_filter_q
from resolvers.context import Context
from resolvers.pagination import Page, PageRequest, page_of
from schema.filters import ActionFilter


async def list_actions(
    context: Context, action_filter: ActionFilter | None, first: int | None, after: str | None
) -> Page[Action]:
    page = PageRequest.parse(context.settings, first, after)
    query = await action_filter_q(action_filter)
    queryset = Action.filter(actions_q(context.principal), query)
    return await page_of(queryset, page, ["-started_at", "-id"])
