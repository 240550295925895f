"""How the site inputs map onto the site row: one ``Group`` per field group of the domain.

``collect`` turns an input into column values (a field left out is left unchanged; ``null``
is refused for a column that cannot be empty) and names every column by its GraphQL path,
so that validation errors point at what the client sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from strawberry import UNSET
from strawberry.utils.str_converters import to_camel_case

from hub.models import Site
from permissions.capabilities import Capability
from resolvers.writes import ErrorCode, UserError


@dataclass(frozen=True)
class Group:
    # input attribute -> column of the site table
    columns: dict[str, str] = field(default_factory=dict)
    # input attribute -> nested group
    children: dict[str, Group] = field(default_factory=dict)


def _same(*names: str) -> dict[str, str]:
    return {name: name for name in names}


IDENTITY = Group(
    _same(
        "name", "address", "access_details", "latitude", "longitude", "field_type",
        "declared_at", "installed_at", "is_reinstallation",
    )
)  # fmt: skip
POPULATION = Group(
    {
        "total": "population_total",
        "households": "population_households",
        "women": "population_women",
        "minors": "population_minors",
        "minors_in_school": "minors_in_school",
        "counted_at": "population_counted_at",
    },
    {
        "minors_by_age": Group(
            {
                "from_0_to_3": "minors_0_3",
                "from_3_to_6": "minors_3_6",
                "from_6_to_12": "minors_6_12",
                "from_12_to_16": "minors_12_16",
                "from_16_to_18": "minors_16_18",
            }
        ),
        "dwellings": Group(_same("caravans", "huts", "tents", "cars", "mattresses")),
        "census": Group({"status": "census_status", "date": "census_date", "run_by": "census_by"}),
    },
)
LIVING_CONDITIONS = Group(
    children={
        "water": Group(
            {
                "access": "water_access",
                "access_types": "water_access_types",
                "on_site": "water_on_site",
                "within_200m": "water_within_200m",
                "continuous": "water_continuous",
                "stagnant_water": "water_stagnant",
            }
        ),
        "sanitation": Group(
            {
                "open_defecation": "sanitation_open_defecation",
                "working_toilets": "sanitation_working_toilets",
                "toilet_types": "sanitation_toilet_types",
                "lit_and_lockable": "sanitation_lit_and_lockable",
                "hand_washing": "sanitation_hand_washing",
            }
        ),
        "electricity": Group({"access": "electricity_access", "types": "electricity_types"}),
        "waste": Group(
            {
                "piling_up": "waste_piling",
                "collection_nearby": "waste_collection_nearby",
                "regular_collection": "waste_collection_regular",
            }
        ),
        "pests": Group({"present": "pests"}),
        "fire_prevention": Group({"diagnosis_done": "fire_prevention_diagnosis"}),
    }
)
LEGAL_PROCEDURES = Group(
    _same(
        "owner_complaint", "justice_procedure", "justice_decision", "justice_decision_date",
        "justice_court", "police_assistance", "police_requested_at", "police_granted_at",
        "bailiff", "administrative_order", "administrative_order_date", "insalubrity_order",
        "insalubrity_order_date",
    )
)  # fmt: skip
OWNERSHIP = Group({"owner_type": "owner_type"})
RESORPTION = Group({"target_year": "resorption_target_year"})

# The groups of UpdateSiteInput / CreateSiteInput, and the capability each one needs.
GROUPS: dict[str, tuple[Group, Capability]] = {
    "identity": (IDENTITY, Capability.SITE_UPDATE),
    "population": (POPULATION, Capability.SITE_UPDATE),
    "living_conditions": (LIVING_CONDITIONS, Capability.SITE_UPDATE),
    "legal_procedures": (LEGAL_PROCEDURES, Capability.SITE_LEGAL_WRITE),
    "ownership": (OWNERSHIP, Capability.SITE_OWNER_WRITE),
    "resorption": (RESORPTION, Capability.SITE_UPDATE),
}


def _paths(group: Group, path: str) -> Iterator[tuple[str, str]]:
    for attr, column in group.columns.items():
        yield column, f"{path}.{graphql_name(attr)}"
    for attr, child in group.children.items():
        yield from _paths(child, f"{path}.{graphql_name(attr)}")


def graphql_name(attr: str) -> str:
    return {"within_200m": "within200m"}.get(attr) or to_camel_case(attr)


# Every column a client can set, by the GraphQL path it is set through (from the mutation's
# `input` argument, like every error path).
COLUMN_PATHS: dict[str, str] = {
    column: path
    for name, (group, _) in GROUPS.items()
    for column, path in _paths(group, f"input.{graphql_name(name)}")
}
COLUMN_PATHS |= {
    "commune_id": "input.identity.communeCode",
    "closed_at": "input.closedAt",
    "status": "input.status",
    "closing_context": "input.closingContext",
}


def collect(value: Any, group: Group, path: str) -> tuple[dict[str, Any], list[UserError]]:
    """Column values from an input object, and the errors of nulls where none may be."""
    values: dict[str, Any] = {}
    errors: list[UserError] = []
    _collect(value, group, path, values, errors)
    return values, errors


def _collect(
    value: Any, group: Group, path: str, values: dict[str, Any], errors: list[UserError]
) -> None:
    if value is None or value is UNSET:
        return
    for attr, column in group.columns.items():
        given = getattr(value, attr)
        if given is UNSET:
            continue
        if given is None and not Site._meta.fields_map[column].null:
            errors.append(
                UserError(
                    f"{path}.{graphql_name(attr)}",
                    ErrorCode.REQUIRED,
                    "This field cannot be null: leave it out to keep it, or send UNKNOWN.",
                )
            )
            continue
        values[column] = _stored(given)
    for attr, child in group.children.items():
        _collect(getattr(value, attr), child, f"{path}.{graphql_name(attr)}", values, errors)


def _stored(value: Any) -> Any:
    if isinstance(value, list):
        return [_stored(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    return value
