"""The real territories: the converter, and loading the data file on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import importlib.util
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from hub.models.territories import Commune, Departement, Epci, Region, TerritoryRevision
from hub.territories import (
    LEVELS,
    OVERSEAS_DEPARTEMENTS,
    OVERSEAS_REGIONS,
    load_territories,
    read_territories,
)
from tests.support import Databases, isolated_database

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_COUNTS = {"region": 18, "departement": 101, "epci": 1255, "commune": 34920}
ARRONDISSEMENTS = 45


@dataclass
class TerritoryDb:
    backend: str
    first_counts: dict[str, int]
    first_load_seconds: float


async def _snapshot() -> dict[str, list[tuple[Any, ...]]]:
    return {
        level.key: sorted(await level.model.all().values_list(*level.columns)) for level in LEVELS
    }


@pytest.fixture(scope="module")
async def territory_db(databases: Databases, backend: str) -> AsyncIterator[TerritoryDb]:
    # Module scope: the first load is the slow part, the read-only tests share it.
    async with isolated_database(databases, "territories"):
        started = time.perf_counter()
        counts = await load_territories()
        yield TerritoryDb(backend, counts, time.perf_counter() - started)


async def test_counts_and_idempotent_reload(territory_db: TerritoryDb) -> None:
    assert territory_db.first_counts == EXPECTED_COUNTS
    assert await Region.all().count() == 18
    assert await Departement.all().count() == 101
    assert await Epci.all().count() == 1255
    assert await Commune.filter(main_commune_id=None).count() == 34920 - ARRONDISSEMENTS
    assert await Commune.exclude(main_commune_id=None).count() == ARRONDISSEMENTS
    before = await _snapshot()

    started = time.perf_counter()
    assert await load_territories() == EXPECTED_COUNTS
    second = time.perf_counter() - started

    assert await _snapshot() == before
    print(
        f"\n{territory_db.backend}: first load {territory_db.first_load_seconds:.2f}s,"
        f" second load {second:.2f}s"
    )


async def test_toulouse(territory_db: TerritoryDb) -> None:
    toulouse = await Commune.get(code="31555")
    assert toulouse.name == "Toulouse"
    assert (toulouse.departement_id, toulouse.region_id) == ("31", "76")
    assert toulouse.scope_code == "31555"
    assert toulouse.main_commune_id is None
    assert toulouse.population is not None and toulouse.population > 400_000
    epci = await Epci.get(code=toulouse.epci_id)
    assert (epci.name, epci.kind) == ("Toulouse Métropole", "METRO")
    assert (await Departement.get(code="31")).region_id == "76"


async def test_arrondissements_point_to_their_city(territory_db: TerritoryDb) -> None:
    for city, count in (("75056", 20), ("69123", 9), ("13055", 16)):
        arrondissements = await Commune.filter(main_commune_id=city)
        assert len(arrondissements) == count
        main = await Commune.get(code=city)
        assert {a.scope_code for a in arrondissements} == {city}
        # Scopes treat an arrondissement as its city, EPCI included.
        assert {a.epci_id for a in arrondissements} == {main.epci_id}
        assert {a.departement_id for a in arrondissements} == {main.departement_id}
    paris = await Commune.filter(main_commune_id="75056").order_by("code")
    assert [a.code for a in paris] == [f"751{n:02d}" for n in range(1, 21)]


async def test_departements_and_overseas(territory_db: TerritoryDb) -> None:
    corsica = await Departement.filter(code__in=["2A", "2B"]).order_by("code")
    assert [(d.code, d.region_id, d.overseas) for d in corsica] == [
        ("2A", "94", False),
        ("2B", "94", False),
    ]
    overseas = await Departement.filter(overseas=True).order_by("code")
    assert {d.code for d in overseas} == OVERSEAS_DEPARTEMENTS
    assert {d.code for d in overseas} == {"971", "972", "973", "974", "976"}
    assert {r.code for r in await Region.filter(overseas=True)} == OVERSEAS_REGIONS
    # Collectivités d'outre-mer are not part of the hub's geography.
    assert not await Departement.filter(code__in=["975", "977", "978", "984", "988"]).exists()
    assert not await Commune.filter(departement_id="976").exclude(region_id="06").exists()
    # The four island communes that belong to no EPCI.
    assert {c.code for c in await Commune.filter(epci_id=None)} == {
        "22016",
        "29083",
        "29155",
        "85113",
    }


async def test_reload_updates_and_never_deletes(territory_db: TerritoryDb) -> None:
    await Region.filter(code="76").update(name="Languedoc")
    await Commune.filter(code="31555").update(name="Tolosa", latitude=43.6045, longitude=1.444)
    # A code the file no longer has (a merged commune, say) that sites may still reference.
    await Commune.create(
        code="31999", name="Ancienne", departement_id="31", region_id="76", scope_code="31999",
        latitude=43.5, longitude=1.3,
    )  # fmt: skip
    token = (await TerritoryRevision.get(id=1)).token
    try:
        await load_territories()
        # What the reload changed, the serving processes read again (resolvers.territories.kept).
        assert (await TerritoryRevision.get(id=1)).token != token
        assert (await Region.get(code="76")).name == "Occitanie"
        toulouse = await Commune.get(code="31555")
        assert toulouse.name == "Toulouse"
        # The geography file's centre wins; a commune it has no centre for keeps its own.
        assert (toulouse.latitude, toulouse.longitude) == (43.60405, 1.44305)
        ancienne = await Commune.get(code="31999")
        assert (ancienne.latitude, ancienne.longitude) == (43.5, 1.3)
    finally:
        await Commune.filter(code="31999").delete()


def test_read_territories_matches_models() -> None:
    data = read_territories()
    assert {level: len(rows) for level, rows in data.items()} == EXPECTED_COUNTS
    communes = data["commune"]
    first_arrondissement = next(i for i, c in enumerate(communes) if c["main_commune_id"])
    # Main communes come first so that the self foreign key is satisfied on insert.
    assert all(c["main_commune_id"] for c in communes[first_arrondissement:])
    assert all(c["latitude"] is None and c["longitude"] is None for c in communes)


# The converter, on a miniature of the npm package's data folder.


def _converter() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "convert_territories", ROOT / "scripts" / "convert_territories.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_package(root: Path) -> Path:
    data = root / "package" / "data"
    data.mkdir(parents=True)
    (root / "package" / "package.json").write_text(json.dumps({"version": "6.0.0"}))
    files: dict[str, list[dict[str, Any]]] = {
        "regions.json": [
            {"code": "76", "nom": "Occitanie", "zone": "metro"},
            {"code": "04", "nom": "La Réunion", "zone": "drom"},
            {"code": "975", "nom": "Saint-Pierre-et-Miquelon", "zone": "com"},
        ],
        "departements.json": [
            {"code": "974", "nom": "La Réunion", "region": "04", "zone": "drom"},
            {"code": "31", "nom": "Haute-Garonne", "region": "76", "zone": "metro"},
            {"code": "975", "nom": "Saint-Pierre-et-Miquelon", "region": "975", "zone": "com"},
        ],
        "communes.json": [
            {
                "code": "31555",
                "nom": "Toulouse",
                "zone": "metro",
                "type": "commune-actuelle",
                "departement": "31",
                "region": "76",
                "population": 514819,
            },
            {
                "code": "31555",
                "nom": "Toulouse",
                "zone": "metro",
                "type": "commune-deleguee",
                "departement": "31",
                "region": "76",
            },
            {
                "code": "31999",
                "nom": "Quartier",
                "zone": "metro",
                "type": "arrondissement-municipal",
                "commune": "31555",
                "departement": "31",
                "region": "76",
                "population": 1000,
            },
            {
                "code": "97411",
                "nom": "Saint-Denis",
                "zone": "drom",
                "type": "commune-actuelle",
                "departement": "974",
                "region": "04",
            },
            {
                "code": "97502",
                "nom": "Saint-Pierre",
                "zone": "com",
                "type": "commune-actuelle",
                "departement": "975",
                "region": "975",
            },
        ],
        "epci.json": [
            {
                "code": "249740119",
                "nom": "CA Cinor",
                "type": "CA",
                "membres": [{"code": "97411"}],
            },
            {
                "code": "243100518",
                "nom": "Toulouse Métropole",
                "type": "METRO",
                "membres": [{"code": "31555"}],
            },
        ],
    }
    for name, rows in files.items():
        (data / name).write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return data


def test_converter_keeps_metro_and_drom_and_is_deterministic(tmp_path: Path) -> None:
    converter = _converter()
    folder = _write_package(tmp_path)
    centres = tmp_path / "centres.csv"
    centres.write_text("code,latitude,longitude\n31555,43.604468,1.444361\n")
    first, second = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    assert converter.main([str(folder), "--output", str(first), "--centres", str(centres)]) == 0
    assert converter.main([str(folder), "--output", str(second), "--centres", str(centres)]) == 0
    assert first.read_bytes() == second.read_bytes()

    document = json.loads(gzip.decompress(first.read_bytes()))
    assert document["source"]["version"] == "6.0.0"
    assert document["regions"]["rows"] == [["04", "La Réunion", True], ["76", "Occitanie", False]]
    assert [row[0] for row in document["departements"]["rows"]] == ["31", "974"]
    assert document["epcis"]["rows"] == [
        ["243100518", "Toulouse Métropole", "METRO"],
        ["249740119", "CA Cinor", "CA"],
    ]
    columns = document["communes"]["columns"]
    communes = {
        row[0]: dict(zip(columns, row, strict=True)) for row in document["communes"]["rows"]
    }
    assert list(communes) == ["31555", "31999", "97411"]
    assert communes["31555"]["latitude"] == 43.6045
    assert communes["31555"]["longitude"] == 1.4444
    assert communes["31999"]["main_commune"] == "31555"
    assert communes["31999"]["epci"] == "243100518"
    assert communes["97411"]["population"] is None
