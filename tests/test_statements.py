"""No N+1: a deep query costs the same number of SQL statements at 10 and at 200 sites."""

from __future__ import annotations

import re

import httpx

from hub.database import count_statements
from hub.models import Action, Comment, ParcelOwner, Site, SiteActor
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
      ownership { parcels { ownerName } }
      lifecycle { solutions { solution people } }
      resorption { phases { phase } }
    }
  }
}
"""


async def statements_for(http: httpx.AsyncClient, first: int) -> tuple[list[str], int]:
    with count_statements() as counter:
        body = await graphql(http, DEEP, {"first": first})
    assert "errors" not in body, body["errors"][:3]
    # The statement's start (table and columns) names it; the IN lists' length varies.
    kinds = sorted(re.sub(r"\s+", " ", sql).split(" WHERE ")[0][:120] for sql in counter.statements)
    return kinds, len(body["data"]["sites"]["nodes"])


async def test_statement_count_does_not_grow_with_rows(client: httpx.AsyncClient) -> None:
    # The ten first sites must reach every relation of the query, or the comparison would
    # be vacuous: a loader asked for no key sends no statement.
    first_ten = await Site.all().order_by("-updated_at", "-id").limit(10)
    ids = [site.id for site in first_ten]
    assert await SiteActor.filter(site_id__in=ids).exists()
    assert await Action.filter(sites__id__in=ids, operators__id__isnull=False).exists()
    assert await Comment.filter(site_id__in=ids).exists()
    assert await ParcelOwner.filter(site_id__in=ids).exists()
    small, small_rows = await statements_for(client, 10)
    large, large_rows = await statements_for(client, 200)
    assert (small_rows, large_rows) == (10, 200)
    assert len(small) == len(large), (
        f"{len(small)} statements for 10 sites, {len(large)} for 200:\n"
        + "\n".join(f"- {kind}" for kind in set(small) ^ set(large))
        + "\n"
        + "\n".join(
            f"{small.count(k)} vs {large.count(k)}: {k}"
            for k in set(small) | set(large)
            if small.count(k) != large.count(k)
        )
    )
