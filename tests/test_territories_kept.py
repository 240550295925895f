"""Territories kept by the serving process while they are current
(``resolvers.territories.kept``): read once, then answered from memory after one statement
reading their token; a change made to them in the database, however made, is read by the
next request."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from tortoise import connections

from hub.database import count_statements
from hub.models import Commune, Departement
from tests.support import Hub

TERRITORY_TABLES = {"commune", "departement", "region", "epci", "territory_revision"}
SITES = """query {
  sites(first: 20) {
    nodes {
      id
      commune { code name latitude }
      departement { code name }
      region { name }
      epci { name }
    }
  }
}"""


async def asked(hub: Hub) -> tuple[list[dict[str, Any]], Counter[str]]:
    """The sites' answer, and the statements of the request per territory table."""
    with count_statements() as counter:
        body = await hub.ask("national_admin", SITES)
    assert "errors" not in body, body["errors"]
    tables = Counter(
        table
        for sql in counter.statements
        for table in re.findall(r'FROM "(\w+)"', sql)
        if table in TERRITORY_TABLES
    )
    return body["data"]["sites"]["nodes"], tables


async def changed(sql: str) -> None:
    """A change made by hand, in SQL, as an operator would."""
    await connections.get("default").execute_script(sql)


async def test_territories_are_read_once_then_kept(hub: Hub) -> None:
    first, _ = await asked(hub)
    again, tables = await asked(hub)
    assert again == first
    assert {site["commune"]["name"] for site in first} and all(s["region"] for s in first)
    assert tables == {"territory_revision": 1}


async def test_a_change_made_in_sql_is_read_by_the_next_request(hub: Hub) -> None:
    sites, _ = await asked(hub)
    commune, departement = sites[0]["commune"], sites[0]["departement"]
    kept = await Commune.get(code=commune["code"])
    await changed(
        f'UPDATE "commune" SET "name" = \'Renommée\', "latitude" = 12.5'
        f" WHERE \"code\" = '{commune['code']}'"
    )
    try:
        sites, tables = await asked(hub)
        assert sites[0]["commune"] == {**commune, "name": "Renommée", "latitude": 12.5}
        # The change dropped what was kept: read again.
        assert tables["territory_revision"] == tables["commune"] == tables["departement"] == 1
        await changed(
            f'UPDATE "departement" SET "name" = \'Nouveau nom\''
            f" WHERE \"code\" = '{departement['code']}'"
        )
        sites, _ = await asked(hub)
        assert sites[0]["departement"] == {**departement, "name": "Nouveau nom"}
        assert sites[0]["commune"]["name"] == "Renommée"
    finally:
        # Through the ORM this time: the same triggers.
        await Commune.filter(code=commune["code"]).update(name=kept.name, latitude=kept.latitude)
        await Departement.filter(code=departement["code"]).update(name=departement["name"])
    restored, _ = await asked(hub)
    assert restored[0]["commune"] == commune and restored[0]["departement"] == departement
