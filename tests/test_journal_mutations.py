"""Journal and actor mutations through HTTP with real tokens, on a demo database of their own."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry.relay import to_base64

from hub.models import AuditEntry, Comment, HistoryEntry, Site, SiteActor, User
from hub.models.enums import SiteStatus
from tests.support import Hub

COMMENT = "comment { id body tags targeted author { id } } errors { field code message }"
CREATE = (
    f"mutation ($input: CreateCommentInput!) {{ createComment(input: $input) {{ {COMMENT} }} }}"
)
UPDATE = f"""mutation ($id: ID!, $input: UpdateCommentInput!) {{
  updateComment(id: $id, input: $input) {{ {COMMENT} }} }}"""
DELETE = """mutation ($id: ID!) { deleteComment(id: $id) { deletedId errors { code } } }"""
MODERATE = """mutation ($id: ID!, $reason: String!) { moderateComment(id: $id, reason: $reason) {
  deletedId errors { field code } } }"""
JOURNAL = """query ($id: ID!) { site(id: $id) { journal(first: 500) { nodes { id body } } } }"""
ACTOR = "actor { id themes organization { id } user { id } } errors { field code message }"
DECLARE = f"""mutation ($site: ID!, $themes: [ActorTheme!]!, $asUser: Boolean! = true) {{
  declareActor(siteId: $site, themes: $themes, asUser: $asUser) {{ {ACTOR} }} }}"""
UPDATE_ACTOR = f"""mutation ($id: ID!, $themes: [ActorTheme!]!) {{
  updateActor(id: $id, themes: $themes) {{ {ACTOR} }} }}"""
WITHDRAW = """mutation ($id: ID!) { withdrawActor(id: $id) { errors { code } } }"""


@pytest.fixture
def call(hub: Hub) -> Any:
    async def run(who: str, query: str, **variables: Any) -> dict[str, Any]:
        body = await hub.ask(who, query, variables)
        assert {e["extensions"]["code"] for e in body.get("errors", [])} <= {"FORBIDDEN"}, body
        return body["data"]

    return run


async def site_in(departement: str) -> str:
    site = await Site.filter(departement_code=departement, status=SiteStatus.OPEN).first()
    assert site is not None
    return to_base64("Site", site.id)


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e.get("field"), e["code"]) for e in payload["errors"]]


async def test_comments_are_written_edited_and_deleted_by_their_author(call: Any) -> None:
    site = await site_in("31")
    created = (
        await call(
            "operator", CREATE, input={"siteId": site, "body": "Visite faite.", "tags": ["santé"]}
        )
    )["createComment"]
    assert created["errors"] == [] and created["comment"]["tags"] == ["santé"]
    comment = created["comment"]["id"]
    journal = await call("correspondent", JOURNAL, id=site)
    assert comment in [n["id"] for n in journal["site"]["journal"]["nodes"]]
    assert await AuditEntry.filter(operation="comment.create").count() >= 1

    edited = await call("operator", UPDATE, id=comment, input={"body": "Visite faite hier."})
    assert edited["updateComment"]["comment"]["body"] == "Visite faite hier."
    other = await call("operator.legal", UPDATE, id=comment, input={"body": "Pas à moi."})
    assert codes(other["updateComment"]) == [(None, "FORBIDDEN")]
    assert (await call("operator.legal", DELETE, id=comment))["deleteComment"]["errors"] == [
        {"code": "FORBIDDEN"}
    ]
    deleted = await call("operator", DELETE, id=comment)
    assert deleted["deleteComment"] == {"deletedId": comment, "errors": []}
    journal = await call("correspondent", JOURNAL, id=site)
    assert comment not in [n["id"] for n in journal["site"]["journal"]["nodes"]]
    kept = await Comment.get(body="Visite faite hier.")
    assert kept.deleted_at is not None  # kept for the audit, hidden from journals


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"body": "   "}, [("input.body", "REQUIRED")]),
        ({"body": "x" * 5001}, [("input.body", "TOO_LONG")]),
        ({"body": "nul\x00"}, [("input.body", "INVALID")]),
        ({"tags": [f"t{n}" for n in range(11)]}, [("input.tags", "TOO_LONG")]),
        ({"tags": ["x" * 41]}, [("input.tags.0", "TOO_LONG")]),
        ({"targetUsers": [to_base64("User", 10**9)]}, [("input.targetUsers.0", "NOT_FOUND")]),
        ({"actionId": to_base64("Action", 1)}, [("input", "INVALID")]),
    ],
)
async def test_bad_comments_are_refused(
    call: Any, change: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    before = await Comment.all().count()
    data = {"siteId": await site_in("31"), "body": "Texte."} | change
    payload = (await call("operator", CREATE, input=data))["createComment"]
    assert payload["comment"] is None and codes(payload) == expected
    assert await Comment.all().count() == before


async def test_commenting_follows_the_policy(call: Any) -> None:
    observer = await call(
        "external_observer", CREATE, input={"siteId": await site_in("33"), "body": "Observation."}
    )
    assert codes(observer["createComment"]) == [(None, "FORBIDDEN")]
    elsewhere = await call("operator", CREATE, input={"siteId": await site_in("33"), "body": "x"})
    assert codes(elsewhere["createComment"]) == [("input.siteId", "NOT_FOUND")]


async def test_targeted_comments_and_moderation(call: Any) -> None:
    site = await site_in("31")
    operator = await User.get(email="operator@demo.bidonvilles.example")
    association = to_base64("Organization", operator.organization_id)
    created = await call("correspondent", CREATE, input={
        "siteId": site, "body": "Pour l'association seulement.",
        "targetOrganizations": [association]})  # fmt: skip
    comment = created["createComment"]["comment"]
    assert comment["targeted"] is True

    def ids(data: dict[str, Any]) -> list[str]:
        return [n["id"] for n in data["site"]["journal"]["nodes"]]

    assert comment["id"] in ids(await call("operator", JOURNAL, id=site))  # a member
    partner = await call("institutional_partner", JOURNAL, id=site)  # not a target
    assert comment["id"] not in ids(partner)
    refused = await call("operator", MODERATE, id=comment["id"], reason="Hors sujet")
    assert codes(refused["moderateComment"]) == [(None, "FORBIDDEN")]
    empty = await call("local_admin", MODERATE, id=comment["id"], reason="  ")
    assert codes(empty["moderateComment"]) == [("reason", "REQUIRED")]
    done = await call("local_admin", MODERATE, id=comment["id"], reason="Données personnelles")
    assert done["moderateComment"]["errors"] == []
    entry = await AuditEntry.filter(operation="comment.moderate").first()
    assert entry is not None and entry.details == {"reason": "Données personnelles"}
    assert comment["id"] not in ids(await call("correspondent", JOURNAL, id=site))


async def test_actors_declare_update_and_withdraw(call: Any) -> None:
    first = await Site.filter(departement_code="31", status=SiteStatus.OPEN).first()
    assert first is not None
    site, key = to_base64("Site", first.id), first.id
    await SiteActor.filter(site_id=key).delete()
    declared = (await call("operator", DECLARE, site=site, themes=["HEALTH"]))["declareActor"]
    assert declared["errors"] == [] and declared["actor"]["themes"] == ["HEALTH"]
    actor = declared["actor"]["id"]
    again = (await call("operator", DECLARE, site=site, themes=["HOUSING"]))["declareActor"]
    assert codes(again) == [(None, "INVALID")]
    for themes, expected in [
        ([], ("themes", "REQUIRED")),
        (["HEALTH", "HEALTH"], ("themes", "INVALID")),
    ]:
        bad = await call("operator.legal", DECLARE, site=site, themes=themes)
        assert codes(bad["declareActor"]) == [expected]
    observer = await call("external_observer", DECLARE, site=await site_in("33"), themes=["OTHER"])
    assert codes(observer["declareActor"]) == [(None, "FORBIDDEN")]

    changed = await call("operator.legal", UPDATE_ACTOR, id=actor, themes=["HEALTH", "HOUSING"])
    assert changed["updateActor"]["actor"]["themes"] == ["HEALTH", "HOUSING"]  # same association
    stranger = await call("correspondent", UPDATE_ACTOR, id=actor, themes=["OTHER"])
    assert codes(stranger["updateActor"]) == [(None, "FORBIDDEN")]
    entry = await HistoryEntry.filter(subject_id=key, subject_type="site").order_by("-id").first()
    assert entry is not None and entry.changes["actors"][1][0]["themes"] == ["health", "housing"]

    # The correspondent may update the site, so it may withdraw the entry.
    withdrawn = await call("correspondent", WITHDRAW, id=actor)
    assert withdrawn["withdrawActor"]["errors"] == []
    assert not await SiteActor.filter(site_id=key).exists()
