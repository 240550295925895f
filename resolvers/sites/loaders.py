"""Loaders of sites and of what hangs off them."""

from __future__ import annotations

from hub.models import (
    Action,
    HistoryEntry,
    ParcelOwner,
    Site,
    SiteActor,
    SiteClosingSolution,
    SiteResorptionPhase,
)
from hub.models.enums import HistorySubject
from permissions.principal import Principal
from permissions.rows import sites_q
from resolvers.actions.lists import SITES
from resolvers.actions.loaders import action_by_id, readable_actions
from resolvers.batching import BatchLoad, Priming
from resolvers.fetching import rows_by_keys
from resolvers.history.as_of import AsOfKey, end_of
from resolvers.pagination import (
    by_key_loader,
    grouped_loader,
    linked_ids_loader,
    linked_rows_loader,
)


def site_by_id(principal: Principal) -> BatchLoad[int, Site | None]:
    async def fetch(ids: list[int]) -> list[Site]:
        return await rows_by_keys(Site.filter(sites_q(principal)), "id", ids)

    return by_key_loader(fetch, key=lambda row: row.id)


def actors_declared_before(_: Principal) -> BatchLoad[AsOfKey, list[SiteActor]]:
    """(site, day) → the site's actor entries declared by the end of that day and still there
    (the history's list of actors keeps no ids nor dates: these give them)."""

    async def load(keys: list[AsOfKey]) -> list[list[SiteActor]]:
        rows = await SiteActor.filter(site_id__in={site for site, _ in keys}).order_by("id")
        return [
            [row for row in rows if row.site_id == site and row.created_at < end_of(day)]
            for site, day in keys
        ]

    return load


def action_ids_linked_since(_: Principal) -> BatchLoad[AsOfKey, list[int]]:
    """(site, day) → the actions that may have been linked to the site at the end of that
    day: those linked now, and those whose list of sites changed since with the site in it.
    Each is then rebuilt at that day to tell (``Site.actions``)."""

    async def load(keys: list[AsOfKey]) -> list[list[int]]:
        sites = {site for site, _ in keys}
        linked = await Action.filter(sites__id__in=sites).values_list("id", "sites__id")
        first_day = min(day for _, day in keys)
        later = await HistoryEntry.filter(
            subject_type=HistorySubject.ACTION, changed_at__gte=end_of(first_day)
        )
        found: list[list[int]] = []
        for site, day in keys:
            ids = {action for action, linked_site in linked if linked_site == site}
            ids |= {
                entry.subject_id
                for entry in later
                if entry.changed_at >= end_of(day)
                # The changes are JSON, typed as object: a site list's [old, new] are lists of ids.
                and any(site in (values or []) for values in entry.changes.get(SITES, []))  # type: ignore[operator]
            }
            found.append(sorted(ids))
        return found

    return load


def actors_by_site(_: Principal) -> BatchLoad[int, list[SiteActor]]:
    async def fetch(ids: list[int]) -> list[SiteActor]:
        return await rows_by_keys(SiteActor.all().order_by("created_at", "id"), "site_id", ids)

    return grouped_loader(fetch, key=lambda row: row.site_id)


def action_ids_by_site(principal: Principal) -> Priming:
    """The ids of each site's actions, most recent first, and in the same statement the rows
    ``action_by_id`` gives for them."""
    return linked_rows_loader(
        lambda: readable_actions(principal), "sites", ("-started_at", "-id"), action_by_id
    )


def parcel_owners_by_site(_: Principal) -> BatchLoad[int, list[ParcelOwner]]:
    async def fetch(ids: list[int]) -> list[ParcelOwner]:
        return await rows_by_keys(ParcelOwner.all().order_by("id"), "site_id", ids)

    return grouped_loader(fetch, key=lambda row: row.site_id)


def closing_solutions_by_site(_: Principal) -> BatchLoad[int, list[SiteClosingSolution]]:
    async def fetch(ids: list[int]) -> list[SiteClosingSolution]:
        return await rows_by_keys(SiteClosingSolution.all().order_by("id"), "site_id", ids)

    return grouped_loader(fetch, key=lambda row: row.site_id)


def resorption_phases_by_site(_: Principal) -> BatchLoad[int, list[SiteResorptionPhase]]:
    async def fetch(ids: list[int]) -> list[SiteResorptionPhase]:
        return await rows_by_keys(SiteResorptionPhase.all().order_by("id"), "site_id", ids)

    return grouped_loader(fetch, key=lambda row: row.site_id)


def origin_site_ids_by_site(_: Principal) -> BatchLoad[int, list[int]]:
    """The sites the residents of a reinstallation came from."""
    return linked_ids_loader(Site, "reinstalled_to")
