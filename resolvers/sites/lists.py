"""A site's lists kept in its history beside its columns: parcel owners, resorption phases,
closing solutions, and its actors. Writes replace a whole list; the history records it as
one value."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from hub.models import ParcelOwner, Site, SiteActor, SiteClosingSolution, SiteResorptionPhase
from resolvers.history.as_of import rebuilt_list

PARCELS, PHASES, SOLUTIONS = "parcel_owners", "resorption_phases", "closing_solutions"
ACTORS = "actors"
_MODELS: dict[str, Any] = {
    PARCELS: ParcelOwner,
    PHASES: SiteResorptionPhase,
    SOLUTIONS: SiteClosingSolution,
}
_COLUMNS = {
    PARCELS: ("parcel", "owner_type", "owner_name"),
    PHASES: ("phase", "started_at", "completed_at"),
    SOLUTIONS: ("solution", "people", "households"),
}


async def site_lists(site_id: int) -> dict[str, list[dict[str, Any]]]:
    return {
        name: await model.filter(site_id=site_id).order_by("id").values(*_COLUMNS[name])
        for name, model in _MODELS.items()
    }


def actor_entry(actor: SiteActor) -> dict[str, Any]:
    """An actor as the site's history holds it."""
    return {
        "organization_id": actor.organization_id,
        "user_id": actor.user_id,
        "themes": sorted(actor.themes),
    }


async def lists_of_sites(ids: list[int]) -> dict[int, dict[str, list[Any]]]:
    """Every list of many sites, actors included, as their history holds them."""
    lists: defaultdict[int, dict[str, list[Any]]] = defaultdict(
        lambda: {name: [] for name in (*_MODELS, ACTORS)}
    )
    for name, model in _MODELS.items():
        rows = await model.filter(site_id__in=ids).order_by("id").values("site_id", *_COLUMNS[name])
        for row in rows:
            lists[row.pop("site_id")][name].append(row)
    for actor in await SiteActor.filter(site_id__in=ids).order_by("id"):
        lists[actor.site_id][ACTORS].append(actor_entry(actor))
    return {key: lists[key] for key in ids}


def past_actors(
    site_id: int, entries: list[dict[str, Any]], rows: list[SiteActor], moment: datetime.datetime
) -> list[SiteActor]:
    """The actors of a site rebuilt at a past date, from its history's list, in the order of
    today's (by declaration). An entry still there (declared before ``moment``) keeps its id
    and date; one withdrawn since has neither, and comes last."""
    kept = {(row.organization_id, row.user_id): row for row in rows if row.created_at < moment}
    known: list[SiteActor] = []
    withdrawn: list[SiteActor] = []
    for entry in entries:
        actor = SiteActor(site_id=site_id, **entry)
        row = kept.get((entry["organization_id"], entry["user_id"]))
        if row is None:
            # Not saved yet: no id nor creation time (the model types both without None).
            actor.id, actor.created_at = None, None  # type: ignore[assignment]
            withdrawn.append(actor)
        else:
            actor.id, actor.created_at = row.id, row.created_at
            known.append(actor)
    return sorted(known, key=lambda actor: (actor.created_at, actor.id)) + withdrawn


async def replace_site_lists(site_id: int, lists: dict[str, list[dict[str, Any]]]) -> None:
    for name, rows in lists.items():
        model = _MODELS[name]
        await model.filter(site_id=site_id).delete()
        if rows:
            await model.bulk_create([model(site_id=site_id, **row) for row in rows])


def rebuilt_rows(site: Site, name: str) -> list[Any] | None:
    """Unsaved rows of a list of a site read at a past date, as its history holds it; None
    for a site read today."""
    rows = rebuilt_list(site, name)
    if rows is None:
        return None
    model = _MODELS[name]
    fields = model._meta.fields_map
    return [
        model(
            **{k: fields[k].to_python_value(v) if v is not None else None for k, v in row.items()}
        )
        for row in rows
    ]
