"""Columns derived from others, recomputed before every write of a site.

They are stored (not computed at read time) so that filters, scopes and statistics stay
inside SQL: territory codes copied from the commune, each living-conditions theme's status,
and whether any legal procedure is known.
"""

from hub.models.enums import ConditionStatus, ElectricityType, PoliceAssistanceStatus, TriState
from hub.models.sites import Site
from hub.models.territories import Commune

YES, NO, UNKNOWN = TriState.YES, TriState.NO, TriState.UNKNOWN
GOOD, TO_IMPROVE, BAD = ConditionStatus.GOOD, ConditionStatus.TO_IMPROVE, ConditionStatus.BAD


def place_in_commune(site: Site, commune: Commune, epci_code: str | None, overseas: bool) -> None:
    site.commune_id = commune.code
    site.commune_scope_code = commune.scope_code
    site.epci_code = epci_code
    site.departement_code = commune.departement_id
    site.region_code = commune.region_id
    site.overseas = overseas


def water_status(site: Site) -> ConditionStatus:
    if site.water_access == UNKNOWN:
        return ConditionStatus.UNKNOWN
    if site.water_access == NO or (site.water_on_site == NO and site.water_within_200m == NO):
        return BAD
    near = YES in (site.water_on_site, site.water_within_200m)
    if near and site.water_continuous == YES and site.water_stagnant == NO:
        return GOOD
    return TO_IMPROVE


def sanitation_status(site: Site) -> ConditionStatus:
    if site.sanitation_working_toilets == UNKNOWN and site.sanitation_open_defecation == UNKNOWN:
        return ConditionStatus.UNKNOWN
    if site.sanitation_working_toilets == NO or site.sanitation_open_defecation == YES:
        return BAD
    if (
        site.sanitation_working_toilets == YES
        and site.sanitation_open_defecation == NO
        and site.sanitation_lit_and_lockable == YES
        and site.sanitation_hand_washing == YES
    ):
        return GOOD
    return TO_IMPROVE


def electricity_status(site: Site) -> ConditionStatus:
    if site.electricity_access == UNKNOWN:
        return ConditionStatus.UNKNOWN
    if site.electricity_access == NO:
        return BAD
    stable = {ElectricityType.GRID, ElectricityType.BUILDING}
    return GOOD if stable.intersection(site.electricity_types) else TO_IMPROVE


def waste_status(site: Site) -> ConditionStatus:
    answers = (site.waste_piling, site.waste_collection_nearby, site.waste_collection_regular)
    if all(answer == UNKNOWN for answer in answers):
        return ConditionStatus.UNKNOWN
    if site.waste_piling == YES:
        return BAD
    if answers == (NO, YES, YES):
        return GOOD
    return TO_IMPROVE


def pests_status(site: Site) -> ConditionStatus:
    return {YES: BAD, NO: GOOD}.get(site.pests, ConditionStatus.UNKNOWN)


def fire_prevention_status(site: Site) -> ConditionStatus:
    return {YES: GOOD, NO: TO_IMPROVE}.get(site.fire_prevention_diagnosis, ConditionStatus.UNKNOWN)


def has_legal_procedure(site: Site) -> bool:
    orders = (
        site.owner_complaint,
        site.justice_procedure,
        site.administrative_order,
        site.insalubrity_order,
    )
    return YES in orders or site.police_assistance != PoliceAssistanceStatus.NONE


def refresh_derived(site: Site) -> None:
    site.water_status = water_status(site)
    site.sanitation_status = sanitation_status(site)
    site.electricity_status = electricity_status(site)
    site.waste_status = waste_status(site)
    site.pests_status = pests_status(site)
    site.fire_prevention_status = fire_prevention_status(site)
    site.has_legal_procedure = has_legal_procedure(site)
