"""Where a point lies: the commune holding it, and how far a point is from a commune.

Outlines are simplified (hub/data/README.md gives the tolerances), so a point near a border
may fall just outside the outline of the commune it is really in, or in a sliver two
neighbouring outlines share. ``BORDER_TOLERANCE_M`` absorbs that: a point within it of a
commune's outline counts as in that commune.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hub import geography
from hub.errors import BadUserInput
from hub.models import Commune, Outline

# Twice the largest error simplification and rounding make on a commune's outline.
BORDER_TOLERANCE_M = 300.0
# Metres per degree of latitude (and of longitude at the equator), for the search box.
_METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Found:
    code: str
    # 0 inside the outline; else how far outside it, within the tolerance.
    distance_m: float
    # The box of the outline, the smaller the more precise (an arrondissement in its city).
    area: float


def check_point(latitude: float, longitude: float) -> None:
    for name, value, limit in (("latitude", latitude, 90.0), ("longitude", longitude, 180.0)):
        if not math.isfinite(value) or not -limit <= value <= limit:
            raise BadUserInput(
                f"`{name}` must be a number of degrees from {-limit:g} to {limit:g}.",
                argument=name,
            )


async def _near(latitude: float, longitude: float) -> list[Outline]:
    """The communes whose outline's box is within the tolerance of the point."""
    pad_latitude = BORDER_TOLERANCE_M / _METRES_PER_DEGREE
    pad_longitude = pad_latitude / max(math.cos(math.radians(latitude)), 0.01)
    return await Outline.filter(
        level="commune",
        south__lte=latitude + pad_latitude,
        north__gte=latitude - pad_latitude,
        west__lte=longitude + pad_longitude,
        east__gte=longitude - pad_longitude,
    )


async def commune_code_at(latitude: float, longitude: float) -> str | None:
    """The code of the commune (or municipal arrondissement) holding the point: the most
    precise of those whose outline holds it, else the nearest within the tolerance."""
    check_point(latitude, longitude)
    found: list[Found] = []
    for outline in await _near(latitude, longitude):
        distance = geography.distance_m(outline.shape(), latitude, longitude)
        if distance <= BORDER_TOLERANCE_M:
            area = (outline.north - outline.south) * (outline.east - outline.west)
            found.append(Found(outline.code, distance, area))
    if not found:
        return None
    best = min(found, key=lambda f: (f.distance_m, f.area, f.code))
    return best.code


async def distance_to_commune(code: str, latitude: float, longitude: float) -> float | None:
    """Metres from the point to the commune's outline (0 inside); None if the hub has no
    outline for that commune (the point cannot be checked)."""
    outline = await Outline.get_or_none(level="commune", code=code)
    if outline is None:
        return None
    return geography.distance_m(outline.shape(), latitude, longitude)


async def commune_at(latitude: float, longitude: float) -> Commune | None:
    code = await commune_code_at(latitude, longitude)
    return None if code is None else await Commune.get_or_none(code=code)
