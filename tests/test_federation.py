"""The hub as an Apollo Federation 2 subgraph: `_service`, and `_entities` within scope."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from strawberry.relay import to_base64

from hub.database import count_statements
from hub.models import Site
from hub.models.enums import SiteStatus
from hub.server.app import create_app
from hub.server.auth.dev_issuer import DevIssuer
from hub.settings import Settings
from tests.support import bearer, error_codes, graphql

ENTITIES = """query ($representations: [_Any!]!) { _entities(representations: $representations) {
  ... on Site { id name legalProcedures { justiceProcedure } } } }"""


def representations(sites: list[Site]) -> list[dict[str, Any]]:
    return [{"__typename": "Site", "id": to_base64("Site", site.id)} for site in sites]


async def sites_of(departement: str, count: int) -> list[Site]:
    return await Site.filter(departement_code=departement, status=SiteStatus.OPEN).limit(count)


async def test_the_subgraph_publishes_its_keys_and_gates(client: httpx.AsyncClient) -> None:
    sdl = (await graphql(client, "{ _service { sdl } }"))["data"]["_service"]["sdl"]
    assert '@link(url: "https://specs.apollo.dev/federation/v2' in sdl
    keyed = {line.split()[1] for line in sdl.splitlines() if '@key(fields: "id")' in line}
    assert {"Site", "Action", "Organization", "User", "Nation", "Region", "Departement",
            "Epci", "Commune"} <= keyed  # fmt: skip
    assert 'legalProcedures: LegalProcedures @requires(capability: "site.legal.read")' in sdl


async def test_entities_are_scoped_and_gated_like_node(
    client: httpx.AsyncClient, dev_issuer: DevIssuer
) -> None:
    own, other = await sites_of("31", 2), await sites_of("33", 1)
    token, _ = await dev_issuer.token_for("operator@demo.bidonvilles.example")
    body = await graphql(
        client, ENTITIES, {"representations": representations(own + other)}, token=token
    )
    entities = body["data"]["_entities"]
    assert [e and e["id"] for e in entities] == [
        to_base64("Site", own[0].id), to_base64("Site", own[1].id), None,
    ]  # fmt: skip
    # A forged representation of a site out of scope is null; legal data stays gated.
    assert all(e["legalProcedures"] is None for e in entities[:2])
    assert error_codes(body) == ["FORBIDDEN", "FORBIDDEN"]
    admin = await graphql(client, ENTITIES, {"representations": representations(own + other)})
    assert all(e is not None and e["legalProcedures"] for e in admin["data"]["_entities"])


async def test_entities_cost_the_same_statements_for_few_and_many(
    client: httpx.AsyncClient,
) -> None:
    counts = []
    for count in (2, 20):
        sites = await Site.filter(status=SiteStatus.OPEN).limit(count)
        with count_statements() as counter:
            body = await graphql(client, ENTITIES, {"representations": representations(sites)})
        assert len(body["data"]["_entities"]) == count
        counts.append(counter.count)
    assert counts[0] == counts[1]


@pytest.fixture
async def routed(settings: Settings, admin_token: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(replace(settings, federation_secret="router-s3cret"), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=bearer(admin_token)
    ) as http:
        yield http


async def test_a_secret_keeps_federation_fields_for_the_router(
    routed: httpx.AsyncClient,
) -> None:
    service = "{ _service { sdl } }"
    refused = await graphql(routed, service)
    assert refused["data"] is None and error_codes(refused) == ["FORBIDDEN"]
    hidden = await routed.post(
        "/graphql",
        json={"query": "query Q { ...F } fragment F on Query { _service { sdl } }"},
    )
    assert error_codes(hidden.json()) == ["FORBIDDEN"]
    allowed = await routed.post(
        "/graphql", json={"query": service}, headers={"X-Hub-Router-Secret": "router-s3cret"}
    )
    assert "@key" in allowed.json()["data"]["_service"]["sdl"]
    # Everything else is as without a secret.
    assert "errors" not in await graphql(routed, "{ me { role } }")
