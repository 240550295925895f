"""``requestAccess``: a person the hub does not know asks for an account.

Anyone may ask, anonymous callers included; what guards it instead: a budget per address
and per e-mail address (``ADDRESS_BUDGET``, ``EMAIL_BUDGET``), one open request per e-mail
address, and the checks every input gets. The request, its history entry, its audit entry
and its event are written in one transaction.

A person signed in through a trusted provider whom the hub does not know (a ``Newcomer``)
asks for the address the provider verified, and no other: the decision goes where they
sign in. Their identity (issuer, subject) is kept on the request, so that its approval
links that identity to the account at their first sign-in
(``hub.server.auth.principals``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from tortoise.exceptions import IntegrityError

from hub.errors import BadUserInput
from hub.ids import decode_id
from hub.models import AccessRequest, Organization, User
from hub.models.enums import EventKind, HistoryOperation, HistorySubject, LocationLevel, Role
from permissions.principal import Newcomer
from permissions.territories import Place, places_of
from resolvers.context import Context
from resolvers.inputs.access import RequestAccessInput
from resolvers.organizations.validation import check_person
from resolvers.sites.validation import check_text
from resolvers.territories.locations import check_locations
from resolvers.writes import (
    ErrorCode,
    Operation,
    Refused,
    UserError,
    Write,
    changes_between,
    columns_of,
    tracked,
    write,
)

REQUEST = Operation(
    "access.request", "requestAccess", "requesting access", EventKind.ACCESS_REQUESTED
)
WHAT = HistorySubject.REQUEST.value
REASON_LIMIT = 2000
ORGANIZATION_NAME_LIMIT = 200
# Requests per address and per e-mail address: (how many, in how many seconds).
ADDRESS_BUDGET = (5, 3600)
EMAIL_BUDGET = (3, 86_400)


async def request_access(
    context: Context, data: RequestAccessInput
) -> AccessRequest | list[UserError]:
    async def work(w: Write) -> AccessRequest:
        w.allow(Place())
        newcomer = context.principal.newcomer
        fields, place = await _checked(data, newcomer)
        await _within_budget(context, fields["email"])
        if await User.filter(email__iexact=fields["email"]).exists():
            raise Refused(
                [
                    UserError(
                        "input.email",
                        ErrorCode.CONFLICT,
                        "This address has an account already: sign in with it.",
                    )
                ]
            )
        try:
            request = await AccessRequest.create(
                **fields,
                open_email=fields["email"],
                created_at=w.at,
                region_code=place.region,
                departement_code=place.departement,
                epci_code=place.epci,
                commune_scope_code=place.commune,
                issuer=newcomer.issuer if newcomer is not None else None,
                subject=newcomer.subject if newcomer is not None else None,
            )
        except IntegrityError:
            raise Refused([_waiting()]) from None
        changes = changes_between({}, tracked(columns_of(request)))
        await w.history(HistorySubject.REQUEST, request.id, HistoryOperation.CREATE, changes)
        await w.audit(WHAT, request.id, place)
        return request

    return await write(context, REQUEST, work)


def _waiting() -> UserError:
    return UserError(
        "input.email",
        ErrorCode.CONFLICT,
        "A request from this address is waiting for a decision already.",
    )


def _email(data: RequestAccessInput, newcomer: Newcomer | None) -> tuple[str, list[UserError]]:
    """The address asked for: the one given, without a token; with one, the address the
    token's provider verified (the one given, if any, must be it)."""
    field = "input.email"
    if newcomer is None:
        if data.email is None:
            message = "Give the e-mail address you will sign in with."
            return "", [UserError(field, ErrorCode.REQUIRED, message)]
        return data.email, []
    verified = newcomer.verified_email
    if verified is None:
        message = (
            "Your identity provider has not verified your e-mail address (email_verified), "
            "where the decision would be sent and which your account would be found by: "
            "have it verified there, then ask again."
        )
        return "", [UserError(field, ErrorCode.FORBIDDEN, message)]
    if data.email is not None and data.email.strip().lower() != verified.strip().lower():
        message = (
            f"Signed in, you ask for the address your identity provider verified, {verified}: "
            "give it, or leave email out."
        )
        return "", [UserError(field, ErrorCode.INVALID, message)]
    return verified, []


async def _checked(
    data: RequestAccessInput, newcomer: Newcomer | None
) -> tuple[dict[str, Any], Place]:
    """The request's columns and where it stands; every error of the input at once."""
    email, email_errors = _email(data, newcomer)
    person, errors = check_person(
        email, data.first_name, data.last_name, data.phone, data.position, "input.position"
    )
    if email_errors:
        # What is wrong with the address is said once, by its own error.
        errors = email_errors + [error for error in errors if error.field != "input.email"]
    reason = data.reason.strip()
    errors += check_text(reason, REASON_LIMIT, "input.reason")
    if not reason:
        errors.append(UserError("input.reason", ErrorCode.REQUIRED, "Say why access is needed."))
    if data.role is Role.NATIONAL_ADMIN:
        errors.append(
            UserError(
                "input.role",
                ErrorCode.FORBIDDEN,
                "National administrators are appointed, not requested.",
            )
        )
    organization, problems = await _organization(data)
    errors += problems
    place, problems = await _place(data)
    errors += problems
    if errors:
        raise Refused(errors)
    return {
        "email": str(person["email"]).lower(),
        "first_name": person["first_name"],
        "last_name": person["last_name"],
        "phone": person["phone"],
        "position": person["job"],
        "reason": reason,
        "role": data.role,
        "location_level": LocationLevel(data.location.level),
        "location_code": data.location.code or None,
        **organization,
    }, place


async def _organization(data: RequestAccessInput) -> tuple[dict[str, Any], list[UserError]]:
    named = data.organization_name is not None or data.organization_type is not None
    if (data.organization_id is None) == (not named):
        message = "Give organizationId, or organizationName and organizationType (a new one)."
        return {}, [UserError("input.organizationId", ErrorCode.INVALID, message)]
    if data.organization_id is not None:
        try:
            key = decode_id(data.organization_id, "Organization")
        except BadUserInput as error:
            return {}, [UserError("input.organizationId", ErrorCode.INVALID, error.message)]
        found = await Organization.get_or_none(id=key, active=True)
        if found is None:
            message = "No active organization with this ID."
            return {}, [UserError("input.organizationId", ErrorCode.NOT_FOUND, message)]
        return {"organization_id": found.id}, []
    name = (data.organization_name or "").strip()
    errors = check_text(name, ORGANIZATION_NAME_LIMIT, "input.organizationName")
    if not name:
        errors.append(UserError("input.organizationName", ErrorCode.REQUIRED, "Name it."))
    if data.organization_type is None:
        errors.append(UserError("input.organizationType", ErrorCode.REQUIRED, "Give its type."))
    return {"organization_name": name, "organization_type": data.organization_type}, errors


async def _place(data: RequestAccessInput) -> tuple[Place, list[UserError]]:
    try:
        [(level, code)] = await check_locations([data.location])
    except BadUserInput as error:  # an unknown code, a missing one
        return Place(), [UserError("input.location", ErrorCode.INVALID, error.message)]
    places = (await places_of([(level, code)])).get((level, code)) or [Place()]
    return places[0], []


async def _within_budget(context: Context, email: str) -> None:
    """Counts this request against its address's budget and its e-mail address's."""
    if context.attempt is None:
        return
    digest = hashlib.sha256(email.encode()).hexdigest()
    for key, (count, seconds) in (
        (f"access:addr:{context.address}", ADDRESS_BUDGET),
        (f"access:email:{digest}", EMAIL_BUDGET),
    ):
        if not await context.attempt(key, count, seconds):
            hours = seconds // 3600
            raise Refused(
                [
                    UserError(
                        None,
                        ErrorCode.FORBIDDEN,
                        f"Too many requests for access: at most {count} in {hours} h. "
                        "Try again later.",
                    )
                ]
            )
