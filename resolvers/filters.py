"""Filter, ordering and location inputs of the lists."""

from __future__ import annotations

import datetime
from enum import Enum

import strawberry

from hub.models import enums
from resolvers import enums as _registered_enums  # noqa: F401  (registers the GraphQL enums)


@strawberry.input(description="A territory: `{level: NATION}` or a level with its INSEE code.")
class LocationInput:
    level: enums.LocationLevel
    code: str | None = None


@strawberry.input(description="An inclusive range; either bound may be left out.")
class IntRange:
    min: int | None = None
    max: int | None = None


@strawberry.input(description="A rectangle in WGS84 degrees, for maps.")
class BoundingBox:
    south: float
    west: float
    north: float
    east: float


@strawberry.input
class SiteFilter:
    locations: list[LocationInput] | None = strawberry.field(
        default=None, description="Sites in any of these territories."
    )
    zone: enums.Zone | None = None
    statuses: list[enums.SiteStatus] | None = None
    field_types: list[enums.FieldType] | None = None
    population: IntRange | None = None
    origins: list[enums.Origin] | None = strawberry.field(
        default=None, description="Sites where all of these origin groups are recorded."
    )
    has_legal_procedure: bool | None = None
    without_intervention: bool | None = strawberry.field(
        default=None, description="Sites with no actor and no current action (or the opposite)."
    )
    has_actions: bool | None = None
    out_of_date: bool | None = strawberry.field(
        default=None,
        description="Sites neither updated nor confirmed for HUB_OUT_OF_DATE_DAYS days.",
    )
    updated_before: datetime.date | None = strawberry.field(
        default=None, description="Sites not updated nor confirmed since this date."
    )
    search: str | None = strawberry.field(
        default=None, description="Words found in the name, address or commune name."
    )
    bounding_box: BoundingBox | None = None


@strawberry.enum
class SiteOrderField(Enum):
    UPDATED_AT = "updated_at"
    POPULATION = "population_total"
    COMMUNE = "commune"
    NAME = "name"


@strawberry.enum
class Direction(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.input
class SiteOrder:
    field: SiteOrderField
    direction: Direction = Direction.ASC


@strawberry.input
class ActionFilter:
    locations: list[LocationInput] | None = None
    zone: enums.Zone | None = None
    topics: list[enums.ActionTopic] | None = strawberry.field(
        default=None, description="Actions with any of these topics."
    )
    year: int | None = strawberry.field(
        default=None, description="Actions running at some point of this year."
    )
    operator_organization: strawberry.ID | None = strawberry.field(
        default=None, description="Actions one of whose operators belongs to this organization."
    )
    search: str | None = None


@strawberry.input
class OrganizationFilter:
    categories: list[enums.OrganizationCategory] | None = None
    types: list[enums.OrganizationType] | None = None
    active: bool | None = None
    search: str | None = strawberry.field(
        default=None, description="Words in name or abbreviation."
    )


@strawberry.input(description="Audit entries matching all the given conditions.")
class AuditFilter:
    kinds: list[enums.AuditKind] | None = None
    operations: list[str] | None = strawberry.field(
        default=None, description='Operations such as "site.update" or "site.legal.read".'
    )
    since: datetime.date | None = strawberry.field(default=None, description="From this day.")
    until: datetime.date | None = strawberry.field(
        default=None, description="Up to this day, included."
    )
    user: strawberry.ID | None = strawberry.field(default=None, description="By this user.")


@strawberry.input(description="Activities matching all the given conditions.")
class ActivityFilter:
    location: LocationInput | None = strawberry.field(
        default=None, description="Changes of what stands in this territory."
    )
    since: datetime.datetime | None = strawberry.field(
        default=None, description="Changes committed at or after this moment."
    )
    kinds: list[enums.EventKind] | None = None


@strawberry.input(description="Requests for access matching all the given conditions.")
class AccessRequestFilter:
    statuses: list[enums.AccessRequestStatus] | None = strawberry.field(
        default=None, description="Left out: the requests waiting for a decision."
    )
    location: LocationInput | None = strawberry.field(
        default=None, description="Requests for access in this territory."
    )
