"""The throwaway databases of the suite and the benchmark (``hub/throwaway.py``)."""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg
import pytest

from hub.throwaway import ThrowawayDatabases
from tests.support import POSTGRES_ADMIN_URL


async def postgres_names(prefix: str) -> set[str]:
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        rows = await admin.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1", prefix)
    finally:
        await admin.close()
    return {row["datname"] for row in rows}


async def test_created_empty_then_dropped(backend: str, tmp_path: Path) -> None:
    databases = ThrowawayDatabases(backend, tmp_path, "hub_throwaway", POSTGRES_ADMIN_URL)
    url = await databases.create("one")
    # A second create of the same name (a run that crashed) replaces the database.
    assert await databases.create("one") == url
    if backend == "sqlite":
        assert url == f"sqlite://{tmp_path / 'one.sqlite3'}"
        return
    name = url.rsplit("/", 1)[1]
    assert name.startswith("hub_throwaway_") and name.endswith("_one")
    assert await postgres_names(name) == {name}
    await databases.drop_all()
    assert await postgres_names(name) == set()
    assert databases.created == []


@pytest.mark.parametrize(
    ("kind", "name", "message"),
    [
        ("mysql", "one", "unknown database backend 'mysql'"),
        ("postgres", 'one"; DROP DATABASE postgres; --', "only a-z, 0-9 and _"),
        ("sqlite", "../one", "only a-z, 0-9 and _"),
        ("postgres", "x" * 60, "over 63 characters"),
    ],
)
async def test_bad_names_refused(kind: str, name: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        databases = ThrowawayDatabases(kind, tmp_path, "hub_throwaway", POSTGRES_ADMIN_URL)
        await databases.create(name)
