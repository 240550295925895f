"""The hub's tables and demo data in the throwaway cluster, and the callers' tokens: all through
the ``hub`` command, as an operator would do it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.peer.cluster import Cluster
from hub.demo.reference import PERSONA_DOMAIN, PERSONAS
from hub.models.enums import LocationLevel, Role

ADMIN = f"national_admin@{PERSONA_DOMAIN}"
OPERATOR = f"operator@{PERSONA_DOMAIN}"


def hub_environment(database_url: str, folder: Path) -> dict[str, str]:
    """What ``hub`` runs with: the demo mode, this database, no rate limits (one caller sends
    every request), the development issuer's key in the run's folder."""
    return {
        **os.environ,
        "HUB_ENV": "demo",
        "HUB_DATABASE_URL": database_url,
        "HUB_DEV_ISSUER_KEY": str(folder / "dev-issuer-key.json"),
        "HUB_RATE_LIMIT": "0",
        "HUB_RATE_LIMIT_APPS": "0",
        "HUB_RATE_LIMIT_ANONYMOUS": "0",
        "HUB_RATE_LIMIT_ADDRESS": "0",
    }


def hub(env: dict[str, str], folder: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "hub.server.cli", *args],
        env=env,
        cwd=folder,  # not the checkout: its var/hub.env would be read
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"hub {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def seed(cluster: Cluster, env: dict[str, str], folder: Path) -> str:
    """Migrate, load the territories, seed the demo data, ANALYZE; what was seeded."""
    started = time.perf_counter()
    hub(env, folder, "migrate")
    hub(env, folder, "load-territories")
    seeded = hub(env, folder, "seed", "--demo").splitlines()[-1]
    # Autovacuum would analyze the fresh tables in the middle of the measurements.
    cluster.sql("ANALYZE")
    return f"{seeded} ({time.perf_counter() - started:.0f} s)"


def write_token(env: dict[str, str], folder: Path, who: str) -> Path:
    """A file holding ``who``'s token (``hub token``), as post_auth.lua reads it."""
    path = folder / f"{who.split('@')[0]}.token"
    path.write_text(hub(env, folder, "token", who, "--hours", "2"))
    return path


def operator_departements() -> list[str]:
    """The départements the demo's operator reads sites in: its intervention area's."""
    persona = next(p for p in PERSONAS if p.email == OPERATOR)
    if persona.role is not Role.OPERATOR or persona.area_level is not LocationLevel.DEPARTEMENT:
        raise SystemExit(f"{OPERATOR} is no longer an operator of one département")
    assert persona.area_code is not None
    return [persona.area_code]
