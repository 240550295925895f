"""Identity through the development issuer: personas, partner apps, refusals, `hub token`.

The tests against a real OpenID Connect provider are in test_oidc.py; these use the hub's
built-in development issuer, whose key the test settings keep in a temporary folder.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey

from hub.demo import PARTNER_APPS, PERSONAS
from hub.models import User
from hub.models.enums import UserStatus
from hub.server.app import create_app
from hub.server.auth.dev_issuer import DevIssuer
from hub.settings import (
    DEV_AUDIENCE,
    DEV_ISSUER,
    Environment,
    Settings,
    SettingsError,
)
from tests.support import bearer, graphql

ME = """{ me { role mayWrite scopes options interventionAreas { level code }
  user { email } organization { name } application { clientId } } }"""


async def me(http: httpx.AsyncClient, token: str | None) -> dict[str, Any]:
    body = await graphql(http, ME, token=token)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["me"]
    return result


async def refused(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    response = await http.post("/graphql", json={"query": ME}, headers=headers)
    assert response.status_code in (400, 401, 403, 503), response.text
    body = response.json()
    # GraphQL-shaped: errors with a message and a code, and no data.
    assert set(body) == {"errors"} and body["errors"][0]["message"], body
    assert body["errors"][0]["extensions"]["code"], body
    return response


def code_of(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


def challenge(response: httpx.Response) -> str:
    return response.headers.get("www-authenticate", "")


def forged(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    return ".".join(
        [part(json.dumps(header).encode()), part(json.dumps(claims).encode()), part(signature)]
    )


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=="))
    return decoded


async def test_without_a_token_the_caller_is_anonymous(anonymous: httpx.AsyncClient) -> None:
    assert await me(anonymous, None) == {
        "role": None,
        "mayWrite": False,
        "scopes": None,
        "options": [],
        "interventionAreas": [],
        "user": None,
        "organization": None,
        "application": None,
    }


@pytest.mark.parametrize("persona", PERSONAS, ids=lambda p: p.email.split("@")[0])
async def test_each_persona_is_recognised_with_role_areas_and_options(
    client: httpx.AsyncClient, dev_issuer: DevIssuer, persona: Any
) -> None:
    token, _ = await dev_issuer.token_for(persona.email)
    caller = await me(client, token)
    assert caller["role"] == persona.role.name
    assert caller["user"] == {"email": persona.email}
    assert caller["organization"] == {"name": persona.organization}
    assert caller["options"] == [option.name for option in persona.options]
    assert caller["interventionAreas"] == [
        {"level": persona.area_level.name, "code": persona.area_code}
    ]
    assert caller["mayWrite"] is True and caller["scopes"] is None
    assert caller["application"] is None


@pytest.mark.parametrize("app", [a for a in PARTNER_APPS if a.active], ids=lambda a: a.client_id)
async def test_partner_applications_act_with_their_role_and_scopes(
    client: httpx.AsyncClient, dev_issuer: DevIssuer, app: Any
) -> None:
    token, _ = await dev_issuer.token_for(app.client_id)
    caller = await me(client, token)
    assert caller["role"] == app.role.name
    assert caller["application"] == {"clientId": app.client_id}
    assert caller["organization"] == {"name": app.organization}
    assert caller["user"] is None
    assert caller["scopes"] == sorted(app.scopes)
    assert caller["mayWrite"] is ("hub:write" in app.scopes)


async def test_a_token_narrower_than_the_registration_narrows_the_application(
    client: httpx.AsyncClient, dev_issuer: DevIssuer
) -> None:
    token = dev_issuer.mint("demo-association-app", "demo-association-app", "hub:read")
    caller = await me(client, token)
    assert caller["scopes"] == ["hub:read"] and caller["mayWrite"] is False


async def test_a_scope_the_application_is_not_registered_for_is_not_granted(
    client: httpx.AsyncClient, dev_issuer: DevIssuer
) -> None:
    read_only = dev_issuer.mint("demo-commune-app", "demo-commune-app", "hub:read hub:write")
    assert (await me(client, read_only))["scopes"] == ["hub:read"]
    nothing = dev_issuer.mint("demo-commune-app", "demo-commune-app", "openid other:scope")
    response = await refused(client, bearer(nothing))
    assert response.status_code == 403 and code_of(response) == "INSUFFICIENT_SCOPE"
    assert 'error="insufficient_scope"' in challenge(response)


async def test_a_disabled_application_is_refused(
    client: httpx.AsyncClient, dev_issuer: DevIssuer
) -> None:
    token, _ = await dev_issuer.token_for("demo-retired-app")
    response = await refused(client, bearer(token))
    assert response.status_code == 403 and code_of(response) == "APPLICATION_DISABLED"


async def test_an_unregistered_client_is_refused(
    client: httpx.AsyncClient, dev_issuer: DevIssuer
) -> None:
    token = dev_issuer.mint("stranger-app", "stranger-app", "hub:read")
    response = await refused(client, bearer(token))
    assert response.status_code == 403 and code_of(response) == "APPLICATION_NOT_REGISTERED"
    assert "register" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("status", "code"),
    [(UserStatus.PENDING, "ACCOUNT_PENDING"), (UserStatus.INACTIVE, "ACCOUNT_DEACTIVATED")],
)
async def test_pending_and_deactivated_users_are_told_what_to_do(
    client: httpx.AsyncClient, dev_issuer: DevIssuer, status: UserStatus, code: str
) -> None:
    user = await User.filter(status=status).order_by("id").first()
    assert user is not None
    token, _ = await dev_issuer.token_for(user.email)
    response = await refused(client, bearer(token))
    assert response.status_code == 403 and code_of(response) == code
    assert "local administrator" in response.json()["errors"][0]["message"]


async def test_an_unknown_person_is_told_to_request_access(
    client: httpx.AsyncClient, dev_issuer: DevIssuer
) -> None:
    token = dev_issuer.mint(
        "someone", "hub-cli", "openid", email="nobody@nowhere.example", email_verified=True
    )
    response = await refused(client, bearer(token))
    assert response.status_code == 403 and code_of(response) == "ACCOUNT_UNKNOWN"
    assert "Request access" in response.json()["errors"][0]["message"]


async def test_an_unverified_email_never_claims_an_account(
    client: httpx.AsyncClient, dev_issuer: DevIssuer
) -> None:
    token = dev_issuer.mint(
        "impostor", "hub-cli", "openid", email=PERSONAS[0].email, email_verified=False
    )
    response = await refused(client, bearer(token))
    assert code_of(response) == "ACCOUNT_UNKNOWN"


async def test_an_email_already_linked_at_the_issuer_is_not_linked_again(
    client: httpx.AsyncClient, dev_issuer: DevIssuer
) -> None:
    # The persona is linked to another subject at this issuer: a second identity claiming
    # the same address is refused rather than given the account.
    token = dev_issuer.mint(
        "another-subject", "hub-cli", "openid", email=PERSONAS[0].email, email_verified=True
    )
    response = await refused(client, bearer(token))
    assert response.status_code == 403 and code_of(response) == "IDENTITY_CONFLICT"


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        ("Basic dXNlcjpwYXNz", "Bearer <access token>"),
        ("Bearer", "Bearer <access token>"),
        ("Bearer    ", "Bearer <access token>"),
    ],
)
async def test_a_malformed_authorization_header_is_a_bad_request(
    client: httpx.AsyncClient, authorization: str, reason: str
) -> None:
    response = await refused(client, {"Authorization": authorization})
    assert response.status_code == 400 and code_of(response) == "BAD_REQUEST"
    assert 'error="invalid_request"' in challenge(response) and reason in challenge(response)


async def test_two_authorization_headers_are_a_bad_request(
    client: httpx.AsyncClient, dev_issuer: DevIssuer
) -> None:
    token, _ = await dev_issuer.token_for(PERSONAS[0].email)
    response = await client.post(
        "/graphql",
        json={"query": ME},
        headers=[("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}")],
    )
    assert response.status_code == 400


def _now() -> int:
    return int(time.time())


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"exp": -120}, "the token has expired"),
        ({"nbf": 600}, "the token is not valid yet"),
        ({"iat": 600}, "the token claims to be issued in the future"),
        ({"aud": "https://another-api.example"}, "not meant for this hub"),
        ({"exp": None}, "lacks the exp claim"),
        ({"aud": None}, "lacks the aud claim"),
    ],
)
async def test_claims_are_checked(
    client: httpx.AsyncClient, dev_issuer: DevIssuer, change: dict[str, Any], reason: str
) -> None:
    claims: dict[str, Any] = {}
    for name, value in change.items():
        # Times are given relative to now; other values replace the claim.
        claims[name] = _now() + value if name in ("exp", "nbf", "iat") and value else value
    token = dev_issuer.mint("demo-commune-app", "demo-commune-app", "hub:read", **claims)
    response = await refused(client, bearer(token))
    assert response.status_code == 401 and code_of(response) == "UNAUTHENTICATED"
    assert 'Bearer realm="hub", error="invalid_token"' in challenge(response)
    assert reason in challenge(response) and reason in response.json()["errors"][0]["message"]


async def test_a_small_clock_skew_is_tolerated(
    client: httpx.AsyncClient, dev_issuer: DevIssuer, settings: Settings
) -> None:
    skew = settings.token_leeway // 2
    token = dev_issuer.mint(
        "demo-commune-app", "demo-commune-app", "hub:read", iat=_now() + skew, nbf=_now() + skew
    )
    assert (await me(client, token))["application"] == {"clientId": "demo-commune-app"}


async def test_forged_tokens_are_refused(client: httpx.AsyncClient, dev_issuer: DevIssuer) -> None:
    genuine = dev_issuer.mint("demo-commune-app", "demo-commune-app", "hub:read")
    header = {"alg": "ES256", "typ": "at+jwt", "kid": dev_issuer.public_key.kid}
    claims = claims_of(genuine)
    head, payload, signature = genuine.split(".")
    # The same signature over other claims.
    widened = forged(header, {**claims, "scope": "hub:read hub:write"}).rsplit(".", 1)[0]
    # Another key claiming the issuer's key id.
    impostor_key = ECKey.generate_key("P-256")
    impostor = jwt.encode(header, claims, impostor_key, algorithms=["ES256"])
    # HS256 keyed with the issuer's public key (the classic algorithm confusion).
    public_secret = OctKey.import_key(json.dumps(dev_issuer.public_key.as_dict()).encode())
    confused = jwt.encode({**header, "alg": "HS256"}, claims, public_secret, algorithms=["HS256"])
    cases = {
        "tampered payload": (f"{widened}.{signature}", "signature is invalid"),
        "tampered signature": (f"{head}.{payload}.{signature[::-1]}", "signature is invalid"),
        "alg none": (forged({**header, "alg": "none"}, claims), "algorithm is not accepted"),
        "HS256 with the public key": (confused, "algorithm is not accepted"),
        "other key, same kid": (impostor, "signature is invalid"),
        "unknown kid": (forged({**header, "kid": "rotated-away"}, claims, b"x"), "unknown key"),
        "ID token": (forged({"alg": "ES256", "kid": header["kid"]}, claims), "typ"),
        "untrusted issuer": (forged(header, {**claims, "iss": "https://evil.example"}), "issuer"),
        "not a JWT": ("not-a-jwt", "not a signed JWT"),
        "payload not an object": (forged(header, [1, 2]), "not a JSON object"),  # type: ignore[arg-type]
        "too long": ("a" * 20_000, "too long"),
    }
    for name, (token, reason) in cases.items():
        response = await refused(client, bearer(token))
        assert response.status_code == 401, name
        assert reason in challenge(response), (name, challenge(response))


async def test_tokens_are_never_logged(
    client: httpx.AsyncClient, dev_issuer: DevIssuer, caplog: pytest.LogCaptureFixture
) -> None:
    good, _ = await dev_issuer.token_for("demo-association-app")
    expired = dev_issuer.mint("demo-commune-app", "demo-commune-app", "hub:read", exp=_now() - 3600)
    disabled, _ = await dev_issuer.token_for("demo-retired-app")
    with caplog.at_level(logging.DEBUG):
        for token in (good, expired, disabled, good[:-4]):
            await client.post("/graphql", json={"query": ME}, headers=bearer(token))
    assert caplog.records, "the refusals are logged"
    for token in (good, expired, disabled):
        signature = token.rsplit(".", 1)[1]
        assert signature not in caplog.text and token.split(".")[1] not in caplog.text


async def test_the_development_issuer_publishes_its_discovery_and_keys(
    client: httpx.AsyncClient, dev_issuer: DevIssuer
) -> None:
    discovery = (await client.get("/dev-issuer/.well-known/openid-configuration")).json()
    assert discovery["issuer"] == DEV_ISSUER
    assert discovery["jwks_uri"] == "http://hub.test/dev-issuer/jwks.json"
    keys = (await client.get("/dev-issuer/jwks.json")).json()["keys"]
    assert [key["kid"] for key in keys] == [dev_issuer.public_key.kid]
    assert all("d" not in key for key in keys), "never the private part"


async def test_production_never_trusts_nor_runs_the_development_issuer(
    settings: Settings, dev_issuer: DevIssuer
) -> None:
    production = Settings(
        environment=Environment.PRODUCTION,
        database_url=settings.database_url,
        dev_issuer_key=settings.dev_issuer_key,
    )
    app = create_app(production, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        assert (await http.get("/dev-issuer/jwks.json")).status_code == 404
        token, _ = await dev_issuer.token_for(PERSONAS[0].email)
        response = await refused(http, bearer(token))
        assert response.status_code == 401 and "issuer is not trusted" in challenge(response)
    trusting_dev = json.dumps([{"issuer": DEV_ISSUER, "audience": DEV_AUDIENCE}])
    with pytest.raises(SettingsError, match="never trusted in production"):
        Settings.from_environ({"HUB_ENV": "production", "HUB_OIDC_ISSUERS": trusting_dev})


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("https://idp.example", "must be a JSON list"),
        ('{"issuer": "https://idp.example"}', "JSON list"),
        ('[{"issuer": "https://idp.example"}]', 'needs "issuer" and "audience"'),
        ('[{"issuer": "http://idp.example", "audience": "hub"}]', "https:// URL"),
        ('[{"issuer": "https://a.example", "audience": "hub", "extra": 1}]', "only"),
        ('[{"issuer": "https://a.example", "audience": "hub", "algorithms": ["HS256"]}]', "among"),
        ('[{"issuer": "https://a.example", "audience": "h"}, '
         '{"issuer": "https://a.example", "audience": "h"}]', "listed twice"),
    ],
)  # fmt: skip
def test_trusted_issuers_are_validated(value: str, problem: str) -> None:
    with pytest.raises(SettingsError, match=problem):
        Settings.from_environ({"HUB_OIDC_ISSUERS": value})


def test_several_issuers_can_be_trusted_at_once() -> None:
    value = json.dumps(
        [
            {"issuer": "https://agents.example/realms/etat", "audience": "hub"},
            {"issuer": "https://partners.example", "audience": "https://hub.example",
             "algorithms": ["ES256"]},
        ]
    )  # fmt: skip
    issuers = Settings.from_environ({"HUB_OIDC_ISSUERS": value}).oidc_issuers
    assert [(i.issuer, i.audience) for i in issuers] == [
        ("https://agents.example/realms/etat", "hub"),
        ("https://partners.example", "https://hub.example"),
    ]
    assert issuers[0].discovery_url == (
        "https://agents.example/realms/etat/.well-known/openid-configuration"
    )
    assert issuers[1].algorithms == ("ES256",)


def _hub_token(settings: Settings, who: str, environment: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HUB_ENV": environment,
        "HUB_DATABASE_URL": settings.database_url,
        "HUB_DEV_ISSUER_KEY": str(settings.dev_issuer_key),
    }
    return subprocess.run(
        [sys.executable, "-m", "hub.server.cli", "token", who],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_hub_token_prints_a_token_the_hub_accepts(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    email = "institutional_partner@demo.bidonvilles.example"
    done = await asyncio.to_thread(_hub_token, settings, email, "demo")
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert "\n" not in token and "Authorization: Bearer" in done.stderr
    assert (await me(client, token))["user"] == {"email": email}
    app = await asyncio.to_thread(_hub_token, settings, "demo-ars-app", "demo")
    assert (await me(client, app.stdout.strip()))["application"] == {"clientId": "demo-ars-app"}


async def test_hub_token_refuses_outside_demo_mode_and_unknown_callers(
    settings: Settings,
) -> None:
    production = await asyncio.to_thread(_hub_token, settings, PERSONAS[0].email, "production")
    assert production.returncode == 2 and production.stdout == ""
    assert "only when demo mode is on" in production.stderr
    unknown = await asyncio.to_thread(_hub_token, settings, "nobody@nowhere.example", "demo")
    assert unknown.returncode == 1 and "No user has the e-mail address" in unknown.stderr


async def test_a_caller_is_reused_for_a_few_seconds_then_rebuilt(
    settings: Settings, dev_issuer: DevIssuer
) -> None:
    from dataclasses import replace

    app = create_app(replace(settings, principal_cache_seconds=60), manage_database=False)
    cache = app.state.authenticator.cache
    user = (
        await User.filter(status=UserStatus.ACTIVE, email__endswith=".example")
        .exclude(email__endswith="@demo.bidonvilles.example")
        .order_by("id")
        .first()
    )
    assert user is not None
    token, _ = await dev_issuer.token_for(user.email)
    short = dev_issuer.mint("demo-commune-app", "demo-commune-app", "hub:read", exp=_now() + 5)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        assert (await me(http, token))["user"] == {"email": user.email}
        assert (await me(http, short))["application"] == {"clientId": "demo-commune-app"}
        await User.filter(id=user.id).update(status=UserStatus.INACTIVE)
        try:
            # Within the delay the deactivation is not seen yet...
            assert (await me(http, token))["user"] == {"email": user.email}
            # ...after it, the caller is built again, and refused.
            cache.clock = lambda: time.time() + 61
            response = await refused(http, bearer(token))
            assert response.status_code == 403 and code_of(response) == "ACCOUNT_DEACTIVATED"
            # An entry never outlives its token.
            cache.clock = lambda: time.time() + 6
            assert cache.get(short) is None
        finally:
            await User.filter(id=user.id).update(status=UserStatus.ACTIVE)
