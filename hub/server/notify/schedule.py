"""The e-mails the calendar calls for, queued when due: the weekly digest, the reminders of
out-of-date sites, and the reminder then deactivation of unused accounts.

``plan`` runs every minute (``hub.server.notify.commands``), on several nodes at once if
need be: each e-mail has a key naming its cause and its recipient (``outbox.queue``), so a
run repeated, or two at once, queue nothing twice. A run costs a few statements whatever the
number of users and sites: the recipients are read in bulk, with what was already queued;
only new causes insert rows (one statement per site, per day of last use, per digest week)
and each deactivation is its own audited write.

- **Digest**: due each Monday from ``DIGEST_DELAY`` past midnight (UTC), about the week
  before, to every active account that did not turn it off. Whether the week holds anything
  for a recipient is decided when the digest is written (``scheduled_messages``), with the
  recipient's rights at that moment: deciding it here would read the week once per user in
  this loop, and could still be wrong by the time it is sent. Here, a week without any event
  at all queues nothing.
- **Out-of-date reminder**: an open site neither updated nor confirmed unchanged for
  ``HUB_OUT_OF_DATE_REMINDER_DAYS`` days, to its actors and its département's
  correspondents; once per staleness episode (the key names the day of its last update or
  confirmation), again only once it was updated and went stale again.
- **Unused accounts**: an active account unused for ``HUB_INACTIVITY_DAYS`` days (since its
  creation if never used, or its reactivation if later) is reminded; still unused
  ``HUB_INACTIVITY_GRACE_DAYS`` days after its reminder was queued, it is deactivated
  (``resolvers.notifications.inactivity``), except the last active national administrator.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q, Subquery

from hub.models import Email, Event, InterventionArea, Site, SiteActor, User
from hub.models.enums import (
    EventKind,
    LocationLevel,
    NotificationKind,
    Role,
    SiteStatus,
    UserStatus,
)
from hub.settings import Settings
from resolvers.notifications import inactivity
from resolvers.notifications.outbox import Recipient, queue
from resolvers.sites.filters import stale_q

# The digest of a week is sent on the Monday after it, from this time (UTC): a morning read.
DIGEST_DELAY = datetime.timedelta(hours=6)
# The changes a digest tells (``scheduled_messages`` groups them).
DIGEST_EVENTS = (
    EventKind.SITE_CREATED,
    EventKind.SITE_CLOSED,
    EventKind.SITE_UPDATED,
    EventKind.SITE_REOPENED,
    EventKind.ACTOR_DECLARED,
    EventKind.ACTOR_UPDATED,
    EventKind.ACTOR_WITHDRAWN,
    EventKind.ACTION_CREATED,
    EventKind.ACTION_UPDATED,
    EventKind.COMMENT_CREATED,
)
# Keys looked up per statement: well within the parameters a statement may have (32,766 on
# SQLite since 3.32, 32,767 with asyncpg).
CHUNK = 5000


@dataclass(frozen=True)
class Week:
    """The week a digest is about: ``start`` included, ``end`` excluded (Mondays, UTC)."""

    start: datetime.datetime
    end: datetime.datetime

    @property
    def label(self) -> str:
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"


def digest_week(now: datetime.datetime) -> Week:
    """The last week whose digest is due at ``now``."""
    shifted = (now - DIGEST_DELAY).astimezone(datetime.UTC)
    monday = shifted.date() - datetime.timedelta(days=shifted.weekday())
    end = datetime.datetime.combine(monday, datetime.time.min, tzinfo=datetime.UTC)
    return Week(end - datetime.timedelta(days=7), end)


async def plan(settings: Settings, now: datetime.datetime) -> int:
    """Queues the e-mails due at ``now`` (idempotent: a run repeated at once queues nothing
    more); how many were queued."""
    queued = await _digests(now)
    if settings.out_of_date_reminder_days > 0:
        queued += await _out_of_date(now, settings.out_of_date_reminder_days)
    if settings.inactivity_days > 0:
        queued += await _unused_accounts(settings, now)
    return queued


def _wanting(kind: NotificationKind, off: list[str] | None) -> bool:
    return kind.value not in (off or [])


async def _digests(now: datetime.datetime) -> int:
    kind = NotificationKind.WEEKLY_DIGEST
    week = digest_week(now)
    if not await Event.filter(at__gte=week.start, at__lt=week.end, kind__in=DIGEST_EVENTS).exists():
        return 0
    already = Email.filter(
        kind=kind, key__startswith=f"{kind.value}:{week.label}:", user_id__isnull=False
    ).values("user_id")
    # Accounts created after the week get the next one.
    rows = (
        await User.filter(status=UserStatus.ACTIVE, organization__active=True)
        .filter(created_at__lt=week.end)
        .exclude(id__in=Subquery(already))
        .values_list("id", "email", "notifications_off")
    )
    recipients = [Recipient(email, id_) for id_, email, off in sorted(rows) if _wanting(kind, off)]
    if not recipients:
        return 0
    about = {"start": week.start.isoformat(), "end": week.end.isoformat(), "week": week.label}
    return await queue(kind, week.label, recipients, now, about=about)


async def _out_of_date(now: datetime.datetime, days: int) -> int:
    kind = NotificationKind.SITE_OUT_OF_DATE
    stale = Site.filter(stale_q(now.date() - datetime.timedelta(days=days)), status=SiteStatus.OPEN)
    sites = await stale.values(
        "id", "departement_code", "region_code", "updated_at", "confirmed_unchanged_at"
    )
    if not sites:
        return 0
    stale_ids = Subquery(stale.values("id"))
    actors = await SiteActor.filter(site_id__in=stale_ids).values(
        "site_id", "organization_id", "user_id"
    )
    # The people an actor row names: its user, or every member of an organization acting
    # without naming one.
    named = SiteActor.filter(site_id__in=stale_ids, user_id__isnull=False).values("user_id")
    whole = SiteActor.filter(site_id__in=stale_ids, user_id__isnull=True).values("organization_id")
    people = await (
        User.filter(status=UserStatus.ACTIVE, organization__active=True)
        .filter(
            Q(id__in=Subquery(named))
            | Q(organization_id__in=Subquery(whole))
            | Q(role=Role.CORRESPONDENT)
        )
        .values("id", "email", "organization_id", "role", "notifications_off")
    )
    wanting = {p["id"]: p for p in people if _wanting(kind, p["notifications_off"])}
    members: dict[int, list[int]] = defaultdict(list)
    for person in wanting.values():
        members[person["organization_id"]].append(person["id"])
    areas = await _correspondents_areas([p for p in wanting.values() if _correspondent(p)])
    by_site: dict[int, set[int]] = defaultdict(set)
    for actor in actors:
        if actor["user_id"] is not None:
            if actor["user_id"] in wanting:
                by_site[actor["site_id"]].add(actor["user_id"])
        else:
            by_site[actor["site_id"]].update(members.get(actor["organization_id"], ()))
    planned: list[tuple[str, dict[str, Any], list[Recipient]]] = []
    for site in sites:
        holders = {user for user, held in areas.items() if _holds(held, site)}
        users = sorted(by_site[site["id"]] | holders)
        latest = max(filter(None, (site["updated_at"], site["confirmed_unchanged_at"])))
        about_key = f"s{site['id']}@{latest.date().isoformat()}"
        about = {"site": site["id"], "since": latest.isoformat()}
        planned.append((about_key, about, [Recipient(wanting[u]["email"], u) for u in users]))
    return await _queue_new(kind, planned, now)


def _correspondent(person: dict[str, Any]) -> bool:
    return bool(person["role"] == Role.CORRESPONDENT)


async def _correspondents_areas(
    correspondents: list[dict[str, Any]],
) -> dict[int, list[tuple[LocationLevel, str | None]]]:
    """Each correspondent's areas: its own, else its organization's (as its rights)."""
    if not correspondents:
        return {}
    active = User.filter(
        role=Role.CORRESPONDENT, status=UserStatus.ACTIVE, organization__active=True
    )
    rows = await InterventionArea.filter(
        Q(user_id__in=Subquery(active.values("id")))
        | Q(organization_id__in=Subquery(active.values("organization_id")))
    ).values("user_id", "organization_id", "level", "code")
    own: dict[int, list[tuple[LocationLevel, str | None]]] = defaultdict(list)
    shared: dict[int, list[tuple[LocationLevel, str | None]]] = defaultdict(list)
    for row in rows:
        area = (LocationLevel(row["level"]), row["code"])
        if row["user_id"] is not None:
            own[row["user_id"]].append(area)
        else:
            shared[row["organization_id"]].append(area)
    return {
        person["id"]: own.get(person["id"]) or shared.get(person["organization_id"], [])
        for person in correspondents
    }


def _holds(areas: Iterable[tuple[LocationLevel, str | None]], site: dict[str, Any]) -> bool:
    """Whether one of the areas holds the site's whole département."""
    return any(
        level is LocationLevel.NATION
        or (level is LocationLevel.REGION and code == site["region_code"])
        or (level is LocationLevel.DEPARTEMENT and code == site["departement_code"])
        for level, code in areas
    )


async def _queue_new(
    kind: NotificationKind,
    planned: list[tuple[str, dict[str, Any], list[Recipient]]],
    now: datetime.datetime,
) -> int:
    """Queues the e-mails of ``planned`` (about key, about, recipients) not queued yet: the
    keys already there are read in bulk, so that a run with nothing new inserts nothing."""
    keys = [
        _key(kind, about_key, recipient)
        for about_key, _, recipients in planned
        for recipient in recipients
    ]
    existing: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        existing.update(await Email.filter(key__in=chunk).values_list("key", flat=True))  # type: ignore[arg-type]
    queued = 0
    for about_key, about, recipients in planned:
        new = [r for r in recipients if _key(kind, about_key, r) not in existing]
        if new:
            queued += await queue(kind, about_key, new, now, about=about)
    return queued


def _key(kind: NotificationKind, about_key: str, recipient: Recipient) -> str:
    # As ``outbox.queue`` writes it.
    return f"{kind.value}:{about_key}:{recipient.key}"


async def _unused_accounts(settings: Settings, now: datetime.datetime) -> int:
    unused_before = now - datetime.timedelta(days=settings.inactivity_days)
    grace = datetime.timedelta(days=settings.inactivity_grace_days)
    unused = User.filter(
        inactivity.unused_q(unused_before),
        status=UserStatus.ACTIVE,
        organization__active=True,
    )
    users = await unused.order_by("id")
    if not users:
        return 0
    activated = await inactivity.activations(unused)
    reminded = dict(
        await Email.filter(
            kind=NotificationKind.ACCOUNT_INACTIVE, user_id__in=Subquery(unused.values("id"))
        ).values_list("key", "created_at")
    )
    reminders: dict[str, list[Recipient]] = defaultdict(list)
    due: list[tuple[User, datetime.datetime]] = []
    for user in users:
        used = inactivity.last_use(user, activated.get(user.id))
        # Reactivated since the cutoff: unused only from then on.
        if used >= unused_before:
            continue
        recipient = Recipient(user.email, user.id)
        about_key = inactivity.episode(used)
        sent = reminded.get(_key(NotificationKind.ACCOUNT_INACTIVE, about_key, recipient))
        if sent is None:
            reminders[about_key].append(recipient)
        elif sent <= now - grace:
            due.append((user, used))
    queued = 0
    # The accounts last used the same day share one statement.
    for about_key, recipients in sorted(reminders.items()):
        about = {"last_used": about_key, "deactivation": (now + grace).date().isoformat()}
        queued += await queue(
            NotificationKind.ACCOUNT_INACTIVE, about_key, recipients, now, about=about
        )
    for user, used in await _keeping_an_admin(due):
        if await inactivity.deactivate_unused(settings, user.id, unused_before, used, now):
            queued += 1
    return queued


async def _keeping_an_admin(
    due: list[tuple[User, datetime.datetime]],
) -> list[tuple[User, datetime.datetime]]:
    """``due`` without the last active national administrator, if it would deactivate them
    all: the most recently used one stays (the write checks it again, under lock)."""
    admins = [(user, used) for user, used in due if user.role is Role.NATIONAL_ADMIN]
    if not admins:
        return due
    active = await User.filter(role=Role.NATIONAL_ADMIN, status=UserStatus.ACTIVE).count()
    if len(admins) < active:
        return due
    kept, _ = max(admins, key=lambda pair: (pair[1], pair[0].id))
    return [(user, used) for user, used in due if user is not kept]
