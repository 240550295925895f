from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("hub", "0005_user_email_lower_unique")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Outline",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("level", fields.CharField(max_length=12)),
                ("code", fields.CharField(max_length=9)),
                ("south", fields.FloatField()),
                ("west", fields.FloatField()),
                ("north", fields.FloatField()),
                ("east", fields.FloatField()),
                ("rings", fields.TextField(unique=False)),
            ],
            options={
                "table": "territory_outline",
                "app": "hub",
                "unique_together": (("level", "code"),),
                "indexes": [Index(fields=["level", "south", "north"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Departement",
            name="latitude",
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name="Departement",
            name="longitude",
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name="Epci",
            name="latitude",
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name="Epci",
            name="longitude",
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name="Region",
            name="latitude",
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name="Region",
            name="longitude",
            field=fields.FloatField(null=True),
        ),
    ]
