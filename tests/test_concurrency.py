"""Many readers and writers at once, through HTTP, on a demo database of the module's own:
no error in any answer (but the CONFLICTs of writers racing on one site, who retry with the
fresh version), and no lost write — every comment is there, every site ends at the version,
state and history its successful updates add up to.

It runs in process (httpx over ASGI) and against a real `hub serve` over the same database.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from strawberry.relay import to_base64

from hub.models import Comment, HistoryEntry, Site
from hub.models.enums import HistorySubject, SiteStatus
from hub.settings import Settings
from tests.processes import start_hub
from tests.support import Hub, open_site

READERS = 40
SEPARATE_WRITERS = 20
RACERS = ("national_admin", "local_admin", "correspondent", "local_admin", "correspondent")
ROUNDS = 3  # updates each racer makes on the contended site
COMMENTS = 20
# Each CONFLICT a racer meets is owed to another racer's success since its read.
MAX_CONFLICTS = (len(RACERS) - 1) * ROUNDS

SITES = """query ($first: Int!) { sites(first: $first) { totalCount
  nodes { id name version population { total } } } }"""
SHEET = """query ($id: ID!) { site(id: $id) { id version name status address
  population { total households minors } livingConditions { water { status } }
  history(first: 5) { totalCount } journal(first: 5) { totalCount nodes { body } } } }"""
STATS = """{ territory(level: DEPARTEMENT, code: "31") {
  stats { openSites people minors households } } }"""
STATE = "query ($id: ID!) { site(id: $id) { version population { total } } }"
PAYLOAD = "site { id version name population { total } } errors { field code currentVersion }"
UPDATE = f"""mutation ($id: ID!, $version: Int!, $input: UpdateSiteInput!) {{
  updateSite(id: $id, version: $version, input: $input) {{ {PAYLOAD} }} }}"""
COMMENT = """mutation ($input: CreateCommentInput!) {
  createComment(input: $input) { comment { id body } errors { field code message } } }"""
JOURNAL = "query ($id: ID!) { site(id: $id) { journal(first: 500) { nodes { body } } } }"
READS = [(SITES, {"first": 50}), (STATS, {})]
READERS_AS = ("national_admin", "correspondent", "operator", "institutional_partner")


def gid(key: int) -> str:
    return to_base64("Site", key)


async def ask(hub: Hub, who: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The data of an answer that has no error at all."""
    body = await hub.ask(who, query, variables)
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def site_history(key: int) -> int:
    return await HistoryEntry.filter(subject_type=HistorySubject.SITE, subject_id=key).count()


@dataclass
class Racer:
    """Adds one person to the contended site's population, ROUNDS times, re-reading the
    site after each CONFLICT: a lost update would show in the final total."""

    hub: Hub
    who: str
    site: str
    conflicts: int = 0

    async def run(self) -> None:
        done = 0
        while done < ROUNDS:
            state = (await ask(self.hub, self.who, STATE, {"id": self.site}))["site"]
            change = {"population": {"total": state["population"]["total"] + 1}}
            variables = {"id": self.site, "version": state["version"], "input": change}
            payload = (await ask(self.hub, self.who, UPDATE, variables))["updateSite"]
            if payload["errors"]:
                assert [e["code"] for e in payload["errors"]] == ["CONFLICT"], payload
                self.conflicts += 1
                assert self.conflicts <= MAX_CONFLICTS, f"{self.who}: spurious CONFLICT"
                continue
            done += 1


async def scenario(hub: Hub) -> None:
    contended = await (
        Site.filter(departement_code="31", status=SiteStatus.OPEN, population_total__gt=0)
        .order_by("id")
        .first()
    )
    assert contended is not None
    others = (
        await Site.filter(status=SiteStatus.OPEN, id__not=contended.id)
        .order_by("-id")
        .limit(SEPARATE_WRITERS)
    )
    assert len(others) == SEPARATE_WRITERS
    sheet_of = await open_site("31")
    before = {site.id: (site.version, await site_history(site.id)) for site in others}
    contended_history = await site_history(contended.id)
    comments_before = await Comment.all().count()
    marker = f"concurrency-{os.urandom(4).hex()}"

    readers = [
        ask(hub, READERS_AS[i % len(READERS_AS)], *READS[i % len(READS)])
        if i % 3
        else ask(hub, READERS_AS[i % len(READERS_AS)], SHEET, {"id": gid(sheet_of.id)})
        for i in range(READERS)
    ]
    renames = [
        ask(
            hub,
            "national_admin",
            UPDATE,
            {"id": gid(site.id), "version": site.version,
             "input": {"identity": {"name": f"{marker} {site.id}"}}},
        )
        for site in others
    ]  # fmt: skip
    racers = [Racer(hub, who, gid(contended.id)) for who in RACERS]
    comments = [
        ask(
            hub,
            "operator",
            COMMENT,
            {"input": {"siteId": gid(contended.id), "body": f"{marker} #{n}", "tags": []}},
        )
        for n in range(COMMENTS)
    ]
    results = await asyncio.gather(
        *readers, *renames, *(racer.run() for racer in racers), *comments
    )

    for payload in results[READERS : READERS + SEPARATE_WRITERS]:
        assert payload["updateSite"]["errors"] == [], payload
    for site in others:
        stored = await Site.get(id=site.id)
        version, history = before[site.id]
        assert (stored.name, stored.version) == (f"{marker} {site.id}", version + 1)
        assert await site_history(site.id) == history + 1

    updates = len(RACERS) * ROUNDS
    stored = await Site.get(id=contended.id)
    assert stored.version == contended.version + updates
    assert stored.population_total == contended.population_total + updates
    assert await site_history(contended.id) == contended_history + updates

    for payload in results[-COMMENTS:]:
        assert payload["createComment"]["errors"] == [], payload
    assert await Comment.all().count() == comments_before + COMMENTS
    journal = await ask(hub, "operator", JOURNAL, {"id": gid(contended.id)})
    bodies = {node["body"] for node in journal["site"]["journal"]["nodes"]}
    assert {f"{marker} #{n}" for n in range(COMMENTS)} <= bodies


async def test_parallel_readers_and_writers_in_process(hub: Hub) -> None:
    await scenario(hub)


@pytest.fixture(scope="module")
def served(own_database: Settings) -> Iterator[str]:
    """`hub serve` over the module's database, with the same development issuer key."""
    env = {
        "HUB_ENV": "test",
        "HUB_DATABASE_URL": own_database.database_url,
        "HUB_DEV_ISSUER_KEY": str(own_database.dev_issuer_key),
        "HUB_PRINCIPAL_CACHE_SECONDS": "0",
    }
    process, base = start_hub(env)
    try:
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=15)


@pytest.fixture
async def served_hub(hub: Hub, served: str) -> AsyncIterator[Hub]:
    async with httpx.AsyncClient(base_url=served, timeout=60) as http:
        yield Hub(hub.settings, hub.issuer, http)


async def test_parallel_readers_and_writers_against_hub_serve(served_hub: Hub) -> None:
    await scenario(served_hub)
