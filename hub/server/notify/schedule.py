"""The e-mails the calendar calls for (weekly digests, out-of-date reminders, unused
accounts), queued when due. (Being written: queues nothing yet.)"""

from __future__ import annotations

import datetime

from hub.settings import Settings


async def plan(settings: Settings, now: datetime.datetime) -> int:
    """Queues the e-mails due at ``now`` (idempotent: a run repeated at once queues nothing
    more); how many were queued."""
    return 0
