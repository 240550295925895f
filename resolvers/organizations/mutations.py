"""User administration: invite, activate, deactivate, change a role, set options, and set
the permission overrides of an organization or a user.

Each runs in ``resolvers.writes.write``: one transaction holding the change and its audit
entry (users have no version nor history: the audit log is their trace). A user stands
where its organization has its home (``resolvers.decisions.organization_places``); managing
one needs ``user.manage`` there, so a national organization's members are for nationwide
holders only. DOMAIN.md qualifies a local administrator's ``user.manage`` with "intervener
role only": whoever holds it without being a national administrator at N manages intervener
accounts only, before and after the change (it invites, activates, deactivates and sets the
options of interveners, and gives no other role). Partner applications never manage users,
and only national administrators set overrides, which could widen anyone's access.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from strawberry.types.unset import UnsetType
from tortoise.exceptions import IntegrityError

from hub.models import Organization, PermissionOverride, User
from hub.models.enums import EventKind, LocationLevel, Role, UserOption, UserStatus
from permissions.capabilities import OPTION_OF, Capability, Level
from permissions.policy import MATRIX
from permissions.rows import directory_q
from permissions.territories import Place, places_of
from resolvers.context import Context
from resolvers.inputs.users import InviteUserInput
from resolvers.organizations.validation import check_person
from resolvers.writes import ErrorCode, Operation, Refused, UserError, Write, in_scope, write

USER = "user"
ORGANIZATION = "organization"
# The only role a restricted manager (a local administrator) may give, or manage.
RESTRICTED_ROLE = Role.INTERVENER

INVITE = Operation("user.invite", "inviteUser", "inviting a user", EventKind.USER_INVITED)
ACTIVATE = Operation("user.activate", "activateUser", "activating a user", EventKind.USER_ACTIVATED)
DEACTIVATE = Operation(
    "user.deactivate", "deactivateUser", "deactivating a user", EventKind.USER_DEACTIVATED
)
CHANGE_ROLE = Operation(
    "user.change_role", "changeUserRole", "changing a user's role", EventKind.USER_CHANGED
)
SET_OPTIONS = Operation(
    "user.set_options", "setUserOptions", "setting a user's options", EventKind.USER_CHANGED
)
# National administrators only, checked next: an override could widen anyone's access.
SET_OVERRIDE = Operation(
    "permission_override.set",
    "setPermissionOverride",
    "setting a permission override",
    EventKind.PERMISSIONS_CHANGED,
)
REMOVE_OVERRIDE = Operation(
    "permission_override.remove",
    "setPermissionOverride",
    "removing a permission override",
    EventKind.PERMISSIONS_CHANGED,
)
# Capabilities the policy checks against the objects a caller is attached to.
ATTACHABLE = frozenset(c for c, row in MATRIX.items() if Level.OWN in row)


def _refused(field: str | None, code: ErrorCode, message: str) -> Refused:
    return Refused([UserError(field, code, message)])


def no_applications(w: Write) -> None:
    if w.principal.application_id is not None:
        raise _refused(
            None, ErrorCode.FORBIDDEN, "Not allowed: partner applications do not manage users."
        )


async def home_places(organization: Organization) -> list[Place]:
    """Where an organization's members stand; a national one (or an unknown home) stands
    nowhere but in the nation, which only nationwide grants reach."""
    if organization.location_level is None:
        return [Place()]
    key = (LocationLevel(organization.location_level), organization.location_code)
    return (await places_of([key])).get(key) or [Place()]


def _manage(w: Write, places: list[Place]) -> Place:
    """The place (of those given) where the caller holds user.manage: what the audit entry
    stands in. Refused when there is none."""
    capability = w.operation.capability
    place = next((p for p in places if w.principal.can(capability, p)), places[0])
    w.allow(place)
    return place


def may_give(w: Write, role: Role, field: str) -> None:
    if role is not RESTRICTED_ROLE and not w.principal.national_admin:
        raise _refused(
            field,
            ErrorCode.FORBIDDEN,
            "Not allowed: a local administrator may only give the intervener role.",
        )


def _intervener_account(w: Write, user: User) -> None:
    """A restricted manager manages intervener accounts only (whatever their status)."""
    if user.role is not RESTRICTED_ROLE and not w.principal.national_admin:
        raise _refused(
            "id",
            ErrorCode.FORBIDDEN,
            "Not allowed: a local administrator manages intervener accounts only; "
            "other accounts are the national administrators'.",
        )


def _not_oneself(w: Write, user: User, message: str) -> None:
    if user.id == w.principal.user_id:
        raise _refused("id", ErrorCode.INVALID, message)


async def _user(w: Write, user_id: int, field: str = "id") -> tuple[User, list[Place]]:
    user = await in_scope(
        User, directory_q(w.principal), user_id, field, USER, related=("organization",)
    )
    return user, await home_places(user.organization)


async def _update(user: User, condition: dict[str, object], values: dict[str, object]) -> None:
    """Writes ``values`` only if the user still meets ``condition`` (what the checks saw):
    the check and the write are one statement, as for versioned objects."""
    if not await User.filter(id=user.id, **condition).update(**values):
        raise _refused(
            "id",
            ErrorCode.CONFLICT,
            "The user changed meanwhile: read it again and retry.",
        )
    for name, value in values.items():
        setattr(user, name, value)


def _refuse_if(errors: list[UserError]) -> None:
    if errors:
        raise Refused(errors)


async def invite_user(
    context: Context, organization_id: int, data: InviteUserInput
) -> User | list[UserError]:
    async def work(w: Write) -> User:
        no_applications(w)
        organization = await in_scope(
            Organization,
            directory_q(w.principal),
            organization_id,
            "input.organizationId",
            ORGANIZATION,
        )
        place = _manage(w, await home_places(organization))
        may_give(w, Role(data.role), "input.role")
        errors: list[UserError] = []
        if not organization.active:
            errors.append(
                UserError(
                    "input.organizationId",
                    ErrorCode.INVALID,
                    "The organization is deactivated: invite users into an active one.",
                )
            )
        person, problems = check_person(
            data.email, data.first_name, data.last_name, data.phone, data.job_title,
            "input.jobTitle",
        )  # fmt: skip
        errors += problems
        email = str(person["email"])
        if not any(e.field == "input.email" for e in errors) and await _email_used(email):
            errors.append(_email_taken())
        _refuse_if(errors)
        try:
            user = await User.create(
                organization_id=organization.id, email=email, first_name=person["first_name"],
                last_name=person["last_name"], phone=person["phone"], job_title=person["job"],
                role=Role(data.role), status=UserStatus.PENDING, options=[],
            )  # fmt: skip
        except IntegrityError:
            # The same address, invited by someone else meanwhile.
            raise Refused([_email_taken()]) from None
        await w.audit(USER, user.id, place)
        return user

    return await write(context, INVITE, work)


async def _email_used(email: str) -> bool:
    return await User.filter(email__iexact=email).exists()


def _email_taken() -> UserError:
    return UserError(
        "input.email", ErrorCode.INVALID, "This e-mail address is already used by another user."
    )


async def _set_status(
    context: Context,
    user_id: int,
    operation: Operation,
    status: UserStatus,
    allowed_from: Collection[UserStatus],
) -> User | list[UserError]:
    activating = status is UserStatus.ACTIVE

    async def work(w: Write) -> User:
        no_applications(w)
        user, places = await _user(w, user_id)
        place = _manage(w, places)
        _intervener_account(w, user)
        if not activating:
            _not_oneself(w, user, "You cannot deactivate yourself.")
        if user.status not in allowed_from:
            already = "active" if activating else "deactivated"
            raise _refused("id", ErrorCode.INVALID, f"The user is {already} already.")
        await _update(user, {"status": user.status, "role": user.role}, {"status": status})
        await w.audit(USER, user.id, place)
        return user

    return await write(context, operation, work)


async def activate_user(context: Context, user_id: int) -> User | list[UserError]:
    """Accepts a pending user, or reactivates a deactivated one."""
    allowed_from = (UserStatus.PENDING, UserStatus.INACTIVE)
    return await _set_status(context, user_id, ACTIVATE, UserStatus.ACTIVE, allowed_from)


async def deactivate_user(context: Context, user_id: int) -> User | list[UserError]:
    """Deactivates an active user, or turns down a pending one."""
    allowed_from = (UserStatus.ACTIVE, UserStatus.PENDING)
    return await _set_status(context, user_id, DEACTIVATE, UserStatus.INACTIVE, allowed_from)


async def change_user_role(context: Context, user_id: int, role: Role) -> User | list[UserError]:
    async def work(w: Write) -> User:
        no_applications(w)
        user, places = await _user(w, user_id)
        place = _manage(w, places)
        _intervener_account(w, user)
        may_give(w, Role(role), "role")
        _not_oneself(w, user, "You cannot change your own role.")
        await _update(user, {"role": user.role}, {"role": Role(role)})
        await w.audit(USER, user.id, place)
        return user

    return await write(context, CHANGE_ROLE, work)


async def set_user_options(
    context: Context, user_id: int, options: Collection[UserOption]
) -> User | list[UserError]:
    async def work(w: Write) -> User:
        no_applications(w)
        user, places = await _user(w, user_id)
        place = _manage(w, places)
        _intervener_account(w, user)
        chosen = {UserOption(option) for option in options}
        # Stored once each, in a stable order.
        values = [option.value for option in UserOption if option in chosen]
        await _update(user, {"role": user.role}, {"options": values})
        await w.audit(USER, user.id, place)
        return user

    return await write(context, SET_OPTIONS, work)


@dataclass(frozen=True)
class Override:
    """A permission override as it stands after the mutation; level None: none left."""

    capability: Capability
    level: Level | None
    organization: Organization | None = None
    user: User | None = None


def _check_level(capability: Capability, level: Level | None) -> list[UserError]:
    """Levels that mean something for the capability (the policy would read others as never,
    or widen a write beyond what DOMAIN.md allows)."""
    if level is Level.OPTION and capability not in OPTION_OF:
        granted = ", ".join(sorted(c.value for c in OPTION_OF))
        return [
            UserError(
                "level",
                ErrorCode.INVALID,
                f"No per-user option grants {capability.value}: opt applies to {granted}.",
            )
        ]
    if level is Level.OWN and capability not in ATTACHABLE:
        attachable = ", ".join(sorted(c.value for c in ATTACHABLE))
        return [
            UserError(
                "level",
                ErrorCode.INVALID,
                f"own applies only to {attachable}: objects a caller is attached to.",
            )
        ]
    if level is Level.DEPARTEMENT and not capability.is_read:
        return [
            UserError(
                "level",
                ErrorCode.INVALID,
                f"{capability.value} is a write: writes never widen to départements (A or N).",
            )
        ]
    return []


async def set_permission_override(
    context: Context,
    capability: Capability,
    level: Level | UnsetType | None,
    organization_id: int | None,
    user_id: int | None,
) -> Override | list[UserError]:
    """Sets (or, with level None, removes) one capability's override of one subject; level
    UNSET (left out) is refused rather than read as a removal."""

    async def work(w: Write) -> Override:
        no_applications(w)
        if not w.principal.national_admin:
            raise _refused(
                None,
                ErrorCode.FORBIDDEN,
                "Not allowed: only national administrators set permission overrides.",
            )
        if (organization_id is None) == (user_id is None):
            raise _refused(
                None, ErrorCode.INVALID, "Give exactly one of organizationId and userId."
            )
        if isinstance(level, UnsetType):
            raise _refused(
                "level", ErrorCode.REQUIRED, "Give a level, or null to remove the override."
            )
        chosen = None if level is None else Level(level)
        _refuse_if(_check_level(Capability(capability), chosen))
        organization: Organization | None = None
        user: User | None = None
        if organization_id is not None:
            organization = await in_scope(
                Organization,
                directory_q(w.principal),
                organization_id,
                "organizationId",
                ORGANIZATION,
            )
            subject = {"organization_id": organization.id}
            place = _manage(w, await home_places(organization))
            subject_type, subject_id = ORGANIZATION, organization.id
        else:
            assert user_id is not None
            user, places = await _user(w, user_id, "userId")
            subject = {"user_id": user.id}
            place = _manage(w, places)
            subject_type, subject_id = USER, user.id
        await _write_override(subject, Capability(capability), chosen)
        await w.audit(subject_type, subject_id, place)
        return Override(Capability(capability), chosen, organization, user)

    return await write(context, REMOVE_OVERRIDE if level is None else SET_OVERRIDE, work)


async def _write_override(
    subject: dict[str, int], capability: Capability, level: Level | None
) -> None:
    existing = PermissionOverride.filter(**subject, capability=capability.value)
    if level is None:
        await existing.delete()
        return
    if await existing.update(level=level.value):
        return
    try:
        # tortoise types create(using_db, **kwargs): a dict could fill using_db; here, columns.
        await PermissionOverride.create(**subject, capability=capability.value, level=level.value)  # type: ignore[arg-type]
    except IntegrityError:
        # Unique per (subject, capability): another override was set meanwhile.
        raise _refused(
            None,
            ErrorCode.CONFLICT,
            "Another override of this capability was set meanwhile: read it again and retry.",
        ) from None
