"""Which executor ran each operation, through the real app: in the access line (``execution``)
and counted in ``hub_graphql_executions_total`` with a bounded reason; and the answers'
JSON, encoded by orjson, with the same content as json's."""

from __future__ import annotations

import dataclasses
import json

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hub.server.app import HubGraphQL, create_app
from hub.server.auth.middleware import Authenticator
from hub.server.ratelimit import RateLimits
from hub.settings import Settings, SettingsError
from tests.support import Captured, error_codes, graphql

QUERY = "query Nation { territory(level: NATION) { name } }"
MUTATION = 'mutation Delete { deleteComment(id: "Q29tbWVudDow") { deletedId errors { code } } }'
INTROSPECTION = "query Types { __schema { queryType { name } } }"
EXECUTIONS = "hub_graphql_executions_total"


def executions(metrics: str) -> dict[tuple[str, str], float]:
    return {
        (sample.labels["executor"], sample.labels["reason"]): sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == EXECUTIONS
    }


async def test_each_operation_says_which_executor_ran_it(
    client: httpx.AsyncClient, logs: Captured
) -> None:
    assert (await graphql(client, QUERY))["data"] == {"territory": {"name": "France"}}
    deleted = await graphql(client, MUTATION)
    assert deleted["data"]["deleteComment"]["deletedId"] is None
    await graphql(client, INTROSPECTION)
    refused = await graphql(client, "query Broken { noSuchField }")
    assert error_codes(refused) == ["GRAPHQL_VALIDATION_FAILED"]
    metrics = (await client.get("/metrics")).text
    assert [(line["operation"], line["execution"]) for line in logs.access()] == [
        ("Nation", "compiled"),
        ("Delete", "graphql-core: mutation"),
        ("Types", "graphql-core: introspection"),
        ("Broken", None),  # refused before it ran
        (None, None),  # /metrics
    ]
    assert executions(metrics) == {
        ("compiled", ""): 1,
        ("graphql-core", "mutation"): 1,
        ("graphql-core", "introspection"): 1,
    }


async def test_with_compiled_reads_off_graphql_core_runs_every_query(
    settings: Settings, admin_token: str
) -> None:
    app = create_app(dataclasses.replace(settings, compiled_reads=False), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {admin_token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        client.headers.update(headers)
        assert (await graphql(client, QUERY))["data"] == {"territory": {"name": "France"}}
        metrics = (await client.get("/metrics")).text
    assert executions(metrics) == {("graphql-core", "off"): 1}


async def test_answers_are_utf8_json(client: httpx.AsyncClient) -> None:
    query = 'query Region { territory(level: REGION, code: "11") { name } }'
    response = await client.post("/graphql", json={"query": query})
    assert response.headers["content-type"] == "application/json"
    # orjson writes UTF-8 as is, where json wrote "\u00cele-de-France".
    assert '{"data":{"territory":{"name":"Île-de-France"}}}'.encode() == response.content


def test_answers_are_the_json_that_json_would_write(settings: Settings) -> None:
    view = HubGraphQL(
        settings, Authenticator.from_settings(settings), RateLimits.from_settings(settings)
    )
    answer = {
        "data": {"territory": {"name": "Île-de-France", "population": 12_300_000, "share": 0.1}},
        "errors": [{"message": "«Non»", "path": ["sites", 0, "name"], "extensions": {}}],
    }
    assert json.loads(view.encode_json(answer)) == answer
    # What orjson refuses, json encodes, as before.
    for unusual in ({"data": {"big": 2**70}}, {"data": {1: "a key that is not a string"}}):
        assert view.encode_json(unusual) == json.dumps(unusual, separators=(",", ":"))


def test_hub_compiled_reads_is_on_or_off() -> None:
    assert Settings.from_environ({}).compiled_reads
    assert not Settings.from_environ({"HUB_COMPILED_READS": "off"}).compiled_reads
    assert Settings.from_environ({"HUB_COMPILED_READS": "ON"}).compiled_reads
    with pytest.raises(SettingsError, match="HUB_COMPILED_READS"):
        Settings.from_environ({"HUB_COMPILED_READS": "fast"})
