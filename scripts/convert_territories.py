#!/usr/bin/env python3
"""Convert the official French geography into the hub's compact data file.

Source: the npm package ``@etalab/decoupage-administratif`` version 6.0.0 (COG 2026 of INSEE,
EPCI of the DGCL, legal populations of INSEE; code under MIT, data under Licence Ouverte).
Get it without installing node modules::

    npm pack @etalab/decoupage-administratif@6.0.0
    tar xzf etalab-decoupage-administratif-6.0.0.tgz      # gives package/data/*.json
    python scripts/convert_territories.py package/data

Output: ``hub/data/territories.json.gz`` (or ``--output``), a gzip JSON document with one
table per level, each ``{"columns": [...], "rows": [[...], ...]}``. Only metropolitan France
and the five DROM are kept (zones ``metro`` and ``drom``); communes are the current ones
(``commune-actuelle``) plus the 45 municipal arrondissements of Paris, Lyon and Marseille.
Rows are sorted and gzip's mtime is 0, so the same input always gives the same bytes.

The package has no commune coordinates. ``--centres FILE`` merges them from a CSV with the
columns ``code,latitude,longitude`` (WGS 84) when an open-licence source is available;
without it latitude and longitude stay null.

Standard library only, so it runs anywhere without the project's virtualenv.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import sys
from pathlib import Path
from typing import Any

KEPT_ZONES = frozenset({"metro", "drom"})
KEPT_COMMUNE_TYPES = frozenset({"commune-actuelle", "arrondissement-municipal"})
EXPECTED_VERSION = "6.0.0"
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "hub" / "data" / "territories.json.gz"

REGION_COLUMNS = ["code", "name", "overseas"]
DEPARTEMENT_COLUMNS = ["code", "name", "region", "overseas"]
EPCI_COLUMNS = ["code", "name", "kind"]
COMMUNE_COLUMNS = [
    "code",
    "name",
    "departement",
    "region",
    "epci",
    "main_commune",
    "population",
    "latitude",
    "longitude",
]

Row = list[Any]


def first(row: Row) -> str:
    code: str = row[0]
    return code


def read_json(folder: Path, name: str) -> list[dict[str, Any]]:
    with (folder / name).open(encoding="utf-8") as handle:
        data: list[dict[str, Any]] = json.load(handle)
    return data


def package_version(folder: Path) -> str:
    # The data folder sits inside the unpacked package; its package.json names the vintage.
    manifest = folder.parent / "package.json"
    if not manifest.exists():
        return "unknown"
    with manifest.open(encoding="utf-8") as handle:
        return str(json.load(handle).get("version", "unknown"))


def read_centres(path: Path) -> dict[str, tuple[float, float]]:
    centres: dict[str, tuple[float, float]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            centres[record["code"]] = (
                round(float(record["latitude"]), 4),
                round(float(record["longitude"]), 4),
            )
    return centres


def convert(folder: Path, centres: dict[str, tuple[float, float]]) -> dict[str, Any]:
    regions = [
        [r["code"], r["nom"], r["zone"] == "drom"]
        for r in read_json(folder, "regions.json")
        if r["zone"] in KEPT_ZONES
    ]
    region_codes = {row[0] for row in regions}

    departements = [
        [d["code"], d["nom"], d["region"], d["zone"] == "drom"]
        for d in read_json(folder, "departements.json")
        if d["zone"] in KEPT_ZONES
    ]
    departement_codes = {row[0] for row in departements}

    sources = [
        c
        for c in read_json(folder, "communes.json")
        if c["zone"] in KEPT_ZONES and c["type"] in KEPT_COMMUNE_TYPES
    ]
    kept_codes = {c["code"] for c in sources}
    if len(kept_codes) != len(sources):
        raise ValueError("duplicate commune codes among kept communes")

    # The membership lists of epci.json are the authority for a commune's EPCI.
    epcis: list[Row] = []
    epci_of: dict[str, str] = {}
    for epci in read_json(folder, "epci.json"):
        members = [m["code"] for m in epci["membres"] if m["code"] in kept_codes]
        if not members:
            continue
        epcis.append([epci["code"], epci["nom"], epci["type"]])
        for code in members:
            if code in epci_of:
                raise ValueError(f"commune {code} belongs to two EPCIs")
            epci_of[code] = epci["code"]

    communes: list[Row] = []
    for c in sources:
        main = c.get("commune") if c["type"] == "arrondissement-municipal" else None
        if main is not None and main not in kept_codes:
            raise ValueError(f"arrondissement {c['code']} points to unknown commune {main}")
        latitude, longitude = centres.get(c["code"], (None, None))
        communes.append(
            [
                c["code"],
                c["nom"],
                c["departement"],
                c["region"],
                # Arrondissements are not EPCI members themselves: they share their city's.
                epci_of.get(main if main is not None else c["code"]),
                main,
                c.get("population"),
                latitude,
                longitude,
            ]
        )

    for row in departements:
        if row[2] not in region_codes:
            raise ValueError(f"département {row[0]} has unknown région {row[2]}")
    for row in communes:
        if row[2] not in departement_codes or row[3] not in region_codes:
            raise ValueError(f"commune {row[0]} has an unknown département or région")

    return {
        "source": {
            "package": "@etalab/decoupage-administratif",
            "version": package_version(folder),
            "licence": "data: Licence Ouverte (Etalab); code: MIT",
        },
        "regions": {"columns": REGION_COLUMNS, "rows": sorted(regions, key=first)},
        "departements": {"columns": DEPARTEMENT_COLUMNS, "rows": sorted(departements, key=first)},
        "epcis": {"columns": EPCI_COLUMNS, "rows": sorted(epcis, key=first)},
        "communes": {"columns": COMMUNE_COLUMNS, "rows": sorted(communes, key=first)},
    }


def write(document: dict[str, Any], output: Path) -> None:
    payload = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    buffer = io.BytesIO()
    # mtime=0 and no file name in the header keep the bytes reproducible.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(payload.encode("utf-8"))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(buffer.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_folder", type=Path, help="the package's data/ folder")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--centres", type=Path, help="optional CSV code,latitude,longitude to merge"
    )
    args = parser.parse_args(argv)

    version = package_version(args.data_folder)
    if version != EXPECTED_VERSION:
        print(
            f"warning: package version {version}, the hub expects {EXPECTED_VERSION}",
            file=sys.stderr,
        )
    centres = read_centres(args.centres) if args.centres else {}
    document = convert(args.data_folder, centres)
    write(document, args.output)
    counts = ", ".join(
        f"{len(document[level]['rows'])} {level}"
        for level in ("regions", "departements", "epcis", "communes")
    )
    print(f"wrote {args.output} ({args.output.stat().st_size} bytes): {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
