"""The rules a site must keep after every write, checked on its resulting state.

Checking the whole resulting state (not only what a mutation sends) keeps the invariants
whatever the order of partial updates: a new total below the minors already recorded is
refused just like new minors above the total.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from hub.models.enums import CensusStatus, SiteStatus
from resolvers.sites.groups import COLUMN_PATHS
from resolvers.territories.places import BORDER_TOLERANCE_M, distance_to_commune
from resolvers.writes import ErrorCode, UserError

MAX_COUNT = 100_000
TEXT_LIMITS = {
    "name": 200,
    "address": 300,
    "access_details": 2000,
    "census_by": 200,
    "justice_court": 200,
    "bailiff": 200,
    "closing_context": 2000,
}
COUNTS = (
    "population_total", "population_households", "population_women", "population_minors",
    "minors_in_school", "minors_0_3", "minors_3_6", "minors_6_12", "minors_12_16",
    "minors_16_18", "caravans", "huts", "tents", "cars", "mattresses",
)  # fmt: skip
# (part, whole): a part never exceeds its whole.
PARTS = (
    ("population_households", "population_total"),
    ("population_women", "population_total"),
    ("population_minors", "population_total"),
    ("minors_in_school", "population_minors"),
)
AGE_BANDS = ("minors_0_3", "minors_3_6", "minors_6_12", "minors_12_16", "minors_16_18")
DATES = (
    "declared_at", "installed_at", "population_counted_at", "justice_decision_date",
    "police_requested_at", "police_granted_at", "administrative_order_date",
    "insalubrity_order_date", "closed_at",
)  # fmt: skip
FIRST_TARGET_YEAR, LAST_TARGET_YEAR = 2000, 2100

# Where France is: metropolitan France and Corsica, then each overseas département.
BOXES: dict[str, tuple[float, float, float, float]] = {  # south, west, north, east
    "metropole": (41.3, -5.3, 51.2, 9.7),
    "971": (15.8, -61.9, 16.6, -60.9),
    "972": (14.3, -61.3, 14.95, -60.75),
    "973": (2.1, -54.7, 5.8, -51.6),
    "974": (-21.45, 55.2, -20.85, 55.9),
    "976": (-13.1, 44.95, -12.6, 45.35),
}


def _error(column: str, code: ErrorCode, message: str) -> UserError:
    return UserError(COLUMN_PATHS.get(column, column), code, message)


def validate_site(state: dict[str, Any], today: datetime.date) -> list[UserError]:
    errors: list[UserError] = []
    for column in COUNTS:
        value = state.get(column)
        if value is not None and not 0 <= value <= MAX_COUNT:
            errors.append(
                _error(column, ErrorCode.OUT_OF_RANGE, f"Counts go from 0 to {MAX_COUNT}.")
            )
    for part, whole in PARTS:
        if _both(state, part, whole) and state[part] > state[whole]:
            errors.append(
                _error(part, ErrorCode.OUT_OF_RANGE, f"Cannot exceed {COLUMN_PATHS[whole]}.")
            )
    bands = [state.get(column) for column in AGE_BANDS]
    minors = state.get("population_minors")
    if minors is not None and sum(b for b in bands if b is not None) > minors:
        errors.append(
            UserError(
                "input.population.minorsByAge",
                ErrorCode.OUT_OF_RANGE,
                "Minors by age band add up to more than population.minors.",
            )
        )
    errors += _texts(state)
    errors += _dates(state, today)
    errors += _coordinates(state)
    year = state.get("resorption_target_year")
    if year is not None and not FIRST_TARGET_YEAR <= year <= LAST_TARGET_YEAR:
        errors.append(
            _error(
                "resorption_target_year",
                ErrorCode.OUT_OF_RANGE,
                f"A target year goes from {FIRST_TARGET_YEAR} to {LAST_TARGET_YEAR}.",
            )
        )
    return errors


def _both(state: dict[str, Any], a: str, b: str) -> bool:
    return state.get(a) is not None and state.get(b) is not None


def _texts(state: dict[str, Any]) -> list[UserError]:
    errors: list[UserError] = []
    for column, limit in TEXT_LIMITS.items():
        errors += check_text(state.get(column), limit, COLUMN_PATHS.get(column, column))
    return errors


def check_text(value: str | None, limit: int, field: str) -> list[UserError]:
    if value is None:
        return []
    if len(value) > limit:
        return [UserError(field, ErrorCode.TOO_LONG, f"At most {limit} characters.")]
    if "\x00" in value:
        return [UserError(field, ErrorCode.INVALID, "NUL characters are not allowed.")]
    return []


def _dates(state: dict[str, Any], today: datetime.date) -> list[UserError]:
    # A census may be scheduled ahead; every other date is a past fact.
    scheduled = state.get("census_status") == CensusStatus.SCHEDULED
    errors = [
        _error(column, ErrorCode.OUT_OF_RANGE, "Cannot be in the future.")
        for column in (*DATES, *(() if scheduled else ("census_date",)))
        if state.get(column) is not None and state[column] > today
    ]
    if _both(state, "police_granted_at", "police_requested_at") and (
        state["police_granted_at"] < state["police_requested_at"]
    ):
        errors.append(
            _error("police_granted_at", ErrorCode.OUT_OF_RANGE, "Cannot precede the request.")
        )
    is_open = state.get("status") == SiteStatus.OPEN
    closed_at = state.get("closed_at")
    if is_open and closed_at is not None:
        errors.append(_error("closed_at", ErrorCode.INVALID, "An open site has no closing date."))
    if not is_open and closed_at is None:
        errors.append(_error("closed_at", ErrorCode.REQUIRED, "A closed site needs its date."))
    installed = state.get("installed_at")
    if closed_at is not None and installed is not None and closed_at < installed:
        errors.append(
            _error("closed_at", ErrorCode.OUT_OF_RANGE, "Cannot precede the installation date.")
        )
    return errors


def _coordinates(state: dict[str, Any]) -> list[UserError]:
    latitude, longitude = state.get("latitude"), state.get("longitude")
    if latitude is None and longitude is None:
        return []
    if latitude is None or longitude is None:
        missing = "latitude" if latitude is None else "longitude"
        return [_error(missing, ErrorCode.REQUIRED, "Give both latitude and longitude.")]
    departement = state.get("departement_code") or ""
    south, west, north, east = BOXES.get(departement, BOXES["metropole"])
    if not (south <= latitude <= north and west <= longitude <= east):
        return [
            _error(
                "latitude",
                ErrorCode.OUT_OF_RANGE,
                "The coordinates are not in France, or not in the site's département zone.",
            )
        ]
    return []


async def check_place(state: dict[str, Any], before: dict[str, Any] | None) -> list[UserError]:
    """The site's point lies in its commune, or within ``BORDER_TOLERANCE_M`` of its outline:
    checked when a site is created, or when its point or its commune changes."""
    latitude, longitude = state.get("latitude"), state.get("longitude")
    if latitude is None or longitude is None:
        return []
    place = ("latitude", "longitude", "commune_id")
    if before is not None and all(before.get(c) == state.get(c) for c in place):
        return []
    distance = await distance_to_commune(state["commune_id"], latitude, longitude)
    if distance is None or distance <= BORDER_TOLERANCE_M:
        return []
    return [
        _error(
            "latitude",
            ErrorCode.OUT_OF_RANGE,
            f"The point is {distance / 1000:.1f} km outside the commune {state['commune_id']} "
            f"(at most {BORDER_TOLERANCE_M:g} m outside its outline is accepted).",
        )
    ]


def check_solutions(solutions: Iterable[Any]) -> list[UserError]:
    errors: list[UserError] = []
    seen: set[Any] = set()
    for position, item in enumerate(solutions):
        where = f"input.solutions.{position}"
        if item.solution in seen:
            errors.append(UserError(where, ErrorCode.INVALID, "Each solution once."))
        seen.add(item.solution)
        for name in ("people", "households"):
            value = getattr(item, name)
            if value is not None and not 0 <= value <= MAX_COUNT:
                errors.append(
                    UserError(
                        f"{where}.{name}",
                        ErrorCode.OUT_OF_RANGE,
                        f"Counts go from 0 to {MAX_COUNT}.",
                    )
                )
        people, households = item.people, item.households
        if people is not None and households is not None and households > people:
            errors.append(
                UserError(f"{where}.households", ErrorCode.OUT_OF_RANGE, "Exceeds people.")
            )
    return errors
