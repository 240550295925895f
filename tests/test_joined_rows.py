"""A to-one row read in the statement of the rows holding it (``resolvers.fetching.ToOne``) is
the row its loader would read: whole, apart from its holder's columns, and None where that
loader's queryset leaves it out. Every caller of the suite may read every organization, so
the scope is narrowed here to see a row left out."""

from __future__ import annotations

from typing import Any

import httpx
from tortoise.models import Model

from hub.models import Action, Organization, SiteActor, User
from resolvers.fetching import Readable, ToOne, joined_rows_by_keys, linked_rows_by_keys
from resolvers.organizations.loaders import organization_by_id, user_by_id


def _columns(row: Model | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {name: getattr(row, name) for name in type(row)._meta.fields_db_projection}


async def _as_read(model: type[Model], ids: set[Any]) -> dict[Any, dict[str, Any] | None]:
    return {row.pk: _columns(row) for row in await model.filter(pk__in=ids)}


async def test_a_row_its_loader_leaves_out_is_none(client: httpx.AsyncClient) -> None:
    actors = await SiteActor.filter(user_id__isnull=False).order_by("id").limit(40)
    organizations = {actor.organization_id for actor in actors}
    users = {actor.user_id for actor in actors}
    user_organizations = {user.organization_id for user in await User.filter(id__in=users)}
    assert len(organizations) > 1 and len(user_organizations) > 1
    kept = min(organizations | user_organizations)
    readable_organizations = Readable(Organization.filter(id=kept), organization_by_id)
    readable_users = Readable(
        User.exclude(id=min(users)), user_by_id, (ToOne("organization_id", readable_organizations),)
    )
    joined = (
        ToOne("organization_id", readable_organizations),
        ToOne("user_id", readable_users),
    )
    ids = [actor.id for actor in actors]
    rows, primed = await joined_rows_by_keys(SiteActor.all(), "id", ids, joined)

    assert sorted(map(_columns, rows), key=lambda row: row["id"]) == [  # type: ignore[index]
        _columns(actor) for actor in actors
    ]
    every = await _as_read(Organization, organizations | user_organizations)
    assert {key: _columns(row) for key, row in primed[organization_by_id].items()} == {
        key: row if key == kept else None for key, row in every.items()
    }
    readable = await _as_read(User, users - {min(users)})
    assert {key: _columns(row) for key, row in primed[user_by_id].items()} == {
        **readable,
        min(users): None,
    }


async def test_linked_rows_come_with_their_to_one_rows(client: httpx.AsyncClient) -> None:
    actions = await Action.filter(operators__id__isnull=False).distinct().order_by("id").limit(20)
    keys = [action.id for action in actions]
    operators = await User.filter(operated_actions__id__in=keys).distinct()
    organizations = {user.organization_id for user in operators}
    assert len(organizations) > 1
    kept = min(organizations)
    readable = Readable(
        User.all(),
        user_by_id,
        (ToOne("organization_id", Readable(Organization.filter(id=kept), organization_by_id)),),
    )
    pairs, primed = await linked_rows_by_keys(readable, "operated_actions", keys, ("id",))

    assert {key for _, key in pairs} == set(keys)
    assert {key: _columns(row) for key, row in primed[user_by_id].items()} == await _as_read(
        User, {user.id for user in operators}
    )
    assert {key: _columns(row) for key, row in primed[organization_by_id].items()} == {
        key: row if key == kept else None
        for key, row in (await _as_read(Organization, organizations)).items()
    }
