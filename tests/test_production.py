"""Production mode: what the endpoint refuses or hides, and how it answers bad requests.

The production hub here trusts the test's development issuer as if it were a partner
provider (an ``Authenticator`` with its public key), so that real tokens reach it; everything
else is production: no GraphiQL, no development issuer routes, introspection for
administrators only, no suggestions, no GET queries.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

import schema.query
from hub.server.app import create_app
from hub.server.auth.dev_issuer import DevIssuer
from hub.server.auth.keys import StaticKeys
from hub.server.auth.middleware import Authenticator
from hub.server.auth.tokens import TokenValidator, Trust
from hub.settings import Environment, Settings
from tests.support import bearer, error_codes, graphql

OPERATOR = "operator@demo.bidonvilles.example"
INTROSPECTION = "{ __schema { queryType { name } } }"
MISSPELT = "{ sites(first: 1) { nodes { nme } } }"
LEAK = 'relation "hub_site" does not exist; SELECT * FROM site -- /srv/hub/resolvers/x.py'


def _client(app: object, token: str | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    headers = bearer(token) if token else {}
    return httpx.AsyncClient(transport=transport, base_url="http://hub.test", headers=headers)


@pytest.fixture(scope="module")
def production(settings: Settings) -> Settings:
    return replace(
        settings, environment=Environment.PRODUCTION, cors_origins=("https://carte.example",)
    )


@pytest.fixture
async def prod(production: Settings, dev_issuer: DevIssuer) -> AsyncIterator[httpx.AsyncClient]:
    """A production hub; tokens of the development issuer are trusted as a partner's."""
    validator = TokenValidator([Trust(dev_issuer.trusted, StaticKeys([dev_issuer.public_key]))], 30)
    app = create_app(production, manage_database=False, authenticator=Authenticator(validator))
    async with _client(app) as http:
        yield http


@pytest.fixture(scope="module")
async def operator_token(dev_issuer: DevIssuer) -> str:
    token, _ = await dev_issuer.token_for(OPERATOR)
    return token


async def test_production_serves_no_graphiql_and_no_development_issuer(
    prod: httpx.AsyncClient, production: Settings, dev_issuer: DevIssuer
) -> None:
    page = await prod.get("/graphql", headers={"accept": "text/html"})
    assert "graphiql" not in page.text.lower()
    assert (await prod.get("/dev-issuer/.well-known/openid-configuration")).status_code == 404
    # The hub as production settings build it does not trust the development issuer at all.
    token, _ = await dev_issuer.token_for(OPERATOR)
    async with _client(create_app(production, manage_database=False), token) as own:
        refused = await own.post("/graphql", json={"query": "{ me { role } }"})
    assert refused.status_code == 401
    assert error_codes(refused.json()) == ["UNAUTHENTICATED"]


async def test_production_refuses_queries_by_get(
    prod: httpx.AsyncClient, client: httpx.AsyncClient, admin_token: str
) -> None:
    refused = await prod.get(
        "/graphql", params={"query": "{ me { role } }"}, headers=bearer(admin_token)
    )
    assert refused.status_code == 405
    assert refused.headers["allow"] == "POST"
    assert error_codes(refused.json()) == ["METHOD_NOT_ALLOWED"]
    assert "data" not in refused.json()
    # Outside production GraphiQL may query by GET, never mutate.
    allowed = await client.get("/graphql", params={"query": "{ me { role } }"})
    assert allowed.json() == {"data": {"me": {"role": "NATIONAL_ADMIN"}}}
    mutation = 'mutation { deleteSite(id: "U2l0ZTox") { errors { code } } }'
    by_get = await client.get("/graphql", params={"query": mutation})
    assert by_get.status_code == 400
    assert by_get.json()["errors"][0]["message"] == "mutations are not allowed when using GET"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
async def test_cross_site_form_content_types_are_refused(
    client: httpx.AsyncClient, content_type: str
) -> None:
    # A browser sends these without a CORS preflight: they must never run an operation.
    body = json.dumps({"query": "{ me { role } }"})
    response = await client.post("/graphql", content=body, headers={"content-type": content_type})
    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_REQUEST"]
    assert response.json()["errors"][0]["message"] == "Unsupported content type"


async def test_introspection_is_for_administrators_in_production(
    prod: httpx.AsyncClient, admin_token: str, operator_token: str, client: httpx.AsyncClient
) -> None:
    admin = await graphql(prod, INTROSPECTION, token=admin_token)
    assert admin == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    for query in (INTROSPECTION, '{ __type(name: "Site") { fields { name } } }'):
        operator = await graphql(prod, query, token=operator_token)
        assert operator["data"] is None
        assert error_codes(operator) == ["FORBIDDEN"]
        anonymous = await graphql(prod, query)
        assert error_codes(anonymous) == ["FORBIDDEN"]
    # Hidden inside a fragment is the same.
    fragment = "query { ...F } fragment F on Query { __schema { types { name } } }"
    assert error_codes(await graphql(prod, fragment, token=operator_token)) == ["FORBIDDEN"]
    # Outside production anyone may introspect (GraphiQL needs it).
    assert (await graphql(client, INTROSPECTION, token=operator_token))["data"] is not None


async def test_production_errors_name_no_fields_that_exist(
    prod: httpx.AsyncClient, client: httpx.AsyncClient, operator_token: str
) -> None:
    hidden = await graphql(prod, MISSPELT, token=operator_token)
    assert hidden["errors"][0]["message"] == "Cannot query field 'nme' on type 'Site'."
    shown = await graphql(client, MISSPELT, token=operator_token)
    assert "Did you mean 'name'" in shown["errors"][0]["message"]


async def test_cors_answers_allowed_origins_only(
    prod: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    preflight = {"access-control-request-method": "POST"}
    allowed = await prod.options(
        "/graphql", headers={"origin": "https://carte.example", **preflight}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://carte.example"
    exposed = await prod.post(
        "/graphql", json={"query": "{ me { role } }"}, headers={"origin": "https://carte.example"}
    )
    assert "Retry-After" in exposed.headers["access-control-expose-headers"]
    other = await prod.options("/graphql", headers={"origin": "https://evil.example", **preflight})
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers
    simple = await prod.post(
        "/graphql", json={"query": "{ me { role } }"}, headers={"origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in simple.headers
    # No allow-list, no CORS at all.
    unlisted = await client.options(
        "/graphql", headers={"origin": "https://carte.example", **preflight}
    )
    assert "access-control-allow-origin" not in unlisted.headers


async def test_signed_in_answers_are_never_stored(
    prod: httpx.AsyncClient, operator_token: str
) -> None:
    signed_in = await prod.post(
        "/graphql", json={"query": "{ me { role } }"}, headers=bearer(operator_token)
    )
    assert signed_in.headers["cache-control"] == "no-store"
    refused = await prod.post(
        "/graphql", json={"query": "{ nope }"}, headers=bearer(operator_token)
    )
    assert refused.headers["cache-control"] == "no-store"
    anonymous = await prod.post("/graphql", json={"query": "{ me { role } }"})
    assert "no-store" not in anonymous.headers.get("cache-control", "")


async def test_unexpected_errors_are_masked_and_logged_with_their_id(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_: object) -> None:
        raise RuntimeError(LEAK)

    monkeypatch.setattr(schema.query, "site_as_of", broken)
    with caplog.at_level(logging.ERROR, logger="hub.errors"):
        body = await graphql(client, '{ site(id: "U2l0ZTox", asOf: "2024-01-01") { id } }')
    (error,) = body["errors"]
    error_id = error["extensions"]["errorId"]
    assert error["extensions"] == {"code": "INTERNAL", "errorId": error_id}
    assert error["message"] == f"Internal error; quote {error_id} to the hub's operators."
    assert body["data"] == {"site": None}
    for leaked in ("hub_site", "SELECT", "/srv", ".py", "RuntimeError"):
        assert leaked not in json.dumps(body)
    (record,) = [r for r in caplog.records if r.name == "hub.errors"]
    assert error_id in record.getMessage()
    assert record.exc_info is not None and LEAK in str(record.exc_info[1])


async def test_errors_raised_on_purpose_keep_their_message_and_code(
    client: httpx.AsyncClient,
) -> None:
    not_found = await graphql(client, '{ node(id: "bm9wZQ==") { id } }')
    assert error_codes(not_found) == ["BAD_USER_INPUT"]
    too_large = await graphql(client, "{ sites(first: 501) { totalCount } }")
    assert error_codes(too_large) == ["BAD_USER_INPUT"]
    assert "between 0 and 500" in too_large["errors"][0]["message"]


async def test_bodies_over_the_limit_are_refused_before_parsing(
    settings: Settings, admin_token: str
) -> None:
    small = replace(settings, max_body_bytes=2048)
    async with _client(create_app(small, manage_database=False), admin_token) as http:
        padding = "x" * 4096
        declared = await http.post(
            "/graphql", json={"query": "{ me { role } }", "extensions": {"pad": padding}}
        )
        assert declared.status_code == 413
        assert error_codes(declared.json()) == ["PAYLOAD_TOO_LARGE"]

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: read until too much
            yield b'{"query": "{ me { role } }", "extensions": {"pad": "'
            for _ in range(8):
                yield b"x" * 512
            yield b'"}}'

        streamed = await http.post(
            "/graphql", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413
        fits = await http.post("/graphql", json={"query": "{ me { role } }"})
        assert fits.json() == {"data": {"me": {"role": "NATIONAL_ADMIN"}}}
        liar = await http.post(
            "/graphql",
            content=b"{}",
            headers={"content-length": "two", "content-type": "application/json"},
        )
        assert liar.status_code == 400


@pytest.mark.parametrize("depth", [50, 100_000])
async def test_deeply_nested_json_is_a_bad_request(client: httpx.AsyncClient, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    body = '{"query": "query ($v: [String]) { me { role } }", "variables": {"v": ' + nested + "}}"
    response = await client.post(
        "/graphql", content=body.encode(), headers={"content-type": "application/json"}
    )
    if depth < 1000:  # parsed, then refused as a value of the wrong shape
        assert response.status_code == 200
        assert error_codes(response.json()) == ["BAD_USER_INPUT"]
    else:
        assert response.status_code == 400
        assert response.json()["errors"][0]["message"] == "The JSON body is nested too deeply."


async def test_batched_operations_are_off(client: httpx.AsyncClient) -> None:
    batch = [{"query": "{ me { role } }"}, {"query": "{ me { role } }"}]
    response = await client.post("/graphql", json=batch)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Batching is not enabled"


async def test_malformed_json_is_a_bad_request(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", content=b'{"query": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_REQUEST"]


@pytest.mark.parametrize("term", ["%", "_", "100%", "a_b"])
async def test_wildcards_in_search_match_themselves(client: httpx.AsyncClient, term: str) -> None:
    # No demo site has % or _ in its name, address or commune: a wildcard would match them all.
    body = await graphql(
        client, "query ($s: String) { sites(filter: {search: $s}) { totalCount } }", {"s": term}
    )
    assert body == {"data": {"sites": {"totalCount": 0}}}


async def test_nul_bytes_are_a_clean_error(client: httpx.AsyncClient) -> None:
    body = await graphql(
        client, "query ($s: String) { sites(filter: {search: $s}) { totalCount } }", {"s": "a\x00b"}
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    comment = await graphql(
        client,
        "query ($n: String!) { territory(level: COMMUNE, code: $n) { name } }",
        {"n": "31\x00555"},
    )
    assert error_codes(comment) in ([], ["NOT_FOUND"], ["BAD_USER_INPUT"])


async def test_every_graphql_error_carries_a_code(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ sites { "})
    assert response.status_code == 200
    assert error_codes(response.json()) == ["GRAPHQL_PARSE_FAILED"]
    invalid = await graphql(client, "{ sites { nodes { nope } } }")
    assert error_codes(invalid) == ["GRAPHQL_VALIDATION_FAILED"]
    variable = await graphql(
        client, "query ($n: Int) { sites(first: $n) { totalCount } }", {"n": "x"}
    )
    assert error_codes(variable) == ["BAD_USER_INPUT"]


async def test_forged_tokens_are_refused_in_production(
    prod: httpx.AsyncClient, operator_token: str
) -> None:
    header, payload, signature = operator_token.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    unsigned = base64.urlsafe_b64encode(b'{"alg":"none","typ":"at+jwt"}').rstrip(b"=").decode()
    for forged in (f"{header}.{payload}.{flipped}", f"{unsigned}.{payload}.", "not-a-jwt"):
        refused = await prod.post(
            "/graphql", json={"query": "{ me { role } }"}, headers=bearer(forged)
        )
        assert refused.status_code == 401, forged
        assert error_codes(refused.json()) == ["UNAUTHENTICATED"]
        assert refused.headers["www-authenticate"].startswith("Bearer")
    accepted = await prod.post(
        "/graphql", json={"query": "{ me { role } }"}, headers=bearer(operator_token)
    )
    assert accepted.json() == {"data": {"me": {"role": "OPERATOR"}}}
