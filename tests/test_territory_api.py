"""territory(level, code): children, arrondissements, counts."""

from __future__ import annotations

import datetime

import httpx

from hub.models import Commune, Site, SiteActor
from hub.models.enums import SiteStatus
from tests.support import error_codes, graphql

TERRITORY = """
query T($level: LocationLevel!, $code: String) {
  territory(level: $level, code: $code) {
    __typename code name level
    stats { openSites people minors households sitesWithoutIntervention }
    children(first: 500) { totalCount nodes { code name level } }
    sites(first: 500) { totalCount nodes { id } }
    ... on Commune { arrondissements { code } mainCommune { code } epci { code } }
    ... on Departement { region { code } }
  }
}
"""


async def test_nation_lists_the_regions(client: httpx.AsyncClient) -> None:
    body = await graphql(client, TERRITORY, {"level": "NATION"})
    nation = body["data"]["territory"]
    assert nation["__typename"] == "Nation" and nation["code"] == "FR"
    assert nation["children"]["totalCount"] == 18
    assert nation["stats"]["openSites"] == await Site.filter(status=SiteStatus.OPEN).count()


async def test_departement_children_are_its_communes(client: httpx.AsyncClient) -> None:
    body = await graphql(client, TERRITORY, {"level": "DEPARTEMENT", "code": "31"})
    departement = body["data"]["territory"]
    expected = await Commune.filter(departement_id="31", main_commune_id__isnull=True).count()
    assert departement["children"]["totalCount"] == expected
    assert departement["region"]["code"] == "76"
    assert len(departement["children"]["nodes"]) == min(expected, 500)


async def test_paris_has_twenty_arrondissements(client: httpx.AsyncClient) -> None:
    body = await graphql(client, TERRITORY, {"level": "COMMUNE", "code": "75056"})
    paris = body["data"]["territory"]
    assert len(paris["arrondissements"]) == 20
    assert paris["children"]["totalCount"] == 20
    body = await graphql(client, TERRITORY, {"level": "COMMUNE", "code": "75111"})
    assert body["data"]["territory"]["mainCommune"] == {"code": "75056"}


async def test_counts_match_the_rows(client: httpx.AsyncClient) -> None:
    sites = await Site.filter(status=SiteStatus.OPEN)
    departement = max(
        {s.departement_code for s in sites},
        key=lambda c: sum(1 for s in sites if s.departement_code == c),
    )
    mine = [s for s in sites if s.departement_code == departement]
    with_actor = set(await SiteActor.all().values_list("site_id", flat=True))
    today = datetime.datetime.now(datetime.UTC).date()
    current: set[int] = set()
    from hub.models import Action

    for action in await Action.all().prefetch_related("sites"):
        if action.started_at <= today and (action.ended_at is None or action.ended_at >= today):
            current |= {site.id for site in action.sites}
    body = await graphql(client, TERRITORY, {"level": "DEPARTEMENT", "code": departement})
    stats = body["data"]["territory"]["stats"]
    assert stats == {
        "openSites": len(mine),
        "people": sum(s.population_total or 0 for s in mine),
        "minors": sum(s.population_minors or 0 for s in mine),
        "households": sum(s.population_households or 0 for s in mine),
        "sitesWithoutIntervention": sum(
            1 for s in mine if s.id not in with_actor and s.id not in current
        ),
    }
    assert body["data"]["territory"]["sites"]["totalCount"] == len(mine)


async def test_unknown_code_is_not_found(client: httpx.AsyncClient) -> None:
    body = await graphql(client, TERRITORY, {"level": "COMMUNE", "code": "99999"})
    assert body["data"]["territory"] is None
    assert error_codes(body) == ["NOT_FOUND"]


async def test_a_level_without_code_is_refused(client: httpx.AsyncClient) -> None:
    body = await graphql(client, TERRITORY, {"level": "REGION"})
    assert error_codes(body) == ["BAD_USER_INPUT"]
