"""The replica's health, checked in the background (every second) rather than per request.

Each check asks the primary how far its log is flushed, then the replica whether it is in
recovery and how far it has replayed (``hub.replicas.lag``), each within the connect timeout.
A replica that does not answer is UNAVAILABLE; one that is not in recovery, NOT_STANDBY; one
more than ``max_lag`` seconds behind, LAGGING until it is back within half of that (so that a
lag near the bound does not flip the state, and the log, at every check). While the primary
does not answer, the lag is measured against the positions it gave before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from hub.replicas.lag import LagMeter, parse_lsn
from hub.replicas.replica import Replica, ReplicaState

log = logging.getLogger(__name__)

CHECK_SECONDS = 1.0
PRIMARY_POSITION = "SELECT pg_current_wal_flush_lsn()::text AS position"
REPLICA_POSITION = (
    "SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed"
)


class ReplicaMonitor:
    def __init__(
        self,
        replica: Replica,
        primary: Any,
        max_lag: float,
        timeout: float,
        every: float = CHECK_SECONDS,
    ) -> None:
        self.replica = replica
        # The primary's client (hub.database.BoundedPostgresClient).
        self.primary = primary
        self.max_lag = max_lag
        self.timeout = timeout
        self.every = every
        self.meter = LagMeter()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="hub-replica-monitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:  # a bug here must not end the checks, nor go unnoticed
                log.exception("Read replica: the check failed.")
            await asyncio.sleep(self.every)

    async def check(self) -> None:
        try:
            async with asyncio.timeout(self.timeout):
                (primary,) = await self.primary.execute_query_dict(PRIMARY_POSITION)
            self.meter.primary_at(parse_lsn(primary["position"]), time.monotonic())
        except Exception:  # the primary's own faults are the requests' to report
            pass
        try:
            async with asyncio.timeout(self.timeout):
                (replica,) = await self.replica.client.execute_query_dict(REPLICA_POSITION)
        except Exception as error:  # whatever the reason, it cannot serve reads now
            detail = f"unavailable ({type(error).__name__}: {error})"
            self.replica.change(ReplicaState.UNAVAILABLE, None, detail)
            return
        if not replica["standby"] or replica["replayed"] is None:
            detail = "is not in recovery (promoted, or not a replica)"
            self.replica.change(ReplicaState.NOT_STANDBY, None, detail)
            return
        lag = self.meter.lag(parse_lsn(replica["replayed"]), time.monotonic())
        self.replica.change(self._state(lag), lag, self._lagging(lag))

    def _state(self, lag: float) -> ReplicaState:
        if lag > self.max_lag:
            return ReplicaState.LAGGING
        if self.replica.state is ReplicaState.LAGGING and lag > self.max_lag / 2:
            return ReplicaState.LAGGING
        if not self.meter.caught_up:
            return ReplicaState.UNKNOWN
        return ReplicaState.OK

    def _lagging(self, lag: float) -> str:
        return f"lags {lag:.1f} s behind the primary (more than {self.max_lag:g} s)"
