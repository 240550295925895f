"""One measured pass: wrk against one server, with the CPU the server and PostgreSQL spent and
the statements the server sent; and the latency of /health while the hub is under load."""

from __future__ import annotations

import signal
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.peer import wrk
from bench.peer.cluster import Cluster, reset_statements, statements_of
from bench.peer.procstat import tree_cpu_seconds
from bench.peer.servers import Server

# A server is idle once its processes spend less than this CPU over one poll.
_IDLE_CPU_SECONDS = 0.02
_POLL_SECONDS = 0.25
_SETTLE_SECONDS = 120.0


@dataclass(frozen=True)
class Target:
    """One caller's request to one server."""

    label: str
    server: Server
    path: str
    body: Path
    token: Path | None

    @property
    def url(self) -> str:
        return self.server.base_url + self.path


@dataclass(frozen=True)
class Pass:
    target: Target
    connections: int
    result: wrk.WrkResult
    # Requests the server served: wrk's completed ones plus the one in flight on each
    # connection when wrk stopped, which the server still finishes (and is waited for).
    served: int
    server_cpu: float
    database_cpu: float
    statements: int
    pool_releases: int


def settle(pid: int) -> None:
    """Waits until a process tree is idle: the requests wrk left in flight have ended."""
    deadline = time.monotonic() + _SETTLE_SECONDS
    before = tree_cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
        now = tree_cpu_seconds(pid)
        if now - before < _IDLE_CPU_SECONDS:
            return
        before = now


def measure(
    target: Target,
    connections: int,
    seconds: float,
    warmup: float,
    program: str,
    cluster: Cluster,
) -> Pass:
    """A warm-up, then a pass whose CPU and statements are counted until the server is idle."""
    server = target.server
    postmaster = cluster.postmaster_pid()
    if warmup > 0:
        wrk.finish(wrk.start(program, target.url, connections, warmup, target.body, target.token))
        settle(server.pid)
    reset_statements(cluster)
    server_before = tree_cpu_seconds(server.pid)
    database_before = tree_cpu_seconds(postmaster)
    result = wrk.finish(
        wrk.start(program, target.url, connections, seconds, target.body, target.token)
    )
    settle(server.pid)
    statements, releases = statements_of(cluster, server.role)
    return Pass(
        target=target,
        connections=connections,
        result=result,
        served=result.requests + connections,
        server_cpu=tree_cpu_seconds(server.pid) - server_before,
        database_cpu=tree_cpu_seconds(postmaster) - database_before,
        statements=statements,
        pool_releases=releases,
    )


@dataclass(frozen=True)
class HealthLatency:
    label: str
    connections: int
    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    # The load's own throughput meanwhile.
    rps: float


def health_under_load(
    target: Target, connections: int, samples: int, max_seconds: float, program: str
) -> HealthLatency:
    """GET /health, one after the other, while wrk sends ``target`` on ``connections``."""
    load = wrk.start(program, target.url, connections, max_seconds, target.body, target.token)
    timings: list[float] = []
    try:
        time.sleep(1.0)  # every connection has a request in flight
        deadline = time.monotonic() + max_seconds - 2
        with httpx.Client(base_url=target.server.base_url, timeout=60, trust_env=False) as http:
            while len(timings) < samples and time.monotonic() < deadline and load.poll() is None:
                started = time.perf_counter()
                http.get("/health").raise_for_status()
                timings.append(time.perf_counter() - started)
                time.sleep(0.01)
    finally:
        load.send_signal(signal.SIGINT)  # wrk stops and still prints its summary
        result = wrk.finish(load)
        settle(target.server.pid)
    if not timings:
        raise RuntimeError(f"/health of {target.label} was not sampled: wrk ended first")
    ordered = sorted(timings)
    return HealthLatency(
        label=target.label,
        connections=connections,
        samples=len(ordered),
        p50_ms=statistics.median(ordered) * 1000,
        p99_ms=ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000,
        max_ms=ordered[-1] * 1000,
        rps=result.rps,
    )
