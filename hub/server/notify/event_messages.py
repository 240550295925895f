"""The e-mails a change calls for (``resolvers.notifications.events``): a request for access
to those who may decide on it, the decision to the person who asked, a targeted comment to
its targets.

The decider and the target read what the message is about through GraphQL, with their
rights when it is sent: a request they may not decide on, a comment they may no longer read,
is not sent (``Skipped``), and a field they may not read (an author's name) is left out. The
person who asked has no account yet: the message about their own request is written from
the request itself, and says nothing they did not write or were not told.
"""

from __future__ import annotations

from typing import Any

from strawberry.relay import to_base64

from hub.labels import LOCATION_LEVEL, ORGANIZATION_TYPE, ROLE
from hub.models import AccessRequest, Email, Organization
from hub.models.enums import (
    AccessRequestStatus,
    LocationLevel,
    NotificationKind,
    OrganizationType,
    Role,
)
from hub.server.notify.links import unsubscribe_url
from hub.server.notify.messages import Message, Reader, render, renders
from hub.server.outbox import Skipped
from hub.settings import Settings

REQUEST_QUERY = """query AccessRequestMail($id: ID!) {
  node(id: $id) {
    ... on AccessRequest {
      status firstName lastName email position reason role
      organization { name } organizationName organizationType
      location { level code }
    }
  }
}"""
TERRITORY_QUERY = """query TerritoryName($level: LocationLevel!, $code: String) {
  territory(level: $level, code: $code) { name }
}"""
COMMENT_QUERY = """query TargetedCommentMail($id: ID!) {
  node(id: $id) {
    ... on Comment {
      body
      author { firstName lastName organization { name } }
      site { id name commune { name } }
      action { id name }
    }
  }
}"""
# Where a front-end served at HUB_PUBLIC_URL shows a site or an action, by its global id.
SITE_PATH = "/sites/"
ACTION_PATH = "/actions/"
# Shown in place of what the request left out.
NOT_GIVEN = "non précisé"


@renders(NotificationKind.ACCESS_REQUESTED)
async def access_requested(email: Email, reader: Reader) -> Message:
    user = await reader.user(email.user_id)
    request_id = to_base64("AccessRequest", email.about["access_request"])
    request = (await reader.read(user, REQUEST_QUERY, {"id": request_id}))["node"]
    # A request this decider may not decide on, or already decided: nothing to ask of them.
    if not request or request["status"] != AccessRequestStatus.PENDING.name:
        raise Skipped
    values = {
        "requester": f"{request['firstName']} {request['lastName']}",
        "email": request["email"],
        "position": request["position"] or NOT_GIVEN,
        "organization": _organization(request),
        "organization_name": (request["organization"] or {}).get("name")
        or request["organizationName"],
        "territory": await _territory(reader, user, request["location"]),
        "role": ROLE[Role[request["role"]]] if request["role"] else "au choix de qui décide",
        "reason": request["reason"],
        "link": reader.settings.base_url,
    }
    kind = NotificationKind.ACCESS_REQUESTED
    return _optional(reader.settings, "access_requested", values, user.id, kind)


def _organization(request: dict[str, Any]) -> str:
    if request["organization"]:
        return str(request["organization"]["name"])
    kind = request["organizationType"]
    label = ORGANIZATION_TYPE[OrganizationType[kind]] if kind else NOT_GIVEN
    return f"{request['organizationName']} (nouvelle structure : {label})"


async def _territory(reader: Reader, user: Any, location: dict[str, Any]) -> str:
    level = LocationLevel[location["level"]]
    if level is LocationLevel.NATION:
        return LOCATION_LEVEL[level]
    variables = {"level": location["level"], "code": location["code"]}
    found = (await reader.read(user, TERRITORY_QUERY, variables))["territory"]
    name = found["name"] if found else location["code"]
    return f"{name} ({LOCATION_LEVEL[level].lower()})"


@renders(NotificationKind.ACCESS_APPROVED)
async def access_approved(email: Email, reader: Reader) -> Message:
    request = await _decided(email, AccessRequestStatus.APPROVED)
    organization = (
        await Organization.get_or_none(id=request.organization_id)
        if request.organization_id is not None
        else None
    )
    values = {
        "first_name": request.first_name,
        "email": request.email,
        "role": ROLE[request.role] if request.role else NOT_GIVEN,
        "organization": organization.name if organization else request.organization_name,
        "link": reader.settings.base_url,
    }
    return render("access_approved", values)


@renders(NotificationKind.ACCESS_REFUSED)
async def access_refused(email: Email, reader: Reader) -> Message:
    request = await _decided(email, AccessRequestStatus.REFUSED)
    values = {
        "first_name": request.first_name,
        "reason": request.decision_reason or NOT_GIVEN,
        "link": reader.settings.base_url,
    }
    return render("access_refused", values)


async def _decided(email: Email, status: AccessRequestStatus) -> AccessRequest:
    """The request the message answers, read as a row: its requester is who the data is
    about, and has no account to read it with."""
    request = await AccessRequest.get_or_none(id=email.about["access_request"])
    if request is None or request.status is not status:
        raise Skipped
    return request


@renders(NotificationKind.COMMENT_TARGETED)
async def comment_targeted(email: Email, reader: Reader) -> Message:
    user = await reader.user(email.user_id)
    comment_id = to_base64("Comment", email.about["comment"])
    comment = (await reader.read(user, COMMENT_QUERY, {"id": comment_id}))["node"]
    if not comment:
        raise Skipped
    place, link = _place(reader.settings, comment)
    values = {
        "author": _author(comment["author"]),
        "place": place,
        "body": comment["body"],
        "link": link,
    }
    kind = NotificationKind.COMMENT_TARGETED
    return _optional(reader.settings, "comment_targeted", values, user.id, kind)


def _author(author: dict[str, Any] | None) -> str:
    if author is None:
        return "Une personne"
    organization = author["organization"]["name"]
    # Names are personal data: null unless the recipient may read them (user.read).
    if author["firstName"] and author["lastName"]:
        return f"{author['firstName']} {author['lastName']} ({organization})"
    return f"Un membre de {organization}"


def _place(settings: Settings, comment: dict[str, Any]) -> tuple[str, str]:
    """What the comment is about, in words, and its link."""
    site, action = comment["site"], comment["action"]
    if site is not None:
        name = site["name"] or f"un site sans nom à {site['commune']['name']}"
        place = f"le site « {name} »" if site["name"] else name
        return place, f"{settings.base_url}{SITE_PATH}{site['id']}"
    if action is not None:
        return f"l'action « {action['name']} »", f"{settings.base_url}{ACTION_PATH}{action['id']}"
    # Neither readable now (the recipient may read the comment, not what it is about).
    raise Skipped


def _optional(
    settings: Settings, name: str, values: dict[str, Any], user_id: int, kind: NotificationKind
) -> Message:
    """A message of a kind its recipient may turn off: with the link that does it."""
    link = unsubscribe_url(settings, user_id, kind)
    return render(name, {**values, "unsubscribe": link}, unsubscribe_url=link)
