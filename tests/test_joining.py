"""Joining the hub, end to end: a person unknown to the hub signs in at a real OpenID Connect
provider (tests/oidc), asks for access with that token, the local administrator of the
territory is told by e-mail, signs in at the same provider, approves the request from the
queue, the person is told by e-mail and is active from their next sign-in. The e-mails are
read from a real SMTP server (tests/mail.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from hub.demo.reference import PERSONA_DOMAIN
from hub.models import AccessRequest, User, UserIdentity
from hub.models.enums import AccessRequestStatus, UserStatus
from hub.server.app import create_app
from hub.server.notify.mailer import Mailer
from hub.server.observability.metrics import Metrics
from hub.settings import Settings, TrustedIssuer
from schema.build import build_schema
from tests.mail import SmtpServer, body, send_due
from tests.oidc_provider import OidcProvider, generate_jwks
from tests.support import bearer
from tests.test_access_requests import APPROVE, QUEUE, REQUEST
from tests.test_oidc import BROWSER_CLIENT, HUB, WEB_CLIENT

NEWCOMER = "ines.garcia@mediation-garonne.example"
LOCAL_ADMIN = f"local_admin@{PERSONA_DOMAIN}"
ME = "{ me { role user { email status organization { name } } } }"


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    """The people's identity provider: the newcomer and the Haute-Garonne's local
    administrator (a demo account, linked by its verified address at its first sign-in)."""
    with OidcProvider(
        tmp_path_factory.mktemp("oidc-joining"),
        jwks=generate_jwks("key-1", "RS256"),
        resources={HUB: {"scope": "hub:read hub:write", "accessTokenTTL": 600}},
        default_resource=HUB,
        accounts=[
            {"sub": "ines", "email": NEWCOMER, "email_verified": True},
            {"sub": "admin-31", "email": LOCAL_ADMIN, "email_verified": True},
        ],
        clients=[BROWSER_CLIENT],
    ) as running:
        yield running


@pytest.fixture
def settings(own_database: Settings, provider: OidcProvider, smtp: SmtpServer) -> Settings:
    return replace(
        own_database,
        oidc_issuers=(*own_database.oidc_issuers, TrustedIssuer(provider.issuer, HUB)),
        smtp_url=smtp.url, public_url="https://hub.example",
        secret_key="a test key that signs the unsubscribe links",
        out_of_date_reminder_days=0, inactivity_days=0,
    )  # fmt: skip


@pytest.fixture
async def http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(settings, manage_database=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        yield client


async def sign_in(provider: OidcProvider, login: str) -> str:
    """A fresh access token, as a browser gets it through the provider's login pages."""
    tokens = await provider.authorization_code(
        WEB_CLIENT, login, scope="openid email hub:read hub:write"
    )
    token: str = tokens["access_token"]
    return token


async def send_mail(settings: Settings) -> None:
    """What `hub notify` does when woken: every e-mail due now is sent."""
    await send_due(Mailer(settings, build_schema(settings.limits), Metrics()))


async def ask(http: httpx.AsyncClient, token: str, query: str, **variables: Any) -> httpx.Response:
    return await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=bearer(token)
    )


async def test_an_unknown_person_asks_is_approved_by_the_local_admin_and_is_in(
    http: httpx.AsyncClient, provider: OidcProvider, smtp: SmtpServer, settings: Settings
) -> None:
    # Signed in at the provider, unknown to the hub: nothing but asking for access.
    newcomer = await sign_in(provider, "ines")
    refused = await ask(http, newcomer, ME)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "ACCOUNT_UNKNOWN"

    asked = await ask(http, newcomer, REQUEST, input={
        "firstName": "Inès", "lastName": "Garcia", "position": "Médiatrice",
        "organizationName": "Médiation Garonne", "organizationType": "ASSOCIATION",
        "location": {"level": "COMMUNE", "code": "31555"},
        "reason": "Nous intervenons chaque semaine sur les terrains de Toulouse.",
    })  # fmt: skip
    assert asked.status_code == 200, asked.text
    payload = asked.json()["data"]["requestAccess"]
    assert payload["errors"] == [], payload
    request = await AccessRequest.get(email=NEWCOMER)  # the token's verified address
    assert (request.issuer, request.subject) == (provider.issuer, "ines")

    # The local administrator of the Haute-Garonne is told.
    await send_mail(settings)
    [told] = smtp.inbox.to(LOCAL_ADMIN)
    assert str(told["Subject"]) == "Demande d'accès : Inès Garcia, Médiation Garonne"
    text = body(told)
    for shown in (NEWCOMER, "Toulouse", "chaque semaine sur les terrains de Toulouse"):
        assert shown in text, shown
    assert not smtp.inbox.to(NEWCOMER)

    # They sign in at the same provider, find the request in their queue and approve it.
    admin = await sign_in(provider, "admin-31")
    queue = (await ask(http, admin, QUEUE, filter={"statuses": ["PENDING"]})).json()
    assert "errors" not in queue, queue
    [waiting] = [
        node for node in queue["data"]["accessRequests"]["nodes"] if node["email"] == NEWCOMER
    ]
    approved = (
        await ask(http, admin, APPROVE, id=waiting["id"], input={"role": "INTERVENER"})
    ).json()["data"]["approveAccessRequest"]
    assert approved["errors"] == [], approved
    assert approved["accessRequest"]["user"]["status"] == "PENDING"

    # The person is told, and is in from their next sign-in.
    smtp.inbox.clear()
    await send_mail(settings)
    [welcome] = smtp.inbox.to(NEWCOMER)
    assert str(welcome["Subject"]) == "Votre accès à la plateforme bidonvilles est accepté"
    assert "Intervenant" in body(welcome) and "Médiation Garonne" in body(welcome)
    assert "https://hub.example" in body(welcome, "html")

    again = await sign_in(provider, "ines")
    me = (await ask(http, again, ME)).json()
    assert me["data"]["me"] == {
        "role": "INTERVENER",
        "user": {
            "email": NEWCOMER,
            "status": "ACTIVE",
            "organization": {"name": "Médiation Garonne"},
        },
    }
    user = await User.get(email=NEWCOMER)
    assert user.status is UserStatus.ACTIVE
    assert await UserIdentity.exists(user_id=user.id, issuer=provider.issuer, subject="ines")
    assert (await AccessRequest.get(id=request.id)).status is AccessRequestStatus.APPROVED
    # Nothing else was sent: each step's e-mail once.
    assert [m["X-Envelope-To"] for m in smtp.inbox.messages] == [NEWCOMER]
