"""The official geography: nation, régions, départements, EPCIs, communes."""

from __future__ import annotations

import datetime
from dataclasses import replace
from decimal import Decimal
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info
from tortoise.expressions import Q

from hub import geography
from hub.database import lookup
from hub.errors import BadUserInput
from hub.models import Action as ActionRow
from hub.models import Commune as CommuneRow
from hub.models import Departement as DepartementRow
from hub.models import Epci as EpciRow
from hub.models import Region as RegionRow
from hub.models import Site as SiteRow
from hub.models.enums import ActionTopic, ClosingSolution, LocationLevel, SiteStatus, Zone
from permissions.capabilities import Capability
from permissions.rows import actions_q, sites_q
from resolvers.context import Context, LoaderFactory
from resolvers.nodes import resolve_entity
from resolvers.pagination import Page, PageRequest, child_page, page_of
from resolvers.sites.filters import SITE_LOCATION_COLUMNS
from resolvers.territories import loaders
from resolvers.territories.queries import LEVEL_OF_ROW, NATION, actions_in, actions_of, sites_of
from resolvers.territories.queries import Nation as NationRow
from resolvers.territories.stats import (
    TerritoryCounts,
    action_figures,
    action_scope,
    closure_counts,
    evolution,
    grouped_counts,
    public_counts,
    site_scope,
    territory_counts,
)
from schema.execution.batched import loaded
from schema.gates import gated
from schema.pagination import Connection
from schema.rows import rows_of
from schema.scalars import GeoJSON
from schema.types.refs import ActionRef, SiteRef

PUBLIC_STATS_LEVELS = (LocationLevel.NATION, LocationLevel.REGION, LocationLevel.DEPARTEMENT)


def _share(part: str) -> Any:
    def share(root: strawberry.Parent[TerritoryCounts]) -> float | None:
        return getattr(root, part) / root.open_sites if root.open_sites else None

    return strawberry.field(
        resolver=share, description=f"Share of the open sites {_SHARES[part]} (0 to 1)."
    )


_SHARES = {
    "with_water": "with access to water",
    "with_electricity": "with access to electricity",
    "with_waste_collection": "with a regular waste collection",
    "with_toilets": "with working toilets",
}


@strawberry.type(description="The open sites of a territory: counts and shares.")
class TerritoryStats:
    open_sites: int
    people: int
    minors: int
    minors_in_school: int
    households: int
    sites_without_intervention: int = strawberry.field(
        description="Open sites with no actor and no current action."
    )
    sites_with_actions: int = strawberry.field(description="Open sites linked to an action.")
    sites_out_of_date: int = strawberry.field(
        description="Open sites neither updated nor confirmed for HUB_OUT_OF_DATE_DAYS days."
    )
    share_with_water: float | None = _share("with_water")
    share_with_electricity: float | None = _share("with_electricity")
    share_with_waste_collection: float | None = _share("with_waste_collection")
    share_with_toilets: float | None = _share("with_toilets")
    sites_with_legal_procedure: int | None = gated(
        Capability.SITE_LEGAL_READ, description="Open sites with a known legal procedure."
    )


@strawberry.type(description="Hexagone or Outre-mer, and the statistics of its open sites.")
class ZoneStats:
    zone: Zone
    stats: TerritoryStats


@strawberry.type(description="One sub-territory and the statistics of its open sites.")
class ChildStats:
    territory: Territory
    stats: TerritoryStats


@strawberry.type
class StatusCount:
    status: SiteStatus
    sites: int


@strawberry.type
class SolutionCount:
    solution: ClosingSolution
    people: int
    households: int


@strawberry.type(description="Sites closed in a period, and where their residents went.")
class ClosureStats:
    closed_sites: int
    resorbed_sites: int
    by_status: list[StatusCount]
    solutions: list[SolutionCount] = strawberry.field(
        description="People and households per solution, over the sites closed in the period."
    )


@strawberry.type
class Change:
    before: int
    after: int


@strawberry.type(description="Open sites and their residents at two dates, from the history.")
class Evolution:
    open_sites: Change
    people: Change
    minors: Change
    households: Change


@strawberry.type(description="Actions of one topic running in one year, added up.")
class ActionStats:
    topic: ActionTopic
    year: int
    actions: int
    people: int = strawberry.field(description="People reached, from the yearly indicators.")
    households: int
    women: int
    minors: int
    health_followup: int = strawberry.field(description="People with a health follow-up.")
    employment_training: int = strawberry.field(description="People in employment or training.")
    sheltered_people: int
    housed_people: int
    minors_school_age: int
    planned_amount: Decimal | None = gated(Capability.ACTION_FINANCES_READ)
    spent_amount: Decimal | None = gated(Capability.ACTION_FINANCES_READ)


def _scope_code(row: Any) -> str:
    # Scopes and statistics see an arrondissement as its city.
    return str(row.scope_code if isinstance(row, CommuneRow) else row.code)


def _within(level: LocationLevel, code: str) -> Q:
    return Q() if level is LocationLevel.NATION else lookup(SITE_LOCATION_COLUMNS[level], code)


# Each level's sub-territories in the children breakdown.
_CHILD_LEVEL = {
    LocationLevel.NATION: LocationLevel.REGION,
    LocationLevel.REGION: LocationLevel.DEPARTEMENT,
    LocationLevel.DEPARTEMENT: LocationLevel.COMMUNE,
    LocationLevel.EPCI: LocationLevel.COMMUNE,
}
_BY_CODE: dict[LocationLevel, LoaderFactory] = {
    LocationLevel.REGION: loaders.region_by_code,
    LocationLevel.DEPARTEMENT: loaders.departement_by_code,
    LocationLevel.COMMUNE: loaders.commune_by_code,
}


@strawberry.interface(description="A territory of the official geography (INSEE codes).")
class Territory:
    code: str
    name: str

    @strawberry.field
    def level(root: strawberry.Parent[Any]) -> LocationLevel:
        return LEVEL_OF_ROW[type(root)]

    @gated(
        Capability.STATS_READ,
        description="Statistics of the open sites of the territory on which the caller "
        "holds stats.read and site.read (a gated figure: its capability as well).",
    )
    async def stats(
        root: strawberry.Parent[Any], info: Info[Context, None]
    ) -> TerritoryStats | None:
        context = info.context
        days = context.settings.out_of_date_days
        key = (LEVEL_OF_ROW[type(root)], root.code, context.today, days)
        counts = await context.loaders[territory_counts].load(key)
        return replace(counts, territory=root)

    @gated(
        Capability.STATS_READ,
        description="The same statistics for each sub-territory with open sites they count "
        "(régions of France, départements of a région, communes of a département or an "
        "EPCI), computed in SQL.",
    )
    async def children_stats(
        root: strawberry.Parent[Any], info: Info[Context, None]
    ) -> list[ChildStats] | None:
        context = info.context
        level = LEVEL_OF_ROW[type(root)]
        child_level = _CHILD_LEVEL.get(level)
        if child_level is None:
            return []
        scope = site_scope(context.principal).within(_within(level, _scope_code(root)))
        grouped = await grouped_counts(
            SITE_LOCATION_COLUMNS[child_level], None, scope, context.today,
            context.settings.out_of_date_days,
        )  # fmt: skip
        codes = sorted(code for code in grouped if code is not None)
        rows = await context.loaders[_BY_CODE[child_level]].load_many(codes)
        return [
            # the territory is the ORM row; strawberry reads the type's fields off it.
            ChildStats(territory=row, stats=replace(grouped[code], territory=row))  # type: ignore[arg-type]
            for code, row in zip(codes, rows, strict=True)
            if row is not None
        ]

    @gated(
        Capability.STATS_READ,
        description="Sites closed between two days (both included), among those on which "
        "the caller holds stats.read and site.read.",
    )
    async def closures(
        root: strawberry.Parent[Any],
        info: Info[Context, None],
        since: datetime.date,
        until: datetime.date,
    ) -> ClosureStats | None:
        if since > until:
            raise BadUserInput("`since` is after `until`.", argument="since")
        level = LEVEL_OF_ROW[type(root)]
        scope = site_scope(info.context.principal).within(_within(level, _scope_code(root)))
        counts = await closure_counts(scope, since, until)
        return ClosureStats(
            closed_sites=sum(counts.by_status.values()),
            resorbed_sites=counts.by_status.get(SiteStatus.RESORBED.value, 0),
            by_status=[
                StatusCount(status=SiteStatus(status), sites=n)
                for status, n in sorted(counts.by_status.items())
            ],
            solutions=[
                SolutionCount(solution=ClosingSolution(name), people=people, households=homes)
                for name, (people, homes) in sorted(counts.solutions.items())
            ],
        )

    @gated(
        Capability.STATS_READ,
        description="Open sites, people, minors and households at the end of two days, "
        "rebuilt from the history, among the sites on which the caller holds stats.read and "
        "site.read.",
    )
    async def evolution(
        root: strawberry.Parent[Any],
        info: Info[Context, None],
        since: datetime.date,
        until: datetime.date,
    ) -> Evolution | None:
        if since > until:
            raise BadUserInput("`since` is after `until`.", argument="since")
        if until > info.context.today:
            raise BadUserInput("`until` cannot be in the future.", argument="until")
        level = LEVEL_OF_ROW[type(root)]
        scope = site_scope(info.context.principal).within(_within(level, _scope_code(root)))
        changes = await evolution(scope, since, until)
        return Evolution(**{name: Change(before=b, after=a) for name, (b, a) in changes.items()})

    @gated(
        Capability.STATS_READ,
        description="The actions of the territory on which the caller holds stats.read and "
        "action.read, per topic and year: their number and indicators; their finances, over "
        "those on which it holds action.finances.read as well.",
    )
    async def action_stats(
        root: strawberry.Parent[Any], info: Info[Context, None]
    ) -> list[ActionStats] | None:
        level = LEVEL_OF_ROW[type(root)]
        scope = action_scope(info.context.principal, actions_in(level, _scope_code(root)))
        return [
            # the territory is the ORM row; strawberry reads the type's fields off it.
            replace(figures, territory=root)  # type: ignore[misc]
            for figures in await action_figures(scope)
        ]

    @strawberry.field(
        description="Public counts of all sites, for anyone: nation, régions and départements "
        "only (null below, where counts would point at single sites)."
    )
    async def public_stats(
        root: strawberry.Parent[Any], info: Info[Context, None]
    ) -> TerritoryStats | None:
        level = LEVEL_OF_ROW[type(root)]
        if level not in PUBLIC_STATS_LEVELS:
            return None
        context = info.context
        key = (level, root.code, context.today, context.settings.out_of_date_days)
        counts = await context.loaders[public_counts].load(key)
        return replace(counts, territory=root)

    @strawberry.field(description="Sites of the territory, most recently updated first.")
    async def sites(
        root: strawberry.Parent[Any],
        info: Info[Context, None],
        statuses: list[SiteStatus] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[SiteRef]:
        context = info.context
        wanted = tuple(sorted(set(statuses or [SiteStatus.OPEN])))
        level = LEVEL_OF_ROW[type(root)]
        if level is LocationLevel.NATION:
            request = PageRequest.parse(context.settings, first, after)
            query = SiteRow.filter(sites_q(context.principal), status__in=list(wanted))
            return Connection.of(await page_of(query, request, ["-updated_at", "-id"]))
        code = root.scope_code if isinstance(root, CommuneRow) else root.code
        children = sites_of(level, wanted)
        page = await child_page(info, children, code, first, after)
        return Connection.of(page)

    @strawberry.field(description="Actions in the territory, most recently started first.")
    async def actions(
        root: strawberry.Parent[Any],
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ActionRef]:
        context = info.context
        level = LEVEL_OF_ROW[type(root)]
        if level is LocationLevel.NATION:
            request = PageRequest.parse(context.settings, first, after)
            actions = ActionRow.filter(actions_q(context.principal))
            return Connection.of(await page_of(actions, request, ["-started_at", "-id"]))
        code = root.scope_code if isinstance(root, CommuneRow) else root.code
        children = actions_of(level)
        page = await child_page(info, children, code, first, after)
        return Connection.of(page)

    @strawberry.field(description="The territories one level down.")
    async def children(
        root: strawberry.Parent[Any],
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Territory]:
        context = info.context
        if isinstance(root, NationRow):
            request = PageRequest.parse(context.settings, first, after)
            return Connection.of(await page_of(RegionRow.all(), request, ["code"]))
        if isinstance(root, CommuneRow):
            return Connection.of(await _arrondissements_page(context, root, first, after))
        children = {
            RegionRow: loaders.DEPARTEMENTS_OF_REGION,
            DepartementRow: loaders.COMMUNES_OF_DEPARTEMENT,
            EpciRow: loaders.COMMUNES_OF_EPCI,
        }[type(root)]
        page = await child_page(info, children, root.code, first, after)
        return Connection.of(page)


async def _arrondissements_page(
    context: Context, root: CommuneRow, first: int | None, after: str | None
) -> Page[CommuneRow]:
    page = PageRequest.parse(context.settings, first, after)
    rows = await context.loaders[loaders.arrondissements_of_commune].load(root.code)
    chunk = rows[page.offset : page.offset + page.first]

    async def count() -> int:
        return len(rows)

    return Page(chunk, page.offset, page.offset + page.first < len(rows), count)


@strawberry.interface(
    description="A territory with a place on the map: its centre and its simplified outline "
    "(régions, départements, EPCIs, communes)."
)
class Mapped:
    latitude: float | None = strawberry.field(
        description="Latitude of the territory's centre (WGS 84): a point inside it, the town "
        "hall for most communes, the chef-lieu for départements and régions."
    )
    longitude: float | None = strawberry.field(
        description="Longitude of the territory's centre (WGS 84)."
    )

    @strawberry.field(
        description="The territory's outline, simplified for maps (to about 100 m for a "
        "commune, 200 m for an EPCI, 300 m for a département, 500 m for a région), as a "
        "GeoJSON MultiPolygon; null if the hub has none."
    )
    async def outline(root: strawberry.Parent[Any], info: Info[Context, None]) -> GeoJSON | None:
        key = (LEVEL_OF_ROW[type(root)].value, root.code)
        found = await info.context.loaders[loaders.outline_by_key].load(key)
        return None if found is None else GeoJSON(geography.as_geojson(found.shape()))


class CodeNode(relay.Node):
    """Territories are identified by their INSEE code (SIREN for EPCIs)."""

    @classmethod
    def resolve_id(cls, root: Any, *, info: Info[Context, None]) -> str:
        return root.code


@strawberry.federation.type(keys=["id"], description="France as a whole.")
class Nation(Territory, CodeNode):
    @classmethod
    async def resolve_reference(cls, info: Info[Context, None], id: strawberry.ID) -> Any:
        return await resolve_entity(info.context, id, "Nation")

    is_type_of = rows_of(NationRow)

    @gated(
        Capability.STATS_READ,
        description="The statistics of Hexagone (metropolitan France) and of Outre-mer.",
    )
    async def zone_stats(
        root: strawberry.Parent[Any], info: Info[Context, None]
    ) -> list[ZoneStats] | None:
        context = info.context
        grouped = await grouped_counts(
            "overseas", None, site_scope(context.principal), context.today,
            context.settings.out_of_date_days,
        )  # fmt: skip
        return [
            ZoneStats(
                zone=zone,
                # Grouped by the boolean overseas column; grouped_counts types its keys as codes.
                stats=replace(grouped.get(overseas, TerritoryCounts()), territory=root),  # type: ignore[call-overload]
            )
            for zone, overseas in ((Zone.HEXAGONE, False), (Zone.OUTRE_MER, True))
        ]


@strawberry.federation.type(keys=["id"])
class Region(Territory, Mapped, CodeNode):
    @classmethod
    async def resolve_reference(cls, info: Info[Context, None], id: strawberry.ID) -> Any:
        return await resolve_entity(info.context, id, "Region")

    overseas: bool
    is_type_of = rows_of(RegionRow)

    @strawberry.field
    def nation(self) -> Nation:
        # strawberry reads the type's fields off the ORM row it is given.
        return NATION  # type: ignore[return-value]


@strawberry.federation.type(keys=["id"])
class Departement(Territory, Mapped, CodeNode):
    @classmethod
    async def resolve_reference(cls, info: Info[Context, None], id: strawberry.ID) -> Any:
        return await resolve_entity(info.context, id, "Departement")

    overseas: bool
    is_type_of = rows_of(DepartementRow)

    region: Region = loaded(loaders.region_by_code, "region_id", Region)


@strawberry.federation.type(
    keys=["id"], description="An intercommunality (EPCI), identified by its SIREN."
)
class Epci(Territory, Mapped, CodeNode):
    @classmethod
    async def resolve_reference(cls, info: Info[Context, None], id: strawberry.ID) -> Any:
        return await resolve_entity(info.context, id, "Epci")

    kind: str = strawberry.field(description="CC, CA, CU or METRO.")
    is_type_of = rows_of(EpciRow)

    @strawberry.field(description="An EPCI may span several départements.")
    async def departements(
        root: strawberry.Parent[EpciRow], info: Info[Context, None]
    ) -> list[Departement]:
        codes = await info.context.loaders[loaders.departements_of_epci].load(root.code)
        return await info.context.loaders[loaders.departement_by_code].load_many(codes)


@strawberry.federation.type(
    keys=["id"], description="A commune, or a municipal arrondissement of Paris, Lyon, Marseille."
)
class Commune(Territory, Mapped, CodeNode):
    @classmethod
    async def resolve_reference(cls, info: Info[Context, None], id: strawberry.ID) -> Any:
        return await resolve_entity(info.context, id, "Commune")

    population: int | None
    is_type_of = rows_of(CommuneRow)

    departement: Departement = loaded(loaders.departement_by_code, "departement_id", Departement)
    region: Region = loaded(loaders.region_by_code, "region_id", Region)
    epci: Epci | None = loaded(loaders.epci_by_code, "epci_id", Epci | None)

    @strawberry.field(description="For an arrondissement, the commune it belongs to.")
    async def main_commune(
        root: strawberry.Parent[CommuneRow], info: Info[Context, None]
    ) -> Commune | None:
        if root.main_commune_id is None:
            return None
        return await info.context.loaders[loaders.commune_by_code].load(root.main_commune_id)

    @strawberry.field
    async def arrondissements(
        root: strawberry.Parent[CommuneRow], info: Info[Context, None]
    ) -> list[Commune]:
        return await info.context.loaders[loaders.arrondissements_of_commune].load(root.code)
