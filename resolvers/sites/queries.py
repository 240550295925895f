"""Root queries on sites."""

from __future__ import annotations

import datetime

from hub.models import Site
from hub.models.enums import HistorySubject
from permissions.capabilities import Capability
from permissions.gates import site_place
from permissions.rows import sites_q
from resolvers.context import Context
from resolvers.history.as_of import as_of
from resolvers.pagination import Page, PageRequest, page_of
from resolvers.sites.filters import ordered_sites, site_filter_q, with_order_keys
from resolvers.sites.lists import site_lists
from schema.errors import BadUserInput, NotFound
from schema.filters import SiteFilter, SiteOrder
from schema.ids import decode_id


async def site_as_of(context: Context, value: str, day: datetime.date) -> Site:
    """The site as it was at the end of ``day``, if the caller may read it as it stood then."""
    key = decode_id(value, "Site")
    if day > context.today:
        raise BadUserInput("`asOf` cannot be in the future.", argument="asOf")
    rebuilt = await as_of(Site, HistorySubject.SITE, key, day, await site_lists(key))
    if not isinstance(rebuilt, Site) or not context.principal.can(
        Capability.SITE_READ, site_place(rebuilt)
    ):
        raise NotFound("No Site with this ID at that date.", id=value)
    return rebuilt


async def list_sites(
    context: Context,
    site_filter: SiteFilter | None,
    order: SiteOrder | None,
    first: int | None,
    after: str | None,
) -> Page[Site]:
    page = PageRequest.parse(context.settings, first, after)
    principal = context.principal
    query = await site_filter_q(site_filter, context.settings, context.today, principal)
    queryset = with_order_keys(Site.filter(sites_q(principal), query), order)
    return await page_of(queryset, page, ordered_sites(order))
