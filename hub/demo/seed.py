"""``seed_demo``: the whole demo data set, built in memory, written in one transaction."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tortoise.transactions import in_transaction

from hub.demo.actions import build_actions
from hub.demo.actors import build_actors, choose_intervened
from hub.demo.context import Ids, Rows, Scale, rng_for
from hub.demo.geography import Geography, load_geography
from hub.demo.journal import build_comments
from hub.demo.organizations import build_organizations
from hub.demo.reference import DEFAULT_SEED, DEFAULT_SITES
from hub.demo.sites import build_sites, choose_open, place_sites
from hub.demo.store import advance_sequences, delete_all, ensure_empty, write_rows
from hub.demo.users import build_users

logger = logging.getLogger(__name__)


class _Laps:
    def __init__(self) -> None:
        self.last = time.perf_counter()

    def __call__(self, what: str) -> None:
        now = time.perf_counter()
        logger.debug("demo data: %s built in %.2f s", what, now - self.last)
        self.last = now


def _build(seed: int, scale: Scale, geo: Geography) -> Rows:
    """Every row of the data set, in memory; each phase draws from its own generator."""
    lap = _Laps()
    ids, rows = Ids(), Rows()
    places = place_sites(rng_for(seed, "places"), geo, scale)
    open_flags = choose_open(rng_for(seed, "open"), places, scale)
    orgs = build_organizations(rng_for(seed, "organizations"), ids, rows, geo, scale, places)
    people = build_users(rng_for(seed, "users"), ids, rows, geo, scale, orgs)
    lap("organizations and users")
    plans = build_sites(rng_for(seed, "sites"), ids, rows, geo, people, places, open_flags)
    lap("sites")
    choose_intervened(rng_for(seed, "intervened"), plans)
    regions = {code: info.region for code, info in geo.departements.items()}
    build_actors(rng_for(seed, "actors"), ids, rows, orgs, plans, regions)
    actions = build_actions(rng_for(seed, "actions"), ids, rows, geo, orgs, people, plans, scale)
    lap("actors and actions")
    build_comments(rng_for(seed, "comments"), ids, rows, orgs, people, plans, actions, scale)
    lap("comments")
    return rows


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    # Hundreds of thousands of small dicts and lists, none of them garbage until the end:
    # without this the collector rescans them all, again and again, for seconds each time.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


async def seed_demo(
    sites: int = DEFAULT_SITES, seed: int = DEFAULT_SEED, reset: bool = False
) -> dict[str, int]:
    """Build the demo data set (deterministic for a given ``sites`` and ``seed``) and return
    how many rows each table received.

    Needs the territories (``hub load-territories``). Raises DemoDataExists if organizations,
    users or sites are already there, unless ``reset`` deletes everything but the territories
    first, in the same transaction as the inserts.
    """
    if sites < 1:
        raise ValueError("sites must be at least 1")
    started = time.perf_counter()
    scale = Scale(sites)
    async with in_transaction() as conn:
        if reset:
            await delete_all(conn)
        else:
            await ensure_empty(conn)
        geo = await load_geography(conn)
        with _no_cyclic_gc():
            rows = _build(seed, scale, geo)
            built = time.perf_counter()
            counts = await write_rows(conn, rows)
        await advance_sequences(conn)
    logger.info(
        "demo data: %d sites built in %.1f s, written in %.1f s",
        sites, built - started, time.perf_counter() - built,
    )  # fmt: skip
    return counts
