"""Loaders of actions and of their people, sites and yearly figures."""

from __future__ import annotations

from tortoise.queryset import QuerySet

from hub.models import Action, ActionFinance, ActionIndicators, ActionTopicLink, Site
from permissions.principal import Principal
from permissions.rows import actions_q
from resolvers.batching import BatchLoad, Priming
from resolvers.fetching import rows_by_keys
from resolvers.pagination import (
    by_key_loader,
    grouped_loader,
    linked_ids_loader,
    linked_rows_loader,
)


def readable_actions(principal: Principal) -> QuerySet[Action]:
    """The actions the caller may read: what ``action_by_id`` reads, and what a statement
    priming it reads."""
    return Action.filter(actions_q(principal))


def action_by_id(principal: Principal) -> BatchLoad[int, Action | None]:
    async def fetch(ids: list[int]) -> list[Action]:
        return await rows_by_keys(readable_actions(principal), "id", ids)

    return by_key_loader(fetch, key=lambda row: row.id)


def topics_by_action(_: Principal) -> BatchLoad[int, list[ActionTopicLink]]:
    async def fetch(ids: list[int]) -> list[ActionTopicLink]:
        return await rows_by_keys(ActionTopicLink.all().order_by("topic"), "action_id", ids)

    return grouped_loader(fetch, key=lambda row: row.action_id)


def _people_by_action(principal: Principal, relation: str) -> Priming:
    """The ids of the users linked to each action through ``relation``, and in the same
    statement the rows ``user_by_id`` gives for them."""
    # Imported here: the organizations' loaders import this module's (their actions).
    from resolvers.organizations.loaders import readable_users, user_by_id

    return linked_rows_loader(lambda: readable_users(principal), relation, ("id",), user_by_id)


def manager_ids_by_action(principal: Principal) -> Priming:
    return _people_by_action(principal, "managed_actions")


def operator_ids_by_action(principal: Principal) -> Priming:
    return _people_by_action(principal, "operated_actions")


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
