"""Cursor connections: page walks, totalCount, page-size maximum and bad cursors."""

from __future__ import annotations

import httpx

from hub.models import Site
from tests.support import error_codes, graphql

PAGE = """
query Page($first: Int, $after: String) {
  sites(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id } }
  }
}
"""


async def test_walking_every_page_visits_every_site_once(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    after = None
    while True:
        body = await graphql(client, PAGE, {"first": 37, "after": after})
        connection = body["data"]["sites"]
        seen += [edge["node"]["id"] for edge in connection["edges"]]
        assert connection["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    total = await Site.all().count()
    assert connection["totalCount"] == total
    assert len(seen) == len(set(seen)) == total


async def test_first_over_the_maximum_is_refused(client: httpx.AsyncClient) -> None:
    body = await graphql(client, PAGE, {"first": 501})
    assert body["data"] is None
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "between 0 and 500" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["maximum"] == 500


async def test_negative_first_is_refused(client: httpx.AsyncClient) -> None:
    body = await graphql(client, PAGE, {"first": -1})
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_first_zero_gives_only_the_count(client: httpx.AsyncClient) -> None:
    body = await graphql(client, PAGE, {"first": 0})
    assert body["data"]["sites"]["edges"] == []
    assert body["data"]["sites"]["totalCount"] == await Site.all().count()


async def test_a_forged_cursor_is_a_clear_error(client: httpx.AsyncClient) -> None:
    for cursor in ("not-base64!!", "b2Zmc2V0Oi0z", "Zm9vOjE="):
        body = await graphql(client, PAGE, {"first": 5, "after": cursor})
        assert error_codes(body) == ["BAD_USER_INPUT"], cursor
        assert "Invalid cursor" in body["errors"][0]["message"]
        assert "Traceback" not in str(body)


async def test_nested_connections_apply_the_maximum_too(client: httpx.AsyncClient) -> None:
    query = "{ sites(first: 1) { nodes { journal(first: 1000) { totalCount } } } }"
    body = await graphql(client, query)
    assert error_codes(body) == ["BAD_USER_INPUT"]
