# Written by hand: tortoise's unique=True on User.email compares case-sensitively, while an
# address is one person's whatever its case. An index on lower(email) (the same statement on
# SQLite and PostgreSQL) refuses a second user even when two invitations race past the
# resolver's case-insensitive check.
from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("hub", "0004_audit_and_moderation")]

    initial = False

    operations = [
        ops.RunSQL(
            ['CREATE UNIQUE INDEX "uidx_user_email_lower" ON "user" (LOWER("email"))'],
            reverse_sql=['DROP INDEX "uidx_user_email_lower"'],
        )
    ]
