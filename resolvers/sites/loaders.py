"""Loaders of sites and of what hangs off them."""

from __future__ import annotations

from hub.models import (
    Action,
    ParcelOwner,
    Site,
    SiteActor,
    SiteClosingSolution,
    SiteResorptionPhase,
)
from permissions.principal import Principal
from permissions.rows import sites_q
from resolvers.batching import BatchLoad
from resolvers.pagination import by_key_loader, grouped_loader, linked_ids_loader


def site_by_id(principal: Principal) -> BatchLoad[int, Site | None]:
    async def fetch(ids: list[int]) -> list[Site]:
        return await Site.filter(sites_q(principal), id__in=ids)

    return by_key_loader(fetch, key=lambda row: row.id)


def actors_by_site(_: Principal) -> BatchLoad[int, list[SiteActor]]:
    async def fetch(ids: list[int]) -> list[SiteActor]:
        return await SiteActor.filter(site_id__in=ids).order_by("created_at", "id")

    return grouped_loader(fetch, key=lambda row: row.site_id)


def action_ids_by_site(_: Principal) -> BatchLoad[int, list[int]]:
    return linked_ids_loader(Action, "sites", order=("-started_at", "-id"))


def parcel_owners_by_site(_: Principal) -> BatchLoad[int, list[ParcelOwner]]:
    async def fetch(ids: list[int]) -> list[ParcelOwner]:
        return await ParcelOwner.filter(site_id__in=ids).order_by("id")

    return grouped_loader(fetch, key=lambda row: row.site_id)


def closing_solutions_by_site(_: Principal) -> BatchLoad[int, list[SiteClosingSolution]]:
    async def fetch(ids: list[int]) -> list[SiteClosingSolution]:
        return await SiteClosingSolution.filter(site_id__in=ids).order_by("id")

    return grouped_loader(fetch, key=lambda row: row.site_id)


def resorption_phases_by_site(_: Principal) -> BatchLoad[int, list[SiteResorptionPhase]]:
    async def fetch(ids: list[int]) -> list[SiteResorptionPhase]:
        return await SiteResorptionPhase.filter(site_id__in=ids).order_by("id")

    return grouped_loader(fetch, key=lambda row: row.site_id)


def origin_site_ids_by_site(_: Principal) -> BatchLoad[int, list[int]]:
    """The sites the residents of a reinstallation came from."""
    return linked_ids_loader(Site, "reinstalled_to")
