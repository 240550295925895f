"""Territory look-ups: one territory by level and code, the nation, sites of a territory."""

from __future__ import annotations

import functools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q, Subquery

from hub.database import lookup
from hub.errors import BadUserInput, NotFound
from hub.models import Action, Commune, Departement, Epci, Region, Site
from hub.models.enums import LocationLevel, SiteStatus
from permissions.rows import actions_q, sites_q
from resolvers.actions.loaders import action_by_id
from resolvers.pagination import ChildConnection, ChildList, child_connection
from resolvers.sites.filters import SITE_LOCATION_COLUMNS
from resolvers.sites.loaders import site_by_id
from resolvers.territories.locations import MODELS, may_exist
from resolvers.territories.stats import NATION_CODE


@dataclass(frozen=True)
class Nation:
    code: str = NATION_CODE
    name: str = "France"


NATION = Nation()
LEVEL_OF_ROW: dict[type, LocationLevel] = {
    Nation: LocationLevel.NATION,
    Region: LocationLevel.REGION,
    Departement: LocationLevel.DEPARTEMENT,
    Epci: LocationLevel.EPCI,
    Commune: LocationLevel.COMMUNE,
}


async def territory(level: LocationLevel, code: str | None) -> Any:
    if level is LocationLevel.NATION:
        if code not in (None, "", NATION_CODE):
            raise BadUserInput("The NATION level takes no code (or 'FR').", argument="code")
        return NATION
    if not code:
        raise BadUserInput(f"A {level.value} needs a code.", argument="code")
    row = await MODELS[level].get_or_none(code=code) if may_exist(level, code) else None
    if row is None:
        raise NotFound(f"No {level.value} with code {code!r}.")
    return row


@functools.cache
def sites_of(level: LocationLevel, statuses: tuple[SiteStatus, ...]) -> ChildConnection:
    """Sites of many territories of one level, for one set of statuses."""
    column = SITE_LOCATION_COLUMNS[level]

    def queryset(parents: Sequence[Hashable]) -> Any:
        return Site.filter(**{f"{column}__in": parents, "status__in": list(statuses)})

    sites = ChildList(queryset, column, ("-updated_at", "-id"), scope=sites_q)
    return child_connection(sites, site_by_id)


# An action belongs to one département; below that level it is "in" a territory when one of
# its sites is.
_ACTION_PARENTS = {
    LocationLevel.REGION: "region_code",
    LocationLevel.DEPARTEMENT: "departement_id",
    LocationLevel.EPCI: "sites__epci_code",
    LocationLevel.COMMUNE: "sites__commune_scope_code",
}


def actions_in(level: LocationLevel, code: str) -> Q:
    """Actions in a territory: by their département or région, or through their sites."""
    if level is LocationLevel.NATION:
        return Q()
    column = _ACTION_PARENTS[level]
    if "__" not in column:
        return lookup(column, code)
    return Q(id__in=Subquery(Action.filter(**{column: code}).values("id")))


@functools.cache
def actions_of(level: LocationLevel) -> ChildConnection:
    parent_field = _ACTION_PARENTS[level]

    def queryset(parents: Sequence[Hashable]) -> Any:
        return Action.filter(**{f"{parent_field}__in": parents})

    actions = ChildList(queryset, parent_field, ("-started_at", "-id"), scope=actions_q)
    return child_connection(actions, action_by_id)
