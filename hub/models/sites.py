"""Sites (bidonvilles) with every field group of the domain, and the actors on them.

Residents are never stored individually: only counts.
"""

from tortoise import fields
from tortoise.fields.base import Field
from tortoise.models import Model

from hub.models.enums import (
    CensusStatus,
    ClosedWithSolutions,
    ClosingSolution,
    ConditionStatus,
    FieldType,
    OwnerType,
    PoliceAssistanceStatus,
    ResorptionPhase,
    SiteStatus,
    TriState,
)
from hub.models.fields import CharEnumField
from hub.models.organizations import Organization, User
from hub.models.territories import Commune


def _tri() -> Field[TriState]:
    return CharEnumField(TriState, max_length=7, default=TriState.UNKNOWN)


def _status() -> Field[ConditionStatus]:
    return CharEnumField(ConditionStatus, max_length=10, default=ConditionStatus.UNKNOWN)


def _count() -> fields.IntField:
    return fields.IntField(null=True)


class Site(Model):
    id = fields.IntField(primary_key=True)
    version = fields.IntField(default=1)

    # Identity & location. The territory codes are copied from the commune on every write
    # so that scopes and statistics filter on indexed columns of this table alone.
    name = fields.CharField(max_length=200, null=True)
    address = fields.CharField(max_length=300, null=True)
    access_details = fields.TextField(null=True)
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    commune: fields.ForeignKeyRelation[Commune] = fields.ForeignKeyField(
        "hub.Commune", related_name="sites", on_delete=fields.RESTRICT, db_index=True
    )
    commune_scope_code = fields.CharField(max_length=5, db_index=True)
    epci_code = fields.CharField(max_length=9, null=True, db_index=True)
    departement_code = fields.CharField(max_length=3, db_index=True)
    region_code = fields.CharField(max_length=3, db_index=True)
    overseas = fields.BooleanField(default=False)
    field_type = CharEnumField(FieldType, max_length=10, default=FieldType.UNKNOWN)
    declared_at = fields.DateField(null=True)
    installed_at = fields.DateField(null=True)
    is_reinstallation = fields.BooleanField(default=False)
    reinstalled_from: fields.ManyToManyRelation["Site"] = fields.ManyToManyField(
        "hub.Site", related_name="reinstalled_to", through="site_reinstallation"
    )

    # Population and dwellings.
    population_total = _count()
    population_households = _count()
    population_women = _count()
    population_minors = _count()
    minors_0_3 = _count()
    minors_3_6 = _count()
    minors_6_12 = _count()
    minors_12_16 = _count()
    minors_16_18 = _count()
    minors_in_school = _count()
    population_counted_at = fields.DateField(null=True)
    caravans = _count()
    huts = _count()
    tents = _count()
    cars = _count()
    mattresses = _count()
    origin_french = fields.BooleanField(default=False)
    origin_eu = fields.BooleanField(default=False)
    origin_non_eu = fields.BooleanField(default=False)
    census_status = CharEnumField(CensusStatus, max_length=10, default=CensusStatus.NONE)
    census_date = fields.DateField(null=True)
    census_by = fields.CharField(max_length=200, null=True)

    # Living conditions: tri-state answers; each theme's status is derived from them
    # (hub.models.conditions) and stored so that filters and statistics stay in SQL.
    water_access = _tri()
    water_access_types: list[str] = fields.JSONField(default=list)
    water_on_site = _tri()
    water_within_200m = _tri()
    water_continuous = _tri()
    water_stagnant = _tri()
    sanitation_open_defecation = _tri()
    sanitation_working_toilets = _tri()
    sanitation_toilet_types: list[str] = fields.JSONField(default=list)
    sanitation_lit_and_lockable = _tri()
    sanitation_hand_washing = _tri()
    electricity_access = _tri()
    electricity_types: list[str] = fields.JSONField(default=list)
    waste_piling = _tri()
    waste_collection_nearby = _tri()
    waste_collection_regular = _tri()
    pests = _tri()
    fire_prevention_diagnosis = _tri()
    water_status = _status()
    sanitation_status = _status()
    electricity_status = _status()
    waste_status = _status()
    pests_status = _status()
    fire_prevention_status = _status()

    # Legal procedures (sensitive).
    owner_complaint = _tri()
    justice_procedure = _tri()
    justice_decision = _tri()
    justice_decision_date = fields.DateField(null=True)
    justice_court = fields.CharField(max_length=200, null=True)
    police_assistance = CharEnumField(
        PoliceAssistanceStatus, max_length=10, default=PoliceAssistanceStatus.NONE
    )
    police_requested_at = fields.DateField(null=True)
    police_granted_at = fields.DateField(null=True)
    bailiff = fields.CharField(max_length=200, null=True)
    administrative_order = _tri()
    administrative_order_date = fields.DateField(null=True)
    insalubrity_order = _tri()
    insalubrity_order_date = fields.DateField(null=True)
    has_legal_procedure = fields.BooleanField(default=False, db_index=True)

    # Parcel owners (sensitive, personal data): the names live in ParcelOwner.
    owner_type = CharEnumField(OwnerType, max_length=10, default=OwnerType.UNKNOWN)

    # Lifecycle.
    status = CharEnumField(SiteStatus, max_length=30, default=SiteStatus.OPEN, db_index=True)
    closed_at = fields.DateField(null=True)
    closed_with_solutions = CharEnumField(ClosedWithSolutions, max_length=10, null=True)
    closing_context = fields.TextField(null=True)
    resorption_target_year = fields.IntField(null=True)

    # Freshness.
    created_at = fields.DatetimeField()
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "hub.User", related_name="sites_created", null=True, on_delete=fields.SET_NULL
    )
    updated_at = fields.DatetimeField(db_index=True)
    updated_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "hub.User", related_name="sites_updated", null=True, on_delete=fields.SET_NULL
    )
    confirmed_unchanged_at = fields.DatetimeField(null=True)

    commune_id: str
    created_by_id: int | None
    updated_by_id: int | None

    class Meta:
        table = "site"
        indexes = (("departement_code", "status"),)


class ParcelOwner(Model):
    id = fields.IntField(primary_key=True)
    site: fields.ForeignKeyRelation[Site] = fields.ForeignKeyField(
        "hub.Site", related_name="parcel_owners", on_delete=fields.CASCADE, db_index=True
    )
    parcel = fields.CharField(max_length=50, null=True)
    owner_type = CharEnumField(OwnerType, max_length=10, default=OwnerType.UNKNOWN)
    owner_name = fields.CharField(max_length=200, null=True)

    site_id: int

    class Meta:
        table = "site_parcel_owner"


class SiteClosingSolution(Model):
    id = fields.IntField(primary_key=True)
    site: fields.ForeignKeyRelation[Site] = fields.ForeignKeyField(
        "hub.Site", related_name="closing_solutions", on_delete=fields.CASCADE
    )
    solution = CharEnumField(ClosingSolution, max_length=30)
    people = fields.IntField(null=True)
    households = fields.IntField(null=True)

    site_id: int

    class Meta:
        table = "site_closing_solution"
        unique_together = (("site", "solution"),)


class SiteResorptionPhase(Model):
    id = fields.IntField(primary_key=True)
    site: fields.ForeignKeyRelation[Site] = fields.ForeignKeyField(
        "hub.Site", related_name="resorption_phases", on_delete=fields.CASCADE
    )
    phase = CharEnumField(ResorptionPhase, max_length=30)
    started_at = fields.DateField(null=True)
    completed_at = fields.DateField(null=True)

    site_id: int

    class Meta:
        table = "site_resorption_phase"
        unique_together = (("site", "phase"),)


class SiteActor(Model):
    # An organization (and optionally one of its users) acting on a site, with themes.

    id = fields.IntField(primary_key=True)
    site: fields.ForeignKeyRelation[Site] = fields.ForeignKeyField(
        "hub.Site", related_name="actors", on_delete=fields.CASCADE, db_index=True
    )
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "hub.Organization", related_name="site_actors", on_delete=fields.RESTRICT, db_index=True
    )
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "hub.User", related_name="site_actors", null=True, on_delete=fields.SET_NULL
    )
    themes: list[str] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)

    site_id: int
    organization_id: int
    user_id: int | None

    class Meta:
        table = "site_actor"
