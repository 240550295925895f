"""Every statistic is the sum of what its caller may read object by object (the aggregate rule).

Generated over every demo persona and active partner application, plus three callers whose
grants cut a territory in parts (a local administrator of an EPCI and one of a commune, whose
grants reach actions through the actions' sites; a correspondent with legal data and
finances in Haute-Garonne only but statistics and actions nationwide), × the nation, a
région, a département, an EPCI over three départements and two communes (either side of a
border). Each figure of ``stats``, ``childrenStats``, ``zoneStats``, ``closures``,
``evolution`` and ``actionStats`` is compared with what the same caller reads through
GraphQL: the territory's sites (and the list's filters for sites without intervention, with
actions, out of date), each site's legal field, each site as of a date, the territory's
actions with their indicators and finances. An object counts where the caller holds
``stats.read`` on it, as ``me.can`` answers at its commune (an action: at its département,
or at the commune of one of its sites reached by an area grant). A figure is null with
FORBIDDEN exactly where ``me.can`` says the caller does not hold its capability on the
territory.

The module's database is the demo data plus, in EPCI 243100567 (over Aude, Haute-Garonne and
Tarn), open sites with legal procedures, out-of-date and closed sites with their history,
and actions with indicators and finances on every side of the borders, some linked across.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import pytest

from hub.demo import PARTNER_APPS, PERSONAS
from hub.demo.reference import PERSONA_DOMAIN
from hub.limits import Limits
from hub.models import (
    Action,
    ActionFinance,
    ActionIndicators,
    ActionTopicLink,
    HistoryEntry,
    InterventionArea,
    Organization,
    PermissionOverride,
    Site,
    SiteClosingSolution,
    User,
)
from hub.models.enums import (
    ActionLocationKind,
    ActionTopic,
    ClosingSolution,
    FinanceType,
    HistoryOperation,
    HistorySubject,
    LocationLevel,
    OrganizationCategory,
    OrganizationType,
    Role,
    SiteStatus,
    TriState,
    UserStatus,
)
from hub.settings import Settings
from permissions.capabilities import Capability
from resolvers.territories.stats import FIGURE_NEEDS
from schema.types.territories import ActionStats, TerritoryStats
from tests.support import Hub

EPCI = "243100567"  # CC Aux sources du Canal du Midi: Aude, Haute-Garonne, Tarn
# Communes of the EPCI where the module adds sites: Revel (31), Sorèze and Arfons (81),
# Les Brunels (11).
BORDER_COMMUNES = {"31451": "31", "81288": "81", "81016": "81", "11054": "11"}
TERRITORIES: tuple[tuple[str, str | None], ...] = (
    ("NATION", None),
    ("REGION", "76"),
    ("DEPARTEMENT", "31"),
    ("EPCI", EPCI),
    ("COMMUNE", "31555"),
    ("COMMUNE", "81288"),
)
SINCE, UNTIL = datetime.date(2024, 6, 30), datetime.date(2025, 12, 31)
AT = datetime.datetime(2024, 2, 1, tzinfo=datetime.UTC)
STATS, LEGAL, FINANCES = (
    Capability.STATS_READ, Capability.SITE_LEGAL_READ, Capability.ACTION_FINANCES_READ,
)  # fmt: skip

# Callers added by the module: (e-mail, role, own area, user overrides).
EXTRA_CALLERS: tuple[tuple[str, Role, tuple[LocationLevel, str], dict[str, str]], ...] = (
    ("epci.admin@aggregates.example", Role.LOCAL_ADMIN, (LocationLevel.EPCI, EPCI), {}),
    ("toulouse.admin@aggregates.example", Role.LOCAL_ADMIN, (LocationLevel.COMMUNE, "31555"), {}),
    (
        "border.correspondent@aggregates.example",
        Role.CORRESPONDENT,
        (LocationLevel.DEPARTEMENT, "31"),
        {"stats.read": "N", "action.read": "N", "site.legal.read": "A"},
    ),
)
CALLERS = (
    [persona.email for persona in PERSONAS]
    + [app.client_id for app in PARTNER_APPS if app.active]
    + [email for email, *_ in EXTRA_CALLERS]
)


async def _site(template: Site, commune: str, **columns: Any) -> Site:
    """A copy of a demo site, moved to ``commune`` of the EPCI."""
    state = {name: getattr(template, name) for name in Site._meta.db_fields if name != "id"}
    state |= {
        "commune_id": commune, "commune_scope_code": commune, "epci_code": EPCI,
        "departement_code": BORDER_COMMUNES[commune], "region_code": "76", "overseas": False,
        "name": f"Site {commune}",
    }  # fmt: skip
    return await Site.create(**(state | columns))


async def _action(departement: str, topic: ActionTopic, sites: list[Site], amount: int) -> None:
    action = await Action.create(
        name=f"Action {departement} {topic.value} {amount}", departement_id=departement,
        region_code="76", started_at=datetime.date(2025, 1, 1),
        location_kind=ActionLocationKind.ON_SITE, created_at=AT, updated_at=AT,
    )  # fmt: skip
    await ActionTopicLink.create(action=action, topic=topic)
    await action.sites.add(*sites)
    await ActionIndicators.create(
        action=action, year=2025, people=amount // 100, households=amount // 400, minors=3
    )
    await ActionFinance.create(
        action=action, year=2025, finance_type=FinanceType.STATE,
        planned_amount=Decimal(amount), spent_amount=Decimal(amount) / 2,
    )  # fmt: skip


async def _history(
    site: Site, operation: HistoryOperation, changes: dict[str, Any], at: datetime.datetime
) -> None:
    await HistoryEntry.create(
        subject_type=HistorySubject.SITE, subject_id=site.id, operation=operation,
        changes=changes, changed_at=at.replace(tzinfo=datetime.UTC),
    )  # fmt: skip


async def _add_the_border() -> None:
    """Sites, history and actions on every side of the EPCI's borders, and the extra callers."""
    template = await Site.filter(status=SiteStatus.OPEN, departement_code="31").order_by("id")
    legal_sites: dict[str, Site] = {}
    for n, commune in enumerate(BORDER_COMMUNES, 1):
        legal = await _site(
            template[0], commune, has_legal_procedure=True, owner_complaint=TriState.YES,
            population_total=10 * n + 1, population_minors=n, population_households=n + 2,
            water_access=TriState.YES,
        )  # fmt: skip
        legal_sites[commune] = legal
        # Opened before SINCE, with fewer people then.
        created = {"status": [None, "open"], "population_total": [None, n]}
        await _history(legal, HistoryOperation.CREATE, created, AT)
        recount = {"population_total": [n, 10 * n + 1]}
        await _history(legal, HistoryOperation.UPDATE, recount, datetime.datetime(2025, 4, 1))
        stale = await _site(
            template[1], commune, has_legal_procedure=False, population_total=5 * n,
            electricity_access=TriState.YES,
        )  # fmt: skip
        long_ago = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
        await Site.filter(id=stale.id).update(updated_at=long_ago, confirmed_unchanged_at=None)
        closed = await _site(
            template[2], commune, status=SiteStatus.RESORBED,
            closed_at=datetime.date(2025, 3, 1), population_total=7 * n,
        )  # fmt: skip
        closing = {"status": ["open", "resorbed"]}
        await _history(closed, HistoryOperation.CLOSE, closing, datetime.datetime(2025, 3, 1, 12))
        await SiteClosingSolution.create(
            site=closed, solution=ClosingSolution.ORDINARY_HOUSING, people=n, households=1
        )
    for n, departement in enumerate(("31", "81", "11"), 1):
        commune = next(c for c, d in BORDER_COMMUNES.items() if d == departement)
        await _action(departement, ActionTopic.HEALTH, [legal_sites[commune]], 1000 * n)
    # Across a border: actions of one département on sites of another.
    await _action("81", ActionTopic.HOUSING, [legal_sites["31451"]], 7000)
    await _action("31", ActionTopic.HOUSING, [legal_sites["81016"]], 11000)
    await _action("81", ActionTopic.HOUSING, [legal_sites["81288"]], 13000)
    for email, role, (level, code), overrides in EXTRA_CALLERS:
        organization = await Organization.create(
            name=f"Organisation {email}", category=OrganizationCategory.PUBLIC_SERVICE,
            type=OrganizationType.DDETS,
        )  # fmt: skip
        user = await User.create(
            organization=organization, first_name="Agent", last_name=email.split("@")[0],
            email=email, role=role, status=UserStatus.ACTIVE,
        )  # fmt: skip
        await InterventionArea.create(user=user, level=level, code=code)
        for capability, scope in overrides.items():
            await PermissionOverride.create(user=user, capability=capability, level=scope)


@pytest.fixture(scope="module")
async def own_database(own_database: Settings) -> Settings:
    """The module's demo database with the border data; the object-by-object reads ask for
    every site as of a date in one request, far above what clients may ask."""
    await _add_the_border()
    limits = Limits(
        aliases=10_000, root_fields=10_000, tokens=1_000_000,
        cost_budgets={"anonymous": 2_000, "default": 10**9},
    )  # fmt: skip
    return replace(own_database, limits=limits)


# --- What a caller reads, object by object -------------------------------------------------

SITE_FIELDS = """id status commune { code mainCommune { code } }
  departement { code overseas } region { code }
  population { total households minors minorsInSchool }
  livingConditions { water { access } electricity { access } waste { regularCollection }
    sanitation { workingToilets } }
  hasLegalProcedure lifecycle { closedAt solutions { solution people households } }"""
ACTION_FIELDS = """id departement { code } topics
  sites { commune { code mainCommune { code } departement { code } } }
  indicators { year people households women minors healthFollowup employmentTraining
    shelteredPeople housedPeople minorsSchoolAge }
  finances { year plannedAmount spentAmount }"""
# The site lists' filters standing for the conditional counts.
FILTERED = {
    "sitesWithoutIntervention": "withoutIntervention: true",
    "sitesWithActions": "hasActions: true",
    "sitesOutOfDate": "outOfDate: true",
}


def _location(level: str, code: str | None) -> str:
    return f"level: {level}" + (f', code: "{code}"' if code else "")


def _objects_query() -> str:
    parts = []
    for i, (level, code) in enumerate(TERRITORIES):
        where = f"locations: [{{{_location(level, code)}}}]" if code else ""
        parts.append(
            f"s{i}: sites(filter: {{{where}}}, first: 500) {{ pageInfo {{ hasNextPage }} "
            f"nodes {{ {SITE_FIELDS} }} }}"
        )
        for n, condition in enumerate(FILTERED.values()):
            parts.append(
                f"f{i}_{n}: sites(filter: {{{where} statuses: [OPEN] {condition}}}, first: 500) "
                "{ pageInfo { hasNextPage } nodes { id } }"
            )
        parts.append(
            f"x{i}: territory({_location(level, code)}) {{ actions(first: 500) {{ "
            f"pageInfo {{ hasNextPage }} nodes {{ {ACTION_FIELDS} }} }} }}"
        )
    return "{ " + "\n".join(parts) + " }"


STATS_FIELDS = """openSites people minors minorsInSchool households sitesWithoutIntervention
  sitesWithActions sitesOutOfDate shareWithWater shareWithElectricity
  shareWithWasteCollection shareWithToilets sitesWithLegalProcedure"""
CHILD_FIELDS = "openSites people minors households sitesWithLegalProcedure"
ACTION_STATS_FIELDS = """topic year actions people households women minors healthFollowup
  employmentTraining shelteredPeople housedPeople minorsSchoolAge plannedAmount spentAmount"""
AMOUNTS = ("plannedAmount", "spentAmount")
PERIOD = f'since: "{SINCE.isoformat()}", until: "{UNTIL.isoformat()}"'
CHANGE = "{ before after }"


def _aggregates_query() -> str:
    parts = [
        f"""t{i}: territory({_location(level, code)}) {{
          stats {{ {STATS_FIELDS} }}
          childrenStats {{ territory {{ code }} stats {{ {CHILD_FIELDS} }} }}
          closures({PERIOD}) {{ closedSites resorbedSites byStatus {{ status sites }}
            solutions {{ solution people households }} }}
          evolution({PERIOD}) {{ openSites {CHANGE} people {CHANGE} minors {CHANGE}
            households {CHANGE} }}
          actionStats {{ {ACTION_STATS_FIELDS} }}
          ... on Nation {{ zoneStats {{ zone stats {{ {CHILD_FIELDS} }} }} }}
        }}"""
        for i, (level, code) in enumerate(TERRITORIES)
    ]
    return "{ " + "\n".join(parts) + " }"


def _scope_code(commune: dict[str, Any]) -> str:
    # Statistics, like scopes, see an arrondissement as its city.
    main = commune.get("mainCommune")
    return str(main["code"] if main else commune["code"])


@dataclass
class View:
    """What one caller reads: per territory, its sites, filtered ids and actions; the
    aggregates; the FORBIDDEN paths; ``me.can`` answers; sites as of SINCE and UNTIL."""

    sites: list[list[dict[str, Any]]]
    filtered: list[dict[str, set[str]]]
    actions: list[list[dict[str, Any]]]
    aggregates: dict[str, Any]
    forbidden: set[tuple[Any, ...]]
    can: dict[tuple[Capability, str, str], bool]
    as_of: dict[tuple[str, int], dict[str, Any] | None] = field(default_factory=dict)

    def holds(self, capability: Capability, level: str, code: str | None) -> bool:
        return self.can[(capability, level, code or "FR")]

    def counts_site(self, site: dict[str, Any]) -> bool:
        return self.holds(STATS, "COMMUNE", _scope_code(site["commune"]))

    def counts_action(self, action: dict[str, Any]) -> bool:
        """stats.read on the action: at its département, or through one of its sites where
        the grant reaches the site's commune but not its département (an area grant)."""
        if self.holds(STATS, "DEPARTEMENT", action["departement"]["code"]):
            return True
        return any(
            self.holds(STATS, "COMMUNE", _scope_code(site["commune"]))
            and not self.holds(STATS, "DEPARTEMENT", site["commune"]["departement"]["code"])
            for site in action["sites"]
        )


def _errors(body: dict[str, Any], allowed: set[str]) -> set[tuple[Any, ...]]:
    errors = body.get("errors", [])
    assert {e["extensions"]["code"] for e in errors} <= allowed, errors
    return {tuple(e["path"]) for e in errors if e["extensions"]["code"] == "FORBIDDEN"}


CHILD_LEVEL = {
    "NATION": "REGION", "REGION": "DEPARTEMENT", "DEPARTEMENT": "COMMUNE", "EPCI": "COMMUNE",
}  # fmt: skip


def _child_code(level: str, site: dict[str, Any]) -> str:
    child = CHILD_LEVEL[level]
    if child == "REGION":
        return str(site["region"]["code"])
    if child == "DEPARTEMENT":
        return str(site["departement"]["code"])
    return _scope_code(site["commune"])


async def _read(hub: Hub, who: str) -> View:
    objects = await hub.ask(who, _objects_query())
    _errors(objects, {"FORBIDDEN"})  # legal fields and finances out of the caller's reach
    data = objects["data"]
    for key, value in data.items():
        page = value["actions"] if key.startswith("x") else value
        assert not page["pageInfo"]["hasNextPage"], key
    sites = [data[f"s{i}"]["nodes"] for i in range(len(TERRITORIES))]
    actions = [data[f"x{i}"]["actions"]["nodes"] for i in range(len(TERRITORIES))]
    filtered = [
        {
            name: {node["id"] for node in data[f"f{i}_{n}"]["nodes"]}
            for n, name in enumerate(FILTERED)
        }
        for i in range(len(TERRITORIES))
    ]
    aggregates = await hub.ask(who, _aggregates_query())
    forbidden = _errors(aggregates, {"FORBIDDEN"})
    can = await _can(hub, who, _places(sites, actions))
    view = View(sites, filtered, actions, aggregates["data"], forbidden, can)
    view.as_of = await _as_of(hub, who, view)
    return view


def _places(
    sites: list[list[dict[str, Any]]], actions: list[list[dict[str, Any]]]
) -> set[tuple[Capability, str, str]]:
    """Where ``me.can`` is asked: each territory for each figure's capability, each child
    territory for legal data, each object's commune and département for stats.read."""
    wanted: set[tuple[Capability, str, str]] = set()
    for i, (level, code) in enumerate(TERRITORIES):
        wanted |= {(capability, level, code or "FR") for capability in (STATS, LEGAL, FINANCES)}
        for site in sites[i]:
            wanted.add((STATS, "COMMUNE", _scope_code(site["commune"])))
            if level in CHILD_LEVEL:
                wanted.add((LEGAL, CHILD_LEVEL[level], _child_code(level, site)))
        for action in actions[i]:
            wanted.add((STATS, "DEPARTEMENT", action["departement"]["code"]))
            for site in action["sites"]:
                wanted.add((STATS, "COMMUNE", _scope_code(site["commune"])))
                wanted.add((STATS, "DEPARTEMENT", site["commune"]["departement"]["code"]))
    return wanted


async def _can(
    hub: Hub, who: str, wanted: set[tuple[Capability, str, str]]
) -> dict[tuple[Capability, str, str], bool]:
    keys = sorted(wanted)
    fields = " ".join(
        f"c{n}: can(capability: {capability.name}, location: "
        f"{{{_location(level, None if code == 'FR' else code)}}})"
        for n, (capability, level, code) in enumerate(keys)
    )
    me = (await hub.ask(who, f"{{ me {{ {fields} }} }}"))["data"]["me"]
    return {key: me[f"c{n}"] for n, key in enumerate(keys)}


async def _as_of(hub: Hub, who: str, view: View) -> dict[tuple[str, int], dict[str, Any] | None]:
    """Each site the caller counts somewhere, as of SINCE (0) and UNTIL (1)."""
    counted = sorted(
        {
            site["id"]
            for i, territory in enumerate(TERRITORIES)
            if view.holds(STATS, *territory)
            for site in view.sites[i]
            if view.counts_site(site)
        }
    )
    if not counted:
        return {}
    reads = " ".join(
        f'v{n}_{when}: site(id: "{key}", asOf: "{day.isoformat()}") '
        "{ status population { total minors households } }"
        for n, key in enumerate(counted)
        for when, day in enumerate((SINCE, UNTIL))
    )
    past = await hub.ask(who, f"{{ {reads} }}")
    _errors(past, {"NOT_FOUND"})  # sites created since
    return {
        (key, when): past["data"][f"v{n}_{when}"]
        for n, key in enumerate(counted)
        for when in (0, 1)
    }


@pytest.fixture(scope="module")
def views() -> dict[str, View]:
    """Each caller's reads, made by the first test of the caller and kept for the others."""
    return {}


async def _view(hub: Hub, views: dict[str, View], who: str) -> View:
    if who not in views:
        views[who] = await _read(hub, who)
    return views[who]


# --- The expected figures ------------------------------------------------------------------


def _site_figures(sites: list[dict[str, Any]], filtered: dict[str, set[str]]) -> dict[str, Any]:
    open_sites = len(sites)

    def total(name: str) -> int:
        return sum(site["population"][name] or 0 for site in sites)

    def share(test: Any) -> float | None:
        return (
            sum(1 for site in sites if test(site["livingConditions"])) / open_sites
            if (open_sites)
            else None
        )

    ids = {site["id"] for site in sites}
    return {
        "openSites": open_sites,
        "people": total("total"),
        "minors": total("minors"),
        "minorsInSchool": total("minorsInSchool"),
        "households": total("households"),
        **{name: len(ids & filtered[name]) for name in FILTERED},
        "shareWithWater": share(lambda c: c["water"]["access"] == "YES"),
        "shareWithElectricity": share(lambda c: c["electricity"]["access"] == "YES"),
        "shareWithWasteCollection": share(lambda c: c["waste"]["regularCollection"] == "YES"),
        "shareWithToilets": share(lambda c: c["sanitation"]["workingToilets"] == "YES"),
        "sitesWithLegalProcedure": sum(1 for site in sites if site["hasLegalProcedure"]),
    }


def _same(got: dict[str, Any], want: dict[str, Any]) -> bool:
    """The figures answered (those left after the gated ones) are those wanted."""
    return all(
        abs(got[k] - want[k]) < 1e-9 if isinstance(want[k], float) else got[k] == want[k]
        for k in got
    )


def _gated(
    view: View, figures: dict[str, Any], path: tuple[Any, ...], name: str, allowed: bool
) -> None:
    """A gated figure is null with FORBIDDEN where the caller does not hold its capability
    on the territory; then it is left out of the comparison."""
    if allowed:
        assert (*path, name) not in view.forbidden, path
    else:
        assert figures[name] is None and (*path, name) in view.forbidden, (path, name)
        del figures[name]


def _action_figures(actions: list[dict[str, Any]]) -> dict[tuple[str, int], Any]:
    """Per (topic, year): the actions with indicators and what they add up to, and the
    amounts of the finances the caller reads (None when there are none)."""
    figures: dict[tuple[str, int], dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    amounts: dict[tuple[str, int], dict[str, list[Decimal]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for action in actions:
        for topic in action["topics"]:
            for row in action["indicators"]:
                group = figures[(topic, row["year"])]
                group["actions"] += 1
                for name, value in row.items():
                    if name != "year":
                        group[name] += value or 0
            for row in action["finances"] or []:  # null: not readable on this action
                for name in AMOUNTS:
                    if row[name] is not None:
                        amounts[(topic, row["year"])][name].append(Decimal(row[name]))
    return {
        key: dict(figures.get(key, {}))
        | {name: sum(amounts[key][name]) if amounts[key][name] else None for name in AMOUNTS}
        for key in set(figures) | set(amounts)
    }  # fmt: skip


# --- The tests -----------------------------------------------------------------------------


@dataclass
class Case:
    """One caller's answer for one territory, and what the caller reads there."""

    view: View
    territory: int

    @property
    def key(self) -> str:
        return f"t{self.territory}"

    @property
    def level(self) -> str:
        return TERRITORIES[self.territory][0]

    @property
    def answer(self) -> dict[str, Any]:
        answer: dict[str, Any] = self.view.aggregates[self.key]
        return answer

    def holds(self, capability: Capability) -> bool:
        return self.view.holds(capability, *TERRITORIES[self.territory])

    @property
    def counted(self) -> list[dict[str, Any]]:
        """The sites of the territory the caller reads and holds stats.read on."""
        return [s for s in self.view.sites[self.territory] if self.view.counts_site(s)]

    @property
    def open_sites(self) -> list[dict[str, Any]]:
        return [site for site in self.counted if site["status"] == "OPEN"]

    def check(self, path: tuple[Any, ...], got: dict[str, Any], sites: list[dict[str, Any]],
              legal: bool) -> None:  # fmt: skip
        figures = dict(got)
        _gated(self.view, figures, path, "sitesWithLegalProcedure", legal)
        want = _site_figures(sites, self.view.filtered[self.territory])
        assert _same(figures, want), (path, figures, want)


def _check_children(case: Case) -> None:
    if case.level not in CHILD_LEVEL:
        assert case.answer["childrenStats"] == []
        return
    children: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for site in case.open_sites:
        children[_child_code(case.level, site)].append(site)
    got = case.answer["childrenStats"]
    assert [child["territory"]["code"] for child in got] == sorted(children)
    for n, child in enumerate(got):
        code = child["territory"]["code"]
        legal = case.view.holds(LEGAL, CHILD_LEVEL[case.level], code)
        case.check((case.key, "childrenStats", n, "stats"), child["stats"], children[code], legal)


def _check_zones(case: Case) -> None:
    if case.level != "NATION":
        return
    for n, zone in enumerate(case.answer["zoneStats"]):
        overseas = zone["zone"] == "OUTRE_MER"
        mine = [site for site in case.open_sites if site["departement"]["overseas"] is overseas]
        case.check((case.key, "zoneStats", n, "stats"), zone["stats"], mine, case.holds(LEGAL))


def _check_closures(case: Case) -> None:
    since, until = SINCE.isoformat(), UNTIL.isoformat()
    closed = [
        site
        for site in case.counted
        if site["status"] != "OPEN" and since <= (site["lifecycle"]["closedAt"] or "") <= until
    ]
    by_status: dict[str, int] = defaultdict(int)
    solutions: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for site in closed:
        by_status[site["status"]] += 1
        for row in site["lifecycle"]["solutions"]:
            solutions[row["solution"]][0] += row["people"] or 0
            solutions[row["solution"]][1] += row["households"] or 0
    closures = case.answer["closures"]
    assert closures["closedSites"] == len(closed)
    assert closures["resorbedSites"] == by_status.get("RESORBED", 0)
    assert {row["status"]: row["sites"] for row in closures["byStatus"]} == by_status
    assert {r["solution"]: [r["people"], r["households"]] for r in closures["solutions"]} == (
        solutions
    )


def _check_evolution(case: Case) -> None:
    columns = {"people": "total", "minors": "minors", "households": "households"}
    want = {name: [0, 0] for name in ("openSites", *columns)}
    for site in case.counted:
        for when in (0, 1):
            then = case.view.as_of[(site["id"], when)]
            if then is None or then["status"] != "OPEN":
                continue
            want["openSites"][when] += 1
            for name, column in columns.items():
                want[name][when] += then["population"][column] or 0
    got = {name: [c["before"], c["after"]] for name, c in case.answer["evolution"].items()}
    assert got == want


def _check_action_stats(case: Case) -> None:
    finances = case.holds(FINANCES)
    counted = [a for a in case.view.actions[case.territory] if case.view.counts_action(a)]
    expected = _action_figures(counted)
    for n, answered in enumerate(case.answer["actionStats"]):
        row = dict(answered)
        for name in AMOUNTS:
            _gated(case.view, row, (case.key, "actionStats", n), name, finances)
            if row.get(name) is not None:
                row[name] = Decimal(row[name])
        group = (row.pop("topic"), row.pop("year"))
        want = {name: 0 for name in row} | dict.fromkeys(AMOUNTS) | expected.pop(group, {})
        assert row == {name: want[name] for name in row}, group
    # The groups left out of the answer add up to nothing the caller may see.
    for group, left in expected.items():
        assert not left.get("actions"), group
        assert not finances or left["plannedAmount"] is left["spentAmount"] is None, group


@pytest.mark.parametrize("territory", range(len(TERRITORIES)), ids=lambda i: "-".join(
    str(part) for part in TERRITORIES[i] if part))  # fmt: skip
@pytest.mark.parametrize("who", CALLERS, ids=lambda who: who.split("@")[0])
async def test_each_figure_is_what_the_caller_reads_object_by_object(
    hub: Hub, views: dict[str, View], who: str, territory: int
) -> None:
    case = Case(await _view(hub, views, who), territory)
    figures = ["stats", "childrenStats", "closures", "evolution", "actionStats"]
    figures += ["zoneStats"] if case.level == "NATION" else []
    if not case.holds(STATS):
        for name in figures:
            assert case.answer[name] is None and (case.key, name) in case.view.forbidden, name
        return
    assert not any(len(path) == 2 and path[0] == case.key for path in case.view.forbidden)
    case.check((case.key, "stats"), case.answer["stats"], case.open_sites, case.holds(LEGAL))
    _check_children(case)
    _check_zones(case)
    _check_closures(case)
    _check_evolution(case)
    _check_action_stats(case)


async def test_the_epci_has_legal_procedures_and_finances_on_every_side_of_its_borders(
    hub: Hub, views: dict[str, View]
) -> None:
    view = await _view(hub, views, f"national_admin@{PERSONA_DOMAIN}")
    epci = TERRITORIES.index(("EPCI", EPCI))
    legal = {
        site["departement"]["code"]
        for site in view.sites[epci]
        if site["status"] == "OPEN" and site["hasLegalProcedure"]
    }
    actions = view.actions[epci]
    financed = {action["departement"]["code"] for action in actions if action["finances"]}
    assert legal == financed == {"11", "31", "81"}


def test_gated_figures_are_scoped_by_the_capability_they_are_gated_by() -> None:
    """Each gated statistic counts only objects on which the caller holds the capability
    its field is gated by: the two come from one table."""
    gates = {
        field.python_name: extension.capability
        for kind in (TerritoryStats, ActionStats)
        for field in kind.__strawberry_definition__.fields
        for extension in field.extensions
        if hasattr(extension, "capability")
    }
    assert gates == FIGURE_NEEDS
