"""Who is calling: built once per request, the only identity resolvers and loaders consult."""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.models.enums import LocationLevel, Role, UserOption


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

    @property
    def anonymous(self) -> bool:
        return self.role is None

    @classmethod
    def national_admin(cls) -> Principal:
        """The stand-in caller used until identity and the policy land."""
        return cls(role=Role.NATIONAL_ADMIN, areas=(Location(LocationLevel.NATION),))
