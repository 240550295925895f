"""Users, organizations and actions are read with the columns the operation shows of them.

What a list of actions and operators reads of each user is what its selections of ``User``
read, with what the policy reads (the organization, where a user stands); a selection with a
field that declares nothing reads the whole row. The answers themselves are compared with
graphql-core's, which reads whole rows, in ``tests/test_compiled_reads.py``.
"""

from __future__ import annotations

import re

import httpx

from hub.database import count_statements
from tests.support import graphql

OPERATORS = """
query Operators($first: Int!) {
  sites(first: $first) {
    nodes {
      actions {
        name
        operators { firstName organization { name } }
      }
    }
  }
}
"""

# A field no column declaration covers (an action's finances) reads the whole action.
WITH_FINANCES = """
query WithFinances($first: Int!) {
  sites(first: $first) {
    nodes {
      actions { name finances { year } operators { email } }
    }
  }
}
"""


async def _columns_read(http: httpx.AsyncClient, query: str) -> dict[str, set[str]]:
    """The columns each statement reading users, organizations or actions names, by table."""
    with count_statements() as counter:
        body = await graphql(http, query, {"first": 100})
    assert "errors" not in body, body["errors"][:3]
    assert any(site["actions"] for site in body["data"]["sites"]["nodes"])
    read: dict[str, set[str]] = {}
    for sql in counter.statements:
        for table in ("user", "organization", "action"):
            # tortoise writes a table's columns as "column" or "table"."column", the
            # statements priming a loader as "hub_<n>"."column": all are read of that table.
            if re.search(rf'FROM "{table}"', sql):
                read.setdefault(table, set()).update(re.findall(r'"([a-z_]+)"', sql))
    return read


async def test_a_list_reads_the_columns_it_shows(client: httpx.AsyncClient) -> None:
    read = await _columns_read(client, OPERATORS)
    # Shown, or read by the policy: kept.
    assert {"first_name", "organization_id"} <= read["user"]
    assert "name" in read["organization"]
    assert {"name", "departement_id", "region_code"} <= read["action"]
    # Neither shown nor read by the policy: not read.
    assert not {"email", "phone", "options", "notifications_off", "last_seen_at"} & read["user"]
    assert not {"category", "abbreviation", "location_code"} & read["organization"]
    assert not {"goals", "location_details", "created_by_id"} & read["action"]


async def test_a_field_without_declaration_reads_the_whole_row(client: httpx.AsyncClient) -> None:
    read = await _columns_read(client, WITH_FINANCES)
    assert {"goals", "location_details", "created_by_id"} <= read["action"]
    assert "email" in read["user"]
