"""Loaders of actions and of their people, sites and yearly figures."""

from __future__ import annotations

from hub.models import Action, ActionFinance, ActionIndicators, ActionTopicLink, Site, User
from permissions.principal import Principal
from permissions.rows import actions_q
from resolvers.batching import BatchLoad
from resolvers.fetching import rows_by_keys
from resolvers.pagination import by_key_loader, grouped_loader, linked_ids_loader


def action_by_id(principal: Principal) -> BatchLoad[int, Action | None]:
    async def fetch(ids: list[int]) -> list[Action]:
        return await rows_by_keys(Action.filter(actions_q(principal)), "id", ids)

    return by_key_loader(fetch, key=lambda row: row.id)


def topics_by_action(_: Principal) -> BatchLoad[int, list[ActionTopicLink]]:
    async def fetch(ids: list[int]) -> list[ActionTopicLink]:
        return await rows_by_keys(ActionTopicLink.all().order_by("topic"), "action_id", ids)

    return grouped_loader(fetch, key=lambda row: row.action_id)


def manager_ids_by_action(_: Principal) -> BatchLoad[int, list[int]]:
    return linked_ids_loader(User, "managed_actions")


def operator_ids_by_action(_: Principal) -> BatchLoad[int, list[int]]:
    return linked_ids_loader(User, "operated_actions")


def site_ids_by_action(_: Principal) -> BatchLoad[int, list[int]]:
    return linked_ids_loader(Site, "actions")


def finances_by_action(_: Principal) -> BatchLoad[int, list[ActionFinance]]:
    async def fetch(ids: list[int]) -> list[ActionFinance]:
        return await rows_by_keys(
            ActionFinance.all().order_by("year", "finance_type", "id"), "action_id", ids
        )

    return grouped_loader(fetch, key=lambda row: row.action_id)


def indicators_by_action(_: Principal) -> BatchLoad[int, list[ActionIndicators]]:
    async def fetch(ids: list[int]) -> list[ActionIndicators]:
        return await rows_by_keys(ActionIndicators.all().order_by("year"), "action_id", ids)

    return grouped_loader(fetch, key=lambda row: row.action_id)
