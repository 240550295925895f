"""Throwaway PostgreSQL clusters, for the tests that stop, freeze or replicate a server: each
in a temporary folder (its data, socket and log), on a free port of 127.0.0.1, never the shared
server, which every other test uses. A cluster is made by initdb, or as a streaming replica
of another one by pg_basebackup."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from tests.processes import free_port


def postgres_bin(name: str) -> str | None:
    """A PostgreSQL server program, of the newest version installed."""
    found = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda path: [int(part) for part in re.findall(r"\d+", path.parts[-3])],
    )
    return str(found[-1]) if found else shutil.which(name)


def _programs(*names: str) -> list[str]:
    found = [postgres_bin(name) for name in names]
    if None in found:
        pytest.skip(f"the PostgreSQL server programs ({', '.join(names)}) are not installed")
    return [program for program in found if program is not None]


class Cluster:
    """A cluster of its own; with ``primary``, a streaming replica of that one (hot standby:
    it answers reads, replays what the primary writes, and refuses writes)."""

    def __init__(self, primary: Cluster | None = None) -> None:
        initdb, self.pg_ctl, pg_basebackup = _programs("initdb", "pg_ctl", "pg_basebackup")
        self.folder = Path(tempfile.mkdtemp(prefix="hub-cluster-"))
        # PostgreSQL refuses to run as root: its files then belong to the postgres user.
        self.as_root = os.geteuid() == 0
        if self.as_root:
            os.chown(self.folder, pwd.getpwnam("postgres").pw_uid, -1)
        self.port = free_port()
        if primary is None:
            self._run(initdb, "-D", self.data, "-U", "postgres", "-A", "trust", "--no-sync")
            # Replicas connect from this machine (initdb allows it already; said here, since
            # replicas depend on it).
            with (Path(self.data) / "pg_hba.conf").open("a") as hba:
                hba.write("host replication postgres 127.0.0.1/32 trust\n")
        else:
            # -R: the copy starts as a standby streaming from the primary.
            self._run(
                pg_basebackup, "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                "-D", self.data, "-R", "-X", "stream", "-c", "fast", "--no-sync",
            )  # fmt: skip

    @property
    def data(self) -> str:
        return str(self.folder / "data")

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        done = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c wal_level=replica -c max_wal_senders=4"
        )
        log = str(self.folder / "log")
        self._run(self.pg_ctl, "start", "-w", "-t", "30", "-D", self.data, "-l", log, "-o", options)

    def stop(self, mode: str = "fast") -> None:
        self._run(self.pg_ctl, "stop", "-w", "-t", "30", "-D", self.data, "-m", mode)

    def children_of(self, parent: int) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            with suppress(OSError, ValueError):  # not a process, or one that ended meanwhile
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                    found.append(int(entry.name))
        return found

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """Every process of the cluster stopped (SIGSTOP), as a hung server or host would be:
        the postmaster first, so that it starts no new one, then its children."""
        postmaster = int((Path(self.data) / "postmaster.pid").read_text().split()[0])
        os.kill(postmaster, signal.SIGSTOP)
        stopped = [postmaster]
        try:
            for pid in self.children_of(postmaster):
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
                    stopped.append(pid)
            yield
        finally:
            for pid in stopped:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)

    def destroy(self) -> None:
        with suppress(OSError, AssertionError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
