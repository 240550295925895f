"""Who is calling: built once per request, the only identity resolvers and loaders consult."""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.models.enums import LocationLevel, Role, UserOption

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
class Principal:
    role: Role | None
    user_id: int | None = None
    organization_id: int | None = None
    application_id: int | None = None
    areas: tuple[Location, ...] = ()
    options: frozenset[UserOption] = field(default_factory=frozenset)
    # A partner application's granted scopes; None for a person, whom the role alone governs.
    scopes: frozenset[str] | None = None

    @property
    def anonymous(self) -> bool:
        return self.role is None

    @property
    def may_write(self) -> bool:
        """False for anonymous callers and for applications without the write scope."""
        if self.anonymous:
            return False
        return self.scopes is None or WRITE_SCOPE in self.scopes


ANONYMOUS = Principal(role=None)
