"""Database faults: told apart from bugs, answered as SERVICE_UNAVAILABLE, never explained.

A fault is the database being down, restarting, frozen, read-only, locked or too slow: the
request could succeed as it is a few seconds later. The client gets one opaque message and
code (HTTP 503 with ``Retry-After`` outside GraphQL); the log gets the driver's reason with
an id the client also sees, at WARNING and without a traceback (a fault is not a bug).
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import Iterator
from types import TracebackType

import asyncpg
from tortoise.exceptions import DBConnectionError

from hub.errors import HubError

log = logging.getLogger("hub.errors")

MESSAGE = "The database is unavailable; retry in a few seconds."
RETRY_AFTER_SECONDS = 5

_FAULTS = (
    asyncpg.PostgresConnectionError,  # class 08: connection lost, refused by the server
    asyncpg.OperatorInterventionError,  # class 57: shutdown, starting up, statement timeout
    asyncpg.InsufficientResourcesError,  # class 53: too many connections, disk full
    asyncpg.LockNotAvailableError,
    asyncpg.ReadOnlySQLTransactionError,  # a standby, or default_transaction_read_only
    asyncpg.IdleInTransactionSessionTimeoutError,
    # The driver's view of a connection the server is closing under it (its farewell
    # message has arrived, the end of the stream not yet).
    asyncpg.InternalClientError,
    DBConnectionError,  # tortoise: the database does not exist (any more)
)
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
# Modules whose frames show that an OSError or a timeout happened while talking to the
# database (and not, say, while writing an export's temporary file).
_DRIVERS = ("tortoise.", "asyncpg.", "aiosqlite.")


class DatabaseUnavailable(HubError):
    code = "SERVICE_UNAVAILABLE"

    def __init__(self, error_id: str) -> None:
        super().__init__(MESSAGE, errorId=error_id)


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _raised_by_driver(traceback: TracebackType | None) -> bool:
    while traceback is not None:
        if traceback.tb_frame.f_globals.get("__name__", "").startswith(_DRIVERS):
            return True
        traceback = traceback.tb_next
    return False


def _is_fault(error: BaseException) -> bool:
    if isinstance(error, _FAULTS):
        return True
    if isinstance(error, sqlite3.OperationalError):
        # The primary result code (the low byte): BUSY and LOCKED, with their variants.
        return getattr(error, "sqlite_errorcode", 0) & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    # Refused or reset connections, unreachable hosts, connect and pool timeouts.
    return isinstance(error, OSError | TimeoutError) and _raised_by_driver(error.__traceback__)


def database_fault(error: BaseException | None) -> BaseException | None:
    """The database fault behind ``error`` (itself or what it wraps), if there is one."""
    if error is None:
        return None
    return next((cause for cause in _chain(error) if _is_fault(cause)), None)


def report(fault: BaseException, where: object) -> str:
    """Logs a fault once, with a new id for the client to quote; the id."""
    error_id = uuid.uuid4().hex[:12]
    log.warning(
        "Database unavailable %s at %s: %s: %s", error_id, where, type(fault).__name__, fault
    )
    return error_id
