"""The columns of the exports: groups of columns under French headers, the capability that
gates a group (the group is left out for a caller who holds it nowhere, and its cells are
empty on rows where the caller may not read it), and what a cell holds.

A cell holds a value for the file's writer (``hub.server.exports``) to format: text, a whole
number, a decimal number (``float``, or ``Decimal`` for an amount of money), a date, a moment
(UTC), a ``Link`` or nothing. Enumerations show their French labels (``hub.labels``), lists
their items joined.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from urllib.parse import urlencode

from strawberry.relay import to_base64

from hub.labels import label
from hub.models.enums import (
    ActionLocationKind,
    ActionTopic,
    ClosedWithSolutions,
    ConditionStatus,
    FieldType,
    Origin,
    OwnerType,
    PoliceAssistanceStatus,
    SiteStatus,
    TriState,
)
from permissions.capabilities import Capability


class Link(str):
    """An address to open: a hyperlink in a spreadsheet."""

    __slots__ = ()


Cell = str | int | float | Decimal | date | datetime | None
Getter = Callable[[Any, dict[str, Any]], Any]


@dataclass(frozen=True)
class Column:
    header: str
    value: Getter
    # The enumeration of the column's values (or of the items of its lists): each is shown
    # by its French label.
    enum: type[Enum] | None = None
    # A link to the row in GraphiQL: left out where the hub serves no GraphiQL.
    link: bool = False

    def cell(self, row: Any, extras: dict[str, Any]) -> Cell:
        return self._shown(self.value(row, extras))

    def _shown(self, value: Any) -> Cell:
        if isinstance(value, list):
            return ", ".join(str(self._shown(item)) for item in value) or None
        if value is None:
            return None
        if self.enum is not None:
            return label(self.enum(value))
        if isinstance(value, Enum):
            raise TypeError(f"{self.header!r} holds {type(value).__name__} values: name its enum")
        return value


@dataclass(frozen=True)
class Group:
    name: str
    columns: tuple[Column, ...]
    capability: Capability | None = None


def _attr(name: str) -> Getter:
    return lambda row, _: getattr(row, name)


def _name(names: str, code: str) -> Getter:
    """The name of the territory whose code is the row's ``code``, from the chunk's ``names``."""
    return lambda row, extras: extras[names].get(getattr(row, code))


def _graphiql(type_name: str, query: str) -> Getter:
    """A link that opens GraphiQL with ``query`` and the row's global ID as ``$id``."""
    shared = urlencode({"q": query})

    def link(row: Any, extras: dict[str, Any]) -> Link:
        variables = urlencode({"variables": json.dumps({"id": to_base64(type_name, row.id)})})
        return Link(f"{extras['graphiql']}?{shared}&{variables}")

    return link


def _origins(row: Any, _: dict[str, Any]) -> list[Origin]:
    flags = ((Origin.FRENCH, row.origin_french), (Origin.EU, row.origin_eu),
             (Origin.NON_EU, row.origin_non_eu))  # fmt: skip
    return [origin for origin, recorded in flags if recorded]


def _owners(row: Any, extras: dict[str, Any]) -> str:
    return "; ".join(
        " ".join(filter(None, (p["parcel"], p["owner_name"])))
        for p in extras["owners"].get(row.id, [])
    )


# What a link shows of its row: what the export does not hold (who acts, the latest news).
SITE_QUERY = (
    "query Site($id: ID!) { site(id: $id) { name status actors { themes organization { name } }"
    " actions { name } journal(first: 5) { nodes { createdAt body } } } }"
)

SITE_GROUPS: tuple[Group, ...] = (
    Group("Identité", (
        Column("Identifiant", _attr("id")),
        Column("Nom", _attr("name")),
        Column("Type de terrain", _attr("field_type"), FieldType),
        Column("Date de déclaration", _attr("declared_at")),
        Column("Date d'installation", _attr("installed_at")),
        Column("Statut", _attr("status"), SiteStatus),
        Column("Dernière mise à jour (UTC)", _attr("updated_at")),
        Column("Identifiant API", lambda row, _: to_base64("Site", row.id)),
        Column("Lien", _graphiql("Site", SITE_QUERY), link=True),
    )),
    Group("Territoire", (
        Column("Commune", _name("communes", "commune_id")),
        Column("Code commune", _attr("commune_id")),
        Column("EPCI", _name("epcis", "epci_code")),
        Column("Code EPCI", _attr("epci_code")),
        Column("Département", _name("departements", "departement_code")),
        Column("Code département", _attr("departement_code")),
        Column("Région", _name("regions", "region_code")),
        Column("Code région", _attr("region_code")),
    )),
    Group("Localisation exacte", (
        Column("Adresse", _attr("address")),
        Column("Latitude", _attr("latitude")),
        Column("Longitude", _attr("longitude")),
        Column("Accès", _attr("access_details")),
    ), Capability.SITE_LOCATION_EXACT),
    Group("Population", (
        Column("Personnes", _attr("population_total")),
        Column("Ménages", _attr("population_households")),
        Column("Femmes", _attr("population_women")),
        Column("Mineurs", _attr("population_minors")),
        Column("Mineurs scolarisés", _attr("minors_in_school")),
        Column("Date du comptage", _attr("population_counted_at")),
        Column("Origines", _origins, Origin),
    )),
    Group("Conditions de vie", (
        Column("Eau", _attr("water_status"), ConditionStatus),
        Column("Assainissement", _attr("sanitation_status"), ConditionStatus),
        Column("Électricité", _attr("electricity_status"), ConditionStatus),
        Column("Déchets", _attr("waste_status"), ConditionStatus),
        Column("Nuisibles", _attr("pests_status"), ConditionStatus),
        Column("Prévention incendie", _attr("fire_prevention_status"), ConditionStatus),
    )),
    Group("Procédures judiciaires", (
        Column("Plainte du propriétaire", _attr("owner_complaint"), TriState),
        Column("Procédure judiciaire", _attr("justice_procedure"), TriState),
        Column("Décision de justice", _attr("justice_decision"), TriState),
        Column("Date de la décision", _attr("justice_decision_date")),
        Column("Concours de la force publique", _attr("police_assistance"),
               PoliceAssistanceStatus),
        Column("Arrêté administratif", _attr("administrative_order"), TriState),
        Column("Arrêté d'insalubrité", _attr("insalubrity_order"), TriState),
    ), Capability.SITE_LEGAL_READ),
    Group("Propriété", (
        Column("Type de propriétaire", _attr("owner_type"), OwnerType),
        Column("Parcelles et propriétaires", _owners),
    ), Capability.SITE_OWNER_READ),
    Group("Cycle de vie", (
        Column("Date de fermeture", _attr("closed_at")),
        Column("Fermé avec solutions", _attr("closed_with_solutions"), ClosedWithSolutions),
        Column("Objectif de résorption", _attr("resorption_target_year")),
    )),
)  # fmt: skip


def _money(kind: str) -> Getter:
    def total(row: Any, extras: dict[str, Any]) -> Decimal | None:
        amounts = [f[kind] for f in extras["finances"].get(row.id, []) if f[kind] is not None]
        return sum(amounts, Decimal(0)) if amounts else None

    return total


def _latest(row: Any, extras: dict[str, Any], name: str) -> Any:
    years = extras["indicators"].get(row.id, [])
    return years[-1][name] if years else None


ACTION_QUERY = (
    "query Action($id: ID!) { action(id: $id) { name operators { organization { name } }"
    " sites { name } journal(first: 5) { nodes { createdAt body } } } }"
)

ACTION_GROUPS: tuple[Group, ...] = (
    Group("Action", (
        Column("Identifiant", _attr("id")),
        Column("Nom", _attr("name")),
        Column("Thématiques", lambda row, extras: extras["topics"].get(row.id, []), ActionTopic),
        Column("Début", _attr("started_at")),
        Column("Fin", _attr("ended_at")),
        Column("Type de lieu", _attr("location_kind"), ActionLocationKind),
        Column("Objectifs", _attr("goals")),
        Column("Sites", lambda row, extras: len(extras["sites"].get(row.id, []))),
        Column("Identifiant API", lambda row, _: to_base64("Action", row.id)),
        Column("Lien", _graphiql("Action", ACTION_QUERY), link=True),
    )),
    Group("Territoire", (
        Column("Département", _name("departements", "departement_id")),
        Column("Code département", _attr("departement_id")),
        Column("Région", _name("regions", "region_code")),
        Column("Code région", _attr("region_code")),
    )),
    Group("Indicateurs (dernière année)", (
        Column("Année des indicateurs", lambda row, extras: _latest(row, extras, "year")),
        Column("Personnes accompagnées", lambda row, extras: _latest(row, extras, "people")),
        Column("Ménages accompagnés", lambda row, extras: _latest(row, extras, "households")),
        Column("Mineurs accompagnés", lambda row, extras: _latest(row, extras, "minors")),
    )),
    Group("Financements", (
        Column("Montant prévu (total)", _money("planned_amount")),
        Column("Montant dépensé (total)", _money("spent_amount")),
        Column("Années financées", lambda row, extras: sorted(
            {f["year"] for f in extras["finances"].get(row.id, [])}
        )),
    ), Capability.ACTION_FINANCES_READ),
)  # fmt: skip
