"""Logs and metrics through the real app: one JSON access line per request with its request id,
caller, operation and error codes; no token, variable or response value in any log line;
masked errors logged with the request id; /metrics counting requests, errors and operations,
with bounded labels, protected in production; a real `hub serve` logging JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.parser import text_string_to_metric_families

import schema.query
from hub.models import User
from hub.server.app import create_app
from hub.server.observability import metrics as metrics_module
from hub.settings import Environment, Settings
from tests.processes import start_hub
from tests.support import Captured, bearer, graphql

ADMIN = "national_admin@demo.bidonvilles.example"
COUNT = "query SiteCount { sites { totalCount } }"
TOO_LARGE = "query TooLarge { sites(first: 501) { totalCount } }"
BROKEN = 'query Broken { site(id: "U2l0ZTox", asOf: "2024-01-01") { id } }'
METRICS_TOKEN = "metrics-token-0123456789"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(metrics: str, name: str, **labels: str) -> float | None:
    return samples(metrics).get((name, frozenset(labels.items())))


async def test_a_request_is_one_json_access_line(client: httpx.AsyncClient, logs: Captured) -> None:
    response = await client.post(
        "/graphql", json={"query": COUNT}, headers={"X-Request-Id": "req-42.a:b"}
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req-42.a:b"
    admin = await User.get(email=ADMIN)
    (line,) = logs.access()
    assert line["request_id"] == "req-42.a:b"
    assert line["level"] == "INFO" and line["time"].endswith("Z")
    assert line["message"] == "POST /graphql 200"
    assert (line["method"], line["path"], line["route"], line["status"]) == (
        "POST", "/graphql", "/graphql", 200,
    )  # fmt: skip
    assert line["principal"] == f"user:{admin.id}" and line["application_id"] is None
    assert (line["operation"], line["operation_type"]) == ("SiteCount", "query")
    assert line["error_codes"] == []
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    # Every line logged during the request carries its id.
    assert {entry.get("request_id") for entry in logs.parsed()} <= {"req-42.a:b", None}


async def test_an_unusable_request_id_is_replaced(anonymous: httpx.AsyncClient) -> None:
    for given in ("x" * 129, "a b", "<script>"):
        response = await anonymous.get("/health", headers={"X-Request-Id": given})
        replaced = response.headers["x-request-id"]
        assert replaced != given and len(replaced) == 32 and replaced.isalnum()


async def test_error_codes_and_callers_in_the_access_line(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, logs: Captured
) -> None:
    await graphql(client, TOO_LARGE)
    await graphql(anonymous, "{ sites(first: 1) { totalCount } }")
    refused = await anonymous.post("/graphql", json={"query": COUNT}, headers=bearer("not-a-token"))
    assert refused.status_code == 401
    assert (await anonymous.get("/exports/sites.csv")).status_code == 403
    too_large, anonymous_read, unauthenticated, export = logs.access()
    assert (too_large["operation"], too_large["error_codes"]) == ("TooLarge", ["BAD_USER_INPUT"])
    assert anonymous_read["principal"] == "anonymous"
    assert (anonymous_read["operation"], anonymous_read["error_codes"]) == ("anonymous", [])
    # Refused outside GraphQL: the codes come from the refusals themselves.
    assert unauthenticated["status"] == 401 and unauthenticated["operation"] is None
    assert unauthenticated["error_codes"] == ["UNAUTHENTICATED"]
    assert (export["route"], export["status"]) == ("/exports/sites.csv", 403)
    assert export["error_codes"] == ["FORBIDDEN"]


async def test_tokens_variables_and_answers_never_reach_the_log(
    settings: Settings, admin_token: str, logs: Captured
) -> None:
    marker = "zq-variable-marker-7341"
    app = create_app(settings, manage_database=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hub.test"
    ) as http:
        searched = await graphql(
            http,
            "query Search($q: String) { sites(filter: {search: $q}) { totalCount } }",
            {"q": marker},
            token=admin_token,
        )
        read = await graphql(
            http, "{ sites(first: 20) { nodes { name address } } }", token=admin_token
        )
        await http.get("/graphql", params={"query": "{ me { role } }", "variables": marker})
    assert searched["data"]["sites"]["totalCount"] == 0
    answers = {text for site in read["data"]["sites"]["nodes"] for text in site.values() if text}
    assert len(answers) >= 10
    text = "\n".join(logs.lines)
    assert len(logs.access()) == 3
    for secret in (admin_token, admin_token.split(".")[2], marker, *answers):
        assert secret not in text


async def test_a_masked_error_is_logged_as_json_with_the_request_id(
    client: httpx.AsyncClient, logs: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object) -> None:
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(schema.query, "site_as_of", broken)
    response = await client.post(
        "/graphql", json={"query": BROKEN}, headers={"X-Request-Id": "fault-1"}
    )
    error_id = response.json()["errors"][0]["extensions"]["errorId"]
    (fault,) = [line for line in logs.parsed() if line["logger"] == "hub.errors"]
    assert fault["level"] == "ERROR" and fault["request_id"] == "fault-1"
    assert error_id in fault["message"]
    assert fault["exception_type"] == "RuntimeError"
    assert (
        fault["exception"].startswith("Traceback") and "the disk is on fire" in fault["exception"]
    )
    (line,) = logs.access()
    assert line["request_id"] == "fault-1" and line["error_codes"] == ["INTERNAL"]


async def test_metrics_count_requests_errors_and_operations(
    client: httpx.AsyncClient, backend: str
) -> None:
    for _ in range(2):
        await graphql(client, COUNT)
    await graphql(client, TOO_LARGE)
    await client.get("/exports/sites.csv")
    await client.get("/no/such/page")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    requests = "hub_requests_total"
    assert value(text, requests, route="/graphql", method="POST", status="200") == 3
    assert value(text, requests, route="/exports/sites.csv", method="GET", status="200") == 1
    assert value(text, requests, route="unmatched", method="GET", status="404") == 1
    assert not [key for key in samples(text) if "/no/such/page" in str(key)]
    assert value(text, "hub_graphql_errors_total", code="BAD_USER_INPUT") == 1
    duration = "hub_request_duration_seconds_count"
    assert value(text, duration, route="/graphql", operation="SiteCount") == 2
    assert value(text, duration, route="/graphql", operation="TooLarge") == 1
    assert value(text, duration, route="/exports/sites.csv", operation="") == 1
    # The scrape itself is in flight.
    assert value(text, "hub_requests_in_flight") == 1
    pool = value(text, "hub_db_pool_connections", database="default")
    if backend == "postgres":
        assert pool is not None and pool >= 1
    else:
        assert pool is None


async def test_operation_labels_are_bounded(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metrics_module, "MAX_OPERATIONS", 2)
    long_name = "Q" * 65
    for name in ("First", "Second", "Third", long_name):
        await graphql(client, f"query {name} {{ __typename }}")
    await graphql(client, "{ __typename }")
    text = (await client.get("/metrics")).text
    operations = {
        dict(labels)["operation"]
        for name, labels in samples(text)
        if name == "hub_request_duration_seconds_count" and dict(labels)["route"] == "/graphql"
    }
    assert operations == {"First", "Second", "other"}


@pytest.fixture
def production(settings: Settings) -> Settings:
    return replace(settings, environment=Environment.PRODUCTION)


async def _get_metrics(settings: Settings, headers: dict[str, str]) -> httpx.Response:
    app = create_app(settings, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        return await http.get("/metrics", headers=headers)


async def test_metrics_in_production_need_the_metrics_token(production: Settings) -> None:
    assert (await _get_metrics(production, {})).status_code == 404
    guarded = replace(production, metrics_token=METRICS_TOKEN)
    for headers in ({}, bearer("metrics-token-wrong-guess"), {"Authorization": METRICS_TOKEN}):
        refused = await _get_metrics(guarded, headers)
        assert refused.status_code == 401
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "hub_requests_total" not in refused.text
    allowed = await _get_metrics(guarded, bearer(METRICS_TOKEN))
    assert allowed.status_code == 200 and "hub_requests_in_flight" in allowed.text


async def test_opentelemetry_traces_each_request(settings: Settings) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        trace.set_tracer_provider(TracerProvider())
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    for otel in (False, True):
        app = create_app(replace(settings, otel=otel), manage_database=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
            assert (await http.get("/health")).status_code == 200
    (span,) = exporter.get_finished_spans()
    assert span.kind is trace.SpanKind.SERVER
    assert span.attributes is not None and span.attributes.get("http.target") == "/health"
    exporter.shutdown()


def _dead_worker_in_flight(directory: Path, requests: float) -> None:
    """What a worker that died while answering ``requests`` leaves in the directory."""
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                           capture_output=True)  # fmt: skip
    gauge = MmapedDict(str(directory / f"gauge_livesum_{int(ended.stdout)}.db"))
    name, help_text = "hub_requests_in_flight", "Requests being answered."
    gauge.write_value(mmap_key(name, name, [], [], help_text), requests, 0)
    gauge.close()


@pytest.fixture
def served(fresh_db: str, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    multiprocess_dir = tmp_path / "prometheus"
    multiprocess_dir.mkdir()
    _dead_worker_in_flight(multiprocess_dir, requests=5)
    env = {
        "HUB_ENV": "production",
        "HUB_DATABASE_URL": fresh_db,
        "HUB_METRICS_TOKEN": METRICS_TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(multiprocess_dir),
    }
    process, base = start_hub(env, separate_stderr=True)
    try:
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.communicate(timeout=15)


def test_hub_serve_logs_json_in_production(
    served: tuple[str, subprocess.Popen[bytes]],
) -> None:
    base, process = served
    query = {"query": "query Nation { territory(level: NATION) { name } }"}
    response = httpx.post(f"{base}/graphql", json=query, headers={"X-Request-Id": "served-1"})
    assert response.json() == {"data": {"territory": {"name": "France"}}}
    metrics = httpx.get(f"{base}/metrics", headers=bearer(METRICS_TOKEN)).text
    graphql_requests = {"route": "/graphql", "method": "POST", "status": "200"}
    assert value(metrics, "hub_requests_total", **graphql_requests) == 1
    # Only the scrape itself: the dead worker's requests are forgotten.
    assert value(metrics, "hub_requests_in_flight") == 1
    process.terminate()
    stdout, stderr = process.communicate(timeout=15)
    output = stderr.decode()
    assert not stdout, stdout
    try:
        lines = [json.loads(line) for line in output.splitlines()]
    except ValueError:
        pytest.fail(f"a line is not JSON:\n{output}")
    access = [line for line in lines if line["logger"] == "hub.access"]
    served_line = next(line for line in access if line["request_id"] == "served-1")
    assert served_line["operation"] == "Nation" and served_line["status"] == 200
    # One line per request: uvicorn's own access log is off.
    assert len(access) == len({line["request_id"] for line in access})
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]
    assert any(line["message"] == "Application shutdown complete." for line in lines)
    # Which database it serves is a log line too, like everything the server says.
    assert any(line["message"].startswith("Using ") for line in lines)
