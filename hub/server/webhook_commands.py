"""``hub app webhook …`` (register, list, remove, resume, show deliveries) and ``hub
webhooks`` (send deliveries in a process of its own, when ``HUB_WEBHOOKS=off`` keeps
``hub serve`` from sending them)."""

from __future__ import annotations

import argparse
import logging
import sys

from hub.models import Webhook, WebhookDelivery
from hub.models.enums import DeliveryStatus, EventKind
from hub.settings import Environment, Settings
from resolvers.webhooks import registry
from resolvers.writes import Refused

KINDS = sorted(kind.value for kind in EventKind)


def add_commands(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``webhook …`` under ``hub app``."""
    webhook = actions.add_parser("webhook", help="a partner application's webhooks")
    verbs = webhook.add_subparsers(dest="verb", required=True)
    add = verbs.add_parser("add", help="send an application the events of some kinds")
    add.add_argument("client_id")
    add.add_argument("--url", required=True, help="https:// (http:// outside production)")
    add.add_argument(
        "--kind", dest="kinds", action="append", required=True, choices=KINDS, metavar="KIND",
        help=f"an event kind (repeat for several): {', '.join(KINDS)}",
    )  # fmt: skip
    verbs.add_parser("list", help="every webhook").add_argument("client_id", nargs="?")
    for verb, what in (("remove", "stop sending, drop its deliveries"), ("resume", "unpause")):
        verbs.add_parser(verb, help=what).add_argument("id", type=int)
    deliveries = verbs.add_parser("deliveries", help="a webhook's latest deliveries")
    deliveries.add_argument("id", type=int)
    deliveries.add_argument("--status", choices=[status.value for status in DeliveryStatus])


async def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        await _VERBS[args.verb](settings, args)
    except Refused as refused:
        for error in refused.errors:
            print(f"hub: {error.message}", file=sys.stderr)
        return 1
    return 0


async def _add(settings: Settings, args: argparse.Namespace) -> None:
    app = await registry.application_named(args.client_id)
    plain_http = settings.environment is not Environment.PRODUCTION
    webhook, secret = await registry.register(app, args.url, args.kinds, plain_http)
    kinds = ", ".join(webhook.kinds)
    print(f"Webhook {webhook.id}: {app.client_id} receives {kinds} at {webhook.url}.")
    print(f"Its signing secret, shown this once: {secret}")


async def _list(_: Settings, args: argparse.Namespace) -> None:
    hooks = Webhook.all().order_by("id").select_related("application")
    if args.client_id:
        hooks = hooks.filter(application__client_id=args.client_id)
    for hook in await hooks:
        pending = await WebhookDelivery.filter(
            webhook_id=hook.id, status=DeliveryStatus.PENDING
        ).count()
        failed = await WebhookDelivery.filter(
            webhook_id=hook.id, status=DeliveryStatus.FAILED
        ).count()
        state = f"paused since {hook.paused_at:%Y-%m-%d %H:%M} UTC" if hook.paused_at else "active"
        print(f"{hook.id}\t{hook.application.client_id}\t{hook.url}\t{','.join(hook.kinds)}\t"
              f"{state}\t{pending} pending\t{failed} failed")  # fmt: skip


async def _remove(_: Settings, args: argparse.Namespace) -> None:
    webhook = await registry.find(args.id)
    await webhook.delete()
    print(f"Webhook {args.id} removed.")


async def _resume(_: Settings, args: argparse.Namespace) -> None:
    await registry.resume(await registry.find(args.id))
    print(f"Webhook {args.id} resumed: its waiting deliveries are sent now.")


async def _deliveries(_: Settings, args: argparse.Namespace) -> None:
    await registry.find(args.id)
    shown = WebhookDelivery.filter(webhook_id=args.id).order_by("-id").limit(20)
    if args.status:
        shown = shown.filter(status=args.status)
    for delivery in await shown:
        print(f"whd_{delivery.id}\tevent {delivery.event_id}\t{delivery.status.value}\t"
              f"{delivery.attempts} attempt(s)\t{delivery.last_error or ''}")  # fmt: skip


_VERBS = {
    "add": _add,
    "list": _list,
    "remove": _remove,
    "resume": _resume,
    "deliveries": _deliveries,
}


async def deliver_forever(settings: Settings) -> None:
    """``hub webhooks``: the deliverer alone, woken by the event stream on PostgreSQL."""
    from hub.server.live import listen
    from hub.server.observability.metrics import Metrics
    from hub.server.webhooks import Deliverer
    from schema.build import build_schema

    logging.getLogger(__name__).info("Sending webhook deliveries; Ctrl-C stops.")
    listener = await listen(settings.database_url)
    try:
        # Its metrics are not served: the deliveries show in `hub app webhook list`.
        await Deliverer(settings, build_schema(settings.limits), Metrics()).run()
    finally:
        if listener is not None:
            await listener.stop()
