"""A statement by key is written once per shape of its queryset, and serves no other scope.

``resolvers.statements`` keeps the SQL of a loader's statement by the shape of its queryset
(every attribute, by type and value), across requests and callers. These tests ask the same
rows by key as callers of different scopes in turn, and check what a shape tells apart.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tortoise.expressions import F, Q, Subquery
from tortoise.queryset import QuerySet

from hub.models import Site
from hub.models.enums import SiteStatus
from hub.server.auth.dev_issuer import DevIssuer
from resolvers import statements
from resolvers.fetching import rows_by_keys
from tests.support import graphql

ACTIONS = "query { actions(first: 100) { nodes { id } } }"


def _nodes(ids: list[str]) -> str:
    """One request asking each action by its id: the rows come by key, in one statement."""
    asked = " ".join(f'a{n}: node(id: "{id}") {{ id }}' for n, id in enumerate(ids))
    return f"query {{ {asked} }}"


async def _read(http: httpx.AsyncClient, query: str, token: str | None = None) -> dict[str, Any]:
    body = await graphql(http, query, token=token)
    assert "errors" not in body, body["errors"][:3]
    data: dict[str, Any] = body["data"]
    return data


async def test_callers_of_other_scopes_get_their_own_rows_by_key(
    client: httpx.AsyncClient, dev_issuer: DevIssuer
) -> None:
    operator, _ = await dev_issuer.token_for("operator@demo.bidonvilles.example")
    every = [node["id"] for node in (await _read(client, ACTIONS))["actions"]["nodes"]]
    listed = await _read(client, ACTIONS, operator)
    mine = {node["id"] for node in listed["actions"]["nodes"]}
    # The operator reads some actions, not all: a statement of the other scope would show.
    assert mine and mine < set(every)
    # Ten of each (a request names at most 20 root fields).
    ids = sorted(mine)[:10] + sorted(set(every) - mine)[:10]
    asked = _nodes(ids)
    for _ in range(2):
        for token, expected in ((None, set(ids)), (operator, mine & set(ids))):
            body = await graphql(client, asked, token=token)
            found = {node["id"] for node in body["data"].values() if node}
            assert found == expected
            # What the caller may not read is not found, as if it did not exist.
            missing = {error["extensions"]["id"] for error in body.get("errors", [])}
            assert {e["extensions"]["code"] for e in body.get("errors", [])} <= {"NOT_FOUND"}
            assert missing == set(ids) - expected


def _shape(queryset: QuerySet[Any]) -> Any:
    shape = statements.shape(queryset)
    assert shape is not None
    return shape


@pytest.mark.usefixtures("client")
def test_a_shape_tells_values_apart_by_type_and_order() -> None:
    def sites(*conditions: Q, **filters: Any) -> QuerySet[Site]:
        return Site.filter(*conditions, **filters).order_by("id")

    assert _shape(sites(population_total=1)) == _shape(sites(population_total=1))
    # Equal in Python, not in a statement.
    shapes = [_shape(sites(population_total=value)) for value in (1, True, 1.0, "1")]
    assert len(set(shapes)) == len(shapes)
    assert _shape(sites(id__in=[1, 2])) != _shape(sites(id__in=[2, 1]))
    assert _shape(sites(status=SiteStatus.OPEN)) != _shape(sites(status=SiteStatus.RESORBED))
    either = Q(id=1) | Q(population_total=2)
    both = Q(id=1) & Q(population_total=2)
    assert len({_shape(sites(either)), _shape(sites(both)), _shape(sites(~both))}) == 3
    assert _shape(sites(id=1).only("id", "name")) != _shape(sites(id=1))
    assert _shape(sites(id=1).limit(2)) != _shape(sites(id=1))
    assert _shape(sites(id=1).order_by("-id")) != _shape(sites(id=1))


@pytest.mark.usefixtures("client")
async def test_an_expression_has_no_shape_and_its_statement_is_written_each_time() -> None:
    ids = [site.id for site in await Site.all().order_by("id").limit(5)]
    crowded = Site.filter(population_total__gt=F("population_minors")).order_by("id")
    assert statements.shape(crowded) is None
    nested = Site.filter(id__in=Subquery(Site.filter(status=SiteStatus.OPEN).values("id")))
    assert statements.shape(nested) is None
    expected = await Site.filter(id__in=ids, population_total__gt=F("population_minors"))
    found = await rows_by_keys(crowded, "id", ids)
    assert sorted(site.id for site in found) == sorted(site.id for site in expected)


@pytest.mark.usefixtures("client")
async def test_a_statement_of_a_known_shape_is_not_written_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = [site.id for site in await Site.all().order_by("id").limit(6)]

    def open_sites() -> QuerySet[Site]:
        return Site.filter(status=SiteStatus.OPEN).order_by("id")

    first = await rows_by_keys(open_sites(), "id", ids[:3])
    written: list[object] = []
    make_query = QuerySet._make_query
    monkeypatch.setattr(QuerySet, "_make_query", lambda self: written.append(make_query(self)))
    again = await rows_by_keys(open_sites(), "id", ids[3:])
    assert written == []
    expected = await Site.filter(id__in=ids, status=SiteStatus.OPEN).order_by("id")
    assert [site.id for site in first + again] == [site.id for site in expected]
