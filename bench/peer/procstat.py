"""CPU time of a process and its descendants, from /proc/PID/stat (Linux)."""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def pid_from_file(path: Path) -> int:
    """The PID on the first line of a PID file (postmaster.pid)."""
    return int(path.read_text().split()[0])


def _stat(pid: int) -> list[str]:
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        with suppress(OSError, ValueError, IndexError):  # not a process, or one that ended
            if int(_stat(int(entry.name))[1]) == parent:
                found.append(int(entry.name))
    return found


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU of ``root``, of its live descendants, and of those it has reaped.

    Every hub worker and every PostgreSQL backend is counted: a worker or a backend that
    ended during a pass is in its parent's cutime/cstime once reaped."""
    total_ticks = 0
    pending = [root]
    while pending:
        pid = pending.pop()
        with suppress(OSError):  # ended meanwhile
            fields = _stat(pid)
            # After the command: state is fields[0], utime..cstime are fields[11..14].
            utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
            total_ticks += utime + stime + cutime + cstime
            pending.extend(_children(pid))
    return total_ticks / _TICKS
