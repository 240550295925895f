"""Helpers for the tests that run real processes: free ports, and waiting until one is ready."""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_line(process: subprocess.Popen[bytes], expected: str, timeout: float) -> str | None:
    """Waits for ``process`` to print ``expected`` as its first line on stdout: None once it
    has, else what went wrong (it printed something else, exited, or took too long)."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return f"did not print {expected!r} within {timeout:g} s"
            if not selector.select(timeout=min(remaining, 0.5)):
                continue
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                process.wait(timeout=5)
                return f"exited with code {process.returncode} before being ready"
            buffer += chunk
            if b"\n" in buffer:
                line = buffer.split(b"\n", 1)[0].decode(errors="replace").strip()
                return None if line == expected else f"printed {line!r} instead of {expected!r}"


def stop_process(process: subprocess.Popen[bytes]) -> int | None:
    """SIGTERM, a wait, SIGKILL if it did not stop; its pipes closed; its exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()
    return process.returncode


def start_hub(
    env: Mapping[str, str],
    *arguments: str,
    separate_stderr: bool = False,
    log: Path | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """`hub serve` on a free port, with ``env`` over this process's environment, once it
    answers /health (within 30 s, or the test fails with what it printed); and its base URL.
    With ``log``, what it prints goes to that file (nothing to drain however much it logs)
    rather than to pipes."""
    port = free_port()
    output = log.open("wb") if log is not None else None
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.server.cli", "serve", "--port", str(port), *arguments],
        env={**os.environ, **env},
        stdout=output or subprocess.PIPE,
        stderr=subprocess.PIPE if separate_stderr else subprocess.STDOUT,
    )
    if output is not None:
        output.close()  # the process has its own copy
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    if process.poll() is None:
        process.kill()
    output_bytes, errors = process.communicate(timeout=15)
    if log is not None:
        output_bytes = log.read_bytes()
    printed = (output_bytes or b"").decode(errors="replace") + (errors or b"").decode(
        errors="replace"
    )
    pytest.fail(f"hub serve did not answer /health within 30 s:\n{printed}")
