"""From a validated token's claims to the caller: a person (user) or a partner application.

A token whose subject is its own client (``sub`` absent or equal to ``client_id``, as
RFC 9068 prescribes for the client-credentials grant) is a partner application's; any other
is a person's, identified by (issuer, ``sub``). A person signing in for the first time is
linked to the account an approved request of that same identity created, else to the user
with the same verified e-mail address. A person matching neither is refused
``ACCOUNT_UNKNOWN``, which still lets them ask for an account (``newcomers``).
"""

from __future__ import annotations

import logging
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from hub.models import (
    AccessRequest,
    InterventionArea,
    PartnerApplication,
    PermissionOverride,
    User,
    UserIdentity,
)
from hub.models.enums import AccessRequestStatus, Role, UserOption, UserStatus
from hub.server.auth.errors import AccessDenied, InsufficientScope, InvalidToken
from hub.server.auth.tokens import AccessToken
from hub.server.auth.uses import Uses
from hub.settings import Settings
from permissions.capabilities import Capability, Level
from permissions.policy import grants_for
from permissions.principal import (
    ADMIN_ROLES,
    HUB_SCOPES,
    WRITE_SCOPE,
    Location,
    Newcomer,
    Principal,
)
from permissions.territories import reach_of
from resolvers.access.activation import activate_on_first_sign_in, approved_access

log = logging.getLogger(__name__)

KNOWN_OPTIONS = frozenset(option.value for option in UserOption)

ACCOUNT_UNKNOWN = (
    "No hub account matches your identity. Request access to the hub with the requestAccess "
    "mutation, the one operation your token may send (for the e-mail address your identity "
    "provider verified): a local administrator of your departement decides. If you already "
    "have an account, check that your identity provider shares your verified e-mail address."
)
ACCOUNT_PENDING = (
    "Your access request is waiting for validation by a local administrator of your "
    "departement; you can sign in once it is accepted."
)
ACCOUNT_DEACTIVATED = (
    "Your hub account is deactivated. Contact a local administrator of your departement "
    "to have it reactivated."
)
ORGANIZATION_DEACTIVATED = (
    "Your organization's access to the hub is deactivated. Contact a local administrator "
    "of your departement."
)
IDENTITY_CONFLICT = (
    "Your e-mail address belongs to a hub account already linked to another identity at "
    "this provider. Contact a local administrator of your departement."
)


async def principal_for(token: AccessToken, settings: Settings, uses: Uses) -> Principal:
    """The caller of a validated token; a person's use of the hub is noted in ``uses``."""
    claims = token.claims
    client_id = claims.get("client_id", claims.get("azp"))
    subject = claims.get("sub")
    if subject is None or subject == client_id:
        if not isinstance(client_id, str) or not client_id:
            raise InvalidToken("the token names neither a subject nor a client")
        return await _application(client_id, claims)
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("the token's sub claim is invalid")
    return await _person(token.issuer, subject, claims, settings, uses)


async def _application(client_id: str, claims: dict[str, Any]) -> Principal:
    app = await PartnerApplication.get_or_none(client_id=client_id).select_related("organization")
    shown = client_id[:100]
    if app is None:
        raise AccessDenied(
            "APPLICATION_NOT_REGISTERED",
            f"The client {shown!r} is not registered as a partner application of the hub. "
            "Ask the national administration (DIHAL) to register it for your organization.",
        )
    if not app.active or not app.organization.active:
        raise AccessDenied(
            "APPLICATION_DISABLED",
            f"The partner application {shown!r} is disabled. "
            "Contact the national administration (DIHAL).",
        )
    if app.role in ADMIN_ROLES:
        # DOMAIN.md: partner applications never hold an admin role; refuse a bad registration.
        raise AccessDenied(
            "APPLICATION_DISABLED",
            f"The partner application {shown!r} is registered with an admin role, which "
            "applications may not hold. Contact the national administration (DIHAL).",
        )
    scopes = _scopes(claims) & set(app.scopes) & HUB_SCOPES
    if not scopes:
        raise InsufficientScope(
            "The token grants none of the hub scopes this application is registered for "
            f"({' '.join(sorted(app.scopes)) or 'none'}). Request them from the provider."
        )
    return await application_principal(app, frozenset(scopes))


async def application_principal(app: PartnerApplication, scopes: frozenset[str]) -> Principal:
    """A partner application as a caller with ``scopes``: its role over its organization's
    intervention areas (what its webhooks' deliveries are read as, too)."""
    areas = await InterventionArea.filter(organization_id=app.organization_id).order_by("id")
    return await _principal(
        role=app.role,
        organization_id=app.organization_id,
        application_id=app.id,
        areas=tuple(Location(area.level, area.code) for area in areas),
        scopes=scopes,
    )


def _scopes(claims: dict[str, Any]) -> set[str]:
    # RFC 9068 says a space-separated "scope"; some providers send a "scp" list instead.
    raw = claims.get("scope", claims.get("scp"))
    if isinstance(raw, str):
        return set(raw.split())
    if isinstance(raw, list):
        return {scope for scope in raw if isinstance(scope, str)}
    return set()


async def _person(
    issuer: str, subject: str, claims: dict[str, Any], settings: Settings, uses: Uses
) -> Principal:
    identity = await UserIdentity.get_or_none(issuer=issuer, subject=subject).select_related(
        "user__organization"
    )
    if identity is not None:
        user = identity.user
    else:
        user = await _link_by_email(issuer, subject, claims, settings)
    _check_standing(user)
    uses.note(user)
    return await user_principal(user)


async def user_principal(user: User) -> Principal:
    """What ``user`` may do, as its requests would: the token's identity aside (the
    e-mails are read with it)."""
    rows = await InterventionArea.filter(
        Q(user_id=user.id) | Q(organization_id=user.organization_id)
    ).order_by("id")
    # A user's own areas replace the organization's.
    own = [row for row in rows if row.user_id == user.id]
    areas = own or [row for row in rows if row.organization_id == user.organization_id]
    return await _principal(
        role=user.role,
        user_id=user.id,
        organization_id=user.organization_id,
        areas=tuple(Location(area.level, area.code) for area in areas),
        # An option the code no longer knows is ignored rather than failing every request.
        options=frozenset(UserOption(o) for o in user.options if o in KNOWN_OPTIONS),
    )


async def _principal(
    role: Role,
    organization_id: int,
    areas: tuple[Location, ...],
    user_id: int | None = None,
    application_id: int | None = None,
    options: frozenset[UserOption] = frozenset(),
    scopes: frozenset[str] | None = None,
) -> Principal:
    """The caller with what the policy grants it: overrides and areas come from the database."""
    conditions = Q(organization_id=organization_id)
    if user_id is not None:
        conditions |= Q(user_id=user_id)
    by_organization: dict[Capability, Level] = {}
    by_user: dict[Capability, Level] = {}
    for override in await PermissionOverride.filter(conditions):
        try:
            capability, level = Capability(override.capability), Level(override.level)
        except ValueError:
            log.warning("Ignoring permission override %s: unknown value.", override.id)
            continue
        (by_user if override.user_id is not None else by_organization)[capability] = level
    reach = await reach_of((area.level, area.code) for area in areas)
    grants = grants_for(
        role,
        reach,
        options,
        organization_overrides=by_organization,
        user_overrides=by_user,
        may_write=scopes is None or WRITE_SCOPE in scopes,
    )
    return Principal(
        role=role,
        user_id=user_id,
        organization_id=organization_id,
        application_id=application_id,
        areas=areas,
        options=options,
        scopes=scopes,
        grants=grants,
    )


def _check_standing(user: User) -> None:
    if user.status == UserStatus.PENDING:
        raise AccessDenied("ACCOUNT_PENDING", ACCOUNT_PENDING)
    if user.status != UserStatus.ACTIVE:
        raise AccessDenied("ACCOUNT_DEACTIVATED", ACCOUNT_DEACTIVATED)
    if not user.organization.active:
        raise AccessDenied("ACCOUNT_DEACTIVATED", ORGANIZATION_DEACTIVATED)


def verified_email(claims: dict[str, Any]) -> str | None:
    """The token's e-mail address if its provider verified it (some send "true")."""
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip():
        return None
    return email.strip() if claims.get("email_verified") in (True, "true") else None


async def _requested_by(issuer: str, subject: str) -> User | None:
    """The account that the approval of this identity's own request created."""
    request = (
        await AccessRequest.filter(
            issuer=issuer, subject=subject, status=AccessRequestStatus.APPROVED
        )
        .exclude(user_id=None)
        .order_by("-id")
        .first()
    )
    if request is None:
        return None
    return await User.get_or_none(id=request.user_id).select_related("organization")


async def _link_by_email(
    issuer: str, subject: str, claims: dict[str, Any], settings: Settings
) -> User:
    # Only an address the provider has verified may claim an account.
    email = verified_email(claims)
    user = await _requested_by(issuer, subject)
    if user is None and email is not None:
        user = await User.filter(email__iexact=email).select_related("organization").first()
    if user is None:
        newcomer = Newcomer(issuer, subject, email)
        raise AccessDenied("ACCOUNT_UNKNOWN", ACCOUNT_UNKNOWN, newcomer)
    if user.status == UserStatus.PENDING and await approved_access(user):
        # Approved on request: this first sign-in, by the identity that asked or with the
        # verified address, activates it.
        await activate_on_first_sign_in(user, settings)
    # Pending and deactivated users are told so, and stay unlinked.
    _check_standing(user)
    if await UserIdentity.exists(user_id=user.id, issuer=issuer):
        raise AccessDenied("IDENTITY_CONFLICT", IDENTITY_CONFLICT)
    try:
        await UserIdentity.create(user_id=user.id, issuer=issuer, subject=subject)
    except IntegrityError:
        # Two first requests at once: the other one linked this same identity.
        if not await UserIdentity.exists(user_id=user.id, issuer=issuer, subject=subject):
            raise
    log.info("Linked user %s to a new identity at %s on first sign-in.", user.id, issuer)
    return user
