"""The activity feed (``activity``, and ``node`` of an ``Activity``) through HTTP with real
tokens: every committed mutation adds one event, listed newest first to whoever may see it
(row scope ``permissions.rows.events_q``), with gated column names left out of
``changedFields``; filters, pages, and no event for a refused write.

The module has a demo database of its own to change. The demo data writes no event, so the
events listed are those of this module's mutations; each test still checks only the events
its own mutations added (found by id), so that the tests hold in any order or alone.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from strawberry.relay import to_base64

from hub.demo.reference import PERSONA_DOMAIN
from hub.models import AuditEntry, Event, Site, User
from hub.models.enums import HistorySubject, SiteStatus
from permissions.fields import GATED_COLUMNS
from tests.support import Hub, error_codes

ACTIVITY_FIELDS = """id at kind changedFields author { id } site { id name } action { id }
  comment { id } user { id }"""
ACTIVITY = f"""query ($filter: ActivityFilter, $first: Int, $after: String) {{
  activity(filter: $filter, first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ {ACTIVITY_FIELDS} }} }} }}"""
NODE = f"""query ($id: ID!) {{
  node(id: $id) {{ __typename ... on Activity {{ {ACTIVITY_FIELDS} }} }} }}"""
UPDATE_SITE = """mutation ($id: ID!, $version: Int!, $input: UpdateSiteInput!) {
  updateSite(id: $id, version: $version, input: $input) {
    site { id version } errors { field code } } }"""
CREATE_COMMENT = """mutation ($input: CreateCommentInput!) {
  createComment(input: $input) { comment { id targeted } errors { field code } } }"""
INVITE = """mutation ($input: InviteUserInput!) {
  inviteUser(input: $input) { user { id } errors { field code } } }"""
SITE_GATED = GATED_COLUMNS[HistorySubject.SITE]
TOULOUSE = "31555"


def gid(type_name: str, key: int) -> str:
    return to_base64(type_name, key)


async def persona(local_part: str) -> User:
    return await User.get(email=f"{local_part}@{PERSONA_DOMAIN}")


async def user_gid(local_part: str) -> str:
    return gid("User", (await persona(local_part)).id)


async def site_of(*, commune: str | None = None, not_commune: str | None = None) -> Site:
    """The first open site of Haute-Garonne (in a commune, or out of it), read afresh."""
    query = Site.filter(departement_code="31", status=SiteStatus.OPEN)
    if commune is not None:
        query = query.filter(commune_scope_code=commune)
    if not_commune is not None:
        query = query.exclude(commune_scope_code=not_commune)
    site = await query.order_by("id").first()
    assert site is not None
    return site


async def last_event() -> Event:
    event = await Event.all().order_by("-id").first()
    assert event is not None
    return event


async def update_site(hub: Hub, who: str, site: Site, change: dict[str, Any]) -> Event:
    """Applies ``change`` to the site as ``who`` (at its current version) and returns the
    event the write added."""
    current = await Site.get(id=site.id)
    variables = {"id": gid("Site", site.id), "version": current.version, "input": change}
    payload = await hub.call(who, UPDATE_SITE, variables)
    assert payload["errors"] == [], payload
    return await last_event()


async def rename(hub: Hub, who: str, site: Site, name: str) -> Event:
    return await update_site(hub, who, site, {"identity": {"name": name}})


async def comment_on(hub: Hub, who: str, site: Site, **extra: Any) -> tuple[str, Event]:
    """A comment written by ``who`` on the site: its id and the event the write added."""
    data = {"siteId": gid("Site", site.id), "body": "Passage ce matin."} | extra
    payload = await hub.call(who, CREATE_COMMENT, {"input": data})
    assert payload["errors"] == [], payload
    return payload["comment"]["id"], await last_event()


async def activity(
    hub: Hub,
    who: str | None,
    activity_filter: dict[str, Any] | None = None,
    first: int | None = None,
    after: str | None = None,
) -> dict[str, Any]:
    """The caller's ``activity`` connection; the request must succeed without errors."""
    variables = {"filter": activity_filter, "first": first, "after": after}
    body = await hub.ask(who, ACTIVITY, variables)
    assert "errors" not in body, body
    connection: dict[str, Any] = body["data"]["activity"]
    return connection


async def top(hub: Hub, who: str) -> dict[str, Any]:
    """The newest activity the caller sees."""
    (node,) = (await activity(hub, who, first=1))["nodes"]
    result: dict[str, Any] = node
    return result


def ids(connection: dict[str, Any]) -> list[str]:
    return [node["id"] for node in connection["nodes"]]


async def test_a_site_update_is_listed_first_to_who_may_read_the_site(hub: Hub) -> None:
    site = await site_of()
    event = await rename(hub, "correspondent", site, "Terrain des Sept Deniers")
    expected = {
        "id": gid("Activity", event.id),
        "kind": "SITE_UPDATED",
        "changedFields": ["name"],
        "author": {"id": await user_gid("correspondent")},
        "site": {"id": gid("Site", site.id), "name": "Terrain des Sept Deniers"},
        "action": None,
        "comment": None,
        "user": None,
    }
    # Both read the site: the national admin everywhere, the operator in its département.
    for reader in ("national_admin", "operator"):
        newest = await top(hub, reader)
        assert {k: v for k, v in newest.items() if k != "at"} == expected, reader
        # The moment is the write's, in UTC (the database may not keep a time zone).
        at = datetime.datetime.fromisoformat(newest["at"])
        assert at == event.at and at.utcoffset() == datetime.timedelta(0)

    # The observer reads Gironde only: the change is neither listed nor counted.
    observer = await activity(hub, "external_observer", first=100)
    assert expected["id"] not in ids(observer)
    assert observer["totalCount"] == len(observer["nodes"])
    # An anonymous caller reads no site: an empty list (like `sites`), not an error.
    anonymous = await activity(hub, None)
    assert anonymous["nodes"] == [] and anonymous["totalCount"] == 0


async def test_a_targeted_comment_is_listed_to_its_author_and_targets_only(hub: Hub) -> None:
    site = await site_of()
    target = await user_gid("operator")
    comment, event = await comment_on(
        hub, "correspondent", site, body="Pour l'opératrice seulement.", targetUsers=[target]
    )
    activity_id = gid("Activity", event.id)

    # Its author, its target, and a local admin (comment.private.read in 31) see it.
    for reader in ("correspondent", "operator", "local_admin"):
        newest = await top(hub, reader)
        assert newest["id"] == activity_id, reader
        assert newest["kind"] == "COMMENT_CREATED" and newest["comment"] == {"id": comment}
        assert newest["site"] == {"id": gid("Site", site.id), "name": site.name}
        assert newest["author"] == {"id": await user_gid("correspondent")}
        assert newest["changedFields"] == []
    # operator.legal reads the site and its journal, but is no target: neither listed nor
    # counted, and its node is as hidden as a missing one.
    other = await activity(hub, "operator.legal", first=100)
    assert activity_id not in ids(other) and other["totalCount"] == len(other["nodes"])
    hidden = await hub.ask("operator.legal", NODE, {"id": activity_id})
    assert hidden["data"] == {"node": None} and error_codes(hidden) == ["NOT_FOUND"]


async def test_gated_column_names_are_left_out_of_changed_fields(hub: Hub) -> None:
    # A correspondent holds site.legal.write in 31; the name is changed too, so that a
    # reader without legal access still has something to see.
    change = {"identity": {"name": "Terrain de la Glacière"},
              "legalProcedures": {"justiceProcedure": "YES"}}  # fmt: skip
    event = await update_site(hub, "correspondent", await site_of(), change)
    stored = list(event.changes)
    assert {"justice_procedure", "name"} <= set(stored)
    activity_id = gid("Activity", event.id)

    # Holders of site.legal.read (nationally, or by the legal_access option) see every name.
    for reader in ("national_admin", "operator.legal"):
        newest = await top(hub, reader)
        assert newest["id"] == activity_id and newest["changedFields"] == stored, reader
    # The plain operator still sees the change, but not the names of the legal columns.
    newest = await top(hub, "operator")
    assert newest["id"] == activity_id
    assert newest["changedFields"] == [name for name in stored if name not in SITE_GATED]
    assert "justice_procedure" not in newest["changedFields"]
    assert "name" in newest["changedFields"]


async def test_user_events_are_listed_where_user_read_reaches(hub: Hub) -> None:
    association = (await persona("operator")).organization_id
    data = {
        "organizationId": gid("Organization", association),
        "role": "INTERVENER",
        "email": "activite.31@asso.example",
        "firstName": "Léa",
        "lastName": "Moreau",
    }
    payload = await hub.call("local_admin", INVITE, {"input": data})
    assert payload["errors"] == [], payload
    event = await last_event()
    activity_id = gid("Activity", event.id)

    for reader in ("local_admin", "national_admin"):
        newest = await top(hub, reader)
        assert newest["id"] == activity_id and newest["kind"] == "USER_INVITED", reader
        assert newest["user"] == {"id": payload["user"]["id"]}
        assert newest["author"] == {"id": await user_gid("local_admin")}
    # Neither the operator nor the correspondent holds user.read.
    for reader in ("operator", "correspondent"):
        assert activity_id not in ids(await activity(hub, reader, first=100)), reader


async def test_filters_by_kind_location_and_moment(hub: Hub) -> None:
    in_toulouse = await site_of(commune=TOULOUSE)
    elsewhere = await site_of(not_commune=TOULOUSE)
    start = await rename(hub, "correspondent", in_toulouse, "Terrain du Bazacle")
    later = await rename(hub, "correspondent", elsewhere, "Terrain de Muret")
    _, noted = await comment_on(hub, "correspondent", in_toulouse)
    mine = [gid("Activity", e.id) for e in (noted, later, start)]  # newest first
    # `since` is inclusive: from the first of them on, only they are listed.
    since = start.at.isoformat()
    recent = await activity(hub, "national_admin", {"since": since})
    assert ids(recent) == mine and recent["totalCount"] == 3
    just_after = (start.at + datetime.timedelta(microseconds=1)).isoformat()
    assert ids(await activity(hub, "national_admin", {"since": just_after})) == mine[:2]

    def only(*kinds: str) -> dict[str, Any]:
        return {"since": since, "kinds": list(kinds)}

    assert ids(await activity(hub, "national_admin", only("SITE_UPDATED"))) == mine[1:]
    both = only("SITE_UPDATED", "COMMENT_CREATED")
    assert ids(await activity(hub, "national_admin", both)) == mine
    assert (await activity(hub, "national_admin", only("SITE_CLOSED")))["totalCount"] == 0

    def at(level: str, code: str) -> dict[str, Any]:
        return {"since": since, "location": {"level": level, "code": code}}

    assert ids(await activity(hub, "operator", at("DEPARTEMENT", "31"))) == mine
    assert ids(await activity(hub, "national_admin", at("DEPARTEMENT", "33"))) == []
    # The commune filter keeps the update and the comment of the site standing in Toulouse.
    toulouse = await activity(hub, "national_admin", at("COMMUNE", TOULOUSE))
    assert ids(toulouse) == [mine[0], mine[2]]
    # A filter narrows what the caller may see; it never widens it.
    assert ids(await activity(hub, "external_observer", at("DEPARTEMENT", "31"))) == []


@pytest.mark.parametrize("offset_hours", [4, -4])  # La Réunion, Guadeloupe
async def test_since_means_the_same_moment_in_any_time_zone(hub: Hub, offset_hours: int) -> None:
    # SQLite keeps moments as text ('… 12:00:00+00:00'): a bound with another offset would
    # be compared as a string, hours off.
    site = await site_of()
    event = await rename(hub, "correspondent", site, f"Terrain à UTC{offset_hours:+d}")
    zone = datetime.timezone(datetime.timedelta(hours=offset_hours))
    since = event.at.astimezone(zone)
    listed = await activity(hub, "national_admin", {"since": since.isoformat()})
    assert ids(listed) == [gid("Activity", event.id)]
    just_after = (since + datetime.timedelta(microseconds=1)).isoformat()
    assert (await activity(hub, "national_admin", {"since": just_after}))["nodes"] == []


@pytest.mark.parametrize(
    ("activity_filter", "first", "argument"),
    [
        # A moment without a time zone is ambiguous: refused, not read as UTC.
        ({"since": "2026-01-01T00:00:00"}, None, "filter"),
        ({"location": {"level": "DEPARTEMENT", "code": "999"}}, None, "code"),
        ({"location": {"level": "COMMUNE"}}, None, "code"),
        (None, -1, "first"),
        (None, 10_000, "first"),
    ],
)
async def test_bad_arguments_are_refused(
    hub: Hub, activity_filter: dict[str, Any] | None, first: int | None, argument: str
) -> None:
    body = await hub.ask("national_admin", ACTIVITY, {"filter": activity_filter, "first": first})
    assert body["data"] is None and error_codes(body) == ["BAD_USER_INPUT"], body
    assert body["errors"][0]["extensions"]["argument"] == argument
    if activity_filter and "since" in activity_filter:
        assert "time zone" in body["errors"][0]["message"]


async def test_pages_follow_one_another_newest_first(hub: Hub) -> None:
    site = await site_of()
    events = [await rename(hub, "local_admin", site, f"Terrain n° {n}") for n in range(5)]
    expected = [gid("Activity", e.id) for e in reversed(events)]
    only_mine = {"since": events[0].at.isoformat(), "kinds": ["SITE_UPDATED"]}

    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        page = await activity(hub, "operator", only_mine, first=2, after=after)
        assert page["totalCount"] == 5  # the whole list, whatever the page
        seen += ids(page)
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == expected and pages == 3


async def test_a_new_event_does_not_shift_the_next_page(hub: Hub) -> None:
    site = await site_of()
    events = [await rename(hub, "local_admin", site, f"Terrain p{n}") for n in range(4)]
    only_mine = {"since": events[0].at.isoformat()}
    first_page = await activity(hub, "operator", only_mine, first=2)
    await rename(hub, "local_admin", site, "Terrain p4")  # arrives between the two pages
    cursor = first_page["pageInfo"]["endCursor"]
    second_page = await activity(hub, "operator", only_mine, first=2, after=cursor)
    # Relay: `after` a cursor are the entries after that entry, i.e. the two oldest.
    assert ids(second_page) == [gid("Activity", e.id) for e in reversed(events[:2])]


async def test_refused_writes_add_no_event(hub: Hub) -> None:
    site = await Site.get(id=(await site_of()).id)
    variables = {"id": gid("Site", site.id), "version": site.version}
    before = (await Event.all().count(), await AuditEntry.all().count())
    refusals: list[tuple[str, dict[str, Any], str]] = [
        ("correspondent", {"version": site.version - 1,
                           "input": {"identity": {"name": "Trop tard"}}}, "CONFLICT"),
        ("correspondent", {"input": {"population": {"total": -1}}}, "OUT_OF_RANGE"),
        # Legal procedures need site.legal.write, which a plain operator has not got.
        ("operator", {"input": {"legalProcedures": {"justiceProcedure": "NO"}}}, "FORBIDDEN"),
    ]  # fmt: skip
    for who, change, code in refusals:
        payload = await hub.call(who, UPDATE_SITE, variables | change)
        assert payload["site"] is None and code in [e["code"] for e in payload["errors"]]
    refused_comment = await hub.call(
        "operator", CREATE_COMMENT, {"input": {"siteId": gid("Site", site.id), "body": " "}}
    )
    assert refused_comment["comment"] is None
    assert (await Event.all().count(), await AuditEntry.all().count()) == before
    assert (await Site.get(id=site.id)).version == site.version


async def test_an_activity_node_is_found_only_by_who_may_see_it(hub: Hub) -> None:
    event = await rename(hub, "correspondent", await site_of(), "Terrain de Lalande")
    activity_id = gid("Activity", event.id)
    for reader in ("national_admin", "operator"):
        body = await hub.ask(reader, NODE, {"id": activity_id})
        assert "errors" not in body, body
        node = body["data"]["node"]
        assert node["__typename"] == "Activity" and node["id"] == activity_id
        assert node["kind"] == "SITE_UPDATED" and node["changedFields"] == ["name"]
    # Out of scope, anonymous or missing: the same null and NOT_FOUND.
    for stranger in ("external_observer", None):
        body = await hub.ask(stranger, NODE, {"id": activity_id})
        assert body["data"] == {"node": None} and error_codes(body) == ["NOT_FOUND"], stranger
    missing = await hub.ask("national_admin", NODE, {"id": gid("Activity", event.id + 1000)})
    assert missing["data"] == {"node": None} and error_codes(missing) == ["NOT_FOUND"]


DELETE_COMMENT = """mutation ($id: ID!) { deleteComment(id: $id) { errors { code } } }"""
DELETE_SITE = """mutation ($id: ID!, $version: Int!) {
  deleteSite(id: $id, version: $version) { errors { code } } }"""


async def test_a_deleted_comment_stays_in_the_feed_without_its_text(hub: Hub) -> None:
    site = await site_of()
    created = await hub.call(
        "operator", CREATE_COMMENT, {"input": {"siteId": gid("Site", site.id), "body": "Bientôt"}}
    )
    comment_id = created["comment"]["id"]
    deleted = await hub.call("operator", DELETE_COMMENT, {"id": comment_id})
    assert deleted["errors"] == [], deleted
    listed = await activity(hub, "correspondent", {"kinds": ["COMMENT_CREATED", "COMMENT_DELETED"]})
    kinds = [(node["kind"], node["comment"]) for node in listed["nodes"][:2]]
    # Both events are listed to who could read the comment; the comment itself is gone.
    assert kinds == [("COMMENT_DELETED", None), ("COMMENT_CREATED", None)]


async def test_a_deleted_site_keeps_its_gated_names_for_who_could_read_them(hub: Hub) -> None:
    site = await site_of(not_commune=TOULOUSE)
    await update_site(hub, "correspondent", site, {"legalProcedures": {"justiceProcedure": "YES"}})
    current = await Site.get(id=site.id)
    variables = {"id": gid("Site", site.id), "version": current.version}
    deleted = await hub.call("national_admin", DELETE_SITE, variables)
    assert deleted["errors"] == [], deleted
    event = await last_event()
    assert event.kind == "site.deleted" and "justice_procedure" in event.changes
    for who, sees_legal in (("national_admin", True), ("operator", False)):
        node = (await activity(hub, who, {"kinds": ["SITE_DELETED"]}))["nodes"][0]
        assert node["id"] == gid("Activity", event.id) and node["site"] is None
        assert ("justice_procedure" in node["changedFields"]) is sees_legal, who
        assert "name" in node["changedFields"]
