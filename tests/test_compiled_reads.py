"""The compiled read path answers exactly as graphql-core does.

Two apps over the same demo database, one with ``compiled_reads`` on and one with it off
(graphql-core runs every operation: the reference), receive every operation of
``tests/corpus.py`` as each of its personas: the documentation's examples, the suite's own
queries, queries generated from the schema and the cases written for the compiled path. Both
must give the same response (data, errors with their message, path, locations and extensions,
in the same order) and write the same audit entries; the compiled app must really have run
its plan.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from strawberry.relay import to_base64

from hub.demo.reference import PERSONA_DOMAIN
from hub.models import Action, AuditEntry, Comment, Commune, Organization, User
from hub.server.app import HubGraphQL, create_app
from hub.server.auth.dev_issuer import DevIssuer
from hub.settings import Settings
from resolvers.context import Context
from schema.build import build_schema
from schema.execution.executor import COMPILED, GRAPHQL_CORE
from tests.corpus import PERSONAS, Corpus, Operation, Sample, build
from tests.support import bearer, open_site

GENERATED = int(os.environ.get("HUB_DIFFERENTIAL_EXAMPLES", "150"))
CORPUS: Corpus = build(build_schema()._schema, GENERATED)

# An INTERNAL error's id is drawn per error: the one part of an answer that may differ.
_ERROR_ID = re.compile(r"quote \S+ to")


# Differences this test found that are not fixed yet, by case and persona (None: every
# persona). Not strict: what graphql-core answers there depends on which resolver finishes
# first.
KNOWN_DIFFERENCES = {
    ("null from below, several sites", None): (
        "each site's error nulls the whole response: graphql-core cancels the other sites' "
        "resolvers once the first error in time (for some callers the second site's, as the "
        "waves of loads of each site's other fields fall) has, so only that one exists; the "
        "compiled path has all of them and keeps the first in response order"
    ),
}


def cases() -> list[Any]:
    found = []
    for operation in CORPUS.operations:
        for persona in operation.personas:
            known = KNOWN_DIFFERENCES.get((operation.where, persona)) or KNOWN_DIFFERENCES.get(
                (operation.where, None)
            )
            marks = [pytest.mark.xfail(reason=known, strict=False)] if known else []
            label = f"{operation.source}:{operation.where}:{persona}"
            found.append(pytest.param(operation, persona, id=label, marks=marks))
    return found


@dataclass
class Answer:
    body: dict[str, Any]
    audit: list[tuple[Any, ...]]
    execution: str | None


class Endpoint:
    """One of the two apps: sends an operation as a persona and tells what it answered, which
    audit entries the request wrote (then deletes them, so that the other app reads the same
    audit log) and which executor ran it."""

    def __init__(
        self, http: httpx.AsyncClient, tokens: dict[str, str], seen: list[Context], mark: int
    ) -> None:
        self.http = http
        self.tokens = tokens
        self.seen = seen
        # The last audit entry before the test: any entry after it was written by this test.
        self.mark = mark

    async def ask(
        self, persona: str, query: str, variables: dict[str, Any], name: str | None
    ) -> Answer:
        headers = bearer(self.tokens[persona]) if persona in self.tokens else {}
        self.seen.clear()
        payload = {"query": query, "variables": variables, "operationName": name}
        response = await self.http.post("/graphql", json=payload, headers=headers)
        assert response.status_code == 200, response.text
        written = await AuditEntry.filter(id__gt=self.mark)
        if written:
            await AuditEntry.filter(id__in=[entry.id for entry in written]).delete()
        execution = self.seen[-1].execution if self.seen else None
        return Answer(_normalized(response.json()), sorted(map(_audited, written)), execution)


async def _last_audit_id() -> int:
    last = await AuditEntry.all().order_by("-id").first()
    return last.id if last else 0


def _audited(entry: AuditEntry) -> tuple[Any, ...]:
    place = (entry.region_code, entry.departement_code, entry.epci_code, entry.commune_scope_code)
    actor = (entry.user_id, entry.application_id)
    ids = sorted(entry.subject_ids)
    return (str(entry.kind), entry.operation, entry.subject_type, ids, place, actor)


def _normalized(body: dict[str, Any]) -> dict[str, Any]:
    for error in body.get("errors", []):
        extensions = error.get("extensions") or {}
        if "errorId" in extensions:
            extensions["errorId"] = "…"
            error["message"] = _ERROR_ID.sub("quote … to", error["message"])
    return body


@pytest.fixture(scope="module")
def contexts() -> Iterator[list[Context]]:
    """The contexts the apps build, to read which executor ran each operation
    (``Context.execution``): nothing else outside the request sees it."""
    seen: list[Context] = []
    build_context = HubGraphQL.get_context

    async def recorded(self: HubGraphQL, request: Any, response: Any) -> Context:
        context = await build_context(self, request, response)
        seen.append(context)
        return context

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(HubGraphQL, "get_context", recorded)
        yield seen


@pytest.fixture(scope="module")
async def tokens(dev_issuer: DevIssuer) -> dict[str, str]:
    found = {}
    for persona in PERSONAS:
        if persona != "anonymous":
            who = persona if persona.startswith("demo-") else f"{persona}@{PERSONA_DOMAIN}"
            found[persona], _ = await dev_issuer.token_for(who)
    return found


@pytest.fixture(scope="module")
async def apps(
    settings: Settings, tokens: dict[str, str], contexts: list[Context]
) -> AsyncIterator[tuple[Endpoint, Endpoint]]:
    # Hundreds of requests per caller: rate limits would answer some of them with 429.
    unlimited = replace(settings, rate_limit=0, rate_limit_anonymous=0)
    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(
                app=create_app(replace(unlimited, compiled_reads=compiled), manage_database=False)
            ),
            base_url="http://hub.test",
        )
        for compiled in (True, False)
    ]
    mark = await _last_audit_id()
    compiled, reference = (Endpoint(http, tokens, contexts, mark) for http in clients)
    # A persona's first request records its identity: let that happen before any comparison.
    for persona in PERSONAS:
        await reference.ask(persona, "{ me { role } }", {}, None)
    yield compiled, reference
    for http in clients:
        await http.aclose()


@pytest.fixture(scope="module")
async def samples(demo_db: str) -> dict[Sample, Any]:
    """The demo data's rows the corpus' placeholders stand for."""
    site, far = await open_site("31"), await open_site("93")
    action = await Action.filter(departement_id="31").order_by("id").first()
    far_action = await Action.filter(departement_id="93").order_by("id").first()
    organization = await Organization.get(name="Association Solidarités Garonne")
    user = await User.get(email=f"operator@{PERSONA_DOMAIN}")
    comment = await Comment.filter(site_id=site.id).order_by("id").first()
    assert action and far_action and comment
    site_id = to_base64("Site", site.id)
    return {
        Sample.SITE: site_id,
        Sample.SITE_VERSION: site.version,
        Sample.FAR_SITE: to_base64("Site", far.id),
        Sample.ACTION: to_base64("Action", action.id),
        Sample.FAR_ACTION: to_base64("Action", far_action.id),
        Sample.ORGANIZATION: to_base64("Organization", organization.id),
        Sample.USER: to_base64("User", user.id),
        Sample.COMMENT: to_base64("Comment", comment.id),
        Sample.REPRESENTATIONS: [{"__typename": "Site", "id": site_id}],
    }


def _diff(compiled: Any, reference: Any) -> str:
    lines = difflib.unified_diff(
        json.dumps(reference, indent=1, ensure_ascii=False).splitlines(),
        json.dumps(compiled, indent=1, ensure_ascii=False).splitlines(),
        "graphql-core",
        "compiled",
        lineterm="",
    )
    return "\n".join(list(lines)[:60])


@pytest.mark.parametrize(("operation", "persona"), cases())
async def test_compiled_answers_as_graphql_core(
    apps: tuple[Endpoint, Endpoint], samples: dict[Sample, Any], operation: Operation, persona: str
) -> None:
    variables = {
        name: samples[value] if isinstance(value, Sample) else value
        for name, value in operation.variables.items()
    }
    compiled, reference = apps
    ran = await compiled.ask(persona, operation.query, variables, operation.operation_name)
    expected = await reference.ask(persona, operation.query, variables, operation.operation_name)
    where = f"{operation.where} as {persona}"
    for what, left, right in (
        ("responses", ran.body, expected.body),
        ("audit entries", ran.audit, expected.audit),
    ):
        if left != right:
            diff = _diff(left, right)
            pytest.fail(f"{where}: the {what} differ\n{diff}\n{operation.query}\n{variables}")
    # The reference never plans; the compiled app ran its plan whenever the operation ran,
    # which it surely did when there is data (a refused one, as over its cost, has none).
    assert expected.execution in (None, f"{GRAPHQL_CORE}: off"), where
    if ran.execution is not None or expected.body.get("data") is not None:
        want = COMPILED if operation.planned else GRAPHQL_CORE
        assert (ran.execution or "").split(":")[0] == want, f"{where}: {ran.execution}"


def test_the_corpus_covers_every_source() -> None:
    counts = {
        source: sum(len(o.personas) for o in CORPUS.operations if o.source == source)
        for source in ("docs", "suite", "fuzz", "cases")
    }
    documents = {
        source: sum(1 for o in CORPUS.operations if o.source == source) for source in counts
    }
    summary = f"operations × personas {counts}, documents {documents}, skipped {CORPUS.skipped}"
    print(summary)
    assert documents["docs"] >= 5 and documents["suite"] >= 50, summary
    assert documents["fuzz"] >= GENERATED * 0.9 and documents["cases"] >= 20, summary


async def test_a_value_its_type_cannot_hold_in_an_object_read_inline(
    apps: tuple[Endpoint, Endpoint],
) -> None:
    """A commune's code, name and centre are read inline, with the site or the city holding
    the commune (plain attributes): a centre GraphQL's Float cannot hold (infinite) gives
    the object a level of its own, with graphql-core's error, path and null, for a single
    object and for an item of a list."""
    site = await open_site("31")
    changed = [site.commune_id, "69381"]  # Lyon's 1st arrondissement, the first of the city's
    kept = {c.code: c.latitude for c in await Commune.filter(code__in=changed)}
    await Commune.filter(code__in=changed).update(latitude=float("inf"))
    query = """query Beyond($site: ID!) {
      site(id: $site) { name commune { code name latitude } }
      territory(level: COMMUNE, code: "69123") {
        name ... on Commune { arrondissements { code latitude } }
      }
    }"""
    variables = {"site": to_base64("Site", site.id)}
    compiled, reference = apps
    try:
        ran = await compiled.ask("national_admin", query, variables, None)
        expected = await reference.ask("national_admin", query, variables, None)
    finally:
        for code, latitude in kept.items():
            await Commune.filter(code=code).update(latitude=latitude)
    assert ran.body == expected.body, _diff(ran.body, expected.body)
    assert ran.execution == COMPILED
    paths = [error["path"] for error in ran.body["errors"]]
    assert paths == [
        ["site", "commune", "latitude"],
        ["territory", "arrondissements", 0, "latitude"],
    ], ran.body["errors"]
    assert all("Float cannot represent" in error["message"] for error in ran.body["errors"])
    data = ran.body["data"]
    assert data["site"]["commune"]["latitude"] is None
    assert data["site"]["commune"]["code"] == site.commune_id
    arrondissements = data["territory"]["arrondissements"]
    assert arrondissements[0] == {"code": "69381", "latitude": None}
    assert [a["code"] for a in arrondissements[1:3]] == ["69382", "69383"]
