"""Exports: the site and action lists as CSV or XLSX files, and the sites as a GeoJSON map,
streamed, for the same bearer tokens as the graph.

``GET /exports/sites.csv`` (``.xlsx``, ``.geojson``), ``/exports/actions.csv`` (``.xlsx``),
with the query parameters ``filter`` (the JSON of a ``SiteFilter`` / ``ActionFilter``, as in
GraphQL), ``asOf`` (``YYYY-MM-DD``: the rows as they were at the end of that day) and, for CSV,
``dialect`` (``DIALECTS``). A caller without ``export.sites`` / ``export.actions`` anywhere gets
403; bad parameters get 400; both with a GraphQL-shaped body; a database fault before the first
chunk is sent gets 503 (hub.faults).

Rows are read chunk by chunk (``resolvers/exports``) and their cells formatted here. CSV is
streamed as it is produced: by default for French spreadsheets (UTF-8 with a BOM, ``;``, decimal
commas), or as RFC 4180. XLSX is for people: a row of merged group headers over the column
headers, both frozen and bold, an autofilter, columns as wide as their contents (within
bounds), real dates and numbers, links as hyperlinks. Its rows are spooled to a temporary file
while their widths are measured, then openpyxl's write-only mode writes the workbook from the
spool into another temporary file (in a thread), which is streamed. GeoJSON (an RFC 7946
FeatureCollection, ``resolvers/exports/features.py``) is streamed as it is produced, a valid
document whatever the number of features.
"""

from __future__ import annotations

import asyncio
import csv
import datetime
import io
import json
import pickle
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

import orjson
from graphql import GraphQLError, Undefined, coerce_input_value, validate_input_value
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route, request_response
from strawberry.types.arguments import convert_argument

from hub.errors import BadUserInput
from hub.server.auth.middleware import Authenticator, principal_of
from hub.server.http_errors import error_response
from hub.server.ratelimit import RateLimits, guarded
from hub.server.replicas import ReadRouting
from hub.settings import Settings
from permissions.capabilities import Capability, Level
from resolvers.context import Context
from resolvers.exports.columns import Cell, Group, Link
from resolvers.exports.features import Feature
from resolvers.exports.rows import Table, action_rows, site_features, site_rows
from resolvers.filters import ActionFilter, SiteFilter

# Rows written to a CSV chunk (features to a GeoJSON chunk) before it is sent.
CSV_BATCH = 200
GEOJSON_BATCH = 200
FILE_CHUNK = 64 * 1024
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GEOJSON = "application/geo+json"
_EXPORTS: dict[str, tuple[Capability, type[Any], Callable[..., Awaitable[Table]]]] = {
    "sites": (Capability.EXPORT_SITES, SiteFilter, site_rows),
    "actions": (Capability.EXPORT_ACTIONS, ActionFilter, action_rows),
}
# The exports that are also a map: the same rows, as GeoJSON features.
_MAPS: dict[str, Callable[..., AsyncIterator[Feature]]] = {"sites": site_features}


def _filter(request: Request, filter_type: type[Any], schema: Any) -> Any:
    """The ``filter`` parameter, checked and converted as GraphQL would an argument."""
    raw = request.query_params.get("filter")
    if not raw:
        return None
    problems: list[str] = []

    def on_error(error: GraphQLError, path: Any = None) -> None:
        problems.append(error.message)

    try:
        given = json.loads(raw)
    except ValueError as error:
        raise BadUserInput(f"Invalid `filter`: {error}", argument="filter") from None
    graphql_type = schema._schema.get_type(filter_type.__name__)
    validate_input_value(given, graphql_type, on_error)
    value = Undefined if problems else coerce_input_value(given, graphql_type)
    if value is Undefined:
        reasons = "; ".join(problems) or "not a valid filter"
        raise BadUserInput(f"Invalid `filter`: {reasons}", argument="filter")
    return convert_argument(
        value, filter_type, scalar_registry=schema.schema_converter.scalar_registry,
        config=schema.config,
    )  # fmt: skip


def _as_of(request: Request, today: datetime.date) -> datetime.date | None:
    raw = request.query_params.get("asOf")
    if not raw:
        return None
    try:
        day = datetime.date.fromisoformat(raw)
    except ValueError:
        raise BadUserInput("`asOf` must be a date, YYYY-MM-DD.", argument="asOf") from None
    if day > today:
        raise BadUserInput("`asOf` cannot be in the future.", argument="asOf")
    return day


@dataclass(frozen=True)
class Dialect:
    """How a CSV export is written."""

    delimiter: str
    # A byte order mark first, by which spreadsheets recognise UTF-8.
    bom: bool
    decimal_separator: str
    # Text a spreadsheet would take for a formula gets an apostrophe first (OWASP's advice).
    guarded: bool

    def text(self, value: Cell) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime.datetime):
            return value.isoformat(timespec="seconds")
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, float | Decimal):
            return str(value).replace(".", self.decimal_separator)
        if isinstance(value, str) and self.guarded and value.startswith(FORMULA_STARTS):
            return "'" + value
        return str(value)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DIALECTS = {
    # What French spreadsheets (Excel, LibreOffice) open as they are.
    "excel-fr": Dialect(";", bom=True, decimal_separator=",", guarded=True),
    # For programs: the text as it is.
    "rfc4180": Dialect(",", bom=False, decimal_separator=".", guarded=False),
}
DEFAULT_DIALECT = "excel-fr"


def _dialect(request: Request, extension: str) -> Dialect:
    raw = request.query_params.get("dialect")
    if not raw:
        return DIALECTS[DEFAULT_DIALECT]
    if extension != "csv":
        raise BadUserInput("`dialect` applies to CSV exports only.", argument="dialect")
    if raw not in DIALECTS:
        known = ", ".join(DIALECTS)
        raise BadUserInput(f"`dialect` must be one of {known}; got {raw!r}.", argument="dialect")
    return DIALECTS[raw]


def _headers(groups: tuple[Group, ...]) -> list[str]:
    return [column.header for group in groups for column in group.columns]


async def _csv(table: Table, dialect: Dialect) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    if dialect.bom:
        buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=dialect.delimiter)
    writer.writerow(_headers(table.groups))
    count = 0
    async for row in table.rows:
        writer.writerow([dialect.text(value) for value in row])
        count += 1
        if count % CSV_BATCH == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


DATE_FORMAT = "dd/mm/yyyy"
MOMENT_FORMAT = "dd/mm/yyyy hh:mm"
MONEY_FORMAT = '#,##0.00 "€"'
# Column widths, in characters: room for the autofilter's button beside a header, and bounds.
FILTER_BUTTON = 3
MIN_WIDTH, MAX_WIDTH = 8, 60
# What Excel holds in a cell.
MAX_TEXT = 32_767
BOLD = Font(bold=True)
GROUP_FILL = PatternFill("solid", start_color="D9E1F2")
HEADER_FILL = PatternFill("solid", start_color="F2F2F2")
CENTRED = Alignment(horizontal="center", vertical="center")


def _width(value: Cell) -> int:
    """How many characters ``value`` takes in its cell."""
    if value is None:
        return 0
    if isinstance(value, datetime.datetime):
        return len("01/01/2026 00:00")
    if isinstance(value, datetime.date):
        return len("01/01/2026")
    if isinstance(value, Decimal):
        return len(f"{value:,.2f} €")
    return max(len(line) for line in str(value).splitlines() or [""])


def _styled(sheet: WriteOnlyWorksheet, value: Any, **style: Any) -> SheetCell:
    cell = WriteOnlyCell(sheet, value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Cell) -> Any:
    """``value`` as openpyxl writes it: dates, moments (UTC) and amounts as numbers with a
    French format, links as hyperlinks, text as text (never a formula)."""
    if isinstance(value, datetime.datetime):
        moment = value.astimezone(datetime.UTC).replace(tzinfo=None)
        return _styled(sheet, moment, number_format=MOMENT_FORMAT)
    if isinstance(value, datetime.date):
        return _styled(sheet, value, number_format=DATE_FORMAT)
    if isinstance(value, Decimal):
        return _styled(sheet, value, number_format=MONEY_FORMAT)
    if isinstance(value, Link):
        return _styled(sheet, str(value), hyperlink=str(value), style="Hyperlink")
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_TEXT]
        # openpyxl takes text starting with "=" for a formula, unless told otherwise.
        return _styled(sheet, text, data_type="s") if text.startswith("=") else text
    return value


def _spooled(spool: IO[bytes], count: int) -> Iterator[list[Cell]]:
    for _ in range(count):
        yield pickle.load(spool)


def _workbook(
    file: IO[bytes], title: str, groups: tuple[Group, ...], widths: list[int],
    rows: Iterator[list[Cell]], count: int,
) -> None:  # fmt: skip
    """Writes the XLSX of ``count`` rows into ``file``: a row of group headers (merged over
    their columns), a row of column headers, both frozen, the rows below with an autofilter."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title)
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    group_row: list[Any] = []
    for group in groups:
        first = len(group_row) + 1
        group_row.append(_styled(sheet, group.name, font=BOLD, fill=GROUP_FILL, alignment=CENTRED))
        group_row += [_styled(sheet, None, fill=GROUP_FILL) for _ in group.columns[1:]]
        if len(group.columns) > 1:
            sheet.merged_cells.add(
                f"{get_column_letter(first)}1:{get_column_letter(len(group_row))}1"
            )
    sheet.append(group_row)
    sheet.append(
        [_styled(sheet, header, font=BOLD, fill=HEADER_FILL) for header in _headers(groups)]
    )
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(widths))}{count + 2}"
    workbook.save(file)


async def _xlsx(title: str, table: Table) -> AsyncIterator[bytes]:
    widths = [len(header) + FILTER_BUTTON for header in _headers(table.groups)]
    count = 0
    with tempfile.TemporaryFile() as spool, tempfile.TemporaryFile() as file:
        async for row in table.rows:
            pickle.dump(row, spool)
            widths = [max(width, _width(value)) for width, value in zip(widths, row, strict=True)]
            count += 1
        spool.seek(0)
        bounded = [min(max(width + 1, MIN_WIDTH), MAX_WIDTH) for width in widths]
        rows = _spooled(spool, count)
        await asyncio.to_thread(_workbook, file, title, table.groups, bounded, rows, count)
        file.seek(0)
        while chunk := await asyncio.to_thread(file.read, FILE_CHUNK):
            yield chunk


def _feature(feature: Feature) -> bytes:
    # orjson, as for the GraphQL answers; json for what it refuses (an integer beyond 64 bits).
    try:
        return orjson.dumps(feature)
    except orjson.JSONEncodeError:
        return json.dumps(feature, ensure_ascii=False, separators=(",", ":")).encode()


async def _geojson(first: Feature | None, features: AsyncIterator[Feature]) -> AsyncIterator[bytes]:
    """A FeatureCollection, whole whatever the number of features (none included)."""
    buffer = bytearray(b'{"type":"FeatureCollection","features":[')
    if first is not None:
        buffer += _feature(first)
        count = 1
        async for feature in features:
            buffer += b"," + _feature(feature)
            count += 1
            if count % GEOJSON_BATCH == 0:
                yield bytes(buffer)
                buffer.clear()
    buffer += b"]}\n"
    yield bytes(buffer)


async def _started(body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """``body`` with its first chunk (a CSV's first rows, a whole XLSX) already made, so that
    a database fault meanwhile is answered with a 503 (hub.faults), not a broken file."""
    first = await anext(body, b"")

    async def chunks() -> AsyncIterator[bytes]:
        yield first
        async for chunk in body:
            yield chunk

    return chunks()


def export_routes(
    settings: Settings,
    authenticator: Authenticator,
    schema: Any,
    limits: RateLimits,
    reads: ReadRouting | None = None,
) -> list[Route]:
    """The export routes; with ``reads``, their reads may go to the read replica."""

    async def export(request: Request) -> Response:
        kind, extension = request.url.path.rsplit("/", 1)[1].split(".")
        capability, filter_type, rows_of = _EXPORTS[kind]
        features_of = _MAPS.get(kind) if extension == "geojson" else None
        principal = principal_of(request.scope)
        if principal.grant(capability).level is Level.NEVER:
            return error_response(
                403, "FORBIDDEN", f"Not allowed: exporting needs {capability.value}.",
                capability=capability.value,
            )  # fmt: skip
        context = Context.build(request, settings, principal)
        body: AsyncIterator[bytes]
        try:
            chosen = _filter(request, filter_type, schema)
            as_of = _as_of(request, context.today)
            dialect = _dialect(request, extension)
            # The parameters are checked before the first row: a bad one is a 400, not a broken
            # file.
            if features_of is not None:
                features = features_of(context, chosen, as_of)
                body, media_type = _geojson(await anext(features, None), features), GEOJSON
            else:
                graphiql = f"{request.base_url}graphql" if settings.graphiql else None
                table = await rows_of(context, chosen, as_of, graphiql)
                if extension == "csv":
                    body, media_type = _csv(table, dialect), CSV
                else:
                    body, media_type = _xlsx(kind.capitalize(), table), XLSX
        except BadUserInput as error:
            extensions = {k: v for k, v in (error.extensions or {}).items() if k != "code"}
            return error_response(400, "BAD_USER_INPUT", error.message, **extensions)
        disposition = f'attachment; filename="{kind}.{extension}"'
        return StreamingResponse(
            await _started(body),
            media_type=media_type,
            headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
        )

    exported = request_response(export)
    endpoint = guarded(reads.around(exported) if reads else exported, authenticator, limits)
    return [
        Route(f"/exports/{kind}.{extension}", endpoint, methods=["GET"])
        for kind in _EXPORTS
        for extension in ("csv", "xlsx", *(("geojson",) if kind in _MAPS else ()))
    ]
