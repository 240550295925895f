"""The map: territories' centres and outlines, communeAt, bounding boxes, sites placed in their
communes, and coordinates checked against the commune's outline."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from strawberry.relay import to_base64

from hub import geography
from hub.demo.placement import locate_sites
from hub.models import (
    Commune,
    Departement,
    Epci,
    InterventionArea,
    Organization,
    Outline,
    Region,
    Site,
    User,
)
from hub.models.enums import (
    LocationLevel,
    OrganizationCategory,
    OrganizationType,
    Role,
    SiteStatus,
    UserStatus,
)
from tests.support import Hub, error_codes

OBSERVER_31 = "observer.31@labo.example"
SITES_IN_BOX = """query ($box: BoundingBox!, $locations: [LocationInput!]) {
  sites(first: 500, filter: {boundingBox: $box, statuses: [OPEN], locations: $locations}) {
    nodes { id locationPrecision location { latitude longitude }
            commune { code latitude longitude } departement { code } }
  }
}"""
COMMUNE_AT = """query ($lat: Float!, $lon: Float!) {
  communeAt(latitude: $lat, longitude: $lon) {
    code name mainCommune { code } epci { code } departement { code } region { code }
  }
}"""


def shape_of(geojson: dict[str, Any]) -> geography.Shape:
    assert geojson["type"] == "MultiPolygon"
    return [
        [[(lon, lat) for lon, lat in ring] for ring in polygon]
        for polygon in geojson["coordinates"]
    ]


@pytest.fixture(scope="module")
async def own_database(own_database: Any) -> Any:
    """The module's demo database, with an external observer of the Haute-Garonne."""
    organization = await Organization.create(
        name="Laboratoire toulousain", category=OrganizationCategory.PUBLIC_SERVICE,
        type=OrganizationType.DDETS,
    )  # fmt: skip
    user = await User.create(
        organization=organization, first_name="Agent", last_name="Observateur",
        email=OBSERVER_31, role=Role.EXTERNAL_OBSERVER, status=UserStatus.ACTIVE,
    )  # fmt: skip
    await InterventionArea.create(user=user, level=LocationLevel.DEPARTEMENT, code="31")
    return own_database


async def test_every_territory_has_a_centre_inside_its_outline(hub: Hub) -> None:
    outlines = {(o.level, o.code): o for o in await Outline.all()}
    for level, model in (
        ("region", Region), ("departement", Departement), ("epci", Epci), ("commune", Commune)
    ):  # fmt: skip
        rows = await model.all().values_list("code", "latitude", "longitude")
        assert rows, level
        for code, latitude, longitude in rows:
            outline = outlines[(level, code)]
            assert latitude is not None and longitude is not None, (level, code)
            inside = geography.contains(outline.shape(), latitude, longitude)
            assert inside, (level, code, latitude, longitude)
            assert outline.south <= latitude <= outline.north, (level, code)
            assert outline.west <= longitude <= outline.east, (level, code)
    assert len(outlines) == sum(
        [await m.all().count() for m in (Region, Departement, Epci, Commune)]
    )


async def test_a_territory_s_outline_is_public_geojson_holding_its_centre(hub: Hub) -> None:
    body = await hub.ask(
        None,
        """{ territory(level: DEPARTEMENT, code: "31") {
               name ... on Mapped { latitude longitude outline } } }""",
    )
    territory = body["data"]["territory"]
    assert territory["name"] == "Haute-Garonne"
    shape = shape_of(territory["outline"])
    for polygon in shape:
        for ring in polygon:
            assert ring[0] == ring[-1]  # closed rings, longitude first
            assert all(-1.0 < lon < 2.1 and 42.6 < lat < 44.0 for lon, lat in ring)
    assert geography.contains(shape, territory["latitude"], territory["longitude"])


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        # The Capitole: Toulouse, in Toulouse Métropole.
        ((43.6045, 1.4442), ("31555", None, "243100518", "31", "76")),
        # Notre-Dame: the 4th arrondissement of Paris, not Paris as a whole.
        ((48.8530, 2.3499), ("75104", "75056", "200054781", "75", "11")),
        # Fort-de-France, Martinique.
        ((14.6037, -61.0667), ("97209", None, "249720061", "972", "02")),
    ],
)
async def test_commune_at_places_a_point(
    hub: Hub, point: tuple[float, float], expected: tuple[str, ...]
) -> None:
    latitude, longitude = point
    found = (await hub.ask(None, COMMUNE_AT, {"lat": latitude, "lon": longitude}))["data"]
    commune = found["communeAt"]
    main = commune["mainCommune"]
    epci = commune["epci"]
    assert (
        commune["code"], main and main["code"], epci and epci["code"],
        commune["departement"]["code"], commune["region"]["code"],
    ) == expected  # fmt: skip


async def test_commune_at_is_null_outside_france_and_refuses_impossible_points(
    hub: Hub,
) -> None:
    at_sea = await hub.ask(None, COMMUNE_AT, {"lat": 45.0, "lon": -3.0})
    assert at_sea == {"data": {"communeAt": None}}
    madrid = await hub.ask(None, COMMUNE_AT, {"lat": 40.4168, "lon": -3.7038})
    assert madrid == {"data": {"communeAt": None}}
    for lat, lon in ((91.0, 2.0), (45.0, -181.0)):
        refused = await hub.ask(None, COMMUNE_AT, {"lat": lat, "lon": lon})
        assert error_codes(refused) == ["BAD_USER_INPUT"], refused
        assert refused["data"] is None or refused["data"]["communeAt"] is None


async def test_a_box_over_haute_garonne_finds_its_sites_where_each_caller_may_see_them(
    hub: Hub,
) -> None:
    """The national administrator gets the département's open sites at their exact place; an
    external observer of the département gets the same sites at their commune's centre."""
    outline = await Outline.get(level="departement", code="31")
    box = {"south": outline.south, "west": outline.west,
           "north": outline.north, "east": outline.east}  # fmt: skip
    expected = {
        to_base64("Site", site_id)
        for site_id in await Site.filter(departement_code="31", status=SiteStatus.OPEN).values_list(
            "id", flat=True
        )
    }
    assert expected
    admin = (await hub.ask("national_admin", SITES_IN_BOX, {"box": box}))["data"]["sites"]
    in_31 = [site for site in admin["nodes"] if site["departement"]["code"] == "31"]
    assert {site["id"] for site in in_31} == expected
    for site in admin["nodes"]:
        assert site["locationPrecision"] == "EXACT"
        latitude, longitude = site["location"]["latitude"], site["location"]["longitude"]
        assert box["south"] <= latitude <= box["north"]
        assert box["west"] <= longitude <= box["east"]
        # Each demo site stands inside its commune.
        found = await hub.ask(None, COMMUNE_AT, {"lat": latitude, "lon": longitude})
        assert found["data"]["communeAt"]["code"] == site["commune"]["code"]

    only_31 = {"box": box, "locations": [{"level": "DEPARTEMENT", "code": "31"}]}
    observer = (await hub.ask(OBSERVER_31, SITES_IN_BOX, only_31))["data"]["sites"]["nodes"]
    assert {site["id"] for site in observer} == expected
    exact = {site["id"]: site["location"] for site in in_31}
    for site in observer:
        assert site["locationPrecision"] == "COMMUNE_CENTRE"
        centre = {"latitude": site["commune"]["latitude"],
                  "longitude": site["commune"]["longitude"]}  # fmt: skip
        assert site["location"] == centre != exact[site["id"]]


async def test_a_box_matches_where_the_caller_sees_the_site(hub: Hub) -> None:
    """A box around a site's exact place, away from its commune's centre, finds it for a
    caller who sees the exact place, never for one who sees the centre: a box cannot be used
    to find where a site really is."""
    site = await Site.filter(departement_code="31", status=SiteStatus.OPEN).order_by("id").first()
    assert site is not None and site.latitude is not None and site.longitude is not None
    commune = await Commune.get(code=site.commune_id)
    assert (commune.latitude, commune.longitude) != (site.latitude, site.longitude)
    box = {"south": site.latitude - 1e-5, "north": site.latitude + 1e-5,
           "west": site.longitude - 1e-5, "east": site.longitude + 1e-5}  # fmt: skip
    only_31 = {"box": box, "locations": [{"level": "DEPARTEMENT", "code": "31"}]}
    admin = (await hub.ask("national_admin", SITES_IN_BOX, only_31))["data"]["sites"]["nodes"]
    assert to_base64("Site", site.id) in {s["id"] for s in admin}
    observer = (await hub.ask(OBSERVER_31, SITES_IN_BOX, only_31))["data"]["sites"]["nodes"]
    assert to_base64("Site", site.id) not in {s["id"] for s in observer}
    around_centre = {
        "south": commune.latitude - 1e-5, "north": commune.latitude + 1e-5,
        "west": commune.longitude - 1e-5, "east": commune.longitude + 1e-5,
    }  # fmt: skip
    observer = await hub.ask(OBSERVER_31, SITES_IN_BOX, only_31 | {"box": around_centre})
    assert to_base64("Site", site.id) in {s["id"] for s in observer["data"]["sites"]["nodes"]}


CREATE = """mutation ($input: CreateSiteInput!) {
  createSite(input: $input) { site { id location { latitude longitude } }
                              errors { field code message } } }"""


async def test_a_site_s_point_must_lie_in_its_commune(hub: Hub) -> None:
    def new_site(latitude: float, longitude: float) -> dict[str, Any]:
        return {"input": {"identity": {
            "name": "Terrain de test", "communeCode": "31555", "fieldType": "LAND",
            "latitude": latitude, "longitude": longitude,
        }}}  # fmt: skip

    before = await Site.all().count()
    # Muret: in France, in the département, 18 km from Toulouse.
    refused = await hub.call("national_admin", CREATE, new_site(43.4617, 1.3272))
    assert refused["site"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        ("input.identity.latitude", "OUT_OF_RANGE")
    ]
    assert "outside the commune 31555" in refused["errors"][0]["message"]
    assert await Site.all().count() == before
    created = await hub.call("national_admin", CREATE, new_site(43.6045, 1.4442))
    assert created["errors"] == []
    assert created["site"]["location"] == {"latitude": 43.6045, "longitude": 1.4442}


async def test_demo_sites_are_placed_the_same_way_when_back_filled(hub: Hub) -> None:
    sites = await Site.filter(departement_code="33").order_by("id").limit(20)
    placed = {site.id: (site.latitude, site.longitude) for site in sites}
    assert all(None not in point for point in placed.values())
    await Site.filter(id__in=list(placed)).update(latitude=None, longitude=None)
    from tortoise import connections

    result = await locate_sites(connections.get("default"))
    assert (result.placed, result.without_outline) == (len(placed), 0)
    again = await Site.filter(id__in=list(placed)).order_by("id")
    assert {site.id: (site.latitude, site.longitude) for site in again} == placed


def test_placing_demo_sites_is_refused_outside_demo_and_development() -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("HUB_")}
    done = subprocess.run(
        [sys.executable, "-m", "hub.server.cli", "place-demo-sites"],
        env=env | {"HUB_ENV": "test", "HUB_DATABASE_URL": "sqlite://:memory:"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "runs only with HUB_ENV=demo or development" in done.stderr
