"""No N+1: a deep query costs the same number of SQL statements at 10 and at 200 sites."""

from __future__ import annotations

import httpx

from hub.database import count_statements
from tests.support import graphql

DEEP = """
query Deep($first: Int!) {
  sites(first: $first) {
    totalCount
    nodes {
      id name
      population { total minors origins }
      livingConditions { water { status } }
      commune { name departement { name region { name } } epci { name } }
      actors { themes organization { name category } user { email } }
      actions {
        name topics
        operators { email organization { name } }
        managers { email }
        finances { year plannedAmount }
        indicators { year people }
      }
      journal(first: 3) { totalCount nodes { body author { email organization { name } } } }
      history(first: 2) { totalCount nodes { operation changes { field } } }
      reinstalledFrom { id }
      ownership { parcels { ownerName } }
      lifecycle { solutions { solution people } }
      resorption { phases { phase } }
    }
  }
}
"""


async def statements_for(http: httpx.AsyncClient, first: int) -> tuple[int, int]:
    with count_statements() as counter:
        body = await graphql(http, DEEP, {"first": first})
    assert "errors" not in body, body["errors"][:3]
    return counter.count, len(body["data"]["sites"]["nodes"])


async def test_statement_count_does_not_grow_with_rows(client: httpx.AsyncClient) -> None:
    small, small_rows = await statements_for(client, 10)
    large, large_rows = await statements_for(client, 200)
    assert (small_rows, large_rows) == (10, 200)
    assert small == large, f"{small} statements for 10 sites, {large} for 200"
