"""The per-object decision: whether the caller holds a capability on one object.

The check is per object because a grant depends on where the object stands: a site's legal
procedures may be readable in one département and not in the next. Most checks are plain set
look-ups on the row's own territory columns. Those that need the database (an action's
attachments or sites, a user's organization) go through the request's DataLoaders, so a list
of objects costs one query, not one per object.

``decide`` is the one decision per object and capability: the field gates (``schema.gates``)
ask it, and so do the exports (for each row's gated columns), ``Site.locationPrecision`` and
the members of an organization (ordered by name only where names may be read).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from inspect import isawaitable
from typing import Any

from tortoise.expressions import Q

from hub.models import Action, Commune, Departement, Epci, Organization, Region, Site, User
from hub.models.enums import LocationLevel
from permissions.capabilities import Capability, Level
from permissions.principal import Principal
from permissions.territories import Place, Territories, action_place, places_of, site_place
from resolvers.batching import BatchLoad
from resolvers.context import Loaders
from resolvers.pagination import linked_ids_loader
from resolvers.territories.queries import Nation
from resolvers.territories.stats import ActionFigures, TerritoryCounts

Verdict = bool | Awaitable[bool]


def decide(capability: Capability, source: Any, loaders: Loaders) -> Verdict:
    """Whether the caller (``loaders.principal``) holds ``capability`` on ``source``: a bool,
    or an awaitable when it must look in the database through ``loaders``."""
    principal = loaders.principal
    grant = principal.grant(capability)
    if grant.territories.everywhere:
        return True
    if isinstance(source, User) and source.id == principal.user_id:
        return True  # one's own personal data
    if grant.level is Level.NEVER:
        return False
    check = _CHECKS.get(type(source))
    if check is None:
        raise TypeError(f"No permission check for {type(source).__name__} ({capability})")
    return check(principal, capability, source, loaders)


def decide_each(capability: Capability, sources: list[Any], loaders: Loaders) -> list[Any]:
    """``decide`` for each of ``sources`` (an exception where it raised one): a caller whose
    grant holds everywhere holds it on all of them, whatever they are."""
    if loaders.principal.grant(capability).territories.everywhere:
        return [True] * len(sources)
    verdicts: list[Any] = []
    for source in sources:
        try:
            verdicts.append(decide(capability, source, loaders))
        except Exception as error:
            verdicts.append(error)
    return verdicts


async def decided(capability: Capability, source: Any, loaders: Loaders) -> bool:
    """``decide``, awaited."""
    verdict = decide(capability, source, loaders)
    return await verdict if isawaitable(verdict) else verdict


def _site(principal: Principal, capability: Capability, site: Site, _: Loaders) -> Verdict:
    return principal.can(capability, site_place(site))


def _action(
    principal: Principal, capability: Capability, action: Action, loaders: Loaders
) -> Verdict:
    grant = principal.grant(capability)
    if grant.level is Level.OWN:
        return loaders[attached_action_ids].load(action.id)
    if principal.can(capability, action_place(action)):
        return True
    if not (grant.territories.epcis or grant.territories.communes):
        return False

    # As in SQL (permissions/rows.py): only an EPCI or commune grant reaches an action through
    # its sites; a grant on a département reaches the actions that stand in it.
    local = Territories(epcis=grant.territories.epcis, communes=grant.territories.communes)

    async def through_sites() -> bool:
        places = await loaders[site_places_of_action].load(action.id)
        return any(local.contains(place) for place in places)

    return through_sites()


async def _at_home(
    principal: Principal, capability: Capability, organization_id: int, loaders: Loaders
) -> bool:
    # An organization, and each of its members, stands where it has its home (national:
    # nowhere but N).
    places = await loaders[organization_places].load(organization_id)
    return any(principal.can(capability, place) for place in places)


def _user(principal: Principal, capability: Capability, user: User, loaders: Loaders) -> Verdict:
    return _at_home(principal, capability, user.organization_id, loaders)


def _organization(
    principal: Principal, capability: Capability, organization: Organization, loaders: Loaders
) -> Verdict:
    """For ``user.read``: whether the caller may read the personal data of its members."""
    return _at_home(principal, capability, organization.id, loaders)


def _territory(principal: Principal, capability: Capability, row: Any, loaders: Loaders) -> Verdict:
    if isinstance(row, Commune):
        place = Place(row.region_id, row.departement_id, row.epci_id, row.scope_code)
    elif isinstance(row, Departement):
        place = Place(row.region_id, row.code)
    elif isinstance(row, Region):
        place = Place(row.code)
    elif isinstance(row, Epci):

        async def spanned() -> bool:
            places = await loaders[epci_places].load(row.code)
            return any(principal.can(capability, place) for place in places)

        return spanned()
    else:
        place = Place()  # the nation
    return principal.can(capability, place)


_CHECKS: dict[type, Callable[[Principal, Capability, Any, Loaders], Verdict]] = {
    Site: _site,
    Action: _action,
    User: _user,
    Organization: _organization,
    Region: _territory,
    Departement: _territory,
    Epci: _territory,
    Commune: _territory,
    Nation: _territory,
    # Aggregates stand where they were counted.
    TerritoryCounts: lambda principal, capability, counts, loaders: _territory(
        principal, capability, counts.territory, loaders
    ),
    ActionFigures: lambda principal, capability, figures, loaders: _territory(
        principal, capability, figures.territory, loaders
    ),
}


def attached_action_ids(principal: Principal) -> BatchLoad[int, bool]:
    """Whether the caller manages or operates each action (``own`` grants)."""

    async def load(ids: list[int]) -> list[bool]:
        if principal.user_id is None:
            return [False] * len(ids)
        mine = Q(managers__id=principal.user_id) | Q(operators__id=principal.user_id)
        attached = set(await Action.filter(mine, id__in=ids).values_list("id", flat=True))
        return [action_id in attached for action_id in ids]

    return load


def site_places_of_action(_: Principal) -> BatchLoad[int, list[Place]]:
    linked = linked_ids_loader(Site, "actions")

    async def load(ids: list[int]) -> list[list[Place]]:
        site_ids = await linked(ids)
        wanted = {site_id for group in site_ids for site_id in group}
        sites = {site.id: site for site in await Site.filter(id__in=wanted)}
        return [[site_place(sites[i]) for i in group if i in sites] for group in site_ids]

    return load


def organization_places(_: Principal) -> BatchLoad[int, list[Place]]:
    async def load(ids: list[int]) -> list[list[Place]]:
        rows = await Organization.filter(id__in=ids).values("id", "location_level", "location_code")
        homes = {
            row["id"]: (LocationLevel(row["location_level"]), row["location_code"])
            for row in rows
            if row["location_level"] is not None
        }
        places = await places_of(homes.values())
        return [places.get(homes[i], []) if i in homes else [] for i in ids]

    return load


def epci_places(_: Principal) -> BatchLoad[str, list[Place]]:
    async def load(codes: list[str]) -> list[list[Place]]:
        places = await places_of((LocationLevel.EPCI, code) for code in codes)
        return [places.get((LocationLevel.EPCI, code), []) for code in codes]

    return load
