"""A site's lists kept in its history beside its columns: parcel owners, resorption phases,
closing solutions. Writes replace a whole list; the history records it as one value."""

from __future__ import annotations

from typing import Any

from hub.models import ParcelOwner, SiteClosingSolution, SiteResorptionPhase

PARCELS, PHASES, SOLUTIONS = "parcel_owners", "resorption_phases", "closing_solutions"
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


async def replace_site_lists(site_id: int, lists: dict[str, list[dict[str, Any]]]) -> None:
    for name, rows in lists.items():
        model = _MODELS[name]
        await model.filter(site_id=site_id).delete()
        if rows:
            await model.bulk_create([model(site_id=site_id, **row) for row in rows])


def rebuilt_rows(name: str, rows: list[dict[str, Any]]) -> list[Any]:
    """Unsaved rows of a list as the history holds it (for objects rebuilt at a date)."""
    model = _MODELS[name]
    fields = model._meta.fields_map
    return [
        model(
            **{k: fields[k].to_python_value(v) if v is not None else None for k, v in row.items()}
        )
        for row in rows
    ]
