"""`hub bootstrap-admin` and `hub app …`: the operator's commands, as real processes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from hub.models import Organization
from hub.models.enums import OrganizationCategory, OrganizationType
from hub.server.app import create_app
from hub.server.auth.dev_issuer import DevIssuer
from hub.settings import Settings
from tests.support import bearer, settings_for

ME = "{ me { role user { email } organization { name } application { clientId } scopes } }"


@pytest.fixture
def hub_settings(fresh_db: str, tmp_path: Path) -> Settings:
    return settings_for(fresh_db, dev_issuer_key=tmp_path / "dev.json")


@pytest.fixture
async def http(hub_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(hub_settings, manage_database=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        yield client


async def hub(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUB_ENV": "test", "HUB_DATABASE_URL": settings.database_url}
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "hub.server.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_the_first_administrator_signs_in_and_is_linked(
    hub_settings: Settings, http: httpx.AsyncClient
) -> None:
    done = await hub(
        hub_settings, "bootstrap-admin", "Chef@Dihal.example", "--first-name", "Ada",
        "--last-name", "Admin",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    again = await hub(
        hub_settings, "bootstrap-admin", "chef@dihal.example", "--first-name", "A",
        "--last-name", "B",
    )  # fmt: skip
    assert again.returncode == 1 and "already exists" in again.stderr
    # Signing in with a token that carries the verified address (any case) links the account.
    token = DevIssuer.load(hub_settings).mint(
        "admin-sub", "web", "openid", email="chef@dihal.example", email_verified=True
    )
    response = await http.post("/graphql", json={"query": ME}, headers=bearer(token))
    caller = response.json()["data"]["me"]
    assert caller["role"] == "NATIONAL_ADMIN"
    assert caller["user"] == {"email": "Chef@Dihal.example"}
    assert caller["organization"]["name"].startswith("Délégation interministérielle")


async def test_partner_applications_are_registered_disabled_and_enabled(
    hub_settings: Settings, http: httpx.AsyncClient
) -> None:
    org = await Organization.create(
        name="Association Test", category=OrganizationCategory.ASSOCIATION,
        type=OrganizationType.ASSOCIATION,
    )  # fmt: skip
    register = ["app", "register", "field-app", "--name", "Outil terrain", "--role", "operator"]
    done = await hub(
        hub_settings, *register, "--organization", "Association Test",
        "--scope", "hub:read", "--scope", "hub:write",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    listed = await hub(hub_settings, "app", "list")
    assert f"field-app\toperator\thub:read hub:write\tAssociation Test (#{org.id})" in listed.stdout

    token = DevIssuer.load(hub_settings).mint("field-app", "field-app", "hub:read hub:write")
    response = await http.post("/graphql", json={"query": ME}, headers=bearer(token))
    assert response.json()["data"]["me"]["application"] == {"clientId": "field-app"}

    assert (await hub(hub_settings, "app", "disable", "field-app")).returncode == 0
    response = await http.post("/graphql", json={"query": ME}, headers=bearer(token))
    assert response.status_code == 403
    assert (await hub(hub_settings, "app", "enable", "field-app")).returncode == 0
    response = await http.post("/graphql", json={"query": ME}, headers=bearer(token))
    assert response.status_code == 200

    refusals = {
        "already registered": [*register, "--organization", str(org.id), "--scope", "hub:read"],
        "No organization has the id": [
            *register[:2], "other-app", *register[3:], "--organization", "999999",
            "--scope", "hub:read",
        ],
        "invalid choice: 'local_admin'": [
            "app", "register", "boss-app", "--name", "x", "--role", "local_admin",
            "--organization", str(org.id), "--scope", "hub:read",
        ],
        "invalid choice: 'admin'": [*register, "--organization", str(org.id), "--scope", "admin"],
        "No partner application": ["app", "disable", "nobody-app"],
    }  # fmt: skip
    for message, args in refusals.items():
        refused = await hub(hub_settings, *args)
        assert refused.returncode != 0 and message in refused.stderr, (message, refused.stderr)
