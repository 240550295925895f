"""Site mutations: declare, update any field group, close, reopen, confirm, delete.

Each runs in ``resolvers.writes.write``: checked against the policy on the site's territory
(the target commune's on creation), validated on the resulting state, written only if the
site is still at the version the caller read, and recorded in the history and audit log in
the same transaction.
"""

from __future__ import annotations

from typing import Any

from strawberry import UNSET

from hub.models import Commune, Departement, Site
from hub.models.derived import place_in_commune, refresh_derived
from hub.models.enums import EventKind, HistoryOperation, HistorySubject, SiteStatus
from permissions.capabilities import Capability
from permissions.principal import ADMIN_ROLES
from permissions.rows import sites_q
from permissions.territories import Place, site_place
from resolvers.context import Context
from resolvers.inputs.sites import CloseSiteInput, CreateSiteInput, UpdateSiteInput
from resolvers.sites.groups import GROUPS, collect
from resolvers.sites.lists import PARCELS, PHASES, SOLUTIONS, replace_site_lists, site_lists
from resolvers.sites.validation import check_place, check_solutions, check_text, validate_site
from resolvers.writes import (
    ErrorCode,
    Lists,
    Operation,
    Refused,
    UserError,
    Write,
    changes_between,
    columns_of,
    in_scope,
    save_versioned,
    tracked,
    update_versioned,
    write,
)

WHAT = "site"
COMMUNE = "input.identity.communeCode"

CREATE = Operation("site.create", "createSite", "declaring a site", EventKind.SITE_CREATED)
UPDATE = Operation("site.update", "updateSite", "updating a site", EventKind.SITE_UPDATED)
CLOSE = Operation("site.close", "closeSite", "closing a site", EventKind.SITE_CLOSED)
# DOMAIN.md: reopening is for administrators, where they may close sites.
REOPEN = Operation("site.reopen", "reopenSite", "reopening a site", EventKind.SITE_REOPENED)
CONFIRM = Operation(
    "site.confirm", "confirmSiteUnchanged", "confirming a site", EventKind.SITE_CONFIRMED
)
DELETE = Operation("site.delete", "deleteSite", "deleting a site", EventKind.SITE_DELETED)


async def _commune(code: str) -> tuple[Commune, bool]:
    commune = await Commune.get_or_none(code=code)
    if commune is None:
        raise Refused([UserError(COMMUNE, ErrorCode.NOT_FOUND, "No such commune.")])
    if commune.main_commune_id is not None:
        # Sites stand in the city, as scopes see them.
        commune = await Commune.get(code=commune.main_commune_id)
    departement = await Departement.get(code=commune.departement_id)
    return commune, departement.overseas


def _commune_place(commune: Commune) -> Place:
    return Place(commune.region_id, commune.departement_id, commune.epci_id, commune.scope_code)


def _groups(data: CreateSiteInput | UpdateSiteInput) -> tuple[dict[str, Any], list[UserError]]:
    values: dict[str, Any] = {}
    errors: list[UserError] = []
    for name, (group, _) in GROUPS.items():
        found, problems = collect(getattr(data, name), group, _path(name))
        values |= found
        errors += problems
    population = data.population
    if population is not None and population.origins not in (None, UNSET):
        chosen = {origin.value for origin in population.origins}
        values |= {f"origin_{o}": o in chosen for o in ("french", "eu", "non_eu")}
    return values, errors


def _path(name: str) -> str:
    camel = {"living_conditions": "livingConditions", "legal_procedures": "legalProcedures"}
    return f"input.{camel.get(name, name)}"


def _require_groups(w: Write, data: CreateSiteInput | UpdateSiteInput, place: Place) -> None:
    for name, (_, capability) in GROUPS.items():
        if getattr(data, name) is not None:
            w.require(capability, place, f"writing {_path(name)}")


def _lists(data: CreateSiteInput | UpdateSiteInput) -> tuple[dict[str, Any], list[UserError]]:
    """The parcel and phase lists a mutation replaces, as rows to write."""
    lists: dict[str, Any] = {}
    errors: list[UserError] = []
    ownership, resorption = data.ownership, data.resorption
    if ownership is not None and ownership.parcels not in (None, UNSET):
        lists[PARCELS] = [
            {"parcel": p.parcel, "owner_type": p.owner_type.value, "owner_name": p.owner_name}
            for p in ownership.parcels
        ]
        for position, parcel in enumerate(ownership.parcels):
            where = f"input.ownership.parcels.{position}"
            errors += check_text(parcel.parcel, 50, f"{where}.parcel")
            errors += check_text(parcel.owner_name, 200, f"{where}.ownerName")
    if resorption is not None and resorption.phases not in (None, UNSET):
        lists[PHASES] = [
            {"phase": p.phase.value, "started_at": p.started_at, "completed_at": p.completed_at}
            for p in resorption.phases
        ]
        seen: set[str] = set()
        for position, phase in enumerate(resorption.phases):
            where = f"input.resorption.phases.{position}"
            if phase.phase.value in seen:
                errors.append(UserError(where, ErrorCode.INVALID, "Each phase once."))
            seen.add(phase.phase.value)
            if phase.started_at and phase.completed_at and phase.completed_at < phase.started_at:
                errors.append(
                    UserError(f"{where}.completedAt", ErrorCode.OUT_OF_RANGE, "Before its start.")
                )
    return lists, errors


def _refuse_if(errors: list[UserError]) -> None:
    if errors:
        raise Refused(errors)


async def create_site(context: Context, data: CreateSiteInput) -> Site | list[UserError]:
    async def work(w: Write) -> Site:
        code = data.identity.commune_code
        if code in (None, UNSET):
            raise Refused([UserError(COMMUNE, ErrorCode.REQUIRED, "A site needs a commune.")])
        commune, overseas = await _commune(str(code))
        place = _commune_place(commune)
        w.allow(place)
        _require_groups(w, data, place)
        values, errors = _groups(data)
        lists, list_errors = _lists(data)
        site = Site(**values, created_at=w.at, updated_at=w.at, created_by_id=w.principal.user_id)
        site.updated_by_id = w.principal.user_id
        place_in_commune(site, commune, commune.epci_id, overseas)
        refresh_derived(site)
        _refuse_if(errors + list_errors + validate_site(columns_of(site), w.context.today))
        _refuse_if(await check_place(columns_of(site), None))
        await site.save()
        await replace_site_lists(site.id, lists)
        after = tracked(columns_of(site)) | lists
        changes = changes_between({}, {k: v for k, v in after.items() if v not in (None, [])})
        await w.history(HistorySubject.SITE, site.id, HistoryOperation.CREATE, changes)
        await w.audit(WHAT, site.id, site_place(site))
        return site

    return await write(context, CREATE, work)


async def _allowed(w: Write, site_id: int, version: int) -> Site:
    """The site, if the caller may read it (else NOT_FOUND), may run the operation on it
    (else FORBIDDEN), and read it at ``version`` (else CONFLICT): in this order."""
    site = await in_scope(Site, sites_q(w.principal), site_id, "id", WHAT)
    w.allow(site_place(site))
    w.check_version(site, version, WHAT)
    return site


async def _save(
    w: Write,
    site: Site,
    version: int,
    before: dict[str, Any],
    operation: HistoryOperation,
    lists: Lists | None = None,
) -> Site:
    await save_versioned(
        w, site, version, before, site_place(site), operation, lists,
        read_lists=lambda: site_lists(site.id),
        replace_lists=lambda: replace_site_lists(site.id, lists or {}),
    )  # fmt: skip
    return site


async def update_site(
    context: Context, site_id: int, version: int, data: UpdateSiteInput
) -> Site | list[UserError]:
    async def work(w: Write) -> Site:
        site = await _allowed(w, site_id, version)
        place = site_place(site)
        _require_groups(w, data, place)
        before = columns_of(site)
        values, errors = _groups(data)
        lists, list_errors = _lists(data)
        code = data.identity.commune_code if data.identity is not None else UNSET
        if code is None:
            errors.append(UserError(COMMUNE, ErrorCode.REQUIRED, "Required."))
        elif code is not UNSET:
            commune, overseas = await _commune(code)
            # Moving a site needs the right to update it where it goes, too.
            w.require(Capability.SITE_UPDATE, _commune_place(commune), "moving the site there")
            place_in_commune(site, commune, commune.epci_id, overseas)
        for column, value in values.items():
            setattr(site, column, value)
        refresh_derived(site)
        _refuse_if(errors + list_errors + validate_site(columns_of(site), w.context.today))
        _refuse_if(await check_place(columns_of(site), before))
        return await _save(w, site, version, before, HistoryOperation.UPDATE, lists)

    return await write(context, UPDATE, work)


async def close_site(
    context: Context, site_id: int, version: int, data: CloseSiteInput
) -> Site | list[UserError]:
    async def work(w: Write) -> Site:
        site = await _allowed(w, site_id, version)
        if site.status != SiteStatus.OPEN:
            raise Refused([UserError(None, ErrorCode.INVALID, "The site is closed already.")])
        if data.status == SiteStatus.OPEN:
            raise Refused([UserError("input.status", ErrorCode.INVALID, "Choose a closed status.")])
        before = columns_of(site)
        site.status = SiteStatus(data.status.value)
        site.closed_at = data.closed_at
        site.closed_with_solutions = data.closed_with_solutions
        # tortoise types a nullable column (null=True) without None.
        site.closing_context = data.closing_context  # type: ignore[assignment]
        errors = validate_site(columns_of(site), w.context.today) + check_solutions(data.solutions)
        _refuse_if(errors)
        solutions = [
            {"solution": s.solution.value, "people": s.people, "households": s.households}
            for s in data.solutions
        ]
        return await _save(w, site, version, before, HistoryOperation.CLOSE, {SOLUTIONS: solutions})

    return await write(context, CLOSE, work)


async def reopen_site(context: Context, site_id: int, version: int) -> Site | list[UserError]:
    async def work(w: Write) -> Site:
        if w.principal.role not in ADMIN_ROLES:
            raise Refused(
                [UserError(None, ErrorCode.FORBIDDEN, "Only administrators reopen sites.")]
            )
        site = await _allowed(w, site_id, version)
        if site.status == SiteStatus.OPEN:
            raise Refused([UserError(None, ErrorCode.INVALID, "The site is open already.")])
        before = columns_of(site)
        site.status = SiteStatus.OPEN
        # tortoise types a nullable column (null=True) without None.
        site.closed_at = site.closed_with_solutions = site.closing_context = None  # type: ignore[assignment]
        return await _save(w, site, version, before, HistoryOperation.REOPEN, {SOLUTIONS: []})

    return await write(context, REOPEN, work)


async def confirm_site(context: Context, site_id: int, version: int) -> Site | list[UserError]:
    async def work(w: Write) -> Site:
        site = await _allowed(w, site_id, version)
        before = columns_of(site)
        site.confirmed_unchanged_at = w.at
        return await _save(w, site, version, before, HistoryOperation.CONFIRM)

    return await write(context, CONFIRM, work)


async def delete_site(context: Context, site_id: int, version: int) -> int | list[UserError]:
    async def work(w: Write) -> int:
        site = await _allowed(w, site_id, version)
        before = tracked(columns_of(site)) | await site_lists(site.id)
        await update_versioned(Site, site.id, version, {}, WHAT)
        await Site.filter(id=site.id).delete()
        # The history keeps the last state: what was deleted can be read and restored.
        last_state = changes_between(before, {})
        await w.history(HistorySubject.SITE, site.id, HistoryOperation.DELETE, last_state)
        await w.audit(WHAT, site.id, site_place(site))
        return site.id

    return await write(context, DELETE, work)
