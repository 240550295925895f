"""What a caller may do (capabilities) and how far (scope levels), as DOMAIN.md names them."""

from __future__ import annotations

from enum import StrEnum

from hub.models.enums import UserOption


class Capability(StrEnum):
    SITE_READ = "site.read"
    SITE_CREATE = "site.create"
    SITE_UPDATE = "site.update"
    SITE_CLOSE = "site.close"
    SITE_DELETE = "site.delete"
    SITE_LEGAL_READ = "site.legal.read"
    SITE_LEGAL_WRITE = "site.legal.write"
    SITE_OWNER_READ = "site.owner.read"
    SITE_OWNER_WRITE = "site.owner.write"
    SITE_LOCATION_EXACT = "site.location.exact"
    COMMENT_READ = "comment.read"
    COMMENT_CREATE = "comment.create"
    COMMENT_PRIVATE_READ = "comment.private.read"
    COMMENT_MODERATE = "comment.moderate"
    ACTOR_DECLARE = "actor.declare"
    ACTION_READ = "action.read"
    ACTION_CREATE = "action.create"
    ACTION_UPDATE = "action.update"
    ACTION_FINANCES_READ = "action.finances.read"
    USER_READ = "user.read"
    USER_MANAGE = "user.manage"
    STATS_READ = "stats.read"
    EXPORT_SITES = "export.sites"
    EXPORT_ACTIONS = "export.actions"
    AUDIT_READ = "audit.read"

    @property
    def is_read(self) -> bool:
        """Reads widen commune and EPCI areas to their départements (level D); writes do not."""
        return self in READS


READS = frozenset(
    {
        Capability.SITE_READ,
        Capability.SITE_LEGAL_READ,
        Capability.SITE_OWNER_READ,
        Capability.SITE_LOCATION_EXACT,
        Capability.COMMENT_READ,
        Capability.COMMENT_PRIVATE_READ,
        Capability.ACTION_READ,
        Capability.ACTION_FINANCES_READ,
        Capability.USER_READ,
        Capability.STATS_READ,
        Capability.EXPORT_SITES,
        Capability.EXPORT_ACTIONS,
        Capability.AUDIT_READ,
    }
)


class Level(StrEnum):
    """How far a capability reaches (DOMAIN.md, "Permissions")."""

    NATION = "N"  # everywhere
    AREA = "A"  # the caller's intervention areas
    DEPARTEMENT = "D"  # the départements containing those areas
    OPTION = "opt"  # only with the per-user option (D for reads, A for writes)
    OWN = "own"  # only objects the caller is attached to
    NEVER = "never"  # "—" in DOMAIN.md


# The per-user option that turns an ``opt`` cell into a grant.
OPTION_OF: dict[Capability, UserOption] = {
    Capability.SITE_LEGAL_READ: UserOption.LEGAL_ACCESS,
    Capability.SITE_LEGAL_WRITE: UserOption.LEGAL_ACCESS,
    Capability.SITE_CREATE: UserOption.CREATE_SITES,
    Capability.SITE_CLOSE: UserOption.CLOSE_SITES,
    Capability.ACTION_FINANCES_READ: UserOption.FINANCE_ACCESS,
}
