"""Loaders of the official geography: territories by code and their children."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from hub.models import Commune, Departement, Epci, Outline, Region
from permissions.principal import Principal
from resolvers.batching import BatchLoad, Sharing
from resolvers.fetching import rows_by_keys
from resolvers.pagination import ChildList, by_key_loader, child_connection, grouped_loader
from resolvers.territories.kept import Revisions, territories_by_code


def _by_code(model: Any) -> Sharing:
    """Kept by the process while current (``kept``); a request reads the token once for all
    its territory loaders."""

    def make(revisions: Revisions) -> BatchLoad[str, Any]:
        async def fetch(codes: list[str]) -> list[Any]:
            return await territories_by_code(model, codes, revisions)

        return by_key_loader(fetch, key=lambda row: row.code)

    return Sharing(Revisions, make)


def region_by_code(_: Principal) -> Sharing:
    return _by_code(Region)


def departement_by_code(_: Principal) -> Sharing:
    return _by_code(Departement)


def epci_by_code(_: Principal) -> Sharing:
    return _by_code(Epci)


def commune_by_code(_: Principal) -> Sharing:
    return _by_code(Commune)


def outline_by_key(_: Principal) -> BatchLoad[tuple[str, str], Outline | None]:
    """Outlines by (level, code): one statement per level asked for."""

    async def fetch(keys: list[tuple[str, str]]) -> list[Outline]:
        codes: dict[str, list[str]] = {}
        for level, code in keys:
            codes.setdefault(level, []).append(code)
        rows: list[Outline] = []
        for level, wanted in sorted(codes.items()):
            rows += await rows_by_keys(Outline.filter(level=level), "code", wanted)
        return rows

    return by_key_loader(fetch, key=lambda row: (row.level, row.code))


def _children(model: Any, parent_field: str, order: tuple[str, ...], **extra: Any) -> ChildList:
    def queryset(parents: Sequence[Hashable]) -> Any:
        return model.filter(**{f"{parent_field}__in": parents}, **extra)

    return ChildList(queryset, parent_field, order, id_field="code")


_BY_NAME = ("name", "code")
DEPARTEMENTS_OF_REGION = child_connection(
    _children(Departement, "region_id", ("code",)), departement_by_code
)
# Arrondissements are listed under their main commune, not beside it.
COMMUNES_OF_DEPARTEMENT = child_connection(
    _children(Commune, "departement_id", _BY_NAME, main_commune_id__isnull=True), commune_by_code
)
COMMUNES_OF_EPCI = child_connection(
    _children(Commune, "epci_id", _BY_NAME, main_commune_id__isnull=True), commune_by_code
)


def arrondissements_of_commune(_: Principal) -> BatchLoad[str, list[Commune]]:
    async def fetch(codes: list[str]) -> list[Commune]:
        return await rows_by_keys(Commune.all().order_by("code"), "main_commune_id", codes)

    return grouped_loader(fetch, key=lambda row: row.main_commune_id)


def departements_of_epci(_: Principal) -> BatchLoad[str, list[str]]:
    """An EPCI may span several départements: the distinct départements of its communes."""

    async def load(codes: list[str]) -> list[list[str]]:
        rows = (
            await Commune.filter(epci_id__in=codes)
            .distinct()
            .order_by("departement_id")
            .values("epci_id", "departement_id")
        )
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row["epci_id"], []).append(row["departement_id"])
        return [found.get(code, []) for code in codes]

    return load
