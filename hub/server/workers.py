"""How ``hub serve --workers N`` shares one port between N processes: each worker listens on a
socket of its own, and the kernel spreads the connections across them.

uvicorn's supervisor binds one socket and hands it to every worker, which all accept from the
same queue: the worker whose event loop wakes first accepts every connection waiting, so a
burst of keep-alive connections (a client opening its pool) lands on one worker, and the
others sit idle for as long as those connections live. With ``SO_REUSEPORT`` (Linux) each
worker binds the port itself and has its own queue, and the kernel assigns each new
connection to one of them by a hash of its addresses and ports, whether the workers are busy
or not.

The supervisor stays uvicorn's (worker restart, SIGHUP, SIGTTIN/SIGTTOU, graceful shutdown):
it pickles the sockets it holds to each worker it starts, and ``SharedPort`` arrives there
as a new socket bound to the same address. Elsewhere than on Linux (no load-balancing
``SO_REUSEPORT``) the workers share uvicorn's one socket, as before.
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable
from typing import Any

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess

log = logging.getLogger(__name__)

REUSE_PORT = sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


class SharedPort(socket.socket):
    """The port, held by the supervisor: bound with ``SO_REUSEPORT`` but never listening, so
    it receives no connection; it reserves the port for this user's processes and fails at
    start-up when another program holds it. Pickled to a worker, it becomes a new socket
    bound to the same address (``_worker_socket``), which that worker alone listens on."""

    # Only the reduction matters: multiprocessing looks reducers up by exact type, so this
    # subclass's own wins over the one it registers for sockets (which would share this one).
    def __reduce_ex__(self, protocol: Any) -> tuple[Callable[..., socket.socket], tuple[Any, ...]]:
        return _worker_socket, (self.family, self.getsockname())


def _bound(sock: socket.socket, address: tuple[Any, ...]) -> None:
    # SO_REUSEADDR as uvicorn and asyncio set it: a restart is not refused for the port's
    # connections still in TIME_WAIT.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)


def _worker_socket(family: socket.AddressFamily, address: tuple[Any, ...]) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        _bound(sock, address)
    except OSError as error:
        sock.close()
        # Exiting as a start-up failure makes the supervisor stop instead of restarting
        # workers that would fail the same way.
        log.error("A worker could not bind %s: %s", address, error)
        sys.exit(STARTUP_FAILURE)
    return sock


def run_workers(config: Config) -> None:
    """uvicorn's supervisor, each worker on its own ``SO_REUSEPORT`` socket."""
    family = socket.AF_INET6 if config.host and ":" in config.host else socket.AF_INET
    port = SharedPort(family, socket.SOCK_STREAM)
    try:
        _bound(port, (config.host, config.port))
    except OSError as error:
        port.close()
        log.error("Cannot listen on %s:%d: %s", config.host, config.port, error)
        sys.exit(STARTUP_FAILURE)
    with port:
        host, bound_port = port.getsockname()[:2]
        log.info(
            "Listening on %s:%d with %d workers, each accepting its share of the connections",
            host,
            bound_port,
            config.workers,
        )
        Multiprocess(config, sockets=[port]).run()
