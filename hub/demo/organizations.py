"""Organizations of every category, with their home location and intervention areas."""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from hub.demo.context import Ids, Rows, Scale, apportion, days_between, office_time
from hub.demo.geography import Geography, Place
from hub.demo.names import ASSOCIATION_STEMS, NETWORK_MISSIONS
from hub.demo.reference import (
    ACTIVE_BY_CODE,
    ACTIVE_DEPARTEMENTS,
    ARS_OCCITANIE,
    DDETS_31,
    DELEGATION_NAME,
    LOGEMENT_MINISTRY,
    OBSERVER_DEPARTEMENT,
    PERSONA_ASSOCIATION,
    PERSONA_COMMUNE,
    PERSONA_DEPARTEMENT,
    PLATFORM_START,
    PREFECTURE_31,
    RESEARCH_LAB,
    TOULOUSE,
)
from hub.models import InterventionArea, Organization, User
from hub.models.enums import (
    LocationLevel,
    OrganizationCategory,
    OrganizationType,
    Role,
    UserStatus,
)

Cat = OrganizationCategory
Type = OrganizationType
Level = LocationLevel
Area = tuple[LocationLevel, str | None]

TOULOUSE_METROPOLE = "243100518"
# Préfecture services of the inner Paris suburbs are DRIHL units, overseas ones DEETS.
DRIHL_DEPARTEMENTS = frozenset({"75", "92", "93", "94"})
# Single collectivities: no separate département council or region council.
COLLECTIVITY_NAMES = {
    "973": "Collectivité territoriale de Guyane",
    "976": "Département de Mayotte",
    "75": "Ville de Paris – direction des solidarités",
}
SINGLE_COLLECTIVITY_REGIONS = frozenset({"03", "06"})
MINISTRIES: tuple[tuple[str, str], ...] = (
    (LOGEMENT_MINISTRY, "Min. Logement"),
    ("Ministère de l'Intérieur", "Min. Intérieur"),
    ("Ministère de l'Éducation nationale", "MEN"),
    ("Ministère de la Santé et de l'Accès aux soins", "Min. Santé"),
    ("Ministère du Travail et de l'Emploi", "Min. Travail"),
    ("Ministère de la Justice", "Min. Justice"),
)
AGENCIES: tuple[tuple[str, str], ...] = (
    ("Agence nationale de la cohésion des territoires", "ANCT"),
    ("Office français de l'immigration et de l'intégration", "OFII"),
    ("Santé publique France", "SpF"),
    ("Agence nationale de l'habitat", "Anah"),
)
COMPANIES: tuple[str, ...] = (
    "Cabinet Habitat & Territoires Conseil",
    "Sociodiag Études sociales",
    "Atelier Ville Inclusive",
    "Inclusia Conseil",
    "Médiations & Territoires",
)
LABS: tuple[tuple[str, str | None], ...] = (
    (RESEARCH_LAB, OBSERVER_DEPARTEMENT),
    ("Observatoire des habitats précaires", None),
)


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in ascii_text.lower()).split()
    return "-".join(words)


# An organization and its members refer to each other, so both are declared here.
@dataclass
class OrgInfo:
    model: Organization
    # Home département (None for national or region-wide organizations).
    departement: str | None
    area_departements: tuple[str, ...]
    domain: str
    members: list[UserInfo] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.model.id

    @property
    def type(self) -> OrganizationType:
        return self.model.type

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def active(self) -> bool:
        return self.model.active

    @cached_property
    def active_members(self) -> list[UserInfo]:
        """Read once every member is created."""
        return [m for m in self.members if m.active]


@dataclass
class UserInfo:
    model: User
    org: OrgInfo

    @property
    def id(self) -> int:
        return self.model.id

    @property
    def role(self) -> Role:
        return self.model.role

    @property
    def active(self) -> bool:
        return self.model.status == UserStatus.ACTIVE

    @property
    def has_worked(self) -> bool:
        # Pending users never did anything; inactive ones did before leaving.
        return self.model.status != UserStatus.PENDING


@dataclass
class Organizations:
    all: list[OrgInfo] = field(default_factory=list)
    by_name: dict[str, OrgInfo] = field(default_factory=dict)
    prefecture: dict[str, OrgInfo] = field(default_factory=dict)
    ddets: dict[str, OrgInfo] = field(default_factory=dict)
    police: dict[str, OrgInfo] = field(default_factory=dict)
    education: dict[str, OrgInfo] = field(default_factory=dict)
    health: dict[str, OrgInfo] = field(default_factory=dict)
    commune: dict[str, OrgInfo] = field(default_factory=dict)
    # Associations (and private operators) intervening in each département.
    operators: dict[str, list[OrgInfo]] = field(default_factory=dict)


@dataclass
class OrgFactory:
    rng: random.Random
    ids: Ids
    rows: Rows
    orgs: Organizations

    def create(
        self,
        name: str,
        abbreviation: str | None,
        category: OrganizationCategory,
        kind: OrganizationType,
        home: Area | None,
        areas: list[Area],
        departement: str | None,
        area_departements: tuple[str, ...] = (),
        active: bool = True,
    ) -> OrgInfo:
        created = days_between(self.rng, PLATFORM_START, date(2025, 12, 31))
        model = Organization(
            id=self.ids.next(Organization),
            name=name,
            abbreviation=abbreviation,
            category=category,
            type=kind,
            location_level=home[0] if home else None,
            location_code=home[1] if home else None,
            active=active,
            created_at=office_time(self.rng, created),
        )
        self.rows.add(model)
        for level, code in areas:
            self.rows.add_values(
                InterventionArea,
                id=self.ids.next(InterventionArea),
                organization_id=model.id,
                user_id=None,
                level=level,
                code=code,
            )
        info = OrgInfo(
            model, departement, area_departements or ((departement,) if departement else ()),
            slug(abbreviation or name)[:40] + ".bidonvilles.example",
        )  # fmt: skip
        self.orgs.all.append(info)
        self.orgs.by_name[name] = info
        return info


def _state_services(factory: OrgFactory) -> None:
    for dep in ACTIVE_DEPARTEMENTS:
        code, of = dep.code, dep.of
        home: Area = (Level.DEPARTEMENT, code)
        orgs = factory.orgs

        def service(name: str, abbr: str, kind: OrganizationType, home: Area = home) -> OrgInfo:
            return factory.create(name, abbr, Cat.PUBLIC_SERVICE, kind, home, [home], home[1])

        orgs.prefecture[code] = service(f"Préfecture {of}", f"Préfecture {code}", Type.PREFECTURE)
        if code in DRIHL_DEPARTEMENTS:
            ddets_name = f"DRIHL – unité départementale {of}"
        elif code in {"971", "973", "974", "976"}:
            ddets_name = f"DEETS {of}"
        else:
            ddets_name = f"DDETS {of}"
        orgs.ddets[code] = service(ddets_name, f"DDETS {code}", Type.DDETS)
        orgs.police[code] = service(
            f"Direction interdépartementale de la police nationale {of}", f"DIPN {code}",
            Type.POLICE,
        )  # fmt: skip
        orgs.education[code] = service(
            f"Direction des services départementaux de l'Éducation nationale {of}",
            f"DSDEN {code}",
            Type.EDUCATION,
        )


def _regional_bodies(factory: OrgFactory, geo: Geography) -> None:
    regions = sorted({geo.region_of(d.code) for d in ACTIVE_DEPARTEMENTS})
    for region in regions:
        name = geo.regions[region]
        home: Area = (Level.REGION, region)
        factory.orgs.health[region] = factory.create(
            f"Agence régionale de santé {name}", f"ARS {name}", Cat.PUBLIC_SERVICE,
            Type.HEALTH_AGENCY, home, [home], None,
            tuple(d.code for d in ACTIVE_DEPARTEMENTS if geo.region_of(d.code) == region),
        )  # fmt: skip
        if region not in SINGLE_COLLECTIVITY_REGIONS:
            factory.create(
                f"Région {name}", None, Cat.LOCAL_AUTHORITY, Type.REGION, home, [home], None
            )
    for dep in ACTIVE_DEPARTEMENTS:
        home = (Level.DEPARTEMENT, dep.code)
        name = COLLECTIVITY_NAMES.get(dep.code, f"Conseil départemental {dep.of}")
        factory.create(
            name, f"CD {dep.code}", Cat.LOCAL_AUTHORITY, Type.DEPARTEMENT, home, [home], dep.code
        )


def _communes(factory: OrgFactory, geo: Geography, hosts: list[Place], count: int) -> None:
    # The communes hosting most sites get an account first; Toulouse always (persona).
    toulouse = [geo.place(PERSONA_COMMUNE)]
    others = [p for p in hosts if p.code != PERSONA_COMMUNE]
    for place in (toulouse + others)[:count]:
        prefix = "Ville de" if place.population >= 10_000 else "Commune de"
        home: Area = (Level.COMMUNE, place.code)
        name = TOULOUSE if place.code == PERSONA_COMMUNE else f"{prefix} {place.name}"
        factory.orgs.commune[place.code] = factory.create(
            name, None, Cat.LOCAL_AUTHORITY, Type.COMMUNE, home, [home], place.departement
        )


def _epcis(factory: OrgFactory, geo: Geography, hosts: list[Place], count: int) -> None:
    seen: list[str] = [TOULOUSE_METROPOLE]
    departement = {TOULOUSE_METROPOLE: PERSONA_DEPARTEMENT}
    for place in hosts:
        if place.epci and place.epci not in departement and place.epci in geo.epcis:
            seen.append(place.epci)
            departement[place.epci] = place.departement
    for code in seen[:count]:
        home: Area = (Level.EPCI, code)
        factory.create(
            geo.epcis[code], None, Cat.LOCAL_AUTHORITY, Type.EPCI, home, [home],
            departement[code],
        )  # fmt: skip


def _association_name(rng: random.Random, taken: set[str], geo: Geography, dep: str) -> str:
    seat = geo.by_code.get(ACTIVE_BY_CODE[dep].seat) or geo.communes[dep][0]
    of = ACTIVE_BY_CODE[dep].of
    for attempt in range(30):
        city = seat.name if attempt < 10 else geo.pick_commune(rng, dep).name
        if rng.random() < 0.25:
            name = rng.choice(NETWORK_MISSIONS).format(city=city, of=of)
        elif rng.random() < 0.5:
            name = f"{rng.choice(ASSOCIATION_STEMS)} {geo.departements[dep].name}"
        else:
            name = f"{rng.choice(ASSOCIATION_STEMS)} – {city}"
        if name not in taken:
            return name
    return f"{rng.choice(ASSOCIATION_STEMS)} {of} n° {len(taken)}"


def _associations(
    factory: OrgFactory, geo: Geography, site_counts: Counter[str], count: int
) -> None:
    rng = factory.rng
    persona = factory.create(
        PERSONA_ASSOCIATION, "ASG", Cat.ASSOCIATION, Type.ASSOCIATION,
        (Level.COMMUNE, PERSONA_COMMUNE), [(Level.DEPARTEMENT, PERSONA_DEPARTEMENT)],
        PERSONA_DEPARTEMENT,
    )  # fmt: skip
    factory.orgs.operators.setdefault(PERSONA_DEPARTEMENT, []).append(persona)
    codes = [d.code for d in ACTIVE_DEPARTEMENTS]
    per_departement = apportion(count - 1, [site_counts[c] + 0.5 for c in codes])
    taken = {PERSONA_ASSOCIATION}
    for dep, how_many in zip(codes, per_departement, strict=True):
        for _ in range(how_many):
            name = _association_name(rng, taken, geo, dep)
            taken.add(name)
            seat = geo.pick_commune(rng, dep)
            areas, departements = _association_areas(rng, geo, dep)
            info = factory.create(
                name, None, Cat.ASSOCIATION, Type.ASSOCIATION, (Level.COMMUNE, seat.code),
                areas, dep, departements, active=rng.random() > 0.04,
            )  # fmt: skip
            for area_dep in departements:
                factory.orgs.operators.setdefault(area_dep, []).append(info)


def _association_areas(
    rng: random.Random, geo: Geography, dep: str
) -> tuple[list[Area], tuple[str, ...]]:
    draw = rng.random()
    if draw < 0.2:
        # A small association working in a few communes only.
        codes = sorted({geo.pick_commune(rng, dep).code for _ in range(rng.randint(1, 3))})
        return [(Level.COMMUNE, code) for code in codes], (dep,)
    if draw < 0.35:
        region = geo.region_of(dep)
        neighbours = [
            d.code for d in ACTIVE_DEPARTEMENTS if d.code != dep and geo.region_of(d.code) == region
        ]
        if neighbours:
            other = rng.choice(neighbours)
            return [(Level.DEPARTEMENT, dep), (Level.DEPARTEMENT, other)], (dep, other)
    return [(Level.DEPARTEMENT, dep)], (dep,)


def _national(factory: OrgFactory, scale: Scale) -> None:
    nation: list[Area] = [(Level.NATION, None)]
    factory.create(
        DELEGATION_NAME, "DIHAL", Cat.CENTRAL_ADMINISTRATION, Type.NATIONAL_DELEGATION, None,
        nation, None,
    )  # fmt: skip
    for name, abbr in MINISTRIES:
        factory.create(name, abbr, Cat.CENTRAL_ADMINISTRATION, Type.MINISTRY, None, nation, None)
    for name, abbr in AGENCIES:
        factory.create(name, abbr, Cat.PUBLIC_SERVICE, Type.NATIONAL_AGENCY, None, nation, None)
    for name, dep in LABS[: scale.of(2, 1)]:
        if dep is None:
            factory.create(name, None, Cat.PUBLIC_SERVICE, Type.RESEARCH, None, nation, None)
        else:
            home: Area = (Level.DEPARTEMENT, dep)
            factory.create(name, "LHMT", Cat.PUBLIC_SERVICE, Type.RESEARCH, home, [home], dep)


def _companies(factory: OrgFactory, count: int) -> None:
    rng = factory.rng
    for index in range(count):
        dep = rng.choices(ACTIVE_DEPARTEMENTS, [d.weight for d in ACTIVE_DEPARTEMENTS])[0].code
        base = COMPANIES[index % len(COMPANIES)]
        name = base if index < len(COMPANIES) else f"{base} – agence {dep}"
        home: Area = (Level.DEPARTEMENT, dep)
        info = factory.create(name, None, Cat.PRIVATE, Type.COMPANY, home, [home], dep)
        factory.orgs.operators.setdefault(dep, []).append(info)


def build_organizations(
    rng: random.Random, ids: Ids, rows: Rows, geo: Geography, scale: Scale, placements: list[Place]
) -> Organizations:
    """``placements``: the commune of each site."""
    factory = OrgFactory(rng, ids, rows, Organizations())
    per_commune = Counter(p.code for p in placements)
    hosts = sorted(
        {p.code: p for p in placements}.values(), key=lambda p: (-per_commune[p.code], p.code)
    )
    _national(factory, scale)
    _state_services(factory)
    _regional_bodies(factory, geo)
    _communes(factory, geo, hosts, scale.of(170, 5))
    _epcis(factory, geo, hosts, scale.of(60, 3))
    site_counts = Counter(p.departement for p in placements)
    _associations(factory, geo, site_counts, scale.of(140, 10))
    _companies(factory, scale.of(5, 1))
    for required in (PREFECTURE_31, DDETS_31, TOULOUSE, ARS_OCCITANIE, RESEARCH_LAB):
        assert required in factory.orgs.by_name, required
    return factory.orgs
