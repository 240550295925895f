"""The rules an action keeps after every write, checked on its resulting state.

As for sites (``resolvers/sites/validation.py``), the whole resulting state is checked, not
only what a mutation sends: a start moved after the recorded end is refused just like an end
before the recorded start. Errors name the GraphQL path of the argument they are about:
``input.endedAt``, ``finances.2.plannedAmount``, ``indicators.women``.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from strawberry.utils.str_converters import to_camel_case

from resolvers.sites.validation import MAX_COUNT, check_text
from resolvers.writes import ErrorCode, UserError

FIRST_DAY = datetime.date(2000, 1, 1)
FIRST_YEAR = 2000
# How far ahead an action may be planned: its start, and the years of its figures.
YEARS_AHEAD = 5
MAX_AMOUNT = Decimal(10) ** 10
CENT = Decimal("0.01")
TEXT_LIMITS = {"name": 200, "goals": 5000, "location_details": 2000}
FINANCE_COMMENT_LIMIT = 2000

# The columns of the action row a client sets, by the GraphQL path it sets them through.
COLUMN_PATHS = {
    "departement_id": "input.departementCode",
    "name": "input.name",
    "goals": "input.goals",
    "started_at": "input.startedAt",
    "ended_at": "input.endedAt",
    "location_kind": "input.locationKind",
    "location_details": "input.locationDetails",
}

INDICATORS = (
    "people", "households", "women", "minors", "health_followup", "employment_training",
    "employment_training_women", "sheltered_people", "sheltered_households", "housed_people",
    "housed_households", "minors_school_age", "minors_in_mediation", "enrolled_nursery",
    "enrolled_primary", "enrolled_middle", "enrolled_high",
)  # fmt: skip
# (part, whole): a part never exceeds its whole.
INDICATOR_PARTS = (
    ("households", "people"),
    ("women", "people"),
    ("minors", "people"),
    ("employment_training_women", "employment_training"),
    ("sheltered_households", "sheltered_people"),
    ("housed_households", "housed_people"),
    ("minors_in_mediation", "minors_school_age"),
    ("enrolled_nursery", "minors_school_age"),
    ("enrolled_primary", "minors_school_age"),
    ("enrolled_middle", "minors_school_age"),
    ("enrolled_high", "minors_school_age"),
)


def _later(today: datetime.date, years: int) -> datetime.date:
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February
        return today.replace(year=today.year + years, day=28)


def validate_action(state: dict[str, Any], today: datetime.date) -> list[UserError]:
    """The errors of an action row's resulting columns."""
    errors: list[UserError] = []
    name = state.get("name")
    if name is None or not name.strip():
        errors.append(
            UserError(COLUMN_PATHS["name"], ErrorCode.REQUIRED, "An action needs a name.")
        )
    for column, limit in TEXT_LIMITS.items():
        errors += check_text(state.get(column), limit, COLUMN_PATHS[column])
    for column in ("started_at", "location_kind"):
        if state.get(column) is None:
            errors.append(UserError(COLUMN_PATHS[column], ErrorCode.REQUIRED, "Required."))
    started, ended = state.get("started_at"), state.get("ended_at")
    latest = _later(today, YEARS_AHEAD)
    if started is not None and not FIRST_DAY <= started <= latest:
        errors.append(
            UserError(
                COLUMN_PATHS["started_at"],
                ErrorCode.OUT_OF_RANGE,
                f"A start goes from {FIRST_DAY.isoformat()} to {latest.isoformat()}.",
            )
        )
    if started is not None and ended is not None and ended < started:
        errors.append(
            UserError(COLUMN_PATHS["ended_at"], ErrorCode.OUT_OF_RANGE, "Cannot precede the start.")
        )
    return errors


def check_year(year: int, today: datetime.date) -> list[UserError]:
    last = today.year + YEARS_AHEAD
    if FIRST_YEAR <= year <= last:
        return []
    return [UserError("year", ErrorCode.OUT_OF_RANGE, f"A year goes from {FIRST_YEAR} to {last}.")]


def check_amount(value: Decimal | None, field: str) -> list[UserError]:
    if value is None:
        return []
    if not value.is_finite():
        return [UserError(field, ErrorCode.INVALID, "Not a number.")]
    if not 0 <= value <= MAX_AMOUNT:
        return [UserError(field, ErrorCode.OUT_OF_RANGE, "Amounts go from 0 to 10^10.")]
    if value != value.quantize(CENT):
        return [UserError(field, ErrorCode.INVALID, "At most 2 decimals.")]
    return []


def check_finances(rows: Sequence[Any]) -> list[UserError]:
    """Errors of one year's financing rows (``ActionFinanceInput``)."""
    errors: list[UserError] = []
    seen: set[str] = set()
    for position, row in enumerate(rows):
        where = f"finances.{position}"
        if row.finance_type.value in seen:
            errors.append(UserError(where, ErrorCode.INVALID, "Each finance type once a year."))
        seen.add(row.finance_type.value)
        errors += check_amount(row.planned_amount, f"{where}.plannedAmount")
        errors += check_amount(row.spent_amount, f"{where}.spentAmount")
        errors += check_text(row.comment, FINANCE_COMMENT_LIMIT, f"{where}.comment")
    return errors


def indicator_path(column: str) -> str:
    return f"indicators.{to_camel_case(column)}"


def check_indicators(state: dict[str, Any]) -> list[UserError]:
    """Errors of one year's resulting indicator counts."""
    errors = [
        UserError(
            indicator_path(column), ErrorCode.OUT_OF_RANGE, f"Counts go from 0 to {MAX_COUNT}."
        )
        for column in INDICATORS
        if state.get(column) is not None and not 0 <= state[column] <= MAX_COUNT
    ]
    for part, whole in INDICATOR_PARTS:
        value, total = state.get(part), state.get(whole)
        if value is not None and total is not None and value > total:
            errors.append(
                UserError(
                    indicator_path(part),
                    ErrorCode.OUT_OF_RANGE,
                    f"Cannot exceed {indicator_path(whole)}.",
                )
            )
    return errors
