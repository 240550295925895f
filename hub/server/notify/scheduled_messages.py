"""The e-mails of the calendar (``schedule.plan``): the weekly digest, the reminder of an
out-of-date site, and the reminder then deactivation of an unused account.

The digest and the reminder are read through GraphQL as their recipient, with their rights
when they are sent: the digest lists only the changes its recipient's ``activity`` lists,
with the names of the fields they may read; a reminder of a site they may no longer read is
not sent. A digest with nothing to tell is not sent either (``Skipped``): whether a week
holds something is decided here, per recipient, not when the digest is queued.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from strawberry.relay import to_base64

from hub.models import Email, User
from hub.models.enums import EventKind, LocationLevel, NotificationKind, UserStatus
from hub.server.notify.event_messages import ACTION_PATH, SITE_PATH
from hub.server.notify.links import unsubscribe_url
from hub.server.notify.messages import Message, Reader, Safe, render, render_block, renders
from hub.server.notify.schedule import DIGEST_EVENTS
from hub.server.outbox import Skipped
from hub.settings import Settings
from resolvers.notifications.inactivity import activations, episode, last_use

# Where a front-end served at HUB_PUBLIC_URL lists the activity (the rest of a long digest).
ACTIVITY_PATH = "/activity"
# Lines of each part of a digest; the rest is counted, with a link to the activity.
LINES_PER_GROUP = 10
# Pages of changes read at most per area for one digest: a week busier than that (or a
# digest sent weeks late) is told in part.
MAX_PAGES = 10
# A comment is quoted up to this many characters.
EXCERPT = 200
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip

AREAS_QUERY = "{ me { interventionAreas { level code } } }"
ACTIVITY_QUERY = """query DigestActivity(
  $since: DateTime!, $location: LocationInput, $kinds: [ActivityKind!], $first: Int,
  $after: String
) {
  activity(filter: {since: $since, location: $location, kinds: $kinds}, first: $first,
           after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id at kind changedFields
      site { id name commune { name } }
      action { id name departement { name } }
      comment { body }
    }
  }
}"""
SITE_QUERY = """query OutOfDateSite($id: ID!) {
  node(id: $id) {
    ... on Site {
      id name status updatedAt confirmedUnchangedAt
      commune { name }
      departement { name }
    }
  }
}"""
ACCOUNT_QUERY = "{ me { organization { name } } }"


def french_date(day: datetime.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _moment(value: str) -> datetime.datetime:
    # GraphQL and the outbox's rows write moments in ISO 8601, "Z" or an offset.
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


# The weekly digest.


@dataclass
class Group:
    """One part of a digest: its title and its lines (text, HTML), newest first."""

    title: str
    lines: list[tuple[str, Safe]] = field(default_factory=list)


@dataclass
class Digest:
    new_sites: Group = field(default_factory=lambda: Group("Nouveaux sites"))
    closures: Group = field(default_factory=lambda: Group("Sites fermés"))
    updates: Group = field(default_factory=lambda: Group("Mises à jour"))
    new_actions: Group = field(default_factory=lambda: Group("Nouvelles actions"))
    comments: Group = field(default_factory=lambda: Group("Commentaires"))

    @property
    def groups(self) -> tuple[Group, ...]:
        return (self.new_sites, self.closures, self.updates, self.new_actions, self.comments)


@renders(NotificationKind.WEEKLY_DIGEST)
async def weekly_digest(email: Email, reader: Reader) -> Message:
    user = await reader.user(email.user_id)
    start, end = _moment(email.about["start"]), _moment(email.about["end"])
    events = await _week_as_read(reader, user, start, end)
    digest = _digest(reader.settings, events)
    total = sum(len(group.lines) for group in digest.groups)
    if total == 0:
        raise Skipped
    link = f"{reader.settings.base_url}{ACTIVITY_PATH}"
    texts, markups = [], []
    for group in digest.groups:
        if group.lines:
            text, markup = _group_block(group, link)
            texts.append(text)
            markups.append(markup)
    last_day = (end - datetime.timedelta(days=1)).date()
    values = {
        "period": f"du {french_date(start.date())} au {french_date(last_day)}",
        "changes": f"{total} changement{'s' if total > 1 else ''}",
        "groups": "".join(texts),
        "groups_html": Safe("\n".join(markups)),
        "link": link,
    }
    return _optional(reader.settings, "weekly_digest", values, user.id, email.kind)


async def _week_as_read(
    reader: Reader, user: User, start: datetime.datetime, end: datetime.datetime
) -> list[dict[str, Any]]:
    """The changes of the week the recipient's ``activity`` lists in its areas, newest first
    (each once, should its areas overlap)."""
    areas = (await reader.read(user, AREAS_QUERY))["me"]["interventionAreas"]
    locations: list[dict[str, Any] | None] = [
        None if area["level"] == LocationLevel.NATION.name else area for area in areas
    ]
    # Nationwide, or without areas of its own (its rights alone bound what it reads).
    if not locations or None in locations:
        locations = [None]
    first = min(500, reader.settings.max_page_size)
    seen: dict[str, dict[str, Any]] = {}
    for location in locations:
        variables: dict[str, Any] = {
            "since": start.isoformat(),
            "location": location,
            "kinds": [kind.name for kind in DIGEST_EVENTS],
            "first": first,
            "after": None,
        }
        for _ in range(MAX_PAGES):
            page = (await reader.read(user, ACTIVITY_QUERY, variables))["activity"]
            for node in page["nodes"]:
                # The feed has no end bound: what came after the week is for the next one.
                if _moment(node["at"]) < end:
                    seen.setdefault(node["id"], node)
            if not page["pageInfo"]["hasNextPage"]:
                break
            variables["after"] = page["pageInfo"]["endCursor"]
    return sorted(seen.values(), key=lambda node: _moment(node["at"]), reverse=True)


_SITE_UPDATES = {
    EventKind.SITE_UPDATED.name,
    EventKind.SITE_REOPENED.name,
    EventKind.ACTOR_DECLARED.name,
    EventKind.ACTOR_UPDATED.name,
    EventKind.ACTOR_WITHDRAWN.name,
}
# A site's actors change as one field, whatever the entry's own fields.
_ACTORS = {
    EventKind.ACTOR_DECLARED.name,
    EventKind.ACTOR_UPDATED.name,
    EventKind.ACTOR_WITHDRAWN.name,
}


def _digest(settings: Settings, events: Iterable[dict[str, Any]]) -> Digest:
    """The week's changes in parts: a new or closed site once, the updates of a site or an
    action in one line with the names of the fields changed, each comment."""
    digest = Digest()
    new: set[str] = set()
    updated: dict[str, tuple[str, str, str, list[str]]] = {}
    for event in events:
        kind, site, action = event["kind"], event["site"], event["action"]
        if kind == EventKind.COMMENT_CREATED.name:
            _comment_line(settings, digest, event)
        elif site is not None and kind == EventKind.SITE_CREATED.name:
            new.add(site["id"])
            digest.new_sites.lines.append(_line(*_site(settings, site)))
        elif site is not None and kind == EventKind.SITE_CLOSED.name:
            digest.closures.lines.append(_line(*_site(settings, site)))
        elif site is not None and kind in _SITE_UPDATES:
            fields = ["actors"] if kind in _ACTORS else event["changedFields"]
            name, link = _site(settings, site)
            _note(updated, site["id"], name, link, fields)
        elif action is not None and kind == EventKind.ACTION_CREATED.name:
            new.add(action["id"])
            digest.new_actions.lines.append(_line(*_action(settings, action)))
        elif action is not None and kind == EventKind.ACTION_UPDATED.name:
            name, link = _action(settings, action)
            _note(updated, action["id"], name, link, event["changedFields"])
        # Anything else (a site or action no longer readable, or deleted) is left out.
    for key, (name, link, _, fields) in updated.items():
        # A site or an action new this week is listed as new: its changes add nothing.
        if key not in new:
            changed = f"champs modifiés : {', '.join(fields)}" if fields else ""
            digest.updates.lines.append(_line(name, link, changed))
    return digest


def _note(
    updated: dict[str, tuple[str, str, str, list[str]]],
    key: str,
    name: str,
    link: str,
    fields: list[str],
) -> None:
    """Adds the fields to the line of the site or action (the newest change comes first)."""
    _, _, _, known = updated.setdefault(key, (name, link, key, []))
    known.extend(f for f in fields if f not in known)


def _site(settings: Settings, site: dict[str, Any]) -> tuple[str, str]:
    commune = site["commune"]["name"]
    name = f"{site['name']} ({commune})" if site["name"] else f"Site sans nom ({commune})"
    return name, f"{settings.base_url}{SITE_PATH}{site['id']}"


def _action(settings: Settings, action: dict[str, Any]) -> tuple[str, str]:
    name = f"{action['name']} ({action['departement']['name']})"
    return name, f"{settings.base_url}{ACTION_PATH}{action['id']}"


def _comment_line(settings: Settings, digest: Digest, event: dict[str, Any]) -> None:
    comment, site, action = event["comment"], event["site"], event["action"]
    # A comment the recipient may no longer read (deleted, or its targets changed).
    if comment is None:
        return
    if site is not None:
        name, link = _site(settings, site)
    elif action is not None:
        name, link = _action(settings, action)
    else:
        return
    body = " ".join(comment["body"].split())
    excerpt = body if len(body) <= EXCERPT else body[: EXCERPT - 1].rstrip() + "…"
    digest.comments.lines.append(_line(name, link, f"« {excerpt} »"))


def _line(name: str, link: str, detail: str = "") -> tuple[str, Safe]:
    detail = f" — {detail}" if detail else ""
    return render_block("digest_line", {"name": name, "link": link, "detail": detail})


def _group_block(group: Group, link: str) -> tuple[str, Safe]:
    shown = group.lines[:LINES_PER_GROUP]
    rest = len(group.lines) - len(shown)
    more_text, more_html = (
        render_block("digest_more", {"count": rest, "link": link}) if rest else ("", Safe(""))
    )
    # The text template takes $lines, the HTML one $lines_html.
    values = {
        "title": f"{group.title} ({len(group.lines)})",
        "lines": "".join(text for text, _ in shown) + more_text,
        "lines_html": Safe("".join(markup for _, markup in shown) + more_html),
    }
    return render_block("digest_group", values)


# The reminder of an out-of-date site.


@renders(NotificationKind.SITE_OUT_OF_DATE)
async def site_out_of_date(email: Email, reader: Reader) -> Message:
    user = await reader.user(email.user_id)
    site_id = to_base64("Site", email.about["site"])
    site = (await reader.read(user, SITE_QUERY, {"id": site_id}))["node"]
    # Not readable (any more), closed, or updated or confirmed since: nothing to remind.
    if not site or site["status"] != "OPEN":
        raise Skipped
    latest = max(_moment(m) for m in (site["updatedAt"], site["confirmedUnchangedAt"]) if m)
    if latest > _moment(email.about["since"]):
        raise Skipped
    _, link = _site(reader.settings, site)
    values = {
        "site": site["name"] or "sans nom",
        "commune": site["commune"]["name"],
        "departement": site["departement"]["name"],
        "since": french_date(latest.date()),
        "link": link,
    }
    return _optional(reader.settings, "site_out_of_date", values, user.id, email.kind)


# Unused accounts.


@renders(NotificationKind.ACCOUNT_INACTIVE)
async def account_inactive(email: Email, reader: Reader) -> Message:
    user = await reader.user(email.user_id)
    # Used or reactivated since the reminder was queued: it no longer applies.
    activated = (await activations(User.filter(id=user.id))).get(user.id)
    if episode(last_use(user, activated)) != email.about["last_used"]:
        raise Skipped
    organization = (await reader.read(user, ACCOUNT_QUERY))["me"]["organization"]
    values = {
        "first_name": user.first_name,
        "email": user.email,
        "organization": organization["name"] if organization else "",
        "last_used": french_date(datetime.date.fromisoformat(email.about["last_used"])),
        "deactivation": french_date(datetime.date.fromisoformat(email.about["deactivation"])),
        "link": reader.settings.base_url,
    }
    return render("account_inactive", values)


@renders(NotificationKind.ACCOUNT_DEACTIVATED)
async def account_deactivated(email: Email, reader: Reader) -> Message:
    # Its holder can no longer read anything: the message is written from the account.
    user = await User.get_or_none(id=email.user_id) if email.user_id is not None else None
    # Reactivated since: the message no longer applies.
    if user is None or user.status is not UserStatus.INACTIVE:
        raise Skipped
    values = {
        "first_name": user.first_name,
        "email": user.email,
        "last_used": french_date(datetime.date.fromisoformat(email.about["last_used"])),
        "link": reader.settings.base_url,
    }
    return render("account_deactivated", values)


def _optional(
    settings: Settings, name: str, values: dict[str, Any], user_id: int, kind: NotificationKind
) -> Message:
    """A message of a kind its recipient may turn off: with the link that does it."""
    link = unsubscribe_url(settings, user_id, kind)
    return render(name, {**values, "unsubscribe": link}, unsubscribe_url=link)
