"""The permission policy as data: DOMAIN.md's matrix, its layers, and the grants it yields.

``MATRIX`` is the role-default layer, one row per capability, one column per role in
DOMAIN.md's order. Three more layers sit above it, most specific first:

1. a **user override** (``PermissionOverride`` with a user) decides alone;
2. a **per-user option** grants its capabilities (D for reads, A for writes) wherever the
   role default or the organization override says ``opt``;
3. an **organization override** (``PermissionOverride`` with an organization) replaces the
   role default for the organization's members and partner applications;
4. the **role default**. An ``opt`` left unresolved by an option means never.

A partner application's scopes cut further: without ``hub:write`` every write is never.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hub.models.enums import Role, UserOption
from permissions.capabilities import OPTION_OF, READS, Capability, Level
from permissions.territories import EVERYWHERE, NOWHERE, AreaReach, Territories

C, N, A, D, OPT, OWN, NO = (
    Capability, Level.NATION, Level.AREA, Level.DEPARTEMENT, Level.OPTION, Level.OWN, Level.NEVER,
)  # fmt: skip

# The columns of MATRIX, in DOMAIN.md's order.
ROLES: tuple[Role, ...] = (
    Role.NATIONAL_ADMIN, Role.LOCAL_ADMIN, Role.NATIONAL_ACTOR, Role.CORRESPONDENT,
    Role.INSTITUTIONAL_PARTNER, Role.OPERATOR, Role.INTERVENER, Role.EXTERNAL_OBSERVER,
)  # fmt: skip

# fmt: off
MATRIX: dict[Capability, tuple[Level, ...]] = {
    #                        nat.adm loc.adm nat.act corresp inst.pa operat. interv. observer
    C.SITE_READ:            (N,      N,      N,      N,      D,      D,      D,      D),
    C.SITE_CREATE:          (N,      A,      NO,     A,      A,      OPT,    NO,     NO),
    C.SITE_UPDATE:          (N,      A,      NO,     A,      A,      A,      NO,     NO),
    C.SITE_CLOSE:           (N,      A,      NO,     A,      OPT,    OPT,    NO,     NO),
    C.SITE_DELETE:          (N,      NO,     NO,     NO,     NO,     NO,     NO,     NO),
    C.SITE_LEGAL_READ:      (N,      D,      N,      N,      OPT,    OPT,    OPT,    NO),
    C.SITE_LEGAL_WRITE:     (N,      A,      NO,     A,      OPT,    OPT,    NO,     NO),
    C.SITE_OWNER_READ:      (N,      A,      NO,     A,      NO,     NO,     NO,     NO),
    C.SITE_OWNER_WRITE:     (N,      A,      NO,     A,      NO,     NO,     NO,     NO),
    C.SITE_LOCATION_EXACT:  (N,      N,      N,      N,      D,      D,      D,      NO),
    C.COMMENT_READ:         (N,      A,      N,      A,      A,      A,      A,      A),
    C.COMMENT_CREATE:       (N,      A,      NO,     A,      A,      A,      A,      NO),
    C.COMMENT_PRIVATE_READ: (N,      A,      NO,     NO,     NO,     NO,     NO,     NO),
    C.COMMENT_MODERATE:     (N,      A,      NO,     NO,     NO,     NO,     NO,     NO),
    C.ACTOR_DECLARE:        (N,      A,      N,      A,      A,      A,      A,      NO),
    C.ACTION_READ:          (N,      N,      N,      D,      D,      D,      D,      D),
    C.ACTION_CREATE:        (N,      A,      A,      A,      A,      A,      A,      NO),
    C.ACTION_UPDATE:        (N,      A,      OWN,    OWN,    OWN,    OWN,    OWN,    NO),
    C.ACTION_FINANCES_READ: (N,      A,      OPT,    A,      NO,     OWN,    NO,     NO),
    C.USER_READ:            (N,      A,      NO,     NO,     NO,     NO,     NO,     NO),
    C.USER_MANAGE:          (N,      A,      NO,     NO,     NO,     NO,     NO,     NO),
    C.STATS_READ:           (N,      A,      N,      D,      D,      D,      D,      D),
    C.EXPORT_SITES:         (N,      N,      N,      N,      D,      D,      D,      NO),
    C.EXPORT_ACTIONS:       (N,      N,      N,      N,      D,      D,      D,      NO),
    C.AUDIT_READ:           (N,      A,      NO,     NO,     NO,     NO,     NO,     NO),
}
# fmt: on

# Qualifiers DOMAIN.md adds to a cell, enforced where the capability is used.
NOTES: dict[tuple[Capability, Role], str] = {
    (C.USER_MANAGE, Role.LOCAL_ADMIN): "intervener role only",
    (C.SITE_LOCATION_EXACT, Role.EXTERNAL_OBSERVER): "commune centre only",
}

ROLE_DEFAULTS: dict[Capability, dict[Role, Level]] = {
    capability: dict(zip(ROLES, row, strict=True)) for capability, row in MATRIX.items()
}
Overrides = Mapping[Capability, Level]


@dataclass(frozen=True)
class Grant:
    """A capability held: how far (level) and where (territories; none for ``own``)."""

    level: Level
    territories: Territories


NEVER = Grant(Level.NEVER, NOWHERE)


def level_for(
    capability: Capability,
    role: Role,
    options: frozenset[UserOption] = frozenset(),
    organization_overrides: Overrides | None = None,
    user_overrides: Overrides | None = None,
) -> Level:
    """The level of one capability after the four layers: never ``opt``."""
    default = ROLE_DEFAULTS[capability][role]
    option = OPTION_OF.get(capability)
    if user_overrides and capability in user_overrides:
        chosen = user_overrides[capability]
    else:
        organization = (organization_overrides or {}).get(capability, default)
        optionable = Level.OPTION in (default, organization)
        chosen = Level.OPTION if option in options and optionable else organization
    if chosen is Level.OPTION:
        if option not in options:
            return Level.NEVER
        return Level.DEPARTEMENT if capability in READS else Level.AREA
    return chosen


def grants_for(
    role: Role,
    reach: AreaReach,
    options: frozenset[UserOption] = frozenset(),
    organization_overrides: Overrides | None = None,
    user_overrides: Overrides | None = None,
    may_write: bool = True,
) -> dict[Capability, Grant]:
    grants: dict[Capability, Grant] = {}
    for capability in Capability:
        if capability not in READS and not may_write:
            grants[capability] = NEVER
            continue
        level = level_for(capability, role, options, organization_overrides, user_overrides)
        territories = {
            Level.NATION: EVERYWHERE,
            Level.AREA: reach.areas,
            Level.DEPARTEMENT: reach.departements,
        }.get(level, NOWHERE)
        grants[capability] = Grant(level, territories)
    return grants
