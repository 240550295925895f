"""How far behind the primary a replica is, in seconds, from positions in the write-ahead log.

The replica's own clock says nothing useful: ``now() - pg_last_xact_replay_timestamp()`` is the
age of the last transaction it replayed, which grows without end while the primary is idle,
replica caught up or not. Positions do not have that flaw. At each check the primary says
how far its log is flushed (``pg_current_wal_flush_lsn()``, the most a replica can have
received), then the replica says how far it has replayed (``pg_last_wal_replay_lsn()``). The
lag is the age of the oldest position the primary reported that the replica has not replayed
yet: zero when it holds everything the primary had, idle or not; while it falls behind, a
figure that grows with the time it misses, accurate to within one interval between checks.
"""

from __future__ import annotations

from collections import deque

# Positions kept while a replica stays behind: one per check at most, an hour at one a second.
# Beyond that the oldest are forgotten, and the lag reads as at most that long.
KEPT_POSITIONS = 3600


def parse_lsn(text: str) -> int:
    """A log position as PostgreSQL writes it (``16/B374D848``), as a number of bytes."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


class LagMeter:
    def __init__(self, kept: int = KEPT_POSITIONS) -> None:
        # (position, when the primary was first seen there), positions increasing.
        self._positions: deque[tuple[int, float]] = deque(maxlen=kept)
        self.caught_up = False

    def primary_at(self, position: int, at: float) -> None:
        """The primary's flushed position, seen at ``at`` (a monotonic time)."""
        if not self._positions or position > self._positions[-1][0]:
            self._positions.append((position, at))

    def lag(self, replayed: int, at: float) -> float:
        """Seconds since the primary was first seen at a position the replica, having
        ``replayed`` this far at ``at``, does not hold yet; 0 when it holds them all."""
        while self._positions and self._positions[0][0] <= replayed:
            self._positions.popleft()
            # A replica that started behind is behind by an unknown time until it has
            # reached one position seen here: ``caught_up`` says when that happened.
            self.caught_up = True
        if not self._positions:
            return 0.0
        return max(0.0, at - self._positions[0][1])
