"""The read replica as this process sees it: its client, its state, and what happens when a
read cannot go to it.

The state comes from the monitor's checks (``hub.replicas.monitor``) and, between two checks,
from a read the replica failed: such a read is sent to the primary at once, and the replica
is left aside until a check finds it healthy again. Each change of state is logged once;
each request that wanted the replica and read from the primary is counted, with why
(``ReplicaObserver``, the server's metrics).
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any, Protocol

import asyncpg

from hub.faults import database_fault
from hub.replicas.routing import Reads, Source

log = logging.getLogger(__name__)


class ReplicaState(StrEnum):
    # Not checked yet, or not yet seen holding a position the primary reported.
    UNKNOWN = "unknown"
    OK = "ok"
    # Further behind the primary than HUB_REPLICA_MAX_LAG_SECONDS.
    LAGGING = "lagging"
    # It does not answer, or failed a read.
    UNAVAILABLE = "unavailable"
    # It answers but is not in recovery: promoted, or not a replica at all.
    NOT_STANDBY = "not_standby"


# Why a read that wanted the replica went to the primary: a state but OK, or ERROR when the
# replica failed the read itself.
ERROR = "error"
FALLBACK_REASONS = tuple(state.value for state in ReplicaState if state is not ReplicaState.OK)
FALLBACK_REASONS += (ERROR,)


class ReplicaObserver(Protocol):
    def replica_checked(self, state: ReplicaState, lag: float | None) -> None:
        """After each check: the state, and the lag when it could be measured."""

    def replica_fell_back(self, reason: str) -> None:
        """A request that wanted the replica reads from the primary; ``reason`` is one of
        ``FALLBACK_REASONS``."""


class Unobserved:
    def replica_checked(self, state: ReplicaState, lag: float | None) -> None:
        pass

    def replica_fell_back(self, reason: str) -> None:
        pass


def _replica_at_fault(error: BaseException, fault: BaseException | None) -> bool:
    """Whether a read the replica failed goes to the primary instead: a fault of the replica
    (down, restarting, unreachable, out of connections…), or a read cancelled by its replay
    ("conflict with recovery": rows the read needed were removed). A statement timeout is
    not: the read is slow, and would be as slow on the primary."""
    if fault is not None:
        return not isinstance(fault, asyncpg.QueryCanceledError)
    return isinstance(error, asyncpg.TransactionRollbackError)


class Replica:
    def __init__(self, client: Any, observer: ReplicaObserver | None = None) -> None:
        # A hub.database.BoundedPostgresClient (that module imports this one).
        self.client = client
        self.observer: ReplicaObserver = observer or Unobserved()
        self.state = ReplicaState.UNKNOWN
        self.lag: float | None = None

    def chosen_by(self, reads: Reads) -> bool:
        """Whether a request that may read from the replica does: chosen at its first read,
        and kept."""
        if reads.source is None:
            if self.state is ReplicaState.OK:
                reads.source = Source.REPLICA
            else:
                reads.source = Source.PRIMARY
                self.observer.replica_fell_back(self.state.value)
        return reads.source is Source.REPLICA

    def failed(self, reads: Reads, error: BaseException) -> bool:
        """The replica failed a read: whether to send it to the primary instead (the
        request's later reads go there too). Otherwise the error is the request's."""
        fault = database_fault(error)  # tortoise may wrap the driver's error
        if isinstance(fault, asyncpg.ReadOnlySQLTransactionError):
            # A statement that writes after all: the primary's, and no fault of the replica.
            reads.source = Source.PRIMARY
            return True
        if not _replica_at_fault(error, fault):
            return False
        reads.source = Source.PRIMARY
        self.observer.replica_fell_back(ERROR)
        self.change(
            ReplicaState.UNAVAILABLE,
            None,
            f"unavailable (a read failed: {type(error).__name__}: {error})",
        )
        return True

    def change(self, state: ReplicaState, lag: float | None, detail: str = "") -> None:
        """The state a check found (or a failed read showed), and what to log if it changed:
        ``detail`` completes "Read replica …" for the states but OK and UNKNOWN."""
        previous, self.state, self.lag = self.state, state, lag
        self.observer.replica_checked(state, lag)
        if state is previous:
            return
        if state is ReplicaState.OK:
            log.info(
                "Read replica %s (lag %.1f s): reads go to it.",
                "ready" if previous is ReplicaState.UNKNOWN else "healthy again",
                lag or 0.0,
            )
        elif state is ReplicaState.UNKNOWN:
            log.info("Read replica answers, its lag not known yet: reads go to the primary.")
        else:
            log.warning("Read replica %s: reads go to the primary.", detail)
