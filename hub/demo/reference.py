"""Fixed choices of the demo data set: reference date, active départements, personas, apps.

Everything here is a constant so that the data set never depends on the day it is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from hub.models.enums import LocationLevel, Role, UserOption
from hub.models.organizations import NATIONAL_DELEGATION_NAME
from hub.settings import DEV_ISSUER

# "Today" for the demo: freshness, ended actions and closing dates are measured from it.
REFERENCE_DATE = date(2026, 11, 1)
REFERENCE_TIME = datetime(2026, 11, 1, tzinfo=UTC)
# The national platform opened in 2019: older sites were imported then.
PLATFORM_START = date(2019, 1, 7)

DEFAULT_SITES = 2000
DEFAULT_SEED = 20261126
PERSONA_DOMAIN = "demo.bidonvilles.example"
# Personas sign in through the built-in development issuer.
DEMO_OIDC_ISSUER = DEV_ISSUER


@dataclass(frozen=True)
class ActiveDepartement:
    code: str
    # Relative share of the sites.
    weight: float
    # INSEE code of the préfecture's commune (also where the tribunal judiciaire sits).
    seat: str
    # The département's name with its French preposition and article: "de la Haute-Garonne".
    of: str


# Départements where bidonvilles are known to exist; Haute-Garonne and Gironde (the 2019 pilot
# départements) are among the biggest. Order matters: it is the order sites are spread in.
ACTIVE_DEPARTEMENTS: tuple[ActiveDepartement, ...] = (
    ActiveDepartement("31", 10, "31555", "de la Haute-Garonne"),
    ActiveDepartement("33", 10, "33063", "de la Gironde"),
    ActiveDepartement("93", 9, "93008", "de la Seine-Saint-Denis"),
    ActiveDepartement("13", 8, "13055", "des Bouches-du-Rhône"),
    ActiveDepartement("44", 7, "44109", "de la Loire-Atlantique"),
    ActiveDepartement("59", 7, "59350", "du Nord"),
    ActiveDepartement("69", 6, "69123", "du Rhône"),
    ActiveDepartement("34", 6, "34172", "de l'Hérault"),
    ActiveDepartement("94", 5, "94028", "du Val-de-Marne"),
    ActiveDepartement("95", 4, "95127", "du Val-d'Oise"),
    ActiveDepartement("91", 4, "91228", "de l'Essonne"),
    ActiveDepartement("77", 3, "77288", "de Seine-et-Marne"),
    ActiveDepartement("06", 3, "06088", "des Alpes-Maritimes"),
    ActiveDepartement("38", 3, "38185", "de l'Isère"),
    ActiveDepartement("92", 2, "92050", "des Hauts-de-Seine"),
    ActiveDepartement("78", 2, "78646", "des Yvelines"),
    ActiveDepartement("83", 2, "83137", "du Var"),
    ActiveDepartement("30", 2, "30189", "du Gard"),
    ActiveDepartement("42", 2, "42218", "de la Loire"),
    ActiveDepartement("45", 2, "45234", "du Loiret"),
    ActiveDepartement("49", 2, "49007", "de Maine-et-Loire"),
    ActiveDepartement("35", 2, "35238", "d'Ille-et-Vilaine"),
    ActiveDepartement("67", 2, "67482", "du Bas-Rhin"),
    ActiveDepartement("57", 2, "57463", "de la Moselle"),
    ActiveDepartement("76", 2, "76540", "de la Seine-Maritime"),
    ActiveDepartement("62", 2, "62041", "du Pas-de-Calais"),
    ActiveDepartement("75", 2, "75056", "de Paris"),
    ActiveDepartement("973", 2, "97302", "de la Guyane"),
    ActiveDepartement("976", 2, "97611", "de Mayotte"),
    ActiveDepartement("63", 1.5, "63113", "du Puy-de-Dôme"),
    ActiveDepartement("64", 1.5, "64445", "des Pyrénées-Atlantiques"),
    ActiveDepartement("37", 1.5, "37261", "d'Indre-et-Loire"),
    ActiveDepartement("66", 1.5, "66136", "des Pyrénées-Orientales"),
    ActiveDepartement("86", 1, "86194", "de la Vienne"),
    ActiveDepartement("21", 1, "21231", "de la Côte-d'Or"),
    ActiveDepartement("54", 1, "54395", "de Meurthe-et-Moselle"),
    ActiveDepartement("80", 1, "80021", "de la Somme"),
    ActiveDepartement("2A", 0.5, "2A004", "de la Corse-du-Sud"),
    ActiveDepartement("974", 0.5, "97411", "de La Réunion"),
    ActiveDepartement("971", 0.5, "97105", "de la Guadeloupe"),
)
ACTIVE_BY_CODE: dict[str, ActiveDepartement] = {d.code: d for d in ACTIVE_DEPARTEMENTS}

# The département every persona works in (the 2019 pilot with Gironde).
PERSONA_DEPARTEMENT = "31"
PERSONA_COMMUNE = "31555"
OBSERVER_DEPARTEMENT = "33"

# Organizations every data set holds, whatever its size: the personas and apps belong to them.
DELEGATION_NAME = NATIONAL_DELEGATION_NAME
PREFECTURE_31 = "Préfecture de la Haute-Garonne"
DDETS_31 = "DDETS de la Haute-Garonne"
TOULOUSE = "Ville de Toulouse"
PERSONA_ASSOCIATION = "Association Solidarités Garonne"
LOGEMENT_MINISTRY = "Ministère chargé du Logement"
RESEARCH_LAB = "Laboratoire Habitat, Migrations et Territoires"
ARS_OCCITANIE = "Agence régionale de santé Occitanie"


@dataclass(frozen=True)
class Persona:
    """A demo user with a stable e-mail, for demonstrations and tests; always active."""

    email: str
    role: Role
    first_name: str
    last_name: str
    organization: str
    area_level: LocationLevel
    area_code: str | None
    options: tuple[UserOption, ...] = ()
    # True when the area is the user's own InterventionArea row, not its organization's.
    own_area: bool = False


def _email(local_part: str) -> str:
    return f"{local_part}@{PERSONA_DOMAIN}"


_NATION = LocationLevel.NATION
_DEP = LocationLevel.DEPARTEMENT
_COM = LocationLevel.COMMUNE

PERSONAS: tuple[Persona, ...] = (
    Persona(
        _email("national_admin"), Role.NATIONAL_ADMIN, "Hélène", "Marchal",
        DELEGATION_NAME, _NATION, None,
    ),
    Persona(
        _email("local_admin"), Role.LOCAL_ADMIN, "Julien", "Ferrand", DDETS_31, _DEP, "31",
    ),
    Persona(
        _email("correspondent"), Role.CORRESPONDENT, "Sophie", "Lacombe", PREFECTURE_31, _DEP, "31",
    ),
    Persona(
        _email("institutional_partner"), Role.INSTITUTIONAL_PARTNER, "Karim", "Benali",
        TOULOUSE, _COM, PERSONA_COMMUNE,
    ),
    Persona(
        _email("operator"), Role.OPERATOR, "Maëlle", "Rouquette", PERSONA_ASSOCIATION, _DEP, "31",
    ),
    Persona(
        _email("operator.legal"), Role.OPERATOR, "Ioana", "Petrescu", PERSONA_ASSOCIATION,
        _DEP, "31", options=(UserOption.LEGAL_ACCESS,),
    ),
    Persona(
        _email("intervener"), Role.INTERVENER, "Thomas", "Sabatier", PERSONA_ASSOCIATION,
        _COM, PERSONA_COMMUNE, own_area=True,
    ),
    Persona(
        _email("national_actor"), Role.NATIONAL_ACTOR, "Claire", "Dumoulin",
        LOGEMENT_MINISTRY, _NATION, None,
    ),
    Persona(
        _email("external_observer"), Role.EXTERNAL_OBSERVER, "Lucas", "Berthier",
        RESEARCH_LAB, _DEP, OBSERVER_DEPARTEMENT,
    ),
)  # fmt: skip


@dataclass(frozen=True)
class PartnerApp:
    """A demo OIDC client acting for one organization with a fixed role."""

    client_id: str
    name: str
    organization: str
    role: Role
    scopes: tuple[str, ...]
    active: bool = True


PARTNER_APPS: tuple[PartnerApp, ...] = (
    PartnerApp(
        "demo-association-app",
        "Carnet de suivi – Solidarités Garonne",
        PERSONA_ASSOCIATION,
        Role.OPERATOR,
        ("hub:read", "hub:write"),
    ),
    PartnerApp(
        "demo-commune-app",
        "SIG de la Ville de Toulouse",
        TOULOUSE,
        Role.INSTITUTIONAL_PARTNER,
        ("hub:read",),
    ),
    PartnerApp(
        "demo-ars-app",
        "Tableau de bord santé – ARS Occitanie",
        ARS_OCCITANIE,
        Role.INSTITUTIONAL_PARTNER,
        ("hub:read",),
    ),
    PartnerApp(
        "demo-retired-app",
        "Ancien outil de suivi (désactivé)",
        PERSONA_ASSOCIATION,
        Role.OPERATOR,
        ("hub:read",),
        active=False,
    ),
)
