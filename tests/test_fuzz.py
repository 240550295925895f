"""Schemathesis over the live schema: read-only queries generated from every root field, sent
through the real app as the national administrator and anonymously.

Whatever the query, the hub answers without a 5xx, every error carries ``extensions.code``,
and no error leaks internal text (driver, SQL, file path, stack trace). The run is bounded
and derandomized so that the suite stays deterministic; ``make fuzz`` runs a longer, random
one (``HUB_FUZZ_EXAMPLES``, ``HUB_FUZZ_RANDOM``).
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
import schemathesis
from graphql import introspection_from_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes
from strawberry.relay import to_base64

from hub.server.app import create_app
from hub.settings import Settings
from schema.build import build_schema
from tests.support import bearer

EXAMPLES = int(os.environ.get("HUB_FUZZ_EXAMPLES", "300"))
# The suite's run is the same every time; `make fuzz` sets HUB_FUZZ_RANDOM to explore anew
# (a failure then prints the @seed that replays it).
DERANDOMIZE = not os.environ.get("HUB_FUZZ_RANDOM")
# Names of the stack in any case; SQL and stack-trace shapes as they are printed.
INTERNAL_TEXT = re.compile(
    r"traceback|asyncpg|sqlite|postgres|tortoise|(?-i:SELECT )|(?-i:File \")|\.py\b", re.IGNORECASE
)

# Random strings almost never name a row: most IDs are real-looking global IDs of the demo
# data (small keys, territory codes), so that queries reach the resolvers behind ``node``,
# ``site``, ``action``… and not only the "not found" path.
_KEYED_TYPES = ("Site", "Action", "Organization", "User", "Comment", "HistoryEntry")
_TERRITORIES = (("Nation", "FR"), ("Region", "76"), ("Departement", "31"), ("Commune", "31555"))
_GLOBAL_IDS = st.one_of(
    st.builds(to_base64, st.sampled_from(_KEYED_TYPES), st.integers(min_value=1, max_value=300)),
    st.sampled_from([to_base64(kind, code) for kind, code in _TERRITORIES]),
)
schemathesis.graphql.scalar(
    "ID",
    st.one_of(_GLOBAL_IDS, _GLOBAL_IDS, st.text(), st.integers().map(str)).map(nodes.String),
)

_SCHEMA = schemathesis.graphql.from_dict(introspection_from_schema(build_schema()._schema))
READ_ONLY = st.one_of(
    [
        operation.as_strategy()
        for operation in (result.ok() for result in _SCHEMA.get_all_operations())
        if operation.definition.is_query
    ]
)

FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=DERANDOMIZE,
    database=None,
    deadline=None,
    # The HTTP client is stateless between examples: one per caller is enough.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def unlimited(settings: Settings) -> Settings:
    # One caller sends hundreds of requests a minute: rate limits would answer them with 429.
    return replace(settings, rate_limit=0, rate_limit_anonymous=0)


@pytest.fixture(params=["national_admin", "anonymous"])
async def caller(
    request: pytest.FixtureRequest, unlimited: Settings, admin_token: str
) -> AsyncIterator[httpx.AsyncClient]:
    headers = bearer(admin_token) if request.param == "national_admin" else {}
    transport = httpx.ASGITransport(app=create_app(unlimited, manage_database=False))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=headers
    ) as http:
        yield http


@FUZZ
@given(case=READ_ONLY)
async def test_any_query_gets_a_coded_answer_without_internals(
    caller: httpx.AsyncClient, case: schemathesis.Case
) -> None:
    response = await caller.post("/graphql", json={"query": case.body})
    shown = f"query:\n{case.body}\nresponse {response.status_code}:\n{response.text}"
    assert response.status_code < 500 and response.status_code != 429, shown
    body: dict[str, Any] = response.json()
    assert "data" in body or "errors" in body, shown
    for error in body.get("errors", []):
        code = error.get("extensions", {}).get("code")
        # INTERNAL is the masked answer to an unexpected exception: a bug of the hub.
        assert code and code != "INTERNAL", shown
        # An error may quote the input back (an unknown code, a bad cursor…): that is no leak.
        text = f"{error.get('message')} {error['extensions']}"
        leaks = [m for m in INTERNAL_TEXT.findall(text) if m.lower() not in case.body.lower()]
        assert not leaks, shown


# Found by this fuzz: a territory code longer than its column reached tortoise (a validation
# error), one with a NUL reached PostgreSQL (a driver error), both masked as INTERNAL.
@pytest.mark.parametrize(
    ("query", "code"),
    [
        ('{ territory(level: REGION, code: "0000") { name } }', "NOT_FOUND"),
        ('{ territory(level: COMMUNE, code: "315550") { name } }', "NOT_FOUND"),
        (
            '{ me { can(capability: SITE_READ, location: {level: DEPARTEMENT, code: "3131"}) } }',
            "BAD_USER_INPUT",
        ),
        (
            '{ sites(filter: {locations: [{level: EPCI, code: "2431000000"}]}) { totalCount } }',
            "BAD_USER_INPUT",
        ),
        ('{ territory(level: REGION, code: "7\\u0000") { name } }', "NOT_FOUND"),
        (
            '{ me { can(capability: SITE_UPDATE, location: {level: EPCI, code: "a\\u0000"}) } }',
            "BAD_USER_INPUT",
        ),
        ('{ auditLog(filter: {operations: ["site.\\u0000"]}) { totalCount } }', "BAD_USER_INPUT"),
    ],
)
async def test_inputs_the_database_cannot_compare_get_a_coded_error(
    caller: httpx.AsyncClient, query: str, code: str
) -> None:
    body = (await caller.post("/graphql", json={"query": query})).json()
    assert [error["extensions"]["code"] for error in body["errors"]] == [code], body
