"""Demo sites on the map: each site without coordinates gets a point inside its commune.

The point depends only on the site's id and its commune's outline (``geography.point_inside``
seeded by the id), so a fresh demo and an older demo database back-filled by
``hub place-demo-sites`` place the same site at the same point. Real sites are never placed
this way: the command runs only in the demo and development environments.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from hub import geography
from hub.geography import Shape
from hub.models import Outline, Site

logger = logging.getLogger(__name__)

BATCH_SIZE = 5000


@dataclass(frozen=True)
class Placed:
    placed: int
    # Sites whose commune has no outline in the database (``hub load-territories`` loads them).
    without_outline: int


async def commune_shapes(conn: BaseDBAsyncClient, codes: Iterable[str]) -> dict[str, Shape]:
    """The outlines of these communes, decoded; a commune without one is left out."""
    outlines = Outline.filter(level="commune", code__in=sorted(set(codes))).using_db(conn)
    return {outline.code: outline.shape() for outline in await outlines}


def site_point(shapes: dict[str, Shape], commune: str, site_id: int) -> tuple[float, float] | None:
    """A demo site's point: drawn inside its commune from its id, or None without an outline."""
    shape = shapes.get(commune)
    return None if shape is None else geography.point_inside(shape, seed=site_id)


async def locate_sites(conn: BaseDBAsyncClient) -> Placed:
    """Give every site that has no coordinates a point inside its commune's outline."""
    sites = (
        await Site.filter(latitude__isnull=True, longitude__isnull=True)
        .using_db(conn)
        .order_by("id")
        .values_list("id", "commune_id")
    )
    shapes = await commune_shapes(conn, (code for _, code in sites))
    points = [
        [*point, site_id]
        for site_id, code in sites
        if (point := site_point(shapes, code, site_id)) is not None
    ]
    executor = conn.executor_class(model=Site, db=conn)
    table = Site._meta.basetable
    update = (
        conn.query_class.update(table)
        .set(table.latitude, executor.parameter(0))
        .set(table.longitude, executor.parameter(1))
        .where(table.id == executor.parameter(2))
    )
    for start in range(0, len(points), BATCH_SIZE):
        await conn.execute_many(update.get_sql(), points[start : start + BATCH_SIZE])
    placed = Placed(len(points), len(sites) - len(points))
    logger.info(
        "demo sites placed in their communes: %d, left without an outline: %d",
        placed.placed,
        placed.without_outline,
    )
    return placed
