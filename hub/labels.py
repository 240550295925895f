"""French labels of the domain's enumerations, for what people read: the exports' cells, the
e-mails. One dict per enumeration, holding every value; ``label`` finds a value's label, and
``LABELS`` lists the labelled enumerations (tests/test_exports_labels.py checks each is whole).

The enumerations of the hub's own machinery (history, audit, events, webhook deliveries) are
not here: nobody reads them in French.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from hub.models.enums import (
    ActionLocationKind,
    ActionTopic,
    ActorTheme,
    CensusStatus,
    ClosedWithSolutions,
    ClosingSolution,
    ConditionStatus,
    ElectricityType,
    FieldType,
    FinanceType,
    LocationLevel,
    OrganizationCategory,
    OrganizationType,
    Origin,
    OwnerType,
    PoliceAssistanceStatus,
    ResorptionPhase,
    Role,
    SiteStatus,
    ToiletType,
    TriState,
    UserOption,
    UserStatus,
    WaterAccessType,
    Zone,
)

LOCATION_LEVEL = {
    LocationLevel.NATION: "France entière",
    LocationLevel.REGION: "Région",
    LocationLevel.DEPARTEMENT: "Département",
    LocationLevel.EPCI: "Intercommunalité (EPCI)",
    LocationLevel.COMMUNE: "Commune",
}
ZONE = {Zone.HEXAGONE: "Hexagone", Zone.OUTRE_MER: "Outre-mer"}

ORGANIZATION_CATEGORY = {
    OrganizationCategory.PUBLIC_SERVICE: "Service de l'État",
    OrganizationCategory.LOCAL_AUTHORITY: "Collectivité territoriale",
    OrganizationCategory.ASSOCIATION: "Association",
    OrganizationCategory.CENTRAL_ADMINISTRATION: "Administration centrale",
    OrganizationCategory.PRIVATE: "Structure privée",
}
ORGANIZATION_TYPE = {
    OrganizationType.PREFECTURE: "Préfecture",
    OrganizationType.DDETS: "DDETS",
    OrganizationType.POLICE: "Police ou gendarmerie",
    OrganizationType.EDUCATION: "Éducation nationale",
    OrganizationType.HEALTH_AGENCY: "Agence régionale de santé",
    OrganizationType.COMMUNE: "Commune",
    OrganizationType.EPCI: "Intercommunalité (EPCI)",
    OrganizationType.DEPARTEMENT: "Conseil départemental",
    OrganizationType.REGION: "Conseil régional",
    OrganizationType.ASSOCIATION: "Association",
    OrganizationType.MINISTRY: "Ministère",
    OrganizationType.NATIONAL_AGENCY: "Agence nationale",
    OrganizationType.NATIONAL_DELEGATION: "Délégation interministérielle",
    OrganizationType.RESEARCH: "Organisme de recherche",
    OrganizationType.COMPANY: "Entreprise",
}
ROLE = {
    Role.NATIONAL_ADMIN: "Administrateur national",
    Role.LOCAL_ADMIN: "Administrateur local",
    Role.NATIONAL_ACTOR: "Acteur national",
    Role.CORRESPONDENT: "Correspondant",
    Role.INSTITUTIONAL_PARTNER: "Partenaire institutionnel",
    Role.OPERATOR: "Opérateur",
    Role.INTERVENER: "Intervenant",
    Role.EXTERNAL_OBSERVER: "Observateur externe",
}
USER_STATUS = {
    UserStatus.PENDING: "En attente",
    UserStatus.ACTIVE: "Actif",
    UserStatus.INACTIVE: "Désactivé",
}
USER_OPTION = {
    UserOption.LEGAL_ACCESS: "Accès aux procédures judiciaires",
    UserOption.CREATE_SITES: "Déclaration de sites",
    UserOption.CLOSE_SITES: "Fermeture de sites",
    UserOption.FINANCE_ACCESS: "Accès aux financements",
}

TRI_STATE = {TriState.YES: "Oui", TriState.NO: "Non", TriState.UNKNOWN: "Inconnu"}
# The same answer, about the people of a closed site.
CLOSED_WITH_SOLUTIONS = {
    member: TRI_STATE[TriState(member.value)] for member in ClosedWithSolutions
}

FIELD_TYPE = {
    FieldType.LAND: "Terrain",
    FieldType.BUILDING: "Bâtiment",
    FieldType.UNKNOWN: "Inconnu",
}
ORIGIN = {
    Origin.FRENCH: "Française",
    Origin.EU: "Union européenne",
    Origin.NON_EU: "Hors Union européenne",
}
CENSUS_STATUS = {
    CensusStatus.NONE: "Non prévu",
    CensusStatus.SCHEDULED: "Prévu",
    CensusStatus.DONE: "Réalisé",
}
WATER_ACCESS_TYPE = {
    WaterAccessType.PUBLIC_FOUNTAIN: "Fontaine publique",
    WaterAccessType.FIRE_HYDRANT: "Borne incendie",
    WaterAccessType.BOTTLES: "Bouteilles",
    WaterAccessType.TANK: "Citerne",
    WaterAccessType.NETWORK_TAP: "Robinet raccordé au réseau",
    WaterAccessType.OTHER: "Autre",
}
TOILET_TYPE = {
    ToiletType.DRY: "Toilettes sèches",
    ToiletType.CHEMICAL: "Toilettes chimiques",
    ToiletType.FLUSH: "Toilettes à chasse d'eau",
    ToiletType.LATRINE: "Latrines",
    ToiletType.OTHER: "Autre",
}
ELECTRICITY_TYPE = {
    ElectricityType.GENERATOR: "Groupe électrogène",
    ElectricityType.GRID: "Raccordement au réseau",
    ElectricityType.BUILDING: "Électricité du bâtiment",
}
# A living condition (water, sanitation…) as a whole: « la situation est bonne ».
CONDITION_STATUS = {
    ConditionStatus.GOOD: "Bonne",
    ConditionStatus.TO_IMPROVE: "À améliorer",
    ConditionStatus.BAD: "Mauvaise",
    ConditionStatus.UNKNOWN: "Inconnue",
}
# « Le concours de la force publique » : non demandé, demandé, accordé.
POLICE_ASSISTANCE_STATUS = {
    PoliceAssistanceStatus.NONE: "Non demandé",
    PoliceAssistanceStatus.REQUESTED: "Demandé",
    PoliceAssistanceStatus.GRANTED: "Accordé",
}
OWNER_TYPE = {OwnerType.PUBLIC: "Public", OwnerType.PRIVATE: "Privé", OwnerType.UNKNOWN: "Inconnu"}
SITE_STATUS = {
    SiteStatus.OPEN: "Ouvert",
    SiteStatus.RESORBED: "Résorbé",
    SiteStatus.CLOSED_BY_JUSTICE: "Fermé sur décision de justice",
    SiteStatus.CLOSED_BY_ADMINISTRATION: "Fermé sur décision administrative",
    SiteStatus.CLOSED_OTHER: "Fermé pour une autre raison",
    SiteStatus.UNKNOWN: "Inconnu",
}
CLOSING_SOLUTION = {
    ClosingSolution.EMERGENCY_SHELTER: "Hébergement d'urgence",
    ClosingSolution.INTEGRATION_HOUSING: "Logement d'insertion",
    ClosingSolution.ORDINARY_HOUSING: "Logement de droit commun",
    ClosingSolution.DEDICATED_SCHEME: "Dispositif dédié",
    ClosingSolution.NO_SOLUTION: "Sans solution",
}
RESORPTION_PHASE = {
    ResorptionPhase.SOCIOLOGICAL_DIAGNOSIS: "Diagnostic sociologique",
    ResorptionPhase.SOCIAL_ASSESSMENT: "Évaluation sociale",
    ResorptionPhase.POLITICAL_VALIDATION: "Validation politique",
    ResorptionPhase.TECHNICAL_DIAGNOSIS: "Diagnostic technique",
}
ACTOR_THEME = {
    ActorTheme.HEALTH: "Santé",
    ActorTheme.EDUCATION: "Éducation",
    ActorTheme.EMPLOYMENT: "Emploi",
    ActorTheme.HOUSING: "Logement",
    ActorTheme.MEDIATION: "Médiation",
    ActorTheme.SAFETY: "Sécurisation",
    ActorTheme.HUMANITARIAN: "Aide humanitaire",
    ActorTheme.DIAGNOSIS: "Diagnostic",
    ActorTheme.STEERING: "Pilotage",
    ActorTheme.OTHER: "Autre",
}
ACTION_TOPIC = {
    ActionTopic.HEALTH: "Santé",
    ActionTopic.SCHOOLING: "Scolarisation",
    ActionTopic.EMPLOYMENT: "Emploi",
    ActionTopic.HOUSING: "Logement",
    ActionTopic.SITE_SAFETY: "Sécurisation du site",
}
ACTION_LOCATION_KIND = {
    ActionLocationKind.ON_SITE: "Sur site",
    ActionLocationKind.TEMPORARY_INTEGRATION_SPACE: "Espace temporaire d'insertion",
    ActionLocationKind.HOUSING: "Logement",
    ActionLocationKind.OTHER: "Autre",
}
FINANCE_TYPE = {
    FinanceType.STATE: "État",
    FinanceType.DEDICATED_RESORPTION_CREDIT: "Crédits dédiés à la résorption des bidonvilles",
    FinanceType.LOCAL_AUTHORITY: "Collectivité territoriale",
    FinanceType.EUROPEAN: "Fonds européens",
    FinanceType.PRIVATE: "Financement privé",
    FinanceType.OTHER: "Autre",
}

# Each labelled enumeration, and its labels.
LABELS: Mapping[type[Enum], Mapping[Any, str]] = {
    LocationLevel: LOCATION_LEVEL,
    Zone: ZONE,
    OrganizationCategory: ORGANIZATION_CATEGORY,
    OrganizationType: ORGANIZATION_TYPE,
    Role: ROLE,
    UserStatus: USER_STATUS,
    UserOption: USER_OPTION,
    TriState: TRI_STATE,
    ClosedWithSolutions: CLOSED_WITH_SOLUTIONS,
    FieldType: FIELD_TYPE,
    Origin: ORIGIN,
    CensusStatus: CENSUS_STATUS,
    WaterAccessType: WATER_ACCESS_TYPE,
    ToiletType: TOILET_TYPE,
    ElectricityType: ELECTRICITY_TYPE,
    ConditionStatus: CONDITION_STATUS,
    PoliceAssistanceStatus: POLICE_ASSISTANCE_STATUS,
    OwnerType: OWNER_TYPE,
    SiteStatus: SITE_STATUS,
    ClosingSolution: CLOSING_SOLUTION,
    ResorptionPhase: RESORPTION_PHASE,
    ActorTheme: ACTOR_THEME,
    ActionTopic: ACTION_TOPIC,
    ActionLocationKind: ACTION_LOCATION_KIND,
    FinanceType: FINANCE_TYPE,
}


def label(value: Enum) -> str:
    """The French label of a value of a labelled enumeration (KeyError for any other)."""
    return LABELS[type(value)][value]
