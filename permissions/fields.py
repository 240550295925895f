"""Field decisions: every field of every object type is public within the row scope, gated
by ``@requires``, or inside a type reachable only through a gated field. Default deny:
``check_decisions`` (run when the schema is built) refuses a schema with an undecided field.

"Public within the row scope" means: anyone who can reach the object may read the field;
reaching the object is what the row scoping (``rows.py``) decides. Gated fields are
declared where they are defined (``schema.gates.gated``).
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLType
from strawberry import Schema
from strawberry.types.base import StrawberryObjectDefinition

from hub.models.enums import HistorySubject
from permissions.capabilities import Capability


def _fields(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Fields anyone reaching the object may read.
PUBLIC: dict[str, frozenset[str]] = {
    "Query": _fields(
        "node me sites site actions action organizations organization territory auditLog "
        # Federation: entities resolve like `node`, within the caller's scope.
        "_entities _service"
    ),
    "_Service": _fields("sdl"),
    # Only reachable by holders of audit.read (row scope).
    "AuditEntry": _fields(
        "at kind operation subjectType subjectIds departementCode user application"
    ),
    "UserError": _fields("field code message currentVersion"),
    "Me": _fields(
        "role interventionAreas options scopes mayWrite user organization application "
        "permissions can"
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
    "Region": _fields("id code name level publicStats sites actions children overseas nation"),
    "Departement": _fields("id code name level publicStats sites actions children overseas region"),
    "Epci": _fields("id code name level publicStats sites actions children kind departements"),
    "Commune": _fields(
        "id code name level publicStats sites actions children population latitude "
        "longitude departement region epci mainCommune arrondissements"
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
}


class UndecidedFields(Exception):
    """The schema has fields without a policy decision, or the decisions name stale fields."""


def gate_of(schema: Schema, type_name: str, field_name: str) -> Capability | None:
    """The capability a field's ``@requires`` names, if it has one."""
    from schema.gates import Requires

    definition = schema.get_type_by_name(type_name)
    if not isinstance(definition, StrawberryObjectDefinition):
        return None
    for field in definition.fields:
        if schema.config.name_converter.get_graphql_name(field) == field_name:
            for directive in field.directives:
                if isinstance(directive, Requires):
                    return Capability(directive.capability)
    return None


def _object_types(schema: Schema) -> Iterator[GraphQLObjectType]:
    for name, graphql_type in schema._schema.type_map.items():
        if not name.startswith("__") and isinstance(graphql_type, GraphQLObjectType):
            yield graphql_type


def _named(graphql_type: GraphQLType) -> GraphQLType:
    while isinstance(graphql_type, (GraphQLNonNull, GraphQLList)):
        graphql_type = graphql_type.of_type
    return graphql_type


def check_decisions(schema: Schema) -> None:
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for graphql_type in _object_types(schema):
        name = graphql_type.name
        structural = name in STRUCTURAL or name.endswith(STRUCTURAL_SUFFIXES)
        for field_name, field in graphql_type.fields.items():
            seen.add((name, field_name))
            gate = gate_of(schema, name, field_name)
            public = field_name in PUBLIC.get(name, ())
            if gate is not None and public:
                problems.append(f"{name}.{field_name} is both public and @requires({gate})")
            if gate is None and not (public or structural or name in BEHIND_GATE):
                problems.append(f"{name}.{field_name} has no decision: make it PUBLIC or gate it")
            if gate is not None and isinstance(field.type, GraphQLNonNull):
                problems.append(f"{name}.{field_name} is gated, so it must be nullable")
            target = _named(field.type).name  # type: ignore[attr-defined]
            behind = BEHIND_GATE.get(target)
            if behind is not None and name not in BEHIND_GATE and gate is not behind:
                problems.append(f"{name}.{field_name} reaches {target} without @requires({behind})")
    for type_name, fields in PUBLIC.items():
        problems += [
            f"PUBLIC names {type_name}.{field}, which the schema does not have"
            for field in sorted(fields)
            if (type_name, field) not in seen
        ]
    if problems:
        raise UndecidedFields("Fields without a permission decision:\n  " + "\n  ".join(problems))
