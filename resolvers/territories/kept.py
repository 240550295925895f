"""The official geography kept in memory by each serving process, as long as it is current.

A list or a map of sites shows each site's commune and département: two statements a
request, and the rows of up to 500 communes built each time (a tenth of a 500-site map's
time), for data that changes when an operator reloads it (``hub load-territories``), about
once a year. So régions, départements, EPCIs and communes read by code are kept by the
process, per database connection (the primary's, a replica's), and whole (every column,
whatever the operation shows).

Kept, but never stale: the table ``territory_revision`` holds one token, which the database
itself changes in the transaction of any change to those four tables (triggers, migration
0012; ``hub load-territories`` and SQL by hand alike). A request that reads territories
reads the token first, once per connection it reads from (one statement of one row, in
place of the statements of the territories), and uses the kept rows only if they were kept
under that token; another token drops them all. Rows read while the token changes are not
kept under the new one: a request that read the old token keeps nothing once another has
read the new one.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from resolvers.columns import reading
from resolvers.fetching import rows_by_keys

ModelT = TypeVar("ModelT", bound=Model)

_TOKEN = 'SELECT "token" FROM "territory_revision" WHERE "id" = 1'


@dataclass
class _Kept:
    """What a process keeps of one connection's territories, and under which token."""

    token: str | None = None
    rows: dict[type[Model], dict[str, Model]] = field(default_factory=dict)


_KEPT: weakref.WeakKeyDictionary[BaseDBAsyncClient, _Kept] = weakref.WeakKeyDictionary()


class Revisions:
    """The token of each connection, read once by a request (its loaders share one)."""

    def __init__(self) -> None:
        self._read: dict[BaseDBAsyncClient, asyncio.Future[str | None]] = {}

    async def token(self, db: BaseDBAsyncClient) -> str | None:
        read = self._read.get(db)
        if read is None:
            read = self._read[db] = asyncio.ensure_future(_read_token(db))
        # Shielded: one loader's batch cancelled does not cancel the read the others await.
        return await asyncio.shield(read)


async def _read_token(db: BaseDBAsyncClient) -> str | None:
    _, rows = await db.execute_query(_TOKEN)
    return str(rows[0]["token"]) if rows else None


async def territories_by_code(
    model: type[ModelT], codes: Sequence[str], revisions: Revisions
) -> list[ModelT]:
    """The ``model`` rows of ``codes`` that exist: kept ones if current, the others read
    (and kept)."""
    queryset = model.all()
    db = queryset._choose_db()
    token = await revisions.token(db)
    if token is None:
        # No token (a database before migration 0012, or its row deleted): nothing is kept.
        return await _whole_rows(queryset, codes)
    kept = _KEPT.get(db)
    if kept is None:
        kept = _KEPT[db] = _Kept()
    if kept.token != token:
        kept.token, kept.rows = token, {}
    rows = kept.rows.setdefault(model, {})
    found = [rows[code] for code in codes if code in rows]
    missing = [code for code in codes if code not in rows]
    if missing:
        read = await _whole_rows(queryset, missing)
        # Kept only if no request has read a newer token meanwhile: they may be older.
        if kept.token == token:
            rows.update((row.code, row) for row in read)
        found += read
    return found  # type: ignore[return-value]


async def _whole_rows(queryset: Any, codes: Sequence[str]) -> list[Any]:
    # Whole rows: they serve every later operation, whatever columns it reads.
    with reading({}):
        return await rows_by_keys(queryset, "code", codes)
