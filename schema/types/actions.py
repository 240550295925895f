"""Social actions and their yearly finances and indicators."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from hub.models import Action as ActionRow
from hub.models import ActionFinance as FinanceRow
from hub.models import ActionIndicators as IndicatorsRow
from hub.models import User as UserRow
from hub.models.enums import ActionLocationKind, ActionTopic, FinanceType, HistorySubject
from permissions.capabilities import Capability
from permissions.territories import action_place
from resolvers.actions import loaders
from resolvers.actions.lists import (
    FINANCES,
    INDICATOR_ROWS,
    MANAGERS,
    OPERATORS,
    SITES,
    TOPICS,
    rebuilt,
)
from resolvers.batching import regrouped
from resolvers.context import Context, LoaderFactory
from resolvers.history.as_of import day_of
from resolvers.history.loaders import ACTION_HISTORY, history_as_of
from resolvers.journal.loaders import journal_read_at
from resolvers.nodes import resolve_entity
from resolvers.organizations.loaders import user_by_id
from resolvers.pagination import child_page
from resolvers.sites.queries import sites_read_at
from resolvers.territories.loaders import departement_by_code
from schema.execution.batched import Many, batched, loaded
from schema.gates import gated
from schema.pagination import Connection
from schema.projection import Projection
from schema.rows import rows_of
from schema.types.refs import CommentRef, HistoryEntryRef, SiteRef, UserRef
from schema.types.territories import Departement

Row = strawberry.Parent[ActionRow]


@strawberry.type(description="One financing row of one year (sensitive).")
class ActionFinance:
    year: int
    finance_type: FinanceType
    planned_amount: Decimal | None
    spent_amount: Decimal | None
    comment: str | None
    is_type_of = rows_of(FinanceRow)


@strawberry.type(description="What the action reached in one year.")
class ActionIndicators:
    year: int
    people: int | None
    households: int | None
    women: int | None
    minors: int | None
    health_followup: int | None = strawberry.field(description="People with health follow-up.")
    employment_training: int | None = strawberry.field(
        description="People in employment or training."
    )
    employment_training_women: int | None
    sheltered_people: int | None
    sheltered_households: int | None
    housed_people: int | None
    housed_households: int | None
    minors_school_age: int | None
    minors_in_mediation: int | None
    enrolled_nursery: int | None
    enrolled_primary: int | None
    enrolled_middle: int | None
    enrolled_high: int | None
    is_type_of = rows_of(IndicatorsRow)


async def _topics_of(roots: Sequence[ActionRow], context: Context) -> list[list[ActionTopic]]:
    """Each action's topics; an action read at a past date gets them as they were then."""
    then = [rebuilt(root, TOPICS) for root in roots]
    links = iter(
        await context.loaders[loaders.topics_by_action].load_many(
            [root.id for root, values in zip(roots, then, strict=True) if values is None]
        )
    )
    return [
        [link.topic for link in next(links)]
        if values is None
        else [ActionTopic(value) for value in values]
        for values in then
    ]


def _people_of(name: str, ids_by_action: LoaderFactory) -> Many:
    """Each action's managers or operators (``name``), as they were then for an action read
    at a past date."""

    async def many(roots: Sequence[ActionRow], context: Context) -> list[list[UserRow]]:
        then = [rebuilt(root, name) for root in roots]
        current = iter(
            await context.loaders[ids_by_action].load_many(
                [root.id for root, ids in zip(roots, then, strict=True) if ids is None]
            )
        )
        groups = [next(current) if ids is None else ids for ids in then]
        users = await context.loaders[user_by_id].load_many([i for group in groups for i in group])
        return regrouped(groups, users)

    many.__name__ = name
    return many


@strawberry.federation.type(keys=["id"], description="A social action run in one département.")
class Action(relay.Node):
    @classmethod
    async def resolve_reference(cls, info: Info[Context, None], id: strawberry.ID) -> Any:
        return await resolve_entity(info.context, id, "Action")

    id: relay.NodeID[int]
    version: int
    name: str
    goals: str | None
    started_at: datetime.date
    ended_at: datetime.date | None
    location_kind: ActionLocationKind
    location_details: str | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    is_type_of = rows_of(ActionRow)

    departement: Departement = loaded(departement_by_code, "departement_id", Departement)

    topics: list[ActionTopic] = batched(_topics_of, list[ActionTopic], reads=("id",))
    managers: list[UserRef] = batched(
        _people_of(MANAGERS, loaders.manager_ids_by_action),
        list[UserRef],
        description="Pilots of the action.",
        reads=("id",),
    )
    operators: list[UserRef] = batched(
        _people_of(OPERATORS, loaders.operator_ids_by_action),
        list[UserRef],
        description="Users of the organizations running the action.",
        reads=("id",),
    )

    @strawberry.field
    async def sites(root: Row, info: Info[Context, None]) -> list[SiteRef]:
        ids = rebuilt(root, SITES)
        if ids is None:
            ids = await info.context.loaders[loaders.site_ids_by_action].load(root.id)
        # strawberry reads the type's fields off the ORM row it is given.
        return await sites_read_at(info.context, ids, day_of(root))  # type: ignore[return-value]

    @gated(Capability.ACTION_FINANCES_READ, description="Planned and spent amounts per year.")
    async def finances(
        root: Row, info: Info[Context, None], year: int | None = None
    ) -> list[ActionFinance] | None:
        rows = rebuilt(root, FINANCES)
        if rows is None:
            rows = await info.context.loaders[loaders.finances_by_action].load(root.id)
        return [row for row in rows if year is None or row.year == year]

    @strawberry.field
    async def indicators(
        root: Row, info: Info[Context, None], year: int | None = None
    ) -> list[ActionIndicators]:
        rows = rebuilt(root, INDICATOR_ROWS)
        if rows is None:
            rows = await info.context.loaders[loaders.indicators_by_action].load(root.id)
        return [row for row in rows if year is None or row.year == year]

    @strawberry.field(
        description="Comments on the action, newest first. Read at a past date: those "
        "written by then and not deleted by then, where the action stood; a comment edited "
        "since is left out (its text then is not kept)."
    )
    async def journal(
        root: Row, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[CommentRef]:
        place = action_place(root)
        journal = journal_read_at(info.context.principal, "action_id", place, day_of(root))
        return Connection.of(await child_page(info, journal, root.id, first, after))

    @strawberry.field(
        description="Changes of the action, newest first; read at a past date, up to that date."
    )
    async def history(
        root: Row, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[HistoryEntryRef]:
        day = day_of(root)
        history = ACTION_HISTORY if day is None else history_as_of(HistorySubject.ACTION, day)
        return Connection.of(await child_page(info, history, root.id, first, after))


# What the loaders read of actions by key in an operation: what its selections of this type
# read, and what the policy's decisions and the audit read (key, région, département).
ACTION_COLUMNS = Projection(
    "Action", ActionRow, ("id", "region_code", "departement_id"), by_key=True
)
