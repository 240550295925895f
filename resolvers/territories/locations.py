"""Territory look-ups shared by filters: which column a location filters on, and checks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tortoise.expressions import Q

from hub.database import lookup
from hub.errors import BadUserInput
from hub.models import Commune, Departement, Epci, Region
from hub.models.enums import LocationLevel

MODELS: dict[LocationLevel, Any] = {
    LocationLevel.REGION: Region,
    LocationLevel.DEPARTEMENT: Departement,
    LocationLevel.EPCI: Epci,
    LocationLevel.COMMUNE: Commune,
}


def may_exist(level: LocationLevel, code: str) -> bool:
    """False for a code that names no row and that the database would not even compare: one
    longer than its column (tortoise raises a validation error) or with a NUL (PostgreSQL
    refuses it)."""
    return "\x00" not in code and len(code) <= MODELS[level]._meta.fields_map["code"].max_length


async def check_locations(locations: Iterable[Any]) -> list[tuple[LocationLevel, str | None]]:
    """Validated (level, code) pairs; arrondissements become their main commune.

    One query per level present, whatever the number of codes.
    """
    wanted: dict[LocationLevel, set[str]] = {}
    pairs: list[tuple[LocationLevel, str | None]] = []
    for location in locations:
        level, code = LocationLevel(location.level), location.code
        if level is LocationLevel.NATION:
            if code not in (None, "", "FR"):
                raise BadUserInput("The NATION level takes no code (or 'FR').", argument="code")
            pairs.append((level, None))
            continue
        if not code:
            raise BadUserInput(f"A {level.value} location needs a code.", argument="code")
        wanted.setdefault(level, set()).add(code)
        pairs.append((level, code))
    scope_codes: dict[str, str] = {}
    for level, codes in wanted.items():
        candidates = [code for code in codes if may_exist(level, code)]
        if level is LocationLevel.COMMUNE:
            rows = await Commune.filter(code__in=candidates).values("code", "scope_code")
            scope_codes = {row["code"]: row["scope_code"] for row in rows}
            found = set(scope_codes)
        else:
            query = MODELS[level].filter(code__in=candidates)
            found = set(await query.values_list("code", flat=True))
        missing = sorted(codes - found)
        if missing:
            raise BadUserInput(
                f"Unknown {level.value} code(s): {', '.join(missing)}.", argument="code"
            )
    return [
        (level, scope_codes.get(code, code) if level is LocationLevel.COMMUNE and code else code)
        for level, code in pairs
    ]


def location_q(
    pairs: Iterable[tuple[LocationLevel, str | None]], columns: dict[LocationLevel, str]
) -> Q:
    """Rows in any of the locations, given the column each level filters on.

    One ``IN`` list per level: a condition per location would nest one OR per entry, which
    the SQL builder walks recursively (a thousand locations exhausted Python's stack).
    """
    codes: dict[LocationLevel, dict[str | None, None]] = {}
    for level, code in pairs:
        if level is LocationLevel.NATION:
            return Q()
        codes.setdefault(level, {})[code] = None  # a dict: ordered, without repeats
    in_lists = [lookup(f"{columns[level]}__in", list(codes[level])) for level in codes]
    return Q(*in_lists, join_type=Q.OR)
