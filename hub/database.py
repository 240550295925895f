"""Database set-up: tortoise configuration, connection lifecycle, migrations, and the one
client every statement goes through (to the primary, or to a read replica: hub.replicas)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from tortoise import Tortoise, connections
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import TransactionContext, TransactionContextPooled
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.exceptions import TransactionManagementError
from tortoise.expressions import Q
from tortoise.migrations.api.migrate import migrate as tortoise_migrate

from hub.replicas import routing
from hub.replicas.replica import Replica
from hub.settings import Settings

T = TypeVar("T")

APP = "hub"
MODELS_MODULE = "hub.models"
MIGRATIONS_MODULE = "hub.migrations"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for PostgreSQL or an in-memory database."""
    if not url.startswith("sqlite://"):
        return None
    path = url.removeprefix("sqlite://").split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def without_password(url: str) -> str:
    """A database URL as logs and messages show it: its password, if any, as ``***``."""
    return re.sub(r"(//[^/:@]*):[^/@]*@", r"\1:***@", url)


def normalize_url(url: str) -> str:
    """Accept postgresql:// as well as tortoise's postgres://; create SQLite folders."""
    if url.startswith("postgresql://"):
        url = "postgres://" + url.removeprefix("postgresql://")
    file = sqlite_file(url)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
    return url


@dataclass(frozen=True)
class Bounds:
    """How long a database call may take, in seconds, and how many connections it may use."""

    connect: float = Settings.db_connect_timeout
    statement: float = Settings.db_statement_timeout
    pool_wait: float = Settings.db_pool_timeout
    pool_size: int = Settings.db_pool_size

    @classmethod
    def of(cls, settings: Settings) -> Bounds:
        return cls(
            settings.db_connect_timeout,
            settings.db_statement_timeout,
            settings.db_pool_timeout,
            settings.db_pool_size,
        )


# A transaction left idle this long (its process frozen, say) is ended by the server, so
# that its locks do not block everyone else.
IDLE_IN_TRANSACTION_SECONDS = 60
# The client gives up on a statement this long after the server should have cancelled it:
# only a frozen or unreachable server gets that far.
CLIENT_GRACE_SECONDS = 1


def _milliseconds(seconds: float) -> str:
    return str(max(1, round(seconds * 1000)))


def _bounded(url: str, bounds: Bounds) -> dict[str, Any]:
    """tortoise's connection description of ``url``, with every call time-bounded.

    Parameters given in the URL's query string win over the bounds.
    """
    info = expand_db_url(url)
    credentials = info["credentials"]
    if info["engine"] == "tortoise.backends.sqlite":
        # A locked database (another writer) is waited for this long, then fails.
        credentials.setdefault("busy_timeout", _milliseconds(bounds.statement))
        return info
    info["engine"] = __name__  # BoundedPostgresClient below
    credentials.setdefault("timeout", bounds.connect)
    credentials.setdefault("command_timeout", bounds.statement + CLIENT_GRACE_SECONDS)
    credentials.setdefault("acquire_timeout", bounds.pool_wait)
    # No floor of open connections: while the database is down asyncpg would keep trying to
    # restore it (with a traceback in the log each time). Connections open on first use.
    credentials.setdefault("minsize", 0)
    credentials.setdefault("maxsize", bounds.pool_size)
    credentials["server_settings"] = {
        "statement_timeout": _milliseconds(bounds.statement),
        "idle_in_transaction_session_timeout": _milliseconds(IDLE_IN_TRANSACTION_SECONDS),
    }
    return info


class _BoundedAcquire:
    """An asyncpg pool whose ``acquire()`` and ``release()`` (all tortoise calls) wait a
    bounded time: without a bound, releasing a connection of a frozen server (asyncpg resets
    it) would wait for ever.

    The acquire is bounded with ``asyncio.timeout`` rather than asyncpg's own ``timeout=``,
    which runs each acquire in a task of its own (measured: 3 to 4 ms on a site sheet of 32
    statements on PostgreSQL).
    """

    def __init__(self, pool: asyncpg.Pool, timeout: float) -> None:
        self._pool = pool
        self._timeout = timeout

    async def acquire(self) -> Any:
        async with asyncio.timeout(self._timeout):
            return await self._pool.acquire()

    async def release(self, connection: Any) -> None:
        await self._pool.release(connection, timeout=self._timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


class _RolledBackTransaction(TransactionContextPooled):
    """A transaction that is always rolled back before its connection returns to the pool.

    tortoise skips the rollback when the error is a ``TransactionManagementError``, which is
    how it translates every PostgreSQL error of class 25: a write refused by a read-only
    database among them. The connection then went back to the pool inside its transaction,
    and asyncpg logged an ERROR for each ("Resetting connection with an active
    transaction") before rolling it back itself.
    """

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        client = self.client
        try:
            if exc_type is TransactionManagementError and not client._finalized:
                connection = client._connection
                if connection is not None and connection.is_in_transaction():
                    await client.rollback()
        finally:
            await super().__aexit__(exc_type, exc_val, exc_tb)
        if exc_type is None:
            # Committed: the request's later reads must see it (hub.replicas.routing).
            routing.committed()


async def _nothing_to_reset(_: asyncpg.Connection) -> None:
    """What asyncpg runs when a connection returns to the pool, after rolling back an open
    transaction. By default it also sends ``RESET ALL``, ``CLOSE ALL``, ``UNLISTEN *`` and
    unlocks advisory locks: one more round trip for each of a request's statements, for
    session state the hub never changes (its settings are the connection's start-up ones)."""


class BoundedPostgresClient(AsyncpgDBClient):
    """tortoise's asyncpg client, time-bounded, and sending the reads a request may read
    from the replica (``hub.replicas``) to ``replica`` when it is set: the one place where
    every statement of the hub, the ORM's and its own SQL, goes through. Transactions, and
    the statements that write, always run here, on the primary."""

    # The replica, on the primary's client (hub.server.replicas sets it).
    replica: Replica | None = None

    def __init__(self, acquire_timeout: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.acquire_timeout = acquire_timeout

    def _replica_for(self, statement: str) -> tuple[Replica, routing.Reads] | None:
        """The replica, if this statement reads from it."""
        replica, reads = self.replica, routing.current()
        if replica is None or reads is None or not reads.replica_allowed:
            return None
        if not routing.is_read(statement) or not replica.chosen_by(reads):
            return None
        return replica, reads

    async def _routed(self, statement: str, run: Callable[[AsyncpgDBClient], Awaitable[T]]) -> T:
        """``run`` on the replica when the statement reads from it, else on the primary; a
        read the replica failed goes to the primary when ``Replica.failed`` says so."""
        chosen = self._replica_for(statement)
        if chosen is not None:
            replica, reads = chosen
            try:
                return await run(replica.client)
            except Exception as error:
                if not replica.failed(reads, error):
                    raise
        return await run(self)

    # The reads tortoise and the hub's own SQL send (execute_insert and execute_many write).
    async def execute_query(
        self, query: str, values: list[Any] | None = None
    ) -> tuple[int, list[dict[Any, Any]]]:
        return await self._routed(
            query, lambda client: AsyncpgDBClient.execute_query(client, query, values)
        )

    async def execute_query_dict(
        self, query: str, values: list[Any] | None = None
    ) -> list[dict[Any, Any]]:
        return await self._routed(
            query, lambda client: AsyncpgDBClient.execute_query_dict(client, query, values)
        )

    async def create_pool(self, **kwargs: Any) -> Any:
        pool = await super().create_pool(reset=_nothing_to_reset, **kwargs)
        return _BoundedAcquire(pool, self.acquire_timeout)

    def _in_transaction(self) -> TransactionContext:
        return _RolledBackTransaction(TransactionWrapper(self), self._pool_init_lock)


# tortoise finds a backend's client class under this name in its engine module.
client_class = BoundedPostgresClient


def tortoise_config(database_url: str, bounds: Bounds | None = None) -> dict[str, Any]:
    """tortoise's configuration; with ``bounds`` every database call is time-bounded."""
    url = normalize_url(database_url)
    return {
        "connections": {"default": url if bounds is None else _bounded(url, bounds)},
        "apps": {
            APP: {
                "models": [MODELS_MODULE],
                "migrations": MIGRATIONS_MODULE,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def connect(
    database_url: str, *, shared_across_tasks: bool = False, bounds: Bounds | None = None
) -> None:
    """Open the connections, time-bounded by ``bounds`` (the defaults if not given).

    tortoise keeps them in a context variable: a server that connects in its lifespan task
    must share them with the request tasks (``shared_across_tasks``).
    """
    await Tortoise.init(
        config=tortoise_config(database_url, bounds or Bounds()),
        _enable_global_fallback=shared_across_tasks,
    )


async def disconnect() -> None:
    await Tortoise.close_connections()


def replica_client(url: str, bounds: Bounds) -> BoundedPostgresClient:
    """A client of a PostgreSQL replica with the primary's bounds; not one of tortoise's
    connections (models and transactions never use it directly)."""
    info = _bounded(normalize_url(url), bounds)
    return BoundedPostgresClient(**info["credentials"], connection_name="replica")


def primary_client() -> BoundedPostgresClient | None:
    """The client of the PostgreSQL database (None on SQLite, which has no replicas)."""
    client = connections.get("default")
    return client if isinstance(client, BoundedPostgresClient) else None


async def migrate(database_url: str) -> None:
    """Apply every pending migration of hub/migrations (the same files on every database)."""
    await tortoise_migrate(config=tortoise_config(database_url))


class StatementCounter(logging.Handler):
    """Counts the SQL statements tortoise sends (it logs each one at DEBUG level)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Statements are logged as "%s: %s" (SQL, parameters); other messages are not SQL.
        if record.msg == "%s: %s" and isinstance(record.args, tuple):
            self.statements.append(str(record.args[0]))

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_statements() -> Iterator[StatementCounter]:
    logger = logging.getLogger("tortoise.db_client")
    counter = StatementCounter()
    previous_level = logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous_level)


# Filled by ``hub makemigrations`` for tortoise's own command line, which reads a module path.
CLI_CONFIG: dict[str, Any] = {}


def lookup(path: str, value: object) -> Q:
    """``Q(path=value)`` for a path known only at run time: tortoise types ``Q(**kwargs)``
    so that a computed dict does not type-check."""
    kwargs: dict[str, Any] = {path: value}
    return Q(**kwargs)
