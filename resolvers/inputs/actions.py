"""Inputs of the action mutations: the action itself, and one year of finances or indicators."""

from __future__ import annotations

import datetime
from decimal import Decimal

import strawberry
from strawberry import UNSET

from hub.models.enums import ActionLocationKind, ActionTopic, FinanceType


@strawberry.input(description="A new action, in one département.")
class CreateActionInput:
    departement_code: str = strawberry.field(description="INSEE code of the département.")
    name: str
    goals: str | None = None
    topics: list[ActionTopic] = strawberry.field(default_factory=list)
    started_at: datetime.date
    ended_at: datetime.date | None = None
    location_kind: ActionLocationKind
    location_details: str | None = strawberry.field(
        default=None, description="Addresses or place, for actions not on sites."
    )
    managers: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Pilots: IDs of active users."
    )
    operators: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Field workers: IDs of active users."
    )
    sites: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="IDs of sites of the action's département."
    )


@strawberry.input(
    description="The fields to change; a field left out is left unchanged, null clears it "
    "where it may be empty. A list given replaces the current one (null: unchanged)."
)
class UpdateActionInput:
    departement_code: str | None = strawberry.field(
        default=UNSET, description="Moving the action needs action.create there."
    )
    name: str | None = UNSET
    goals: str | None = UNSET
    topics: list[ActionTopic] | None = UNSET
    started_at: datetime.date | None = UNSET
    ended_at: datetime.date | None = UNSET
    location_kind: ActionLocationKind | None = UNSET
    location_details: str | None = UNSET
    managers: list[strawberry.ID] | None = UNSET
    operators: list[strawberry.ID] | None = UNSET
    sites: list[strawberry.ID] | None = UNSET


@strawberry.input(description="One financing row of the year (each finance type once a year).")
class ActionFinanceInput:
    finance_type: FinanceType
    planned_amount: Decimal | None = strawberry.field(
        default=None, description="In euros, from 0 to 10^10, at most 2 decimals."
    )
    spent_amount: Decimal | None = strawberry.field(
        default=None, description="In euros, from 0 to 10^10, at most 2 decimals."
    )
    comment: str | None = None


@strawberry.input(
    description="People reached in the year (0 to 100000, sub-counts within their totals). "
    "A count left out keeps its recorded value (none for a new year); null clears it."
)
class ActionIndicatorsInput:
    people: int | None = UNSET
    households: int | None = UNSET
    women: int | None = UNSET
    minors: int | None = UNSET
    health_followup: int | None = UNSET
    employment_training: int | None = UNSET
    employment_training_women: int | None = UNSET
    sheltered_people: int | None = UNSET
    sheltered_households: int | None = UNSET
    housed_people: int | None = UNSET
    housed_households: int | None = UNSET
    minors_school_age: int | None = UNSET
    minors_in_mediation: int | None = UNSET
    enrolled_nursery: int | None = UNSET
    enrolled_primary: int | None = UNSET
    enrolled_middle: int | None = UNSET
    enrolled_high: int | None = UNSET
