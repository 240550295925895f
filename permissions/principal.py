"""Who is calling: built once per request, the only identity resolvers and loaders consult."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hub.models.enums import LocationLevel, Role, UserOption
from permissions.capabilities import Capability, Level
from permissions.policy import NEVER, Grant
from permissions.territories import Place, Territories

# Roles a partner application may never hold (DOMAIN.md, "Permissions").
ADMIN_ROLES = frozenset({Role.NATIONAL_ADMIN, Role.LOCAL_ADMIN})
# OAuth scopes a partner application may be granted; they narrow its role, never widen it.
READ_SCOPE = "hub:read"
WRITE_SCOPE = "hub:write"
HUB_SCOPES = frozenset({READ_SCOPE, WRITE_SCOPE})


@dataclass(frozen=True)
class Location:
    level: LocationLevel
    code: str | None = None


@dataclass(frozen=True)
class Newcomer:
    """A person signed in through a trusted provider whom the hub does not know: they may
    ask for an account (``requestAccess``), nothing else (``hub.server.auth.newcomers``)."""

    issuer: str
    subject: str
    # The token's e-mail address when the provider verified it (``email_verified``); None
    # when it gave none or did not verify it.
    verified_email: str | None


@dataclass(frozen=True)
class Principal:
    role: Role | None
    user_id: int | None = None
    organization_id: int | None = None
    application_id: int | None = None
    areas: tuple[Location, ...] = ()
    options: frozenset[UserOption] = field(default_factory=frozenset)
    # A partner application's granted scopes; None for a person, whom the role alone governs.
    scopes: frozenset[str] | None = None
    # What the policy grants, per capability (absent: never). Anonymous callers hold nothing.
    grants: Mapping[Capability, Grant] = field(default_factory=dict)
    # A signed-in person without an account, otherwise anonymous: holds nothing.
    newcomer: Newcomer | None = None

    @property
    def anonymous(self) -> bool:
        return self.role is None

    @property
    def may_write(self) -> bool:
        """False for anonymous callers and for applications without the write scope."""
        if self.anonymous:
            return False
        return self.scopes is None or WRITE_SCOPE in self.scopes

    @property
    def national_admin(self) -> bool:
        """A national administrator holding user.manage nationwide: who may do what only
        national administrators do (overrides, partner applications' webhooks)."""
        return (
            self.role is Role.NATIONAL_ADMIN
            and self.grant(Capability.USER_MANAGE).level is Level.NATION
        )

    def grant(self, capability: Capability) -> Grant:
        return self.grants.get(capability, NEVER)

    def reach(self, capability: Capability) -> Territories:
        """Where the capability applies (nowhere for ``own`` grants: see ``can``)."""
        return self.grant(capability).territories

    def can(self, capability: Capability, place: Place, attached: bool = False) -> bool:
        """Whether the caller holds ``capability`` on an object at ``place``; ``attached``
        says whether the caller is attached to it (for ``own`` grants)."""
        grant = self.grant(capability)
        if grant.level is Level.OWN:
            return attached
        return grant.territories.contains(place)


ANONYMOUS = Principal(role=None)
