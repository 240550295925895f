"""Root queries on sites."""

from __future__ import annotations

import datetime

from hub.models import Site
from hub.models.enums import HistorySubject
from permissions.capabilities import Capability
from permissions.principal import Principal
from permissions.rows import sites_q
from permissions.territories import site_place
from resolvers.batching import BatchLoad
from resolvers.context import Context
from resolvers.filters import SiteFilter, SiteOrder
from resolvers.history.as_of import AsOfKey, as_of_loader, one_as_of, read_at
from resolvers.pagination import Page, PageRequest, page_of
from resolvers.sites.filters import ordered_sites, site_filter_q, with_order_keys
from resolvers.sites.lists import lists_of_sites
from resolvers.sites.loaders import site_by_id


def _readable_then(principal: Principal, site: Site) -> bool:
    return principal.can(Capability.SITE_READ, site_place(site))


def site_as_of_by_id(principal: Principal) -> BatchLoad[AsOfKey, Site | None]:
    """(id, day) → the site rebuilt at the end of that day, if the caller may read it where
    it stood then. Everything reached through it is read at that day too."""
    return as_of_loader(Site, HistorySubject.SITE, lists_of_sites, _readable_then, principal)


async def sites_read_at(context: Context, ids: list[int], day: datetime.date | None) -> list[Site]:
    """Sites by id as the caller may read them: as they were at ``day`` when reached
    through an object read at that date, else as they are."""
    return await read_at(context, site_by_id, site_as_of_by_id, ids, day)


async def site_as_of(context: Context, value: str, day: datetime.date) -> Site:
    """The site as it was at the end of ``day``, if the caller may read it as it stood then."""
    return await one_as_of(context, site_as_of_by_id, "Site", value, day)


async def list_sites(
    context: Context,
    site_filter: SiteFilter | None,
    order: SiteOrder | None,
    first: int | None,
    after: str | None,
    columns: list[str] | None = None,
) -> Page[Site]:
    """A page of the sites the caller may read; with ``columns``, rows holding only those."""
    page = PageRequest.parse(context.settings, first, after)
    principal = context.principal
    query = await site_filter_q(site_filter, context.settings, context.today, principal)
    queryset = with_order_keys(Site.filter(sites_q(principal), query), order)
    return await page_of(queryset, page, ordered_sites(order), columns)
