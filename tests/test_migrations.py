"""Migrations: the files match the models, and `hub migrate` builds the same tables anywhere."""

from __future__ import annotations

import datetime

from tortoise import Tortoise, connections
from tortoise.migrations.api.migrate import migrate as tortoise_migrate
from tortoise.migrations.autodetector import MigrationAutodetector

from hub import database
from hub.models import Commune, Site, User

EXPECTED_TABLES = {
    "region", "departement", "epci", "commune", "organization", "user", "user_identity",
    "intervention_area", "partner_application", "site", "site_parcel_owner",
    "site_closing_solution", "site_resorption_phase", "site_actor", "site_reinstallation",
    "action", "action_topic", "action_finance", "action_indicators", "action_manager",
    "action_operator", "action_site", "comment", "comment_target_user",
    "comment_target_organization", "history_entry",
}  # fmt: skip


async def test_models_need_no_new_migration(fresh_db: str) -> None:
    config = database.tortoise_config(fresh_db)
    writers = await MigrationAutodetector(Tortoise.apps, config["apps"]).changes()
    assert writers == [], "models changed without a migration: run `hub makemigrations`"


async def test_migrate_creates_every_table_and_is_idempotent(fresh_db: str, backend: str) -> None:
    await database.disconnect()
    await database.migrate(fresh_db)  # a second run applies nothing and fails on nothing
    await database.disconnect()
    await database.connect(fresh_db)
    connection = connections.get("default")
    if backend == "sqlite":
        rows = await connection.execute_query_dict(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        )
    else:
        rows = await connection.execute_query_dict(
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
        )
    tables = {row["name"] for row in rows}
    assert tables >= EXPECTED_TABLES, EXPECTED_TABLES - tables
    assert await Site.all().count() == 0 and await Commune.all().count() == 0


async def test_accounts_active_before_last_use_was_recorded_count_as_used_at_the_upgrade(
    fresh_db: str,
) -> None:
    """Else the first reminders of unused accounts would go to every account older than
    HUB_INACTIVITY_DAYS the day the hub is upgraded."""
    await database.disconnect()
    config = database.tortoise_config(fresh_db)
    await tortoise_migrate(config=config, target="hub.0009_access_requests")
    connection = connections.get("default")
    await connection.execute_script(
        "INSERT INTO organization (id, name, category, type, active, created_at) "
        "VALUES (1, 'Association', 'association', 'association', TRUE, "
        "'2020-01-01 00:00:00+00:00');"
        'INSERT INTO "user" (id, organization_id, first_name, last_name, email, role, status, '
        "options, created_at) VALUES "
        "(1, 1, 'A', 'B', 'a@example.org', 'operator', 'active', '[]', "
        "'2020-01-01 00:00:00+00:00'), "
        "(2, 1, 'C', 'D', 'c@example.org', 'operator', 'pending', '[]', "
        "'2020-01-01 00:00:00+00:00');"
    )
    before = datetime.datetime.now(datetime.UTC)
    await database.disconnect()
    await database.migrate(fresh_db)
    await database.disconnect()
    await database.connect(fresh_db)
    seen = dict(await User.all().order_by("id").values_list("id", "last_seen_at"))
    assert seen[1] is not None and seen[1] >= before - datetime.timedelta(seconds=1)
    assert seen[2] is None
