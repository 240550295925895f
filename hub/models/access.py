"""Requests for access from people the hub does not know yet, and what was decided.

The person's details are personal data: only those who may decide on a request read them
(``permissions.rows.access_requests_q``). A request stands where the territory it asks for
stands (the same territory columns as a site), so that a local administrator's queue holds
the requests of its areas.
"""

from tortoise import fields
from tortoise.models import Model

from hub.models.enums import AccessRequestStatus, LocationLevel, OrganizationType, Role
from hub.models.fields import CharEnumField
from hub.models.organizations import Organization, User


class AccessRequest(Model):
    id = fields.IntField(primary_key=True)
    created_at = fields.DatetimeField(db_index=True)
    status = CharEnumField(
        AccessRequestStatus, max_length=10, default=AccessRequestStatus.PENDING, db_index=True
    )
    first_name = fields.CharField(max_length=100)
    last_name = fields.CharField(max_length=100)
    # Lower case: one person, one address, whatever its case.
    email = fields.CharField(max_length=254, db_index=True)
    # The address while the request is open, null once decided: one open request per address,
    # by a unique index that both databases enforce (nulls are distinct).
    open_email = fields.CharField(max_length=254, null=True, unique=True)
    phone = fields.CharField(max_length=30, null=True)
    position = fields.CharField(max_length=150, null=True)
    # An existing organization, or a new one the deciders create on approval.
    organization: fields.ForeignKeyNullableRelation[Organization] = fields.ForeignKeyField(
        "hub.Organization", related_name="access_requests", null=True, on_delete=fields.SET_NULL
    )
    organization_name = fields.CharField(max_length=200, null=True)
    organization_type = CharEnumField(OrganizationType, max_length=30, null=True)
    location_level = CharEnumField(LocationLevel, max_length=12)
    location_code = fields.CharField(max_length=9, null=True)
    region_code = fields.CharField(max_length=3, null=True)
    departement_code = fields.CharField(max_length=3, null=True, db_index=True)
    epci_code = fields.CharField(max_length=9, null=True)
    commune_scope_code = fields.CharField(max_length=5, null=True)
    # The role asked for; null: the deciders choose.
    role = CharEnumField(Role, max_length=30, null=True)
    reason = fields.TextField()
    decided_at = fields.DatetimeField(null=True)
    decided_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "hub.User", related_name="access_decisions", null=True, on_delete=fields.SET_NULL
    )
    decision_reason = fields.TextField(null=True)
    # The identity (OIDC issuer and subject) of a person who asked while signed in: its
    # approval links this identity to the account at their first sign-in, whatever the
    # e-mail address their token then carries.
    issuer = fields.CharField(max_length=255, null=True)
    subject = fields.CharField(max_length=255, null=True)
    # The account an approval created (pending until its first sign-in).
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "hub.User", related_name="access_requests", null=True, on_delete=fields.SET_NULL
    )

    organization_id: int | None
    decided_by_id: int | None
    user_id: int | None

    class Meta:
        table = "access_request"
