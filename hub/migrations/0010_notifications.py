from tortoise import migrations
from tortoise.migrations import operations as ops
from hub.models.enums import DeliveryStatus, NotificationKind
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index
from tortoise.fields.db_defaults import SqlDefault
import datetime


async def accounts_in_use_from_now(apps, schema_editor):
    # Accounts active before last use was recorded count as used now, not at their creation:
    # otherwise the first reminders of unused accounts would go to every older account.
    client = schema_editor.client
    parameter = "$1" if client.capabilities.dialect == "postgres" else "?"
    await client.execute_query(
        f'UPDATE "user" SET "last_seen_at" = {parameter} WHERE "status" = \'active\'',
        [datetime.datetime.now(datetime.UTC)],
    )

class Migration(migrations.Migration):
    dependencies = [('hub', '0009_access_requests')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Email',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=200)),
                ('kind', fields.CharEnumField(description='ACCESS_REQUESTED: access.requested\nACCESS_APPROVED: access.approved\nACCESS_REFUSED: access.refused\nCOMMENT_TARGETED: comment.targeted\nWEEKLY_DIGEST: digest.weekly\nSITE_OUT_OF_DATE: site.out_of_date\nACCOUNT_INACTIVE: account.inactive\nACCOUNT_DEACTIVATED: account.deactivated', enum_type=NotificationKind, max_length=30)),
                ('user_id', fields.IntField(null=True, db_index=True)),
                ('address', fields.CharField(max_length=254)),
                ('event_id', fields.IntField(null=True)),
                ('about', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('status', fields.CharEnumField(default=DeliveryStatus.PENDING, description='PENDING: pending\nDELIVERED: delivered\nSKIPPED: skipped\nFAILED: failed', enum_type=DeliveryStatus, max_length=10)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(null=True, max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'email', 'app': 'hub', 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='User',
            name='last_seen_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='User',
            name='notifications_off',
            field=fields.JSONField(default=list, db_default=SqlDefault("'[]'"), encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.RunPython(accounts_in_use_from_now, ops.RunPython.noop),
    ]
