"""The sites' export as GeoJSON (``/exports/sites.geojson``), parsed with json and checked
feature by feature against the database and against the GraphQL answer for the same caller:
the rows, parameters, refusals and audit of the CSV export; each site at the place the caller
may read (its own coordinates, or its commune's centre), as ``Site.location`` gives it.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from typing import Any

import pytest
from strawberry.relay import to_base64

from hub.models import (
    AuditEntry,
    Commune,
    InterventionArea,
    Organization,
    PermissionOverride,
    Site,
    User,
)
from hub.models.enums import (
    AuditKind,
    LocationLevel,
    OrganizationCategory,
    OrganizationType,
    Role,
    SiteStatus,
    UserStatus,
)
from tests.support import Hub, bearer, error_codes

HAUTE_GARONNE = {"locations": [{"level": "DEPARTEMENT", "code": "31"}]}
OPEN_IN_31 = {**HAUTE_GARONNE, "statuses": ["OPEN"]}
PROPERTIES = {"name", "status", "population", "locationPrecision", "commune", "communeCode"}
# A caller who may export the Haute-Garonne's sites (D) and read exact places in Toulouse
# only (a user override: A, on its area).
TOULOUSE_ONLY = "exact.toulouse@map.example"
LOCATIONS = """query ($filter: SiteFilter, $after: String) {
  sites(filter: $filter, first: 100, after: $after) {
    nodes { id locationPrecision location { latitude longitude } }
    pageInfo { hasNextPage endCursor }
  }
}"""


@pytest.fixture(scope="module", autouse=True)
async def places(own_database: Any) -> AsyncIterator[None]:
    """Coordinates for the Haute-Garonne's sites (but the last of Toulouse's, kept without)
    and for their communes' centres, each different from every site's; and the caller who
    reads exact places in Toulouse only."""
    sites = await Site.filter(departement_code="31").order_by("id")
    for index, code in enumerate(sorted({site.commune_id for site in sites})):
        await Commune.filter(code=code).update(latitude=43.0 + index / 100, longitude=1.0)
    for site in sites:
        await Site.filter(id=site.id).update(
            latitude=43.5 + site.id / 100_000, longitude=1.4 + site.id / 100_000
        )
    unplaced = [site for site in sites if site.commune_scope_code == "31555"][-1]
    await Site.filter(id=unplaced.id).update(latitude=None, longitude=None)

    organization = await Organization.create(
        name="Ville de Toulouse, service cartographie",
        category=OrganizationCategory.PUBLIC_SERVICE, type=OrganizationType.PREFECTURE,
    )  # fmt: skip
    await InterventionArea.create(
        organization=organization, level=LocationLevel.COMMUNE, code="31555"
    )
    user = await User.create(
        organization=organization, first_name="Agent", last_name="Carte", email=TOULOUSE_ONLY,
        role=Role.INSTITUTIONAL_PARTNER, status=UserStatus.ACTIVE,
    )  # fmt: skip
    await PermissionOverride.create(user=user, capability="site.location.exact", level="A")
    yield


async def geojson(hub: Hub, who: str | None, **params: Any) -> Any:
    headers = bearer(await hub.token(who)) if who else {}
    query = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return await hub.http.get("/exports/sites.geojson", params=query, headers=headers)


async def features(hub: Hub, who: str, **params: Any) -> list[dict[str, Any]]:
    """The features of a well-formed FeatureCollection (every feature checked)."""
    response = await geojson(hub, who, **params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    assert 'filename="sites.geojson"' in response.headers["content-disposition"]
    document = json.loads(response.content)
    assert set(document) == {"type", "features"} and document["type"] == "FeatureCollection"
    for feature in document["features"]:
        assert set(feature) == {"type", "id", "geometry", "properties"}
        assert feature["type"] == "Feature" and isinstance(feature["id"], str)
        assert set(feature["properties"]) == PROPERTIES
        assert feature["properties"]["locationPrecision"] in ("EXACT", "COMMUNE_CENTRE")
        geometry = feature["geometry"]
        if geometry is not None:
            assert set(geometry) == {"type", "coordinates"} and geometry["type"] == "Point"
            longitude, latitude = geometry["coordinates"]
            assert math.isfinite(longitude) and -180 <= longitude <= 180
            assert math.isfinite(latitude) and -90 <= latitude <= 90
    result: list[dict[str, Any]] = document["features"]
    return result


def located(found: list[dict[str, Any]]) -> dict[str, Any]:
    """Each feature's id → (locationPrecision, [longitude, latitude] or None)."""
    return {
        f["id"]: (
            f["properties"]["locationPrecision"],
            f["geometry"] and f["geometry"]["coordinates"],
        )
        for f in found
    }


async def graphql_locations(hub: Hub, who: str, site_filter: Any) -> dict[str, Any]:
    """Each site's id → (locationPrecision, [longitude, latitude] or None), as GraphQL
    answers the caller."""
    found: dict[str, Any] = {}
    after = None
    while True:
        body = await hub.ask(who, LOCATIONS, {"filter": site_filter, "after": after})
        assert not error_codes(body), body
        page = body["data"]["sites"]
        for node in page["nodes"]:
            place = node["location"]
            point = [place["longitude"], place["latitude"]]
            found[node["id"]] = (node["locationPrecision"], None if None in point else point)
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def test_every_feature_summarizes_its_site(hub: Hub) -> None:
    found = await features(hub, "national_admin", filter=HAUTE_GARONNE)
    sites = await Site.filter(departement_code="31").order_by("id")
    assert [f["id"] for f in found] == [to_base64("Site", site.id) for site in sites]
    communes = dict(await Commune.filter(departement_id="31").values_list("code", "name"))
    for feature, site in zip(found, sites, strict=True):
        assert feature["properties"] == {
            "name": site.name,
            "status": SiteStatus(site.status).name,
            "population": site.population_total,
            "locationPrecision": "EXACT",
            "commune": communes[site.commune_id],
            "communeCode": site.commune_id,
        }
        if site.latitude is None:
            assert feature["geometry"] is None
        else:
            assert feature["geometry"]["coordinates"] == [site.longitude, site.latitude]
    assert any(f["geometry"] is None for f in found)


async def test_the_filter_and_the_date_choose_the_sites(hub: Hub) -> None:
    found = await features(hub, "national_admin", filter=OPEN_IN_31)
    expected = await Site.filter(departement_code="31", status=SiteStatus.OPEN).order_by("id")
    assert [f["id"] for f in found] == [to_base64("Site", site.id) for site in expected]
    assert {f["properties"]["status"] for f in found} == {"OPEN"}
    # Nothing matches: still a whole document.
    response = await geojson(hub, "national_admin", filter=OPEN_IN_31, asOf="2000-01-01")
    assert response.status_code == 200
    assert json.loads(response.content) == {"type": "FeatureCollection", "features": []}


async def test_an_operator_gets_its_territory_only(hub: Hub) -> None:
    everything = await features(hub, "national_admin")
    found = await features(hub, "operator")
    expected = await Site.filter(departement_code="31").order_by("id")
    assert [f["id"] for f in found] == [to_base64("Site", site.id) for site in expected]
    assert len(found) < len(everything)
    # Its exact places (D), the same as GraphQL gives it.
    assert {f["properties"]["locationPrecision"] for f in found} == {"EXACT"}
    assert located(found) == await graphql_locations(hub, "operator", None)


async def test_without_the_exact_place_a_site_stands_at_its_communes_centre(hub: Hub) -> None:
    found = {f["id"]: f for f in await features(hub, TOULOUSE_ONLY)}
    sites = {to_base64("Site", s.id): s for s in await Site.filter(departement_code="31")}
    assert set(found) == set(sites)
    centres = {
        code: [longitude, latitude]
        for code, latitude, longitude in await Commune.filter(departement_id="31").values_list(
            "code", "latitude", "longitude"
        )
    }
    outside = 0
    for key, feature in found.items():
        site = sites[key]
        precision, geometry = feature["properties"]["locationPrecision"], feature["geometry"]
        if site.commune_scope_code == "31555":
            assert precision == "EXACT"
            exact = None if site.latitude is None else [site.longitude, site.latitude]
            assert (geometry and geometry["coordinates"]) == exact
        else:
            outside += 1
            assert precision == "COMMUNE_CENTRE"
            assert site.latitude is not None and centres[site.commune_id][0] is not None
            # Never the exact point: the commune's centre, which differs from it.
            assert geometry["coordinates"] == centres[site.commune_id]
            assert geometry["coordinates"] != [site.longitude, site.latitude]
    assert outside > 0
    # The decision GraphQL's Site.location and locationPrecision make, site by site.
    assert located(list(found.values())) == await graphql_locations(hub, TOULOUSE_ONLY, None)


async def test_callers_without_export_sites_are_refused(hub: Hub) -> None:
    for who in ("external_observer", None):
        refused = await geojson(hub, who)
        assert refused.status_code == 403, who
        assert refused.json()["errors"][0]["extensions"] == {
            "code": "FORBIDDEN", "capability": "export.sites",
        }  # fmt: skip


async def test_bad_parameters_are_refused(hub: Hub) -> None:
    for params in ({"filter": "{not json"}, {"filter": '{"statuses": ["NOPE"]}'},
                   {"asOf": "2999-01-01"}, {"asOf": "hier"}):  # fmt: skip
        bad = await geojson(hub, "operator", **params)
        assert bad.status_code == 400, params
        assert bad.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def audited(hub: Hub, path: str, who: str, site_filter: Any) -> list[tuple[Any, ...]]:
    """The audit entries an export writes."""
    last = await AuditEntry.all().order_by("-id").first()
    response = await hub.http.get(
        path, params={"filter": json.dumps(site_filter)}, headers=bearer(await hub.token(who))
    )
    assert response.status_code == 200
    entries = await AuditEntry.filter(id__gt=last.id if last else 0).order_by("id")
    return [
        (e.kind, e.operation, e.user_id, e.application_id, e.subject_type, sorted(e.subject_ids),
         e.region_code, e.departement_code, e.epci_code, e.commune_scope_code, e.details)
        for e in entries
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("who", "site_filter"),
    [("operator", OPEN_IN_31), ("national_admin", {"statuses": ["OPEN"]}),
     ("correspondent", {"locations": [{"level": "DEPARTEMENT", "code": "33"}]})],
)  # fmt: skip
async def test_the_audit_is_the_csvs(hub: Hub, who: str, site_filter: Any) -> None:
    as_csv = await audited(hub, "/exports/sites.csv", who, site_filter)
    as_map = await audited(hub, "/exports/sites.geojson", who, site_filter)
    assert as_map == as_csv
    assert as_map and {entry[:2] for entry in as_map} == {(AuditKind.EXPORT, "export.sites")}
