"""The runner: one throwaway database, then one pass per number of workers, and the command line."""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import bench.live
from bench.live.dataset import (
    Personas,
    Subscriber,
    busiest_departements,
    plan_subscribers,
    qualified,
    territories,
    tokens,
)
from bench.live.driver import drive
from bench.live.report import print_tables
from bench.live.results import Event, PassResult, Usage, match, mutation_figures
from bench.live.subscribers import Plan
from bench.run import DEFAULT_POSTGRES_URL
from bench.seeding import seed_announced, throwaway_database
from bench.server import BENCH_CALLER, ROOT
from bench.serving import cpu_seconds, rss_mb, serving, worker_pids
from hub.models.enums import EventKind
from hub.throwaway import use_database

# A folder per run in here: the hub's logs, the subscribers' plans, logs and receipts.
FOLDER = ROOT / "var" / "bench-live"
READY_SECONDS = 600.0
WARMUP_SECONDS = 120.0
# After the last mutation: the wait for the deliveries still under way ends once every one
# has come, after --drain seconds, or after this long without any.
QUIET_SECONDS = 5.0


class Clients:
    """The subscriber processes (``bench.live.subscribers``), talked to over their pipes."""

    def __init__(
        self, processes: list[asyncio.subprocess.Process], outs: list[Path], folder: Path
    ) -> None:
        self.processes = processes
        self.outs = outs
        self.folder = folder

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    @classmethod
    async def start(cls, plans: list[Plan], label: str, folder: Path) -> Clients:
        processes, outs = [], []
        for number, plan in enumerate(plans):
            path = folder / f"subscribers-{label}-{number}.json"
            await asyncio.to_thread(path.write_bytes, plan.to_json())
            outs.append(path.with_suffix(".out.json"))
            log = await asyncio.to_thread((folder / f"subscribers-{label}-{number}.log").open, "wb")
            with log:
                processes.append(
                    await asyncio.create_subprocess_exec(
                        *(sys.executable, "-m", "bench.live.subscribers", path, outs[-1]),
                        cwd=ROOT,
                        stdin=asyncio.subprocess.PIPE,
                        stdout=asyncio.subprocess.PIPE,
                        stderr=log,
                        limit=2**20,
                    )
                )
        return cls(processes, outs, folder)

    async def _ask(self, line: str | None, within: float) -> list[dict[str, Any]]:
        answers = []
        for process in self.processes:
            assert process.stdin is not None and process.stdout is not None
            if line is not None:
                process.stdin.write(f"{line}\n".encode())
                await process.stdin.drain()
            raw = await asyncio.wait_for(process.stdout.readline(), within)
            if not raw:
                raise RuntimeError(
                    f"a subscriber process ended: see {self.folder}/subscribers-*.log"
                )
            answers.append(json.loads(raw))
        return answers

    async def ready(self) -> tuple[int, Counter[str]]:
        """Once every subscriber subscribed or failed to: how many did, and the failures."""
        answers = await self._ask(None, READY_SECONDS)
        failures: Counter[str] = Counter()
        for answer in answers:
            failures.update(answer["failures"])
        return sum(answer["ready"]["acknowledged"] for answer in answers), failures

    async def status(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for answer in await self._ask("status", 60):
            total.update(answer)
        return dict(total)

    async def stop(self) -> tuple[list[Any], Counter[str], list[str], int]:
        """Every receipt, the failures and a few examples, and how many had subscribed."""
        await self._ask("stop", 120)
        received: list[Any] = []
        failures: Counter[str] = Counter()
        examples: list[str] = []
        acknowledged = 0
        for process, out in zip(self.processes, self.outs, strict=True):
            await process.wait()
            document = json.loads(await asyncio.to_thread(out.read_bytes))
            received.extend(document["received"])
            failures.update(document["failures"])
            examples.extend(document["examples"])
            acknowledged += document["acknowledged"]
        return received, failures, examples, acknowledged

    async def kill(self) -> None:
        for process in self.processes:
            if process.returncode is None:
                process.kill()
                await process.wait()


def hub_environment(args: argparse.Namespace) -> dict[str, str]:
    """The settings the hub runs with: the limits raised so that they do not refuse the
    benchmark's few callers (one person holds most subscriptions and sends every mutation)."""
    return {
        "HUB_WS_MAX_SUBSCRIPTIONS_PER_CALLER": str(max(100, args.subscribers)),
        "HUB_RATE_LIMIT": str(1_000_000),
        "HUB_RATE_LIMIT_ADDRESS": str(1_000_000),
        "HUB_LIVE_QUEUE_SIZE": str(args.queue_size),
    }


def _cpu(pids: Iterable[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        try:
            found[pid] = cpu_seconds(pid)
        except OSError:  # ended
            continue
    return found


def _spent(before: dict[int, float], after: dict[int, float]) -> list[float]:
    return [after[pid] - before[pid] for pid in before if pid in after]


def _memory(pids: list[int], usage: Usage) -> None:
    usage.rss_mb = sum(rss_mb(pid) for pid in pids)
    usage.peak_mb = sum(rss_mb(pid, "VmHWM") for pid in pids)


async def _postgres_backends() -> list[int]:
    """The server processes of this database's connections (the hub's pools and listeners)."""
    from tortoise import connections

    rows = await connections.get("default").execute_query_dict(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid()"
    )
    return [int(row["pid"]) for row in rows]


async def _events_after(last_id: int) -> list[Event]:
    from tortoise import connections

    rows = await connections.get("default").execute_query_dict(
        "SELECT id, at, site_id, departement_code FROM event WHERE id > $1 AND kind = $2"
        " ORDER BY id",
        [last_id, EventKind.SITE_UPDATED.value],
    )
    return [
        Event(row["id"], row["at"].timestamp(), row["site_id"], row["departement_code"])
        for row in rows
    ]


async def _last_event_id() -> int:
    from tortoise import connections

    rows = await connections.get("default").execute_query_dict("SELECT max(id) AS id FROM event")
    return int(rows[0]["id"] or 0)


async def _until(
    clients: Clients, done: Callable[[dict[str, int]], bool], limit: float
) -> tuple[dict[str, int], float]:
    """Polls the subscribers until ``done`` or ``limit`` seconds: their last status, and how
    long it took."""
    started = time.monotonic()
    while True:
        status = await clients.status()
        if done(status) or time.monotonic() - started > limit:
            return status, time.monotonic() - started
        await asyncio.sleep(0.25)


async def _drain(clients: Clients, target: int, limit: float) -> dict[str, int]:
    """Until ``target`` messages have come, or none for QUIET_SECONDS, or ``limit`` seconds."""
    started = quiet_since = time.monotonic()
    last = -1
    while True:
        status = await clients.status()
        now = time.monotonic()
        if status["messages"] != last:
            last, quiet_since = status["messages"], now
        if last >= target or now - quiet_since > QUIET_SECONDS or now - started > limit:
            return status
        await asyncio.sleep(0.25)


def _split(
    subscribers: list[Subscriber], people: dict[str, str], processes: int, url: str, args: Any
) -> list[Plan]:
    plans = [
        Plan(url, {}, compression=not args.no_compression, connecting=args.connecting)
        for _ in range(processes)
    ]
    for index, subscriber in enumerate(subscribers):
        plans[index % processes].subscribers[index] = (people[subscriber.who], subscriber.territory)
    return plans


def _hub_log(path: Path) -> list[str]:
    """The warnings and errors the hub logged, each distinct one once with its count (hex
    ids and timestamps left out), and how many tracebacks."""
    found: Counter[str] = Counter()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("Traceback"):
            found["Traceback (see the log)"] += 1
        elif re.search(r" (WARNING|ERROR|CRITICAL) ", line):
            line = re.sub(r"^\d{4}-\d\d-\d\d [\d:,.]+ ", "", line)
            found[re.sub(r"\b[0-9a-f]{12,}\b", "…", line)[:160]] += 1
    return [f"{count} × {line}" for line, count in found.most_common(8)]


async def run_pass(
    url: str,
    workers: int,
    args: argparse.Namespace,
    codes: list[str],
    personas: Personas | None,
    folder: Path,
) -> tuple[PassResult, Personas]:
    label = f"w{workers}"
    log = folder / f"hub-{label}.log"
    await asyncio.to_thread(log.write_bytes, b"")
    async with serving(url, workers, log, hub_environment(args)) as (port, parent):
        hub_pids = worker_pids(parent, workers)
        if personas is None:
            personas = await qualified(port, codes, url)
            for note in personas.notes:
                print(f"   note: {note}", flush=True)
        subscribers = plan_subscribers(
            args.subscribers, codes, personas.territorial, personas.actor
        )
        people = await tokens(url, {s.who for s in subscribers} | {BENCH_CALLER})
        who = Counter(s.who.split("@")[0] for s in subscribers)
        print(
            f"   {workers} worker(s): {len(subscribers)} subscribers over {len(codes)}"
            f" départements ({', '.join(codes)}), as {len(who)} callers"
            f" ({', '.join(f'{n} {w}' for w, n in who.most_common(3))}, …)",
            flush=True,
        )
        result = PassResult(
            workers, len(subscribers), 0, args.rate, args.seconds,
            subscriber_processes=args.subscriber_processes,
        )  # fmt: skip
        result.hub.idle_mb = sum(rss_mb(pid) for pid in hub_pids)
        started = time.monotonic()
        plans = _split(
            subscribers, people, args.subscriber_processes, f"ws://127.0.0.1:{port}/graphql", args
        )
        clients = await Clients.start(plans, label, folder)
        try:
            acknowledged, failures = await clients.ready()
            result.connect_seconds = time.monotonic() - started
            print(
                f"   {acknowledged} subscribed in {result.connect_seconds:.1f} s"
                + (f"; failures: {dict(failures)}" if failures else ""),
                flush=True,
            )
            admin = people[BENCH_CALLER]
            await _warm_up(port, admin, codes, clients, acknowledged, result)
            base_id = await _last_event_id()
            territories_now = await territories(codes)
            result.load_before = os.getloadavg()
            groups = {
                "hub": (hub_pids, result.hub),
                "postgres": (await _postgres_backends(), result.postgres),
                "clients": (clients.pids, result.clients),
                "driver": ([os.getpid()], result.driver),
            }
            before = {name: _cpu(pids) for name, (pids, _) in groups.items()}
            messages_before = (await clients.status())["messages"]
            print(
                f"   driving {args.rate:g} updateSite/s for {args.seconds:g} s"
                f" over {args.connections} connections…",
                flush=True,
            )
            driven = await drive(
                port, admin, territories_now, args.rate, args.seconds, args.connections, label
            )
            territory_of = [s.territory for s in subscribers]
            per_territory = Counter(territory_of)
            coming = sum(per_territory[m.territory] for m in driven.succeeded)
            await _drain(clients, messages_before + coming, args.drain)
            result.load_after = os.getloadavg()
            for name, (pids, usage) in groups.items():
                usage.per_process = _spent(before[name], _cpu(pids))
                usage.cpu_seconds = sum(usage.per_process)
                if name != "postgres":  # shared memory: its RSS says little
                    _memory(pids, usage)
            received, failures, examples, result.acknowledged = await clients.stop()
        finally:
            await clients.kill()
    result.failures = dict(failures)
    result.failure_examples = examples
    mutation_figures(result, driven)
    match(result, territory_of, await _events_after(base_id), received, driven)
    result.hub_log = await asyncio.to_thread(_hub_log, log)
    return result, personas


async def _warm_up(
    port: int, token: str, codes: list[str], clients: Clients, expected: int, result: PassResult
) -> None:
    """One rename per territory, until every subscriber has had its event: every
    subscription is then in place, and the paths are warm."""
    warm = await territories(codes)
    await drive(port, token, warm, 20.0, len(codes) / 20.0, 1, "warm-up")
    status, result.warmup_seconds = await _until(
        clients, lambda s: s["reached"] >= expected, WARMUP_SECONDS
    )
    print(
        f"   warm-up: {status['reached']} of {expected} subscribers had an event"
        f" after {result.warmup_seconds:.1f} s",
        flush=True,
    )


def _csv_ints(raw: str) -> list[int]:
    return [int(item) for item in raw.split(",") if item.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.live", description=bench.live.__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add = parser.add_argument
    add("--subscribers", type=int, default=1000, help="WebSocket subscribers (1000)")
    add("--territories", type=int, default=10, help="départements they follow (10)")
    add("--rate", type=float, default=50.0, help="updateSite mutations per second (50)")
    add("--seconds", type=float, default=60.0, help="how long the mutations run (60)")
    add("--workers", type=_csv_ints, default=[1, 2], help="hub serve --workers, each a pass (1,2)")
    add("--sites", type=int, default=2000, help="demo sites seeded (2000)")
    add("--connections", type=int, default=4, help="keep-alive HTTP connections (4)")
    add(
        "--subscriber-processes",
        type=int,
        default=1,
        help="processes the subscribers are spread over (1)",
    )
    add(
        "--queue-size",
        type=int,
        default=1000,
        help="HUB_LIVE_QUEUE_SIZE: events a subscription may fall behind before its"
        " connection is closed (4413) (1000; the hub's default is 100)",
    )
    add(
        "--no-compression",
        action="store_true",
        help="no permessage-deflate (browsers negotiate it, and so do the subscribers by default)",
    )
    add("--connecting", type=int, default=50, help="handshakes under way at once (50)")
    add(
        "--drain",
        type=float,
        default=300.0,
        help="seconds at most to wait for the deliveries after the last mutation (300)",
    )
    add(
        "--postgres-url",
        default=os.environ.get("HUB_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="admin URL; a throwaway database is created and dropped beside it",
    )
    add("--json", type=Path, help="also write the results to this JSON file")
    return parser


async def run_all(args: argparse.Namespace, folder: Path) -> list[PassResult]:
    results = []
    async with throwaway_database("postgres", args.sites, args.postgres_url) as url:
        await use_database(url)
        try:
            await seed_announced("postgres", args.sites)
            codes = await busiest_departements(args.territories)
            personas = None
            for workers in args.workers:
                result, personas = await run_pass(url, workers, args, codes, personas, folder)
                results.append(result)
        finally:
            await use_database(None)
    return results


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if min(args.subscribers, args.territories, args.connections, args.subscriber_processes) < 1:
        print("--subscribers, --territories, --connections, … must be at least 1", file=sys.stderr)
        return 2
    began = datetime.datetime.now().astimezone()
    folder = FOLDER / f"{began:%Y%m%d-%H%M%S}"
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results = asyncio.run(run_all(args, folder))
    print_tables(results, args, began)
    print(f"\nTotal {time.perf_counter() - started:.0f} s; logs in {folder.relative_to(ROOT)}/.")
    if args.json:
        args.json.write_text(
            json.dumps([asdict(result) for result in results], indent=2), encoding="utf-8"
        )
        print(f"Wrote {args.json}.")
    failed = any(r.missing or r.duplicates or r.unexpected or r.failures for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
