"""Statistics per territory (open sites, closures, evolution, action figures), in SQL.

The aggregate rule: a figure counts exactly the objects on which the caller holds every
capability the figure needs: ``stats.read`` and ``site.read`` for figures of sites,
``stats.read`` and ``action.read`` for figures of actions and, for a gated figure, its own
capability as well (``FIGURE_NEEDS``), each decided per object by the conditions that scope
the objects' own reads (``permissions/rows.py``). A ``Scope`` carries these conditions to
every aggregate; whether a figure is shown at all is the field gate's decision on the
territory (``resolvers/decisions.py``).

``public_counts`` counts every site, for the public statistics; its gated figures follow
the same rule.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tortoise.expressions import Function, Q, Subquery
from tortoise.functions import Count, Sum

from hub.models import (
    Action,
    ActionFinance,
    ActionIndicators,
    Site,
    SiteClosingSolution,
)
from hub.models.enums import HistorySubject, LocationLevel, SiteStatus, TriState
from permissions.capabilities import Capability
from permissions.principal import Principal
from permissions.rows import actions_q, sites_q
from resolvers.batching import BatchLoad
from resolvers.history.as_of import end_of
from resolvers.sites.filters import SITE_LOCATION_COLUMNS, stale_q, without_intervention_q
from resolvers.statements import written

NATION_CODE = "FR"

# What every figure of sites, and of actions, needs on each object it counts.
SITE_NEEDS = (Capability.STATS_READ, Capability.SITE_READ)
ACTION_NEEDS = (Capability.STATS_READ, Capability.ACTION_READ)
# What a gated figure needs besides: the capability its field is gated by in the schema
# (tests/test_aggregate_scope.py checks that both agree).
FIGURE_NEEDS: dict[str, Capability] = {
    "sites_with_legal_procedure": Capability.SITE_LEGAL_READ,
    "planned_amount": Capability.ACTION_FINANCES_READ,
    "spent_amount": Capability.ACTION_FINANCES_READ,
}


@dataclass(frozen=True)
class Scope:
    """What an aggregate counts: ``objects``, and for each gated figure the condition
    narrowing them to those the figure may count."""

    objects: Q
    figures: Mapping[str, Q] = field(default_factory=dict)

    def within(self, territory: Q) -> Scope:
        return replace(self, objects=self.objects & territory)

    def aggregate(
        self,
        function: type[Function],
        column: str,
        name: str,
        condition: Q | None = None,
        **options: Any,
    ) -> Function:
        """``function(column)`` over the rows the figure ``name`` may count, among those
        meeting ``condition``."""
        narrowed = [q for q in (condition, self.figures.get(name)) if q is not None]
        if narrowed:
            options["_filter"] = Q(*narrowed)
        return function(column, **options)


def _holding(
    scope: Callable[[Principal, Capability], Q], principal: Principal, needs: tuple[Capability, ...]
) -> Q:
    """Objects on which the caller holds every capability of ``needs``."""
    return Q(*(scope(principal, capability) for capability in needs))


def site_scope(principal: Principal) -> Scope:
    """Sites on which the caller holds ``stats.read`` and ``site.read``; gated figures of
    sites count those on which it holds their capability too."""
    return Scope(_holding(sites_q, principal, SITE_NEEDS), _site_figures(principal))


def public_site_scope(principal: Principal) -> Scope:
    """Every site: public figures count them all, gated figures follow the rule."""
    return Scope(Q(), _site_figures(principal))


def _site_figures(principal: Principal) -> dict[str, Q]:
    return {
        name: sites_q(principal, FIGURE_NEEDS[name])
        for name in TerritoryCounts.__dataclass_fields__
        if name in FIGURE_NEEDS
    }


def action_scope(principal: Principal, within: Q) -> Scope:
    """Rows of yearly action data (``action_id``) of the actions ``within`` on which the
    caller holds ``stats.read`` and ``action.read``; gated figures (finances) count the
    actions on which it holds their capability too, as ``Action.finances`` decides (by the
    action's département, or its sites for EPCI and commune grants; ``own`` grants cover
    single actions, never a territory: the figure's gate refuses them)."""

    def rows_of(actions: Q) -> Q:
        return Q(action_id__in=Subquery(Action.filter(actions).values("id")))

    return Scope(
        rows_of(within & _holding(actions_q, principal, ACTION_NEEDS)),
        {
            name: rows_of(actions_q(principal, FIGURE_NEEDS[name]))
            for name in ActionFigures.__dataclass_fields__
            if name in FIGURE_NEEDS
        },
    )


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
    scope: Scope,
    today: datetime.date,
    out_of_date_days: int,
) -> dict[str | None, TerritoryCounts]:
    """Counts of the open sites of ``scope``, per value of ``column`` (limited to ``codes``
    when given; one row for all when ``column`` is None): one statement."""
    sites = Site.filter(scope.objects, status=SiteStatus.OPEN)
    if column is not None and codes is not None:
        sites = sites.filter(**{f"{column}__in": codes})
    figures = {
        "open_sites": scope.aggregate(Count, "id", "open_sites"),
        **{name: scope.aggregate(Sum, column, name) for name, column in _SUMS.items()},
        **{
            name: scope.aggregate(Count, "id", name, condition)
            for name, condition in _conditions(today, out_of_date_days).items()
        },
    }
    annotated = sites.annotate(**figures)
    if column is None:
        rows = await annotated.values(*figures)
        return {None: _counts_of(rows[0])}
    rows = await annotated.group_by(column).values(column, *figures)
    return {row[column]: _counts_of(row) for row in rows}


def _counts_of(row: dict[str, Any]) -> TerritoryCounts:
    return TerritoryCounts(**{k: int(v or 0) for k, v in row.items() if k in _FIELDS})


_FIELDS = frozenset(f for f in TerritoryCounts.__dataclass_fields__ if f != "territory")


# (level, code, today, the days after which a site is out of date)
CountsKey = tuple[LocationLevel, str, datetime.date, int]


def territory_counts(principal: Principal) -> BatchLoad[CountsKey, Any]:
    """Keys are (level, code, today); one statement per level present in the batch."""
    return _counts(site_scope(principal))


def public_counts(principal: Principal) -> BatchLoad[CountsKey, Any]:
    return _counts(public_site_scope(principal))


def _counts(scope: Scope) -> BatchLoad[CountsKey, Any]:
    async def load(keys: list[CountsKey]) -> list[TerritoryCounts]:
        by_level: dict[tuple[LocationLevel, datetime.date, int], list[str]] = {}
        for level, code, today, days in keys:
            by_level.setdefault((level, today, days), []).append(code)
        found: dict[tuple[LocationLevel, str | None], TerritoryCounts] = {}
        for (level, today, days), codes in by_level.items():
            column = SITE_LOCATION_COLUMNS.get(level)
            for key, counts in (await grouped_counts(column, codes, scope, today, days)).items():
                found[(level, NATION_CODE if column is None else key)] = counts
        return [found.get((level, code), TerritoryCounts()) for level, code, _, _ in keys]

    return load


@dataclass(frozen=True)
class ClosureCounts:
    """Sites closed in a period: per status, and the people and households per solution."""

    by_status: dict[str, int]
    solutions: dict[str, tuple[int, int]]


async def closure_counts(scope: Scope, start: datetime.date, end: datetime.date) -> ClosureCounts:
    """Two statements: the closed sites per status, the solutions of those sites."""
    closed = Site.filter(scope.objects, closed_at__gte=start, closed_at__lte=end).exclude(
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
_AMOUNTS = ("planned_amount", "spent_amount")


async def action_figures(scope: Scope) -> list[ActionFigures]:
    """Per topic and year, in two statements: indicators, then finances."""
    topic = "action__topics__topic"
    indicators = (
        await ActionIndicators.filter(scope.objects)
        .annotate(
            actions=scope.aggregate(Count, "action_id", "actions", distinct=True),
            **{name: scope.aggregate(Sum, name, name) for name in _INDICATOR_SUMS},
        )
        .group_by(topic, "year")
        .values(topic, "year", "actions", *_INDICATOR_SUMS)
    )
    money = (
        await ActionFinance.filter(scope.objects)
        .annotate(**{name: scope.aggregate(Sum, name, name) for name in _AMOUNTS})
        .group_by(topic, "year")
        .values(topic, "year", *_AMOUNTS)
    )
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
    for row in money:
        if row[topic] is None:
            continue
        key = (str(row[topic]), row["year"])
        base = figures.get(key, ActionFigures(topic=key[0], year=key[1]))
        figures[key] = replace(base, **{name: row[name] for name in _AMOUNTS})
    return [figures[key] for key in sorted(figures)]


# The columns an evolution compares, and what each adds up among open sites.
_EVOLVING = {
    "people": "population_total",
    "minors": "population_minors",
    "households": "population_households",
}


@dataclass(frozen=True)
class _Json:
    """The JSON a dialect needs to rewind a column from an entry ``h`` of the history."""

    pair: str  # the [old, new] pair of column {c} in h's changes; NULL if h left it alone
    array: str  # the one-item array of value {v}
    text: str  # item 0 of array {v}, as text
    number: str  # item 0 of array {v}, as an integer
    # Keeps the per-site values a derived table, so that each look-up runs once per site
    # (inlined, the planners copy it into every aggregate that uses its value).
    fence: str
    # Numbered parameters, as a moment is used several times: ?NNN or $NNN.
    parameter: str


_JSON = {
    "postgres": _Json(
        "h.changes -> '{c}'", "jsonb_build_array({v})", "({v} ->> 0)", "({v} ->> 0)::integer",
        "OFFSET 0", "$",
    ),
    "sqlite": _Json(
        "json_extract(h.changes, '$.{c}')", "json_array({v})", "json_extract({v}, '$[0]')",
        "json_extract({v}, '$[0]')", "LIMIT -1", "?",
    ),
}  # fmt: skip
_COMPARED = ("status", *_EVOLVING.values())


async def evolution(
    scope: Scope, since: datetime.date, until: datetime.date
) -> dict[str, tuple[int, int]]:
    """Open sites, people, minors and households at the end of ``since`` and of ``until``,
    among the sites of ``scope`` as they are, rebuilt as ``site(asOf:)`` rebuilds each site:
    one statement, whatever the length of the history.

    At a moment, a compared column holds the old value of the first history entry after it
    that changed the column (its current value when none did): one look-up of the history's
    index per site, column and date. A site created after the moment is not counted then:
    its entry of creation records every column from null, its status too.
    """
    sites = Site.filter(scope.objects).values("id", *_COMPARED)
    statement = written(sites)
    scoped, params = statement.sql, statement.params
    json = _JSON[statement.db.capabilities.dialect]
    values, totals = [], []
    for when, day in enumerate((since, until)):
        params.append(end_of(day))
        moment = f"{json.parameter}{len(params)}"
        values += [_value_at(json, column, moment, when) for column in _COMPARED]
        totals += _totals_at(when)
    sql = (
        f"WITH s AS ({scoped}) SELECT {', '.join(totals)} FROM ("
        f"SELECT {', '.join(values)} FROM s {json.fence}) AS r"
    )
    (row,) = await sites._db.execute_query_dict(sql, params)
    return {
        name: (int(row[f"{name}_0"] or 0), int(row[f"{name}_1"] or 0))
        for name in ("open_sites", *_EVOLVING)
    }


def _value_at(json: _Json, column: str, moment: str, when: int) -> str:
    """Site ``s``'s ``column`` at ``moment``: the old value of the first entry after it that
    changed the column, else the current value."""
    pair = json.pair.format(c=column)
    first = (
        f"SELECT {pair} FROM history_entry h WHERE h.subject_type = '{HistorySubject.SITE.value}'"
        f" AND h.subject_id = s.id AND h.changed_at >= {moment} AND {pair} IS NOT NULL"
        " ORDER BY h.changed_at, h.id LIMIT 1"
    )
    rewound = f"COALESCE(({first}), {json.array.format(v=f's.{column}')})"
    item = json.text if column == "status" else json.number
    return f"{item.format(v=rewound)} AS {column}_{when}"


def _totals_at(when: int) -> list[str]:
    is_open = f"r.status_{when} = '{SiteStatus.OPEN.value}'"
    return [f"SUM(CASE WHEN {is_open} THEN 1 ELSE 0 END) AS open_sites_{when}"] + [
        f"SUM(CASE WHEN {is_open} THEN r.{column}_{when} ELSE 0 END) AS {name}_{when}"
        for name, column in _EVOLVING.items()
    ]
