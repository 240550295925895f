"""Inputs of the site mutations, one per field group of the domain."""

from __future__ import annotations

import datetime

import strawberry
from strawberry import UNSET

from hub.models.enums import (
    CensusStatus,
    ClosedWithSolutions,
    ClosingSolution,
    ElectricityType,
    FieldType,
    Origin,
    OwnerType,
    PoliceAssistanceStatus,
    ResorptionPhase,
    SiteStatus,
    ToiletType,
    TriState,
    WaterAccessType,
)


@strawberry.input(description="Identity and location. `communeCode` is required on creation.")
class SiteIdentityInput:
    name: str | None = UNSET
    address: str | None = UNSET
    access_details: str | None = UNSET
    latitude: float | None = UNSET
    longitude: float | None = UNSET
    commune_code: str | None = strawberry.field(
        default=UNSET, description="INSEE code; an arrondissement counts as its city."
    )
    field_type: FieldType | None = UNSET
    declared_at: datetime.date | None = UNSET
    installed_at: datetime.date | None = UNSET
    is_reinstallation: bool | None = UNSET


@strawberry.input
class MinorsByAgeInput:
    from_0_to_3: int | None = strawberry.field(default=UNSET, name="from0To3")
    from_3_to_6: int | None = strawberry.field(default=UNSET, name="from3To6")
    from_6_to_12: int | None = strawberry.field(default=UNSET, name="from6To12")
    from_12_to_16: int | None = strawberry.field(default=UNSET, name="from12To16")
    from_16_to_18: int | None = strawberry.field(default=UNSET, name="from16To18")


@strawberry.input
class DwellingsInput:
    caravans: int | None = UNSET
    huts: int | None = UNSET
    tents: int | None = UNSET
    cars: int | None = UNSET
    mattresses: int | None = UNSET


@strawberry.input
class CensusInput:
    status: CensusStatus | None = UNSET
    date: datetime.date | None = UNSET
    run_by: str | None = UNSET


@strawberry.input(description="Counts only: never individual residents.")
class SitePopulationInput:
    total: int | None = UNSET
    households: int | None = UNSET
    women: int | None = UNSET
    minors: int | None = UNSET
    minors_in_school: int | None = UNSET
    counted_at: datetime.date | None = UNSET
    minors_by_age: MinorsByAgeInput | None = UNSET
    dwellings: DwellingsInput | None = UNSET
    origins: list[Origin] | None = strawberry.field(
        default=UNSET, description="The origin groups present (replaces the current ones)."
    )
    census: CensusInput | None = UNSET


@strawberry.input
class WaterInput:
    access: TriState | None = UNSET
    access_types: list[WaterAccessType] | None = UNSET
    on_site: TriState | None = UNSET
    within_200m: TriState | None = strawberry.field(default=UNSET, name="within200m")
    continuous: TriState | None = UNSET
    stagnant_water: TriState | None = UNSET


@strawberry.input
class SanitationInput:
    open_defecation: TriState | None = UNSET
    working_toilets: TriState | None = UNSET
    toilet_types: list[ToiletType] | None = UNSET
    lit_and_lockable: TriState | None = UNSET
    hand_washing: TriState | None = UNSET


@strawberry.input
class ElectricityInput:
    access: TriState | None = UNSET
    types: list[ElectricityType] | None = UNSET


@strawberry.input
class WasteInput:
    piling_up: TriState | None = UNSET
    collection_nearby: TriState | None = UNSET
    regular_collection: TriState | None = UNSET


@strawberry.input
class PestsInput:
    present: TriState | None = UNSET


@strawberry.input
class FirePreventionInput:
    diagnosis_done: TriState | None = UNSET


@strawberry.input(description="Answers per theme; the status of each theme is computed.")
class LivingConditionsInput:
    water: WaterInput | None = UNSET
    sanitation: SanitationInput | None = UNSET
    electricity: ElectricityInput | None = UNSET
    waste: WasteInput | None = UNSET
    pests: PestsInput | None = UNSET
    fire_prevention: FirePreventionInput | None = UNSET


@strawberry.input(description="Legal procedures (sensitive): needs site.legal.write.")
class LegalProceduresInput:
    owner_complaint: TriState | None = UNSET
    justice_procedure: TriState | None = UNSET
    justice_decision: TriState | None = UNSET
    justice_decision_date: datetime.date | None = UNSET
    justice_court: str | None = UNSET
    police_assistance: PoliceAssistanceStatus | None = UNSET
    police_requested_at: datetime.date | None = UNSET
    police_granted_at: datetime.date | None = UNSET
    bailiff: str | None = UNSET
    administrative_order: TriState | None = UNSET
    administrative_order_date: datetime.date | None = UNSET
    insalubrity_order: TriState | None = UNSET
    insalubrity_order_date: datetime.date | None = UNSET


@strawberry.input
class ParcelOwnerInput:
    parcel: str | None = None
    owner_type: OwnerType = OwnerType.UNKNOWN
    owner_name: str | None = None


@strawberry.input(description="Who owns the land (sensitive): needs site.owner.write.")
class OwnershipInput:
    owner_type: OwnerType | None = UNSET
    parcels: list[ParcelOwnerInput] | None = strawberry.field(
        default=UNSET, description="Replaces the current parcels."
    )


@strawberry.input
class ResorptionPhaseInput:
    phase: ResorptionPhase
    started_at: datetime.date | None = None
    completed_at: datetime.date | None = None


@strawberry.input
class ResorptionInput:
    target_year: int | None = UNSET
    phases: list[ResorptionPhaseInput] | None = strawberry.field(
        default=UNSET, description="Replaces the current phases."
    )


@strawberry.input(description="A new site: its commune is required, every other group optional.")
class CreateSiteInput:
    identity: SiteIdentityInput
    population: SitePopulationInput | None = None
    living_conditions: LivingConditionsInput | None = None
    legal_procedures: LegalProceduresInput | None = None
    ownership: OwnershipInput | None = None
    resorption: ResorptionInput | None = None


@strawberry.input(description="The groups to change; a group left out is left unchanged.")
class UpdateSiteInput:
    identity: SiteIdentityInput | None = None
    population: SitePopulationInput | None = None
    living_conditions: LivingConditionsInput | None = None
    legal_procedures: LegalProceduresInput | None = None
    ownership: OwnershipInput | None = None
    resorption: ResorptionInput | None = None


@strawberry.input
class ClosingSolutionInput:
    solution: ClosingSolution
    people: int | None = None
    households: int | None = None


@strawberry.input(description="How and when the site closed, with people per solution.")
class CloseSiteInput:
    status: SiteStatus
    closed_at: datetime.date
    closed_with_solutions: ClosedWithSolutions = ClosedWithSolutions.UNKNOWN
    closing_context: str | None = None
    solutions: list[ClosingSolutionInput] = strawberry.field(default_factory=list)
