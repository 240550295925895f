"""Centres and simplified outlines of the territories (hub/data/geography.json.gz).

The data file is produced once by ``scripts/convert_geography.py``; hub/data/README.md says
where it comes from. This module reads it and does the little geometry the server needs, with
the standard library only (the server must not depend on shapely or numpy):

- outlines are stored as Google encoded polylines, a few hundred bytes a commune where GeoJSON
  would take kilobytes; ``decode`` and ``encode`` convert them;
- ``contains``, ``distance_m`` and ``point_inside`` answer "is this site in its commune?",
  "how far off is it?" and "where can a demo site go?".

Coordinates are degrees of WGS 84. A ``Point`` is (longitude, latitude), GeoJSON's order,
because shapes are drawn and tested in that plane; the functions that take or return a single
position use (latitude, longitude), the order of the hub's columns and of encoded polylines.
"""

from __future__ import annotations

import gzip
import json
import math
import random
import re
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Any

Point = tuple[float, float]  # (longitude, latitude), GeoJSON order
Ring = list[Point]
Polygon = list[Ring]  # exterior first, then holes
Shape = list[Polygon]  # a MultiPolygon

DATA_PATH = Path(__file__).resolve().parent / "data" / "geography.json.gz"
LEVELS = ("region", "departement", "epci", "commune")

# Mean radius of the Earth (IUGG), for distances in metres.
EARTH_RADIUS_M = 6_371_008.8
_METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180

# One encoded value: chunks of 5 bits plus 63, continuation chunks have the 0x20 bit set, so
# they are the characters '_' to '~' and the last chunk one of '?' to '^'.
_VALUE = re.compile(r"[\x5f-\x7e]*[\x3f-\x5e]")
# Cross products (in square degrees) below this count as zero: a point on an edge. Positions
# have at most 5 decimals, so a point off an edge gives a product many orders above it.
_ON_EDGE = 1e-12


@dataclass(frozen=True)
class Place:
    """A territory's centre (latitude, longitude) and outline (encoded, as in the file)."""

    centre: tuple[float, float]
    outline: list[list[str]]


def _document(path: Path | None) -> dict[str, Any]:
    with gzip.open(path or DATA_PATH, "rt", encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


def read_geography(path: Path | None = None) -> dict[str, dict[str, Place]]:
    """Every level's places by code: ``{"region": {"11": Place, ...}, "departement": ...}``.

    The outlines stay encoded: decode only the ones needed (see ``decode``).
    """
    document = _document(path)
    return {
        level: {
            code: Place((entry["centre"][0], entry["centre"][1]), entry["outline"])
            for code, entry in document[level].items()
        }
        for level in LEVELS
    }


def precision_of(path: Path | None = None) -> int:
    """Decimals of the file's outline coordinates, the ``precision`` argument of ``decode``.

    Reads and parses the whole file again (a third of a second): call it once, not per outline.
    """
    return int(_document(path)["precision"])


# --- encoded polylines ---------------------------------------------------------------------


def _encode_value(value: int, out: list[str]) -> None:
    value = ~(value << 1) if value < 0 else value << 1
    while value >= 0x20:
        out.append(chr((0x20 | (value & 0x1F)) + 63))
        value >>= 5
    out.append(chr(value + 63))


def _decode_value(token: str) -> int:
    value = 0
    for shift, char in enumerate(token):
        value |= ((ord(char) - 63) & 0x1F) << (5 * shift)
    return ~(value >> 1) if value & 1 else value >> 1


@cache
def _short_values() -> dict[str, int]:
    # Every value of one to three characters (differences below 1.6° at 4 decimals: nearly all
    # of an outline's), decoded once, so decoding a ring is mostly dictionary look-ups.
    ends = [chr(63 + c) for c in range(32)]
    continues = [chr(95 + c) for c in range(32)]
    tokens = list(ends)
    tokens += [a + b for a in continues for b in ends]
    tokens += [a + b + c for a in continues for b in continues for c in ends]
    return {token: _decode_value(token) for token in tokens}


def encode_ring(ring: Ring, precision: int = 4) -> str:
    """One ring of (longitude, latitude) points as an encoded polyline of (lat, lon) pairs."""
    factor = 10**precision
    out: list[str] = []
    last_lat = last_lon = 0
    for lon, lat in ring:
        ilat, ilon = round(lat * factor), round(lon * factor)
        _encode_value(ilat - last_lat, out)
        _encode_value(ilon - last_lon, out)
        last_lat, last_lon = ilat, ilon
    return "".join(out)


def decode_ring(text: str, precision: int = 4) -> Ring:
    """An encoded polyline back to its (longitude, latitude) points."""
    tokens = _VALUE.findall(text)
    table = _short_values()
    # The first point is absolute, so long: decode it apart, the differences by look-ups.
    values = [_decode_value(t) for t in tokens[:2]]
    try:
        values += map(table.__getitem__, tokens[2:])
    except KeyError:  # a jump of 1.6° or more: decode the long ones one by one
        values[2:] = [table[t] if t in table else _decode_value(t) for t in tokens[2:]]
    scale = float(10**precision).__rtruediv__  # x / 10**p: the nearest float to the decimal
    lats = map(scale, accumulate(values[0::2]))
    lons = map(scale, accumulate(values[1::2]))
    return list(zip(lons, lats, strict=True))


def decode(outline: list[list[str]], precision: int = 4) -> Shape:
    """The file's encoded outline as a Shape (about 1 µs a point: every commune in ~1 s)."""
    return [[decode_ring(text, precision) for text in polygon] for polygon in outline]


def encode(shape: Shape, precision: int = 4) -> list[list[str]]:
    """A Shape as the file stores it; coordinates are rounded to ``precision`` decimals."""
    return [[encode_ring(ring, precision) for ring in polygon] for polygon in shape]


# --- geometry ------------------------------------------------------------------------------


def bounds(shape: Shape) -> tuple[float, float, float, float]:
    """(south, west, north, east) of all the shape's points."""
    lons = [lon for polygon in shape for ring in polygon for lon, _ in ring]
    lats = [lat for polygon in shape for ring in polygon for _, lat in ring]
    return min(lats), min(lons), max(lats), max(lons)


def _locate(polygon: Polygon, lon: float, lat: float) -> int:
    """1 inside, 0 on an edge, -1 outside, by the even-odd rule over all the rings.

    Even-odd rather than winding numbers: it needs no orientation, so a hole is outside
    whichever way it turns, and an invalid (self-touching) ring still gives an answer.
    """
    inside = False
    for ring in polygon:
        x1, y1 = ring[-1]
        for x2, y2 in ring:
            if (y1 > lat) != (y2 > lat):
                # The edge crosses the horizontal line through the point: where, along x?
                cross = (x2 - x1) * (lat - y1) - (y2 - y1) * (lon - x1)
                if abs(cross) <= _ON_EDGE:
                    return 0
                # Left of the point when the cross product has the sign of the edge's rise.
                if (cross > 0) == (y2 > y1):
                    inside = not inside
            elif y1 == y2 == lat and min(x1, x2) <= lon <= max(x1, x2):
                return 0  # on a horizontal edge
            elif (lat == y1 and lon == x1) or (lat == y2 and lon == x2):
                return 0  # on a vertex
            x1, y1 = x2, y2
    return 1 if inside else -1


def _box_holds(ring: Ring, lon: float, lat: float) -> bool:
    # A cheap first test: min and max run in C, the edge walk of _locate in Python.
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    return min(lons) <= lon <= max(lons) and min(lats) <= lat <= max(lats)


def contains(shape: Shape, latitude: float, longitude: float) -> bool:
    """Whether the point is in the shape; a point on an edge counts as inside."""
    return any(
        polygon
        and _box_holds(polygon[0], longitude, latitude)
        and _locate(polygon, longitude, latitude) >= 0
        for polygon in shape
    )


def _segment_distance(ax: float, ay: float, bx: float, by: float) -> float:
    # Distance from the origin to the segment AB, in the plane.
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length2))
    return math.hypot(ax + t * dx, ay + t * dy)


def distance_m(shape: Shape, latitude: float, longitude: float) -> float:
    """0 if the point is in the shape, else the metres to its nearest edge.

    The edges are projected on a plane around the point (equirectangular: longitudes scaled
    by the cosine of the point's latitude), good to about 1 % up to some tens of kilometres,
    which is what matters here (how far a site lies outside its commune).
    """
    if contains(shape, latitude, longitude):
        return 0.0
    kx = _METRES_PER_DEGREE * math.cos(math.radians(latitude))
    ky = _METRES_PER_DEGREE
    best = math.inf
    for polygon in shape:
        for ring in polygon:
            ax, ay = (ring[-1][0] - longitude) * kx, (ring[-1][1] - latitude) * ky
            for lon, lat in ring:
                bx, by = (lon - longitude) * kx, (lat - latitude) * ky
                best = min(best, _segment_distance(ax, ay, bx, by))
                ax, ay = bx, by
    return best


def as_geojson(shape: Shape) -> dict[str, Any]:
    """A GeoJSON MultiPolygon geometry: [longitude, latitude] positions, rings closed."""
    coordinates = []
    for polygon in shape:
        rings = []
        for ring in polygon:
            positions = [[lon, lat] for lon, lat in ring]
            if positions and positions[0] != positions[-1]:
                positions.append(list(positions[0]))
            rings.append(positions)
        coordinates.append(rings)
    return {"type": "MultiPolygon", "coordinates": coordinates}


def point_inside(shape: Shape, seed: int) -> tuple[float, float]:
    """A pseudo-random (latitude, longitude) strictly inside the shape, the same for a seed.

    Rejection sampling: a polygon drawn with the weight of its bounding box, a point drawn in
    the box, rounded to 5 decimals (about 1 m) and kept only if that rounded point is inside
    and on no edge. Used to place demo sites.
    """
    rng = random.Random(seed)
    polygons = [polygon for polygon in shape if polygon and polygon[0]]
    boxes = []
    for polygon in polygons:
        lons = [lon for lon, _ in polygon[0]]
        lats = [lat for _, lat in polygon[0]]
        boxes.append((min(lons), min(lats), max(lons), max(lats)))
    weights = [(e - w) * (n - s) for w, s, e, n in boxes]
    if not polygons or sum(weights) <= 0:
        raise ValueError("the shape has no area")
    indexes = list(range(len(polygons)))
    for _ in range(100_000):
        i = rng.choices(indexes, weights)[0]
        west, south, east, north = boxes[i]
        lat = round(rng.uniform(south, north), 5)
        lon = round(rng.uniform(west, east), 5)
        if _locate(polygons[i], lon, lat) > 0:
            return lat, lon
    raise ValueError("no point found inside the shape")
