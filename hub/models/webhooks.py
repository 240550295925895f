"""Webhooks of partner applications, and their deliveries: an outbox fed by the event stream.

A delivery row is written in the same transaction as its event (``hub.live.stream``), one per
webhook that wants the event's kind, so that nothing committed is left unsent and nothing
rolled back is sent. ``hub.server.webhooks`` sends them, retried with backoff, at least once.
"""

from tortoise import fields
from tortoise.models import Model

from hub.models.enums import DeliveryStatus
from hub.models.fields import CharEnumField
from hub.models.organizations import PartnerApplication


class Webhook(Model):
    id = fields.IntField(primary_key=True)
    application: fields.ForeignKeyRelation[PartnerApplication] = fields.ForeignKeyField(
        "hub.PartnerApplication", related_name="webhooks", on_delete=fields.CASCADE
    )
    url = fields.CharField(max_length=2000)
    # The event kinds it wants (EventKind values).
    kinds: list[str] = fields.JSONField(default=list)
    # The key of the deliveries' HMAC signatures, shared with the application.
    secret = fields.CharField(max_length=100)
    # Set after repeated failures: deliveries wait until the webhook is resumed.
    paused_at = fields.DatetimeField(null=True)
    # Attempts failed in a row (any delivery); a success resets it.
    failures = fields.IntField(default=0)
    created_at = fields.DatetimeField()

    application_id: int

    class Meta:
        table = "webhook"


class WebhookDelivery(Model):
    id = fields.IntField(primary_key=True)
    webhook: fields.ForeignKeyRelation[Webhook] = fields.ForeignKeyField(
        "hub.Webhook", related_name="deliveries", on_delete=fields.CASCADE
    )
    event_id = fields.IntField()
    status = CharEnumField(DeliveryStatus, max_length=10, default=DeliveryStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    last_error = fields.CharField(max_length=500, null=True)
    delivered_at = fields.DatetimeField(null=True)

    webhook_id: int

    class Meta:
        table = "webhook_delivery"
        unique_together = (("webhook_id", "event_id"),)
        indexes = (("status", "next_attempt_at"),)
