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
from resolvers.history.as_of import rebuilt_list

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
    return (await _links_of([action_id], names))[action_id]


async def _links_of(ids: list[int], names: tuple[str, ...]) -> dict[int, dict[str, list[Any]]]:
    lists: dict[int, dict[str, list[Any]]] = {key: {name: [] for name in names} for key in ids}
    for name in names:
        if name == TOPICS:
            topics = await ActionTopicLink.filter(action_id__in=ids).values_list(
                "action_id", "topic"
            )
            for key, topic in topics:
                lists[key][name].append(str(topic))
        else:
            model, relation = _PEOPLE_AND_SITES[name]
            linked = await model.filter(**{f"{relation}__id__in": ids}).values_list(
                f"{relation}__id", "id"
            )
            for key, linked_id in linked:
                lists[key][name].append(int(linked_id))
    for values in lists.values():
        for name in names:
            values[name].sort()
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
    return (await _finances_of([action_id]))[action_id]


async def _finances_of(ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    rows: dict[int, list[dict[str, Any]]] = {key: [] for key in ids}
    finances = ActionFinance.filter(action_id__in=ids).order_by("year", "finance_type", "id")
    for row in await finances:
        rows[row.action_id].append(
            {
                "year": row.year,
                "finance_type": str(row.finance_type),
                "planned_amount": amount(row.planned_amount),
                "spent_amount": amount(row.spent_amount),
                "comment": row.comment,
            }
        )
    return rows


async def lists_of_actions(ids: list[int]) -> dict[int, dict[str, list[Any]]]:
    """Every list of many actions, as their history holds them."""
    links = await _links_of(ids, LINKS)
    finances = await _finances_of(ids)
    indicators = await _indicators_of(ids)
    return {
        key: links[key] | {FINANCES: finances[key], INDICATOR_ROWS: indicators[key]} for key in ids
    }


def rebuilt(action: Action, name: str) -> list[Any] | None:
    """A list of an action rebuilt at a past date (``action(asOf:)``), if it is one: topic
    values, ids of people or sites, or unsaved finance and indicator rows."""
    values = rebuilt_list(action, name)
    if values is None:
        return None
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
    return (await _indicators_of([action_id]))[action_id]


async def _indicators_of(ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    rows: dict[int, list[dict[str, Any]]] = {key: [] for key in ids}
    indicators = ActionIndicators.filter(action_id__in=ids).order_by("year", "id")
    for row in await indicators.values("action_id", "year", *INDICATORS):
        rows[row.pop("action_id")].append(row)
    return rows
