"""Counts per territory (open sites, people, minors…), aggregated in SQL per level.

``territory_counts`` counts what the caller may read (its ``site.read`` scope);
``public_counts`` counts every site, for the public statistics.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count, Sum

from hub.models import (
    Action,
    ActionFinance,
    ActionIndicators,
    HistoryEntry,
    Site,
    SiteClosingSolution,
)
from hub.models.enums import HistoryOperation, HistorySubject, LocationLevel, SiteStatus, TriState
from permissions.principal import Principal
from permissions.rows import sites_q
from resolvers.batching import BatchLoad
from resolvers.history.as_of import end_of
from resolvers.sites.filters import SITE_LOCATION_COLUMNS, stale_q, without_intervention_q

NATION_CODE = "FR"


@dataclass(frozen=True)
class TerritoryCounts:
    open_sites: int = 0
    people: int = 0
    minors: int = 0
    minors_in_school: int = 0
    households: int = 0
    sites_without_intervention: int = 0
    sites_with_actions: int = 0
    sites_out_of_date: int = 0
    with_water: int = 0
    with_electricity: int = 0
    with_waste_collection: int = 0
    with_toilets: int = 0
    sites_with_legal_procedure: int = 0
    # The territory counted, for the checks of gated counts (set by the type, not the loader).
    territory: Any = None


_SUMS = {
    "people": "population_total",
    "minors": "population_minors",
    "minors_in_school": "minors_in_school",
    "households": "population_households",
}


def _conditions(today: datetime.date, out_of_date_days: int) -> dict[str, Q]:
    """What each conditional count counts among a territory's open sites."""
    with_actions = Subquery(Action.filter(sites__id__isnull=False).values("sites__id"))
    return {
        "sites_without_intervention": without_intervention_q(today),
        "sites_with_actions": Q(id__in=with_actions),
        "sites_out_of_date": stale_q(today - datetime.timedelta(days=out_of_date_days)),
        "with_water": Q(water_access=TriState.YES),
        "with_electricity": Q(electricity_access=TriState.YES),
        "with_waste_collection": Q(waste_collection_regular=TriState.YES),
        "with_toilets": Q(sanitation_working_toilets=TriState.YES),
        "sites_with_legal_procedure": Q(has_legal_procedure=True),
    }


async def grouped_counts(
    column: str | None,
    codes: list[str] | None,
    within: Q,
    today: datetime.date,
    out_of_date_days: int,
) -> dict[str | None, TerritoryCounts]:
    """Counts of the open sites matching ``within``, per value of ``column`` (limited to
    ``codes`` when given; one row for all when ``column`` is None): one statement."""
    sites = Site.filter(within, status=SiteStatus.OPEN)
    if column is not None and codes is not None:
        sites = sites.filter(**{f"{column}__in": codes})
    counts = {
        name: Count("id", _filter=q) for name, q in _conditions(today, out_of_date_days).items()
    }
    annotated = sites.annotate(
        open_sites=Count("id"), **{name: Sum(c) for name, c in _SUMS.items()}, **counts
    )
    names = ["open_sites", *_SUMS, *counts]
    if column is None:
        rows = await annotated.values(*names)
        return {None: _counts_of(rows[0])}
    rows = await annotated.group_by(column).values(column, *names)
    return {row[column]: _counts_of(row) for row in rows}


def _counts_of(row: dict[str, Any]) -> TerritoryCounts:
    return TerritoryCounts(**{k: int(v or 0) for k, v in row.items() if k in _FIELDS})


_FIELDS = frozenset(f for f in TerritoryCounts.__dataclass_fields__ if f != "territory")


# (level, code, today, the days after which a site is out of date)
CountsKey = tuple[LocationLevel, str, datetime.date, int]


def territory_counts(principal: Principal) -> BatchLoad[CountsKey, Any]:
    """Keys are (level, code, today); one statement per level present in the batch."""
    return _counts(sites_q(principal))


def public_counts(_: Principal) -> BatchLoad[CountsKey, Any]:
    return _counts(Q())


def _counts(scope: Q) -> BatchLoad[CountsKey, Any]:
    async def load(keys: list[CountsKey]) -> list[TerritoryCounts]:
        by_level: dict[tuple[LocationLevel, datetime.date, int], list[str]] = {}
        for level, code, today, days in keys:
            by_level.setdefault((level, today, days), []).append(code)
        found: dict[tuple[LocationLevel, str | None], TerritoryCounts] = {}
        for (level, today, days), codes in by_level.items():
            column = SITE_LOCATION_COLUMNS.get(level)
            for code, counts in (await grouped_counts(column, codes, scope, today, days)).items():
                found[(level, NATION_CODE if column is None else code)] = counts
        return [found.get((level, code), TerritoryCounts()) for level, code, _, _ in keys]

    return load


@dataclass(frozen=True)
class ClosureCounts:
    """Sites closed in a period: per status, and the people and households per solution."""

    by_status: dict[str, int]
    solutions: dict[str, tuple[int, int]]


async def closure_counts(within: Q, start: datetime.date, end: datetime.date) -> ClosureCounts:
    """Two statements: the closed sites per status, the solutions of those sites."""
    closed = Site.filter(within, closed_at__gte=start, closed_at__lte=end).exclude(
        status=SiteStatus.OPEN
    )
    statuses = await closed.annotate(n=Count("id")).group_by("status").values("status", "n")
    solutions = (
        await SiteClosingSolution.filter(site_id__in=Subquery(closed.values("id")))
        .annotate(people=Sum("people"), households=Sum("households"))
        .group_by("solution")
        .values("solution", "people", "households")
    )
    return ClosureCounts(
        by_status={str(row["status"]): row["n"] for row in statuses},
        solutions={
            str(row["solution"]): (int(row["people"] or 0), int(row["households"] or 0))
            for row in solutions
        },
    )


@dataclass(frozen=True)
class ActionFigures:
    """Actions of one topic running in one year, and what their indicators and finances add
    up to; ``territory`` is where they were counted (for the check of finances)."""

    topic: str
    year: int
    actions: int = 0
    people: int = 0
    households: int = 0
    women: int = 0
    minors: int = 0
    health_followup: int = 0
    employment_training: int = 0
    sheltered_people: int = 0
    housed_people: int = 0
    minors_school_age: int = 0
    planned_amount: Any = None
    spent_amount: Any = None
    territory: Any = None


# The yearly indicators added up per topic and year.
_INDICATOR_SUMS = (
    "people", "households", "women", "minors", "health_followup", "employment_training",
    "sheltered_people", "housed_people", "minors_school_age",
)  # fmt: skip


async def action_figures(within: Q) -> list[ActionFigures]:
    """Per topic and year, in two statements: indicators, then finances."""
    actions = Subquery(Action.filter(within).values("id"))
    topic = "action__topics__topic"
    indicators = (
        await ActionIndicators.filter(action_id__in=actions)
        .annotate(
            actions=Count("action_id", distinct=True),
            **{name: Sum(name) for name in _INDICATOR_SUMS},
        )
        .group_by(topic, "year")
        .values(topic, "year", "actions", *_INDICATOR_SUMS)
    )
    money = (
        await ActionFinance.filter(action_id__in=actions)
        .annotate(planned=Sum("planned_amount"), spent=Sum("spent_amount"))
        .group_by(topic, "year")
        .values(topic, "year", "planned", "spent")
    )
    amounts = {(str(m[topic]), m["year"]): (m["planned"], m["spent"]) for m in money}
    figures = {
        (str(row[topic]), row["year"]): ActionFigures(
            topic=str(row[topic]),
            year=row["year"],
            actions=row["actions"],
            **{name: int(row[name] or 0) for name in _INDICATOR_SUMS},
        )
        for row in indicators
        if row[topic] is not None
    }
    for key, (planned, spent) in amounts.items():
        if key[0] == "None":
            continue
        base = figures.get(key, ActionFigures(topic=key[0], year=key[1]))
        figures[key] = replace(base, planned_amount=planned, spent_amount=spent)
    return [figures[key] for key in sorted(figures)]


# The columns an evolution compares, and what each adds up among open sites.
_EVOLVING = {
    "people": "population_total",
    "minors": "population_minors",
    "households": "population_households",
}


async def evolution(
    within: Q, since: datetime.date, until: datetime.date
) -> dict[str, tuple[int, int]]:
    """Open sites, people, minors and households at the end of ``since`` and of ``until``,
    rebuilt from the sites as they are and the history entries recorded after ``since``: two
    statements, reading only the columns compared."""
    columns = ("status", *_EVOLVING.values())
    states = {row["id"]: row for row in await Site.filter(within).values("id", *columns)}
    entries = (
        await HistoryEntry.filter(
            subject_type=HistorySubject.SITE,
            subject_id__in=list(states),
            changed_at__gte=end_of(since),
        )
        .order_by("-changed_at", "-id")
        .values("subject_id", "changed_at", "operation", "changes")
    )
    existing = set(states)

    def totals() -> dict[str, int]:
        open_ids = [key for key in existing if _value(states[key]["status"]) == SiteStatus.OPEN]
        found = {"open_sites": len(open_ids)}
        for name, column in _EVOLVING.items():
            found[name] = sum(states[key][column] or 0 for key in open_ids)
        return found

    boundary, at_until = end_of(until), None
    for entry in entries:
        if at_until is None and entry["changed_at"] < boundary:
            at_until = totals()
        key = entry["subject_id"]
        if entry["operation"] == HistoryOperation.CREATE:
            existing.discard(key)
        for column in columns:
            if column in entry["changes"]:
                states[key][column] = entry["changes"][column][0]
    after = at_until or totals()
    before = totals()
    return {name: (before[name], after[name]) for name in before}


def _value(status: Any) -> str:
    return str(getattr(status, "value", status))
