# The CreateModel is tortoise's; the row and the triggers are written by hand. The token
# changes in the transaction of any change to the four territory tables, so a process that
# reads it knows whether the territories it keeps are still the database's
# (resolvers.territories.kept). SQLite has row triggers only (one UPDATE of one row, in
# place, per changed row: under 0.1 s for a whole load of the 35,000 communes); PostgreSQL
# changes it once a transaction, TRUNCATE included.
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

TABLES = ("region", "departement", "epci", "commune")
NEW_TOKEN = {
    "sqlite": "lower(hex(randomblob(16)))",
    "postgres": "md5(random()::text || clock_timestamp()::text)",
}


PG_TRIGGER = "territory_changed"


def _sqlite_triggers():
    """(name, table, event) of SQLite's triggers: one per table and kind of change."""
    for table in TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            yield f"territory_changed_{table}_{event.lower()}", table, event


def _statements(dialect):
    new_token = NEW_TOKEN["postgres" if dialect == "postgres" else "sqlite"]
    yield f'INSERT INTO "territory_revision" ("id", "token") VALUES (1, {new_token})'
    change = f'UPDATE "territory_revision" SET "token" = {new_token}'
    if dialect == "postgres":
        # Once a transaction: a load sends one INSERT per row (executemany), and each new
        # version of the one row would make the next UPDATE slower (35,000 communes: 9 s).
        yield (
            "CREATE FUNCTION hub_territory_changed() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN"
            " IF current_setting('hub.territory_changed', true) IS DISTINCT FROM 'yes' THEN"
            f" {change}; PERFORM set_config('hub.territory_changed', 'yes', true);"
            " END IF;"
            " RETURN NULL; END $$"
        )
        for table in TABLES:
            yield (
                f'CREATE TRIGGER "{PG_TRIGGER}" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE'
                f' ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION hub_territory_changed()'
            )
        return
    for name, table, event in _sqlite_triggers():
        yield f'CREATE TRIGGER "{name}" AFTER {event} ON "{table}" BEGIN {change}; END'


def _reverse_statements(dialect):
    if dialect == "postgres":
        for table in TABLES:
            yield f'DROP TRIGGER "{PG_TRIGGER}" ON "{table}"'
        yield "DROP FUNCTION hub_territory_changed()"
        return
    for name, _, _ in _sqlite_triggers():
        yield f'DROP TRIGGER "{name}"'


async def changes_change_the_token(apps, schema_editor):
    client = schema_editor.client
    for statement in _statements(client.capabilities.dialect):
        await client.execute_script(statement)


async def changes_leave_the_token(apps, schema_editor):
    client = schema_editor.client
    for statement in _reverse_statements(client.capabilities.dialect):
        await client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [('hub', '0011_access_request_identity')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TerritoryRevision',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token', fields.CharField(max_length=32)),
            ],
            options={'table': 'territory_revision', 'app': 'hub', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.RunPython(changes_change_the_token, changes_leave_the_token),
    ]
