"""Exports of the site and action lists, opened with the csv module and openpyxl and checked
cell by cell against the database, for a caller who reads everything and for others. The
files' formats (dialects, types of cells, layout of the XLSX) are tests/test_exports_files.py's."""

from __future__ import annotations

import csv
import io
import json
from enum import Enum
from typing import Any

import openpyxl
from strawberry.relay import to_base64

from hub.labels import label
from hub.models import (
    Action,
    ActionFinance,
    ActionIndicators,
    AuditEntry,
    Commune,
    Departement,
    Epci,
    ParcelOwner,
    Region,
    Site,
)
from hub.models.enums import AuditKind, SiteStatus
from tests.support import Hub, bearer, open_site

TOULOUSE = json.dumps({"locations": [{"level": "COMMUNE", "code": "31555"}]})


async def download(hub: Hub, who: str | None, path: str, **params: str) -> Any:
    headers = bearer(await hub.token(who)) if who else {}
    return await hub.http.get(path, params=params, headers=headers)


def read_csv(content: bytes, delimiter: str = ";") -> list[dict[str, str]]:
    """The rows of a CSV export, by header: by default, the French spreadsheets' dialect."""
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))


def read_xlsx(content: bytes) -> list[dict[str, Any]]:
    """The rows of an XLSX export, by header (the second row; the first holds the groups)."""
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    assert sheet is not None
    _, headers, *rows = list(sheet.iter_rows(values_only=True))
    width = len(headers)
    # Trailing empty cells are not stored: a shorter row ends with empty cells.
    return [dict(zip(headers, (*row, *[None] * (width - len(row))), strict=True)) for row in rows]


async def expected_sites(**conditions: Any) -> list[Site]:
    return await Site.filter(**conditions).order_by("id")


def text(value: Any) -> str:
    """A value as the default CSV shows it: labels, decimal commas."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        return label(value)
    return str(value).replace(".", ",") if isinstance(value, float) else str(value)


async def test_a_national_administrator_exports_every_column(hub: Hub) -> None:
    response = await download(hub, "national_admin", "/exports/sites.csv", filter=TOULOUSE)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="sites.csv"' in response.headers["content-disposition"]
    rows = read_csv(response.content)
    sites = await expected_sites(commune_scope_code="31555")
    assert [row["Identifiant"] for row in rows] == [str(s.id) for s in sites]
    assert [row["Identifiant API"] for row in rows] == [to_base64("Site", s.id) for s in sites]
    commune = await Commune.get(code="31555")
    epci = await Epci.get(code=commune.epci_id)
    departement = await Departement.get(code="31")
    region = await Region.get(code=departement.region_id)
    for row, site in zip(rows, sites, strict=True):
        owners = await ParcelOwner.filter(site_id=site.id).order_by("id")
        assert row["Nom"] == text(site.name)
        assert row["Commune"] == commune.name and row["Code commune"] == site.commune_id
        assert site.epci_code == epci.code
        assert (row["EPCI"], row["Code EPCI"]) == (epci.name, epci.code)
        assert (row["Département"], row["Code département"]) == ("Haute-Garonne", "31")
        assert (row["Région"], row["Code région"]) == (region.name, region.code)
        assert row["Type de terrain"] == text(site.field_type)
        assert row["Statut"] == text(site.status)
        assert row["Date de déclaration"] == text(site.declared_at)  # ISO 8601
        assert row["Dernière mise à jour (UTC)"] == site.updated_at.isoformat(timespec="seconds")
        assert row["Personnes"] == text(site.population_total)
        assert row["Adresse"] == text(site.address)
        assert row["Latitude"] == text(site.latitude)
        assert row["Procédure judiciaire"] == text(site.justice_procedure)
        assert row["Concours de la force publique"] == text(site.police_assistance)
        assert row["Type de propriétaire"] == text(site.owner_type)
        assert row["Parcelles et propriétaires"] == "; ".join(
            " ".join(filter(None, (o.parcel, o.owner_name))) for o in owners
        )
        assert row["Eau"] == text(site.water_status)


async def test_an_operator_exports_its_departement_without_legal_data(hub: Hub) -> None:
    response = await download(hub, "operator", "/exports/sites.xlsx")
    assert response.status_code == 200
    rows = read_xlsx(response.content)
    sites = await expected_sites(departement_code="31")
    assert [row["Identifiant"] for row in rows] == [s.id for s in sites]
    assert "Procédure judiciaire" not in rows[0] and "Type de propriétaire" not in rows[0]
    for row, site in zip(rows, sites, strict=True):
        assert row["Adresse"] == site.address  # exact location: D for an operator
        assert row["Personnes"] == site.population_total
        assert row["Nom"] == site.name


async def test_exports_are_refused_without_the_capability(hub: Hub) -> None:
    # export.sites is never for an external observer.
    refused = await download(hub, "external_observer", "/exports/sites.csv")
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"] == {
        "code": "FORBIDDEN", "capability": "export.sites",
    }  # fmt: skip
    anonymous = await download(hub, None, "/exports/actions.xlsx")
    assert anonymous.status_code == 403


async def test_finances_follow_the_callers_grant(hub: Hub) -> None:
    correspondent = read_xlsx(
        (await download(hub, "correspondent", "/exports/actions.xlsx")).content
    )
    actions = await Action.filter(departement_id="31").order_by("id")
    assert [r["Identifiant"] for r in correspondent] == [a.id for a in actions]
    assert "Montant prévu (total)" in correspondent[0]
    for row, action in zip(correspondent, actions, strict=True):
        latest = await ActionIndicators.filter(action_id=action.id).order_by("-year").first()
        assert row["Nom"] == action.name
        assert (row["Département"], row["Code département"]) == ("Haute-Garonne", "31")
        assert row["Année des indicateurs"] == (latest.year if latest else None)
        assert row["Personnes accompagnées"] == (latest.people if latest else None)
        planned = [f.planned_amount for f in await ActionFinance.filter(action_id=action.id)]
        planned = [amount for amount in planned if amount is not None]
        assert row["Montant prévu (total)"] == (float(sum(planned)) if planned else None)
    # An intervener never reads finances: the group is left out.
    intervener = read_csv((await download(hub, "intervener", "/exports/actions.csv")).content)
    assert intervener and "Montant prévu (total)" not in intervener[0]


async def test_filters_as_of_and_audit(hub: Hub) -> None:
    site = await open_site()
    update = """mutation ($id: ID!, $version: Int!) { updateSite(id: $id, version: $version,
      input: {identity: {name: "Nouveau nom"}}) { errors { code } } }"""
    done = await hub.call(
        "national_admin", update, {"id": to_base64("Site", site.id), "version": site.version}
    )
    assert done["errors"] == []
    one = json.dumps({"locations": [{"level": "COMMUNE", "code": site.commune_scope_code}]})
    now = read_csv((await download(hub, "correspondent", "/exports/sites.csv", filter=one)).content)
    then = read_csv(
        (
            await download(
                hub, "correspondent", "/exports/sites.csv", filter=one, asOf="2026-11-01"
            )
        ).content
    )
    key = str(site.id)
    assert [r["Nom"] for r in now if r["Identifiant"] == key] == ["Nouveau nom"]
    assert [r["Nom"] for r in then if r["Identifiant"] == key] == [text(site.name)]
    entry = await AuditEntry.filter(kind=AuditKind.EXPORT).order_by("-id").first()
    assert entry is not None and entry.operation == "export.sites"
    assert site.id in entry.subject_ids and entry.departement_code == "31"

    for params in ({"filter": "{not json"}, {"filter": '{"statuses": ["NOPE"]}'},
                   {"asOf": "2999-01-01"}, {"asOf": "hier"}, {"dialect": "excel"}):  # fmt: skip
        bad = await download(hub, "correspondent", "/exports/sites.csv", **params)
        assert bad.status_code == 400, params
        assert bad.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    open_only = json.dumps(
        {"statuses": ["OPEN"], "locations": [{"level": "DEPARTEMENT", "code": "31"}]}
    )
    rows = read_csv(
        (await download(hub, "national_admin", "/exports/sites.csv", filter=open_only)).content
    )
    assert len(rows) == await Site.filter(departement_code="31", status=SiteStatus.OPEN).count()


async def test_an_export_that_sends_no_row_is_audited_all_the_same(hub: Hub) -> None:
    before = await AuditEntry.filter(kind=AuditKind.EXPORT).count()
    response = await download(hub, "national_admin", "/exports/actions.csv", asOf="2000-01-01")
    assert response.status_code == 200 and read_csv(response.content) == []
    assert await AuditEntry.filter(kind=AuditKind.EXPORT).count() == before + 1
    empty = await download(hub, "national_admin", "/exports/actions.xlsx", asOf="2000-01-01")
    assert empty.status_code == 200 and read_xlsx(empty.content) == []
    entry = await AuditEntry.filter(kind=AuditKind.EXPORT).order_by("-id").first()
    assert entry is not None and entry.operation == "export.actions"
    assert entry.subject_ids == [] and entry.departement_code is None
    assert await AuditEntry.filter(kind=AuditKind.EXPORT).count() == before + 2
