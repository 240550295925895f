"""Sending an outbox's rows (webhook deliveries, e-mails): due rows are claimed one worker at a
time, sent, and recorded; a failed attempt is retried after a delay doubled at each attempt,
and the row is failed after the last one, kept for the national administrators to see.

A row is claimed by a conditional update (the condition and the change are one statement),
so several workers and nodes may send from the same outbox; a claim lapses after ``LEASE``,
so the rows of a worker that died are sent by another. A row sent whose outcome was not
recorded (the worker died in between) is sent again: delivery is at least once, and each
row carries a stable key its receiver can drop repeats by. A receiver that refuses a row for
good (``GiveUp``: an e-mail address that does not exist) fails it at once: retrying could
only be refused again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import Any, ClassVar, Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from hub.live.announcements import Announcement
from hub.live.bus import BUS, Bus
from hub.models.enums import DeliveryStatus

log = logging.getLogger(__name__)

R = TypeVar("R", bound=Model)

# Rows claimed at once by a worker, and how long a claim holds if the worker dies.
BATCH = 20
LEASE = datetime.timedelta(minutes=2)
# Without an announcement to wake it, a worker looks for due rows this often.
POLL_SECONDS = 1.0
MAX_DELAY_SECONDS = 3600


class Skipped(Exception):
    """The row is not to be sent (its recipient may not read what it concerns, or no longer
    wants it): recorded as skipped, never tried again."""


class GiveUp(Exception):
    """The receiver refused the row for good (``str(error)`` says how): recorded as failed at
    once, never tried again."""


class Outbox(ABC, Generic[R]):
    """Sends the due rows of ``model``, woken by the process's announcements (a new event may
    have queued rows) or every ``POLL_SECONDS`` (retries, rows written by other nodes)."""

    model: ClassVar[type[Any]]
    # What the rows are, in logs ("webhook deliveries").
    what: ClassVar[str]

    def __init__(self, retry_seconds: int, max_attempts: int, bus: Bus = BUS) -> None:
        self.retry_seconds = retry_seconds
        self.max_attempts = max_attempts
        self.bus = bus
        self._wake = asyncio.Event()

    def offer(self, announcement: Announcement) -> None:
        self._wake.set()

    async def run(self) -> None:
        self.bus.add(self)
        try:
            async with self.session():
                while True:
                    try:
                        while await self.send_due():
                            pass
                    except Exception:
                        # The database is down, or a bug: logged, and tried again later.
                        log.exception("Sending %s failed; trying again.", self.what)
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
        finally:
            self.bus.remove(self)

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[None]:
        """What the sending needs while the worker runs (a connection pool)."""
        yield

    def due(self, now: datetime.datetime) -> QuerySet[Any]:
        """The rows to send now, oldest first (subclasses narrow it)."""
        return self.model.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)

    async def send_due(self) -> int:
        """Sends one batch of due rows; how many were claimed."""
        claimed = await self._claim()
        await asyncio.gather(*(self._attempt(row) for row in claimed))
        return len(claimed)

    async def _claim(self) -> list[Any]:
        now = datetime.datetime.now(datetime.UTC)
        rows = await self.due(now).order_by("id").limit(BATCH)
        claimed = []
        for row in rows:
            taken = await self.model.filter(
                id=row.id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
            ).update(next_attempt_at=now + LEASE)
            if taken:
                claimed.append(row)
        return claimed

    async def _attempt(self, row: Any) -> None:
        try:
            error = await self.send(row)
        except Skipped:
            await self.model.filter(id=row.id).update(status=DeliveryStatus.SKIPPED)
            self.count("skipped")
            return
        except GiveUp as refused:
            await self._record(row, str(refused) or type(refused).__name__, final=True)
            return
        await self._record(row, error)

    @abstractmethod
    async def send(self, row: Any) -> str | None:
        """Sends ``row``: None once its receiver took it, else what went wrong (retried);
        raises ``Skipped`` when it is not to be sent, ``GiveUp`` when its receiver refused
        it for good."""

    def count(self, outcome: str) -> None:
        """``delivered``, ``failed`` (an attempt, retried later), ``given_up`` (the last
        attempt failed, or the receiver refused the row for good) or ``skipped``, for the
        metrics."""

    async def after_success(self, row: Any) -> None:
        """Once a row is delivered."""

    async def after_failure(self, row: Any, now: datetime.datetime) -> None:
        """Once an attempt failed (retried or not)."""

    async def _record(self, row: Any, error: str | None, final: bool = False) -> None:
        now = datetime.datetime.now(datetime.UTC)
        attempts = row.attempts + 1
        if error is None:
            await self.model.filter(id=row.id).update(
                status=DeliveryStatus.DELIVERED, attempts=attempts, delivered_at=now,
                last_error=None,
            )  # fmt: skip
            self.count("delivered")
            await self.after_success(row)
            return
        given_up = final or attempts >= self.max_attempts
        self.count("given_up" if given_up else "failed")
        changes: dict[str, Any]
        if given_up:
            changes = {"status": DeliveryStatus.FAILED}
            log.warning("%s %s failed %d times (%s); given up.",
                        self.what, row.id, attempts, error)  # fmt: skip
        else:
            delay = min(self.retry_seconds * 2 ** (attempts - 1), MAX_DELAY_SECONDS)
            changes = {"next_attempt_at": now + datetime.timedelta(seconds=delay)}
        await self.model.filter(id=row.id).update(
            attempts=attempts, last_error=error[:500], **changes
        )
        await self.after_failure(row, now)
