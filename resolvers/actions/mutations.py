"""Action mutations: create, update any field or list, upsert a year's finances or indicators.

Each runs in ``resolvers.writes.write``: checked against the policy on the action's
département (``own`` grants: only by its managers and operators), validated on the
resulting state, written only if the action is still at the version the caller read, and
recorded in the history and audit log in the same transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from strawberry import UNSET
from tortoise.expressions import Q

from hub.errors import BadUserInput
from hub.ids import decode_id
from hub.models import Action, ActionFinance, ActionIndicators, Departement, Site, User
from hub.models.enums import EventKind, HistoryOperation, HistorySubject, UserStatus
from permissions.capabilities import Capability, Level
from permissions.rows import actions_q, sites_q
from permissions.territories import Place, action_place, site_place
from resolvers.actions.lists import (
    FINANCES,
    INDICATOR_ROWS,
    MANAGERS,
    OPERATORS,
    SITES,
    TOPICS,
    finance_rows,
    indicator_rows,
    link_lists,
    replace_links,
)
from resolvers.actions.validation import (
    COLUMN_PATHS,
    INDICATORS,
    check_finances,
    check_indicators,
    check_year,
    validate_action,
)
from resolvers.context import Context
from resolvers.inputs.actions import (
    ActionFinanceInput,
    ActionIndicatorsInput,
    CreateActionInput,
    UpdateActionInput,
)
from resolvers.writes import (
    ErrorCode,
    Operation,
    Refused,
    UserError,
    Write,
    changes_between,
    columns_of,
    forbidden,
    in_scope,
    save_versioned,
    tracked,
    update_versioned,
    write,
)

WHAT = "action"

CREATE = Operation("action.create", "createAction", "creating an action", EventKind.ACTION_CREATED)
UPDATE = Operation(
    "action.update", "updateAction", "updating this action", EventKind.ACTION_UPDATED
)
# Finances need action.finances.read too, checked once the action is allowed.
FINANCES_UPSERT = Operation(
    "action.finances.upsert",
    "upsertActionFinances",
    "writing this action's finances",
    EventKind.ACTION_UPDATED,
)
INDICATORS_UPSERT = Operation(
    "action.indicators.upsert",
    "upsertActionIndicators",
    "writing this action's indicators",
    EventKind.ACTION_UPDATED,
)

# Input attribute -> column of the action row.
_COLUMNS = {
    "name": "name",
    "goals": "goals",
    "started_at": "started_at",
    "ended_at": "ended_at",
    "location_kind": "location_kind",
    "location_details": "location_details",
}


def _refuse_if(errors: list[UserError]) -> None:
    if errors:
        raise Refused(errors)


async def _departement(code: str) -> Departement:
    departement = await Departement.get_or_none(code=code)
    if departement is None:
        raise Refused(
            [UserError(COLUMN_PATHS["departement_id"], ErrorCode.NOT_FOUND, "No such département.")]
        )
    return departement


def _place_in(action: Action, departement: Departement) -> None:
    action.departement_id = departement.code
    action.region_code = departement.region_id
    action.overseas = departement.overseas


def _departement_place(departement: Departement) -> Place:
    return Place(departement.region_id, departement.code)


def _keys(
    values: Sequence[str], type_name: str, where: str
) -> tuple[dict[str, int], list[UserError]]:
    """The integer key of each list item, by its path; an ID of another type or a repeated
    one is INVALID, one that cannot name a row NOT_FOUND."""
    keys: dict[str, int] = {}
    errors: list[UserError] = []
    for position, value in enumerate(values):
        path = f"{where}.{position}"
        try:
            key = decode_id(value, type_name)
        except BadUserInput as error:
            errors.append(UserError(path, ErrorCode.INVALID, error.message))
            continue
        if key == 0:  # beyond the database's keys (hub.ids.decode_id)
            errors.append(UserError(path, ErrorCode.NOT_FOUND, f"No {type_name} with this ID."))
        elif key in keys.values():
            errors.append(UserError(path, ErrorCode.INVALID, "Each one once."))
        else:
            keys[path] = key
    return keys, errors


async def _people(values: Sequence[str], where: str) -> tuple[list[int], list[UserError]]:
    """Managers or operators: existing, active users."""
    keys, errors = _keys(values, "User", where)
    statuses = dict(await User.filter(id__in=keys.values()).values_list("id", "status"))
    for path, key in keys.items():
        if key not in statuses:
            errors.append(UserError(path, ErrorCode.NOT_FOUND, "No User with this ID."))
        elif statuses[key] != UserStatus.ACTIVE:
            errors.append(UserError(path, ErrorCode.INVALID, "This user is not active."))
    return sorted(keys.values()), errors


async def _sites(
    context: Context, values: Sequence[str], departement: str, where: str
) -> tuple[list[int], list[UserError]]:
    """Linked sites: readable by the caller (else NOT_FOUND), in the action's département."""
    keys, errors = _keys(values, "Site", where)
    readable = Site.filter(sites_q(context.principal), id__in=keys.values())
    found = dict(await readable.values_list("id", "departement_code"))
    for path, key in keys.items():
        if key not in found:
            errors.append(UserError(path, ErrorCode.NOT_FOUND, "No Site with this ID."))
        elif found[key] != departement:
            errors.append(
                UserError(path, ErrorCode.INVALID, "This site is not in the action's département.")
            )
    return sorted(keys.values()), errors


async def _lists(
    context: Context,
    data: CreateActionInput | UpdateActionInput,
    departement: str,
) -> tuple[dict[str, list[Any]], list[UserError]]:
    """The lists a mutation gives (a list left out or null is not among them), as ids."""
    lists: dict[str, list[Any]] = {}
    errors: list[UserError] = []
    if data.topics not in (None, UNSET):
        topics = [topic.value for topic in data.topics]
        for position, topic in enumerate(topics):
            if topic in topics[:position]:
                errors.append(
                    UserError(f"input.topics.{position}", ErrorCode.INVALID, "Each topic once.")
                )
        lists[TOPICS] = sorted(set(topics))
    for name in (MANAGERS, OPERATORS):
        given = getattr(data, name)
        if given not in (None, UNSET):
            lists[name], problems = await _people(given, f"input.{name}")
            errors += problems
    if data.sites not in (None, UNSET):
        lists[SITES], problems = await _sites(context, data.sites, departement, "input.sites")
        errors += problems
    return lists, errors


def _values(data: CreateActionInput | UpdateActionInput) -> tuple[dict[str, Any], list[UserError]]:
    """Column values an input sets; null is refused where the column cannot be empty."""
    values: dict[str, Any] = {}
    errors: list[UserError] = []
    for attr, column in _COLUMNS.items():
        given = getattr(data, attr)
        if given is UNSET:
            continue
        if given is None and not Action._meta.fields_map[column].null:
            errors.append(UserError(COLUMN_PATHS[column], ErrorCode.REQUIRED, "Cannot be null."))
            continue
        values[column] = given
    return values, errors


async def _attached(context: Context, action_id: int) -> bool:
    """Whether the caller manages or operates the action (for ``own`` grants)."""
    user_id = context.principal.user_id
    if user_id is None:
        return False
    mine = Q(managers__id=user_id) | Q(operators__id=user_id)
    return await Action.filter(mine, id=action_id).exists()


async def _allowed(
    w: Write, action_id: int, version: int, also: Sequence[Capability] = ()
) -> Action:
    """The action, if the caller may read it (else NOT_FOUND, as a missing one), holds the
    operation's capability and ``also`` on it (else FORBIDDEN; ``own`` grants only for its
    managers and operators), and read it at ``version`` (else CONFLICT): in this order."""
    action = await in_scope(Action, actions_q(w.principal), action_id, "id", WHAT)
    capabilities = (w.operation.capability, *also)
    attached = False
    if any(w.principal.grant(capability).level is Level.OWN for capability in capabilities):
        attached = await _attached(w.context, action.id)
    place = action_place(action)
    w.allow(place, attached=attached)
    for capability in also:
        if not w.principal.can(capability, place, attached=attached):
            raise forbidden(capability, w.operation.what)
    w.check_version(action, version, WHAT)
    return action


async def _may_create(w: Write, departement: Departement, site_values: Sequence[str]) -> None:
    """``action.create`` on the département, or (for a caller whose area is a commune or an
    EPCI) on every site the action is run on: actions reach smaller areas through their
    sites, as reads do."""
    place = _departement_place(departement)
    if w.principal.can(Capability.ACTION_CREATE, place):
        w.allow(place)
        return
    # Bad site IDs are answered with the other input errors, once creating is allowed.
    keys, _ = _keys(site_values, "Site", "input.sites")
    sites = await Site.filter(id__in=keys.values())
    if not sites:
        raise forbidden(Capability.ACTION_CREATE, "creating an action (or on these sites)")
    for site in sites:
        w.allow(site_place(site))


async def create_action(context: Context, data: CreateActionInput) -> Action | list[UserError]:
    async def work(w: Write) -> Action:
        departement = await _departement(data.departement_code)
        await _may_create(w, departement, data.sites)
        values, errors = _values(data)
        lists, list_errors = await _lists(context, data, departement.code)
        action = Action(
            **values,
            created_at=w.at,
            updated_at=w.at,
            created_by_id=w.principal.user_id,
            updated_by_id=w.principal.user_id,
        )
        _place_in(action, departement)
        _refuse_if(errors + list_errors + validate_action(columns_of(action), w.context.today))
        await action.save()
        await replace_links(action, lists)
        after = tracked(columns_of(action)) | lists
        changes = changes_between({}, {k: v for k, v in after.items() if v not in (None, [])})
        await w.history(HistorySubject.ACTION, action.id, HistoryOperation.CREATE, changes)
        await w.audit(WHAT, action.id, action_place(action))
        return action

    return await write(context, CREATE, work)


async def _save(
    w: Write,
    action: Action,
    version: int,
    before: dict[str, Any],
    lists: dict[str, list[Any]] | None = None,
) -> Action:
    await save_versioned(
        w, action, version, before, action_place(action), lists=lists,
        read_lists=lambda: link_lists(action.id, tuple(lists or {})),
        replace_lists=lambda: replace_links(action, lists or {}),
    )  # fmt: skip
    return action


async def update_action(
    context: Context, action_id: int, version: int, data: UpdateActionInput
) -> Action | list[UserError]:
    async def work(w: Write) -> Action:
        action = await _allowed(w, action_id, version)
        before = columns_of(action)
        values, errors = _values(data)
        code = data.departement_code
        if code is None:
            errors.append(
                UserError(COLUMN_PATHS["departement_id"], ErrorCode.REQUIRED, "Required.")
            )
        elif code is not UNSET and code != action.departement_id:
            departement = await _departement(code)
            # Moving an action places it in another département: as creating it there.
            w.require(
                Capability.ACTION_CREATE,
                _departement_place(departement),
                "moving the action there",
            )
            _place_in(action, departement)
        lists, list_errors = await _lists(context, data, action.departement_id)
        if SITES not in lists and action.departement_id != before["departement_id"]:
            elsewhere = Site.filter(actions__id=action.id).exclude(
                departement_code=action.departement_id
            )
            if await elsewhere.exists():
                list_errors.append(
                    UserError(
                        COLUMN_PATHS["departement_id"],
                        ErrorCode.INVALID,
                        "The action's sites are in its current département: give its new "
                        "sites too.",
                    )
                )
        for column, value in values.items():
            setattr(action, column, value)
        _refuse_if(errors + list_errors + validate_action(columns_of(action), w.context.today))
        return await _save(w, action, version, before, lists)

    return await write(context, UPDATE, work)


async def _save_figures(
    w: Write,
    action: Action,
    version: int,
    name: str,
    rows: Callable[[int], Awaitable[list[dict[str, Any]]]],
    replace: Callable[[], Awaitable[None]],
) -> Action:
    """Bumps the version, replaces one year of figures, records the list's change."""
    action.updated_at = w.at
    action.updated_by_id = w.principal.user_id
    bookkeeping = {"updated_at": w.at, "updated_by_id": w.principal.user_id}
    action.version = await update_versioned(Action, action.id, version, bookkeeping, WHAT)
    before = await rows(action.id)
    await replace()
    changes = changes_between({name: before}, {name: await rows(action.id)})
    await w.history(HistorySubject.ACTION, action.id, HistoryOperation.UPDATE, changes)
    await w.audit(WHAT, action.id, action_place(action))
    return action


async def upsert_finances(
    context: Context,
    action_id: int,
    version: int,
    year: int,
    finances: Sequence[ActionFinanceInput],
) -> Action | list[UserError]:
    async def work(w: Write) -> Action:
        action = await _allowed(w, action_id, version, (Capability.ACTION_FINANCES_READ,))
        _refuse_if(check_year(year, w.context.today) + check_finances(finances))

        async def replace() -> None:
            await ActionFinance.filter(action_id=action.id, year=year).delete()
            await ActionFinance.bulk_create(
                [
                    ActionFinance(
                        action_id=action.id,
                        year=year,
                        finance_type=row.finance_type,
                        planned_amount=row.planned_amount,
                        spent_amount=row.spent_amount,
                        comment=row.comment,
                    )
                    for row in finances
                ]
            )

        return await _save_figures(w, action, version, FINANCES, finance_rows, replace)

    return await write(context, FINANCES_UPSERT, work)


async def upsert_indicators(
    context: Context,
    action_id: int,
    version: int,
    year: int,
    indicators: ActionIndicatorsInput,
) -> Action | list[UserError]:
    async def work(w: Write) -> Action:
        action = await _allowed(w, action_id, version)
        _refuse_if(check_year(year, w.context.today))
        current = await ActionIndicators.get_or_none(action_id=action.id, year=year)
        state = {column: getattr(current, column, None) for column in INDICATORS}
        given = {
            column: getattr(indicators, column)
            for column in INDICATORS
            if getattr(indicators, column) is not UNSET
        }
        state |= given
        _refuse_if(check_indicators(state))

        async def replace() -> None:
            if current is None:
                await ActionIndicators.create(action_id=action.id, year=year, **state)
            elif given:
                await ActionIndicators.filter(id=current.id).update(**given)

        return await _save_figures(w, action, version, INDICATOR_ROWS, indicator_rows, replace)

    return await write(context, INDICATORS_UPSERT, work)
