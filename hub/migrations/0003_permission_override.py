from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('hub', '0002_link_table_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PermissionOverride',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('hub.Organization', source_field='organization_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='permission_overrides', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('hub.User', source_field='user_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='permission_overrides', on_delete=OnDelete.CASCADE)),
                ('capability', fields.CharField(max_length=40)),
                ('level', fields.CharField(max_length=6)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'permission_override', 'app': 'hub', 'unique_together': (('organization', 'capability'), ('user', 'capability')), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
