"""Permission overrides: an organization's or a user's own level for one capability.

They are layers of the policy (``permissions/policy.py``) above the role defaults; exactly
one of organization and user is set. Values are ``Capability`` and ``Level`` values.
"""

from tortoise import fields
from tortoise.models import Model

from hub.models.organizations import Organization, User


class PermissionOverride(Model):
    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyNullableRelation[Organization] = fields.ForeignKeyField(
        "hub.Organization",
        related_name="permission_overrides",
        null=True,
        on_delete=fields.CASCADE,
        db_index=True,
    )
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "hub.User",
        related_name="permission_overrides",
        null=True,
        on_delete=fields.CASCADE,
        db_index=True,
    )
    capability = fields.CharField(max_length=40)
    level = fields.CharField(max_length=6)
    created_at = fields.DatetimeField(auto_now_add=True)

    organization_id: int | None
    user_id: int | None

    class Meta:
        table = "permission_override"
        unique_together = (("organization", "capability"), ("user", "capability"))
