from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('hub', '0010_notifications')]

    initial = False

    operations = [
        ops.AddField(
            model_name='AccessRequest',
            name='issuer',
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name='AccessRequest',
            name='subject',
            field=fields.CharField(null=True, max_length=255),
        ),
    ]
