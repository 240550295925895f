"""Which requests may read from the read replica, and the replica's life in a serving process.

May read from it: a GraphQL query sent over HTTP, and an export, by a caller who did not write
in the last ``HUB_REPLICA_READ_YOUR_WRITES_SECONDS``. Read from the primary:

- mutations, their own reads and their answer;
- subscriptions, and every operation over WebSocket: an event is announced when the primary
  commits its change, which the replica may not hold yet;
- what the hub runs for itself (webhook deliveries), for the same reason;
- building the caller from its token (a person's first sign-in links their identity to
  their account, which the next requests must find).

``ReadRouting`` starts with the app (a replica client, its monitor) and stops with it; it
answers for the replica in ``/ready``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from hub import database
from hub.replicas.monitor import ReplicaMonitor
from hub.replicas.replica import Replica, ReplicaObserver
from hub.replicas.routing import reading
from hub.server.auth.middleware import principal_of
from hub.server.live import caller_key
from hub.server.replicas.writers import RecentWriters, recent_writers
from hub.settings import Settings
from permissions.principal import Principal
from resolvers.context import Context

log = logging.getLogger(__name__)


class ReadRouting:
    def __init__(self, settings: Settings, observer: ReplicaObserver) -> None:
        self.settings = settings
        self.observer = observer
        self.replica: Replica | None = None
        self._primary: database.BoundedPostgresClient | None = None
        self._monitor: ReplicaMonitor | None = None
        self._writers: RecentWriters | None = None

    async def start(self) -> None:
        """Once the database is connected: reads may go to the replica, if one is set."""
        url = self.settings.database_replica_url
        if url is None:
            return
        primary = database.primary_client()
        if primary is None:
            log.warning("HUB_DATABASE_REPLICA_URL is ignored: SQLite has no replicas.")
            return
        settings = self.settings
        replica = Replica(database.replica_client(url, database.Bounds.of(settings)), self.observer)
        self._monitor = ReplicaMonitor(
            replica, primary, settings.replica_max_lag_seconds, settings.db_connect_timeout
        )
        self._writers = recent_writers(settings)
        self._primary, self.replica = primary, replica
        primary.replica = replica
        self._monitor.start()
        log.info(
            "Reads may go to the read replica %s while it is healthy.",
            database.without_password(url),
        )

    async def stop(self) -> None:
        if self._monitor is not None:
            await self._monitor.stop()
        if self._primary is not None:
            self._primary.replica = None
        if self.replica is not None:
            await self.replica.client.close()
        if self._writers is not None:
            await self._writers.close()
        self.replica = self._primary = self._monitor = self._writers = None

    async def may_read_from_replica(self, principal: Principal) -> bool:
        """Whether the caller did not write in the last seconds (anonymous callers never do)."""
        caller = caller_key(principal)
        if caller is None or self._writers is None:
            return True
        return not await self._writers.wrote_recently(caller)

    async def wrote(self, principal: Principal) -> None:
        caller = caller_key(principal)
        if caller is not None and self._writers is not None:
            await self._writers.wrote(caller)

    def status(self) -> dict[str, Any]:
        """What ``/ready`` says of the replica: nothing without one."""
        if self.replica is None:
            return {}
        lag = self.replica.lag
        seconds = None if lag is None else round(lag, 3)
        return {"replica": {"state": self.replica.state.value, "lag_seconds": seconds}}

    def extensions(self) -> list[Callable[[], SchemaExtension]]:
        """The schema's extension that routes operations, only where a replica is set: its
        hook would cost every operation something for nothing."""
        if self.settings.database_replica_url is None:
            return []
        return [lambda: RoutedReads(self)]

    def around(self, app: ASGIApp) -> ASGIApp:
        """``app``'s reads may go to the replica (an export's: inside the identity)."""
        return ReadsFromReplica(app, self)


class RoutedReads(SchemaExtension):
    """A query sent over HTTP may read from the replica; a caller whose operation committed a
    write reads from the primary for the next seconds."""

    def __init__(self, routing: ReadRouting) -> None:
        super().__init__()
        self.routing = routing

    async def on_execute(self) -> AsyncIterator[None]:
        if self.routing.replica is None:
            yield
            return
        execution = self.execution_context
        context = execution.context
        over_http = isinstance(context, Context) and context.request is not None
        allowed = (
            over_http
            and execution.operation_type is OperationType.QUERY
            and await self.routing.may_read_from_replica(context.principal)
        )
        with reading(replica=allowed) as reads:
            try:
                yield
            finally:
                if reads.wrote:
                    await self.routing.wrote(context.principal)


class ReadsFromReplica:
    def __init__(self, app: ASGIApp, routing: ReadRouting) -> None:
        self.app = app
        self.routing = routing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.routing.replica is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        allowed = await self.routing.may_read_from_replica(principal_of(scope))
        with reading(replica=allowed):
            await self.app(scope, receive, send)
