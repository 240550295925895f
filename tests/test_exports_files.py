"""The export files as a préfecture analyst's spreadsheet and a program open them, through
HTTP: the CSV's two dialects (BOM, delimiter, decimal separator, ISO dates) and the errors of
their parameter; the XLSX's layout (group headers merged over their columns, bold frozen header
rows, an autofilter, column widths fitted to their contents) and the types of its cells; French
labels in every cell of an enumeration; the links that open a row in GraphiQL, left out in
production; text that looks like a formula; the number of SQL statements, whatever the rows.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import json
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from hub.database import count_statements
from hub.labels import LABELS
from hub.models import ActionFinance, AuditEntry, Site
from hub.models.enums import SiteStatus
from hub.server.app import create_app
from hub.server.auth.keys import StaticKeys
from hub.server.auth.middleware import Authenticator
from hub.server.auth.tokens import TokenValidator, Trust
from hub.settings import Environment
from resolvers.exports.columns import ACTION_GROUPS, SITE_GROUPS, Group
from tests.support import Hub, bearer, error_codes
from tests.test_exports import download, read_csv

HAUTE_GARONNE = json.dumps({"locations": [{"level": "DEPARTEMENT", "code": "31"}]})
TOULOUSE = json.dumps({"locations": [{"level": "COMMUNE", "code": "31555"}]})
SITE_GROUP_NAMES = [
    "Identité", "Territoire", "Localisation exacte", "Population", "Conditions de vie",
    "Procédures judiciaires", "Propriété", "Cycle de vie",
]  # fmt: skip
# The columns whose cells are decimal numbers.
DECIMALS = {"Latitude", "Longitude", "Montant prévu (total)", "Montant dépensé (total)"}


def sheet_of(content: bytes) -> Worksheet:
    """The XLSX's sheet, loaded whole (merged cells, frozen panes, widths, formats)."""
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert isinstance(sheet, Worksheet)
    return sheet


def by_header(sheet: Worksheet) -> list[dict[str, Any]]:
    """The sheet's cells below the headers (row 2), by header."""
    headers = [cell.value for cell in sheet[2]]
    return [dict(zip(headers, row, strict=True)) for row in sheet.iter_rows(min_row=3)]


def enumerated(groups: tuple[Group, ...]) -> dict[str, type[Any]]:
    """The columns that show an enumeration, and which."""
    return {c.header: c.enum for g in groups for c in g.columns if c.enum is not None}


async def test_the_default_csv_is_for_french_spreadsheets(hub: Hub) -> None:
    response = await download(hub, "national_admin", "/exports/sites.csv", filter=HAUTE_GARONNE)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    content = response.content
    # UTF-8 with a BOM, ";" between cells, CRLF after each row.
    assert content.startswith(codecs.BOM_UTF8)
    header_line = content[len(codecs.BOM_UTF8) :].split(b"\r\n", 1)[0].decode()
    assert header_line.split(";")[:4] == ["Identifiant", "Nom", "Type de terrain",
                                         "Date de déclaration"]  # fmt: skip
    assert content.endswith(b"\r\n") and b"\n" not in content.replace(b"\r\n", b"")
    rows = read_csv(content)
    sites = {site.id: site for site in await Site.filter(departement_code="31")}
    assert sorted(int(row["Identifiant"]) for row in rows) == sorted(sites)
    for row in rows:
        site = sites[int(row["Identifiant"])]
        # Decimal commas; ISO 8601 dates and moments.
        if site.latitude is not None:
            assert "." not in row["Latitude"]
            assert float(row["Latitude"].replace(",", ".")) == site.latitude
        if site.declared_at is not None:
            assert datetime.date.fromisoformat(row["Date de déclaration"]) == site.declared_at
        assert datetime.datetime.fromisoformat(row["Dernière mise à jour (UTC)"]) == (
            site.updated_at.replace(microsecond=0)
        )
        assert row["Code département"] == "31" and row["Département"] == "Haute-Garonne"
    assert any(row["Latitude"] for row in rows)


@pytest.mark.parametrize(
    ("kind", "who"), [("sites", "national_admin"), ("actions", "correspondent")]
)
async def test_rfc4180_is_the_same_table_for_programs(hub: Hub, kind: str, who: str) -> None:
    path = f"/exports/{kind}.csv"
    french = read_csv((await download(hub, who, path)).content)
    response = await download(hub, who, path, dialect="rfc4180")
    assert response.status_code == 200
    assert not response.content.startswith(codecs.BOM_UTF8)
    plain = list(csv.DictReader(io.StringIO(response.content.decode()), delimiter=","))
    assert len(plain) == len(french) and plain
    for ours, theirs in zip(plain, french, strict=True):
        assert ours.keys() == theirs.keys()
        for header, value in ours.items():
            expected = theirs[header].replace(",", ".") if header in DECIMALS else theirs[header]
            assert value == expected, header
    if kind == "actions":  # amounts: two decimals, a decimal point
        amounts = [row["Montant prévu (total)"] for row in plain if row["Montant prévu (total)"]]
        assert amounts and all(re.fullmatch(r"\d+\.\d\d", amount) for amount in amounts)


async def test_the_dialect_is_checked(hub: Hub) -> None:
    before = await AuditEntry.all().count()
    for path, dialect, reason in [
        ("/exports/sites.csv", "excel", "`dialect` must be one of excel-fr, rfc4180; got 'excel'."),
        ("/exports/actions.csv", "RFC4180", "`dialect` must be one of excel-fr, rfc4180"),
        ("/exports/sites.xlsx", "rfc4180", "`dialect` applies to CSV exports only."),
        ("/exports/sites.geojson", "excel-fr", "`dialect` applies to CSV exports only."),
    ]:
        refused = await download(hub, "national_admin", path, dialect=dialect)
        assert refused.status_code == 400, path
        (error,) = refused.json()["errors"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "dialect"}
        assert error["message"].startswith(reason), error
    # Nothing was exported, so nothing was audited.
    assert await AuditEntry.all().count() == before
    # Either dialect by its name; an empty value is the default.
    for dialect, first in (("excel-fr", codecs.BOM_UTF8), ("", codecs.BOM_UTF8), ("rfc4180", b"I")):
        chosen = await download(hub, "operator", "/exports/sites.csv", dialect=dialect)
        assert chosen.status_code == 200 and chosen.content.startswith(first)


@pytest.mark.parametrize(
    ("kind", "who", "groups"), [("sites", "national_admin", SITE_GROUPS),
                                ("actions", "national_admin", ACTION_GROUPS)],
)  # fmt: skip
async def test_enumerations_show_their_french_labels(
    hub: Hub, kind: str, who: str, groups: tuple[Group, ...]
) -> None:
    rows = read_csv((await download(hub, who, f"/exports/{kind}.csv")).content)
    assert rows
    for header, enum in enumerated(groups).items():
        labels = set(LABELS[enum].values())
        shown = {item for row in rows if row[header] for item in row[header].split(", ")}
        assert shown and shown <= labels, (header, shown - labels)


async def test_the_xlsx_is_laid_out_for_people(hub: Hub) -> None:
    response = await download(hub, "national_admin", "/exports/sites.xlsx", filter=HAUTE_GARONNE)
    assert response.status_code == 200
    sheet = sheet_of(response.content)
    assert sheet.title == "Sites"
    headers = [cell.value for cell in sheet[2]]
    count = await Site.filter(departement_code="31").count()
    last = get_column_letter(len(headers))
    assert sheet.max_row == count + 2

    # Row 1: each group's name over its columns, merged; row 2: the columns' headers.
    spans = {str(merged): merged for merged in sheet.merged_cells.ranges}
    assert all(merged.min_row == merged.max_row == 1 for merged in spans.values())
    groups: dict[str, list[Any]] = {}
    column = 1
    while column <= len(headers):
        name = sheet.cell(1, column).value
        merged = next((m for m in spans.values() if m.min_col == column), None)
        end = merged.max_col if merged else column
        groups[name] = headers[column - 1 : end]
        column = end + 1
    assert list(groups) == SITE_GROUP_NAMES
    assert len(spans) == len(groups)  # every group of these has several columns
    assert groups["Identité"][:2] == ["Identifiant", "Nom"]
    assert groups["Territoire"] == ["Commune", "Code commune", "EPCI", "Code EPCI", "Département",
                                    "Code département", "Région", "Code région"]  # fmt: skip
    assert "Eau" in groups["Conditions de vie"] and "Personnes" in groups["Population"]
    for row in (1, 2):
        assert all(cell.font.bold for cell in sheet[row] if cell.value is not None), row

    # Both header rows frozen; an autofilter over the headers and every row.
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == f"A2:{last}{count + 2}"

    # Widths fitted to the contents, within bounds.
    rows = by_header(sheet)
    widths = {
        header: sheet.column_dimensions[get_column_letter(index)].width
        for index, header in enumerate(headers, 1)
    }
    assert all(8 <= width <= 60 and width >= len(header) for header, width in widths.items())
    longest = max(len(row["Nom"].value) for row in rows if row["Nom"].value)
    assert min(longest, 59) < widths["Nom"] <= 60
    assert widths["Code région"] <= len("Code région") + 5  # short codes: no room wasted
    assert widths["Lien"] == 60  # long addresses: the bound

    # Cells of their types: numbers, real dates in French formats, text, hyperlinks.
    sites = {site.id: site for site in await Site.filter(departement_code="31")}
    for row in rows:
        identifier = row["Identifiant"].value
        assert isinstance(identifier, int)
        site = sites[identifier]
        assert row["Nom"].value == site.name
        assert row["Code département"].value == "31" and row["Code commune"].data_type == "s"
        assert row["Personnes"].value == site.population_total
        assert row["Latitude"].value == site.latitude
        declared = row["Date de déclaration"]
        if site.declared_at is not None:
            assert declared.is_date and declared.number_format == "dd/mm/yyyy"
            assert declared.value.date() == site.declared_at
        updated = row["Dernière mise à jour (UTC)"]
        assert updated.is_date and updated.number_format == "dd/mm/yyyy hh:mm"
        utc = site.updated_at.astimezone(datetime.UTC).replace(tzinfo=None)
        assert abs(updated.value - utc) < datetime.timedelta(seconds=1)
        link = row["Lien"]
        assert link.hyperlink.target == link.value and link.value.startswith("http://hub.test/")
    assert any(isinstance(row["Latitude"].value, float) for row in rows)
    assert any(row["Date de déclaration"].is_date for row in rows)


async def test_amounts_are_numbers_in_euros(hub: Hub) -> None:
    response = await download(hub, "correspondent", "/exports/actions.xlsx")
    sheet = sheet_of(response.content)
    assert sheet.title == "Actions"
    groups = [cell.value for cell in sheet[1] if cell.value is not None]
    assert groups == ["Action", "Territoire", "Indicateurs (dernière année)", "Financements"]
    rows = by_header(sheet)
    assert rows
    for row in rows:
        planned = [
            f.planned_amount
            for f in await ActionFinance.filter(action_id=row["Identifiant"].value)
            if f.planned_amount is not None
        ]
        cell = row["Montant prévu (total)"]
        assert cell.value == (float(sum(planned, Decimal(0))) if planned else None)
        if planned:
            assert cell.number_format == '#,##0.00 "€"'
        assert row["Début"].is_date and row["Début"].number_format == "dd/mm/yyyy"


async def test_text_that_looks_like_a_formula_stays_text(hub: Hub) -> None:
    site = await Site.filter(commune_scope_code="31555").order_by("id").first()
    assert site is not None
    name, address = site.name, site.address
    await Site.filter(id=site.id).update(name="=1+2", address="@SOMME\x01(A1)")
    try:
        french = read_csv((await download(hub, "national_admin", "/exports/sites.csv",
                                           filter=TOULOUSE)).content)  # fmt: skip
        plain = read_csv(
            (await download(hub, "national_admin", "/exports/sites.csv", filter=TOULOUSE,
                            dialect="rfc4180")).content, delimiter=",",
        )  # fmt: skip
        xlsx = await download(hub, "national_admin", "/exports/sites.xlsx", filter=TOULOUSE)
    finally:
        await Site.filter(id=site.id).update(name=name, address=address)
    (ours,) = [row for row in french if row["Identifiant"] == str(site.id)]
    # A spreadsheet opening the file shows the text: its apostrophe marks it as text.
    assert (ours["Nom"], ours["Adresse"]) == ("'=1+2", "'@SOMME\x01(A1)")
    (theirs,) = [row for row in plain if row["Identifiant"] == str(site.id)]
    assert (theirs["Nom"], theirs["Adresse"]) == ("=1+2", "@SOMME\x01(A1)")
    (cells,) = [row for row in by_header(sheet_of(xlsx.content))
                if row["Identifiant"].value == site.id]  # fmt: skip
    assert (cells["Nom"].value, cells["Nom"].data_type) == ("=1+2", "s")
    # A character XML cannot hold is left out, rather than the whole file lost.
    assert cells["Adresse"].value == "@SOMME(A1)"


@pytest.mark.parametrize(
    ("kind", "who", "field"),
    [("sites", "operator", "site"), ("actions", "correspondent", "action")],
)
async def test_a_link_opens_the_row_in_graphiql(hub: Hub, kind: str, who: str, field: str) -> None:
    rows = read_csv((await download(hub, who, f"/exports/{kind}.csv")).content)
    assert rows
    for row in rows[:3]:
        link = urlsplit(row["Lien"])
        assert (link.scheme, link.netloc, link.path) == ("http", "hub.test", "/graphql")
        shared = {key: value for key, (value,) in parse_qs(link.query).items()}
        assert set(shared) == {"q", "variables"}
        assert json.loads(shared["variables"]) == {"id": row["Identifiant API"]}
        # The query runs as it is, for the caller who exported the row, and finds it.
        body = await hub.ask(who, shared["q"], json.loads(shared["variables"]))
        assert "errors" not in body, body
        assert body["data"][field]["name"] == row["Nom"]
    # The address is GraphiQL's page.
    page = await hub.http.get(rows[0]["Lien"], headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


@pytest.fixture
async def production(hub: Hub) -> AsyncIterator[httpx.AsyncClient]:
    """The same hub in production (no GraphiQL), trusting the test's issuer as a partner's."""
    settings = replace(hub.settings, environment=Environment.PRODUCTION)
    trusted = Trust(hub.issuer.trusted, StaticKeys([hub.issuer.public_key]))
    authenticator = Authenticator(TokenValidator([trusted], 30))
    app = create_app(settings, manage_database=False, authenticator=authenticator)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield http


async def test_production_exports_have_no_link(hub: Hub, production: httpx.AsyncClient) -> None:
    token = bearer(await hub.token("operator"))
    for kind in ("sites", "actions"):
        response = await production.get(f"/exports/{kind}.csv", headers=token)
        assert response.status_code == 200, response.text
        rows = read_csv(response.content)
        assert rows and "Identifiant API" in rows[0] and "Lien" not in rows[0]
        sheet = sheet_of((await production.get(f"/exports/{kind}.xlsx", headers=token)).content)
        assert "Lien" not in [cell.value for cell in sheet[2]]
    # GraphiQL is not served there: a link would lead nowhere.
    refused = await production.get("/graphql", headers={"Accept": "text/html", **token})
    assert refused.status_code == 405 and error_codes(refused.json()) == ["METHOD_NOT_ALLOWED"]


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
async def test_the_statements_do_not_grow_with_the_rows(hub: Hub, extension: str) -> None:
    # The sites of one status, then those of every status: all within one chunk of rows.
    few, every = {"statuses": ["UNKNOWN"]}, {"statuses": [status.name for status in SiteStatus]}
    assert 1 < await Site.filter(status=SiteStatus.UNKNOWN).count() < await Site.all().count()
    counts = []
    for site_filter in (few, every):
        with count_statements() as counter:
            response = await download(hub, "national_admin", f"/exports/sites.{extension}",
                                      filter=json.dumps(site_filter))  # fmt: skip
        assert response.status_code == 200
        counts.append(len(counter.statements))
    assert counts[0] == counts[1]
