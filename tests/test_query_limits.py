"""Query limits: each refuses before anything runs, with QUERY_TOO_COMPLEX and what it allows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
import strawberry.schema.schema as strawberry_schema

from hub.database import count_statements
from hub.limits import Limits
from hub.server.app import create_app
from hub.server.auth.dev_issuer import DevIssuer
from hub.settings import Settings, SettingsError
from tests.support import bearer, error_codes, graphql

OPERATOR = "operator@demo.bidonvilles.example"
LIMITS = Limits(
    depth=6,
    aliases=3,
    root_fields=3,
    directives_per_field=2,
    tokens=200,
    string_length=300,
    cost_budgets={"anonymous": 50, "default": 2_000, "operator": 300},
)


@pytest.fixture(scope="module")
def limited(settings: Settings) -> Settings:
    return replace(settings, limits=LIMITS)


@pytest.fixture
async def hub(limited: Settings, admin_token: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(limited, manage_database=False))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=bearer(admin_token)
    ) as http:
        yield http


def refusal(body: dict[str, object], limit: str) -> dict[str, object]:
    assert body["data"] is None, body
    (error,) = body["errors"]  # type: ignore[misc]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX", error
    assert error["extensions"]["limit"] == limit
    return error  # type: ignore[no-any-return]


async def refused_without_statements(
    http: httpx.AsyncClient, query: str, limit: str, **kwargs: object
) -> dict[str, object]:
    """Refused before anything runs: no statement beyond those that identify the caller."""
    with count_statements() as identifying:
        await graphql(http, "{ __typename }", **kwargs)  # type: ignore[arg-type]
    with count_statements() as statements:
        body = await graphql(http, query, **kwargs)  # type: ignore[arg-type]
    assert statements.statements == identifying.statements
    return refusal(body, limit)


async def test_depth(hub: httpx.AsyncClient) -> None:
    within = "{ sites(first: 1) { nodes { commune { departement { region { name } } } } } }"
    assert "errors" not in await graphql(hub, within)
    deeper = (
        "{ sites(first: 1) { nodes { commune { departement { region { nation { name } } } } } } }"
    )
    error = await refused_without_statements(hub, deeper, "depth")
    assert error["extensions"]["maximum"] == 6
    assert error["message"] == "Queries may nest 6 levels deep at most, got 7."
    # Fragments count where they are spread, cycles do not loop.
    spread = (
        "{ sites(first: 1) { nodes { ...C } } } "
        "fragment C on Site { commune { departement { region { nation { name } } } } }"
    )
    await refused_without_statements(hub, spread, "depth")


async def test_aliases(hub: httpx.AsyncClient) -> None:
    assert "errors" not in await graphql(hub, "{ a: me { role } b: me { role } c: me { role } }")
    error = await refused_without_statements(
        hub, "{ a: me { role } b: me { r: role s: role } }", "aliases"
    )
    assert error["extensions"]["maximum"] == 3


async def test_root_fields(hub: httpx.AsyncClient) -> None:
    await refused_without_statements(
        hub, "{ me { role } me { role } me { role } me { role } }", "rootFields"
    )


async def test_directives_per_field(hub: httpx.AsyncClient) -> None:
    two = "{ me @include(if: true) @skip(if: false) { role } }"
    assert "errors" not in await graphql(hub, two)
    three = "{ me @include(if: true) @skip(if: false) @include(if: true) { role } }"
    body = await graphql(hub, three)
    assert "QUERY_TOO_COMPLEX" in error_codes(body)


async def test_tokens(hub: httpx.AsyncClient) -> None:
    many = "{ me { " + "role " * 300 + "} }"
    error = await refused_without_statements(hub, many, "tokens")
    assert error["message"] == "At most 200 tokens per document."


async def test_cost_budget_per_role(hub: httpx.AsyncClient, dev_issuer: DevIssuer) -> None:
    operator, _ = await dev_issuer.token_for(OPERATOR)
    query = "query ($n: Int) { sites(first: $n) { nodes { name commune { name } } } }"
    # 1 + n × (1 + 1): 201 for 100 sites, 401 for 200.
    assert "errors" not in await graphql(hub, query, {"n": 100}, token=operator)
    error = await refused_without_statements(
        hub, query, "cost", variables={"n": 200}, token=operator
    )
    assert error["extensions"]["maximum"] == 300
    assert error["extensions"]["cost"] == 401
    assert "budget of 300" in error["message"]
    # The national administrator's budget is the default one.
    assert "errors" not in await graphql(hub, query, {"n": 200})
    # A missing `first` counts as the default page size (50).
    nested = (
        "{ sites { nodes { actors { organization { name } } actions { operators { email } } } } }"
    )
    error = await refused_without_statements(hub, nested, "cost")
    # Unpaginated lists (a site's actors and actions, an action's operators) count 5 items.
    assert error["extensions"]["cost"] == 1 + 50 * (1 + 5 * (1 + 1) + 5 * (1 + 5))


async def test_anonymous_budget(limited: Settings) -> None:
    transport = httpx.ASGITransport(app=create_app(limited, manage_database=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        children = "children(first: 30) { nodes { publicStats { openSites } } }"
        query = "{ territory(level: NATION) { " + children + " } }"
        error = await refused_without_statements(http, query, "cost")
        assert error["extensions"]["maximum"] == 50


async def test_fragment_bombs_are_walked_once(limited: Settings, admin_token: str) -> None:
    # Each fragment spreads the next 40 times: walking it naively visits 40^5 selections.
    levels = 5
    fragments = " ".join(
        f"fragment F{i} on Site {{ " + f"...F{i + 1} " * 40 + "}" for i in range(levels)
    )
    query = "{ sites(first: 1) { nodes { ...F0 } } } " + fragments
    query += f" fragment F{levels} on Site {{ name }}"
    roomy = replace(limited, limits=replace(LIMITS, tokens=5_000))
    transport = httpx.ASGITransport(app=create_app(roomy, manage_database=False))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=bearer(admin_token)
    ) as http:
        body = await graphql(http, query)
    assert body["data"]["sites"]["nodes"][0]["name"]


async def test_long_strings_are_refused_before_anything_runs(hub: httpx.AsyncClient) -> None:
    long = "x" * 301
    literal = await graphql(hub, '{ sites(filter: {search: "' + long + '"}) { totalCount } }')
    assert error_codes(literal) == ["BAD_USER_INPUT"]
    variable = await graphql(
        hub,
        "query ($f: SiteFilter) { sites(filter: $f) { totalCount } }",
        {"f": {"search": long}},
    )
    assert error_codes(variable) == ["BAD_USER_INPUT"]
    assert variable["errors"][0]["extensions"]["maximum"] == 300


def test_limit_settings_are_read_and_checked() -> None:
    settings = Settings.from_environ(
        {
            "HUB_MAX_DEPTH": "9",
            "HUB_MAX_TOKENS": "800",
            "HUB_COST_BUDGETS": '{"operator": 10, "anonymous": 5}',
        }
    )
    assert settings.limits.depth == 9 and settings.limits.tokens == 800
    assert settings.limits.cost_budget("operator") == 10
    assert settings.limits.cost_budget(None) == 5
    assert settings.limits.cost_budget("correspondent") == 50_000
    for bad, message in [
        ('{"pope": 3}', "'pope' is not a role"),
        ('{"operator": 0}', "whole number ≥ 1"),
        ("[1]", "JSON object"),
        ("{", "JSON object"),
    ]:
        with pytest.raises(SettingsError, match=message):
            Settings.from_environ({"HUB_COST_BUDGETS": bad})
    with pytest.raises(SettingsError, match="HUB_MAX_DEPTH"):
        Settings.from_environ({"HUB_MAX_DEPTH": "0"})


async def test_a_document_is_validated_once(
    hub: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Validating a large document costs more than running it: the limits must not defeat the
    # validation cache (a rule built per request would make every request a miss).
    validations: list[object] = []
    original = strawberry_schema.validate

    def counting(*args: object, **kwargs: object) -> object:
        validations.append(args[1])
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(strawberry_schema, "validate", counting)
    query = f"query Once{uuid.uuid4().hex} {{ me {{ role }} }}"
    for _ in range(3):
        assert "errors" not in await graphql(hub, query)
    assert len(validations) == 1
