"""Action filters, translated into SQL conditions."""

from __future__ import annotations

import datetime

from tortoise.expressions import Q, Subquery

from hub.errors import BadUserInput
from hub.ids import decode_id
from hub.models import Action, ActionTopicLink, Site, User
from hub.models.enums import LocationLevel, Zone
from resolvers.filters import ActionFilter
from resolvers.sites.filters import SITE_LOCATION_COLUMNS, search_terms
from resolvers.territories.locations import check_locations, location_q

MIN_YEAR, MAX_YEAR = 2000, 2100

# An action belongs to a département; at the EPCI and commune levels, an action is
# "there" when one of its sites is.
_ACTION_COLUMNS = {
    LocationLevel.REGION: "region_code",
    LocationLevel.DEPARTEMENT: "departement_id",
}
_THROUGH_SITES = (LocationLevel.EPCI, LocationLevel.COMMUNE)


def _location_q(pairs: list[tuple[LocationLevel, str | None]]) -> Q:
    direct = [(level, code) for level, code in pairs if level not in _THROUGH_SITES]
    local = [(level, code) for level, code in pairs if level in _THROUGH_SITES]
    parts: list[Q] = []
    if direct:
        parts.append(location_q(direct, _ACTION_COLUMNS))
    if local:
        site_ids = Subquery(Site.filter(location_q(local, SITE_LOCATION_COLUMNS)).values("id"))
        action_ids = Subquery(Action.filter(sites__id__in=site_ids).values("id"))
        parts.append(Q(id__in=action_ids))
    return Q(*parts, join_type=Q.OR)


async def action_filter_q(action_filter: ActionFilter | None) -> Q:
    if action_filter is None:
        return Q()
    f = action_filter
    conditions: list[Q] = []
    if f.locations is not None:
        conditions.append(_location_q(await check_locations(f.locations)))
    if f.zone is not None:
        conditions.append(Q(overseas=f.zone == Zone.OUTRE_MER))
    if f.topics is not None:
        topical = ActionTopicLink.filter(topic__in=list(f.topics)).values("action_id")
        conditions.append(Q(id__in=Subquery(topical)))
    if f.year is not None:
        if not MIN_YEAR <= f.year <= MAX_YEAR:
            raise BadUserInput(
                f"`year` must be between {MIN_YEAR} and {MAX_YEAR}.", argument="year"
            )
        first_day, last_day = datetime.date(f.year, 1, 1), datetime.date(f.year, 12, 31)
        conditions.append(
            Q(started_at__lte=last_day) & (Q(ended_at__isnull=True) | Q(ended_at__gte=first_day))
        )
    if f.operator_organization is not None:
        organization_id = decode_id(f.operator_organization, "Organization")
        operators = Subquery(User.filter(organization_id=organization_id).values("id"))
        conditions.append(
            Q(id__in=Subquery(Action.filter(operators__id__in=operators).values("id")))
        )
    for term in search_terms(f.search or ""):
        conditions.append(Q(name__icontains=term) | Q(goals__icontains=term))
    return Q(*conditions) if conditions else Q()
