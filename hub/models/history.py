"""Change history of sites and actions: who, when, and each field's old and new value."""

from tortoise import fields
from tortoise.models import Model

from hub.models.enums import HistoryOperation, HistorySubject
from hub.models.fields import CharEnumField
from hub.models.organizations import PartnerApplication, User


class HistoryEntry(Model):
    id = fields.IntField(primary_key=True)
    subject_type = CharEnumField(HistorySubject, max_length=10)
    subject_id = fields.IntField()
    operation = CharEnumField(HistoryOperation, max_length=10)
    # {field: [old, new]}, values as JSON scalars (dates as ISO strings).
    changes: dict[str, list[object]] = fields.JSONField(default=dict)
    author: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "hub.User", related_name="history_entries", null=True, on_delete=fields.SET_NULL
    )
    application: fields.ForeignKeyNullableRelation[PartnerApplication] = fields.ForeignKeyField(
        "hub.PartnerApplication",
        related_name="history_entries",
        null=True,
        on_delete=fields.SET_NULL,
    )
    changed_at = fields.DatetimeField()

    author_id: int | None
    application_id: int | None

    class Meta:
        table = "history_entry"
        indexes = (("subject_type", "subject_id", "changed_at"),)
