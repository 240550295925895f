"""Real Apollo Federation tooling for tests: the hub, a partner subgraph and a gateway.

``tests/federation/`` holds two Node scripts over npm packages (installed beforehand with
``npm ci --prefix tests/federation``; ``make test`` does it):

- ``partner.mjs``, a small partner subgraph (``@apollo/subgraph``): an association's visits
  tool that adds ``visits`` and ``lastVisit`` to the hub's ``Site`` entity, and lists the
  sites it follows (``followedSites``), which the gateway completes from the hub's
  ``_entities``;
- ``gateway.mjs``, which composes the subgraphs' SDLs with ``@apollo/composition`` and serves
  the supergraph with ``@apollo/gateway``, forwarding each client's ``Authorization`` header.

:class:`FederatedStack` runs ``hub serve`` as a real process, the partner and the gateway,
each on a free port of 127.0.0.1, with the hub's ``_entities`` and ``_service`` reserved to the
gateway by ``HUB_FEDERATION_SECRET``::

    with FederatedStack(tmp_path, database_url=url, dev_issuer_key=key, followed=[gid]) as stack:
        body = await stack.ask("{ sites { nodes { id visits { date } } } }", token)
        direct = await stack.ask_hub("{ sites { nodes { id } } }", token)

:func:`compose` runs the composition alone, for SDLs that should not compose.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.processes import free_port, stop_process, wait_for_line

__all__ = [
    "FEDERATION_DIR",
    "NPM_CI",
    "Composition",
    "FederatedStack",
    "FederationToolingError",
    "compose",
    "missing_tooling",
]

JSONDict = dict[str, Any]

FEDERATION_DIR = Path(__file__).resolve().parent / "federation"
NPM_CI = "npm ci --prefix tests/federation"
ROUTER_HEADER = "X-Hub-Router-Secret"
SERVICE_SDL = "{ _service { sdl } }"

# Processes started and not yet stopped, stopped at interpreter exit whatever happens.
_RUNNING: set[_Process] = set()


class FederationToolingError(RuntimeError):
    """A process of the stack could not start, or composition could not run."""


def missing_tooling() -> str | None:
    """Why the Node tooling cannot run here (node missing, packages not installed), or None."""
    if shutil.which("node") is None:
        return "`node` is not on PATH; the federation tooling needs Node.js"
    if not (FEDERATION_DIR / "node_modules" / "@apollo" / "gateway").is_dir():
        return f"{FEDERATION_DIR / 'node_modules'} is missing: run `{NPM_CI}` (make test does)"
    return None


def _require_tooling() -> str:
    problem = missing_tooling()
    if problem is not None:
        raise FederationToolingError(problem)
    node = shutil.which("node")
    assert node is not None
    return node


# --- processes --------------------------------------------------------------------------------


class _Process:
    """One child process on 127.0.0.1:``port``, its stdout and stderr in ``workdir``."""

    label = "process"

    def __init__(self, workdir: Path, port: int | None = None, startup_timeout: float = 30.0):
        self.workdir = Path(workdir)
        self.port = port if port is not None else free_port()
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path = self.workdir / f"{self.label}-{self.port}.log"
        self._started_at = 0.0

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log_text(self) -> str:
        """What the process wrote to stderr (and, for the hub, stdout) so far."""
        try:
            return self._log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _popen(
        self, args: Sequence[str], *, cwd: Path, env: Mapping[str, str], pipe_stdout: bool
    ) -> subprocess.Popen[bytes]:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("ab") as log:
            process = subprocess.Popen(
                list(args),
                cwd=cwd,
                # Node scripts exit when this pipe closes: they never outlive the tests.
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE if pipe_stdout else log,
                stderr=log if pipe_stdout else subprocess.STDOUT,
                env=dict(env),
            )
        self._process = process
        self._started_at = time.monotonic()
        _RUNNING.add(self)
        return process

    def _fail(self, problem: str) -> FederationToolingError:
        log = self.log_text().strip()[-4000:] or "(nothing)"
        return FederationToolingError(f"{self.label} on port {self.port} {problem}; log:\n{log}")

    def stop(self) -> int | None:
        """SIGTERM, wait, SIGKILL if needed; the exit code (None when it was not running)."""
        process, self._process = self._process, None
        _RUNNING.discard(self)
        if process is None:
            return None
        return stop_process(process)


class _NodeScript(_Process):
    """``node tests/federation/<script> CONFIG.json``, ready when it prints ``ready <url>``."""

    script = ""

    def __init__(self, workdir: Path, config: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(workdir, **kwargs)
        self.config: JSONDict = {**config, "port": self.port, "exitOnStdinEOF": True}
        self.url = ""

    def spawn(self) -> None:
        node = _require_tooling()
        self.workdir.mkdir(parents=True, exist_ok=True)
        config_path = self.workdir / f"{self.label}-{self.port}.json"
        config_path.write_text(json.dumps(self.config, indent=2))
        self._popen(
            [node, str(FEDERATION_DIR / self.script), str(config_path)],
            cwd=FEDERATION_DIR,
            env={**os.environ, "NODE_ENV": "test"},
            pipe_stdout=True,
        )

    def wait_ready(self) -> None:
        process = self._process
        assert process is not None
        expected = f"ready http://127.0.0.1:{self.port}/"
        remaining = self._started_at + self.startup_timeout - time.monotonic()
        problem = wait_for_line(process, expected, max(remaining, 0.1))
        if problem is None:
            self.url = expected.removeprefix("ready ")
            return
        self.stop()
        raise self._fail(problem)


class PartnerSubgraph(_NodeScript):
    """``partner.mjs``: the association's visits tool; ``followed`` are hub site global IDs."""

    label = "partner"
    script = "partner.mjs"

    def __init__(self, workdir: Path, followed: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(workdir, {"sites": list(followed)}, **kwargs)


class Gateway(_NodeScript):
    """``gateway.mjs`` over ``subgraphs`` (``{"name", "url", "sdl"[, "headers"]}`` dicts)."""

    label = "gateway"
    script = "gateway.mjs"

    def __init__(
        self, workdir: Path, subgraphs: Sequence[Mapping[str, Any]], **kwargs: Any
    ) -> None:
        self.supergraph_path = Path(workdir) / "supergraph.graphql"
        config = {"subgraphs": [dict(s) for s in subgraphs], "supergraphPath": ""}
        super().__init__(workdir, config, **kwargs)
        self.config["supergraphPath"] = str(self.supergraph_path)

    @property
    def supergraph(self) -> str:
        return self.supergraph_path.read_text()


class HubProcess(_Process):
    """``python -m hub.server.cli serve`` (test environment), ready when ``/ready`` answers 200.

    Only the ``HUB_*`` variables given here reach it, whatever the test process has set.
    """

    label = "hub"

    def __init__(self, workdir: Path, environ: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(workdir, **kwargs)
        self.environ = dict(environ)
        self.url = f"http://127.0.0.1:{self.port}"

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    def spawn(self) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("HUB_")}
        env.update({"HUB_ENV": "test", **self.environ})
        self._popen(
            [sys.executable, "-m", "hub.server.cli", "serve", "--port", str(self.port)],
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            pipe_stdout=False,
        )

    def wait_ready(self) -> None:
        deadline = self._started_at + self.startup_timeout
        while time.monotonic() < deadline:
            if not self.running:
                self.stop()
                raise self._fail("exited before being ready")
            try:
                if httpx.get(f"{self.url}/ready", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise self._fail(f"did not answer /ready within {self.startup_timeout:g} s")


# --- the stack --------------------------------------------------------------------------------


class FederatedStack:
    """The hub (``hub serve`` over ``database_url``), the partner subgraph and the gateway.

    The hub trusts the development issuer whose key is ``dev_issuer_key``, so tokens of
    ``DevIssuer.load(settings)`` for the same key are accepted. ``followed`` are the hub site
    global IDs the partner's ``followedSites`` returns.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        database_url: str,
        dev_issuer_key: Path,
        followed: Sequence[str] = (),
        startup_timeout: float = 30.0,
    ) -> None:
        self.workdir = Path(workdir)
        self.router_secret = secrets.token_urlsafe(16)
        self.hub = HubProcess(
            self.workdir,
            {
                "HUB_DATABASE_URL": database_url,
                "HUB_DEV_ISSUER_KEY": str(dev_issuer_key),
                "HUB_FEDERATION_SECRET": self.router_secret,
            },
            startup_timeout=startup_timeout,
        )
        self.partner = PartnerSubgraph(
            self.workdir, followed=followed, startup_timeout=startup_timeout
        )
        self.gateway: Gateway | None = None
        self.startup_timeout = startup_timeout

    @property
    def gateway_url(self) -> str:
        assert self.gateway is not None, "the stack is not started"
        return self.gateway.url

    def start(self) -> None:
        """Start the hub and the partner side by side, compose their SDLs, start the gateway."""
        _require_tooling()
        try:
            self.hub.spawn()
            self.partner.spawn()
            self.hub.wait_ready()
            self.partner.wait_ready()
            subgraphs = self.subgraphs()
            self.gateway = Gateway(self.workdir, subgraphs, startup_timeout=self.startup_timeout)
            self.gateway.spawn()
            self.gateway.wait_ready()
        except BaseException:
            self.stop()
            raise

    def subgraphs(self) -> list[JSONDict]:
        """The gateway's subgraph list, with the SDLs the running subgraphs publish."""
        hub_headers = {ROUTER_HEADER: self.router_secret}
        return [
            {
                "name": "hub",
                "url": self.hub.graphql_url,
                "sdl": self.service_sdl(self.hub.graphql_url, hub_headers),
                "headers": hub_headers,
            },
            {
                "name": "visits",
                "url": self.partner.url,
                "sdl": self.service_sdl(self.partner.url),
            },
        ]

    @staticmethod
    def service_sdl(url: str, headers: Mapping[str, str] | None = None) -> str:
        """A subgraph's ``_service { sdl }``."""
        response = httpx.post(url, json={"query": SERVICE_SDL}, headers=headers, timeout=10)
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise FederationToolingError(f"{url} refused `{SERVICE_SDL}`: {response.text}")
        sdl: str = body["data"]["_service"]["sdl"]
        return sdl

    def stop(self) -> dict[str, int | None]:
        """Stop every process (gateway first); their exit codes by label."""
        codes: dict[str, int | None] = {}
        for process in (self.gateway, self.partner, self.hub):
            if process is not None:
                codes[process.label] = process.stop()
        return codes

    def __enter__(self) -> FederatedStack:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def ask(self, query: str, token: str | None = None) -> JSONDict:
        """POST a query to the gateway, as the bearer of ``token`` (anonymous without)."""
        return await _post(self.gateway_url, query, token)

    async def ask_hub(self, query: str, token: str | None = None) -> JSONDict:
        """POST a query to the hub directly, as a client would without the gateway."""
        return await _post(self.hub.graphql_url, query, token)

    def logs(self) -> str:
        """Every process's log, for a failure message."""
        parts = []
        for process in (self.hub, self.partner, self.gateway):
            if process is not None:
                parts.append(f"--- {process.label} ---\n{process.log_text().strip()}")
        return "\n".join(parts)


async def _post(url: str, query: str, token: str | None) -> JSONDict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=15) as http:
        response = await http.post(url, json={"query": query}, headers=headers)
    if response.status_code != 200:
        raise AssertionError(f"{url} answered {response.status_code}: {response.text}")
    body: JSONDict = response.json()
    return body


# --- composition alone ------------------------------------------------------------------------


@dataclass(frozen=True)
class Composition:
    returncode: int
    stdout: str
    stderr: str
    supergraph: str | None


def compose(workdir: Path, subgraphs: Sequence[Mapping[str, Any]]) -> Composition:
    """Run ``gateway.mjs`` in compose-only mode over ``{"name", "url", "sdl"}`` dicts.

    Exit code 0 with the supergraph SDL, or 2 with the composition errors on stderr.
    """
    node = _require_tooling()
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    supergraph_path = workdir / "composed-supergraph.graphql"
    supergraph_path.unlink(missing_ok=True)
    config_path = workdir / "compose.json"
    config = {
        "port": 0,
        "subgraphs": [dict(s) for s in subgraphs],
        "supergraphPath": str(supergraph_path),
        "composeOnly": True,
    }
    config_path.write_text(json.dumps(config, indent=2))
    result = subprocess.run(
        [node, str(FEDERATION_DIR / "gateway.mjs"), str(config_path)],
        cwd=FEDERATION_DIR,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return Composition(
        result.returncode,
        result.stdout.decode(errors="replace"),
        result.stderr.decode(errors="replace"),
        supergraph_path.read_text() if supergraph_path.exists() else None,
    )


@atexit.register
def _stop_all() -> None:
    for process in list(_RUNNING):
        process.stop()
