"""Field decisions: every field of every object type is public within the row scope, gated
by ``@requires``, or inside a type reachable only through a gated field. Default deny:
``schema.field_decisions.check_decisions`` (run when the schema is built) refuses a schema
with an undecided field.

"Public within the row scope" means: anyone who can reach the object may read the field;
reaching the object is what the row scoping (``rows.py``) decides. Gated fields are
declared where they are defined (``schema.gates.gated``).
"""

from __future__ import annotations

from hub.models.enums import HistorySubject
from permissions.capabilities import Capability


def _fields(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Fields anyone reaching the object may read.
PUBLIC: dict[str, frozenset[str]] = {
    "Query": _fields(
        "node me sites site actions action organizations organization territory communeAt "
        "auditLog activity webhooks accessRequests emails "
        # Federation: entities resolve like `node`, within the caller's scope.
        "_entities _service"
    ),
    "_Service": _fields("sdl"),
    # Each event resolved for each subscriber with its row scope (resolvers.activity.streams).
    "Subscription": _fields("siteChanged actionChanged sitesChanged journalAdded"),
    # Listed by the row scope of the event stream (rows.events_q); the objects it points to
    # by their own; gated column names are left out of changedFields.
    "Activity": _fields("id at kind changedFields author site action comment user"),
    "Followed": _fields("activity last"),
    # Personal data, read only by those who may decide on the request (rows.access_requests_q).
    "AccessRequest": _fields(
        "id createdAt status firstName lastName email phone position organizationName "
        "organizationType role reason decidedAt decisionReason organization decidedBy user "
        "location history signedInWith"
    ),
    # Reachable by national administrators only (rows.webhooks_q); the secret is shown once,
    # in CreateWebhookPayload, never read back.
    "Webhook": _fields("id url kinds failures pausedAt createdAt application deliveries"),
    "WebhookDelivery": _fields("id status attempts nextAttemptAt lastError deliveredAt event"),
    # Reachable by national administrators only (rows.emails_q): the addresses are personal
    # data, and what a message is about is read when it is sent, not here.
    "Email": _fields(
        "id kind address status attempts nextAttemptAt lastError createdAt deliveredAt"
    ),
    # The caller's own choices (Me.notificationSettings: null for anyone without an account).
    "NotificationSetting": _fields("kind enabled"),
    # Only reachable by holders of audit.read (row scope).
    "AuditEntry": _fields(
        "at kind operation subjectType subjectIds departementCode user application"
    ),
    "UserError": _fields("field code message currentVersion"),
    "Me": _fields(
        "role interventionAreas options scopes mayWrite user organization application "
        "permissions can notificationSettings"
    ),
    "PartnerApplication": _fields("clientId name role scopes active organization"),
    "Permission": _fields("capability level"),
    "Site": _fields(
        "id version name fieldType declaredAt installedAt isReinstallation updatedAt "
        "confirmedUnchangedAt createdAt status location locationPrecision commune epci "
        "departement region reinstalledFrom population census livingConditions lifecycle "
        "resorption outOfDate createdBy updatedBy actors actions journal history"
    ),
    "SitePopulation": _fields(
        "total households women minors minorsInSchool countedAt minorsByAge dwellings origins"
    ),
    "MinorsByAge": _fields("from0To3 from3To6 from6To12 from12To16 from16To18"),
    "Dwellings": _fields("caravans huts tents cars mattresses"),
    "Census": _fields("status date runBy"),
    "LivingConditions": _fields("water sanitation electricity waste pests firePrevention"),
    "WaterConditions": _fields(
        "status access accessTypes onSite within200m continuous stagnantWater"
    ),
    "SanitationConditions": _fields(
        "status openDefecation workingToilets toiletTypes litAndLockable handWashing"
    ),
    "ElectricityConditions": _fields("status access types"),
    "WasteConditions": _fields("status pilingUp collectionNearby regularCollection"),
    "PestConditions": _fields("status present"),
    "FirePreventionConditions": _fields("status diagnosisDone"),
    "SiteLifecycle": _fields("status closedAt closedWithSolutions closingContext solutions"),
    "ClosingSolutionCount": _fields("solution people households"),
    "Resorption": _fields("targetYear phases"),
    "ResorptionPhaseDates": _fields("phase startedAt completedAt"),
    "SiteActor": _fields("id themes createdAt site organization user"),
    "Action": _fields(
        "id version name goals startedAt endedAt locationKind locationDetails createdAt "
        "updatedAt departement topics managers operators sites indicators journal history"
    ),
    "ActionIndicators": _fields(
        "year people households women minors healthFollowup employmentTraining "
        "employmentTrainingWomen shelteredPeople shelteredHouseholds housedPeople "
        "housedHouseholds minorsSchoolAge minorsInMediation enrolledNursery enrolledPrimary "
        "enrolledMiddle enrolledHigh"
    ),
    # Targeted comments are kept out by the row scoping, not field by field.
    "Comment": _fields(
        "id body tags createdAt updatedAt targeted author site action targetUsers "
        "targetOrganizations"
    ),
    # Changes to gated data are left out of ``changes`` (see GATED_COLUMNS).
    "HistoryEntry": _fields("operation changedAt changes author"),
    "FieldChange": _fields("field oldValue newValue"),
    "Organization": _fields(
        "id name abbreviation category type active location interventionAreas members "
        "siteActors actions"
    ),
    "User": _fields("id role status createdAt options organization interventionAreas"),
    "Location": _fields("level code"),
    # Reference geography and public statistics: readable by anyone, anonymous included.
    "Nation": _fields("id code name level publicStats sites actions children"),
    "Region": _fields(
        "id code name level publicStats sites actions children latitude longitude outline "
        "overseas nation"
    ),
    "Departement": _fields(
        "id code name level publicStats sites actions children latitude longitude outline "
        "overseas region"
    ),
    "Epci": _fields(
        "id code name level publicStats sites actions children latitude longitude outline "
        "kind departements"
    ),
    "Commune": _fields(
        "id code name level publicStats sites actions children latitude longitude outline "
        "population departement region epci mainCommune arrondissements"
    ),
    "TerritoryStats": _fields(
        "openSites people minors minorsInSchool households sitesWithoutIntervention "
        "sitesWithActions sitesOutOfDate shareWithWater shareWithElectricity "
        "shareWithWasteCollection shareWithToilets"
    ),
    "ChildStats": _fields("territory stats"),
    "ZoneStats": _fields("zone stats"),
    "Evolution": _fields("openSites people minors households"),
    "Change": _fields("before after"),
    "ClosureStats": _fields("closedSites resorbedSites byStatus solutions"),
    "StatusCount": _fields("status sites"),
    "SolutionCount": _fields("solution people households"),
    "ActionStats": _fields(
        "topic year actions people households women minors healthFollowup "
        "employmentTraining shelteredPeople housedPeople minorsSchoolAge"
    ),
}

# Types reachable only through a field gated by the capability: their fields are as gated.
BEHIND_GATE: dict[str, Capability] = {
    "LegalProcedures": Capability.SITE_LEGAL_READ,
    "Ownership": Capability.SITE_OWNER_READ,
    "ParcelOwner": Capability.SITE_OWNER_READ,
    "ActionFinance": Capability.ACTION_FINANCES_READ,
}

# Pagination plumbing and mutation payloads: what they carry was scoped by the list that
# built it, or written by the mutation that answers it. Every field of Mutation is an entry
# point that checks the policy on what it writes (resolvers/writes.py).
STRUCTURAL_SUFFIXES = ("Connection", "Edge", "Payload")
STRUCTURAL = frozenset({"PageInfo", "Mutation"})

# Stored columns of gated data, per subject: their changes are left out of a history entry
# for callers who may not read them.
_LEGAL_COLUMNS = (
    "owner_complaint justice_procedure justice_decision justice_decision_date justice_court "
    "police_assistance police_requested_at police_granted_at bailiff administrative_order "
    "administrative_order_date insalubrity_order insalubrity_order_date has_legal_procedure"
)
GATED_COLUMNS: dict[HistorySubject, dict[str, Capability]] = {
    HistorySubject.SITE: {
        **dict.fromkeys(_LEGAL_COLUMNS.split(), Capability.SITE_LEGAL_READ),
        "owner_type": Capability.SITE_OWNER_READ,
        "parcel_owners": Capability.SITE_OWNER_READ,
        **dict.fromkeys(
            ("latitude", "longitude", "address", "access_details"),
            Capability.SITE_LOCATION_EXACT,
        ),
    },
    HistorySubject.ACTION: {"finances": Capability.ACTION_FINANCES_READ},
    # Read by its deciders only (rows.access_requests_q): nothing in it is gated further.
    HistorySubject.REQUEST: {},
}
