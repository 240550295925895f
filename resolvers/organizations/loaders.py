"""Loaders of organizations, users and their intervention areas."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from tortoise.queryset import QuerySet

from hub.models import Action, InterventionArea, Organization, PartnerApplication, SiteActor, User
from permissions.principal import Principal
from permissions.rows import actions_q, directory_q, site_actors_q
from resolvers.actions.loaders import action_by_id
from resolvers.batching import BatchLoad
from resolvers.fetching import rows_by_keys
from resolvers.pagination import ChildList, by_key_loader, child_connection, grouped_loader


def organization_by_id(principal: Principal) -> BatchLoad[int, Organization | None]:
    async def fetch(ids: list[int]) -> list[Organization]:
        return await rows_by_keys(Organization.filter(directory_q(principal)), "id", ids)

    return by_key_loader(fetch, key=lambda row: row.id)


def readable_users(principal: Principal) -> QuerySet[User]:
    """The users the caller may read: what ``user_by_id`` reads, and what a statement priming
    it reads."""
    return User.filter(directory_q(principal))


def user_by_id(principal: Principal) -> BatchLoad[int, User | None]:
    async def fetch(ids: list[int]) -> list[User]:
        return await rows_by_keys(readable_users(principal), "id", ids)

    return by_key_loader(fetch, key=lambda row: row.id)


def application_by_id(_: Principal) -> BatchLoad[int, PartnerApplication | None]:
    async def fetch(ids: list[int]) -> list[PartnerApplication]:
        return await rows_by_keys(PartnerApplication.all(), "id", ids)

    return by_key_loader(fetch, key=lambda row: row.id)


def areas_by_organization(_: Principal) -> BatchLoad[int, list[InterventionArea]]:
    async def fetch(ids: list[int]) -> list[InterventionArea]:
        return await rows_by_keys(InterventionArea.all().order_by("id"), "organization_id", ids)

    return grouped_loader(fetch, key=lambda row: row.organization_id)


def areas_by_user(_: Principal) -> BatchLoad[int, list[InterventionArea]]:
    async def fetch(ids: list[int]) -> list[InterventionArea]:
        return await rows_by_keys(InterventionArea.all().order_by("id"), "user_id", ids)

    return grouped_loader(fetch, key=lambda row: row.user_id)


def actor_by_id(principal: Principal) -> BatchLoad[int, SiteActor | None]:
    async def fetch(ids: list[int]) -> list[SiteActor]:
        return await rows_by_keys(SiteActor.filter(site_actors_q(principal)), "id", ids)

    return by_key_loader(fetch, key=lambda row: row.id)


def _members(parents: Sequence[Hashable]) -> Any:
    return User.filter(organization_id__in=parents)


def _actor_entries(parents: Sequence[Hashable]) -> Any:
    return SiteActor.filter(organization_id__in=parents)


def _operated_actions(parents: Sequence[Hashable]) -> Any:
    return Action.filter(operators__organization_id__in=parents)


# Members are listed by name only for a caller who may read their names (``user.read`` where
# the organization stands); for anyone else, an order by name would reveal them. Both
# orderings end with the id, so that pages are stable.
MEMBERS = child_connection(
    ChildList(_members, "organization_id", ("id",), scope=directory_q), user_by_id
)
MEMBERS_BY_NAME = child_connection(
    ChildList(_members, "organization_id", ("last_name", "first_name", "id"), scope=directory_q),
    user_by_id,
)
ACTOR_ENTRIES = child_connection(
    ChildList(_actor_entries, "organization_id", ("-created_at", "-id"), scope=site_actors_q),
    actor_by_id,
)
OPERATED_ACTIONS = child_connection(
    ChildList(
        _operated_actions, "operators__organization_id", ("-started_at", "-id"), scope=actions_q
    ),
    action_by_id,
)
