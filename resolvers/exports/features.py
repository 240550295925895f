"""The sites' export as a map: each site an RFC 7946 GeoJSON feature with a light summary.

A feature's point is the place the caller may read, as the GraphQL ``Site.location`` gives
it: the site's own coordinates where the caller holds ``site.location.exact`` on it (decided
by ``resolvers.decisions``, for the whole chunk, as for the CSV's gated columns), else its
commune's centre; no point (``null``) when that place is unknown.
"""

from __future__ import annotations

import math
from typing import Any

from strawberry.relay import to_base64

from hub.models import Commune
from hub.models.enums import SiteStatus
from permissions.capabilities import Capability

Feature = dict[str, Any]

# Site.locationPrecision's values, by their GraphQL names.
EXACT = "EXACT"
COMMUNE_CENTRE = "COMMUNE_CENTRE"


async def commune_centres(rows: list[Any]) -> dict[str, Any]:
    """The name and centre of the communes of a chunk of sites, in one query."""
    codes = {row.commune_id for row in rows}
    found = await Commune.filter(code__in=codes).values_list(
        "code", "name", "latitude", "longitude"
    )
    return {"communes": {code: (name, lat, lon) for code, name, lat, lon in found}}


def point(latitude: float | None, longitude: float | None) -> dict[str, Any] | None:
    """A GeoJSON Point (longitude first), or None without two finite coordinates."""
    if latitude is None or longitude is None:
        return None
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    return {"type": "Point", "coordinates": [longitude, latitude]}


def feature(site: Any, extras: dict[str, Any], capabilities: set[Capability]) -> Feature:
    name, centre_latitude, centre_longitude = extras["communes"].get(
        site.commune_id, (None, None, None)
    )
    if Capability.SITE_LOCATION_EXACT in capabilities:
        precision, geometry = EXACT, point(site.latitude, site.longitude)
    else:
        precision, geometry = COMMUNE_CENTRE, point(centre_latitude, centre_longitude)
    return {
        "type": "Feature",
        "id": to_base64("Site", site.id),
        "geometry": geometry,
        "properties": {
            "name": site.name,
            "status": SiteStatus(site.status).name,
            "population": site.population_total,
            "locationPrecision": precision,
            "commune": name,
            "communeCode": site.commune_id,
        },
    }
