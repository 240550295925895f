"""The ``hub`` command: serve, migrate, load territories, seed demo data, export the schema,
register partner applications and the first administrator, send e-mails, print demo tokens."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from hub import database
from hub.models.enums import Role
from hub.server import webhook_commands
from hub.settings import SETTINGS_FILE, Environment, Settings, SettingsError, environ_with_file
from permissions.principal import ADMIN_ROLES, HUB_SCOPES

if TYPE_CHECKING:
    from starlette.applications import Starlette

SCHEMA_PATH = Path("schema.graphql")
# What `hub serve` runs: a factory, so that each worker process builds its own app.
SERVED_APP = "hub.server.cli:served_app"


class DatabaseUse(Enum):
    """How a command uses the database: one that sets a database up may create it; the
    others refuse a SQLite file that does not exist rather than fill a new one silently."""

    CREATES = "creates"
    EXISTING = "existing"
    # The server creates it too, and says which one in its log (JSON lines in production).
    SERVES = "serves"


PERMISSIONS_DOC_PATH = Path("docs/permissions.md")


async def _with_database(settings: Settings, work: Callable[[], Awaitable[None]]) -> None:
    # Closing matters: aiosqlite's worker thread would otherwise keep the process alive.
    await database.migrate(settings.database_url)
    await database.disconnect()
    await database.connect(settings.database_url, bounds=database.Bounds.of(settings))
    try:
        await work()
    finally:
        await database.disconnect()


def cmd_migrate(settings: Settings, _: argparse.Namespace) -> int:
    async def run() -> None:
        try:
            await database.migrate(settings.database_url)
        finally:
            await database.disconnect()

    asyncio.run(run())
    print("Database is up to date.")
    return 0


def cmd_load_territories(settings: Settings, _: argparse.Namespace) -> int:
    from hub.territories import load_territories

    async def work() -> None:
        counts = await load_territories()
        print("Territories loaded: " + ", ".join(f"{n} {k}" for k, n in counts.items()))

    asyncio.run(_with_database(settings, work))
    return 0


def cmd_seed(settings: Settings, args: argparse.Namespace) -> int:
    from hub.demo import DemoDataExists, seed_demo
    from hub.territories import load_territories

    if not args.demo:
        print("Only demo data can be seeded: pass --demo.", file=sys.stderr)
        return 2
    outcome: list[int] = [0]

    async def work() -> None:
        await load_territories()
        try:
            counts = await seed_demo(sites=args.sites, seed=args.seed, reset=args.reset)
        except DemoDataExists as error:
            if args.if_empty:
                print("Demo data already present; nothing seeded.")
                return
            print(f"{error} Pass --reset to replace it.", file=sys.stderr)
            outcome[0] = 1
            return
        print("Demo data seeded: " + ", ".join(f"{n} {k}" for k, n in counts.items()))

    asyncio.run(_with_database(settings, work))
    return outcome[0]


def cmd_place_demo_sites(settings: Settings, _: argparse.Namespace) -> int:
    from tortoise.transactions import in_transaction

    from hub.demo.placement import locate_sites

    if settings.environment not in (Environment.DEMO, Environment.DEVELOPMENT):
        print(
            "hub place-demo-sites invents coordinates: it runs only with HUB_ENV=demo or "
            f"development (this is {settings.environment.value}).",
            file=sys.stderr,
        )
        return 2

    async def work() -> None:
        async with in_transaction() as conn:
            placed = await locate_sites(conn)
        print(
            f"Demo sites placed in their communes: {placed.placed}"
            + (
                f"; {placed.without_outline} left without coordinates (their commune has no "
                "outline: run `hub load-territories`)."
                if placed.without_outline
                else "."
            )
        )

    asyncio.run(_with_database(settings, work))
    return 0


def cmd_export_schema(_: Settings, args: argparse.Namespace) -> int:
    from schema.build import print_sdl

    return _write_or_check(Path(args.output), print_sdl(), "hub export-schema", args.check)


def cmd_permissions_doc(_: Settings, args: argparse.Namespace) -> int:
    from schema.build import build_schema
    from schema.permissions_doc import render

    text = render(build_schema())
    return _write_or_check(Path(args.output), text, "hub permissions-doc", args.check)


def _write_or_check(path: Path, text: str, command: str, check: bool) -> int:
    """Writes a generated file, or with ``check`` exits 1 when the file differs."""
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} is stale: run `{command}`.", file=sys.stderr)
            return 1
        print(f"{path} is up to date.")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"Wrote {path}.")
    return 0


def served_app() -> Starlette:
    """The app ``hub serve`` runs, built in each worker process (they share no state): the
    workers' logging is set up there, as the parent's set-up does not reach them, and their
    garbage collector is tuned once the app is ready."""
    from hub.server import gc_tuning
    from hub.server.app import create_app
    from hub.server.observability.logs import configure_logging

    settings = Settings.from_environ(environ_with_file())
    configure_logging(settings)
    return create_app(settings, when_ready=lambda: gc_tuning.tune(settings.gc_threshold))


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from hub.server.observability.logs import configure_logging
    from hub.server.serving import uvicorn_options
    from hub.server.workers import REUSE_PORT, run_workers

    configure_logging(settings)
    logging.getLogger(__name__).info(_database_in_use(settings, environ_with_file()))
    host = args.host or settings.host
    port = args.port or settings.port
    asyncio.run(_with_database(settings, _noop))
    if settings.graphiql:
        print(f"GraphiQL: http://{host}:{port}/graphql")
    if settings.dev_issuer:
        print(
            "Development issuer on: `hub token <e-mail or client id>` prints a token; "
            'send it in GraphiQL\'s headers as {"Authorization": "Bearer <token>"}.'
        )
    # uvicorn's loggers go through ours (log_config=None); the access log is hub.access's.
    options = {
        "factory": True,
        "workers": args.workers,
        "host": host,
        "port": port,
        "log_level": settings.log_level.lower(),
        "log_config": None,
        "access_log": False,
        **uvicorn_options(settings),
    }
    if args.workers > 1 and REUSE_PORT:
        run_workers(uvicorn.Config(SERVED_APP, **options))
    else:
        uvicorn.run(SERVED_APP, **options)
    return 0


async def _noop() -> None:
    return None


def cmd_token(settings: Settings, args: argparse.Namespace) -> int:
    from hub.server.auth.dev_issuer import DevIssuer, DevIssuerRefused

    try:
        issuer = DevIssuer.load(settings)
    except DevIssuerRefused as error:
        print(f"hub token: {error}", file=sys.stderr)
        return 2
    outcome: list[int] = [0]

    async def work() -> None:
        try:
            token, holder = await issuer.token_for(args.who, ttl=args.hours * 3600)
        except LookupError as error:
            print(f"hub token: {error}", file=sys.stderr)
            outcome[0] = 1
            return
        # The token alone on stdout, so that TOKEN=$(hub token …) works.
        print(token)
        print(
            f"Token for {holder}, valid {args.hours} h. "
            "Send it as the header  Authorization: Bearer <token>",
            file=sys.stderr,
        )

    asyncio.run(_with_database(settings, work))
    return outcome[0]


def cmd_app(settings: Settings, args: argparse.Namespace) -> int:
    from hub.server.auth import registration

    if args.action == "webhook":
        outcome = [0]

        async def webhooks() -> None:
            outcome[0] = await webhook_commands.run(settings, args)

        asyncio.run(_with_database(settings, webhooks))
        return outcome[0]

    async def work() -> None:
        if args.action == "register":
            app = await registration.register_application(
                args.client_id, args.name, args.organization, Role(args.role), args.scopes
            )
            print(f"Registered {app.client_id} ({app.role}, {' '.join(app.scopes)}).")
        elif args.action in ("enable", "disable"):
            app = await registration.set_application_active(args.client_id, args.action == "enable")
            print(f"{app.client_id} is {'enabled' if app.active else 'disabled'}.")
        else:
            for app in await registration.applications():
                state = "" if app.active else "  [disabled]"
                print(
                    f"{app.client_id}\t{app.role}\t{' '.join(app.scopes)}\t"
                    f"{app.organization.name} (#{app.organization_id}){state}"
                )

    return _registering(settings, work)


def cmd_webhooks(settings: Settings, _: argparse.Namespace) -> int:
    from hub.server.observability.logs import configure_logging

    configure_logging(settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_with_database(settings, lambda: webhook_commands.deliver_forever(settings)))
    return 0


def cmd_notify(settings: Settings, args: argparse.Namespace) -> int:
    from hub.server.notify import commands
    from hub.server.observability.logs import configure_logging

    configure_logging(settings)
    if args.once:

        async def once() -> None:
            print(await commands.notify_once(settings))

        asyncio.run(_with_database(settings, once))
        return 0
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_with_database(settings, lambda: commands.notify_forever(settings)))
    return 0


def cmd_bootstrap_admin(settings: Settings, args: argparse.Namespace) -> int:
    from hub.server.auth import registration

    async def work() -> None:
        user = await registration.bootstrap_admin(args.email, args.first_name, args.last_name)
        print(
            f"{user.email} is a national administrator. They sign in through a trusted "
            "provider whose token carries this verified e-mail address."
        )

    return _registering(settings, work)


def _registering(settings: Settings, work: Callable[[], Awaitable[None]]) -> int:
    from hub.server.auth.registration import RegistrationError

    async def guarded() -> None:
        try:
            await work()
        except RegistrationError as error:
            print(f"hub: {error}", file=sys.stderr)
            outcome[0] = 1

    outcome = [0]
    asyncio.run(_with_database(settings, guarded))
    return outcome[0]


def cmd_makemigrations(settings: Settings, args: argparse.Namespace) -> int:
    """For developers: write a migration for model changes (tortoise's autodetector)."""
    from tortoise.cli.cli import main as tortoise_main

    sys.argv = ["tortoise", "-c", "hub.database.CLI_CONFIG", "makemigrations", "hub"]
    if args.name:
        sys.argv += ["--name", args.name]
    database.CLI_CONFIG.update(database.tortoise_config(settings.database_url))
    tortoise_main()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hub", description=__doc__)
    parser.set_defaults(database=None)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the hub (migrates first)")
    serve.add_argument("--host", help="default HUB_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, help="default HUB_PORT or 8000")
    serve.add_argument(
        "--workers", type=_positive, default=1, help="processes serving requests (default 1)"
    )
    serve.set_defaults(run=cmd_serve, database=DatabaseUse.SERVES)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(
        run=cmd_migrate, database=DatabaseUse.CREATES
    )
    commands.add_parser(
        "load-territories", help="load the official geography (idempotent)"
    ).set_defaults(run=cmd_load_territories, database=DatabaseUse.CREATES)

    seed = commands.add_parser("seed", help="load demo data (deterministic)")
    seed.add_argument("--demo", action="store_true", help="seed the demo data set")
    seed.add_argument("--sites", type=_positive, default=2000, help="number of sites (2000)")
    seed.add_argument("--seed", type=int, default=20261126, help="random seed")
    seed.add_argument("--reset", action="store_true", help="replace existing data")
    seed.add_argument("--if-empty", action="store_true", help="do nothing if data exists")
    seed.set_defaults(run=cmd_seed, database=DatabaseUse.CREATES)

    commands.add_parser(
        "place-demo-sites",
        help="(demo) give demo sites without coordinates a point inside their commune",
    ).set_defaults(run=cmd_place_demo_sites, database=DatabaseUse.EXISTING)

    export = commands.add_parser("export-schema", help="write schema.graphql from the code")
    export.add_argument("--output", default=str(SCHEMA_PATH))
    export.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    export.set_defaults(run=cmd_export_schema)

    doc = commands.add_parser(
        "permissions-doc", help="write docs/permissions.md from the policy table"
    )
    doc.add_argument("--output", default=str(PERMISSIONS_DOC_PATH))
    doc.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    doc.set_defaults(run=cmd_permissions_doc)

    token = commands.add_parser(
        "token", help="(demo mode) print an access token of the development issuer"
    )
    token.add_argument("who", help="a user's e-mail address or a partner application's client id")
    token.add_argument("--hours", type=_positive, default=12, help="validity (12 hours)")
    token.set_defaults(run=cmd_token, database=DatabaseUse.EXISTING)

    app = commands.add_parser("app", help="register, list, enable or disable partner applications")
    actions = app.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="registered partner applications")
    register = actions.add_parser("register", help="register an OIDC client as a partner app")
    register.add_argument("client_id", help="the client id at the trusted OIDC provider")
    register.add_argument("--name", required=True, help="a name people recognise")
    register.add_argument("--organization", required=True, help="id or exact name")
    register.add_argument(
        "--role",
        required=True,
        choices=[role.value for role in Role if role not in ADMIN_ROLES],
    )
    register.add_argument(
        "--scope",
        dest="scopes",
        action="append",
        required=True,
        choices=sorted(HUB_SCOPES),
        help="a scope it may be granted (repeat for several)",
    )
    for action in ("enable", "disable"):
        actions.add_parser(action, help=f"{action} a partner application").add_argument("client_id")
    webhook_commands.add_commands(actions)
    app.set_defaults(run=cmd_app, database=DatabaseUse.EXISTING)

    webhooks = commands.add_parser(
        "webhooks", help="send webhook deliveries (when HUB_WEBHOOKS=off keeps hub serve from it)"
    )
    webhooks.set_defaults(run=cmd_webhooks, database=DatabaseUse.EXISTING)

    notify = commands.add_parser(
        "notify",
        help="send the e-mail notifications (when HUB_NOTIFY=off keeps hub serve from it)",
    )
    notify.add_argument(
        "--once", action="store_true", help="queue and send what is due now, then exit (cron)"
    )
    notify.set_defaults(run=cmd_notify, database=DatabaseUse.EXISTING)

    admin = commands.add_parser(
        "bootstrap-admin", help="create an active national administrator (first set-up)"
    )
    admin.add_argument("email", help="the verified e-mail address their provider asserts")
    admin.add_argument("--first-name", required=True)
    admin.add_argument("--last-name", required=True)
    admin.set_defaults(run=cmd_bootstrap_admin, database=DatabaseUse.EXISTING)

    make = commands.add_parser("makemigrations", help="(developers) write a migration")
    make.add_argument("--name")
    make.set_defaults(run=cmd_makemigrations, database=DatabaseUse.CREATES)
    return parser


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _database_source(environ: dict[str, str]) -> str:
    # An empty variable means the default, as in Settings.from_environ.
    if os.environ.get("HUB_DATABASE_URL"):
        return "HUB_DATABASE_URL"
    if environ.get("HUB_DATABASE_URL"):
        return str(SETTINGS_FILE)
    return "the default; `make demo` writes var/hub.env"


def _database_in_use(settings: Settings, environ: dict[str, str]) -> str:
    shown = database.without_password(settings.database_url)
    return f"Using {shown} (from {_database_source(environ)})"


def _announce_database(settings: Settings, environ: dict[str, str], use: DatabaseUse) -> bool:
    """Says which database the command uses (on stderr: stdout may be a token; the server
    says it in its log); False when it does not exist and the command would create it by
    mistake (a typo, another folder)."""
    if use is not DatabaseUse.SERVES:
        print(_database_in_use(settings, environ), file=sys.stderr)
    missing = database.sqlite_file(settings.database_url)
    if use is not DatabaseUse.EXISTING or missing is None or missing.exists():
        return True
    print(
        f"hub: {missing} does not exist, and this command does not create databases: "
        "run `make demo`, or `hub migrate` for a new one, or set HUB_DATABASE_URL "
        "(docs/operations.md#the-hub-command).",
        file=sys.stderr,
    )
    return False


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        environ = environ_with_file()
        settings = Settings.from_environ(environ)
    except SettingsError as error:
        print(f"hub: {error}", file=sys.stderr)
        return 2
    use: DatabaseUse | None = args.database
    if use is not None and not _announce_database(settings, environ, use):
        return 2
    return args.run(settings, args)


if __name__ == "__main__":
    sys.exit(main())
