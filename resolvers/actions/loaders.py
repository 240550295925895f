"""Loaders of actions and of their people, sites and yearly figures."""

from __future__ import annotations

from hub.models import Action, ActionFinance, ActionIndicators, ActionTopicLink, Site, User
from permissions.principal import Principal
from permissions.rows import actions_q
from resolvers.batching import BatchLoad
from resolvers.pagination import by_key_loader, grouped_loader, linked_ids_loader


def action_by_id(principal: Principal) -> BatchLoad[int, Action | None]:
    async def fetch(ids: list[int]) -> list[Action]:
        return await Action.filter(actions_q(principal), id__in=ids)

    return by_key_loader(fetch, key=lambda row: row.id)


def topics_by_action(_: Principal) -> BatchLoad[int, list[ActionTopicLink]]:
    async def fetch(ids: list[int]) -> list[ActionTopicLink]:
        return await ActionTopicLink.filter(action_id__in=ids).order_by("topic")

    return grouped_loader(fetch, key=lambda row: row.action_id)


def manager_ids_by_action(_: Principal) -> BatchLoad[int, list[int]]:
    return linked_ids_loader(User, "managed_actions")


def operator_ids_by_action(_: Principal) -> BatchLoad[int, list[int]]:
    return linked_ids_loader(User, "operated_actions")


def site_ids_by_action(_: Principal) -> BatchLoad[int, list[int]]:
    return linked_ids_loader(Site, "actions")


def finances_by_action(_: Principal) -> BatchLoad[int, list[ActionFinance]]:
    async def fetch(ids: list[int]) -> list[ActionFinance]:
        return await ActionFinance.filter(action_id__in=ids).order_by("year", "finance_type", "id")

    return grouped_loader(fetch, key=lambda row: row.action_id)


def indicators_by_action(_: Principal) -> BatchLoad[int, list[ActionIndicators]]:
    async def fetch(ids: list[int]) -> list[ActionIndicators]:
        return await ActionIndicators.filter(action_id__in=ids).order_by("year")

    return grouped_loader(fetch, key=lambda row: row.action_id)
