"""How ``hub serve`` holds up under load: not in the suite, run by hand on a seeded database.

``python -m bench.serving throughput``: requests per second of C keep-alive connections
asking one query, with 1 worker and then N (``--workers``), and their ratio.
``python -m bench.serving rss``: the resident memory of each worker every few seconds while C
connections ask the query for ``--minutes``; stable memory means the garbage collector's
thresholds (``HUB_GC_THRESHOLD``) and its frozen start-up objects leak nothing.
``python -m bench.serving health``: the latency of ``GET /health`` on one worker while another
connection asks the query again and again (the event loop is busy answering it).

The query is a page of ``--first`` sites (bench/queries/list.graphql, 500 by default), asked
as the national administrator of the demo data (``make demo``, or ``hub seed --demo``) through
the development issuer. The client is a minimal HTTP/1.1 one, so that it takes little of the
CPU the workers share with it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from bench.server import BENCH_CALLER, DEV_ISSUER_KEY, ROOT

LIST = (ROOT / "bench" / "queries" / "list.graphql").read_text(encoding="utf-8")


def _hub_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "HUB_ENV": "development",
        "HUB_DATABASE_URL": database_url,
        "HUB_DEV_ISSUER_KEY": str(DEV_ISSUER_KEY),
    }


def _start(
    database_url: str, workers: int, log: Path, env: dict[str, str] | None
) -> tuple[subprocess.Popen[bytes], int]:
    """`hub serve` (development mode, no rate limits unless ``env`` sets them, with ``env``'s
    other settings) on a free port, starting: the process and its port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    settings = {
        **_hub_env(database_url),
        "HUB_RATE_LIMIT": "0",
        "HUB_RATE_LIMIT_ADDRESS": "0",
        **(env or {}),
    }
    command = [sys.executable, "-m", "hub.server.cli", "serve", "--port", str(port)]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*command, "--workers", str(workers)], env=settings, cwd=ROOT, stdout=out, stderr=out
        )
    return process, port


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=60)


@contextmanager
def served(
    database_url: str, workers: int, log: Path, env: dict[str, str] | None = None
) -> Iterator[tuple[int, int]]:
    """`hub serve` (development mode, no rate limits unless ``env`` sets them) on a free port,
    once each worker answers: its port and PID."""
    process, port = _start(database_url, workers, log, env)
    try:
        asyncio.run(_until_ready(port, workers))
        yield port, process.pid
    finally:
        _stop(process)


@asynccontextmanager
async def serving(
    database_url: str, workers: int, log: Path, env: dict[str, str] | None = None
) -> AsyncIterator[tuple[int, int]]:
    """``served``, from within a running event loop."""
    process, port = _start(database_url, workers, log, env)
    try:
        await _until_ready(port, workers)
        yield port, process.pid
    finally:
        await asyncio.to_thread(_stop, process)


async def _until_ready(port: int, workers: int) -> None:
    seen: set[str] = set()
    deadline = time.monotonic() + 120
    while len(seen) < workers:
        if time.monotonic() > deadline:
            raise SystemExit(f"hub serve: {len(seen)} of {workers} workers ready after 120 s")
        try:
            connection = await Connection.open(port)
            headers, _ = await connection.get("/health")
            connection.close()
            seen.add(headers.get("x-hub-worker", ""))
        except OSError:
            await asyncio.sleep(0.2)


def token(database_url: str) -> str:
    command = [sys.executable, "-m", "hub.server.cli", "token", BENCH_CALLER, "--hours", "2"]
    env = _hub_env(database_url)
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, check=True)
    return done.stdout.decode().strip()


class Connection:
    """One keep-alive HTTP/1.1 connection: a request, then its answer whole."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port, limit=2**24))

    async def get(self, path: str) -> tuple[dict[str, str], bytes]:
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
        return await self._answer()

    async def post(self, request: bytes) -> tuple[dict[str, str], bytes]:
        self.writer.write(request)
        return await self._answer()

    async def _answer(self) -> tuple[dict[str, str], bytes]:
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        if not head[0].startswith("HTTP/1.1 200"):
            raise RuntimeError(head[0])
        headers = {}
        for line in head[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.lower()] = value.strip()
        return headers, await self.reader.readexactly(int(headers["content-length"]))

    def close(self) -> None:
        self.writer.close()


def graphql_request(token: str, first: int) -> bytes:
    return graphql_post(token, LIST, {"first": first})


def graphql_post(token: str, document: str, variables: dict[str, Any]) -> bytes:
    """A POST /graphql request, whole, for ``Connection.post``."""
    body = json.dumps({"query": document, "variables": variables}).encode()
    head = (
        "POST /graphql HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Load:
    """What ``load`` measured: each answer's latency, and how many answers each worker made."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.workers: Counter[str] = Counter()


async def load(port: int, request: bytes, connections: int, seconds: float) -> Load:
    """``connections`` clients asking back to back for ``seconds``."""
    measured = Load()
    stop = time.monotonic() + seconds

    async def client() -> None:
        connection = await Connection.open(port)
        try:
            while time.monotonic() < stop:
                started = time.perf_counter()
                headers, body = await connection.post(request)
                if body.startswith(b'{"errors"'):
                    raise RuntimeError(body[:300].decode())
                measured.latencies.append(time.perf_counter() - started)
                measured.workers[headers.get("x-hub-worker", "?")] += 1
        finally:
            connection.close()

    await asyncio.gather(*(client() for _ in range(connections)))
    return measured


def throughput(args: argparse.Namespace) -> None:
    request = graphql_request(token(args.database), args.first)
    rates = {}
    for workers in sorted({1, args.workers}):
        with served(args.database, workers, args.log) as (port, parent):
            asyncio.run(load(port, request, args.connections, 5))  # warm-up
            pids = worker_pids(parent, workers)
            cpu = sum(cpu_seconds(pid) for pid in pids)
            measured = asyncio.run(load(port, request, args.connections, args.seconds))
            cores = (sum(cpu_seconds(pid) for pid in pids) - cpu) / args.seconds
        latencies = measured.latencies
        rates[workers] = len(latencies) / args.seconds
        print(
            f"{workers} worker(s), {args.connections} connections: {rates[workers]:.2f} req/s, "
            f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms; answers per worker "
            f"{sorted(measured.workers.values())}; CPU used {cores:.2f} cores",
            flush=True,
        )
    if args.workers > 1:
        print(f"{args.workers} workers / 1: {rates[args.workers] / rates[1]:.2f}x")


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """A process's resident memory now (``VmHWM``: its peak so far), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime and stime, the 14th and 15th fields of the line (after the command's name).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_pids(parent: int, workers: int) -> list[int]:
    """The processes that serve: the parent itself with one worker, else its children
    started by multiprocessing's spawn (not its resource tracker)."""
    if workers == 1:
        return [parent]
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(child) for child in children if "spawn_main" in _command(int(child))]


def _command(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")


def rss(args: argparse.Namespace) -> None:
    request = graphql_request(token(args.database), args.first)
    with served(args.database, args.workers, args.log) as (port, parent):
        workers = worker_pids(parent, args.workers)

        async def sample() -> None:
            began = time.monotonic()
            loading = asyncio.create_task(load(port, request, args.connections, args.minutes * 60))
            while not loading.done():
                sizes = " ".join(f"{rss_mb(pid):6.1f}" for pid in workers)
                print(f"{time.monotonic() - began:6.0f} s  RSS MB per worker: {sizes}", flush=True)
                await asyncio.wait([loading], timeout=args.every)
            print(f"{len(loading.result().latencies)} answers")

        asyncio.run(sample())


def health(args: argparse.Namespace) -> None:
    request = graphql_request(token(args.database), args.first)
    with served(args.database, 1, args.log) as (port, _):

        async def measure() -> None:
            busy = asyncio.create_task(load(port, request, 1, args.seconds))
            await asyncio.sleep(1)  # the first answers are under way
            probe = await Connection.open(port)
            latencies = []
            while not busy.done():
                started = time.perf_counter()
                await probe.get("/health")
                latencies.append(time.perf_counter() - started)
                await asyncio.sleep(0.01)
            probe.close()
            answers = len(busy.result().latencies)
            ordered = sorted(latencies)
            p99 = ordered[int(len(ordered) * 0.99)]
            print(
                f"/health while the query was answered {answers} times: {len(ordered)} probes, "
                f"p50 {statistics.median(ordered) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
                f"max {ordered[-1] * 1000:.1f} ms"
            )

        asyncio.run(measure())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.serving", description=__doc__)
    parser.add_argument("what", choices=("throughput", "rss", "health"))
    parser.add_argument("--database", default="sqlite://var/demo.sqlite3")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--first", type=int, default=500, help="sites per page (500)")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--minutes", type=float, default=10.0, help="rss: how long (10)")
    parser.add_argument("--every", type=float, default=30.0, help="rss: sampling (30 s)")
    parser.add_argument("--log", type=Path, default=Path("var/bench-serving.log"))
    args = parser.parse_args()
    args.log.parent.mkdir(parents=True, exist_ok=True)
    {"throughput": throughput, "rss": rss, "health": health}[args.what](args)


if __name__ == "__main__":
    main()
