"""Journal comments on sites and actions, optionally targeted at users or organizations."""

from tortoise import fields
from tortoise.models import Model

from hub.models.actions import Action
from hub.models.organizations import Organization, User
from hub.models.sites import Site


class Comment(Model):
    id = fields.IntField(primary_key=True)
    # Exactly one of site / action is set.
    site: fields.ForeignKeyNullableRelation[Site] = fields.ForeignKeyField(
        "hub.Site", related_name="comments", null=True, on_delete=fields.CASCADE
    )
    action: fields.ForeignKeyNullableRelation[Action] = fields.ForeignKeyField(
        "hub.Action", related_name="comments", null=True, on_delete=fields.CASCADE
    )
    author: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "hub.User", related_name="comments", null=True, on_delete=fields.SET_NULL
    )
    body = fields.TextField()
    tags: list[str] = fields.JSONField(default=list)
    # True when the comment has targets: kept beside the target tables so that the
    # visibility filter of the policy is a plain column test.
    targeted = fields.BooleanField(default=False)
    target_users: fields.ManyToManyRelation[User] = fields.ManyToManyField(
        "hub.User", related_name="targeted_comments", through="comment_target_user"
    )
    target_organizations: fields.ManyToManyRelation[Organization] = fields.ManyToManyField(
        "hub.Organization", related_name="targeted_comments", through="comment_target_organization"
    )
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField(null=True)
    # Deleted comments are kept (hidden from every journal): nothing written is lost, and a
    # moderation keeps its reason.
    deleted_at = fields.DatetimeField(null=True)
    deleted_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "hub.User", related_name="comments_deleted", null=True, on_delete=fields.SET_NULL
    )
    deletion_reason = fields.TextField(null=True)

    site_id: int | None
    action_id: int | None
    author_id: int | None

    class Meta:
        table = "comment"
        indexes = (("site_id", "created_at"), ("action_id", "created_at"))
