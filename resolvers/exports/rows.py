"""The rows of the exports, read in chunks so that a large export never sits in memory.

An export lists what the caller may read (``site.read`` / ``action.read``) where it may
export (``export.sites`` / ``export.actions``), matching the same filters as the GraphQL
lists. Rows are read by increasing id, ``CHUNK`` at a time, with what they need from other
tables in one query per chunk. A gated group's cells are filled on the rows where the field
gates would show the same data (``resolvers.decisions.decide``, asked for a whole chunk at
once). With ``as_of``, each chunk is rebuilt at that date as ``asOf`` rebuilds an object
(lists included), and a row the caller could not read or export where it stood then is left
out. When the export ends (or the client goes away), it is written to the audit log with
the ids of the rows sent (an ``AuditBatch``). The sites' map (``site_features``) reads the
same rows, with the same scope, dates and audit, as GeoJSON features (``features``).

A list's export is a ``Table``: its column groups and its rows of cells (``columns``), with
the names of the territories beside their codes (one query per level and chunk) and, where the
hub serves GraphiQL, a link that opens each row there.
"""

from __future__ import annotations

import asyncio
import datetime
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, TypeVar

from hub.models import (
    Action,
    ActionFinance,
    ActionIndicators,
    ActionTopicLink,
    Commune,
    Departement,
    Epci,
    ParcelOwner,
    Region,
    Site,
)
from hub.models.enums import AuditKind, HistorySubject
from permissions.capabilities import Capability, Level
from permissions.principal import Principal
from permissions.rows import actions_q, sites_q
from permissions.territories import Place, action_place, site_place
from resolvers.actions.filters import action_filter_q
from resolvers.actions.lists import FINANCES, INDICATOR_ROWS, SITES, TOPICS, lists_of_actions
from resolvers.actions.lists import rebuilt as rebuilt_action_list
from resolvers.audit.entries import AuditBatch
from resolvers.context import Context, Loaders
from resolvers.decisions import decided
from resolvers.exports.columns import ACTION_GROUPS, SITE_GROUPS, Cell, Group
from resolvers.exports.features import Feature, commune_centres, feature
from resolvers.filters import ActionFilter, SiteFilter
from resolvers.history.as_of import rebuilt_list, rewind
from resolvers.pagination import linked_ids_loader
from resolvers.sites.filters import site_filter_q
from resolvers.sites.lists import PARCELS, lists_of_sites

CHUNK = 500
TERRITORIES = {"communes": Commune, "epcis": Epci, "departements": Departement, "regions": Region}


@dataclass(frozen=True)
class Table:
    """An export of a list: its column groups, and its rows (one cell per column)."""

    groups: tuple[Group, ...]
    rows: AsyncIterator[list[Cell]]


def groups_for(
    principal: Principal, groups: tuple[Group, ...], graphiql: str | None
) -> tuple[Group, ...]:
    """The groups the caller may read somewhere (the others are left out), without the
    link columns when there is no GraphiQL to open."""
    return tuple(
        replace(g, columns=tuple(c for c in g.columns if graphiql is not None or not c.link))
        for g in groups
        if g.capability is None or principal.grant(g.capability).level is not Level.NEVER
    )


async def _names(rows: list[Any], **codes: str) -> dict[str, dict[str, str]]:
    """For each level of ``TERRITORIES`` named, the names of the territories whose codes the
    rows hold in the attribute given: one query per level."""
    names: dict[str, dict[str, str]] = {}
    for level, attribute in codes.items():
        wanted = {getattr(row, attribute) for row in rows} - {None}
        found = await TERRITORIES[level].filter(code__in=wanted).values_list("code", "name")
        names[level] = dict(found)
    return names


async def _readable(
    principal: Principal, gated: tuple[Capability, ...], rows: list[Any]
) -> list[set[Capability]]:
    """Per row, the capabilities of ``gated`` the caller holds on it. The loaders are the
    chunk's own: one query per loader for the whole chunk, nothing kept after it."""
    loaders = Loaders(principal)

    async def held(row: Any) -> set[Capability]:
        return {capability for capability in gated if await decided(capability, row, loaders)}

    return await asyncio.gather(*(held(row) for row in rows))


T = TypeVar("T")
# What a row becomes (a list of cells, a feature), from the row, its chunk's extras and the
# gated capabilities the caller holds on it.
Build = Callable[[Any, dict[str, Any], set[Capability]], T]


def _cells(groups: tuple[Group, ...]) -> Build[list[Cell]]:
    """A row's cells; a gated group's are empty where the caller may not read it."""

    def build(row: Any, extras: dict[str, Any], capabilities: set[Capability]) -> list[Cell]:
        return [
            column.cell(row, extras)
            if group.capability is None or group.capability in capabilities
            else None
            for group in groups
            for column in group.columns
        ]

    return build


def _gated(groups: tuple[Group, ...]) -> tuple[Capability, ...]:
    return tuple(group.capability for group in groups if group.capability is not None)


async def _stream(
    context: Context,
    queryset: Any,
    rewound: Callable[[list[Any], datetime.date], Awaitable[list[Any]]],
    gated: tuple[Capability, ...],
    place: Callable[[Any], Place],
    extras_of: Callable[[list[Any]], Any],
    as_of: datetime.date | None,
    operation: str,
    subject_type: str,
    build: Build[T],
) -> AsyncIterator[T]:
    sent = AuditBatch(AuditKind.EXPORT)
    last = 0
    try:
        while True:
            rows = await queryset.filter(id__gt=last).order_by("id").limit(CHUNK)
            if not rows:
                break
            last = rows[-1].id
            if as_of is not None:
                rows = await rewound(rows, as_of)
            extras = await extras_of(rows)
            held = await _readable(context.principal, gated, rows)
            for row, capabilities in zip(rows, held, strict=True):
                sent.record(operation, subject_type, row.id, place(row))
                yield build(row, extras, capabilities)
    finally:
        await sent.write(context.principal, empty=(operation, subject_type))


async def _sites(
    context: Context, site_filter: SiteFilter | None
) -> tuple[Any, Callable[[list[Any], datetime.date], Awaitable[list[Any]]]]:
    """The sites an export sends (read where the caller may export them, matching the
    filter), and how a chunk of them is rebuilt at a past date."""
    principal = context.principal
    query = await site_filter_q(site_filter, context.settings, context.today, principal)
    queryset = Site.filter(sites_q(principal), sites_q(principal, Capability.EXPORT_SITES), query)

    def exportable(site: Site) -> bool:
        return all(
            principal.can(capability, site_place(site))
            for capability in (Capability.SITE_READ, Capability.EXPORT_SITES)
        )

    return queryset, partial(rewind, Site, HistorySubject.SITE, lists_of_sites, exportable)


async def site_rows(
    context: Context,
    site_filter: SiteFilter | None,
    as_of: datetime.date | None,
    graphiql: str | None,
) -> Table:
    """The sites' export; ``graphiql``, the address of the hub's GraphiQL, if it serves one."""
    queryset, rewound = await _sites(context, site_filter)

    async def extras_of(rows: list[Site]) -> dict[str, Any]:
        names = await _names(
            rows, communes="commune_id", epcis="epci_code", departements="departement_code",
            regions="region_code",
        )  # fmt: skip
        owners: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
        for owner in await ParcelOwner.filter(site_id__in=[r.id for r in rows]).order_by("id"):
            owners[owner.site_id].append({"parcel": owner.parcel, "owner_name": owner.owner_name})
        for row in rows:  # parcel owners as they were, for an export at a past date
            if (then := rebuilt_list(row, PARCELS)) is not None:
                owners[row.id] = then
        return {**names, "owners": owners, "graphiql": graphiql}

    groups = groups_for(context.principal, SITE_GROUPS, graphiql)
    return Table(groups, _stream(
        context, queryset, rewound, _gated(groups), site_place, extras_of, as_of,
        "export.sites", "site", _cells(groups),
    ))  # fmt: skip


async def site_features(
    context: Context, site_filter: SiteFilter | None, as_of: datetime.date | None
) -> AsyncIterator[Feature]:
    """The rows of ``site_rows`` as GeoJSON features (``features``): the same sites, dates and
    audit; each at its exact place where the caller holds ``site.location.exact`` on it (the
    decision of the GraphQL field and of the CSV's columns), else at its commune's centre."""
    queryset, rewound = await _sites(context, site_filter)
    async for value in _stream(
        context, queryset, rewound, (Capability.SITE_LOCATION_EXACT,), site_place,
        commune_centres, as_of, "export.sites", "site", feature,
    ):  # fmt: skip
        yield value


async def action_rows(
    context: Context,
    action_filter: ActionFilter | None,
    as_of: datetime.date | None,
    graphiql: str | None,
) -> Table:
    """The actions' export; ``graphiql`` as for ``site_rows``."""
    principal = context.principal
    query = await action_filter_q(action_filter)
    queryset = Action.filter(
        actions_q(principal), actions_q(principal, Capability.EXPORT_ACTIONS), query
    )
    sites_of = linked_ids_loader(Site, "actions")

    async def extras_of(rows: list[Action]) -> dict[str, Any]:
        ids = [row.id for row in rows]
        topics: defaultdict[int, list[str]] = defaultdict(list)
        for link in await ActionTopicLink.filter(action_id__in=ids).order_by("topic"):
            topics[link.action_id].append(str(link.topic))
        finances: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in await ActionFinance.filter(action_id__in=ids).values(
            "action_id", "year", "planned_amount", "spent_amount"
        ):
            finances[row["action_id"]].append(row)
        sites = dict(zip(ids, await sites_of(ids), strict=True))
        indicators: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in (
            await ActionIndicators.filter(action_id__in=ids)
            .order_by("year")
            .values("action_id", "year", "people", "households", "minors")
        ):
            indicators[row["action_id"]].append(row)
        for action in rows:  # the lists as they were, for an export at a past date
            if (then := rebuilt_action_list(action, TOPICS)) is not None:
                topics[action.id] = then
                sites[action.id] = rebuilt_action_list(action, SITES) or []
                finances[action.id] = [
                    {"year": f.year, "planned_amount": f.planned_amount,
                     "spent_amount": f.spent_amount}
                    for f in rebuilt_action_list(action, FINANCES) or []
                ]  # fmt: skip
                indicators[action.id] = [
                    {"year": i.year, "people": i.people, "households": i.households,
                     "minors": i.minors}
                    for i in rebuilt_action_list(action, INDICATOR_ROWS) or []
                ]  # fmt: skip
        names = await _names(rows, departements="departement_id", regions="region_code")
        return {
            **names, "topics": topics, "finances": finances, "sites": sites,
            "indicators": indicators, "graphiql": graphiql,
        }  # fmt: skip

    def exportable(action: Action) -> bool:
        return all(
            principal.can(capability, action_place(action))
            for capability in (Capability.ACTION_READ, Capability.EXPORT_ACTIONS)
        )

    rewound = partial(rewind, Action, HistorySubject.ACTION, lists_of_actions, exportable)
    groups = groups_for(principal, ACTION_GROUPS, graphiql)
    return Table(groups, _stream(
        context, queryset, rewound, _gated(groups), action_place, extras_of, as_of,
        "export.actions", "action", _cells(groups),
    ))  # fmt: skip
