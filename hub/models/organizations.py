"""Organizations, their users and partner applications."""

from tortoise import fields
from tortoise.fields.db_defaults import SqlDefault
from tortoise.models import Model

from hub.models.enums import (
    LocationLevel,
    OrganizationCategory,
    OrganizationType,
    Role,
    UserStatus,
)
from hub.models.fields import CharEnumField

# The national delegation (DIHAL): home of the national administrators.
NATIONAL_DELEGATION_NAME = "Délégation interministérielle à l'hébergement et à l'accès au logement"


class Organization(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    abbreviation = fields.CharField(max_length=40, null=True)
    category = CharEnumField(OrganizationCategory, max_length=30)
    type = CharEnumField(OrganizationType, max_length=30)
    # No home location means a national organization.
    location_level = CharEnumField(LocationLevel, max_length=12, null=True)
    location_code = fields.CharField(max_length=9, null=True)
    active = fields.BooleanField(default=True, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "organization"


class User(Model):
    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "hub.Organization", related_name="members", on_delete=fields.RESTRICT, db_index=True
    )
    first_name = fields.CharField(max_length=100)
    last_name = fields.CharField(max_length=100)
    # Unique whatever its case too: migration 0005 adds a unique index on lower(email).
    email = fields.CharField(max_length=254, unique=True)
    phone = fields.CharField(max_length=30, null=True)
    job_title = fields.CharField(max_length=150, null=True)
    role = CharEnumField(Role, max_length=30)
    status = CharEnumField(UserStatus, max_length=10, default=UserStatus.PENDING)
    # Per-user options (UserOption values) widening the role defaults.
    options: list[str] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    # When the account last used the hub (a day's precision: written at most once a day), for
    # the reminders and deactivation of unused accounts.
    last_seen_at = fields.DatetimeField(null=True)
    # The e-mails (NotificationKind values) the person chose not to receive.
    # (A database default too: the column was added to tables already holding accounts.)
    notifications_off: list[str] = fields.JSONField(default=list, db_default=SqlDefault("'[]'"))

    organization_id: int

    class Meta:
        table = "user"


class UserIdentity(Model):
    # Links a user to an OIDC identity (issuer, subject).

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "hub.User", related_name="identities", on_delete=fields.CASCADE
    )
    issuer = fields.CharField(max_length=255)
    subject = fields.CharField(max_length=255)
    linked_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "user_identity"
        unique_together = (("issuer", "subject"),)


class InterventionArea(Model):
    # One location where an organization (or, overriding it, a user) intervenes.

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyNullableRelation[Organization] = fields.ForeignKeyField(
        "hub.Organization", related_name="areas", null=True, on_delete=fields.CASCADE, db_index=True
    )
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "hub.User", related_name="areas", null=True, on_delete=fields.CASCADE, db_index=True
    )
    level = CharEnumField(LocationLevel, max_length=12)
    code = fields.CharField(max_length=9, null=True)

    organization_id: int | None
    user_id: int | None

    class Meta:
        table = "intervention_area"


class PartnerApplication(Model):
    # An OIDC client acting for one organization with a fixed (never admin) role.

    id = fields.IntField(primary_key=True)
    client_id = fields.CharField(max_length=255, unique=True)
    name = fields.CharField(max_length=200)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "hub.Organization", related_name="applications", on_delete=fields.RESTRICT
    )
    role = CharEnumField(Role, max_length=30)
    scopes: list[str] = fields.JSONField(default=list)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    organization_id: int

    class Meta:
        table = "partner_application"
