from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from hub.models.enums import AuditKind
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('hub', '0003_permission_override')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('kind', fields.CharEnumField(description='WRITE: write\nREAD: read\nEXPORT: export', enum_type=AuditKind, max_length=10)),
                ('operation', fields.CharField(max_length=60)),
                ('user', fields.ForeignKeyField('hub.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL)),
                ('application', fields.ForeignKeyField('hub.PartnerApplication', source_field='application_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL)),
                ('subject_type', fields.CharField(null=True, max_length=20)),
                ('subject_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('region_code', fields.CharField(null=True, db_index=True, max_length=3)),
                ('departement_code', fields.CharField(null=True, db_index=True, max_length=3)),
                ('epci_code', fields.CharField(null=True, max_length=9)),
                ('commune_scope_code', fields.CharField(null=True, max_length=5)),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'audit_entry', 'app': 'hub', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Comment',
            name='deleted_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Comment',
            name='deleted_by',
            field=fields.ForeignKeyField('hub.User', source_field='deleted_by_id', null=True, db_constraint=True, to_field='id', related_name='comments_deleted', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Comment',
            name='deletion_reason',
            field=fields.TextField(null=True, unique=False),
        ),
    ]
