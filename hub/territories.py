"""Loading the official geography into the database: the territories
(hub/data/territories.json.gz), their centres and outlines (hub/data/geography.json.gz).

The data files are produced by ``scripts/convert_territories.py`` and
``scripts/convert_geography.py``; hub/data/README.md says where they come from. Loading is an
upsert: rows missing from the database are inserted, rows whose values changed are updated,
nothing is ever deleted, because sites, organizations and scopes reference communes and a
vanished code must stay resolvable for them.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from hub import geography
from hub.models.territories import Commune, Departement, Epci, Outline, Region

logger = logging.getLogger(__name__)

DATA_PATH = Path(__file__).resolve().parent / "data" / "territories.json.gz"

# The five DROM: what the hub calls Outre-mer, as opposed to the Hexagone (Corsica included).
OVERSEAS_DEPARTEMENTS: frozenset[str] = frozenset({"971", "972", "973", "974", "976"})
OVERSEAS_REGIONS: frozenset[str] = frozenset({"01", "02", "03", "04", "06"})

# executemany takes any number of rows; batches only bound the memory of one driver call.
BATCH_SIZE = 5000


@dataclass(frozen=True)
class Level:
    key: str
    model: type[Model]
    # The data file's table for this level.
    table: str
    # Columns in the order of the tuples built from the data file, primary key first. Each is
    # the data file's column of the same name less "_id", except the derived scope code, last.
    columns: tuple[str, ...]


_REGION = Level("region", Region, "regions", ("code", "name", "overseas", "latitude", "longitude"))
_DEPARTEMENT = Level(
    "departement",
    Departement,
    "departements",
    ("code", "name", "region_id", "overseas", "latitude", "longitude"),
)
_EPCI = Level("epci", Epci, "epcis", ("code", "name", "kind", "latitude", "longitude"))
_COMMUNE = Level(
    "commune",
    Commune,
    "communes",
    (
        "code",
        "name",
        "departement_id",
        "region_id",
        "epci_id",
        "main_commune_id",
        "population",
        "latitude",
        "longitude",
        "scope_code",
    ),
)
# The centre comes from the geography file, every other column from the territories file.
_COORDINATES = ("latitude", "longitude")
# A commune's scope is its main commune's (an arrondissement counts within its city).
_SCOPE = "scope_code"
# Parents first: départements reference régions, communes reference all three.
LEVELS = (_REGION, _DEPARTEMENT, _EPCI, _COMMUNE)
_OUTLINE_COLUMNS = ("level", "code", "south", "west", "north", "east", "rings")

Values = tuple[Any, ...]


def _read_rows(
    path: Path | None, places: dict[str, dict[str, geography.Place]]
) -> dict[str, list[Values]]:
    # Tuples in each level's column order: the loader passes them to executemany as they are.
    with gzip.open(path or DATA_PATH, "rt", encoding="utf-8") as handle:
        document = json.load(handle)

    def table(level: Level) -> list[Values]:
        index = {column: i for i, column in enumerate(document[level.table]["columns"])}
        own = [c for c in level.columns if c not in _COORDINATES and c != _SCOPE]
        picks = [index[c.removesuffix("_id")] for c in own]
        centres = places.get(level.key, {})
        rows = []
        for row in document[level.table]["rows"]:
            values = dict(zip(own, (row[i] for i in picks), strict=True))
            place = centres.get(values["code"])
            values["latitude"], values["longitude"] = place.centre if place else (None, None)
            rows.append(tuple(values[c] for c in level.columns if c != _SCOPE))
        return rows

    main = _COMMUNE.columns.index("main_commune_id")
    communes = [(*values, values[main] or values[0]) for values in table(_COMMUNE)]
    # The self foreign key needs every main commune inserted before its arrondissements.
    communes.sort(key=lambda c: (c[main] is not None, c[0]))
    return {
        **{level.key: table(level) for level in (_REGION, _DEPARTEMENT, _EPCI)},
        _COMMUNE.key: communes,
    }


def read_territories(path: Path | None = None) -> dict[str, list[dict[str, Any]]]:
    """The data file as dicts per level (``region``, ``departement``, ``epci``, ``commune``).

    Keys are the models' field names (``region_id``, ``scope_code``...); main communes come
    before their arrondissements.
    """
    rows = _read_rows(path, {})
    return {
        level.key: [dict(zip(level.columns, values, strict=True)) for values in rows[level.key]]
        for level in LEVELS
    }


def _merge(level: Level, new: Values, old: Values) -> Values:
    # A territory the geography file has no centre for keeps the one it has.
    merged = list(new)
    for column in _COORDINATES:
        index = level.columns.index(column)
        if merged[index] is None:
            merged[index] = old[index]
    return tuple(merged)


async def _upsert(
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Values],
    conn: BaseDBAsyncClient,
    keys: int = 1,
    merge: Callable[[Values, Values], Values] | None = None,
) -> tuple[int, int]:
    """Insert the ``rows`` (values in ``fields`` order, the first ``keys`` the key) that the
    table lacks and update those that differ (after ``merge(new, old)``)."""
    # Plain SQL through tortoise's query builder (right placeholders for each dialect):
    # building 35,000 model instances for bulk_create costs more than the inserts themselves.
    meta = model._meta
    table = meta.basetable
    columns = [meta.fields_db_projection[field] for field in fields]
    executor = conn.executor_class(model=model, db=conn)
    parameters = [executor.parameter(i) for i in range(len(columns))]

    _, records = await conn.execute_query(conn.query_class.from_(table).select(*columns).get_sql())
    existing: dict[Values, Values] = {tuple(record[:keys]): tuple(record) for record in records}

    to_insert: list[Values] = []
    to_update: list[Values] = []
    for values in rows:
        old = existing.get(values[:keys])
        if old is None:
            to_insert.append(values)
            continue
        merged = values if merge is None else merge(values, old)
        if merged != old:
            # UPDATE ... SET every other column ... WHERE the key: the key goes last.
            to_update.append((*merged[keys:], *merged[:keys]))

    if to_insert:
        insert = conn.query_class.into(table).columns(*columns).insert(*parameters)
        await _in_batches(conn, insert.get_sql(), to_insert)
    if to_update:
        update = conn.query_class.update(table)
        for column, parameter in zip(columns[keys:], parameters, strict=False):
            update = update.set(column, parameter)
        where = parameters[len(columns) - keys :]
        for column, parameter in zip(columns[:keys], where, strict=True):
            update = update.where(table[column] == parameter)
        await _in_batches(conn, update.get_sql(), to_update)
    return len(to_insert), len(to_update)


async def _in_batches(conn: BaseDBAsyncClient, sql: str, rows: Sequence[Values]) -> None:
    for start in range(0, len(rows), BATCH_SIZE):
        # tortoise types execute_many's rows as lists; the drivers take tuples too.
        await conn.execute_many(sql, rows[start : start + BATCH_SIZE])  # type: ignore[arg-type]


def _outline_rows(places: dict[str, dict[str, geography.Place]]) -> list[Values]:
    rows: list[Values] = []
    for level in LEVELS:
        for code, place in sorted(places.get(level.key, {}).items()):
            south, west, north, east = geography.bounds(geography.decode(place.outline))
            rings = json.dumps(place.outline, separators=(",", ":"))
            rows.append((level.key, code, south, west, north, east, rings))
    return rows


async def load_territories(
    path: Path | None = None, geography_path: Path | None = None
) -> dict[str, int]:
    """Load régions, départements, EPCIs and communes, with their centres and outlines, from
    the data files, idempotently.

    Needs an initialised tortoise (hub.database.connect). Returns how many rows of each level
    the file holds, all of which are in the database afterwards.
    """
    places = geography.read_geography(geography_path)
    data = _read_rows(path, places)
    outlines = _outline_rows(places)
    async with in_transaction() as conn:
        for level in LEVELS:
            merge = partial(_merge, level)
            inserted, updated = await _upsert(
                level.model, level.columns, data[level.key], conn, merge=merge
            )
            logger.info(
                "territories %s: %d in file, %d inserted, %d updated",
                level.key,
                len(data[level.key]),
                inserted,
                updated,
            )
        inserted, updated = await _upsert(Outline, _OUTLINE_COLUMNS, outlines, conn, keys=2)
        logger.info(
            "territory outlines: %d in file, %d inserted, %d updated",
            len(outlines),
            inserted,
            updated,
        )
    return {key: len(rows) for key, rows in data.items()}
