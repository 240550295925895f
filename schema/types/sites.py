"""Sites and their field groups. Each group is a view over the same site row."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from strawberry.relay import to_base64
from strawberry.types import Info

from hub.models import Action as ActionRow
from hub.models import ParcelOwner as ParcelOwnerRow
from hub.models import Site as SiteRow
from hub.models import SiteActor as SiteActorRow
from hub.models import SiteClosingSolution as ClosingSolutionRow
from hub.models import SiteResorptionPhase as ResorptionPhaseRow
from hub.models.enums import (
    ActorTheme,
    CensusStatus,
    ClosedWithSolutions,
    ClosingSolution,
    ConditionStatus,
    ElectricityType,
    FieldType,
    HistorySubject,
    Origin,
    OwnerType,
    PoliceAssistanceStatus,
    ResorptionPhase,
    SiteStatus,
    ToiletType,
    TriState,
    WaterAccessType,
)
from permissions.capabilities import Capability
from permissions.territories import site_place
from resolvers import enums as _registered_enums  # noqa: F401  (registers the GraphQL enums)
from resolvers.actions.lists import SITES
from resolvers.actions.queries import action_groups_read_at
from resolvers.context import Context
from resolvers.history.as_of import day_of, end_of, loaded_by_day, mark, rebuilt_list
from resolvers.history.loaders import SITE_HISTORY, history_as_of
from resolvers.journal.loaders import journal_read_at
from resolvers.nodes import resolve_entity
from resolvers.organizations.loaders import organization_by_id, user_by_id
from resolvers.pagination import child_page
from resolvers.sites import loaders
from resolvers.sites.lists import ACTORS, PARCELS, PHASES, SOLUTIONS, past_actors, rebuilt_rows
from resolvers.sites.queries import sites_read_at
from resolvers.territories.loaders import (
    commune_by_code,
    departement_by_code,
    epci_by_code,
    region_by_code,
)
from schema.execution.batched import batched, loaded
from schema.gates import gated, holds
from schema.pagination import Connection
from schema.projection import Projection, reads, reads_below
from schema.rows import rows_of
from schema.types.refs import ActionRef, CommentRef, HistoryEntryRef, OrganizationRef, UserRef
from schema.types.territories import Commune, Departement, Epci, Region

Row = strawberry.Parent[SiteRow]


def _columns(*prefixes: str) -> tuple[str, ...]:
    """The site's columns starting with one of ``prefixes``."""
    return tuple(name for name in SiteRow._meta.fields_db_projection if name.startswith(prefixes))


# The columns a group of fields reads (schema.projection).
_LIVING_CONDITIONS = _columns("water_", "sanitation_", "electricity_", "waste_", "pests")
_LIVING_CONDITIONS += _columns("fire_prevention_")
_LEGAL_PROCEDURES = _columns("owner_complaint", "justice_", "police_", "bailiff")
_LEGAL_PROCEDURES += _columns("administrative_order", "insalubrity_order")
# Every selection of a site reads where it stands (its gates and audit do) and its id.
_SITE_PLACE = ("id", "region_code", "departement_code", "epci_code", "commune_scope_code")

_ORIGIN_FLAGS = (
    (Origin.FRENCH, "origin_french"),
    (Origin.EU, "origin_eu"),
    (Origin.NON_EU, "origin_non_eu"),
)


async def _commune_centre(site: SiteRow, info: Info[Context, None]) -> Any:
    return await info.context.loaders[commune_by_code].load(site.commune_id)


async def _centre_latitude(site: SiteRow, info: Info[Context, None]) -> float | None:
    commune = await _commune_centre(site, info)
    return commune.latitude if commune else None


async def _centre_longitude(site: SiteRow, info: Info[Context, None]) -> float | None:
    commune = await _commune_centre(site, info)
    return commune.longitude if commune else None


@strawberry.enum(description="How exact a site's coordinates are for the caller.")
class LocationPrecision(Enum):
    EXACT = "exact"
    COMMUNE_CENTRE = "commune_centre"


_CENTRE = "Callers without the capability get the commune centre (see locationPrecision)."


@strawberry.type(description="Where the site is.")
class SiteLocation:
    latitude: float | None = gated(
        Capability.SITE_LOCATION_EXACT, description=_CENTRE, fallback=_centre_latitude
    )
    longitude: float | None = gated(
        Capability.SITE_LOCATION_EXACT, description=_CENTRE, fallback=_centre_longitude
    )
    address: str | None = gated(Capability.SITE_LOCATION_EXACT)
    access_details: str | None = gated(
        Capability.SITE_LOCATION_EXACT, description="How to reach the site (free text)."
    )


@strawberry.type(description="Minors by age band.")
class MinorsByAge:
    from_0_to_3: int | None = strawberry.field(name="from0To3")
    from_3_to_6: int | None = strawberry.field(name="from3To6")
    from_6_to_12: int | None = strawberry.field(name="from6To12")
    from_12_to_16: int | None = strawberry.field(name="from12To16")
    from_16_to_18: int | None = strawberry.field(name="from16To18")


@strawberry.type(description="Dwellings counted on the site.")
class Dwellings:
    caravans: int | None
    huts: int | None
    tents: int | None
    cars: int | None
    mattresses: int | None


@strawberry.type(description="Counts only: residents are never stored individually.")
class SitePopulation:
    total: int | None
    households: int | None
    women: int | None
    minors: int | None
    minors_in_school: int | None
    counted_at: datetime.date | None
    _site: strawberry.Private[SiteRow]

    @strawberry.field
    def minors_by_age(self) -> MinorsByAge:
        site = self._site
        return MinorsByAge(
            from_0_to_3=site.minors_0_3,
            from_3_to_6=site.minors_3_6,
            from_6_to_12=site.minors_6_12,
            from_12_to_16=site.minors_12_16,
            from_16_to_18=site.minors_16_18,
        )

    @strawberry.field
    def dwellings(self) -> Dwellings:
        # strawberry reads the type's fields off the ORM row it is given.
        return self._site  # type: ignore[return-value]

    @strawberry.field(description="Origin groups recorded on the site.")
    def origins(self) -> list[Origin]:
        return [origin for origin, column in _ORIGIN_FLAGS if getattr(self._site, column)]


class PopulationView:
    """What ``SitePopulation`` reads: the figures, off the site's row when they are asked for
    (a list of sites fetches only the columns its selection reads: ``reads_below``)."""

    __slots__ = ("_site",)

    def __init__(self, site: SiteRow) -> None:
        self._site = site

    @property
    def total(self) -> int | None:
        return self._site.population_total

    @property
    def households(self) -> int | None:
        return self._site.population_households

    @property
    def women(self) -> int | None:
        return self._site.population_women

    @property
    def minors(self) -> int | None:
        return self._site.population_minors

    @property
    def minors_in_school(self) -> int | None:
        return self._site.minors_in_school

    @property
    def counted_at(self) -> datetime.date | None:
        return self._site.population_counted_at


@strawberry.type
class Census:
    status: CensusStatus
    date: datetime.date | None
    run_by: str | None


@strawberry.type
class WaterConditions:
    status: ConditionStatus
    access: TriState
    access_types: list[WaterAccessType]
    on_site: TriState
    within_200m: TriState = strawberry.field(name="within200m")
    continuous: TriState
    stagnant_water: TriState


@strawberry.type
class SanitationConditions:
    status: ConditionStatus
    open_defecation: TriState
    working_toilets: TriState
    toilet_types: list[ToiletType]
    lit_and_lockable: TriState
    hand_washing: TriState


@strawberry.type
class ElectricityConditions:
    status: ConditionStatus
    access: TriState
    types: list[ElectricityType]


@strawberry.type
class WasteConditions:
    status: ConditionStatus
    piling_up: TriState
    collection_nearby: TriState
    regular_collection: TriState


@strawberry.type
class PestConditions:
    status: ConditionStatus
    present: TriState


@strawberry.type
class FirePreventionConditions:
    status: ConditionStatus
    diagnosis_done: TriState


@strawberry.type(description="Answers per theme, each with a computed status.")
class LivingConditions:
    @strawberry.field
    def water(root: Row) -> WaterConditions:
        return WaterConditions(
            status=root.water_status,
            access=root.water_access,
            access_types=[WaterAccessType(t) for t in root.water_access_types],
            on_site=root.water_on_site,
            within_200m=root.water_within_200m,
            continuous=root.water_continuous,
            stagnant_water=root.water_stagnant,
        )

    @strawberry.field
    def sanitation(root: Row) -> SanitationConditions:
        return SanitationConditions(
            status=root.sanitation_status,
            open_defecation=root.sanitation_open_defecation,
            working_toilets=root.sanitation_working_toilets,
            toilet_types=[ToiletType(t) for t in root.sanitation_toilet_types],
            lit_and_lockable=root.sanitation_lit_and_lockable,
            hand_washing=root.sanitation_hand_washing,
        )

    @strawberry.field
    def electricity(root: Row) -> ElectricityConditions:
        return ElectricityConditions(
            status=root.electricity_status,
            access=root.electricity_access,
            types=[ElectricityType(t) for t in root.electricity_types],
        )

    @strawberry.field
    def waste(root: Row) -> WasteConditions:
        return WasteConditions(
            status=root.waste_status,
            piling_up=root.waste_piling,
            collection_nearby=root.waste_collection_nearby,
            regular_collection=root.waste_collection_regular,
        )

    @strawberry.field
    def pests(root: Row) -> PestConditions:
        return PestConditions(status=root.pests_status, present=root.pests)

    @strawberry.field
    def fire_prevention(root: Row) -> FirePreventionConditions:
        return FirePreventionConditions(
            status=root.fire_prevention_status, diagnosis_done=root.fire_prevention_diagnosis
        )


@strawberry.type(description="Legal procedures concerning the site (sensitive).")
class LegalProcedures:
    owner_complaint: TriState
    justice_procedure: TriState
    justice_decision: TriState = strawberry.field(description="An eviction decision was rendered.")
    justice_decision_date: datetime.date | None
    justice_court: str | None
    police_assistance: PoliceAssistanceStatus
    police_requested_at: datetime.date | None
    police_granted_at: datetime.date | None
    bailiff: str | None
    administrative_order: TriState
    administrative_order_date: datetime.date | None
    insalubrity_order: TriState
    insalubrity_order_date: datetime.date | None


@strawberry.type
class ParcelOwner:
    parcel: str | None
    owner_type: OwnerType
    owner_name: str | None
    is_type_of = rows_of(ParcelOwnerRow)


@strawberry.type(description="Who owns the land (sensitive, personal data).")
class Ownership:
    @strawberry.field
    def owner_type(root: Row) -> OwnerType:
        return root.owner_type

    @strawberry.field
    async def parcels(root: Row, info: Info[Context, None]) -> list[ParcelOwner]:
        if (rebuilt := rebuilt_rows(root, PARCELS)) is not None:
            return rebuilt
        return await info.context.loaders[loaders.parcel_owners_by_site].load(root.id)


@strawberry.type
class ClosingSolutionCount:
    solution: ClosingSolution
    people: int | None
    households: int | None
    is_type_of = rows_of(ClosingSolutionRow)


@strawberry.type
class SiteLifecycle:
    status: SiteStatus
    closed_at: datetime.date | None
    closed_with_solutions: ClosedWithSolutions | None
    closing_context: str | None

    @strawberry.field(description="People and households per solution, for closed sites.")
    async def solutions(root: Row, info: Info[Context, None]) -> list[ClosingSolutionCount]:
        if (rebuilt := rebuilt_rows(root, SOLUTIONS)) is not None:
            return rebuilt
        return await info.context.loaders[loaders.closing_solutions_by_site].load(root.id)


@strawberry.type
class ResorptionPhaseDates:
    phase: ResorptionPhase
    started_at: datetime.date | None
    completed_at: datetime.date | None
    is_type_of = rows_of(ResorptionPhaseRow)


@strawberry.type
class Resorption:
    @strawberry.field
    def target_year(root: Row) -> int | None:
        return root.resorption_target_year

    @strawberry.field
    async def phases(root: Row, info: Info[Context, None]) -> list[ResorptionPhaseDates]:
        if (rebuilt := rebuilt_rows(root, PHASES)) is not None:
            return rebuilt
        return await info.context.loaders[loaders.resorption_phases_by_site].load(root.id)


@strawberry.type(description="An organization (and optionally one of its users) acting on a site.")
class SiteActor:
    themes: list[ActorTheme]
    created_at: datetime.datetime | None = strawberry.field(
        description="Null on a site read at a past date for an entry withdrawn since."
    )
    is_type_of = rows_of(SiteActorRow)

    @strawberry.field(
        description="Identifies the entry for updateActor and withdrawActor; null on a site "
        "read at a past date for an entry withdrawn since."
    )
    def id(root: strawberry.Parent[SiteActorRow]) -> strawberry.ID | None:
        if root.id is None:
            return None
        return strawberry.ID(to_base64("SiteActor", root.id))

    @strawberry.field
    async def site(root: strawberry.Parent[SiteActorRow], info: Info[Context, None]) -> Site | None:
        found = await sites_read_at(info.context, [root.site_id], day_of(root))
        # strawberry reads the type's fields off the ORM row it is given.
        return found[0] if found else None  # type: ignore[return-value]

    organization: OrganizationRef | None = loaded(
        organization_by_id, "organization_id", OrganizationRef | None
    )
    user: UserRef | None = loaded(user_by_id, "user_id", UserRef | None)


async def _actors_of(roots: Sequence[SiteRow], context: Context) -> list[list[SiteActorRow]]:
    """Each site's actors; a site read at a past date gets them as they were then."""
    loaded = await loaded_by_day(
        context, loaders.actors_by_site, loaders.actors_declared_before, roots
    )
    return [
        rows
        if day is None
        else mark(past_actors(root.id, rebuilt_list(root, ACTORS) or [], rows, end_of(day)), day)
        for root, (rows, day) in zip(roots, loaded, strict=True)
    ]


async def _actions_of(roots: Sequence[SiteRow], context: Context) -> list[list[ActionRow]]:
    """Each site's actions, most recent first. For a site read at a past date, the links are
    those kept in the actions' history: each candidate is read at that day to tell."""
    loaded = await loaded_by_day(
        context, loaders.action_ids_by_site, loaders.action_ids_linked_since, roots
    )
    groups = [ids for ids, _ in loaded]
    days = [day for _, day in loaded]
    found = await action_groups_read_at(context, groups, days)
    for index, (root, day) in enumerate(zip(roots, days, strict=True)):
        if day is not None:
            linked = [
                action for action in found[index] if root.id in (rebuilt_list(action, SITES) or [])
            ]
            found[index] = sorted(
                linked, key=lambda action: (action.started_at, action.id), reverse=True
            )
    return found


@strawberry.federation.type(
    keys=["id"], description="A place where people live in huts, caravans, tents or a squat."
)
class Site(relay.Node):
    @classmethod
    async def resolve_reference(cls, info: Info[Context, None], id: strawberry.ID) -> Any:
        return await resolve_entity(info.context, id, "Site")

    id: relay.NodeID[int]
    version: int = strawberry.field(description="Send it back with updates (optimistic locking).")
    name: str | None
    field_type: FieldType
    declared_at: datetime.date | None
    installed_at: datetime.date | None
    is_reinstallation: bool
    updated_at: datetime.datetime
    confirmed_unchanged_at: datetime.datetime | None
    created_at: datetime.datetime
    is_type_of = rows_of(SiteRow)

    @strawberry.field
    @reads("status")
    def status(root: Row) -> SiteStatus:
        return root.status

    @gated(Capability.SITE_LOCATION_EXACT)
    @reads("address")
    def address(root: Row) -> str | None:
        return root.address

    @strawberry.field
    @reads("latitude", "longitude", "address", "access_details", "commune_id")
    def location(root: Row) -> SiteLocation:
        # strawberry reads the type's fields off the ORM row it is given.
        return root  # type: ignore[return-value]

    @strawberry.field(description="Whether location gives the exact place or the commune centre.")
    @reads()
    async def location_precision(root: Row, info: Info[Context, None]) -> LocationPrecision:
        exact = await holds(Capability.SITE_LOCATION_EXACT, root, info)
        return LocationPrecision.EXACT if exact else LocationPrecision.COMMUNE_CENTRE

    commune: Commune = loaded(commune_by_code, "commune_id", Commune)
    epci: Epci | None = loaded(epci_by_code, "epci_code", Epci | None)
    departement: Departement = loaded(departement_by_code, "departement_code", Departement)
    region: Region = loaded(region_by_code, "region_code", Region)

    @strawberry.field(description="The sites the residents came from, for a reinstallation.")
    @reads("id")
    async def reinstalled_from(root: Row, info: Info[Context, None]) -> list[Site]:
        # No write changes these links: today's are those of any date.
        ids = await info.context.loaders[loaders.origin_site_ids_by_site].load(root.id)
        # strawberry reads the type's fields off the ORM row it is given.
        return await sites_read_at(info.context, ids, day_of(root))  # type: ignore[return-value]

    @strawberry.field
    @reads_below(
        total=("population_total",),
        households=("population_households",),
        women=("population_women",),
        minors=("population_minors",),
        minorsInSchool=("minors_in_school",),
        countedAt=("population_counted_at",),
        minorsByAge=("minors_0_3", "minors_3_6", "minors_6_12", "minors_12_16", "minors_16_18"),
        dwellings=("caravans", "huts", "tents", "cars", "mattresses"),
        origins=tuple(column for _, column in _ORIGIN_FLAGS),
    )
    def population(root: Row) -> SitePopulation:
        # strawberry reads the type's fields off the view it is given.
        return PopulationView(root)  # type: ignore[return-value]

    @strawberry.field
    @reads("census_status", "census_date", "census_by")
    def census(root: Row) -> Census:
        return Census(status=root.census_status, date=root.census_date, run_by=root.census_by)

    @strawberry.field
    @reads(*_LIVING_CONDITIONS)
    def living_conditions(root: Row) -> LivingConditions:
        # strawberry reads the type's fields off the ORM row it is given.
        return root  # type: ignore[return-value]

    @gated(Capability.SITE_LEGAL_READ)
    @reads("has_legal_procedure")
    def has_legal_procedure(root: Row) -> bool | None:
        return root.has_legal_procedure

    @gated(Capability.SITE_LEGAL_READ)
    @reads(*_LEGAL_PROCEDURES)
    def legal_procedures(root: Row) -> LegalProcedures | None:
        # strawberry reads the type's fields off the ORM row it is given.
        return root  # type: ignore[return-value]

    @gated(Capability.SITE_OWNER_READ)
    @reads("id", "owner_type")
    def ownership(root: Row) -> Ownership | None:
        # strawberry reads the type's fields off the ORM row it is given.
        return root  # type: ignore[return-value]

    @strawberry.field
    @reads("id", "status", "closed_at", "closed_with_solutions", "closing_context")
    def lifecycle(root: Row) -> SiteLifecycle:
        # strawberry reads the type's fields off the ORM row it is given.
        return root  # type: ignore[return-value]

    @strawberry.field
    @reads("id", "resorption_target_year")
    def resorption(root: Row) -> Resorption:
        # strawberry reads the type's fields off the ORM row it is given.
        return root  # type: ignore[return-value]

    @strawberry.field(description="Not updated nor confirmed for HUB_OUT_OF_DATE_DAYS days.")
    @reads("updated_at", "confirmed_unchanged_at")
    def out_of_date(root: Row, info: Info[Context, None]) -> bool:
        days = info.context.settings.out_of_date_days
        limit = (day_of(root) or info.context.today) - datetime.timedelta(days=days)
        latest = max(filter(None, (root.updated_at, root.confirmed_unchanged_at)))
        return latest.date() < limit

    created_by: UserRef | None = loaded(user_by_id, "created_by_id", UserRef | None)
    updated_by: UserRef | None = loaded(user_by_id, "updated_by_id", UserRef | None)

    actors: list[SiteActor] = batched(
        _actors_of,
        list[SiteActor],
        description="Organizations and users acting on the site.",
        reads=("id",),
    )
    actions: list[ActionRef] = batched(
        _actions_of,
        list[ActionRef],
        description="Actions run on the site, most recent first.",
        reads=("id",),
    )

    @strawberry.field(
        description="Comments on the site, newest first. Read at a past date: those written "
        "by then and not deleted by then, where the site stood; a comment edited since is "
        "left out (its text then is not kept)."
    )
    @reads("id")
    async def journal(
        root: Row, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[CommentRef]:
        journal = journal_read_at(info.context.principal, "site_id", site_place(root), day_of(root))
        return Connection.of(await child_page(info, journal, root.id, first, after))

    @strawberry.field(
        description="Changes of the site, newest first; read at a past date, up to that date."
    )
    @reads("id")
    async def history(
        root: Row, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[HistoryEntryRef]:
        day = day_of(root)
        history = SITE_HISTORY if day is None else history_as_of(HistorySubject.SITE, day)
        return Connection.of(await child_page(info, history, root.id, first, after))


# The columns of the site rows a selection of sites reads.
SITE_COLUMNS = Projection("Site", SiteRow, _SITE_PLACE)
