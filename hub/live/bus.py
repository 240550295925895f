"""The process's dispatcher: announcements in, to the subscriptions that want them.

A subscription's queue is bounded: a consumer that falls that many announcements behind is
told once (``on_overflow``, which the server answers by closing its connection) and gets
``SlowConsumer`` at its next read, instead of holding an ever-growing backlog in memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from hub.live.announcements import Announcement

log = logging.getLogger(__name__)


class SlowConsumer(Exception):
    """The subscriber fell behind by more than its queue holds."""


class Subscription:
    def __init__(
        self,
        bus: Bus,
        wants: Callable[[Announcement], bool],
        size: int,
        on_overflow: Callable[[], None] | None = None,
    ) -> None:
        self._bus = bus
        self._wants = wants
        self._queue: asyncio.Queue[Announcement] = asyncio.Queue(maxsize=size)
        self._on_overflow = on_overflow
        self.overflowed = False

    def offer(self, announcement: Announcement) -> None:
        if self.overflowed or not self._wants(announcement):
            return
        try:
            self._queue.put_nowait(announcement)
        except asyncio.QueueFull:
            self.overflowed = True
            log.warning("A subscriber fell %d events behind: dropped.", self._queue.maxsize)
            if self._on_overflow is not None:
                self._on_overflow()

    async def next(self) -> Announcement:
        if self.overflowed:
            raise SlowConsumer
        return await self._queue.get()

    def close(self) -> None:
        self._bus.remove(self)


class Receiver(Protocol):
    def offer(self, announcement: Announcement) -> None:
        """Takes what it wants of an announcement, at once (it must not block the bus)."""


class Bus:
    def __init__(self) -> None:
        self._receivers: set[Receiver] = set()
        self.published = 0

    def subscribe(
        self,
        wants: Callable[[Announcement], bool],
        size: int = 100,
        on_overflow: Callable[[], None] | None = None,
    ) -> Subscription:
        subscription = Subscription(self, wants, size, on_overflow)
        self.add(subscription)
        return subscription

    def add(self, receiver: Receiver) -> None:
        self._receivers.add(receiver)

    def remove(self, receiver: Receiver) -> None:
        self._receivers.discard(receiver)

    def publish(self, announcement: Announcement) -> None:
        self.published += 1
        for receiver in list(self._receivers):
            receiver.offer(announcement)

    def __len__(self) -> int:
        return len(self._receivers)


# One per process: every worker and node has its own, fed by the database (``postgres``).
BUS = Bus()
