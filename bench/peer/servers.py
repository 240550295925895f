"""The servers measured, each a process listening on a free port of 127.0.0.1: the hub
(``hub serve``), PostGraphile v4 and the floor. Their output goes to log files in the run's
folder, which the runner names when something fails."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

# The floor's module is imported from here: bench/ is not installed.
ROOT = Path(__file__).resolve().parents[2]
NODE = Path(__file__).with_name("node")
POSTGRAPHILE = NODE / "node_modules" / "postgraphile" / "cli.js"
START_SECONDS = 120.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    # The role it connects to PostgreSQL as (bench.peer.cluster.ROLES).
    role: str
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_until_ready(self) -> None:
        """Until it answers any HTTP request (uvicorn and PostGraphile listen once ready)."""
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self.process.returncode}: see {self.log}"
                )
            try:
                httpx.get(f"{self.base_url}/health", timeout=2, trust_env=False)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within {START_SECONDS:g} s: see {self.log}")

    def stop(self) -> None:
        # hub serve's supervisor stops its workers on SIGTERM, after their requests end.
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _start(
    name: str, role: str, command: list[str], env: dict[str, str], cwd: Path, folder: Path
) -> Server:
    port = free_port()
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [part.replace("{port}", str(port)) for part in command],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Server(name, role, f"http://127.0.0.1:{port}", process, log)


def start_hub(name: str, workers: int, hub_env: dict[str, str], folder: Path) -> Server:
    command = [
        sys.executable, "-m", "hub.server.cli", "serve", "--port", "{port}",
        "--workers", str(workers),
    ]  # fmt: skip
    # From the run's folder: a var/hub.env of the checkout is not read.
    return _start(name, "peer_hub", command, hub_env, folder, folder)


def start_postgraphile(database_url: str, env: dict[str, str], folder: Path) -> Server:
    """PostGraphile v4 as the reference comparison ran it (bench/peer/node, ``npm ci``)."""
    if not POSTGRAPHILE.exists():
        raise SystemExit(f"{POSTGRAPHILE} is missing: run `make bench-peer` (it runs npm ci)")
    command = [
        "node", str(POSTGRAPHILE), "-c", database_url, "-s", "public", "-n", "127.0.0.1",
        "-p", "{port}", "--disable-query-log", "-b", "-M", "-N", "--no-ignore-rbac",
        "--simple-collections", "both", "--append-plugins",
        "@graphile-contrib/pg-simplify-inflector,@graphile-contrib/pg-many-to-many",
    ]  # fmt: skip
    return _start(
        "postgraphile", "peer_pg4", command, {**env, "NODE_ENV": "production"}, NODE, folder
    )


def start_floor(database_url: str, env: dict[str, str], folder: Path) -> Server:
    command = [
        sys.executable, "-m", "uvicorn", "bench.peer.floor:app", "--host", "127.0.0.1",
        "--port", "{port}", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    return _start("floor", "peer_floor", command, {**env, "FLOOR_DSN": database_url}, ROOT, folder)
