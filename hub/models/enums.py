"""Domain enumerations, shared by the database models and the GraphQL schema.

Values are the stable strings stored in the database; the schema exposes them as
GraphQL enums under the same names in upper case.
"""

from enum import StrEnum


class LocationLevel(StrEnum):
    NATION = "nation"
    REGION = "region"
    DEPARTEMENT = "departement"
    EPCI = "epci"
    COMMUNE = "commune"


class Zone(StrEnum):
    # The usual split of France in national lists.

    HEXAGONE = "hexagone"
    OUTRE_MER = "outre_mer"


class OrganizationCategory(StrEnum):
    PUBLIC_SERVICE = "public_service"
    LOCAL_AUTHORITY = "local_authority"
    ASSOCIATION = "association"
    CENTRAL_ADMINISTRATION = "central_administration"
    PRIVATE = "private"


class OrganizationType(StrEnum):
    PREFECTURE = "prefecture"
    DDETS = "ddets"
    POLICE = "police"
    EDUCATION = "education"
    HEALTH_AGENCY = "health_agency"
    COMMUNE = "commune"
    EPCI = "epci"
    DEPARTEMENT = "departement"
    REGION = "region"
    ASSOCIATION = "association"
    MINISTRY = "ministry"
    NATIONAL_AGENCY = "national_agency"
    NATIONAL_DELEGATION = "national_delegation"
    RESEARCH = "research"
    COMPANY = "company"


# The category an organization of each type belongs to (an organization a newcomer
# proposes is created with it).
CATEGORY_OF_TYPE: dict[OrganizationType, OrganizationCategory] = {
    **dict.fromkeys(
        (OrganizationType.PREFECTURE, OrganizationType.DDETS, OrganizationType.POLICE,
         OrganizationType.EDUCATION, OrganizationType.HEALTH_AGENCY,
         OrganizationType.NATIONAL_AGENCY, OrganizationType.RESEARCH),
        OrganizationCategory.PUBLIC_SERVICE,
    ),
    **dict.fromkeys(
        (OrganizationType.COMMUNE, OrganizationType.EPCI, OrganizationType.DEPARTEMENT,
         OrganizationType.REGION),
        OrganizationCategory.LOCAL_AUTHORITY,
    ),
    OrganizationType.ASSOCIATION: OrganizationCategory.ASSOCIATION,
    OrganizationType.MINISTRY: OrganizationCategory.CENTRAL_ADMINISTRATION,
    OrganizationType.NATIONAL_DELEGATION: OrganizationCategory.CENTRAL_ADMINISTRATION,
    OrganizationType.COMPANY: OrganizationCategory.PRIVATE,
}  # fmt: skip


class Role(StrEnum):
    NATIONAL_ADMIN = "national_admin"
    LOCAL_ADMIN = "local_admin"
    NATIONAL_ACTOR = "national_actor"
    CORRESPONDENT = "correspondent"
    INSTITUTIONAL_PARTNER = "institutional_partner"
    OPERATOR = "operator"
    INTERVENER = "intervener"
    EXTERNAL_OBSERVER = "external_observer"


class UserStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    INACTIVE = "inactive"


class UserOption(StrEnum):
    LEGAL_ACCESS = "legal_access"
    CREATE_SITES = "create_sites"
    CLOSE_SITES = "close_sites"
    FINANCE_ACCESS = "finance_access"


class TriState(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class FieldType(StrEnum):
    LAND = "land"
    BUILDING = "building"
    UNKNOWN = "unknown"


class Origin(StrEnum):
    # The only three groups the law allows to record.

    FRENCH = "french"
    EU = "eu"
    NON_EU = "non_eu"


class CensusStatus(StrEnum):
    NONE = "none"
    SCHEDULED = "scheduled"
    DONE = "done"


class WaterAccessType(StrEnum):
    PUBLIC_FOUNTAIN = "public_fountain"
    FIRE_HYDRANT = "fire_hydrant"
    BOTTLES = "bottles"
    TANK = "tank"
    NETWORK_TAP = "network_tap"
    OTHER = "other"


class ToiletType(StrEnum):
    DRY = "dry"
    CHEMICAL = "chemical"
    FLUSH = "flush"
    LATRINE = "latrine"
    OTHER = "other"


class ElectricityType(StrEnum):
    GENERATOR = "generator"
    GRID = "grid"
    BUILDING = "building"


class ConditionStatus(StrEnum):
    GOOD = "good"
    TO_IMPROVE = "to_improve"
    BAD = "bad"
    UNKNOWN = "unknown"


class PoliceAssistanceStatus(StrEnum):
    NONE = "none"
    REQUESTED = "requested"
    GRANTED = "granted"


class OwnerType(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    UNKNOWN = "unknown"


class SiteStatus(StrEnum):
    OPEN = "open"
    RESORBED = "resorbed"
    CLOSED_BY_JUSTICE = "closed_by_justice"
    CLOSED_BY_ADMINISTRATION = "closed_by_administration"
    CLOSED_OTHER = "closed_other"
    UNKNOWN = "unknown"


class ClosedWithSolutions(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class ClosingSolution(StrEnum):
    EMERGENCY_SHELTER = "emergency_shelter"
    INTEGRATION_HOUSING = "integration_housing"
    ORDINARY_HOUSING = "ordinary_housing"
    DEDICATED_SCHEME = "dedicated_scheme"
    NO_SOLUTION = "no_solution"


class ResorptionPhase(StrEnum):
    SOCIOLOGICAL_DIAGNOSIS = "sociological_diagnosis"
    SOCIAL_ASSESSMENT = "social_assessment"
    POLITICAL_VALIDATION = "political_validation"
    TECHNICAL_DIAGNOSIS = "technical_diagnosis"


class ActorTheme(StrEnum):
    HEALTH = "health"
    EDUCATION = "education"
    EMPLOYMENT = "employment"
    HOUSING = "housing"
    MEDIATION = "mediation"
    SAFETY = "safety"
    HUMANITARIAN = "humanitarian"
    DIAGNOSIS = "diagnosis"
    STEERING = "steering"
    OTHER = "other"


class ActionTopic(StrEnum):
    HEALTH = "health"
    SCHOOLING = "schooling"
    EMPLOYMENT = "employment"
    HOUSING = "housing"
    SITE_SAFETY = "site_safety"


class ActionLocationKind(StrEnum):
    ON_SITE = "on_site"
    TEMPORARY_INTEGRATION_SPACE = "temporary_integration_space"
    HOUSING = "housing"
    OTHER = "other"


class FinanceType(StrEnum):
    STATE = "state"
    DEDICATED_RESORPTION_CREDIT = "dedicated_resorption_credit"
    LOCAL_AUTHORITY = "local_authority"
    EUROPEAN = "european"
    PRIVATE = "private"
    OTHER = "other"


class HistorySubject(StrEnum):
    SITE = "site"
    ACTION = "action"
    REQUEST = "request"


class HistoryOperation(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    CLOSE = "close"
    REOPEN = "reopen"
    CONFIRM = "confirm"
    DELETE = "delete"


class AuditKind(StrEnum):
    WRITE = "write"
    READ = "read"
    EXPORT = "export"


class EventKind(StrEnum):
    """What a committed change was, as the event stream announces it (``hub.models.events``)."""

    SITE_CREATED = "site.created"
    SITE_UPDATED = "site.updated"
    SITE_CLOSED = "site.closed"
    SITE_REOPENED = "site.reopened"
    SITE_CONFIRMED = "site.confirmed"
    SITE_DELETED = "site.deleted"
    ACTOR_DECLARED = "actor.declared"
    ACTOR_UPDATED = "actor.updated"
    ACTOR_WITHDRAWN = "actor.withdrawn"
    ACTION_CREATED = "action.created"
    ACTION_UPDATED = "action.updated"
    COMMENT_CREATED = "comment.created"
    COMMENT_UPDATED = "comment.updated"
    COMMENT_DELETED = "comment.deleted"
    USER_INVITED = "user.invited"
    USER_ACTIVATED = "user.activated"
    USER_DEACTIVATED = "user.deactivated"
    USER_CHANGED = "user.changed"
    # A permission override of a user or of an organization (its users) was set or removed.
    PERMISSIONS_CHANGED = "permissions.changed"
    ACCESS_REQUESTED = "access.requested"
    ACCESS_APPROVED = "access.approved"
    ACCESS_REFUSED = "access.refused"


class DeliveryStatus(StrEnum):
    """Where a webhook delivery or an e-mail stands (``hub.models.webhooks``,
    ``hub.models.notifications``)."""

    PENDING = "pending"
    DELIVERED = "delivered"
    # The recipient may not read what it concerns (or no longer wants it): nothing was sent.
    SKIPPED = "skipped"
    # Every attempt failed: kept for the national administrators to see, sent no more.
    FAILED = "failed"


class NotificationKind(StrEnum):
    """The e-mails the hub sends (``hub.models.notifications``)."""

    # To those who may decide on a request for access.
    ACCESS_REQUESTED = "access.requested"
    # To the person who asked.
    ACCESS_APPROVED = "access.approved"
    ACCESS_REFUSED = "access.refused"
    # To the users and the members of the organizations a comment targets.
    COMMENT_TARGETED = "comment.targeted"
    # Each week, what changed on what the recipient may read in its areas.
    WEEKLY_DIGEST = "digest.weekly"
    # To a site's actors and its département's correspondents: an open site not updated.
    SITE_OUT_OF_DATE = "site.out_of_date"
    # To an account unused for months, then when it is deactivated for it.
    ACCOUNT_INACTIVE = "account.inactive"
    ACCOUNT_DEACTIVATED = "account.deactivated"


class AccessRequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
