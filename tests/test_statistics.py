"""Territory statistics and the children breakdown, against counts made in the test."""

from __future__ import annotations

import datetime
from typing import Any

import httpx

from hub.database import count_statements
from hub.models import Action, ActionFinance, ActionIndicators, Site, SiteClosingSolution
from hub.models.enums import HistorySubject, SiteStatus, TriState
from hub.server.auth.dev_issuer import DevIssuer
from resolvers.history.as_of import as_of
from tests.support import error_codes, graphql

STATS = """openSites people minors minorsInSchool households sitesWithoutIntervention
  sitesWithActions sitesOutOfDate shareWithWater shareWithElectricity
  shareWithWasteCollection shareWithToilets sitesWithLegalProcedure"""
TERRITORY = f"""query ($level: LocationLevel!, $code: String) {{
  territory(level: $level, code: $code) {{ stats {{ {STATS} }}
    childrenStats {{ territory {{ code }} stats {{ {STATS} }} }} }} }}"""


async def expected(sites: list[Site]) -> dict[str, Any]:
    """The statistics of these open sites, computed here from the rows."""
    linked = set(await Action.filter(sites__id__isnull=False).values_list("sites__id", flat=True))
    today = datetime.datetime.now(datetime.UTC).date()
    stale = datetime.datetime.combine(
        today - datetime.timedelta(days=183), datetime.time.min, tzinfo=datetime.UTC
    )
    open_sites = len(sites)

    def total(column: str) -> int:
        return sum(getattr(site, column) or 0 for site in sites)

    def share(check: Any) -> float | None:
        return sum(1 for site in sites if check(site)) / open_sites if open_sites else None

    return {
        "openSites": open_sites,
        "people": total("population_total"),
        "minors": total("population_minors"),
        "minorsInSchool": total("minors_in_school"),
        "households": total("population_households"),
        "sitesWithActions": sum(1 for site in sites if site.id in linked),
        "sitesOutOfDate": sum(
            1
            for site in sites
            if site.updated_at < stale
            and (site.confirmed_unchanged_at is None or site.confirmed_unchanged_at < stale)
        ),
        "shareWithWater": share(lambda s: s.water_access == TriState.YES),
        "shareWithElectricity": share(lambda s: s.electricity_access == TriState.YES),
        "shareWithWasteCollection": share(lambda s: s.waste_collection_regular == TriState.YES),
        "shareWithToilets": share(lambda s: s.sanitation_working_toilets == TriState.YES),
        "sitesWithLegalProcedure": sum(1 for site in sites if site.has_legal_procedure),
    }


def without(stats: dict[str, Any], *names: str) -> dict[str, Any]:
    return {key: value for key, value in stats.items() if key not in names}


def close(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.keys() == b.keys() and all(
        abs(a[k] - b[k]) < 1e-9 if isinstance(a[k], float) else a[k] == b[k] for k in a
    )


async def test_statistics_of_a_departement_and_its_communes(client: httpx.AsyncClient) -> None:
    body = await graphql(client, TERRITORY, {"level": "DEPARTEMENT", "code": "31"})
    assert "errors" not in body, body
    territory = body["data"]["territory"]
    sites = await Site.filter(departement_code="31", status=SiteStatus.OPEN)
    # Sites without intervention are checked by the site filter tests; the rest here.
    assert close(without(territory["stats"], "sitesWithoutIntervention"), await expected(sites))
    children = territory["childrenStats"]
    codes = sorted({site.commune_scope_code for site in sites})
    assert [child["territory"]["code"] for child in children] == codes
    for child in children:
        mine = [s for s in sites if s.commune_scope_code == child["territory"]["code"]]
        assert close(without(child["stats"], "sitesWithoutIntervention"), await expected(mine))
    assert sum(c["stats"]["openSites"] for c in children) == territory["stats"]["openSites"]


async def test_the_breakdown_costs_the_same_at_every_level(client: httpx.AsyncClient) -> None:
    counts = []
    for level, code in (("REGION", "76"), ("DEPARTEMENT", "31")):
        with count_statements() as counter:
            body = await graphql(client, TERRITORY, {"level": level, "code": code})
        children = body["data"]["territory"]["childrenStats"]
        assert len(children) > 1
        assert (
            sum(c["stats"]["openSites"] for c in children)
            == (body["data"]["territory"]["stats"]["openSites"])
        )
        counts.append(counter.count)
    assert counts[0] == counts[1]


async def test_statistics_follow_the_callers_scope_and_gates(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, dev_issuer: DevIssuer
) -> None:
    token, _ = await dev_issuer.token_for("operator@demo.bidonvilles.example")
    query = """query ($level: LocationLevel!, $code: String) { territory(level: $level,
      code: $code) { stats { openSites sitesWithLegalProcedure }
      childrenStats { territory { code } } } }"""
    # stats.read reaches Haute-Garonne for an operator: not its région.
    region = await graphql(client, query, {"level": "REGION", "code": "76"}, token=token)
    assert region["data"]["territory"] == {"stats": None, "childrenStats": None}
    body = await graphql(client, query, {"level": "DEPARTEMENT", "code": "31"}, token=token)
    departement = body["data"]["territory"]
    sites = await Site.filter(departement_code="31", status=SiteStatus.OPEN)
    assert departement["stats"]["openSites"] == len(sites)
    assert [c["territory"]["code"] for c in departement["childrenStats"]] == sorted(
        {site.commune_scope_code for site in sites}
    )
    # The count of sites with a legal procedure is legal data.
    assert departement["stats"]["sitesWithLegalProcedure"] is None
    assert error_codes(body) == ["FORBIDDEN"]
    public = await graphql(
        anonymous, '{ territory(level: DEPARTEMENT, code: "31") { publicStats { openSites '
        "sitesWithActions } childrenStats { territory { code } } } }",
    )  # fmt: skip
    data = public["data"]["territory"]
    assert (
        data["publicStats"]["openSites"]
        == await Site.filter(departement_code="31", status=SiteStatus.OPEN).count()
    )
    assert data["childrenStats"] is None and error_codes(public) == ["FORBIDDEN"]


CLOSURES = """query ($since: Date!, $until: Date!) { territory(level: DEPARTEMENT, code: "31") {
  closures(since: $since, until: $until) { closedSites resorbedSites
    byStatus { status sites } solutions { solution people households } } } }"""


async def test_closures_in_a_period(client: httpx.AsyncClient) -> None:
    since, until = datetime.date(2021, 1, 1), datetime.date(2026, 11, 1)
    body = await graphql(client, CLOSURES, {"since": since.isoformat(), "until": until.isoformat()})
    closures = body["data"]["territory"]["closures"]
    closed = await Site.filter(
        departement_code="31", closed_at__gte=since, closed_at__lte=until
    ).exclude(status=SiteStatus.OPEN)
    assert closures["closedSites"] == len(closed)
    assert closures["resorbedSites"] == sum(1 for s in closed if s.status == SiteStatus.RESORBED)
    per_solution: dict[str, list[int]] = {}
    for row in await SiteClosingSolution.filter(site_id__in=[s.id for s in closed]):
        totals = per_solution.setdefault(row.solution.name, [0, 0])
        totals[0] += row.people or 0
        totals[1] += row.households or 0
    assert {s["solution"]: [s["people"], s["households"]] for s in closures["solutions"]} == (
        per_solution
    )
    inverted = await graphql(client, CLOSURES, {"since": "2026-01-01", "until": "2025-01-01"})
    assert error_codes(inverted) == ["BAD_USER_INPUT"]


ACTION_STATS = """{ territory(level: DEPARTEMENT, code: "31") {
  actionStats { topic year actions people plannedAmount } } }"""


async def test_action_figures_per_topic_and_year(
    client: httpx.AsyncClient, dev_issuer: DevIssuer
) -> None:
    rows = (await graphql(client, ACTION_STATS))["data"]["territory"]["actionStats"]
    assert rows
    for row in rows:
        actions = await Action.filter(departement_id="31", topics__topic=row["topic"].lower())
        ids = [a.id for a in actions]
        indicators = await ActionIndicators.filter(action_id__in=ids, year=row["year"])
        assert row["actions"] == len(indicators)
        assert row["people"] == sum(i.people or 0 for i in indicators)
        planned = [
            f.planned_amount
            for f in await ActionFinance.filter(action_id__in=ids, year=row["year"])
            if f.planned_amount is not None
        ]
        assert (row["plannedAmount"] is None and not planned) or float(row["plannedAmount"]) == (
            float(sum(planned))
        )
    # Finances are for action.finances.read holders on the territory: not an operator (own).
    token, _ = await dev_issuer.token_for("operator@demo.bidonvilles.example")
    body = await graphql(client, ACTION_STATS, token=token)
    assert all(r["plannedAmount"] is None for r in body["data"]["territory"]["actionStats"])
    assert set(error_codes(body)) == {"FORBIDDEN"}


async def test_hexagone_and_outre_mer(client: httpx.AsyncClient, dev_issuer: DevIssuer) -> None:
    query = """{ territory(level: NATION) { ... on Nation {
      zoneStats { zone stats { openSites people } } } } }"""
    zones = (await graphql(client, query))["data"]["territory"]["zoneStats"]
    overseas = await Site.filter(overseas=True, status=SiteStatus.OPEN)
    metropolitan = await Site.filter(overseas=False, status=SiteStatus.OPEN)

    def stats(sites: list[Site]) -> dict[str, int]:
        return {"openSites": len(sites), "people": sum(s.population_total or 0 for s in sites)}

    assert zones == [
        {"zone": "HEXAGONE", "stats": stats(metropolitan)},
        {"zone": "OUTRE_MER", "stats": stats(overseas)},
    ]
    token, _ = await dev_issuer.token_for("operator@demo.bidonvilles.example")
    denied = await graphql(client, query, token=token)
    assert denied["data"]["territory"]["zoneStats"] is None
    assert error_codes(denied) == ["FORBIDDEN"]


async def test_evolution_between_two_dates(client: httpx.AsyncClient) -> None:
    query = """{ territory(level: DEPARTEMENT, code: "33") {
      evolution(since: "2023-06-30", until: "2026-06-30") {
        openSites { before after } people { before after } } } }"""
    evolution = (await graphql(client, query))["data"]["territory"]["evolution"]

    async def at(day: datetime.date) -> tuple[int, int]:
        # Each site rebuilt on its own, the way site(asOf:) does.
        open_sites = people = 0
        for site in await Site.filter(departement_code="33"):
            then = await as_of(Site, HistorySubject.SITE, site.id, day)
            if isinstance(then, Site) and then.status == SiteStatus.OPEN:
                open_sites += 1
                people += then.population_total or 0
        return open_sites, people

    before, after = await at(datetime.date(2023, 6, 30)), await at(datetime.date(2026, 6, 30))
    assert evolution == {
        "openSites": {"before": before[0], "after": after[0]},
        "people": {"before": before[1], "after": after[1]},
    }
    assert before != after, "the demo history changes Gironde between these dates"
