"""Running the e-mail notifications: the calendar's e-mails queued each minute
(``schedule.plan``) and the outbox sent (``Mailer``), in ``hub serve`` (``HUB_NOTIFY=on``),
in a ``hub notify`` process of its own, or once with ``hub notify --once`` (cron)."""

from __future__ import annotations

import asyncio
import datetime
import logging

from strawberry.schema import BaseSchema

from hub.live.bus import BUS, Bus
from hub.models import Email
from hub.models.enums import DeliveryStatus
from hub.server.notify import schedule
from hub.server.notify.mailer import Mailer
from hub.server.observability.metrics import Metrics
from hub.settings import Settings

log = logging.getLogger(__name__)

# The calendar's e-mails are due by the day or the week: a minute is soon enough.
PLAN_SECONDS = 60


async def plan_forever(settings: Settings) -> None:
    while True:
        try:
            await schedule.plan(settings, datetime.datetime.now(datetime.UTC))
        except Exception:
            # The database is down, or a bug: logged, and tried again at the next minute.
            log.exception("Planning the scheduled e-mails failed; trying again.")
        await asyncio.sleep(PLAN_SECONDS)


async def send_notifications(
    settings: Settings, schema: BaseSchema, metrics: Metrics, bus: Bus = BUS
) -> None:
    """Plans each minute and sends what is due, until cancelled."""
    planner = asyncio.create_task(plan_forever(settings))
    try:
        await Mailer(settings, schema, metrics, bus).run()
    finally:
        planner.cancel()
        await asyncio.gather(planner, return_exceptions=True)


async def notify_forever(settings: Settings) -> None:
    """``hub notify``: woken by the event stream on PostgreSQL (a new request for access or
    comment is sent at once), else looking for due e-mails every second."""
    from hub.server.live import listen
    from schema.build import build_schema

    log.info("Sending e-mail notifications; Ctrl-C stops.")
    listener = await listen(settings.database_url)
    try:
        # Its metrics are not served: the outbox's rows tell what was sent.
        await send_notifications(settings, build_schema(settings.limits), Metrics())
    finally:
        if listener is not None:
            await listener.stop()


async def notify_once(settings: Settings) -> str:
    """``hub notify --once``: plans, sends every e-mail due now, and says what it did."""
    from schema.build import build_schema

    planned = await schedule.plan(settings, datetime.datetime.now(datetime.UTC))
    mailer = Mailer(settings, build_schema(settings.limits), Metrics())
    async with mailer.session():
        while await mailer.send_due():
            pass
    waiting = await Email.filter(status=DeliveryStatus.PENDING).count()
    if mailer.relay is None:
        return (
            f"{planned} e-mail(s) queued; none sent: HUB_SMTP_URL is not set ({waiting} waiting)."
        )
    done = mailer.outcomes
    return (
        f"{planned} e-mail(s) queued; {done['delivered']} sent, {done['skipped']} skipped, "
        f"{done['failed']} failed (to be retried), {done['given_up']} given up; "
        f"{waiting} waiting."
    )
