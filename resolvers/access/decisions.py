"""Deciding on requests for access: approve (the account is created, pending until its
first sign-in) or refuse (with a reason).

The deciders are those who may read the request (``permissions.rows.access_requests_q``);
what an approver grants stays within its own powers: a local administrator gives the
intervener role only, and areas where it manages users.
"""

from __future__ import annotations

from hub.models import AccessRequest, InterventionArea, Organization, User
from hub.models.enums import (
    CATEGORY_OF_TYPE,
    AccessRequestStatus,
    EventKind,
    HistoryOperation,
    HistorySubject,
    LocationLevel,
    Role,
    UserOption,
    UserStatus,
)
from permissions.rows import access_requests_q
from permissions.territories import Place, places_of, site_place
from resolvers.context import Context
from resolvers.inputs.access import ApproveAccessInput
from resolvers.organizations.mutations import may_give, no_applications
from resolvers.sites.validation import check_text
from resolvers.territories.locations import check_locations
from resolvers.writes import (
    ErrorCode,
    Operation,
    Refused,
    UserError,
    Write,
    changes_between,
    in_scope,
    write,
)

APPROVE = Operation(
    "access.approve", "approveAccessRequest", "deciding on requests for access",
    EventKind.ACCESS_APPROVED,
)  # fmt: skip
REFUSE = Operation(
    "access.refuse", "refuseAccessRequest", "deciding on requests for access",
    EventKind.ACCESS_REFUSED,
)  # fmt: skip
WHAT = HistorySubject.REQUEST.value
REASON_LIMIT = 2000


async def _pending(w: Write, request_id: int) -> AccessRequest:
    """The request, if the caller may decide on it and it waits for a decision."""
    no_applications(w)
    request = await in_scope(
        AccessRequest, access_requests_q(w.principal), request_id, "id", "access request"
    )
    w.allow(site_place(request))
    if request.status is not AccessRequestStatus.PENDING:
        raise Refused(
            [UserError("id", ErrorCode.CONFLICT, f"The request was {request.status.value}.")]
        )
    return request


async def _decided(
    w: Write, request: AccessRequest, status: AccessRequestStatus, **values: object
) -> None:
    """Writes the decision, if nobody decided meanwhile; its history and audit entries."""
    decision = {
        "status": status,
        "decided_at": w.at,
        "decided_by_id": w.principal.user_id,
        "open_email": None,
        **values,
    }
    if not await AccessRequest.filter(id=request.id, status=AccessRequestStatus.PENDING).update(
        **decision
    ):
        raise Refused([UserError("id", ErrorCode.CONFLICT, "Decided by someone else meanwhile.")])
    before = {name: getattr(request, name) for name in decision}
    for name, value in decision.items():
        setattr(request, name, value)
    changes = changes_between(before, {name: getattr(request, name) for name in decision})
    await w.history(HistorySubject.REQUEST, request.id, HistoryOperation.UPDATE, changes)
    await w.audit(WHAT, request.id, site_place(request))


async def approve_access_request(
    context: Context, request_id: int, data: ApproveAccessInput
) -> AccessRequest | list[UserError]:
    async def work(w: Write) -> AccessRequest:
        request = await _pending(w, request_id)
        role = Role(data.role)
        may_give(w, role, "input.role")
        areas = await _areas(w, data)
        if await User.filter(email__iexact=request.email).exists():
            raise Refused(
                [UserError(None, ErrorCode.CONFLICT, "An account has this address already.")]
            )
        organization = await _organization(w, request)
        user = await User.create(
            organization_id=organization.id, email=request.email,
            first_name=request.first_name, last_name=request.last_name, phone=request.phone,
            job_title=request.position, role=role, status=UserStatus.PENDING,
            options=[option.value for option in UserOption if option in set(data.options or [])],
        )  # fmt: skip
        await InterventionArea.bulk_create(
            [InterventionArea(user_id=user.id, level=level, code=code) for level, code in areas]
        )
        await _decided(
            w, request, AccessRequestStatus.APPROVED, user_id=user.id, role=role,
            organization_id=organization.id,
        )  # fmt: skip
        return request

    return await write(context, APPROVE, work)


async def refuse_access_request(
    context: Context, request_id: int, reason: str
) -> AccessRequest | list[UserError]:
    async def work(w: Write) -> AccessRequest:
        request = await _pending(w, request_id)
        said = reason.strip()
        errors = check_text(said, REASON_LIMIT, "reason")
        if not said:
            errors.append(UserError("reason", ErrorCode.REQUIRED, "Say why."))
        if errors:
            raise Refused(errors)
        await _decided(w, request, AccessRequestStatus.REFUSED, decision_reason=said)
        return request

    return await write(context, REFUSE, work)


async def _areas(w: Write, data: ApproveAccessInput) -> list[tuple[LocationLevel, str | None]]:
    """The person's own areas, each where the approver manages users."""
    if not data.areas:
        return []
    areas = await check_locations(data.areas)
    places = await places_of(areas)
    capability = w.operation.capability
    for position, key in enumerate(areas):
        if not any(w.principal.can(capability, place) for place in places.get(key, [Place()])):
            raise Refused(
                [
                    UserError(
                        f"input.areas.{position}",
                        ErrorCode.FORBIDDEN,
                        "Not allowed: an area beyond those where you manage users.",
                    )
                ]
            )
    return areas


async def _organization(w: Write, request: AccessRequest) -> Organization:
    """The organization named, or the one proposed, created where the request stands."""
    if request.organization_id is not None:
        found = await Organization.get_or_none(id=request.organization_id, active=True)
        if found is None:
            raise Refused(
                [
                    UserError(
                        None,
                        ErrorCode.CONFLICT,
                        "The organization asked for is no longer active: refuse the request, "
                        "or have the organization reactivated first.",
                    )
                ]
            )
        return found
    assert request.organization_type is not None and request.organization_name is not None
    return await Organization.create(
        name=request.organization_name,
        category=CATEGORY_OF_TYPE[request.organization_type],
        type=request.organization_type,
        location_level=request.location_level,
        location_code=request.location_code,
        created_at=w.at,
    )
