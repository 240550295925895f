"""The sites list: each filter and ordering against values computed here from the rows."""

from __future__ import annotations

import datetime
from typing import Any

import httpx
import pytest

from hub.models import Action, Site, SiteActor
from hub.models.enums import SiteStatus
from tests.support import error_codes, graphql

IDS = """
query Sites($filter: SiteFilter, $orderBy: SiteOrder) {
  sites(filter: $filter, orderBy: $orderBy, first: 500) {
    totalCount
    nodes { id name population { total } commune { name } updatedAt }
  }
}
"""


async def site_ids(http: httpx.AsyncClient, site_filter: dict[str, Any]) -> set[int]:
    body = await graphql(http, IDS, {"filter": site_filter})
    assert "errors" not in body, body
    connection = body["data"]["sites"]
    assert connection["totalCount"] == len(connection["nodes"])
    return {_pk(node["id"]) for node in connection["nodes"]}


def _pk(global_id: str) -> int:
    import base64

    return int(base64.b64decode(global_id).decode().split(":")[1])


async def all_sites() -> list[Site]:
    return await Site.all().prefetch_related("commune")


async def test_location_filters_at_every_level(client: httpx.AsyncClient) -> None:
    sites = await all_sites()
    sample = sites[0]
    cases = {
        ("REGION", sample.region_code): lambda s: s.region_code == sample.region_code,
        ("DEPARTEMENT", sample.departement_code): (
            lambda s: s.departement_code == sample.departement_code
        ),
        ("COMMUNE", sample.commune.scope_code): (
            lambda s: s.commune.scope_code == sample.commune.scope_code
        ),
        ("NATION", None): lambda s: True,
    }
    if sample.epci_code:
        cases[("EPCI", sample.epci_code)] = lambda s: s.epci_code == sample.epci_code
    for (level, code), keep in cases.items():
        found = await site_ids(client, {"locations": [{"level": level, "code": code}]})
        assert found == {s.id for s in sites if keep(s)}, level


async def test_several_locations_are_any_of(client: httpx.AsyncClient) -> None:
    sites = await all_sites()
    codes = sorted({s.departement_code for s in sites})[:2]
    locations = [{"level": "DEPARTEMENT", "code": code} for code in codes]
    found = await site_ids(client, {"locations": locations})
    assert found == {s.id for s in sites if s.departement_code in codes}


async def test_an_arrondissement_filters_as_its_main_commune(client: httpx.AsyncClient) -> None:
    paris = await site_ids(client, {"locations": [{"level": "COMMUNE", "code": "75056"}]})
    via_arrondissement = await site_ids(
        client, {"locations": [{"level": "COMMUNE", "code": "75118"}]}
    )
    assert paris == via_arrondissement


async def test_zones_split_france_in_two(client: httpx.AsyncClient) -> None:
    sites = await all_sites()
    hexagone = await site_ids(client, {"zone": "HEXAGONE"})
    outre_mer = await site_ids(client, {"zone": "OUTRE_MER"})
    assert hexagone == {s.id for s in sites if not s.departement_code.startswith("97")}
    assert outre_mer == {s.id for s in sites if s.departement_code.startswith("97")}


async def test_status_field_type_and_legal_filters(client: httpx.AsyncClient) -> None:
    sites = await all_sites()
    found = await site_ids(client, {"statuses": ["OPEN"]})
    assert found == {s.id for s in sites if s.status == SiteStatus.OPEN}
    found = await site_ids(client, {"fieldTypes": ["BUILDING"]})
    assert found == {s.id for s in sites if s.field_type == "building"}
    found = await site_ids(client, {"hasLegalProcedure": True})
    assert found == {s.id for s in sites if s.has_legal_procedure}


async def test_population_range(client: httpx.AsyncClient) -> None:
    sites = await all_sites()
    found = await site_ids(client, {"population": {"min": 20, "max": 80}})
    expected = {
        s.id for s in sites if s.population_total is not None and 20 <= s.population_total <= 80
    }
    assert found == expected and expected


async def test_an_inverted_range_is_refused(client: httpx.AsyncClient) -> None:
    body = await graphql(client, IDS, {"filter": {"population": {"min": 80, "max": 20}}})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "Inverted range" in body["errors"][0]["message"]


async def test_origins_are_all_of(client: httpx.AsyncClient) -> None:
    sites = await all_sites()
    found = await site_ids(client, {"origins": ["EU", "NON_EU"]})
    assert found == {s.id for s in sites if s.origin_eu and s.origin_non_eu}


async def test_without_intervention_and_has_actions(client: httpx.AsyncClient) -> None:
    sites = await all_sites()
    today = datetime.datetime.now(datetime.UTC).date()
    with_actor = set(await SiteActor.all().values_list("site_id", flat=True))
    linked: set[int] = set()
    current: set[int] = set()
    for action in await Action.all().prefetch_related("sites"):
        ids = {site.id for site in action.sites}
        linked |= ids
        if action.started_at <= today and (action.ended_at is None or action.ended_at >= today):
            current |= ids
    lonely = {s.id for s in sites if s.id not in with_actor and s.id not in current}
    assert lonely, "the demo data must have sites without intervention"
    assert await site_ids(client, {"withoutIntervention": True}) == lonely
    assert await site_ids(client, {"withoutIntervention": False}) == {s.id for s in sites} - lonely
    assert await site_ids(client, {"hasActions": True}) == linked
    assert await site_ids(client, {"hasActions": False}) == {s.id for s in sites} - linked


async def test_out_of_date_and_updated_before(client: httpx.AsyncClient) -> None:
    sites = await all_sites()
    limit = datetime.date(2026, 6, 1)

    def stale(site: Site) -> bool:
        latest = max(filter(None, (site.updated_at, site.confirmed_unchanged_at)))
        return latest.date() < limit

    assert await site_ids(client, {"updatedBefore": limit.isoformat()}) == {
        s.id for s in sites if stale(s)
    }
    out_of_date = await site_ids(client, {"outOfDate": True})
    fresh = await site_ids(client, {"outOfDate": False})
    assert out_of_date and fresh
    assert out_of_date | fresh == {s.id for s in sites} and not out_of_date & fresh


async def test_search_over_name_address_and_commune(client: httpx.AsyncClient) -> None:
    sites = await all_sites()
    word = sites[0].commune.name.split("-")[0].split(" ")[0]
    lower = word.lower()
    expected = {
        s.id
        for s in sites
        if lower in (s.name or "").lower()
        or lower in (s.address or "").lower()
        or lower in s.commune.name.lower()
    }
    assert await site_ids(client, {"search": word.upper()}) == expected


@pytest.mark.parametrize("pattern", ["%", "_", "100%", "a_b"])
async def test_search_wildcards_are_literal(client: httpx.AsyncClient, pattern: str) -> None:
    sites = await all_sites()
    expected = {
        s.id
        for s in sites
        if pattern in (s.name or "") or pattern in (s.address or "") or pattern in s.commune.name
    }
    assert await site_ids(client, {"search": pattern}) == expected


async def test_bounding_box(client: httpx.AsyncClient) -> None:
    sites = [s for s in await all_sites() if s.latitude is not None]
    box = {"south": 43.0, "west": 1.0, "north": 44.0, "east": 2.0}
    expected = {s.id for s in sites if 43 <= s.latitude <= 44 and 1 <= s.longitude <= 2}  # type: ignore[operator]
    assert await site_ids(client, {"boundingBox": box}) == expected
    inverted = {"south": 44.0, "west": 1.0, "north": 43.0, "east": 2.0}
    body = await graphql(client, IDS, {"filter": {"boundingBox": inverted}})
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_unknown_territory_code_is_a_clear_error(client: httpx.AsyncClient) -> None:
    body = await graphql(
        client, IDS, {"filter": {"locations": [{"level": "DEPARTEMENT", "code": "00"}]}}
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "Unknown departement code(s): 00" in body["errors"][0]["message"]


async def test_a_nul_byte_in_search_is_a_clear_error(client: httpx.AsyncClient) -> None:
    body = await graphql(client, IDS, {"filter": {"search": "abc\x00"}})
    assert error_codes(body) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    ("field", "key"),
    [
        ("POPULATION", lambda n: n["population"]["total"]),
        ("UPDATED_AT", lambda n: n["updatedAt"]),
    ],
)
async def test_orderings(client: httpx.AsyncClient, field: str, key: Any) -> None:
    for direction in ("ASC", "DESC"):
        body = await graphql(
            client,
            IDS,
            {"orderBy": {"field": field, "direction": direction}},
        )
        values = [key(node) for node in body["data"]["sites"]["nodes"]]
        known = [v for v in values if v is not None]
        # Unknown values come last in both directions, on every database.
        assert values == known + [None] * (len(values) - len(known)), field
        assert known == sorted(known, reverse=direction == "DESC"), field


async def test_ordering_by_commune_name(client: httpx.AsyncClient) -> None:
    # The database's collation decides where accented names go; compare with its own order.
    expected = await Site.all().order_by("commune__name", "id").values_list("id", flat=True)
    body = await graphql(client, IDS, {"orderBy": {"field": "COMMUNE", "direction": "ASC"}})
    assert [_pk(node["id"]) for node in body["data"]["sites"]["nodes"]] == expected


async def test_ordering_by_name_puts_unnamed_sites_last(client: httpx.AsyncClient) -> None:
    named = (
        await Site.filter(name__isnull=False).order_by("name", "id").values_list("id", flat=True)
    )
    unnamed = await Site.filter(name__isnull=True).order_by("id").values_list("id", flat=True)
    body = await graphql(client, IDS, {"orderBy": {"field": "NAME", "direction": "ASC"}})
    assert [_pk(node["id"]) for node in body["data"]["sites"]["nodes"]] == named + unnamed


_POPULATION_SELECTION = """
  population {
    total households women minors minorsInSchool countedAt
    minorsByAge { from0To3 from3To6 from6To12 from12To16 from16To18 }
    dwellings { caravans huts tents cars mattresses }
    origins
  }
"""


@pytest.mark.parametrize(
    "selection",
    [
        _POPULATION_SELECTION,
        "population { minorsByAge { from6To12 } origins }",
        "population { dwellings { huts } counted: countedAt } pop: population { women }",
    ],
)
async def test_a_list_reads_the_population_figures_it_asks_for(
    client: httpx.AsyncClient, selection: str
) -> None:
    """A list fetches only the columns its selection reads, down to the population figures
    asked for: each site of the list answers as the same site read whole."""
    listed = await graphql(
        client,
        "query { sites(first: 10, filter: {statuses: [OPEN]}) { nodes { id " + selection + " } } }",
    )
    assert "errors" not in listed, listed
    nodes = listed["data"]["sites"]["nodes"]
    assert len(nodes) == 10
    # Each site read whole (``site`` reads every column), all in one document (within the
    # limits on root fields and aliases).
    one_by_one = " ".join(
        f'site{index}: site(id: "{node["id"]}") {{ id {selection} }}'
        for index, node in enumerate(nodes)
    )
    whole = await graphql(client, "query { " + one_by_one + " }")
    assert "errors" not in whole, whole
    assert list(whole["data"].values()) == nodes
    # The demo data has figures there, not only nulls.
    assert any(node.get("population", {}).get("minorsByAge") for node in nodes) or any(
        node.get("pop", {}).get("women") is not None for node in nodes
    )
