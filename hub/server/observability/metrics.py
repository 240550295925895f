"""Prometheus metrics of the hub, served at ``GET /metrics``.

- ``hub_requests_total{route,method,status}``: requests answered; ``route`` is the route's
  template (``/graphql``, ``/exports/sites.csv``…) or ``unmatched``, never the raw path.
- ``hub_graphql_errors_total{code}``: errors answered, by ``extensions.code``.
- ``hub_graphql_executions_total{executor,reason}``: operations run, by the executor that ran
  them (``compiled`` or ``graphql-core``) and why graphql-core did (``EXECUTION_REASONS``;
  empty for the compiled executor).
- ``hub_request_duration_seconds{route,operation}``: latency; ``operation`` is the GraphQL
  operation's name (``anonymous`` without one, ``other`` past the bounds below), empty for
  other routes.
- ``hub_requests_in_flight``; ``hub_db_pool_connections`` and ``hub_db_pool_idle_connections``
  on PostgreSQL, of the database (``default``) and of its read replica (``replica``); SQLite
  has no pool: nothing is reported.
- ``hub_ws_connections``, open WebSocket connections; ``hub_ws_closes_total{code}``, those the
  hub closed, by close code (``hub.server.live.Close``); ``hub_webhook_deliveries_total{outcome}``,
  webhook deliveries by outcome (``Metrics.webhook_sent``); ``hub_emails_total{outcome}``, the
  e-mail notifications likewise (``Metrics.email_sent``).
- With a read replica (``hub.replicas``): ``hub_replica_fallbacks_total{reason}``, requests
  that could have read from it and read from the primary, by why (``FALLBACK_REASONS``);
  ``hub_replica_state{state}``, 1 for the state the process sees it in (with several workers,
  how many see it so); ``hub_replica_lag_seconds``, its lag at the last check (the largest
  among the workers).

Every label is bounded: operation names must be GraphQL names of at most 64 characters and at
most ``MAX_OPERATIONS`` distinct ones are kept per process, so a client inventing names cannot
grow the series without end.

With ``PROMETHEUS_MULTIPROC_DIR`` set (several workers), prometheus_client's multiprocess mode
adds up the workers' files in that directory at each scrape (the gauges of workers that died
are dropped then); otherwise each app has a registry of its own.

In production ``/metrics`` is served only when ``HUB_METRICS_TOKEN`` is set, to requests
bearing it (``Authorization: Bearer <token>``); elsewhere it is open unless a token is set.
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess
from prometheus_client.exposition import choose_encoder
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tortoise import connections
from tortoise.exceptions import ConfigurationError

from hub.replicas.replica import FALLBACK_REASONS, ReplicaState
from hub.server.http_errors import error_response
from hub.server.observability.operation import OTHER
from hub.settings import Environment, Settings
from schema.execution.plan import REASONS

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
MAX_OPERATIONS = 500
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
# Exports may take tens of seconds; GraphQL reads should take milliseconds.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_DATABASE = "default"
_REPLICA = "replica"
# The executors, as schema.execution.executor names them.
COMPILED, GRAPHQL_CORE = "compiled", "graphql-core"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        own: CollectorRegistry | None = self.registry
        self.multiprocess_dir = os.environ.get(MULTIPROCESS_DIR)
        if self.multiprocess_dir:
            # The metrics write to the shared directory; the registry reads every worker's.
            multiprocess.MultiProcessCollector(self.registry)
            own = None
        self.requests = Counter(
            "hub_requests", "HTTP requests answered.", ["route", "method", "status"], registry=own
        )
        self.errors = Counter(
            "hub_graphql_errors", "Errors answered, by extensions.code.", ["code"], registry=own
        )
        self.executions = Counter(
            "hub_graphql_executions",
            "GraphQL operations run, by executor and why graphql-core ran them.",
            ["executor", "reason"],
            registry=own,
        )
        self.duration = Histogram(
            "hub_request_duration_seconds",
            "Time to answer a request, by route and GraphQL operation.",
            ["route", "operation"],
            buckets=_BUCKETS,
            registry=own,
        )
        self.in_flight = Gauge(
            "hub_requests_in_flight", "Requests being answered.", registry=own,
            multiprocess_mode="livesum",
        )  # fmt: skip
        self.pool_connections = Gauge(
            "hub_db_pool_connections", "Open connections of the database pool.", ["database"],
            registry=own, multiprocess_mode="livesum",
        )  # fmt: skip
        self.pool_idle = Gauge(
            "hub_db_pool_idle_connections", "Idle connections of the database pool.",
            ["database"], registry=own, multiprocess_mode="livesum",
        )  # fmt: skip
        self.replica_fallbacks = Counter(
            "hub_replica_fallbacks",
            "Requests that could read from the read replica and read from the primary, by why.",
            ["reason"],
            registry=own,
        )
        self.replica_state = Gauge(
            "hub_replica_state", "1 for the state the read replica is seen in.", ["state"],
            registry=own, multiprocess_mode="livesum",
        )  # fmt: skip
        self.replica_lag = Gauge(
            "hub_replica_lag_seconds", "The read replica's lag behind the primary, last checked.",
            registry=own, multiprocess_mode="livemax",
        )  # fmt: skip
        self.ws_connections = Gauge(
            "hub_ws_connections", "Open WebSocket connections (subscriptions).", registry=own,
            multiprocess_mode="livesum",
        )  # fmt: skip
        self.ws_closes = Counter(
            "hub_ws_closes", "WebSocket connections the hub closed, by close code.", ["code"],
            registry=own,
        )  # fmt: skip
        self.webhook_attempts = Counter(
            "hub_webhook_deliveries",
            "Webhook deliveries sent (or not), by outcome.",
            ["outcome"],
            registry=own,
        )
        self.emails = Counter(
            "hub_emails", "E-mail notifications sent (or not), by outcome.", ["outcome"],
            registry=own,
        )  # fmt: skip
        self._operations: set[str] = set()

    def observe(
        self,
        route: str,
        method: str,
        status: int,
        operation: str,
        seconds: float,
        error_codes: Iterable[str],
        execution: str | None = None,
    ) -> None:
        """``execution`` as the executor left it: ``compiled``, ``graphql-core: <why>``, or
        None when no GraphQL operation ran."""
        method = method if method in _METHODS else "OTHER"
        self.requests.labels(route, method, str(status)).inc()
        self.duration.labels(route, self._operation(operation)).observe(seconds)
        for code in error_codes:
            self.errors.labels(code if _CODE.fullmatch(code) else OTHER).inc()
        if execution is not None:
            executor, _, why = execution.partition(": ")
            if executor == COMPILED:
                self.executions.labels(COMPILED, "").inc()
            else:
                self.executions.labels(GRAPHQL_CORE, why if why in REASONS else OTHER).inc()
        self.observe_pool()

    # The replica's observer (hub.replicas.replica.ReplicaObserver).
    def replica_checked(self, state: ReplicaState, lag: float | None) -> None:
        for each in ReplicaState:
            self.replica_state.labels(each.value).set(1 if each is state else 0)
        if lag is not None:
            self.replica_lag.set(lag)

    def replica_fell_back(self, reason: str) -> None:
        self.replica_fallbacks.labels(reason if reason in FALLBACK_REASONS else OTHER).inc()

    def ws_closed(self, code: int) -> None:
        self.ws_closes.labels(str(code)).inc()

    def webhook_sent(self, outcome: str) -> None:
        """``delivered``, ``failed`` (an attempt, retried later), ``given_up`` (the last
        attempt failed) or ``skipped`` (the application may not read the event)."""
        self.webhook_attempts.labels(outcome).inc()

    def email_sent(self, outcome: str) -> None:
        """``delivered``, ``failed`` (an attempt, retried later), ``given_up`` (the last
        attempt failed, or the server refused the recipient for good) or ``skipped`` (the
        recipient may not read what it is about, or turned the kind off)."""
        self.emails.labels(outcome).inc()

    def _operation(self, name: str) -> str:
        if name not in self._operations:
            if len(self._operations) >= MAX_OPERATIONS:
                return OTHER
            self._operations.add(name)
        return name

    def exposition(self, accept: str) -> tuple[bytes, str]:
        """The metrics in the format the scraper accepts, and its content type."""
        self.observe_pool()
        if self.multiprocess_dir:
            _forget_dead_workers(Path(self.multiprocess_dir))
        encoder, content_type = choose_encoder(accept)
        return encoder(self.registry), content_type

    def observe_pool(self) -> None:
        try:
            client = connections.get(_DATABASE)
        except (ConfigurationError, RuntimeError):  # not connected (yet), or closed
            return
        self._observe_pool(_DATABASE, client)
        replica = getattr(client, "replica", None)
        if replica is not None:
            self._observe_pool(_REPLICA, replica.client)

    def _observe_pool(self, database: str, client: object) -> None:
        # An asyncpg pool (possibly wrapped); SQLite's client has none.
        pool = getattr(client, "_pool", None)
        size, idle = getattr(pool, "get_size", None), getattr(pool, "get_idle_size", None)
        if callable(size) and callable(idle):
            self.pool_connections.labels(database).set(size())
            self.pool_idle.labels(database).set(idle())


def metrics_routes(settings: Settings, metrics: Metrics) -> list[Route]:
    """``GET /metrics``, or nothing in production without a token."""
    token = settings.metrics_token
    if token is None and settings.environment is Environment.PRODUCTION:
        return []

    async def endpoint(request: Request) -> Response:
        if token is not None and not _bears(request, token):
            return error_response(
                401,
                "UNAUTHENTICATED",
                "The metrics need the metrics token.",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        body, content_type = metrics.exposition(request.headers.get("accept", ""))
        return Response(body, headers={"Content-Type": content_type})

    return [Route("/metrics", endpoint, methods=["GET"])]


def _forget_dead_workers(directory: Path) -> None:
    # uvicorn replaces a worker that died without telling prometheus_client: its in-flight
    # and pool gauges would be added up for ever.
    for path in directory.glob("gauge_live*_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, str(directory))
        except PermissionError:  # alive, under another user
            pass


def _bears(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )
