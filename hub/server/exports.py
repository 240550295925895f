"""Exports: the site and action lists as CSV or XLSX files, and the sites as a GeoJSON map,
streamed, for the same bearer tokens as the graph.

``GET /exports/sites.csv`` (``.xlsx``, ``.geojson``), ``/exports/actions.csv`` (``.xlsx``),
with the query parameters ``filter`` (the JSON of a ``SiteFilter`` / ``ActionFilter``, as in
GraphQL) and ``asOf`` (``YYYY-MM-DD``: the rows as they were at the end of that day). A caller
without ``export.sites`` / ``export.actions`` anywhere gets 403; bad parameters get 400; both
with a GraphQL-shaped body; a database fault before the first chunk is sent gets 503
(hub.faults).
Rows are read and written chunk by chunk (``resolvers/exports``): CSV is streamed as it is
produced; XLSX is built in a temporary file by openpyxl's write-only mode, then streamed;
GeoJSON (an RFC 7946 FeatureCollection, ``resolvers/exports/features.py``) is streamed as it
is produced, a valid document whatever the number of features.
"""

from __future__ import annotations

import asyncio
import csv
import datetime
import io
import json
import tempfile
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from graphql import GraphQLError, Undefined, coerce_input_value, validate_input_value
from openpyxl import Workbook
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
from resolvers.exports.columns import Cell
from resolvers.exports.features import Feature
from resolvers.exports.rows import action_rows, site_features, site_rows
from resolvers.filters import ActionFilter, SiteFilter

# Rows written to a CSV chunk (features to a GeoJSON chunk) before it is sent.
CSV_BATCH = 200
GEOJSON_BATCH = 200
FILE_CHUNK = 64 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GEOJSON = "application/geo+json"
_EXPORTS: dict[str, tuple[Capability, type[Any], Callable[..., AsyncIterator[list[Cell]]]]] = {
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


async def _csv(first: list[Cell], rows: AsyncIterator[list[Cell]]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(first)
    count = 0
    async for row in rows:
        writer.writerow(row)
        count += 1
        if count % CSV_BATCH == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


async def _xlsx(
    name: str, first: list[Cell], rows: AsyncIterator[list[Cell]]
) -> AsyncIterator[bytes]:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=name)
    sheet.append(first)
    async for row in rows:
        sheet.append(row)
    with tempfile.TemporaryFile() as file:
        await asyncio.to_thread(workbook.save, file)
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
        try:
            chosen = _filter(request, filter_type, schema)
            as_of = _as_of(request, context.today)
            rows: AsyncIterator[Any] = (features_of or rows_of)(context, chosen, as_of)
            # The filter is checked before the first row: a bad one is a 400, not a broken file.
            # (A map's first row is its first feature, None when there is none.)
            first: Any = await anext(rows, None)
        except BadUserInput as error:
            extensions = {k: v for k, v in (error.extensions or {}).items() if k != "code"}
            return error_response(400, "BAD_USER_INPUT", error.message, **extensions)
        if features_of is not None:
            body, media_type = _geojson(first, rows), GEOJSON
        elif extension == "csv":
            body, media_type = _csv(first, rows), "text/csv; charset=utf-8"
        else:
            body, media_type = _xlsx(kind, first, rows), XLSX
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
