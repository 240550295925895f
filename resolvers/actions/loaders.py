"""Loaders of actions and of their people, sites and yearly figures."""

from __future__ import annotations

from typing import Any

from hub.models import Action, ActionFinance, ActionIndicators, ActionTopicLink, Site, User
from permissions.principal import Principal
from resolvers.batching import BatchLoad
from resolvers.pagination import by_key_loader, grouped_loader


def action_by_id(_: Principal) -> BatchLoad[int, Action | None]:
    async def fetch(ids: list[int]) -> list[Action]:
        return await Action.filter(id__in=ids)

    return by_key_loader(fetch, key=lambda row: row.id)


def topics_by_action(_: Principal) -> BatchLoad[int, list[ActionTopicLink]]:
    async def fetch(ids: list[int]) -> list[ActionTopicLink]:
        return await ActionTopicLink.filter(action_id__in=ids).order_by("topic")

    return grouped_loader(fetch, key=lambda row: row.action_id)


def _linked_ids(model: Any, relation: str) -> BatchLoad[int, list[Any]]:
    """Ids of ``model`` rows linked to each action through a many-to-many table."""

    async def load(action_ids: list[int]) -> list[list[Any]]:
        rows = (
            await model.filter(**{f"{relation}__id__in": action_ids})
            .order_by("id")
            .values("id", f"{relation}__id")
        )
        found: dict[int, list[Any]] = {}
        for row in rows:
            found.setdefault(row[f"{relation}__id"], []).append(row["id"])
        return [found.get(action_id, []) for action_id in action_ids]

    return load


def manager_ids_by_action(_: Principal) -> BatchLoad[int, list[int]]:
    return _linked_ids(User, "managed_actions")


def operator_ids_by_action(_: Principal) -> BatchLoad[int, list[int]]:
    return _linked_ids(User, "operated_actions")


def site_ids_by_action(_: Principal) -> BatchLoad[int, list[int]]:
    return _linked_ids(Site, "actions")


def finances_by_action(_: Principal) -> BatchLoad[int, list[ActionFinance]]:
    async def fetch(ids: list[int]) -> list[ActionFinance]:
        return await ActionFinance.filter(action_id__in=ids).order_by("year", "finance_type", "id")

    return grouped_loader(fetch, key=lambda row: row.action_id)


def indicators_by_action(_: Principal) -> BatchLoad[int, list[ActionIndicators]]:
    async def fetch(ids: list[int]) -> list[ActionIndicators]:
        return await ActionIndicators.filter(action_id__in=ids).order_by("year")

    return grouped_loader(fetch, key=lambda row: row.action_id)
