"""Scalars of the graph beyond GraphQL's own: the Python type resolvers return, and how the
schema serializes it (``SCALARS``, the schema's ``scalar_map``)."""

from __future__ import annotations

from typing import Any, NewType

import strawberry

# A GeoJSON geometry object, as ``hub.geography.as_geojson`` builds it.
GeoJSON = NewType("GeoJSON", dict[str, Any])


def _not_an_input(value: Any) -> Any:
    raise ValueError("GeoJSON is an output type: send coordinates as numbers.")


SCALARS: dict[object, Any] = {
    GeoJSON: strawberry.scalar(
        name="GeoJSON",
        description="A GeoJSON geometry object (RFC 7946): longitude before latitude, WGS 84.",
        specified_by_url="https://www.rfc-editor.org/rfc/rfc7946",
        serialize=lambda value: value,
        parse_value=_not_an_input,
    )
}
