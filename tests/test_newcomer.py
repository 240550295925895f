"""A newcomer's path: `hub` acts on the database the demo serves (var/hub.env) and never
creates one silently; a front-end served on this machine may call a demo hub (CORS), and every
preflight gets an answer; GraphiQL runs from the hub's own files, with no CDN."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from hub.models import User
from hub.server.app import STATIC, create_app
from hub.settings import Environment, Settings
from tests.processes import start_hub, stop_process

CHROMIUM = shutil.which("chromium")
PREFLIGHT = {"access-control-request-method": "POST"}


async def hub(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`hub …` run from ``folder``, with no HUB_* variable but ``env``."""
    clean = {name: value for name, value in os.environ.items() if not name.startswith("HUB_")}
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "hub.server.cli", *args],
        env=clean | env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write_settings_file(folder: Path, text: str) -> None:
    (folder / "var").mkdir(exist_ok=True)
    (folder / "var" / "hub.env").write_text(text, encoding="utf-8")


async def test_hub_acts_on_the_database_of_the_settings_file(fresh_db: str, tmp_path: Path) -> None:
    write_settings_file(
        tmp_path, f"# as make demo writes it\nHUB_ENV=test\nHUB_DATABASE_URL={fresh_db}\n"
    )
    done = await hub(tmp_path, "bootstrap-admin", "ada@dihal.example", "--first-name", "Ada",
                     "--last-name", "Martin")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"Using {fresh_db} (from var/hub.env)" in done.stderr
    assert await User.filter(email="ada@dihal.example").exists()
    assert not (tmp_path / "var" / "hub.sqlite3").exists()


async def test_the_environment_wins_over_the_settings_file(fresh_db: str, tmp_path: Path) -> None:
    write_settings_file(tmp_path, "HUB_DATABASE_URL=sqlite://var/elsewhere.sqlite3\n")
    done = await hub(tmp_path, "app", "list", HUB_ENV="test", HUB_DATABASE_URL=fresh_db)
    assert done.returncode == 0, done.stderr
    assert f"Using {fresh_db} (from HUB_DATABASE_URL)" in done.stderr
    assert not (tmp_path / "var" / "elsewhere.sqlite3").exists()


async def test_no_command_but_a_setting_up_one_creates_a_database(tmp_path: Path) -> None:
    admin = ["bootstrap-admin", "a@b.example", "--first-name", "A", "--last-name", "B"]
    for command in (["app", "list"], ["token", "operator@demo.bidonvilles.example"], admin):
        refused = await hub(tmp_path, *command)
        assert refused.returncode == 2, refused.stderr
        assert "Using sqlite://var/hub.sqlite3 (from the default" in refused.stderr
        assert "var/hub.sqlite3 does not exist" in refused.stderr
        assert refused.stdout == ""
        assert not (tmp_path / "var" / "hub.sqlite3").exists()
    created = await hub(tmp_path, "migrate")
    assert created.returncode == 0, created.stderr
    assert (tmp_path / "var" / "hub.sqlite3").exists()


async def test_a_malformed_settings_file_is_refused(tmp_path: Path) -> None:
    write_settings_file(tmp_path, "DATABASE_URL=sqlite://x.sqlite3\n")
    refused = await hub(tmp_path, "app", "list")
    assert refused.returncode == 2
    assert "var/hub.env line 1: expected HUB_NAME=value" in refused.stderr


@pytest.fixture
async def demo(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(replace(settings, environment=Environment.DEMO), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield http


@pytest.fixture
async def production(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    production = replace(settings, environment=Environment.PRODUCTION)
    transport = httpx.ASGITransport(app=create_app(production, manage_database=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield http


@pytest.mark.parametrize("origin", ["http://localhost:5173", "http://127.0.0.1:3000"])
async def test_a_demo_hub_answers_local_front_ends(demo: httpx.AsyncClient, origin: str) -> None:
    headers = {"origin": origin, **PREFLIGHT, "access-control-request-headers": "authorization"}
    preflight = await demo.options("/graphql", headers=headers)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    answer = await demo.post(
        "/graphql", json={"query": "{ me { role } }"}, headers={"origin": origin}
    )
    assert answer.headers["access-control-allow-origin"] == origin


def assert_cors_refusal(response: httpx.Response, says: str) -> None:
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert "access-control-allow-origin" not in response.headers
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "CORS_REFUSED"}
    assert says in error["message"]


@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost.evil.example"])
async def test_a_demo_hub_refuses_other_origins_in_json(
    demo: httpx.AsyncClient, origin: str
) -> None:
    refused = await demo.options("/graphql", headers={"origin": origin, **PREFLIGHT})
    assert_cors_refusal(refused, f"The origin {origin} may not call this hub")


async def test_production_answers_every_preflight(production: httpx.AsyncClient) -> None:
    local = {"origin": "http://localhost:5173", **PREFLIGHT}
    assert_cors_refusal(await production.options("/graphql", headers=local), "HUB_CORS_ORIGINS")


async def test_a_listed_origin_is_told_which_headers_it_may_send(settings: Settings) -> None:
    origins = ("https://carte.example",)
    listed = replace(settings, environment=Environment.PRODUCTION, cors_origins=origins)
    transport = httpx.ASGITransport(app=create_app(listed, manage_database=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        headers = {"origin": "https://carte.example", **PREFLIGHT,
                   "access-control-request-headers": "x-forbidden"}  # fmt: skip
        refused = await http.options("/graphql", headers=headers)
    assert_cors_refusal(refused, "the headers authorization, content-type, x-request-id only")


def local_references(page: str) -> list[str]:
    """Every script and stylesheet the page loads; none may be on another host."""
    references = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert references
    for reference in references:
        assert reference.startswith("/graphiql/"), f"{reference} is not served by the hub"
    assert "://" not in page
    return references


async def test_graphiql_loads_its_files_from_the_hub(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    for reference in local_references(page.text):
        asset = await client.get(reference)
        assert asset.status_code == 200, reference
        assert asset.headers["content-type"].startswith(("text/javascript", "text/css"))


async def test_production_serves_no_graphiql_files(production: httpx.AsyncClient) -> None:
    assert (await production.get("/graphiql/graphiql.min.js")).status_code == 404


def test_the_vendored_files_are_the_pinned_packages_own() -> None:
    """hub/server/static/graphiql/SOURCES names each file's package and its sha384 (the
    Subresource Integrity of the package's file as published)."""
    folder = STATIC / "graphiql"
    lines = [line.split() for line in (folder / "SOURCES").read_text().splitlines()]
    listed = {name: digest for name, _, _, digest in (line for line in lines if line[0] != "#")}
    assert set(listed) == {path.name for path in folder.iterdir()} - {"SOURCES", "LICENSE"}
    for name, digest in listed.items():
        actual = base64.b64encode(hashlib.sha384((folder / name).read_bytes()).digest())
        assert digest == "sha384-" + actual.decode(), name


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (apt-get install chromium)")
def test_graphiql_renders_in_a_real_browser_without_network(demo_db: str, tmp_path: Path) -> None:
    env = {"HUB_ENV": "demo", "HUB_DATABASE_URL": demo_db,
           "HUB_DEV_ISSUER_KEY": str(tmp_path / "dev.json")}  # fmt: skip
    process, base = start_hub(env)
    try:
        dom = subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--no-first-run",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=15000",
             # Every host but the hub's is unreachable: a CDN would leave "Loading…".
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
             "--dump-dom", f"{base}/graphql"],
            capture_output=True, text=True, timeout=120,
        ).stdout  # fmt: skip
    finally:
        stop_process(process)
    assert "graphiql-execute-button" in dom, dom[:2000]
    assert 'aria-label="Headers"' in dom
    assert "Loading…" not in dom
