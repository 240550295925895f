"""An object read at a past date (``site(asOf:)``, ``action(asOf:)``) shows only what was
true then, on every nested field, and nothing of its present.

The queries are generated from the schema: every field of every type reachable from Site
and Action is selected, down to the types reached by reference (users, organizations,
territories: read as they are today, under today's rights). A site of Haute-Garonne and one
of its actions are read by the Haute-Garonne operator (and by the national administrator,
who reads the gated fields too), then changed in every way a nested field can show: moved
to Bordeaux, counted again, closed with solutions, a new actor, another action linked and
the first one unlinked, moved, renamed and refinanced, new comments, a comment moderated.
Read at the day before, both must answer exactly what they answered before the changes.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from graphql import (
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
)
from strawberry.relay import to_base64

from hub.models import Action, Comment, Site, SiteActor
from hub.models.enums import SiteStatus
from schema.build import build_schema
from tests.support import Hub
from tests.test_exports import download, read_csv

DEMO_END = datetime.datetime(2026, 11, 2, tzinfo=datetime.UTC)
SCHEMA: GraphQLSchema = build_schema()._schema

# Reached by reference: read as they are today, under today's rights (their own lists are
# filtered by the caller's rights of today, so they show nothing it may not read today).
REFERENCES = frozenset({"User", "Organization", "Commune", "Epci", "Departement", "Region"})
# What is reached from Site and Action besides references: all of it is read at the date.
# A new type here must be read at the date (resolvers/history/as_of.py: day_of) first.
AS_OF_TYPES = frozenset(
    {
        "Action", "ActionFinance", "ActionIndicators", "Census", "ClosingSolutionCount",
        "Comment", "CommentConnection", "CommentEdge", "Dwellings", "ElectricityConditions",
        "FieldChange", "FirePreventionConditions", "HistoryEntry", "HistoryEntryConnection",
        "HistoryEntryEdge", "LegalProcedures", "LivingConditions", "MinorsByAge", "Ownership",
        "PageInfo", "ParcelOwner", "PestConditions", "Resorption", "ResorptionPhaseDates",
        "SanitationConditions", "Site", "SiteActor", "SiteLifecycle", "SiteLocation",
        "SitePopulation", "WasteConditions", "WaterConditions",
    }
)  # fmt: skip
# The nested fields of Site and Action and what the scenario changes to show each one is
# read at the date (scalar columns are rebuilt with the row). A new field fails
# test_every_nested_field_is_classified until it is read at the date and listed here.
NESTED = {
    "Site": {
        "location": "moved to Bordeaux: its place then",
        "commune": "moved: the commune then", "epci": "moved", "departement": "moved",
        "region": "moved: Nouvelle-Aquitaine today",
        "reinstalledFrom": "no write changes it; the sites are read at the date",
        "population": "counted again", "census": "rebuilt columns",
        "livingConditions": "rebuilt columns", "legalProcedures": "changed",
        "ownership": "parcels replaced", "lifecycle": "closed with solutions",
        "resorption": "phases replaced", "createdBy": "rebuilt column",
        "updatedBy": "saved since by the administrator: the last save then",
        "actors": "an actor declared since", "actions": "one linked, one unlinked since",
        "journal": "comments since, one moderated", "history": "entries since",
    },
    "Action": {
        "departement": "moved to Gironde", "topics": "replaced", "managers": "rebuilt list",
        "operators": "rebuilt list", "sites": "its site moved, another linked",
        "finances": "replaced", "indicators": "replaced", "journal": "a comment since",
        "history": "entries since",
    },
}  # fmt: skip
# Depends on the day it is read at, not on the state: checked on its own.
DAY_DEPENDENT = "outOfDate"


def gid(kind: str, key: int) -> str:
    return to_base64(kind, key)


# Pages of nested connections: small enough for the operator's cost budget.
PAGE = 5


def _object_fields(type_name: str) -> Iterator[tuple[str, GraphQLObjectType | None]]:
    """Each field of a type (with its page size, for a connection) and its object type
    (None for a scalar or an enum)."""
    graphql_type = SCHEMA.type_map[type_name]
    assert isinstance(graphql_type, GraphQLObjectType)
    for name, field in sorted(graphql_type.fields.items()):
        named = get_named_type(field.type)
        paged = f"{name}(first: {PAGE})" if "first" in field.args else name
        yield paged, None if is_leaf_type(named) else named  # type: ignore[misc]


def selection(type_name: str, path: frozenset[str], reached: set[str]) -> str:
    """Every field of ``type_name``, recursively; a type met again on the way (a site's
    action's sites) gives its scalar fields only; references give their key."""
    reached.add(type_name)
    parts: list[str] = []
    for name, nested in _object_fields(type_name):
        if nested is None:
            parts.append(name)
        elif nested.name in REFERENCES:
            parts.append(f"{name} {{ __typename {'id' if 'id' in nested.fields else 'code'} }}")
        elif nested.name in path:
            leaves = [leaf for leaf, kind in _object_fields(nested.name) if kind is None]
            parts.append(f"{name} {{ {' '.join(leaves)} }}")
        else:
            inner = selection(nested.name, path | {nested.name}, reached)
            parts.append(f"{name} {{ {inner} }}")
    return " ".join(parts)


def queries(root: str, kind: str) -> tuple[str, str, set[str]]:
    """The query of ``root`` today and at a date, and the types it reaches."""
    reached: set[str] = set()
    fields = selection(kind, frozenset({kind}), reached)
    now = f"query ($id: ID!) {{ {root}(id: $id) {{ {fields} }} }}"
    then = f"query ($id: ID!, $day: Date!) {{ {root}(id: $id, asOf: $day) {{ {fields} }} }}"
    return now, then, reached


SITE_NOW, SITE_THEN, SITE_REACHES = queries("site", "Site")
ACTION_NOW, ACTION_THEN, ACTION_REACHES = queries("action", "Action")


def without(value: Any, key: str) -> Any:
    """``value`` without ``key`` at any depth."""
    if isinstance(value, dict):
        return {k: without(v, key) for k, v in value.items() if k != key}
    if isinstance(value, list):
        return [without(item, key) for item in value]
    return value


def answer(body: dict[str, Any]) -> tuple[Any, list[tuple[str, str]]]:
    """The data (without the day-dependent field) and the errors, by path and code."""
    assert all("path" in e for e in body.get("errors", [])), body.get("errors")
    errors = sorted(
        (".".join(map(str, e["path"])), e["extensions"]["code"]) for e in body.get("errors", [])
    )
    return without(body["data"], DAY_DEPENDENT), errors


def test_every_nested_field_is_classified() -> None:
    assert SITE_REACHES | ACTION_REACHES == AS_OF_TYPES
    for kind, nested in NESTED.items():
        graphql_type = SCHEMA.type_map[kind]
        assert isinstance(graphql_type, GraphQLObjectType)
        lists_and_objects = {
            name
            for name, field in graphql_type.fields.items()
            if is_list_type(get_nullable_type(field.type))
            or not is_leaf_type(get_named_type(field.type))
        }
        assert lists_and_objects == set(nested), f"{kind}: read the new field at the date"


async def _scene() -> tuple[Site, Action, Action]:
    """A site of the demo data in Haute-Garonne with comments, actors and an action of
    Haute-Garonne, that action, and another action of Haute-Garonne not linked to it."""
    for site in await Site.filter(
        departement_code="31", status=SiteStatus.OPEN, created_at__lt=DEMO_END
    ).order_by("id"):
        actions = await Action.filter(sites__id=site.id, departement_id="31").order_by("id")
        if (
            actions
            and await Comment.filter(site_id=site.id, deleted_at__isnull=True).count() > 1
            and await SiteActor.filter(site_id=site.id).exists()
        ):
            linked = [a.id for a in actions]
            other = await Action.filter(departement_id="31", id__not_in=linked).first()
            assert other is not None
            return site, actions[0], other
    raise AssertionError("no site of Haute-Garonne with comments, actors and an action")


UPDATE_SITE = """mutation ($id: ID!, $version: Int!, $input: UpdateSiteInput!) {
  updateSite(id: $id, version: $version, input: $input) { errors { field code message } } }"""
CLOSE_SITE = """mutation ($id: ID!, $version: Int!, $input: CloseSiteInput!) {
  closeSite(id: $id, version: $version, input: $input) { errors { field code message } } }"""
DECLARE = """mutation ($id: ID!) { declareActor(siteId: $id, themes: [HEALTH]) {
  errors { field code message } } }"""
COMMENT = """mutation ($input: CreateCommentInput!) { createComment(input: $input) {
  errors { field code message } } }"""
MODERATE = """mutation ($id: ID!) { moderateComment(id: $id, reason: "Données personnelles") {
  errors { field code message } } }"""
UPDATE_ACTION = """mutation ($id: ID!, $version: Int!, $input: UpdateActionInput!) {
  updateAction(id: $id, version: $version, input: $input) { errors { field code message } } }"""
FINANCES = """mutation ($id: ID!, $version: Int!, $year: Int!, $finances: [ActionFinanceInput!]!) {
  upsertActionFinances(id: $id, version: $version, year: $year, finances: $finances) {
    errors { field code message } } }"""
INDICATORS = """mutation ($id: ID!, $version: Int!, $year: Int!,
  $indicators: ActionIndicatorsInput!) {
  upsertActionIndicators(id: $id, version: $version, year: $year, indicators: $indicators) {
    errors { field code message } } }"""


async def _done(hub: Hub, who: str, mutation: str, variables: dict[str, Any]) -> None:
    payload = await hub.call(who, mutation, variables)
    assert payload["errors"] == [], payload


async def _change_everything(hub: Hub, site: Site, action: Action, other: Action) -> str:
    """Changes the site and its action today in every way a nested field shows; the text
    of the comments written, which must not show at the date."""
    site_id, action_id = gid("Site", site.id), gid("Action", action.id)
    written = "Écrit après la date, à Bordeaux"
    await _done(hub, "operator", DECLARE, {"id": site_id})
    for subject in ({"siteId": site_id}, {"actionId": action_id}):
        await _done(hub, "operator", COMMENT, {"input": subject | {"body": written}})
    # The other action now runs on the site; the first one no more, and moved to Gironde
    # (linked while both are in Haute-Garonne).
    other_sites = await Site.filter(actions__id=other.id).values_list("id", flat=True)
    await _done(hub, "national_admin", UPDATE_ACTION, {
        "id": gid("Action", other.id), "version": other.version,
        "input": {"sites": [gid("Site", key) for key in [*other_sites, site.id]]},
    })  # fmt: skip
    moved = {
        "identity": {"name": "Déplacé à Bordeaux", "communeCode": "33063", "latitude": 44.84,
                     "longitude": -0.58},
        "population": {"total": (site.population_total or 0) + 7},
        "legalProcedures": {"justiceProcedure": "YES", "bailiff": "Maître Nouveau"},
        "ownership": {"parcels": [{"parcel": "BX 1", "ownerType": "PRIVATE",
                                   "ownerName": "Propriétaire d'aujourd'hui"}]},
        "resorption": {"targetYear": 2031, "phases": [{"phase": "SOCIOLOGICAL_DIAGNOSIS"}]},
    }  # fmt: skip
    version = (await Site.get(id=site.id)).version
    await _done(hub, "national_admin", UPDATE_SITE,
                {"id": site_id, "version": version, "input": moved})  # fmt: skip
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    closing = {"status": "RESORBED", "closedAt": today, "closedWithSolutions": "YES",
               "solutions": [{"solution": "ORDINARY_HOUSING", "people": 12}]}  # fmt: skip
    await _done(hub, "national_admin", CLOSE_SITE,
                {"id": site_id, "version": version + 1, "input": closing})  # fmt: skip
    change = {"name": "Renommée à Bordeaux", "departementCode": "33", "topics": ["HEALTH"],
              "sites": []}  # fmt: skip
    await _done(hub, "national_admin", UPDATE_ACTION,
                {"id": action_id, "version": action.version, "input": change})  # fmt: skip
    for mutation, figures in (
        (FINANCES, {"year": 2026, "finances": [{"financeType": "EUROPEAN",
                                                "plannedAmount": "123456.78"}]}),
        (INDICATORS, {"year": 2026, "indicators": {"people": 4242}}),
    ):  # fmt: skip
        version = (await Action.get(id=action.id)).version
        await _done(hub, "national_admin", mutation,
                    {"id": action_id, "version": version} | figures)  # fmt: skip
    return written


async def test_a_site_and_its_action_read_at_a_past_date_show_nothing_of_today(
    hub: Hub,
) -> None:
    site, action, other = await _scene()
    day = datetime.datetime.now(datetime.UTC).date() - datetime.timedelta(days=1)
    readers = ("operator", "national_admin")
    site_vars, action_vars = {"id": gid("Site", site.id)}, {"id": gid("Action", action.id)}
    # Moderated today, a comment of the date stays out of the journal then too.
    moderated = (
        await Comment.filter(site_id=site.id, deleted_at__isnull=True).order_by("id").first()
    )
    assert moderated is not None
    await _done(hub, "national_admin", MODERATE, {"id": gid("Comment", moderated.id)})
    before = {
        who: (
            answer(await hub.ask(who, SITE_NOW, site_vars)),
            answer(await hub.ask(who, ACTION_NOW, action_vars)),
        )
        for who in readers
    }
    seen_site, seen_action = before["operator"][0][0]["site"], before["operator"][1][0]["action"]
    # The scene has something in every nested list the changes touch.
    assert seen_site["actors"] and seen_site["journal"]["nodes"] and seen_site["history"]
    assert gid("Action", action.id) in {linked["id"] for linked in seen_site["actions"]}
    assert gid("Site", site.id) in {linked["id"] for linked in seen_action["sites"]}

    written = await _change_everything(hub, site, action, other)

    # Today, the changes show (to the administrator: the operator no longer reads either).
    now = str(await hub.ask("national_admin", SITE_NOW, site_vars))
    now += str(await hub.ask("national_admin", ACTION_NOW, action_vars))
    assert all(text in now for text in (written, "Bordeaux", "4242", "BX 1", "RESORBED"))
    for who in readers:
        site_then = await hub.ask(who, SITE_THEN, site_vars | {"day": day.isoformat()})
        action_then = await hub.ask(who, ACTION_THEN, action_vars | {"day": day.isoformat()})
        assert answer(site_then) == before[who][0], who
        assert answer(action_then) == before[who][1], who
        # What the changes wrote is nowhere, at any depth.
        for text in (written, "33063", "Bordeaux", "4242", "123456.78", "BX 1", "RESORBED"):
            assert text not in str(site_then) + str(action_then), (who, text)
        assert gid("Action", other.id) not in str(site_then["data"]["site"]["actions"])
        assert gid("Comment", moderated.id) not in str(site_then), who


CONFIRM = """mutation ($id: ID!, $version: Int!) {
  confirmSiteUnchanged(id: $id, version: $version) { errors { field code message } } }"""
SAVES = "version updatedAt updatedBy { id } confirmedUnchangedAt outOfDate"


async def test_the_last_save_and_out_of_date_are_those_of_the_day(hub: Hub) -> None:
    site = await Site.filter(departement_code="31", updated_at__lt=DEMO_END).order_by("id").first()
    assert site is not None
    day = datetime.datetime.now(datetime.UTC).date() - datetime.timedelta(days=1)
    variables = {"id": gid("Site", site.id)}
    now = f"query ($id: ID!) {{ site(id: $id) {{ {SAVES} }} }}"
    then = f"query ($id: ID!, $day: Date!) {{ site(id: $id, asOf: $day) {{ {SAVES} }} }}"
    before = (await hub.ask("national_admin", now, variables))["data"]["site"]
    await _done(hub, "national_admin", CONFIRM, variables | {"version": site.version})
    confirmed = (await hub.ask("national_admin", now, variables))["data"]["site"]
    assert confirmed["version"] == site.version + 1 and confirmed["outOfDate"] is False
    seen = await hub.ask("national_admin", then, variables | {"day": day.isoformat()})
    seen = seen["data"]["site"]
    # Saved since by someone else: the version, date and author of the last save then.
    assert without(seen, DAY_DEPENDENT) == without(before, DAY_DEPENDENT)
    # Out of date as it stood at the end of that day, counted from that day.
    latest = max(
        datetime.datetime.fromisoformat(value)
        for value in (seen["updatedAt"], seen["confirmedUnchangedAt"])
        if value is not None
    )
    limit = day - datetime.timedelta(days=hub.settings.out_of_date_days)
    assert seen["outOfDate"] == (latest.date() < limit)


JOURNAL = """query ($id: ID!, $day: Date!) { site(id: $id, asOf: $day) {
  journal(first: 100) { totalCount nodes { id body } }
  actors { id createdAt themes organization { id } } } }"""
EDIT = """mutation ($id: ID!, $input: UpdateCommentInput!) { updateComment(id: $id, input: $input) {
  errors { field code message } } }"""
DELETE = """mutation ($id: ID!) { deleteComment(id: $id) { errors { field code message } } }"""
WITHDRAW = """mutation ($id: ID!) { withdrawActor(id: $id) { errors { field code message } } }"""


async def test_comments_edited_or_deleted_since_are_out_and_withdrawn_actors_kept(hub: Hub) -> None:
    # Written at the date (backdated), then edited and deleted today by their author.
    with_actors = SiteActor.filter(site__departement_code="31").order_by("-site_id")
    site = await Site.get(id=(await with_actors.first().values_list("site_id", flat=True)))
    day = datetime.datetime.now(datetime.UTC).date() - datetime.timedelta(days=1)
    variables = {"id": gid("Site", site.id), "day": day.isoformat()}
    for body in ("Sera modifié", "Sera supprimé"):
        await _done(hub, "operator", COMMENT, {"input": {"siteId": gid("Site", site.id),
                                                         "body": body}})  # fmt: skip
    at_the_date = datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
    await Comment.filter(site_id=site.id, body__startswith="Sera ").update(created_at=at_the_date)
    before = (await hub.ask("operator", JOURNAL, variables))["data"]["site"]
    assert before["actors"], "the demo site has actors"
    edited = await Comment.get(site_id=site.id, body="Sera modifié")
    deleted = await Comment.get(site_id=site.id, body="Sera supprimé")
    await _done(hub, "operator", EDIT,
                {"id": gid("Comment", edited.id), "input": {"body": "Modifié"}})  # fmt: skip
    await _done(hub, "operator", DELETE, {"id": gid("Comment", deleted.id)})
    withdrawn = before["actors"][0]
    await _done(hub, "national_admin", WITHDRAW, {"id": withdrawn["id"]})

    after = (await hub.ask("operator", JOURNAL, variables))["data"]["site"]
    ids = [node["id"] for node in after["journal"]["nodes"]]
    # Its text then is not kept: left out rather than shown as it is today.
    assert gid("Comment", edited.id) not in ids and "Modifié" not in str(after)
    # Deleted since by its author: out of every journal, the past ones too.
    assert gid("Comment", deleted.id) not in ids
    assert after["journal"]["totalCount"] == before["journal"]["totalCount"] - 2
    # Withdrawn since, it was acting then: its entry is gone, so no id nor date (and last).
    assert after["actors"] == [*before["actors"][1:], withdrawn | {"id": None, "createdAt": None}]


async def _export(hub: Hub, who: str, kind: str, day: datetime.date) -> list[dict[str, str]]:
    response = await download(hub, who, f"/exports/{kind}.csv", asOf=day.isoformat())
    assert response.status_code == 200, response.text
    return read_csv(response.content)


async def test_an_export_at_a_past_date_shows_its_rows_as_they_were_then(hub: Hub) -> None:
    day = datetime.datetime.now(datetime.UTC).date() - datetime.timedelta(days=1)
    action = await Action.filter(departement_id="31", updated_at__lt=DEMO_END).first()
    site = await Site.filter(departement_code="31", updated_at__lt=DEMO_END).first()
    incoming = await Site.filter(departement_code="33", status=SiteStatus.OPEN).first()
    assert action is not None and site is not None and incoming is not None
    before = {
        who: (await _export(hub, who, "sites", day), await _export(hub, who, "actions", day))
        for who in ("operator", "national_admin")
    }
    change = {"name": "Renommée", "topics": ["HEALTH"], "sites": []}
    action_id = gid("Action", action.id)
    variables = {"id": action_id, "version": action.version, "input": change}
    await _done(hub, "national_admin", UPDATE_ACTION, variables)
    await _done(hub, "national_admin", FINANCES, {
        "id": action_id, "version": action.version + 1, "year": 2026,
        "finances": [{"financeType": "EUROPEAN", "plannedAmount": "123456.78"}],
    })  # fmt: skip
    saved = {"identity": {"name": "Renommé"},
             "ownership": {"parcels": [{"parcel": "BX 2", "ownerType": "PRIVATE"}]}}  # fmt: skip
    await _done(hub, "national_admin", UPDATE_SITE,
                {"id": gid("Site", site.id), "version": site.version, "input": saved})  # fmt: skip
    # A site of Gironde moved into Haute-Garonne: the operator reads it today, not then.
    into = {"identity": {"communeCode": "31555", "latitude": None, "longitude": None}}
    variables = {"id": gid("Site", incoming.id), "version": incoming.version, "input": into}
    await _done(hub, "national_admin", UPDATE_SITE, variables)
    for who, (sites, actions) in before.items():
        assert await _export(hub, who, "sites", day) == sites, who
        assert await _export(hub, who, "actions", day) == actions, who
    now = await _export(hub, "operator", "sites", day + datetime.timedelta(days=1))
    assert gid("Site", incoming.id) in {row["Identifiant API"] for row in now}
    assert gid("Site", incoming.id) not in {row["Identifiant API"] for row in before["operator"][0]}
