"""Global IDs: node(id), site(id), action(id) and the errors for bad IDs."""

from __future__ import annotations

import base64

import httpx

from hub.models import Action, Comment, Organization, Site, User
from tests.support import error_codes, graphql


def gid(type_name: str, key: object) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


NODE = """
query Node($id: ID!) {
  node(id: $id) {
    id
    __typename
    ... on Site { siteName: name }
    ... on Action { actionName: name }
    ... on Organization { organizationName: name }
    ... on User { email }
    ... on Comment { body }
    ... on Territory { code name level }
  }
}
"""


async def test_every_node_type_round_trips(client: httpx.AsyncClient) -> None:
    site = await Site.first()
    action = await Action.first()
    organization = await Organization.first()
    user = await User.first()
    comment = await Comment.first()
    assert site and action and organization and user and comment
    cases = {
        gid("Site", site.id): "Site",
        gid("Action", action.id): "Action",
        gid("Organization", organization.id): "Organization",
        gid("User", user.id): "User",
        gid("Comment", comment.id): "Comment",
        gid("Region", "76"): "Region",
        gid("Departement", "2A"): "Departement",
        gid("Commune", "31555"): "Commune",
        gid("Nation", "FR"): "Nation",
    }
    for node_id, type_name in cases.items():
        body = await graphql(client, NODE, {"id": node_id})
        assert "errors" not in body, body
        assert body["data"]["node"]["__typename"] == type_name
        assert body["data"]["node"]["id"] == node_id


async def test_unknown_id_is_null_with_not_found(client: httpx.AsyncClient) -> None:
    # The last one is beyond the database's 32-bit keys: nothing, not a database error.
    for key in (987654321, 2**31, 10**17):
        body = await graphql(client, NODE, {"id": gid("Site", key)})
        assert body["data"]["node"] is None
        assert error_codes(body) == ["NOT_FOUND"], body


async def test_malformed_ids_are_clear_errors(client: httpx.AsyncClient) -> None:
    for bad in ("42", "not an id", gid("Site", "abc"), gid("Spaceship", 1)):
        body = await graphql(client, NODE, {"id": bad})
        assert body["data"]["node"] is None, bad
        assert error_codes(body) == ["BAD_USER_INPUT"], (bad, body)
        assert "Traceback" not in str(body)


async def test_site_by_id_refuses_the_id_of_another_type(client: httpx.AsyncClient) -> None:
    action = await Action.first()
    assert action
    body = await graphql(
        client, "query($id: ID!) { site(id: $id) { id } }", {"id": gid("Action", action.id)}
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "Expected the ID of a Site" in body["errors"][0]["message"]


async def test_action_by_id_returns_its_relations(client: httpx.AsyncClient) -> None:
    action = await Action.filter(sites__id__isnull=False).first()
    assert action
    query = """
    query($id: ID!) {
      action(id: $id) {
        name topics startedAt
        departement { code region { code } }
        sites { id commune { code } }
        managers { email organization { name } }
        operators { email organization { name category } }
        finances { year financeType plannedAmount spentAmount }
        indicators { year people minors }
        journal(first: 3) { totalCount nodes { body author { email } } }
      }
    }
    """
    body = await graphql(client, query, {"id": gid("Action", action.id)})
    assert "errors" not in body, body
    data = body["data"]["action"]
    assert data["name"] == action.name
    assert data["departement"]["code"] == action.departement_id
    linked = await Site.filter(actions__id=action.id).values_list("id", flat=True)
    assert {s["id"] for s in data["sites"]} == {gid("Site", i) for i in linked}
    finance_count = await action.finances.all().count()
    assert len(data["finances"]) == finance_count
