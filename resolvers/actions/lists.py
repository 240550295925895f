"""An action's lists, kept in its history beside its columns as JSON lists.

``topics`` (sorted values), ``managers``, ``operators`` and ``sites`` (sorted ids), and
``finances`` and ``indicators`` (the rows of every year, amounts as strings). Writes
replace a whole list (or one year of figures); the history records the list as one value.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hub.models import Action, ActionFinance, ActionIndicators, ActionTopicLink, Site, User
from resolvers.actions.validation import CENT, INDICATORS
from resolvers.history.as_of import AS_OF_LISTS

TOPICS, MANAGERS, OPERATORS, SITES = "topics", "managers", "operators", "sites"
FINANCES, INDICATOR_ROWS = "finances", "indicators"
LINKS = (TOPICS, MANAGERS, OPERATORS, SITES)
# Linked rows, by list: the model of the row and the relation of the action it is in.
_PEOPLE_AND_SITES: dict[str, tuple[type[User] | type[Site], str]] = {
    MANAGERS: (User, "managed_actions"),
    OPERATORS: (User, "operated_actions"),
    SITES: (Site, "actions"),
}


def amount(value: Decimal | None) -> str | None:
    """An amount as the history holds it: a string with two decimals."""
    return None if value is None else str(value.quantize(CENT))


async def link_lists(action_id: int, names: tuple[str, ...] = LINKS) -> dict[str, list[Any]]:
    """The current topics, managers, operators and sites of an action (those named)."""
    lists: dict[str, list[Any]] = {}
    for name in names:
        if name == TOPICS:
            topics = await ActionTopicLink.filter(action_id=action_id).values_list(
                "topic", flat=True
            )
            lists[name] = sorted(str(topic) for topic in topics)
        else:
            model, relation = _PEOPLE_AND_SITES[name]
            ids = await model.filter(**{f"{relation}__id": action_id}).values_list("id", flat=True)
            lists[name] = sorted(int(key) for key in ids)
    return lists


async def replace_links(action: Action, lists: dict[str, list[Any]]) -> None:
    """Replaces the lists given: topic values, or ids of users and sites known to exist."""
    for name, values in lists.items():
        if name == TOPICS:
            await ActionTopicLink.filter(action_id=action.id).delete()
            await ActionTopicLink.bulk_create(
                [ActionTopicLink(action_id=action.id, topic=topic) for topic in values]
            )
            continue
        relation = getattr(action, name)
        await relation.clear()
        if values:
            model, _ = _PEOPLE_AND_SITES[name]
            await relation.add(*await model.filter(id__in=values))


async def finance_rows(action_id: int) -> list[dict[str, Any]]:
    rows = await ActionFinance.filter(action_id=action_id).order_by("year", "finance_type", "id")
    return [
        {
            "year": row.year,
            "finance_type": str(row.finance_type),
            "planned_amount": amount(row.planned_amount),
            "spent_amount": amount(row.spent_amount),
            "comment": row.comment,
        }
        for row in rows
    ]


async def all_lists(action_id: int) -> dict[str, list[Any]]:
    """Every list of an action, as its history holds them."""
    return await link_lists(action_id) | {
        FINANCES: await finance_rows(action_id),
        INDICATOR_ROWS: await indicator_rows(action_id),
    }


def rebuilt(action: Action, name: str) -> list[Any] | None:
    """A list of an action rebuilt at a past date (``action(asOf:)``), if it is one: topic
    values, ids of people or sites, or unsaved finance and indicator rows."""
    lists = getattr(action, AS_OF_LISTS, None)
    if lists is None or name not in lists:
        return None
    values: list[Any] = lists[name]
    if name == FINANCES:
        return [
            ActionFinance(
                **row
                | {
                    "planned_amount": _decimal(row["planned_amount"]),
                    "spent_amount": _decimal(row["spent_amount"]),
                }
            )
            for row in values
        ]
    if name == INDICATOR_ROWS:
        return [ActionIndicators(**row) for row in values]
    return values


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


async def indicator_rows(action_id: int) -> list[dict[str, Any]]:
    return list(
        await ActionIndicators.filter(action_id=action_id)
        .order_by("year")
        .values("year", *INDICATORS)
    )
