"""Database set-up: tortoise configuration, connection lifecycle, migrations."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate as tortoise_migrate

APP = "hub"
MODELS_MODULE = "hub.models"
MIGRATIONS_MODULE = "hub.migrations"


def normalize_url(url: str) -> str:
    """Accept postgresql:// as well as tortoise's postgres://; create SQLite folders."""
    if url.startswith("postgresql://"):
        url = "postgres://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://").split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    return url


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": normalize_url(database_url)},
        "apps": {
            APP: {
                "models": [MODELS_MODULE],
                "migrations": MIGRATIONS_MODULE,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def connect(database_url: str, *, shared_across_tasks: bool = False) -> None:
    """Open the connections.

    tortoise keeps them in a context variable: a server that connects in its lifespan task
    must share them with the request tasks (``shared_across_tasks``).
    """
    await Tortoise.init(
        config=tortoise_config(database_url), _enable_global_fallback=shared_across_tasks
    )


async def disconnect() -> None:
    await Tortoise.close_connections()


async def migrate(database_url: str) -> None:
    """Apply every pending migration of hub/migrations (the same files on every database)."""
    await tortoise_migrate(config=tortoise_config(database_url))


class StatementCounter(logging.Handler):
    """Counts the SQL statements tortoise sends (it logs each one at DEBUG level)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Statements are logged as "%s: %s" (SQL, parameters); other messages are not SQL.
        if record.msg == "%s: %s" and isinstance(record.args, tuple):
            self.statements.append(str(record.args[0]))

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_statements() -> Iterator[StatementCounter]:
    logger = logging.getLogger("tortoise.db_client")
    counter = StatementCounter()
    previous_level = logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous_level)


# Filled by ``hub makemigrations`` for tortoise's own command line, which reads a module path.
CLI_CONFIG: dict[str, Any] = {}
