"""wrk, the HTTP load generator: found (or installed from Debian), run, and its summary read.

``post_auth.lua`` POSTs the body in ``$BODY_FILE`` with the bearer token in ``$TOKEN_FILE``
(none when unset) and prints one ``WRKJSON {…}`` line at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("post_auth.lua")
# Far above any latency measured: a slow answer is measured, not counted as a wrk timeout.
TIMEOUT = "120s"


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    rps: float
    bytes_per_request: float
    errors: int
    non_2xx: int
    p50_ms: float
    p99_ms: float
    max_ms: float


def find_wrk() -> str:
    """The wrk program; as root on Debian, installed with apt-get when missing (and said so)."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise SystemExit("wrk not found: install it (Debian: apt-get install wrk) and run again")
    print("wrk not found: installing the Debian package wrk with apt-get…", flush=True)
    done = _apt(apt, "install", "-y", "-q", "wrk")
    if done.returncode != 0:  # an old or missing package list: update it once, then again
        _apt(apt, "update", "-q")
        done = _apt(apt, "install", "-y", "-q", "wrk")
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit(f"apt-get install wrk failed:\n{done.stdout}{done.stderr}")
    print(f"   installed {found}", flush=True)
    return found


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(args, env=env, capture_output=True, text=True, check=False)


def start(
    wrk: str,
    url: str,
    connections: int,
    seconds: float,
    body_file: Path,
    token_file: Path | None,
) -> subprocess.Popen[str]:
    """wrk with one thread and ``connections`` connections; ``finish`` reads its summary."""
    command = [
        wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
        "--timeout", TIMEOUT, "-s", str(SCRIPT), url,
    ]  # fmt: skip
    env = {**os.environ, "BODY_FILE": str(body_file), "TOKEN_FILE": str(token_file or "")}
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen[str]) -> WrkResult:
    """Waits for wrk (stopped early by SIGINT, it still prints its summary) and reads it."""
    out, err = process.communicate()
    for line in out.splitlines():
        if line.startswith("WRKJSON "):
            raw = json.loads(line.removeprefix("WRKJSON "))
            return WrkResult(
                requests=raw["requests"],
                seconds=raw["seconds"],
                rps=raw["rps"],
                bytes_per_request=raw["bytes_per_req"],
                errors=raw["errors"],
                non_2xx=raw["non2xx"],
                p50_ms=raw["lat_p50_ms"],
                p99_ms=raw["lat_p99_ms"],
                max_ms=raw["lat_max_ms"],
            )
    raise RuntimeError(f"wrk ({process.returncode}) printed no summary:\n{out}{err}")
