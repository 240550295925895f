"""Where a grant reaches: sets of territory codes, and the places objects stand in.

A grant at level A reaches the caller's intervention areas as they are; at level D it
reaches the départements containing them (a commune widens to its département, an EPCI to
every département it spans; régions and the nation stay as they are). Arrondissements
count as their main commune, whose code sites carry in ``commune_scope_code``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from tortoise.expressions import Q

from hub.models import Action, Commune, Departement
from hub.models.enums import LocationLevel


@dataclass(frozen=True)
class Place:
    """Where an object stands: the codes of each territory containing it, as far as known."""

    region: str | None = None
    departement: str | None = None
    epci: str | None = None
    commune: str | None = None


@dataclass(frozen=True)
class Territories:
    everywhere: bool = False
    regions: frozenset[str] = frozenset()
    departements: frozenset[str] = frozenset()
    epcis: frozenset[str] = frozenset()
    communes: frozenset[str] = frozenset()

    @property
    def nowhere(self) -> bool:
        return not (
            self.everywhere or self.regions or self.departements or self.epcis or self.communes
        )

    def contains(self, place: Place) -> bool:
        return (
            self.everywhere
            or place.region in self.regions
            or place.departement in self.departements
            or place.epci in self.epcis
            or place.commune in self.communes
        )


EVERYWHERE = Territories(everywhere=True)
NOWHERE = Territories()


@dataclass(frozen=True)
class AreaReach:
    """What a caller's intervention areas reach: as they are (A), and widened (D)."""

    areas: Territories
    departements: Territories


async def reach_of(areas: Iterable[tuple[LocationLevel, str | None]]) -> AreaReach:
    """Resolves commune and EPCI areas to their départements: at most two queries."""
    exact: dict[LocationLevel, set[str]] = {level: set() for level in LocationLevel}
    for level, code in areas:
        if level is LocationLevel.NATION:
            return AreaReach(EVERYWHERE, EVERYWHERE)
        if code:
            exact[level].add(code)
    communes: set[str] = set()
    widened = set(exact[LocationLevel.DEPARTEMENT])
    if exact[LocationLevel.COMMUNE]:
        rows = await Commune.filter(code__in=exact[LocationLevel.COMMUNE]).values(
            "scope_code", "departement_id"
        )
        communes = {row["scope_code"] for row in rows}
        widened |= {row["departement_id"] for row in rows}
    if exact[LocationLevel.EPCI]:
        widened |= set(
            # tortoise types values_list(flat=True) as tuples; flat, it returns the values.
            await Commune.filter(epci_id__in=exact[LocationLevel.EPCI])  # type: ignore[arg-type]
            .distinct()
            .values_list("departement_id", flat=True)
        )
    regions = frozenset(exact[LocationLevel.REGION])
    return AreaReach(
        areas=Territories(
            regions=regions,
            departements=frozenset(exact[LocationLevel.DEPARTEMENT]),
            epcis=frozenset(exact[LocationLevel.EPCI]),
            communes=frozenset(communes),
        ),
        departements=Territories(regions=regions, departements=frozenset(widened)),
    )


Key = tuple[LocationLevel, str | None]


async def places_of(locations: Iterable[Key]) -> dict[Key, list[Place]]:
    """Where each location stands; an EPCI stands in each département it spans.

    At most three queries, whatever the number of locations. Unknown codes get no place.
    """
    wanted: dict[LocationLevel, set[str]] = {level: set() for level in LocationLevel}
    keys = set(locations)
    for level, code in keys:
        if code:
            wanted[level].add(code)
    found: dict[Key, list[Place]] = {}
    for level, code in keys:
        if level is LocationLevel.NATION:
            found[(level, code)] = [Place()]
        elif level is LocationLevel.REGION and code:
            found[(level, code)] = [Place(region=code)]
    if wanted[LocationLevel.DEPARTEMENT]:
        for row in await Departement.filter(code__in=wanted[LocationLevel.DEPARTEMENT]).values(
            "code", "region_id"
        ):
            place = Place(region=row["region_id"], departement=row["code"])
            found[(LocationLevel.DEPARTEMENT, row["code"])] = [place]
    communes = wanted[LocationLevel.COMMUNE]
    epcis = wanted[LocationLevel.EPCI]
    if communes or epcis:
        rows = await Commune.filter(
            Q(code__in=sorted(communes)) | Q(epci_id__in=sorted(epcis))
        ).values("code", "scope_code", "departement_id", "region_id", "epci_id")
        for row in rows:
            region, departement, epci = row["region_id"], row["departement_id"], row["epci_id"]
            if row["code"] in communes:
                commune = Place(region, departement, epci, row["scope_code"])
                found[(LocationLevel.COMMUNE, row["code"])] = [commune]
            if epci in epcis:
                place = Place(region, departement, epci)
                spanned = found.setdefault((LocationLevel.EPCI, epci), [])
                if place not in spanned:
                    spanned.append(place)
    return found


class StandsLikeASite(Protocol):
    """A row with a site's territory columns: a site, an event of the stream."""

    @property
    def region_code(self) -> str | None: ...
    @property
    def departement_code(self) -> str | None: ...
    @property
    def epci_code(self) -> str | None: ...
    @property
    def commune_scope_code(self) -> str | None: ...


def site_place(site: StandsLikeASite) -> Place:
    return Place(site.region_code, site.departement_code, site.epci_code, site.commune_scope_code)


def action_place(action: Action) -> Place:
    return Place(action.region_code, action.departement_id)
