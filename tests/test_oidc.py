"""The hub against a real OpenID Connect provider (npm `oidc-provider`, see tests/oidc/).

Tokens are obtained the way real clients get them: client credentials for partner
applications, authorization code with PKCE through the provider's login pages for people.
Each test builds its own hub app, hence its own key cache, over a small database of its own.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from hub.models import InterventionArea, Organization, PartnerApplication, User, UserIdentity
from hub.models.enums import (
    LocationLevel,
    OrganizationCategory,
    OrganizationType,
    Role,
    UserStatus,
)
from hub.server.app import create_app
from hub.server.auth.keys import RemoteKeys
from hub.settings import Settings, TrustedIssuer
from tests.oidc_provider import OidcProvider, generate_jwk, generate_jwks, unverified_jwt
from tests.support import Databases, bearer, isolated_database, settings_for

HUB = "https://hub.test"
OTHER_API = "https://other-api.test"
WEB_CLIENT = "hub-web"
SECRET = "s3cret-for-tests"

# Provider accounts (sub → e-mail); the hub's users are created by `identity_db`.
ACCOUNTS = {
    "agent-1": "agent@prefecture.example",
    "agent-pending": "pending@prefecture.example",
    "agent-gone": "gone@prefecture.example",
    "agent-unknown": "stranger@elsewhere.example",
}


def _confidential(client_id: str, scope: str, **extra: Any) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "client_secret": SECRET,
        "grant_types": ["client_credentials"],
        "response_types": [],
        "redirect_uris": [],
        "scope": scope,
        **extra,
    }


# A front-end: people sign in through it with the authorization code and PKCE.
BROWSER_CLIENT = {
    "client_id": WEB_CLIENT,
    "token_endpoint_auth_method": "none",
    "grant_types": ["authorization_code"],
    "response_types": ["code"],
    "redirect_uris": ["http://127.0.0.1:9/callback"],
    "scope": "openid email hub:read hub:write",
}
CLIENTS = [
    BROWSER_CLIENT,
    _confidential("association-app", "hub:read hub:write other:read"),
    _confidential("readonly-app", "hub:read"),
    _confidential("short-lived-app", "hub:read", access_token_ttl=1),
    _confidential("stranger-app", "hub:read"),
]


def _provider(workdir: Path, key_id: str) -> OidcProvider:
    return OidcProvider(
        workdir,
        jwks=generate_jwks(key_id, "RS256"),
        resources={
            HUB: {"scope": "hub:read hub:write", "accessTokenTTL": 600},
            OTHER_API: {"scope": "other:read", "accessTokenTTL": 600},
        },
        default_resource=HUB,
        accounts=[
            {"sub": sub, "email": email, "email_verified": True} for sub, email in ACCOUNTS.items()
        ]
        + [{"sub": "agent-unverified", "email": ACCOUNTS["agent-1"], "email_verified": False}],
        clients=CLIENTS,
    )


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    with _provider(tmp_path_factory.mktemp("oidc"), "key-1") as running:
        yield running


@pytest.fixture(scope="module")
def untrusted_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    with _provider(tmp_path_factory.mktemp("oidc-untrusted"), "key-1") as running:
        yield running


@pytest.fixture(scope="module")
async def identity_db(databases: Databases) -> AsyncIterator[str]:
    """Users in each standing, and the registered partner applications."""
    async with isolated_database(databases, "identity") as url:
        prefecture = await Organization.create(
            name="Préfecture de test", category=OrganizationCategory.PUBLIC_SERVICE,
            type=OrganizationType.PREFECTURE, location_level=LocationLevel.DEPARTEMENT,
            location_code="31",
        )  # fmt: skip
        association = await Organization.create(
            name="Association de test", category=OrganizationCategory.ASSOCIATION,
            type=OrganizationType.ASSOCIATION,
        )  # fmt: skip
        for org in (prefecture, association):
            await InterventionArea.create(
                organization=org, level=LocationLevel.DEPARTEMENT, code="31"
            )
        for status, email in [
            (UserStatus.ACTIVE, ACCOUNTS["agent-1"]),
            (UserStatus.PENDING, ACCOUNTS["agent-pending"]),
            (UserStatus.INACTIVE, ACCOUNTS["agent-gone"]),
        ]:
            await User.create(
                organization=prefecture, first_name="Agent", last_name=status.value,
                email=email, role=Role.CORRESPONDENT, status=status,
            )  # fmt: skip
        for client_id, scopes in [
            ("association-app", ["hub:read", "hub:write"]),
            ("readonly-app", ["hub:read"]),
            ("short-lived-app", ["hub:read"]),
        ]:
            await PartnerApplication.create(
                client_id=client_id, name=client_id, organization=association,
                role=Role.OPERATOR, scopes=scopes,
            )  # fmt: skip
        yield url


@pytest.fixture
def hub_settings(identity_db: str, provider: OidcProvider, tmp_path: Path) -> Settings:
    return settings_for(
        identity_db,
        oidc_issuers=(TrustedIssuer(provider.issuer, HUB),),
        token_leeway=1,
        jwks_min_refresh=0,
        dev_issuer_key=tmp_path / "dev.json",
    )


@asynccontextmanager
async def hub_client(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, RemoteKeys]]:
    """A fresh hub (empty key cache) and the key cache of the trusted provider."""
    app = create_app(settings, manage_database=False)
    keys = app.state.authenticator.validator.keys_of(settings.oidc_issuers[0].issuer)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield http, keys


@pytest.fixture
async def hub(hub_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with hub_client(hub_settings) as (http, _):
        yield http


ME = "{ me { role mayWrite scopes user { email } application { clientId } } }"


async def call(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.post("/graphql", json={"query": ME}, headers=bearer(token))


async def me(http: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await call(http, token)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["data"]["me"]
    return result


def refusal(response: httpx.Response, status: int) -> tuple[str, str]:
    """The error code and the WWW-Authenticate challenge of a refused request."""
    assert response.status_code == status, response.text
    error = response.json()["errors"][0]
    return error["extensions"]["code"], response.headers.get("www-authenticate", "")


async def app_token(provider: OidcProvider, client_id: str, scope: str = "hub:read") -> str:
    return await provider.client_credentials(client_id, SECRET, scope=scope)


async def user_tokens(provider: OidcProvider, login: str) -> dict[str, Any]:
    return await provider.authorization_code(
        WEB_CLIENT, login, scope="openid email hub:read hub:write"
    )


async def test_a_person_signs_in_with_code_and_pkce_and_is_linked_by_verified_email(
    hub: httpx.AsyncClient, provider: OidcProvider
) -> None:
    tokens = await user_tokens(provider, "agent-1")
    assert await me(hub, tokens["access_token"]) == {
        "role": "CORRESPONDENT",
        "mayWrite": True,
        "scopes": None,
        "user": {"email": ACCOUNTS["agent-1"]},
        "application": None,
    }
    identity = await UserIdentity.get(issuer=provider.issuer, subject="agent-1")
    assert (await identity.user).email == ACCOUNTS["agent-1"]
    # The next sign-in finds the user by (issuer, sub), whatever the e-mail says.
    again = await user_tokens(provider, "agent-1")
    assert (await me(hub, again["access_token"]))["user"] == {"email": ACCOUNTS["agent-1"]}
    assert await UserIdentity.filter(issuer=provider.issuer).count() == 1


async def test_an_id_token_is_not_an_access_token(
    hub: httpx.AsyncClient, provider: OidcProvider
) -> None:
    tokens = await user_tokens(provider, "agent-1")
    code, challenge = refusal(await call(hub, tokens["id_token"]), 401)
    assert code == "UNAUTHENTICATED" and "typ header must be at+jwt" in challenge


async def test_a_partner_application_uses_client_credentials(
    hub: httpx.AsyncClient, provider: OidcProvider
) -> None:
    token = await app_token(provider, "association-app", "hub:read hub:write")
    assert await me(hub, token) == {
        "role": "OPERATOR",
        "mayWrite": True,
        "scopes": ["hub:read", "hub:write"],
        "user": None,
        "application": {"clientId": "association-app"},
    }
    read_only = await app_token(provider, "readonly-app")
    caller = await me(hub, read_only)
    assert caller["scopes"] == ["hub:read"] and caller["mayWrite"] is False


async def test_an_expired_token_is_refused(hub: httpx.AsyncClient, provider: OidcProvider) -> None:
    token = await app_token(provider, "short-lived-app")
    _, claims = unverified_jwt(token)
    assert claims["exp"] - claims["iat"] == 1
    # Past its expiry and the one-second leeway of these tests.
    await asyncio.sleep(max(0.0, claims["exp"] + 1.5 - time.time()))
    code, challenge = refusal(await call(hub, token), 401)
    assert code == "UNAUTHENTICATED"
    assert 'error="invalid_token"' in challenge and "expired" in challenge


async def test_a_token_for_another_audience_is_refused(
    hub: httpx.AsyncClient, provider: OidcProvider
) -> None:
    token = await provider.client_credentials(
        "association-app", SECRET, scope="other:read", resource=OTHER_API
    )
    assert unverified_jwt(token)[1]["aud"] == OTHER_API
    _, challenge = refusal(await call(hub, token), 401)
    assert "not meant for this hub" in challenge


async def test_a_token_from_an_untrusted_issuer_is_refused(
    hub: httpx.AsyncClient, untrusted_provider: OidcProvider
) -> None:
    token = await app_token(untrusted_provider, "association-app")
    _, challenge = refusal(await call(hub, token), 401)
    assert "issuer is not trusted" in challenge


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def test_a_tampered_signature_is_refused(
    hub: httpx.AsyncClient, provider: OidcProvider
) -> None:
    head, payload, signature = (await app_token(provider, "association-app")).split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[10] ^= 0x01
    _, challenge = refusal(await call(hub, f"{head}.{payload}.{_b64(bytes(raw))}"), 401)
    assert "signature is invalid" in challenge
    # The same signature over a widened payload.
    _, claims = unverified_jwt(await app_token(provider, "readonly-app"))
    widened = _b64(json.dumps({**claims, "client_id": "association-app"}).encode())
    _, challenge = refusal(await call(hub, f"{head}.{widened}.{signature}"), 401)
    assert "signature is invalid" in challenge


async def test_alg_none_is_refused(hub: httpx.AsyncClient, provider: OidcProvider) -> None:
    header, claims = unverified_jwt(await app_token(provider, "association-app"))
    unsigned = f"{_b64(json.dumps({**header, 'alg': 'none'}).encode())}."
    unsigned += f"{_b64(json.dumps(claims).encode())}."
    _, challenge = refusal(await call(hub, unsigned), 401)
    assert "algorithm is not accepted" in challenge


async def test_an_unknown_key_then_a_rotation_at_the_provider(
    hub_settings: Settings, provider: OidcProvider
) -> None:
    original = provider.jwks
    async with hub_client(hub_settings) as (hub, keys):
        old_token = await app_token(provider, "association-app")
        assert (await me(hub, old_token))["application"] == {"clientId": "association-app"}
        # A token naming a key the provider never published: refused after one refetch.
        header, claims = unverified_jwt(old_token)
        stranger = RSAKey.import_key(generate_jwk("key-2", "RS256"))
        forged = jwt.encode({**header, "kid": "key-2"}, claims, stranger, algorithms=["RS256"])
        fetches = keys.attempts
        _, challenge = refusal(await call(hub, forged), 401)
        assert "unknown key" in challenge and keys.attempts == fetches + 1
        # The provider rotates to a new key and stops publishing the old one.
        provider.restart(jwks=generate_jwks("key-3", "RS256"))
        try:
            new_token = await app_token(provider, "association-app")
            assert unverified_jwt(new_token)[0]["kid"] == "key-3"
            assert (await me(hub, new_token))["application"] == {"clientId": "association-app"}
            _, challenge = refusal(await call(hub, old_token), 401)
            assert "unknown key" in challenge
        finally:
            provider.restart(jwks=original)


async def test_unknown_key_refetches_are_rate_limited(
    hub_settings: Settings, provider: OidcProvider
) -> None:
    limited = replace(hub_settings, jwks_min_refresh=3600)
    async with hub_client(limited) as (hub, keys):
        token = await app_token(provider, "association-app")
        assert (await call(hub, token)).status_code == 200
        assert keys.attempts == 1
        header, claims = unverified_jwt(token)
        stranger = RSAKey.import_key(generate_jwk("flood", "RS256"))
        flood = [
            jwt.encode({**header, "kid": f"forged-{n}"}, claims, stranger, algorithms=["RS256"])
            for n in range(25)
        ]
        responses = await asyncio.gather(*(call(hub, forged) for forged in flood))
        assert {response.status_code for response in responses} == {401}
        assert keys.attempts == 1, "a flood of unknown kids must not reach the provider"
        assert (await call(hub, token)).status_code == 200


async def test_the_hub_keeps_serving_with_cached_keys_while_the_provider_is_down(
    hub_settings: Settings, provider: OidcProvider
) -> None:
    token = await app_token(provider, "association-app")
    # jwks_ttl=0: the cache is always stale, so every request tries to refresh it.
    always_stale = replace(hub_settings, jwks_ttl=0)
    async with (
        hub_client(always_stale) as (warm, warm_keys),
        hub_client(always_stale) as (
            cold,
            _,
        ),
    ):
        assert (await call(warm, token)).status_code == 200
        provider.stop()
        try:
            assert (await me(warm, token))["application"] == {"clientId": "association-app"}
            assert warm_keys.attempts == 2, "the failed refresh was attempted, then ignored"
            # Without keys cached, a token cannot be checked: a server-side outage, not a 401.
            response = await call(cold, token)
            code, _ = refusal(response, 503)
            assert code == "IDENTITY_PROVIDER_UNAVAILABLE" and response.headers["retry-after"]
        finally:
            provider.start()
        # The provider is back: the cold hub recovers without a restart.
        assert (await call(cold, token)).status_code == 200


@pytest.mark.parametrize(
    ("login", "code"),
    [
        ("agent-unknown", "ACCOUNT_UNKNOWN"),
        ("agent-unverified", "ACCOUNT_UNKNOWN"),
        ("agent-pending", "ACCOUNT_PENDING"),
        ("agent-gone", "ACCOUNT_DEACTIVATED"),
    ],
)
async def test_people_without_an_active_account_are_refused(
    hub: httpx.AsyncClient, provider: OidcProvider, login: str, code: str
) -> None:
    tokens = await user_tokens(provider, login)
    assert refusal(await call(hub, tokens["access_token"]), 403)[0] == code
    assert not await UserIdentity.exists(issuer=provider.issuer, subject=login)


async def test_an_unregistered_client_is_refused(
    hub: httpx.AsyncClient, provider: OidcProvider
) -> None:
    token = await app_token(provider, "stranger-app")
    assert refusal(await call(hub, token), 403)[0] == "APPLICATION_NOT_REGISTERED"
