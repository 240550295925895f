"""Registering who may call the hub: partner applications, and the first administrator.

These are operators' tasks (the ``hub app …`` and ``hub bootstrap-admin`` commands): the
hub never creates an account from a token alone. A partner application is an OIDC client
of a trusted provider, registered here with the organization it acts for, a role (never an
admin role) and the hub scopes it may be granted.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from hub.models import InterventionArea, Organization, PartnerApplication, User
from hub.models.enums import LocationLevel, OrganizationCategory, OrganizationType, Role, UserStatus
from hub.models.organizations import NATIONAL_DELEGATION_NAME
from permissions.principal import ADMIN_ROLES, HUB_SCOPES


class RegistrationError(ValueError):
    """The registration asked for is invalid; the message says why."""


async def find_organization(reference: str) -> Organization:
    """An organization by id or by exact name."""
    if reference.isdigit():
        found = await Organization.get_or_none(id=int(reference))
        if found is None:
            raise RegistrationError(f"No organization has the id {reference}.")
        return found
    matches = await Organization.filter(name=reference).order_by("id")
    if not matches:
        raise RegistrationError(f"No organization is named {reference!r}.")
    if len(matches) > 1:
        ids = ", ".join(str(org.id) for org in matches)
        raise RegistrationError(f"Several organizations are named {reference!r}; use an id: {ids}.")
    return matches[0]


async def register_application(
    client_id: str, name: str, organization: str, role: Role, scopes: list[str]
) -> PartnerApplication:
    client_id, name = client_id.strip(), name.strip()
    if not client_id or len(client_id) > 255 or not client_id.isprintable() or " " in client_id:
        raise RegistrationError("The client id must be 1 to 255 printable characters, no spaces.")
    if not name or len(name) > 200:
        raise RegistrationError("The name must be 1 to 200 characters.")
    if role in ADMIN_ROLES:
        raise RegistrationError("A partner application may not hold an admin role.")
    unknown = set(scopes) - HUB_SCOPES
    if not scopes or unknown:
        allowed = " ".join(sorted(HUB_SCOPES))
        raise RegistrationError(
            f"Scopes must be among {allowed}; got {' '.join(scopes) or 'none'}."
        )
    org = await find_organization(organization)
    if not org.active:
        raise RegistrationError(f"The organization {org.name!r} is deactivated.")
    if await PartnerApplication.exists(client_id=client_id):
        raise RegistrationError(f"The client id {client_id!r} is already registered.")
    return await PartnerApplication.create(
        client_id=client_id, name=name, organization=org, role=role, scopes=sorted(set(scopes))
    )


async def set_application_active(client_id: str, active: bool) -> PartnerApplication:
    app = await PartnerApplication.get_or_none(client_id=client_id)
    if app is None:
        raise RegistrationError(f"No partner application has the client id {client_id!r}.")
    app.active = active
    await app.save(update_fields=["active"])
    return app


async def applications() -> list[PartnerApplication]:
    return await PartnerApplication.all().select_related("organization").order_by("client_id")


async def bootstrap_admin(email: str, first_name: str, last_name: str) -> User:
    """An active national administrator in the national delegation (created if missing).

    The administrator signs in through a trusted provider whose token carries this verified
    e-mail address, and is linked to that identity on first sign-in.
    """
    email = email.strip()
    if "@" not in email or len(email) > 254:
        raise RegistrationError(f"{email!r} is not an e-mail address.")
    if not first_name.strip() or not last_name.strip():
        raise RegistrationError("First and last names are required.")
    if await User.filter(email__iexact=email).exists():
        raise RegistrationError(f"A user with the e-mail address {email} already exists.")
    async with in_transaction():
        delegation = await Organization.filter(type=OrganizationType.NATIONAL_DELEGATION).first()
        if delegation is None:
            delegation = await Organization.create(
                name=NATIONAL_DELEGATION_NAME, abbreviation="DIHAL",
                category=OrganizationCategory.CENTRAL_ADMINISTRATION,
                type=OrganizationType.NATIONAL_DELEGATION,
            )  # fmt: skip
            await InterventionArea.create(organization=delegation, level=LocationLevel.NATION)
        return await User.create(
            organization=delegation, first_name=first_name.strip(), last_name=last_name.strip(),
            email=email, role=Role.NATIONAL_ADMIN, status=UserStatus.ACTIVE,
        )  # fmt: skip
