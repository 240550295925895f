"""The event stream: one row per committed change, written in the change's own transaction.

Subscriptions, the activity feed and webhooks all read this one truth: an event exists only
if its change was committed. A row holds what changed and where it stands (the territory
columns of its site, action or user, named as on sites so that the same row scope applies),
never a copy of the data: each consumer reads the objects afresh, with its own rights.
"""

from tortoise import fields
from tortoise.models import Model

from hub.models.enums import EventKind
from hub.models.fields import CharEnumField


class Event(Model):
    id = fields.IntField(primary_key=True)
    at = fields.DatetimeField(db_index=True)
    kind = CharEnumField(EventKind, max_length=30)
    # "site", "action", "comment" or "user", and its id (kept after a deletion: no key).
    subject_type = fields.CharField(max_length=20)
    subject_id = fields.IntField()
    # The site or action the change is about (a comment's, an actor's), for routing.
    site_id = fields.IntField(null=True, db_index=True)
    action_id = fields.IntField(null=True, db_index=True)
    region_code = fields.CharField(max_length=3, null=True)
    departement_code = fields.CharField(max_length=3, null=True, db_index=True)
    epci_code = fields.CharField(max_length=9, null=True)
    commune_scope_code = fields.CharField(max_length=5, null=True)
    # The names of the fields that changed (never their values: those may be gated).
    changes: list[str] = fields.JSONField(default=list)
    # Who made the change: plain ids, so that a deleted account keeps its events.
    user_id = fields.IntField(null=True)
    application_id = fields.IntField(null=True)

    class Meta:
        table = "event"
