"""The e-mails the hub sends: an outbox, one row per message and recipient.

A row is written in the same transaction as what causes it (an event of ``hub.models.events``,
or a scheduled digest, reminder or deactivation), under a key naming its cause and its
recipient: a cause written twice still makes one row, so each recipient gets each message
once. ``hub.server.notify`` renders and sends the rows, retried with backoff; a row whose
every attempt failed is kept as failed, for the national administrators to see.
"""

from typing import Any

from tortoise import fields
from tortoise.models import Model

from hub.models.enums import DeliveryStatus, NotificationKind
from hub.models.fields import CharEnumField


class Email(Model):
    id = fields.IntField(primary_key=True)
    # "<kind>:<what it is about>:<recipient>": at most one row per cause and recipient.
    key = fields.CharField(max_length=200, unique=True)
    kind = CharEnumField(NotificationKind, max_length=30)
    # The recipient's account, when it has one (a requester has none yet), and its address.
    user_id = fields.IntField(null=True, db_index=True)
    address = fields.CharField(max_length=254)
    # The event that caused it, if any, and what the message is about (ids, a period): the
    # message is read when it is sent, with the recipient's rights at that moment.
    event_id = fields.IntField(null=True)
    about: dict[str, Any] = fields.JSONField(default=dict)
    status = CharEnumField(DeliveryStatus, max_length=10, default=DeliveryStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    last_error = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField()
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "email"
        indexes = (("status", "next_attempt_at"),)
