"""Throwaway databases: empty databases made for one run (the tests, the benchmark), dropped
afterwards, and the switch of tortoise's global connection from one to the next.

Not used by the hub itself; it lives in the core so that both ``tests/`` and ``bench/`` may
import it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from tortoise.backends.base.executor import EXECUTOR_CACHE

from hub import database

BACKENDS = ("sqlite", "postgres")
# Interpolated into CREATE/DROP DATABASE (identifiers take no parameters) and a file name.
_NAME = re.compile(r"[a-z0-9_]+")
# PostgreSQL cuts longer identifiers, so two long names could become the same database.
_POSTGRES_NAME_LENGTH = 63


class ThrowawayDatabases:
    """Creates empty databases of one backend and drops them all at the end.

    SQLite: files in ``folder``, which the caller owns and removes. PostgreSQL: databases
    ``<prefix>_<pid>_<name>`` created through ``postgres_url`` (an administrator's URL), so
    that parallel runs never share one.
    """

    def __init__(self, backend: str, folder: Path, prefix: str, postgres_url: str) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown database backend {backend!r} (sqlite or postgres)")
        self.backend = backend
        self.folder = folder
        self.prefix = prefix
        self.postgres_url = postgres_url
        self.created: list[str] = []

    async def create(self, name: str) -> str:
        """The URL of a new, empty database; one of the same name left by a crash is replaced."""
        if not _NAME.fullmatch(name):
            raise ValueError(f"throwaway database name {name!r}: only a-z, 0-9 and _")
        if self.backend == "sqlite":
            url = f"sqlite://{self.folder / f'{name}.sqlite3'}"
        else:
            full_name = f"{self.prefix}_{os.getpid()}_{name}"
            if len(full_name) > _POSTGRES_NAME_LENGTH:
                raise ValueError(f"throwaway database name {full_name!r}: over 63 characters")
            await self._admin(
                f'DROP DATABASE IF EXISTS "{full_name}" WITH (FORCE)',
                f'CREATE DATABASE "{full_name}"',
            )
            url = urlunsplit(urlsplit(self.postgres_url)._replace(path=f"/{full_name}"))
        self.created.append(url)
        return url

    async def drop_all(self) -> None:
        """Drops every PostgreSQL database made here, and the connections still open to it."""
        if self.backend == "postgres":
            await self._admin(
                *(
                    f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)'
                    for url in self.created
                )
            )
        self.created.clear()

    async def _admin(self, *statements: str) -> None:
        if not statements:
            return
        connection = await asyncpg.connect(self.postgres_url)
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()


async def use_database(url: str | None) -> None:
    """Point tortoise's global connection at ``url`` (migrated first), or at nothing."""
    await database.disconnect()
    # tortoise caches INSERT statements per connection name, not per dialect: switching
    # from SQLite to PostgreSQL under the same name would reuse the wrong placeholders.
    EXECUTOR_CACHE.clear()
    if url is not None:
        await database.migrate(url)
        await database.disconnect()
        await database.connect(url)
