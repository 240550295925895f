"""The real territories the demo sites are placed in, read once from the database."""

from __future__ import annotations

import random
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from hub.demo.placement import commune_shapes, site_point
from hub.demo.reference import ACTIVE_DEPARTEMENTS, PERSONA_COMMUNE
from hub.geography import Shape
from hub.models import Commune, Departement, Epci, Region

# Bidonvilles are an urban phenomenon: the biggest communes of each département get them.
CANDIDATES_PER_DEPARTEMENT = 60
# Below 1 the weights favour big communes less than their population would: suburbs of a
# metropolis host more bidonvilles than the city centre's size suggests.
POPULATION_EXPONENT = 0.6


class TerritoriesMissing(RuntimeError):
    """The territory tables are empty: the demo needs real communes."""


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    departement: str
    region: str
    epci: str | None
    scope_code: str
    population: int
    overseas: bool


@dataclass(frozen=True)
class DepartementInfo:
    code: str
    name: str
    region: str
    overseas: bool


@dataclass
class Geography:
    departements: dict[str, DepartementInfo]
    regions: dict[str, str]
    epcis: dict[str, str]
    # Candidate communes of each active département, most populous first.
    communes: dict[str, list[Place]]
    weights: dict[str, list[float]]
    by_code: dict[str, Place]
    # The candidate communes' outlines: each site stands inside its commune.
    outlines: dict[str, Shape]

    def pick_commune(self, rng: random.Random, departement: str) -> Place:
        return rng.choices(self.communes[departement], self.weights[departement])[0]

    def place(self, code: str) -> Place:
        return self.by_code[code]

    def region_of(self, departement: str) -> str:
        return self.departements[departement].region

    def point_in(self, code: str, site_id: int) -> tuple[float | None, float | None]:
        """The site's point (``hub.demo.placement.site_point``), or none without an outline."""
        return site_point(self.outlines, code, site_id) or (None, None)


async def load_geography(conn: BaseDBAsyncClient) -> Geography:
    codes = [d.code for d in ACTIVE_DEPARTEMENTS]
    departements = {
        d.code: DepartementInfo(d.code, d.name, d.region_id, d.overseas)
        for d in await Departement.all().using_db(conn).order_by("code")
    }
    missing = [code for code in codes if code not in departements]
    if not departements or missing:
        raise TerritoriesMissing(
            "The territories are not loaded (missing départements: "
            f"{', '.join(missing) or 'all'}). Run `hub load-territories` first."
        )
    regions = {r.code: r.name for r in await Region.all().using_db(conn).order_by("code")}
    rows = (
        await Commune.filter(departement_id__in=codes, main_commune_id=None)
        .using_db(conn)
        .order_by("code")
        .values_list(
            "code", "name", "departement_id", "region_id", "epci_id", "scope_code",
            "population",
        )
    )  # fmt: skip
    by_departement: dict[str, list[Place]] = {code: [] for code in codes}
    for code, name, dep, region, epci, scope, population in rows:
        place = Place(
            code, name, dep, region, epci, scope, population or 0, departements[dep].overseas
        )
        by_departement[dep].append(place)
    communes = {
        dep: sorted(places, key=lambda p: (-p.population, p.code))[:CANDIDATES_PER_DEPARTEMENT]
        for dep, places in by_departement.items()
    }
    if PERSONA_COMMUNE not in {p.code for p in communes.get("31", [])}:
        raise TerritoriesMissing(
            f"Commune {PERSONA_COMMUNE} is missing. Run `hub load-territories` first."
        )
    epci_codes = sorted({p.epci for places in communes.values() for p in places if p.epci})
    epcis = {
        e.code: e.name
        for e in await Epci.filter(code__in=epci_codes).using_db(conn).order_by("code")
    }
    candidates = (p.code for places in communes.values() for p in places)
    return Geography(
        outlines=await commune_shapes(conn, candidates),
        departements=departements,
        regions=regions,
        epcis=epcis,
        communes=communes,
        weights={
            dep: [max(p.population, 1) ** POPULATION_EXPONENT for p in places]
            for dep, places in communes.items()
        },
        by_code={p.code: p for places in communes.values() for p in places},
    )
