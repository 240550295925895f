"""The load test's users: demo personas reading site lists, site sheets and territory
statistics, and now and then writing a comment. Run by ``make load`` (tests/load/run.py),
which starts the hub and hands the personas' tokens over in LOAD_TOKENS (a JSON list).

A GraphQL answer with ``errors`` counts as a failure, whatever its HTTP status.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import random
from typing import Any

from locust import FastHttpUser, between, events, task
from locust.env import Environment

DEPARTEMENT = "31"  # where the personas work (hub/demo/reference.py)
SITE_IDS = """query { sites(first: 100, filter: {locations: [{level: DEPARTEMENT, code: "31"}]}) {
  nodes { id } } }"""
SITE_LIST = """query ($first: Int!, $statuses: [SiteStatus!]) {
  sites(first: $first, filter: {statuses: $statuses},
        orderBy: {field: UPDATED_AT, direction: DESC}) {
    totalCount pageInfo { endCursor hasNextPage }
    nodes { id name status fieldType updatedAt commune { name } departement { code }
      population { total minors } livingConditions { water { status } } } } }"""
SITE_SHEET = """query ($id: ID!) { site(id: $id) { id version name status fieldType declaredAt
  installedAt updatedAt outOfDate commune { code name } epci { name } departement { name }
  population { total households women minors minorsInSchool origins }
  livingConditions { water { status } electricity { status } waste { status } }
  lifecycle { status closedAt } actors { themes createdAt } actions { id name }
  journal(first: 10) { totalCount nodes { id body tags createdAt } }
  history(first: 5) { totalCount } } }"""
TERRITORY_STATS = """query ($code: String!) { territory(level: DEPARTEMENT, code: $code) {
  name stats { openSites people minors minorsInSchool households sitesWithoutIntervention
    sitesWithActions sitesOutOfDate shareWithWater shareWithElectricity } } }"""
COMMENT = """mutation ($input: CreateCommentInput!) { createComment(input: $input) {
  comment { id } errors { field code message } } }"""

_TOKENS = itertools.cycle(json.loads(os.environ.get("LOAD_TOKENS", "[]")) or [None])


class Persona(FastHttpUser):
    """One demo persona (tokens are dealt in turn), thinking 0.1 to 1 s between requests."""

    wait_time = between(0.1, 1.0)

    def on_start(self) -> None:
        token = next(_TOKENS)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = self.graphql("site ids", SITE_IDS, {})
        self.site_ids: list[str] = [node["id"] for node in data["sites"]["nodes"]] if data else []

    def graphql(self, name: str, query: str, variables: dict[str, Any]) -> Any:
        """The data of an answer; a failure when it carries errors (top-level or payload)."""
        with self.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers=self.headers,
            name=name,
            catch_response=True,
        ) as response:
            try:
                body = response.json()
            except ValueError:
                response.failure(f"HTTP {response.status_code}, not JSON")
                return None
            errors = body.get("errors") or [
                error for payload in (body.get("data") or {}).values()
                if isinstance(payload, dict) for error in payload.get("errors") or []
            ]  # fmt: skip
            if errors:
                response.failure(json.dumps(errors[0], ensure_ascii=False)[:200])
                return None
            return body["data"]

    @task(10)
    def site_list(self) -> None:
        statuses = random.choice([["OPEN"], ["RESORBED", "CLOSED_BY_JUSTICE"], None])
        self.graphql("site list", SITE_LIST, {"first": 20, "statuses": statuses})

    @task(6)
    def site_sheet(self) -> None:
        if self.site_ids:
            self.graphql("site sheet", SITE_SHEET, {"id": random.choice(self.site_ids)})

    @task(3)
    def territory_stats(self) -> None:
        self.graphql("territory stats", TERRITORY_STATS, {"code": DEPARTEMENT})

    @task(1)
    def comment(self) -> None:
        if self.site_ids:
            site = random.choice(self.site_ids)
            body = {"siteId": site, "body": "Passage de l'équipe (test de charge).", "tags": []}
            self.graphql("comment write", COMMENT, {"input": body})


@events.init.add_listener
def quiet_locust_summary(**_: Any) -> None:
    # The summary below replaces locust's own three wide tables.
    logging.getLogger("locust.stats_logger").disabled = True


@events.quitting.add_listener
def print_summary(environment: Environment, **_: Any) -> None:
    """Throughput and latency percentiles per operation, then the errors, in one table."""
    stats = environment.stats
    assert stats is not None
    print(f"\n{'operation':<16} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'p99 ms':>7} {'errors':>6}")  # fmt: skip
    for entry in [*sorted(stats.entries.values(), key=lambda e: e.name), stats.total]:
        percentiles = [entry.get_response_time_percentile(p) for p in (0.5, 0.95, 0.99)]
        print(
            f"{entry.name:<16} {entry.num_requests:>8} {entry.total_rps:>7.1f} "
            + " ".join(f"{p or 0:>7.0f}" for p in percentiles)
            + f" {entry.num_failures:>6}"
        )
    for error in stats.errors.values():
        print(f"error ×{error.occurrences} on {error.name}: {error.error}")
