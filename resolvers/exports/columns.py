"""The columns of the exports: groups of columns, French headers, and the capability that
gates a group (the group is left out for a caller who holds it nowhere, and its cells are
empty on rows where the caller may not read it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from strawberry.relay import to_base64

from permissions.capabilities import Capability

Cell = str | int | float | bool | None
Getter = Callable[[Any, dict[str, Any]], Any]


@dataclass(frozen=True)
class Column:
    header: str
    value: Getter


@dataclass(frozen=True)
class Group:
    name: str
    columns: tuple[Column, ...]
    capability: Capability | None = None


def cell(value: Any) -> Cell:
    """A value as a spreadsheet cell: dates in ISO form, enumerations by their value."""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return ", ".join(str(cell(item)) for item in value)
    return value


def _attr(name: str) -> Getter:
    return lambda row, _: getattr(row, name)


def _origins(row: Any, _: dict[str, Any]) -> list[str]:
    flags = (("française", "origin_french"), ("UE", "origin_eu"), ("hors UE", "origin_non_eu"))
    return [label for label, column in flags if getattr(row, column)]


def _owners(row: Any, extras: dict[str, Any]) -> str:
    return "; ".join(
        " ".join(filter(None, (p["parcel"], p["owner_name"])))
        for p in extras["owners"].get(row.id, [])
    )


SITE_GROUPS: tuple[Group, ...] = (
    Group("Identité", (
        Column("Identifiant", lambda row, _: to_base64("Site", row.id)),
        Column("Nom", _attr("name")),
        Column("Commune", lambda row, extras: extras["communes"].get(row.commune_id)),
        Column("Code commune", _attr("commune_id")),
        Column("Département", _attr("departement_code")),
        Column("Région", _attr("region_code")),
        Column("Type de terrain", _attr("field_type")),
        Column("Date de déclaration", _attr("declared_at")),
        Column("Date d'installation", _attr("installed_at")),
        Column("Statut", _attr("status")),
        Column("Dernière mise à jour", _attr("updated_at")),
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
        Column("Origines", _origins),
    )),
    Group("Conditions de vie", (
        Column("Eau", _attr("water_status")),
        Column("Assainissement", _attr("sanitation_status")),
        Column("Électricité", _attr("electricity_status")),
        Column("Déchets", _attr("waste_status")),
        Column("Nuisibles", _attr("pests_status")),
        Column("Prévention incendie", _attr("fire_prevention_status")),
    )),
    Group("Procédures judiciaires", (
        Column("Plainte du propriétaire", _attr("owner_complaint")),
        Column("Procédure judiciaire", _attr("justice_procedure")),
        Column("Décision de justice", _attr("justice_decision")),
        Column("Date de la décision", _attr("justice_decision_date")),
        Column("Concours de la force publique", _attr("police_assistance")),
        Column("Arrêté administratif", _attr("administrative_order")),
        Column("Arrêté d'insalubrité", _attr("insalubrity_order")),
    ), Capability.SITE_LEGAL_READ),
    Group("Propriété", (
        Column("Type de propriétaire", _attr("owner_type")),
        Column("Parcelles et propriétaires", _owners),
    ), Capability.SITE_OWNER_READ),
    Group("Cycle de vie", (
        Column("Date de fermeture", _attr("closed_at")),
        Column("Fermé avec solutions", _attr("closed_with_solutions")),
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


ACTION_GROUPS: tuple[Group, ...] = (
    Group("Action", (
        Column("Identifiant", lambda row, _: to_base64("Action", row.id)),
        Column("Nom", _attr("name")),
        Column("Département", _attr("departement_id")),
        Column("Thématiques", lambda row, extras: extras["topics"].get(row.id, [])),
        Column("Début", _attr("started_at")),
        Column("Fin", _attr("ended_at")),
        Column("Type de lieu", _attr("location_kind")),
        Column("Objectifs", _attr("goals")),
        Column("Sites", lambda row, extras: len(extras["sites"].get(row.id, []))),
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
