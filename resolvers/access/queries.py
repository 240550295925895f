"""The queue of requests for access, for those who may decide on them, oldest first."""

from __future__ import annotations

from hub.models import AccessRequest
from hub.models.enums import AccessRequestStatus
from permissions.principal import Principal
from permissions.rows import access_requests_q
from resolvers.batching import BatchLoad
from resolvers.context import Context
from resolvers.fetching import rows_by_keys
from resolvers.filters import AccessRequestFilter
from resolvers.pagination import Page, PageRequest, by_key_loader, page_of
from resolvers.sites.filters import SITE_LOCATION_COLUMNS
from resolvers.territories.locations import check_locations, location_q


async def list_access_requests(
    context: Context,
    request_filter: AccessRequestFilter | None,
    first: int | None,
    after: str | None,
) -> Page[AccessRequest]:
    page = PageRequest.parse(context.settings, first, after)
    f = request_filter or AccessRequestFilter()
    statuses = f.statuses if f.statuses is not None else [AccessRequestStatus.PENDING]
    requests = AccessRequest.filter(access_requests_q(context.principal), status__in=statuses)
    if f.location is not None:
        where = await check_locations([f.location])
        requests = requests.filter(location_q(where, SITE_LOCATION_COLUMNS))
    return await page_of(requests, page, ["created_at", "id"])


def access_request_by_id(principal: Principal) -> BatchLoad[int, AccessRequest | None]:
    async def fetch(ids: list[int]) -> list[AccessRequest]:
        return await rows_by_keys(AccessRequest.filter(access_requests_q(principal)), "id", ids)

    return by_key_loader(fetch, key=lambda row: row.id)
