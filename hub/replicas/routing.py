"""Which server a request reads from, kept in a context variable for ``hub.database``.

A request reads from the replica only inside ``reading(replica=True)``: the server opens it
for a query sent over HTTP, and for an export, by a caller who did not write in the last
``HUB_REPLICA_READ_YOUR_WRITES_SECONDS`` (``hub.server.replicas``). Everything else
(mutations, subscriptions, building the caller from its token, the hub's own background
work) runs outside it, or with ``replica=False``, and reads from the primary.

The server is chosen at the request's first read (``Replica.chosen_by``) and kept to its end,
so that one answer is not read from two servers at different points of the log. A
transaction committed during the request (``committed``, called by ``hub.database``) sends
the request's later reads to the primary, and tells the server that its caller wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum


class Source(Enum):
    PRIMARY = "primary"
    REPLICA = "replica"


@dataclass
class Reads:
    """How one request reads."""

    # The request may read from the replica, while it is healthy.
    replica_allowed: bool
    # The server its reads go to, once its first read has chosen.
    source: Source | None = None
    # A transaction of the request committed.
    wrote: bool = False


_reads: ContextVar[Reads | None] = ContextVar("hub_reads", default=None)


@contextmanager
def reading(*, replica: bool) -> Iterator[Reads]:
    """The reads of the block (and of the tasks it starts) go to the replica if ``replica``
    and it is healthy at the block's first read; to the primary otherwise."""
    reads = Reads(replica)
    token = _reads.set(reads)
    try:
        yield reads
    finally:
        _reads.reset(token)


def current() -> Reads | None:
    return _reads.get()


def committed() -> None:
    """A transaction of the running request has committed: the request's later reads must
    see it, so they go to the primary."""
    reads = _reads.get()
    if reads is not None:
        reads.wrote = True
        reads.source = Source.PRIMARY


def is_read(statement: str) -> bool:
    """Whether a statement only reads, by its first word: ``SELECT`` or ``WITH`` (a WITH that
    writes fails on the replica as read-only, and is then sent to the primary)."""
    return statement.lstrip()[:6].upper().startswith(("SELECT", "WITH"))
