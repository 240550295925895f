"""The PostgreSQL listener: one connection per worker, ``LISTEN hub_events``, feeding the bus.

It reconnects with backoff when the connection is lost, and then reads the events committed
meanwhile from the event table (the notifications sent while nobody listened are gone), so
that a subscriber misses nothing across a database restart.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg

from hub.live.announcements import Announcement
from hub.live.bus import BUS, Bus
from hub.live.stream import CHANNEL
from hub.models.events import Event

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (0.5, 1, 2, 5)
HEARTBEAT_SECONDS = 15


class Listener:
    def __init__(self, dsn: str, bus: Bus = BUS) -> None:
        self.dsn = dsn
        self.bus = bus
        self.last_id = 0
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Starts listening; returns once the first LISTEN is in place (or has failed once:
        the hub serves without live updates until the database answers)."""
        last = await Event.all().order_by("-id").only("id").first()
        self.last_id = last.id if last is not None else 0
        self._task = asyncio.create_task(self._run())
        try:
            await asyncio.wait_for(self.connected.wait(), timeout=5)
        except TimeoutError:
            log.warning("Live updates wait for the database: not listening yet.")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        attempt = 0
        while True:
            try:
                connection = await asyncpg.connect(self.dsn)
            except (OSError, asyncpg.PostgresError) as error:
                delay = BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)]
                log.warning("Live updates: cannot listen (%s); retrying in %ss.", error, delay)
                attempt += 1
                await asyncio.sleep(delay)
                continue
            try:
                await self._listen(connection, catch_up=attempt > 0)
                attempt = 0
            except (OSError, TimeoutError, asyncpg.PostgresError) as error:
                log.warning("Live updates: listening failed (%s); reconnecting.", error)
            finally:
                self.connected.clear()
                attempt += 1
                if not connection.is_closed():
                    connection.terminate()

    async def _listen(self, connection: asyncpg.Connection, catch_up: bool) -> None:
        """Listens on ``connection`` until it is lost."""
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _: lost.set())
        await connection.add_listener(CHANNEL, self._notified)
        if catch_up:
            await self._catch_up(connection)
        self.connected.set()
        while not lost.is_set():
            try:
                await asyncio.wait_for(lost.wait(), timeout=HEARTBEAT_SECONDS)
            except TimeoutError:
                # A connection whose server vanished without a word is found out only by
                # using it.
                await asyncio.wait_for(connection.execute("SELECT 1"), timeout=HEARTBEAT_SECONDS)
        log.warning("Live updates: the listening connection was lost; reconnecting.")

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            announcement = Announcement.from_json(payload)
        except (ValueError, KeyError, TypeError) as error:
            log.warning("Live updates: an announcement this hub cannot read (%s).", error)
            return
        self._publish(announcement)

    def _publish(self, announcement: Announcement) -> None:
        # Not a filter: concurrent transactions commit (and notify) out of id order.
        self.last_id = max(self.last_id, announcement.id)
        self.bus.publish(announcement)

    async def _catch_up(self, connection: asyncpg.Connection) -> None:
        """The events committed while nobody listened, read on the listening connection
        itself (LISTEN is already in place: nothing falls between the two)."""
        rows = await connection.fetch("SELECT * FROM event WHERE id > $1 ORDER BY id", self.last_id)
        for row in rows:
            self._publish(Announcement.of_row(row))
