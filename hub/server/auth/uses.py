"""When people use the hub, for the reminders and deactivation of unused accounts
(``hub.server.notify.schedule``): noted in memory by the app that identified a person's
request (its ``Authenticator``), written in one statement every minute by its lifespan (and
when it stops).

A request never writes it itself: a read must not wait on a locked database, nor fail with
it, for a figure that only needs a day's precision. A use noted and lost with its process
(killed before its next write) is noted again at the person's next request.
"""

from __future__ import annotations

import asyncio
import datetime
import logging

from tortoise.expressions import Q

from hub.models import User

log = logging.getLogger(__name__)

# How often the noted uses are written.
WRITE_SECONDS = 60.0


def _start_of_day(moment: datetime.datetime) -> datetime.datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


class Uses:
    def __init__(self) -> None:
        # Accounts used since the last write, and when.
        self._pending: dict[int, datetime.datetime] = {}

    def note(self, user: User) -> None:
        """``user`` (as just loaded) uses the hub now; nothing to do if it did earlier today."""
        now = datetime.datetime.now(datetime.UTC)
        if user.last_seen_at is None or user.last_seen_at < _start_of_day(now):
            self._pending.setdefault(user.id, now)

    async def write(self) -> int:
        """Writes the uses noted so far, at most once a day per account however many
        processes noted it (a conditional UPDATE); how many accounts were written."""
        if not self._pending:
            return 0
        pending, self._pending = self._pending, {}
        written = 0
        try:
            for day in sorted({_start_of_day(moment) for moment in pending.values()}):
                ids = [user for user, moment in pending.items() if _start_of_day(moment) == day]
                written += await User.filter(
                    Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=day), id__in=ids
                ).update(last_seen_at=max(pending[user] for user in ids))
        except BaseException:
            # Kept for the next write (newer uses noted meanwhile win).
            self._pending = pending | self._pending
            raise
        return written

    async def run(self) -> None:
        """Writes the noted uses every ``WRITE_SECONDS``, until cancelled (then once more)."""
        try:
            while True:
                await asyncio.sleep(WRITE_SECONDS)
                try:
                    await self.write()
                except Exception:
                    log.warning("Recording when people used the hub failed; trying again.",
                                exc_info=True)  # fmt: skip
        finally:
            try:
                await self.write()
            except Exception:
                log.warning("Recording when people used the hub failed at shutdown.",
                            exc_info=True)  # fmt: skip
