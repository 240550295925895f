"""Every example of README.md and docs/*.md runs, so the documentation cannot go stale.

GraphQL blocks go through the real app as the persona their marker names, on a demo database
of this module's own (the examples write); shell blocks run in bash in a temporary folder,
with ``hub`` and ``make`` of this checkout, against the same database, and ``curl`` against a
real ``hub serve`` standing in for the demo's ``http://127.0.0.1:8000``. ``tests/doc_examples.py``
describes the markers.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from strawberry.relay import to_base64

from hub.models import AccessRequest
from hub.models.enums import LocationLevel, OrganizationType
from hub.settings import Settings
from tests import live
from tests.doc_examples import ROOT, Block, all_blocks, broken_references, documents, unaccounted
from tests.processes import start_hub
from tests.support import Hub, error_codes, open_site

DEMO_ADDRESS = "http://127.0.0.1:8000"
BLOCKS = all_blocks()


def runs(language: str) -> list[Any]:
    """One test case per run of a block of ``language`` (a graphql block runs once per persona)."""
    cases = []
    for block in BLOCKS:
        if block.language != language or block.not_run is not None:
            continue
        for marker in block.markers:
            if "as" in marker or "run" in marker:
                label = f"{block.where} as {marker['as']}" if "as" in marker else block.where
                cases.append(pytest.param(block, marker, id=label))
    return cases


def test_every_block_is_run_or_says_why_not() -> None:
    assert [reason for block in BLOCKS if (reason := unaccounted(block))] == []
    assert runs("graphql") and runs("sh") and runs("python")


def test_links_and_paths_exist() -> None:
    assert [broken for path in documents() for broken in broken_references(path)] == []


async def example_variables(name: str | None) -> dict[str, Any]:
    """The variables a marker names: ``site`` is the first open site of the Haute-Garonne;
    ``request``, a new request for access in Toulouse, waiting for a decision."""
    if name is None:
        return {}
    if name == "request":
        request = await AccessRequest.create(
            created_at=datetime.datetime.now(datetime.UTC), first_name="Inès",
            last_name="Garcia", email=f"docs.{uuid.uuid4().hex}@mediation.example",
            organization_name="Médiation Garonne", organization_type=OrganizationType.ASSOCIATION,
            location_level=LocationLevel.COMMUNE, location_code="31555", region_code="76",
            departement_code="31", commune_scope_code="31555", reason="Maraudes.",
        )  # fmt: skip
        return {"id": to_base64("AccessRequest", request.id)}
    assert name == "site", f"unknown variables {name!r}"
    site = await open_site("31")
    return {"id": to_base64("Site", site.id), "version": site.version}


def value_at(data: Any, path: str) -> Any:
    for key in path.split("."):
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data


RENAME = """mutation ($id: ID!, $version: Int!, $input: UpdateSiteInput!) {
  updateSite(id: $id, version: $version, input: $input) { errors { code } } }"""


async def first_event(hub: Hub, who: str | None, code: str, variables: dict[str, Any]) -> Any:
    """What a subscription example sends first once the example site changes (the site its
    ``variables: site`` marker names)."""
    async with live.served(hub.settings) as url:
        token = await hub.token(who) if who else None
        async with live.Subscriber.connect(url, token) as subscriber:
            await subscriber.acknowledged()
            await subscriber.follow(code, variables)
            site = await open_site("31")
            rename = {"identity": {"name": f"{site.name} (renamed)"}}
            changed = await hub.call(
                "national_admin",
                RENAME,
                {"id": variables["id"], "version": site.version, "input": rename},
            )
            assert changed["errors"] == [], changed
            return await subscriber.next()


@pytest.mark.parametrize(("block", "marker"), runs("graphql"))
async def test_graphql_example(hub: Hub, block: Block, marker: dict[str, str]) -> None:
    who = None if marker["as"] == "anonymous" else marker["as"]
    variables = await example_variables(marker.get("variables"))
    if block.code.lstrip().startswith("subscription"):
        body = await first_event(hub, who, block.code, variables)
    else:
        body = await hub.ask(who, block.code, variables)
    codes = set(error_codes(body))
    expected = {code.strip() for code in marker.get("expect", "").split(",") if code.strip()}
    if expected:
        assert codes and codes <= expected, body
    else:
        assert not codes, body
    assert body.get("data"), body
    if "equal" in marker:
        left, right = (side.strip() for side in marker["equal"].split("="))
        assert value_at(body["data"], left) == value_at(body["data"], right), body["data"]


@pytest.fixture(scope="module")
def shell_env(own_database: Settings, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a shell example: this checkout's ``hub`` and ``make`` (run on the
    repository's Makefile), the module's database, its development issuer."""
    tools = tmp_path_factory.mktemp("bin")
    make = tools / "make"
    # make uses the virtualenv running the suite, and `-o` keeps it from reinstalling that
    # (its `install` target) when pyproject.toml is newer.
    venv = Path(sys.prefix)
    options = f"-C {ROOT} --no-print-directory VENV={venv} -o {venv}/bin/hub"
    make.write_text(f'#!/bin/sh\nexec {shutil.which("make")} {options} "$@"\n')
    make.chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{tools}:{Path(sys.executable).parent}:{os.environ['PATH']}",
        "HUB_ENV": "test",
        "HUB_DATABASE_URL": own_database.database_url,
        "DEMO_DB": own_database.database_url,
        "HUB_DEV_ISSUER_KEY": str(own_database.dev_issuer_key),
    }


@pytest.fixture(scope="module")
def served(shell_env: dict[str, str]) -> Iterator[str]:
    """A real `hub serve` over the module's database, for the examples that call the demo."""
    process, base = start_hub(shell_env)
    try:
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=15)


@pytest.mark.parametrize(("block", "marker"), runs("sh"))
def test_shell_example(
    block: Block,
    marker: dict[str, str],
    shell_env: dict[str, str],
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    code = block.code
    if DEMO_ADDRESS in code:
        code = code.replace(DEMO_ADDRESS, request.getfixturevalue("served"))
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", code],
        cwd=tmp_path,
        env=shell_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"{block.where}\n{code}\n{done.stdout}\n{done.stderr}"


@pytest.mark.parametrize(("block", "marker"), runs("python"))
def test_python_example(block: Block, marker: dict[str, str], tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", block.code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"{block.where}\n{done.stdout}\n{done.stderr}"
