from tortoise import migrations
from tortoise.migrations import operations as ops
from hub.models.enums import EventKind
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('hub', '0006_territory_centres_and_outlines')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Event',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('kind', fields.CharEnumField(description='SITE_CREATED: site.created\nSITE_UPDATED: site.updated\nSITE_CLOSED: site.closed\nSITE_REOPENED: site.reopened\nSITE_CONFIRMED: site.confirmed\nSITE_DELETED: site.deleted\nACTOR_DECLARED: actor.declared\nACTOR_UPDATED: actor.updated\nACTOR_WITHDRAWN: actor.withdrawn\nACTION_CREATED: action.created\nACTION_UPDATED: action.updated\nCOMMENT_CREATED: comment.created\nCOMMENT_UPDATED: comment.updated\nCOMMENT_DELETED: comment.deleted\nUSER_INVITED: user.invited\nUSER_ACTIVATED: user.activated\nUSER_DEACTIVATED: user.deactivated\nUSER_CHANGED: user.changed\nPERMISSIONS_CHANGED: permissions.changed', enum_type=EventKind, max_length=30)),
                ('subject_type', fields.CharField(max_length=20)),
                ('subject_id', fields.IntField()),
                ('site_id', fields.IntField(null=True, db_index=True)),
                ('action_id', fields.IntField(null=True, db_index=True)),
                ('region_code', fields.CharField(null=True, max_length=3)),
                ('departement_code', fields.CharField(null=True, db_index=True, max_length=3)),
                ('epci_code', fields.CharField(null=True, max_length=9)),
                ('commune_scope_code', fields.CharField(null=True, max_length=5)),
                ('changes', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('user_id', fields.IntField(null=True)),
                ('application_id', fields.IntField(null=True)),
            ],
            options={'table': 'event', 'app': 'hub', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
