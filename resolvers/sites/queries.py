"""Root queries on sites."""

from __future__ import annotations

from hub.models import Site
from resolvers.context import Context
from resolvers.pagination import Page, PageRequest, page_of
from resolvers.sites.filters import site_filter_q, site_order
from schema.filters import SiteFilter, SiteOrder


async def list_sites(
    context: Context,
    site_filter: SiteFilter | None,
    order: SiteOrder | None,
    first: int | None,
    after: str | None,
) -> Page[Site]:
    page = PageRequest.parse(context.settings, first, after)
    query = await site_filter_q(site_filter, context.settings, context.today)
    return await page_of(Site.filter(query), page, site_order(order))
