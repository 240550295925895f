"""Root queries on sites."""

from __future__ import annotations

from hub.models import Site
from permissions.rows import sites_q
from resolvers.context import Context
from resolvers.pagination import Page, PageRequest, page_of
from resolvers.sites.filters import ordered_sites, site_filter_q, with_order_keys
from schema.filters import SiteFilter, SiteOrder


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
