"""Root queries on organizations."""

from __future__ import annotations

from tortoise.expressions import Q

from hub.models import Organization
from permissions.rows import directory_q
from resolvers.context import Context
from resolvers.filters import OrganizationFilter
from resolvers.pagination import Page, PageRequest, page_of
from resolvers.sites.filters import search_terms


def organization_filter_q(organization_filter: OrganizationFilter | None) -> Q:
    if organization_filter is None:
        return Q()
    f = organization_filter
    conditions: list[Q] = []
    if f.categories is not None:
        conditions.append(Q(category__in=list(f.categories)))
    if f.types is not None:
        conditions.append(Q(type__in=list(f.types)))
    if f.active is not None:
        conditions.append(Q(active=f.active))
    for term in search_terms(f.search or ""):
        conditions.append(Q(name__icontains=term) | Q(abbreviation__icontains=term))
    return Q(*conditions) if conditions else Q()


async def list_organizations(
    context: Context,
    organization_filter: OrganizationFilter | None,
    first: int | None,
    after: str | None,
) -> Page[Organization]:
    page = PageRequest.parse(context.settings, first, after)
    query = organization_filter_q(organization_filter)
    queryset = Organization.filter(directory_q(context.principal), query)
    return await page_of(queryset, page, ["name", "id"])
