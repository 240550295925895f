# Written by hand: tortoise indexes its many-to-many tables on (owner, target) only, and the
# loaders also look them up from the target side (the actions of a site, of a user…).
from tortoise import migrations
from tortoise.migrations import operations as ops

_INDEXES = [
    ("action_site", "site_id"),
    ("action_manager", "user_id"),
    ("action_operator", "user_id"),
    ("comment_target_user", "user_id"),
    ("comment_target_organization", "organization_id"),
    ("site_reinstallation", "site_id"),
]


class Migration(migrations.Migration):
    dependencies = [("hub", "0001_initial")]

    initial = False

    operations = [
        ops.RunSQL(
            [f'CREATE INDEX "idx_{table}_{column}" ON "{table}" ("{column}")' for table, column in _INDEXES],
            reverse_sql=[f'DROP INDEX "idx_{table}_{column}"' for table, column in _INDEXES],
        )
    ]
