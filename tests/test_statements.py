"""No N+1: a deep query costs the same number of SQL statements at 10 and at 200 sites."""

from __future__ import annotations

import re
from collections import Counter

import httpx
from tortoise import connections

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


async def test_sheet_reads_rows_with_their_links(client: httpx.AsyncClient) -> None:
    """The benchmark's site sheet: the statements per table, as many however many rows the
    site has. Each list comes with its rows: a site's actions with their links to it, its
    history's and its journal's first pages with their rows and their count, the operators
    of its actions with their links. A loader answering
    a row it was primed with a wave late, or a list read as ids then rows, changes a count.
    The site's territories are read once by the process, then kept: asked again, the sheet
    reads only their token."""
    from bench.canonical import SHEET_CHILDREN, document
    from bench.floor import pick_sheet_site
    from bench.sql import Sql, global_id

    site = await pick_sheet_site(Sql(connections.get("default")))
    variables = {"id": global_id("Site", site), "children": SHEET_CHILDREN}
    await graphql(client, document("sheet"), variables)
    with count_statements() as counter:
        body = await graphql(client, document("sheet"), variables)
    assert "errors" not in body, body["errors"][:3]
    read = [_table(sql) for sql in counter.statements]
    # From the site on: before it, the request builds its caller (tests/conftest.py).
    tables = Counter(read[read.index("site") :])
    expected = {
        "site": 1,
        "territory_revision": 1,  # commune, EPCI, département, région: kept
        # created and updated by; then the actors' users and the journal's and history's authors
        "user": 2,
        "site_actor": 1,
        "action_site": 1,  # the site's actions with their rows
        "site_reinstallation": 1,
        "comment": 1,  # the journal's first page with its comments and their count
        "history_entry": 1,  # the history's first page with its entries and their count
        "action_topic": 1,
        "action_operator": 1,  # the operators with their rows
        "site_parcel_owner": 1,
        "site_closing_solution": 1,
        "site_resorption_phase": 1,
        "action_finance": 1,
        "action_indicators": 1,
        # the actors' organizations; then the authors' and the operators' together
        "organization": 2,
        "audit_entry": 1,
    }
    assert dict(tables) == expected, "\n".join(counter.statements)


def _table(sql: str) -> str:
    """The table a statement reads (the link table for a list read with its links, the
    children's table for a page of them) or writes."""
    if sql.startswith("INSERT INTO "):
        return sql.split('"')[1]
    if " AS hub_key" in sql:
        return re.findall(r'JOIN "(\w+)" ON', sql)[0]
    return re.findall(r'FROM "(\w+)"', sql)[0]
