"""The reference map page (/map): served in demo and development only, from the hub's own files
(Leaflet pinned in hub/server/static/map/SOURCES). In a real headless Chromium, with every host
but the hub's unreachable, it draws the open sites each caller may read, as many as the hub's
GraphQL answer has with a location, and asks nothing of any other host."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.demo.reference import PERSONA_DEPARTEMENT
from hub.models import Departement, Site
from hub.models.enums import SiteStatus
from hub.server.app import STATIC, create_app
from hub.server.auth.dev_issuer import DevIssuer
from hub.settings import Environment, Settings
from tests.doc_examples import ROOT
from tests.processes import start_hub, stop_process
from tests.support import bearer

CHROMIUM = shutil.which("chromium")
ARTEFACTS = ROOT / "var" / "artefacts"
ASSETS = {"/map/leaflet.js": "text/javascript", "/map/leaflet.css": "text/css",
          "/map/map.js": "text/javascript"}  # fmt: skip
OPEN_SITES = """query OpenSites($after: String) {
  sites(filter: {statuses: [OPEN]}, first: 500, after: $after) {
    totalCount
    nodes { id departement { code } location { latitude longitude } }
    pageInfo { hasNextPage endCursor }
  }
}"""
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="needs chromium (apt-get install chromium)"
)


async def app_in(settings: Settings, environment: Environment) -> httpx.AsyncClient:
    app = create_app(replace(settings, environment=environment), manage_database=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test")


@pytest.mark.parametrize("environment", [Environment.DEMO, Environment.DEVELOPMENT])
async def test_the_map_is_served_from_the_hubs_own_files(
    settings: Settings, environment: Environment
) -> None:
    async with await app_in(settings, environment) as http:
        page = await http.get("/map")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        references = re.findall(r'(?:src|href)="([^"]*)"', page.text)
        assert set(references) == set(ASSETS)
        for path, kind in ASSETS.items():
            asset = await http.get(path)
            assert asset.status_code == 200, path
            assert asset.headers["content-type"].startswith(kind), path
    # No other host: neither in the page nor in the page's own script.
    assert "://" not in page.text
    assert "://" not in (STATIC / "map" / "map.js").read_text(encoding="utf-8")


@pytest.mark.parametrize("environment", [Environment.PRODUCTION, Environment.TEST])
async def test_the_map_is_not_served_elsewhere(
    settings: Settings, environment: Environment
) -> None:
    async with await app_in(settings, environment) as http:
        for path in ("/map", *ASSETS):
            assert (await http.get(path)).status_code == 404, path


def test_the_vendored_leaflet_is_the_pinned_packages_own() -> None:
    """hub/server/static/map/SOURCES names each of Leaflet's files and its sha384 (the
    Subresource Integrity of the package's file as published); map.js is the hub's own."""
    folder = STATIC / "map"
    lines = [line.split() for line in (folder / "SOURCES").read_text().splitlines()]
    listed = {name: (package, digest) for name, package, _, digest in
              (line for line in lines if line[0] != "#")}  # fmt: skip
    own = {"SOURCES", "LICENSE", "map.js"}
    assert set(listed) == {path.name for path in folder.iterdir()} - own
    assert {package for package, _ in listed.values()} == {"leaflet@1.9.4"}
    assert "BSD 2-Clause License" in (folder / "LICENSE").read_text()
    for name, (_, digest) in listed.items():
        actual = base64.b64encode(hashlib.sha384((folder / name).read_bytes()).digest())
        assert digest == "sha384-" + actual.decode(), name


# -- In a real browser --------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    base: str
    issuer: DevIssuer

    async def token(self, persona: str) -> str:
        token, _ = await self.issuer.token_for(f"{persona}@demo.bidonvilles.example")
        return token


@pytest.fixture(scope="module")
async def placed(own_database: Settings) -> None:
    """Open sites with a location (the demo places every site inside its commune) and without:
    every seventh has none, the operator's first among them."""
    sites = await Site.filter(status=SiteStatus.OPEN).order_by("id")
    first = next(site for site in sites if site.departement_code == PERSONA_DEPARTEMENT)
    assert all(site.latitude is not None and site.longitude is not None for site in sites)
    unplaced = [site.id for site in sites if site.id % 7 == 0 or site is first]
    await Site.filter(id__in=unplaced).update(latitude=None, longitude=None)


@pytest.fixture(scope="module")
def served(own_database: Settings, placed: None) -> Iterator[Served]:
    """`hub serve` in demo mode over the module's demo database; its development issuer's
    key is the one the test signs tokens with."""
    issuer = DevIssuer.load(own_database)  # writes the key file the process reads
    env = {"HUB_ENV": "demo", "HUB_DATABASE_URL": own_database.database_url,
           "HUB_DEV_ISSUER_KEY": str(own_database.dev_issuer_key)}  # fmt: skip
    process, base = start_hub(env)
    try:
        yield Served(base, issuer)
    finally:
        stop_process(process)


@pytest.fixture(scope="module")
async def answers(served: Served) -> AsyncIterator[dict[str, list[dict[str, Any]]]]:
    """The hub's own GraphQL answer, for each caller: the open sites it may read."""
    found: dict[str, list[dict[str, Any]]] = {}
    async with httpx.AsyncClient(base_url=served.base, timeout=30) as http:
        for persona in ("national_admin", "operator"):
            nodes: list[dict[str, Any]] = []
            after = None
            while True:
                response = await http.post(
                    "/graphql", json={"query": OPEN_SITES, "variables": {"after": after}},
                    headers=bearer(await served.token(persona)),
                )  # fmt: skip
                body = response.json()
                assert "errors" not in body, body
                page = body["data"]["sites"]
                nodes += page["nodes"]
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
            assert len(nodes) == page["totalCount"]
            found[persona] = nodes
    yield found


def chromium(served: Served, token: str | None, profile: Path, *what: str) -> str:
    """Headless Chromium on /map with the token in the fragment; every host but the hub's is
    unreachable. Its standard output (the DOM with --dump-dom)."""
    fragment = "" if token is None else f"#token={token}"
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--no-first-run",
         f"--user-data-dir={profile}", "--virtual-time-budget=15000",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
         *what, f"{served.base}/map{fragment}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return done.stdout


def status_of(dom: str) -> tuple[dict[str, str], str]:
    """The status element's attributes and text."""
    found = re.search(r'<span id="status"([^>]*)>([^<]*)<', dom)
    assert found, dom[:3000]
    return dict(re.findall(r'([\w-]+)="([^"]*)"', found[1])), found[2]


def page_requests(net_log: Path) -> list[dict[str, Any]]:
    """Chromium's net log: the requests the page made (its frame and what it initiated),
    not the browser's own background ones."""
    log = json.loads(net_log.read_text())
    types = {number: name for name, number in log["constants"]["logEventTypes"].items()}
    started = [
        event["params"] for event in log["events"]
        if types.get(event["type"]) == "URL_REQUEST_START_JOB" and "url" in event.get("params", {})
    ]  # fmt: skip
    return [
        params for params in started
        if params.get("request_type") == "main frame" or params.get("initiator") != "not an origin"
    ]  # fmt: skip


@needs_chromium
@pytest.mark.parametrize("persona", ["national_admin", "operator"])
async def test_the_map_draws_the_sites_the_caller_may_read(
    served: Served,
    answers: dict[str, list[dict[str, Any]]],
    persona: str,
    tmp_path: Path,
) -> None:
    token = await served.token(persona)
    net_log = tmp_path / "net-log.json"
    dom = await asyncio.to_thread(
        chromium, served, token, tmp_path / "profile", f"--log-net-log={net_log}", "--dump-dom"
    )
    attributes, text = status_of(dom)
    assert "data-error" not in attributes, text
    nodes = answers[persona]
    located = {
        node["id"] for node in nodes
        if node["location"]["latitude"] is not None and node["location"]["longitude"] is not None
    }  # fmt: skip
    assert 0 < len(located) < len(nodes), "open sites with and without a location"
    # Every open site the caller may read was received; those with a location are drawn.
    assert int(attributes["data-sites-received"]) == len(nodes)
    assert int(attributes["data-sites-drawn"]) == len(located)
    assert int(attributes["data-sites-unplaced"]) == len(nodes) - len(located)
    markers = re.findall(r'<path [^>]*data-site="([^"]+)"', dom)
    assert sorted(markers) == sorted(located)
    assert f"{len(located)} open sites drawn" in text
    # The base layer: every département's outline.
    assert int(attributes["data-outlines-drawn"]) == await Departement.all().count() == 101

    if persona == "operator":
        everyone = answers["national_admin"]
        assert len(markers) < sum(1 for node in everyone if node["location"]["latitude"])
        departements = {node["id"]: node["departement"]["code"] for node in everyone}
        assert {departements[marker] for marker in markers} == {PERSONA_DEPARTEMENT}

    # Nothing was asked of another host; the token never travelled in an address.
    requests = page_requests(net_log)
    paths = {re.sub(r"[?#].*", "", params["url"]).removeprefix(served.base) for params in requests}
    assert {"/map", *ASSETS, "/graphql", "/exports/sites.geojson"} <= paths
    assert all(params["url"].startswith(f"{served.base}/") for params in requests), paths
    assert token not in net_log.read_text().replace(f"/map#token={token}", "")

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTEFACTS / f"map-{persona}.png"
    screenshot.unlink(missing_ok=True)
    await asyncio.to_thread(
        chromium, served, token, tmp_path / "profile-screenshot", "--hide-scrollbars",
        "--window-size=1280,900", f"--screenshot={screenshot}",
    )  # fmt: skip
    assert screenshot.read_bytes().startswith(b"\x89PNG"), "a PNG screenshot"


@needs_chromium
async def test_the_map_says_why_it_shows_nothing(served: Served, tmp_path: Path) -> None:
    unsigned = await asyncio.to_thread(chromium, served, None, tmp_path / "unsigned", "--dump-dom")
    attributes, text = status_of(unsigned)
    assert "Paste a token" in text and "data-error" not in attributes
    assert '<form id="sign-in">' in unsigned  # shown: no longer hidden
    refused = await asyncio.to_thread(
        chromium, served, "not-a-token", tmp_path / "refused", "--dump-dom"
    )
    attributes, text = status_of(refused)
    assert attributes.get("data-error") == "401", text
    assert "401" in text and "data-sites-drawn" not in attributes
    observer = await served.token("external_observer")
    forbidden = await asyncio.to_thread(
        chromium, served, observer, tmp_path / "forbidden", "--dump-dom"
    )
    attributes, text = status_of(forbidden)
    assert attributes.get("data-error") == "403" and "export.sites" in text, text
