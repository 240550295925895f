"""The hub behind real federation tooling: `@apollo/composition` and `@apollo/gateway` (npm).

The hub runs as a real process over the demo database; a sample partner subgraph (an
association's visits tool, tests/federation/partner.mjs) adds fields to the hub's `Site`; the
gateway composes both SDLs and forwards each caller's token. Through the gateway, the hub's
permissions still apply: scope, gated fields (FORBIDDEN) and `_entities`.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from strawberry.relay import to_base64

from hub.models import Site
from hub.models.enums import SiteStatus
from hub.server.auth.dev_issuer import DevIssuer
from hub.settings import Settings
from tests.federation_gateway import FederatedStack, compose, missing_tooling
from tests.support import error_codes

ADMIN = "national_admin@demo.bidonvilles.example"
# Reads Haute-Garonne (31) only, and may not read legal procedures.
OPERATOR = "operator@demo.bidonvilles.example"

SITES = """{ sites(first: 3) { totalCount nodes { id name departement { code }
  legalProcedures { justiceProcedure } visits { date team } lastVisit } } }"""
FOLLOWED = "{ followedSites { id name legalProcedures { justiceProcedure } lastVisit } }"
DATE = re.compile(r"^2026-(09|10)-\d\d$")


async def gids(departement: str, count: int) -> list[str]:
    sites = (
        await Site.filter(departement_code=departement, status=SiteStatus.OPEN)
        .order_by("id")
        .limit(count)
    )
    assert len(sites) == count
    return [to_base64("Site", site.id) for site in sites]


@pytest.fixture(scope="module")
async def followed() -> list[str]:
    """The sites the partner follows: two the operator reads (31), then one it does not (33)."""
    in_31, in_33 = await gids("31", 2), await gids("33", 1)
    return [in_31[0], in_33[0], in_31[1]]


@pytest.fixture(scope="module")
async def stack(
    settings: Settings,
    dev_issuer: DevIssuer,
    followed: list[str],
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[FederatedStack]:
    problem = missing_tooling()
    if problem is not None and not os.environ.get("CI"):
        pytest.skip(f"Apollo Federation tooling unavailable: {problem}")
    # `dev_issuer` wrote the key file: the hub process trusts the tokens it signs.
    running = FederatedStack(
        tmp_path_factory.mktemp("federation"),
        database_url=settings.database_url,
        dev_issuer_key=settings.dev_issuer_key,
        followed=followed,
    )
    running.start()
    try:
        yield running
    finally:
        codes = running.stop()
    # Node scripts exit 0; uvicorn re-raises SIGTERM once it has shut down cleanly.
    assert codes["gateway"] == 0 and codes["partner"] == 0, running.logs()
    assert codes["hub"] in (0, -15), running.logs()


async def token(dev_issuer: DevIssuer, email: str) -> str:
    value, _ = await dev_issuer.token_for(email)
    return value


def sites_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = body["data"]["sites"]["nodes"]
    return nodes


def assert_visits(site: dict[str, Any]) -> None:
    """The partner's fields, joined on the site's global ID."""
    assert len(site["visits"]) == 2 and all(DATE.match(v["date"]) for v in site["visits"])
    assert site["lastVisit"] == site["visits"][0]["date"]


def test_the_supergraph_joins_the_hub_and_the_partner(stack: FederatedStack) -> None:
    assert stack.gateway is not None
    supergraph = stack.gateway.supergraph
    site = supergraph[supergraph.index("type Site implements Node") :].split("\n}", 1)[0]
    assert '@join__type(graph: HUB, key: "id")' in site
    assert '@join__type(graph: VISITS, key: "id")' in site
    assert "legalProcedures: LegalProcedures @join__field(graph: HUB)" in site
    assert "visits: [Visit!]! @join__field(graph: VISITS)" in site


def test_a_clash_with_the_hub_does_not_compose(stack: FederatedStack, tmp_path: Path) -> None:
    hub, partner = stack.subgraphs()
    clashing = """extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",
      import: ["@key"])
    type Site @key(fields: "id") { id: ID! name: Int }
    type Query { visitsTool: Boolean }"""
    result = compose(tmp_path, [hub, {**partner, "sdl": clashing}])
    assert result.returncode == 2 and result.supergraph is None, result.stderr
    assert "composition failed" in result.stderr
    assert "Site.name" in result.stderr, result.stderr
    assert compose(tmp_path, [hub, partner]).returncode == 0


async def test_the_administrator_gets_hub_and_partner_fields_joined(
    stack: FederatedStack, dev_issuer: DevIssuer
) -> None:
    body = await stack.ask(SITES, await token(dev_issuer, ADMIN))
    assert "errors" not in body, body
    sites = sites_of(body)
    assert len(sites) == 3
    for site in sites:
        assert site["id"].startswith("U2l0ZT") and site["name"]  # base64 of "Site:…"
        assert site["legalProcedures"]["justiceProcedure"] in ("YES", "NO", "UNKNOWN")
        assert_visits(site)
    visits = await stack.ask("{ visitsTool { authenticated } }", await token(dev_issuer, ADMIN))
    assert visits["data"]["visitsTool"] == {"authenticated": True}, "the token reaches partners"


async def test_the_operator_keeps_its_scope_and_gates_through_the_gateway(
    stack: FederatedStack, dev_issuer: DevIssuer
) -> None:
    operator = await token(dev_issuer, OPERATOR)
    body = await stack.ask(SITES, operator)
    direct = await stack.ask_hub("{ sites(first: 3) { totalCount nodes { id } } }", operator)
    sites = sites_of(body)
    assert [s["id"] for s in sites] == [s["id"] for s in sites_of(direct)]
    assert body["data"]["sites"]["totalCount"] == direct["data"]["sites"]["totalCount"] > 0
    assert {s["departement"]["code"] for s in sites} == {"31"}
    # Gated data stays null, with the hub's FORBIDDEN errors passed on by the gateway.
    assert all(s["legalProcedures"] is None for s in sites)
    assert error_codes(body) == ["FORBIDDEN"] * len(sites), body
    assert sorted(tuple(e["path"]) for e in body["errors"]) == [
        ("sites", "nodes", index, "legalProcedures") for index in range(len(sites))
    ]
    assert {e["extensions"].get("serviceName") for e in body["errors"]} == {"hub"}
    for site in sites:
        assert_visits(site)


async def test_entities_resolved_by_the_hub_for_the_partner_stay_in_scope(
    stack: FederatedStack, dev_issuer: DevIssuer, followed: list[str]
) -> None:
    admin = await stack.ask(FOLLOWED, await token(dev_issuer, ADMIN))
    assert "errors" not in admin, admin
    assert [s["id"] for s in admin["data"]["followedSites"]] == followed
    assert all(s["name"] and s["legalProcedures"] for s in admin["data"]["followedSites"])

    body = await stack.ask(FOLLOWED, await token(dev_issuer, OPERATOR))
    first, out_of_scope, last = body["data"]["followedSites"]
    assert [first["id"], last["id"]] == [followed[0], followed[2]]
    assert first["name"] and last["name"]
    assert first["legalProcedures"] is None and last["legalProcedures"] is None
    # The hub's `_entities` answers null for the Gironde site: the gateway keeps what the
    # partner knows of it, and nothing of the hub's, not even an error naming it.
    assert out_of_scope["id"] == followed[1] and DATE.match(out_of_scope["lastVisit"])
    assert out_of_scope["name"] is None and out_of_scope["legalProcedures"] is None
    assert sorted(tuple(e["path"]) for e in body["errors"]) == [
        ("followedSites", 0, "legalProcedures"), ("followedSites", 2, "legalProcedures"),
    ]  # fmt: skip
    assert error_codes(body) == ["FORBIDDEN", "FORBIDDEN"], body


async def test_an_anonymous_caller_gets_no_sites_through_the_gateway(
    stack: FederatedStack,
) -> None:
    body = await stack.ask("{ sites(first: 3) { totalCount nodes { id visits { date } } } }")
    assert body["data"]["sites"] == {"totalCount": 0, "nodes": []}, body
    followed = await stack.ask("{ followedSites { id name } visitsTool { authenticated } }")
    assert [site["name"] for site in followed["data"]["followedSites"]] == [None] * 3, followed
    assert followed["data"]["visitsTool"] == {"authenticated": False}
