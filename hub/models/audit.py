"""The audit log: who wrote, read gated data or exported what, and when.

An entry stands where its objects stand (the territory columns of a site, or an action's
département), so that ``audit.read`` can be scoped like any other read.
"""

from tortoise import fields
from tortoise.models import Model

from hub.models.enums import AuditKind
from hub.models.fields import CharEnumField
from hub.models.organizations import PartnerApplication, User


class AuditEntry(Model):
    id = fields.IntField(primary_key=True)
    at = fields.DatetimeField(db_index=True)
    kind = CharEnumField(AuditKind, max_length=10)
    # The mutation ("site.update"), the capability read ("site.legal.read") or the export.
    operation = fields.CharField(max_length=60)
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "hub.User", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    application: fields.ForeignKeyNullableRelation[PartnerApplication] = fields.ForeignKeyField(
        "hub.PartnerApplication",
        related_name="audit_entries",
        null=True,
        on_delete=fields.SET_NULL,
    )
    subject_type = fields.CharField(max_length=20, null=True)
    subject_ids: list[int] = fields.JSONField(default=list)
    region_code = fields.CharField(max_length=3, null=True, db_index=True)
    departement_code = fields.CharField(max_length=3, null=True, db_index=True)
    epci_code = fields.CharField(max_length=9, null=True)
    commune_scope_code = fields.CharField(max_length=5, null=True)
    # What else the operation needs to be understood (a moderation's reason…).
    details: dict[str, object] = fields.JSONField(default=dict)

    user_id: int | None
    application_id: int | None

    class Meta:
        table = "audit_entry"
