"""A throwaway PostgreSQL cluster with pg_stat_statements, one login role per server measured.

A cluster of its own, not the shared server: ``pg_stat_statements`` must be preloaded at start,
and its counters are reset before every measured pass. Each server connects as its own role
(``peer_hub``, ``peer_pg4``, ``peer_floor``), so that the statements it sent are told apart
from the others' and from this harness's own by ``userid``.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import tempfile
from contextlib import suppress
from pathlib import Path

from bench.peer.procstat import pid_from_file

DATABASE = "hub_peer"
ROLES = ("peer_hub", "peer_pg4", "peer_floor")


def postgres_program(name: str) -> str:
    """The newest installed PostgreSQL program (initdb, pg_ctl, psql)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda path: [int(part) for part in re.findall(r"\d+", path.parts[-3])],
    )
    program = str(found[-1]) if found else shutil.which(name)
    if program is None:
        raise SystemExit(f"{name} not found: install the PostgreSQL server (Debian: postgresql)")
    return program


class Cluster:
    """initdb in a temporary folder, started on ``port`` of 127.0.0.1; ``destroy`` removes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.folder = Path(tempfile.mkdtemp(prefix="hub-peer-"))
        # PostgreSQL refuses to run as root: its files then belong to the postgres user.
        self.as_root = os.geteuid() == 0
        if self.as_root:
            os.chown(self.folder, pwd.getpwnam("postgres").pw_uid, -1)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, role: str = "postgres", database: str = DATABASE) -> str:
        return f"postgres://{role}@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        done = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed:\n{done.stdout}{done.stderr}")

    def start(self) -> None:
        self._run(
            postgres_program("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
            " -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.max=10000"
            # Durability is not measured: reads only, once seeded.
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        log = str(self.folder / "postgres.log")
        self._run(
            postgres_program("pg_ctl"), "start", "-w", "-t", "60", "-D", str(self.data),
            "-l", log, "-o", options,
        )  # fmt: skip

    def postmaster_pid(self) -> int:
        return pid_from_file(self.data / "postmaster.pid")

    def sql(self, statement: str, database: str = DATABASE) -> str:
        """One statement through psql, as the postgres superuser; its output, unaligned."""
        done = subprocess.run(
            [postgres_program("psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1",
             "-d", self.url(database=database), "-c", statement],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"psql failed on {statement!r}:\n{done.stderr}")
        return done.stdout.strip()

    def create_database(self) -> None:
        self.sql(f"CREATE DATABASE {DATABASE}", database="postgres")
        # Superusers: PostGraphile honours privileges (--no-ignore-rbac), and must expose
        # every table, as the hub and the floor read them.
        for role in ROLES:
            self.sql(f"CREATE ROLE {role} LOGIN SUPERUSER", database="postgres")
        self.sql("CREATE EXTENSION pg_stat_statements")

    def destroy(self) -> None:
        with suppress(RuntimeError):  # never started, or already stopped
            self._run(postgres_program("pg_ctl"), "stop", "-w", "-D", str(self.data), "-m", "fast")
        shutil.rmtree(self.folder, ignore_errors=True)


def reset_statements(cluster: Cluster) -> None:
    cluster.sql("SELECT pg_stat_statements_reset()")


# What asyncpg sends when a pooled connection is released (one round trip, four statements):
# counted apart, as the pool's cost rather than the query's. RESET ALL counts the releases.
_POOL_RESET = ("SELECT pg_advisory_unlock_all()", "CLOSE ALL", "UNLISTEN *", "RESET ALL")


def statements_of(cluster: Cluster, role: str) -> tuple[int, int]:
    """Top-level statements of ``role`` since the last reset: those that are not a pool's
    reset (queries, and BEGIN/COMMIT/SET where the server sends them), and pool releases."""
    reset = ", ".join(f"'{statement}'" for statement in _POOL_RESET)
    statements, releases = cluster.sql(
        f"SELECT coalesce(sum(s.calls) FILTER (WHERE s.query NOT IN ({reset})), 0),"
        " coalesce(sum(s.calls) FILTER (WHERE s.query = 'RESET ALL'), 0)"
        " FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid"
        f" WHERE r.rolname = '{role}'"
    ).split("|")
    return int(statements), int(releases)
