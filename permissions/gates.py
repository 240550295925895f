"""Field gates: a field marked ``@requires(capability)`` is checked on each object it is read on.

Only gated fields carry a gate (a strawberry field extension); every other field resolves
untouched. The check is per object because a grant depends on where the object stands: a
site's legal procedures may be readable in one département and not in the next. A denied
field resolves to null with one ``FORBIDDEN`` error naming the capability, unless it has a
fallback (a site's coordinates fall back to its commune's centre).

Most checks are plain set look-ups on the row's own territory columns. Those that need the
database (an action's attachments or sites, a user's organization) go through the
request's DataLoaders, so a list of objects costs one query, not one per object.

``decide`` is the one decision per object and capability: the field gates ask it, and so
do the exports (for each row's gated columns), ``Site.locationPrecision`` and the members
of an organization (ordered by name only where names may be read).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from inspect import isawaitable
from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.types import Info
from tortoise.expressions import Q

from hub.errors import HubError
from hub.models import Action, Commune, Departement, Epci, Organization, Region, Site, User
from hub.models.enums import LocationLevel
from permissions.capabilities import Capability, Level
from permissions.principal import Principal
from permissions.territories import Place, Territories, places_of
from resolvers.audit.reads import AUDITED_READS
from resolvers.batching import BatchLoad
from resolvers.context import Loaders
from resolvers.pagination import linked_ids_loader
from resolvers.territories.stats import ActionFigures, TerritoryCounts

Verdict = bool | Awaitable[bool]
Fallback = Callable[[Any, Info[Any, Any]], Any]


class Forbidden(HubError):
    code = "FORBIDDEN"


def site_place(site: Site) -> Place:
    return Place(site.region_code, site.departement_code, site.epci_code, site.commune_scope_code)


def action_place(action: Action) -> Place:
    return Place(action.region_code, action.departement_id)


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


async def decided(capability: Capability, source: Any, loaders: Loaders) -> bool:
    """``decide``, awaited."""
    verdict = decide(capability, source, loaders)
    return await verdict if isawaitable(verdict) else verdict


def allowed(capability: Capability, source: Any, info: Info[Any, Any]) -> Verdict:
    """``decide`` for the caller of a GraphQL request."""
    return decide(capability, source, info.context.loaders)


async def holds(capability: Capability, source: Any, info: Info[Any, Any]) -> bool:
    return await decided(capability, source, info.context.loaders)


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


def _nation_type() -> type:
    from resolvers.territories.queries import Nation

    return Nation


_CHECKS: dict[type, Callable[[Principal, Capability, Any, Loaders], Verdict]] = {
    Site: _site,
    Action: _action,
    User: _user,
    Organization: _organization,
    Region: _territory,
    Departement: _territory,
    Epci: _territory,
    Commune: _territory,
    _nation_type(): _territory,
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


class Gate(FieldExtension):
    """Resolves the field only for callers holding ``capability`` on the object."""

    def __init__(self, capability: Capability, fallback: Fallback | None = None) -> None:
        self.capability = capability
        self.fallback = fallback

    def resolve(
        self, next_: Callable[..., Any], source: Any, info: Info[Any, Any], **kwargs: Any
    ) -> Any:
        verdict = allowed(self.capability, source, info)
        if isawaitable(verdict):
            return self._after(verdict, next_, source, info, kwargs)
        if verdict:
            self._audit(source, info)
            return next_(source, info, **kwargs)
        return self._denied(source, info)

    async def resolve_async(
        self, next_: Callable[..., Any], source: Any, info: Info[Any, Any], **kwargs: Any
    ) -> Any:
        verdict = allowed(self.capability, source, info)
        if isawaitable(verdict):
            verdict = await verdict
        return await self._resolved(bool(verdict), next_, source, info, kwargs)

    async def _after(
        self,
        verdict: Awaitable[bool],
        next_: Callable[..., Any],
        source: Any,
        info: Info[Any, Any],
        kwargs: dict[str, Any],
    ) -> Any:
        return await self._resolved(await verdict, next_, source, info, kwargs)

    async def _resolved(
        self,
        verdict: bool,
        next_: Callable[..., Any],
        source: Any,
        info: Info[Any, Any],
        kwargs: dict[str, Any],
    ) -> Any:
        if verdict:
            self._audit(source, info)
        result = next_(source, info, **kwargs) if verdict else self._denied(source, info)
        return await result if isawaitable(result) else result

    def _audit(self, source: Any, info: Info[Any, Any]) -> None:
        if self.capability not in AUDITED_READS:
            return
        if isinstance(source, Site):
            info.context.reads.record(self.capability, "site", source.id, site_place(source))
        elif isinstance(source, Action):
            info.context.reads.record(self.capability, "action", source.id, action_place(source))
        elif isinstance(source, User) and source.id != info.context.principal.user_id:
            info.context.reads.record(self.capability, "user", source.id, Place())

    def _denied(self, source: Any, info: Info[Any, Any]) -> Any:
        if self.fallback is not None:
            return self.fallback(source, info)
        raise Forbidden(
            f"Not allowed: reading this field needs {self.capability.value} here.",
            capability=self.capability.value,
        )
