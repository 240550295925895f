"""Counts per territory (open sites, people, minors…), aggregated in SQL per level.

``territory_counts`` counts what the caller may read (its ``site.read`` scope);
``public_counts`` counts every site, for the public statistics.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count, Sum

from hub.models import Site
from hub.models.enums import LocationLevel, SiteStatus
from permissions.principal import Principal
from permissions.rows import sites_q
from resolvers.batching import BatchLoad
from resolvers.sites.filters import SITE_LOCATION_COLUMNS, without_intervention_q

NATION_CODE = "FR"


@dataclass(frozen=True)
class TerritoryCounts:
    open_sites: int = 0
    people: int = 0
    minors: int = 0
    households: int = 0
    sites_without_intervention: int = 0


async def _grouped(
    level: LocationLevel, codes: list[str], today: datetime.date, scope: Q
) -> dict[str, Any]:
    open_sites = Site.filter(scope, status=SiteStatus.OPEN)
    if level is LocationLevel.NATION:
        column = None
    else:
        column = SITE_LOCATION_COLUMNS[level]
        open_sites = open_sites.filter(**{f"{column}__in": codes})
    totals = open_sites.annotate(
        n=Count("id"),
        people=Sum("population_total"),
        minors=Sum("population_minors"),
        households=Sum("population_households"),
    )
    lonely = open_sites.filter(without_intervention_q(today)).annotate(n=Count("id"))
    if column is None:
        rows = await totals.values("n", "people", "minors", "households")
        lonely_rows = await lonely.values("n")
        keyed = {NATION_CODE: (rows[0], lonely_rows[0]["n"])}
    else:
        rows = await totals.group_by(column).values(column, "n", "people", "minors", "households")
        lonely_counts = {
            row[column]: row["n"] for row in await lonely.group_by(column).values(column, "n")
        }
        keyed = {row[column]: (row, lonely_counts.get(row[column], 0)) for row in rows}
    return {
        code: TerritoryCounts(
            open_sites=row["n"] or 0,
            people=row["people"] or 0,
            minors=row["minors"] or 0,
            households=row["households"] or 0,
            sites_without_intervention=lonely_count,
        )
        for code, (row, lonely_count) in keyed.items()
    }


CountsKey = tuple[LocationLevel, str, datetime.date]


def territory_counts(principal: Principal) -> BatchLoad[CountsKey, Any]:
    """Keys are (level, code, today); two statements per level present in the batch."""
    return _counts(sites_q(principal))


def public_counts(_: Principal) -> BatchLoad[CountsKey, Any]:
    return _counts(Q())


def _counts(scope: Q) -> BatchLoad[CountsKey, Any]:
    async def load(keys: list[tuple[LocationLevel, str, datetime.date]]) -> list[TerritoryCounts]:
        by_level: dict[tuple[LocationLevel, datetime.date], list[str]] = {}
        for level, code, today in keys:
            by_level.setdefault((level, today), []).append(code)
        found: dict[tuple[LocationLevel, str], TerritoryCounts] = {}
        for (level, today), codes in by_level.items():
            for code, counts in (await _grouped(level, codes, today, scope)).items():
                found[(level, code)] = counts
        return [found.get((level, code), TerritoryCounts()) for level, code, _ in keys]

    return load
