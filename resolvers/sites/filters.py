"""Site filters and orderings, translated into SQL conditions."""

from __future__ import annotations

import datetime

from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.queryset import QuerySet

from hub.database import lookup
from hub.errors import BadUserInput
from hub.models import Action, Site, SiteActor
from hub.models.enums import LocationLevel, Origin, Zone
from hub.settings import Settings
from permissions.capabilities import Capability
from permissions.principal import Principal
from permissions.rows import sites_q
from resolvers.filters import BoundingBox, Direction, SiteFilter, SiteOrder, SiteOrderField
from resolvers.territories.locations import check_locations, location_q

SITE_LOCATION_COLUMNS = {
    LocationLevel.REGION: "region_code",
    LocationLevel.DEPARTEMENT: "departement_code",
    LocationLevel.EPCI: "epci_code",
    LocationLevel.COMMUNE: "commune_scope_code",
}
_ORIGIN_COLUMNS = {
    Origin.FRENCH: "origin_french",
    Origin.EU: "origin_eu",
    Origin.NON_EU: "origin_non_eu",
}
_ORDER_COLUMNS = {
    SiteOrderField.UPDATED_AT: "updated_at",
    SiteOrderField.POPULATION: "population_total",
    SiteOrderField.COMMUNE: "commune__name",
    SiteOrderField.NAME: "name",
}
MAX_SEARCH_LENGTH = 200


def current_action_site_ids(today: datetime.date) -> Subquery:
    """Ids of the sites linked to an action that has not ended."""
    running = Q(ended_at__isnull=True) | Q(ended_at__gte=today)
    return Subquery(
        Action.filter(running, started_at__lte=today, sites__id__isnull=False).values("sites__id")
    )


def with_actor_site_ids() -> Subquery:
    return Subquery(SiteActor.all().values("site_id"))


def without_intervention_q(today: datetime.date) -> Q:
    return Q(
        ~Q(id__in=with_actor_site_ids()),
        ~Q(id__in=current_action_site_ids(today)),
    )


def _range_q(column: str, low: float | None, high: float | None, name: str) -> Q:
    if low is not None and high is not None and low > high:
        raise BadUserInput(f"Inverted range for {name}: min {low} > max {high}.", argument=name)
    query = Q()
    if low is not None:
        query &= lookup(f"{column}__gte", low)
    if high is not None:
        query &= lookup(f"{column}__lte", high)
    return query


def _box_q(box: BoundingBox, prefix: str = "") -> Q:
    """Rows whose ``prefix`` latitude and longitude fall in the box."""
    return _range_q(f"{prefix}latitude", box.south, box.north, "boundingBox") & _range_q(
        f"{prefix}longitude", box.west, box.east, "boundingBox"
    )


def search_terms(search: str) -> list[str]:
    if len(search) > MAX_SEARCH_LENGTH:
        raise BadUserInput(
            f"`search` is limited to {MAX_SEARCH_LENGTH} characters.", argument="search"
        )
    if "\x00" in search:
        raise BadUserInput("`search` must not contain NUL characters.", argument="search")
    return search.split()


async def site_filter_q(
    site_filter: SiteFilter | None, settings: Settings, today: datetime.date, principal: Principal
) -> Q:
    """The filter's conditions. Those on gated data (legal procedures, exact location) only
    match sites where the caller may read that data, so filtering cannot reveal it."""
    if site_filter is None:
        return Q()
    f = site_filter
    exact = sites_q(principal, Capability.SITE_LOCATION_EXACT)
    conditions: list[Q] = []
    if f.locations is not None:
        conditions.append(location_q(await check_locations(f.locations), SITE_LOCATION_COLUMNS))
    if f.zone is not None:
        conditions.append(Q(overseas=f.zone == Zone.OUTRE_MER))
    if f.statuses is not None:
        conditions.append(Q(status__in=list(f.statuses)))
    if f.field_types is not None:
        conditions.append(Q(field_type__in=list(f.field_types)))
    if f.population is not None:
        conditions.append(
            _range_q("population_total", f.population.min, f.population.max, "population")
        )
    for origin in dict.fromkeys(f.origins or ()):  # each once, however often it is given
        conditions.append(lookup(_ORIGIN_COLUMNS[Origin(origin)], True))
    if f.has_legal_procedure is not None:
        legal = sites_q(principal, Capability.SITE_LEGAL_READ)
        conditions.append(legal & Q(has_legal_procedure=f.has_legal_procedure))
    if f.without_intervention is not None:
        query = without_intervention_q(today)
        conditions.append(query if f.without_intervention else ~query)
    if f.has_actions is not None:
        linked = Subquery(Action.filter(sites__id__isnull=False).values("sites__id"))
        conditions.append(Q(id__in=linked) if f.has_actions else ~Q(id__in=linked))
    if f.out_of_date is not None:
        limit = today - datetime.timedelta(days=settings.out_of_date_days)
        query = stale_q(limit)
        conditions.append(query if f.out_of_date else ~query)
    if f.updated_before is not None:
        conditions.append(stale_q(f.updated_before))
    for term in search_terms(f.search or ""):
        conditions.append(
            Q(name__icontains=term)
            | (exact & Q(address__icontains=term))
            | Q(commune__name__icontains=term)
        )
    if f.bounding_box is not None:
        # Each site where the caller sees it: its exact place, or its commune's centre.
        at_exact, at_centre = _box_q(f.bounding_box), _box_q(f.bounding_box, "commune__")
        if principal.reach(Capability.SITE_LOCATION_EXACT).everywhere:
            conditions.append(at_exact)
        else:
            conditions.append((exact & at_exact) | (~exact & at_centre))
    return Q(*conditions) if conditions else Q()


def stale_q(before: datetime.date) -> Q:
    """Neither updated nor confirmed unchanged since ``before``."""
    moment = datetime.datetime.combine(before, datetime.time.min, tzinfo=datetime.UTC)
    return Q(updated_at__lt=moment) & (
        Q(confirmed_unchanged_at__isnull=True) | Q(confirmed_unchanged_at__lt=moment)
    )


# Nullable columns an ordering may use: unknown values go last in both directions, on
# SQLite as on PostgreSQL (whose defaults differ).
_NULLABLE_ORDER_COLUMNS = {
    SiteOrderField.POPULATION: '"site"."population_total"',
    SiteOrderField.NAME: '"site"."name"',
}


def ordered_sites(order: SiteOrder | None) -> list[str]:
    """ORDER BY terms, always ending with the id so that pages are stable."""
    if order is None:
        return ["-updated_at", "-id"]
    sign = "-" if order.direction == Direction.DESC else ""
    terms = [f"{sign}{_ORDER_COLUMNS[order.field]}", f"{sign}id"]
    if order.field in _NULLABLE_ORDER_COLUMNS:
        terms.insert(0, "hub_unknown_last")
    return terms


def with_order_keys(queryset: QuerySet[Site], order: SiteOrder | None) -> QuerySet[Site]:
    if order is None or order.field not in _NULLABLE_ORDER_COLUMNS:
        return queryset
    column = _NULLABLE_ORDER_COLUMNS[order.field]
    return queryset.annotate(
        hub_unknown_last=RawSQL(f"CASE WHEN {column} IS NULL THEN 1 ELSE 0 END")
    )
