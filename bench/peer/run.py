"""``python -m bench.peer``: the runner (see bench/peer/__init__.py)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

import bench.peer
from bench.peer import answers, report, wrk
from bench.peer.cluster import Cluster
from bench.peer.dataset import (
    ADMIN,
    OPERATOR,
    hub_environment,
    operator_departements,
    seed,
    write_token,
)
from bench.peer.passes import Pass, Target, health_under_load, measure
from bench.peer.servers import (
    ROOT,
    Server,
    free_port,
    start_floor,
    start_hub,
    start_postgraphile,
)

QUERIES = Path(__file__).with_name("queries")
RUN_FOLDER = ROOT / "var" / "bench-peer"
HUB_1, HUB_2, PG4, FLOOR = "hub ×1", "hub ×2", "postgraphile", "floor"
HUB_OPERATOR, FLOOR_OPERATOR = "hub ×1 (operator)", "floor (operator)"
# /health is sampled under load until it has its samples, or for this long at most.
HEALTH_MAX_SECONDS = 60.0
RATIOS = [
    (HUB_1, PG4, "rps"),
    (HUB_2, PG4, "rps"),
    (HUB_1, FLOOR, "p50"),
    (HUB_2, FLOOR, "p50"),
    (HUB_OPERATOR, FLOOR_OPERATOR, "p50"),
]


def _env_number(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.peer", description=bench.peer.__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--seconds",
        type=float,
        default=_env_number("BENCH_SECONDS", 10),
        help="length of each measured pass (BENCH_SECONDS, 10)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=_env_number("BENCH_WARMUP", 3),
        help="warm-up before each pass, 0 for none (BENCH_WARMUP, 3)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=int(_env_number("BENCH_ROUNDS", 2)),
        help="rounds over every server (BENCH_ROUNDS, 2)",
    )
    parser.add_argument(
        "--connections",
        default=os.environ.get("BENCH_CONNECTIONS") or "1,8",
        help="wrk connections per pass, comma-separated (BENCH_CONNECTIONS, 1,8)",
    )
    parser.add_argument(
        "--health-samples",
        type=int,
        default=int(_env_number("BENCH_HEALTH_SAMPLES", 300)),
        help="GET /health samples under load per hub, 0 for none (BENCH_HEALTH_SAMPLES, 300)",
    )
    return parser


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    return (
        f"{os.cpu_count()} × {model}, Python {platform.python_version()},"
        f" Node {node.stdout.strip()}, loopback only; {load()}"
    )


def load() -> str:
    # Whatever else runs on the machine takes its share of the cores from every server.
    return f"load average {os.getloadavg()[0]:.1f} over the last minute"


def write_bodies(folder: Path) -> tuple[Path, Path]:
    """The POST bodies wrk sends: the hub's query (also sent to the floor) and PostGraphile's."""
    paths = []
    for name in ("hub", "pg4"):
        path = folder / f"{name}.json"
        document = (QUERIES / f"{name}.graphql").read_text(encoding="utf-8")
        path.write_text(json.dumps({"query": document}), encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1]


def ask(target: Target) -> tuple[list[answers.Row], int]:
    """One request: the answer's rows and its body's size."""
    headers = {"Content-Type": "application/json"}
    if target.token is not None:
        headers["Authorization"] = f"Bearer {target.token.read_text().strip()}"
    response = httpx.post(
        target.url, content=target.body.read_bytes(), headers=headers, timeout=120, trust_env=False
    )
    if response.status_code != 200:
        raise answers.BadAnswer(f"HTTP {response.status_code}: {response.text[:300]}")
    return answers.normalize(response.json()), len(response.content)


def check(group: list[Target], strict: bool) -> tuple[list[Target], dict[str, int], bool]:
    """Each answer against the first one's. A target that answers errors is not measured; a
    difference fails the run when ``strict``. Returns the targets to measure, the size of
    each answer's body and whether the run may pass."""
    measurable: list[Target] = []
    sizes: dict[str, int] = {}
    ok = True
    reference: list[answers.Row] | None = None
    for target in group:
        try:
            rows, sizes[target.label] = ask(target)
        except answers.BadAnswer as error:
            print(f"   {target.label}: NOT MEASURED, it answered {error}")
            ok = False
            continue
        measurable.append(target)
        if reference is None:
            reference = rows
            print(f"   {target.label}: {answers.summarize(rows)} (the reference)")
            continue
        found = answers.compare(reference, rows)
        if found.difference is None:
            print(f"   {target.label}: {found.summary}, the same")
            continue
        verdict = "DIFFERENT" if strict else "different (reported only)"
        print(f"   {target.label}: {found.summary}, {verdict}: {found.difference}")
        ok = ok and not strict
    return measurable, sizes, ok


def run(args: argparse.Namespace, connections: list[int]) -> int:
    program = wrk.find_wrk()
    shutil.rmtree(RUN_FOLDER, ignore_errors=True)
    RUN_FOLDER.mkdir(parents=True)
    print(f"Machine: {machine()}. Logs: {RUN_FOLDER}", flush=True)
    cluster = Cluster(free_port())
    servers: list[Server] = []
    try:
        cluster.start()
        cluster.create_database()
        print(f"PostgreSQL cluster on port {cluster.port}: {cluster.sql('SHOW server_version')}")
        hub_env = hub_environment(cluster.url("peer_hub"), RUN_FOLDER)
        print(f"Seeding: {seed(cluster, hub_env, RUN_FOLDER)}", flush=True)
        admin, operator = (write_token(hub_env, RUN_FOLDER, who) for who in (ADMIN, OPERATOR))
        hub_body, pg4_body = write_bodies(RUN_FOLDER)
        servers = [
            start_hub("hub-1", 1, hub_env, RUN_FOLDER),
            start_hub("hub-2", 2, hub_env, RUN_FOLDER),
            start_postgraphile(cluster.url("peer_pg4"), dict(os.environ), RUN_FOLDER),
            start_floor(cluster.url("peer_floor"), dict(os.environ), RUN_FOLDER),
        ]
        for server in servers:
            server.wait_until_ready()
        hub_1, hub_2, pg4, floor = servers
        scope = "&".join(f"departement={code}" for code in operator_departements())
        national = [
            Target(FLOOR, floor, "/graphql", hub_body, None),
            Target(HUB_1, hub_1, "/graphql", hub_body, admin),
            Target(HUB_2, hub_2, "/graphql", hub_body, admin),
            Target(PG4, pg4, "/graphql", pg4_body, None),
        ]
        territorial = [
            Target(FLOOR_OPERATOR, floor, f"/graphql?{scope}", hub_body, None),
            Target(HUB_OPERATOR, hub_1, "/graphql", hub_body, operator),
        ]
        print(f"Answers, as the national administrator ({ADMIN}):")
        measured, sizes, ok = check(national, strict=True)
        print(f"Answers, as a territorial operator ({OPERATOR}; the floor keeps its sites):")
        measured_operator, operator_sizes, _ = check(territorial, strict=False)
        sizes |= operator_sizes
        targets = [*measured, *measured_operator]
        passes = interleaved(targets, connections, args, program, cluster)
        health = [
            health_under_load(t, max(connections), args.health_samples, HEALTH_MAX_SECONDS, program)
            for t in targets
            if t.label in (HUB_1, HUB_2) and args.health_samples > 0
        ]
    finally:
        for server in servers:
            server.stop()
        cluster.destroy()
    rows = report.summarize(passes)
    report.print_table(rows, sizes, args.rounds)
    report.print_ratios(rows, RATIOS)
    report.print_health(health)
    print(f"At the end: {load()}.")
    return 0 if ok else 1


def interleaved(
    targets: list[Target],
    connections: list[int],
    args: argparse.Namespace,
    program: str,
    cluster: Cluster,
) -> list[Pass]:
    """Round after round, each number of connections, each target in turn: a slow drift of the
    machine (another process, the CPU's clock) falls on every server alike."""
    passes = []
    total = args.rounds * len(connections) * len(targets)
    for round_number in range(1, args.rounds + 1):
        for count in connections:
            for target in targets:
                one = measure(target, count, args.seconds, args.warmup, program, cluster)
                passes.append(one)
                print(
                    f"[{len(passes)}/{total}] round {round_number}, {target.label},"
                    f" {count} conn.: {one.result.rps:.1f} req/s, p50 {one.result.p50_ms:.1f} ms",
                    flush=True,
                )
    return passes


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    connections = sorted({int(part) for part in args.connections.split(",") if part.strip()})
    if args.seconds < 1 or args.rounds < 1 or not connections or min(connections) < 1:
        print("--seconds and --rounds must be ≥ 1, and connections ≥ 1", file=sys.stderr)
        return 2
    started = time.perf_counter()
    outcome = run(args, connections)
    print(f"\nTotal {time.perf_counter() - started:.0f} s.")
    return outcome


if __name__ == "__main__":
    sys.exit(main())
