"""Requests for access through the real stack: asked anonymously (validated, deduplicated,
rate-limited), read and decided only by those who may decide, audited and in the history,
and an approved person's first sign-in with the verified address activating the account."""

from __future__ import annotations

from typing import Any

import httpx
from strawberry.relay import to_base64

from hub.demo.reference import PERSONA_ASSOCIATION
from hub.models import (
    AccessRequest,
    AuditEntry,
    Event,
    HistoryEntry,
    Organization,
    User,
    UserIdentity,
)
from hub.models.enums import (
    AccessRequestStatus,
    EventKind,
    OrganizationCategory,
    Role,
    UserStatus,
)
from hub.server.app import create_app
from tests.support import Hub, bearer, error_codes, graphql

REQUEST = """mutation ($input: RequestAccessInput!) {
  requestAccess(input: $input) { accessRequestId errors { field code message } } }"""
QUEUE = """query ($filter: AccessRequestFilter) { accessRequests(filter: $filter) {
  totalCount nodes { id status firstName lastName email role reason organizationName
    organizationType organization { name } location { level code }
    history { nodes { operation changes { field } } } } } }"""
APPROVE = """mutation ($id: ID!, $input: ApproveAccessInput!) {
  approveAccessRequest(id: $id, input: $input) {
    accessRequest { status role user { id role status } organization { name } decidedBy { id } }
    errors { field code message } } }"""
REFUSE = """mutation ($id: ID!, $reason: String!) {
  refuseAccessRequest(id: $id, reason: $reason) {
    accessRequest { status decisionReason } errors { field code message } } }"""
NODE = """query ($id: ID!) { node(id: $id) { ... on AccessRequest { email } } }"""
ME = "{ me { role user { id status } } }"


def asking(email: str, **changes: Any) -> dict[str, Any]:
    """A request for the intervener role in Toulouse, for a new association."""
    data = {
        "firstName": "Inès", "lastName": "Garcia", "email": email, "phone": "06 12 34 56 78",
        "position": "Médiatrice", "organizationName": "Médiation Garonne",
        "organizationType": "ASSOCIATION", "location": {"level": "COMMUNE", "code": "31555"},
        "reason": "Nous intervenons sur les terrains de Toulouse.",
    }  # fmt: skip
    return {"input": data | changes}


async def ask(hub: Hub, email: str, **changes: Any) -> dict[str, Any]:
    body = await graphql(hub.http, REQUEST, asking(email, **changes))
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["requestAccess"]
    return payload


async def queue(hub: Hub, who: str, **variables: Any) -> dict[str, Any]:
    body = await hub.ask(who, QUEUE, variables)
    assert "errors" not in body, body
    connection: dict[str, Any] = body["data"]["accessRequests"]
    return connection


async def test_a_person_unknown_to_the_hub_asks_anonymously(hub: Hub) -> None:
    before = (await AuditEntry.all().count(), await Event.all().count())
    payload = await ask(hub, "Ines.Garcia@Mediation.example")
    assert payload["errors"] == [] and payload["accessRequestId"]
    request = await AccessRequest.get(email="ines.garcia@mediation.example")
    assert request.status is AccessRequestStatus.PENDING
    assert (request.departement_code, request.commune_scope_code) == ("31", "31555")
    # Audited and announced, by no one signed in.
    assert (await AuditEntry.all().count(), await Event.all().count()) == (
        before[0] + 1, before[1] + 1,
    )  # fmt: skip
    entry = await AuditEntry.all().order_by("-id").first()
    assert entry is not None and (entry.operation, entry.user_id) == ("access.request", None)
    event = await Event.all().order_by("-id").first()
    assert event is not None and event.kind is EventKind.ACCESS_REQUESTED
    # Nothing of it is read back by the asker, nor by anyone but its deciders.
    assert set(payload) == {"accessRequestId", "errors"}
    for who in (None, "operator", "correspondent", "intervener"):
        body = await hub.ask(who, NODE, {"id": payload["accessRequestId"]})
        assert body["data"] == {"node": None} and error_codes(body) == ["NOT_FOUND"], who


async def test_every_input_is_checked_and_answered_field_by_field(hub: Hub) -> None:
    cases: list[tuple[dict[str, Any], set[tuple[str | None, str]]]] = [
        ({"firstName": " ", "lastName": "a\x00b"},
         {("input.firstName", "REQUIRED"), ("input.lastName", "INVALID")}),
        ({"email": "not-an-address"}, {("input.email", "INVALID")}),
        ({"reason": "x" * 2001}, {("input.reason", "TOO_LONG")}),
        ({"reason": "  "}, {("input.reason", "REQUIRED")}),
        ({"organizationId": to_base64("Organization", 1)},
         {("input.organizationId", "INVALID")}),
        ({"organizationName": None, "organizationType": None},
         {("input.organizationId", "INVALID")}),
        ({"organizationType": None}, {("input.organizationType", "REQUIRED")}),
        ({"location": {"level": "COMMUNE", "code": "99999"}}, {("input.location", "INVALID")}),
        ({"role": "NATIONAL_ADMIN"}, {("input.role", "FORBIDDEN")}),
    ]  # fmt: skip
    before = await AccessRequest.all().count()
    for position, (changes, expected) in enumerate(cases):
        email = changes.pop("email", f"checked.{position}@example.org")
        payload = await ask(hub, email, **changes)
        found = {(error["field"], error["code"]) for error in payload["errors"]}
        assert found == expected, (changes, payload)
        assert payload["accessRequestId"] is None
    assert await AccessRequest.all().count() == before


async def test_one_open_request_per_address_and_none_for_an_account(hub: Hub) -> None:
    assert (await ask(hub, "twice@example.org"))["errors"] == []
    again = await ask(hub, "TWICE@example.org")
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("input.email", "CONFLICT")]
    account = await ask(hub, "operator@demo.bidonvilles.example")
    assert [(e["field"], e["code"]) for e in account["errors"]] == [("input.email", "CONFLICT")]


async def test_requests_are_rate_limited_per_address(hub: Hub) -> None:
    # A hub of its own: a fresh address budget.
    app = create_app(hub.settings, manage_database=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.9", 4242)),
        base_url="http://hub.test",
    ) as http:
        answers = [
            (await graphql(http, REQUEST, asking(f"burst.{n}@example.org")))["data"]
            for n in range(6)
        ]
    assert [a["requestAccess"]["errors"] for a in answers[:5]] == [[]] * 5
    assert [e["code"] for e in answers[5]["requestAccess"]["errors"]] == ["FORBIDDEN"]
    assert "Too many requests for access" in answers[5]["requestAccess"]["errors"][0]["message"]


async def test_requests_are_rate_limited_per_email_address(hub: Hub) -> None:
    for attempt in range(3):
        asked = await ask(hub, "stubborn@example.org", reason=f"Essai {attempt}.")
        assert asked["errors"] == [], asked
        refused = await hub.call(
            "national_admin", REFUSE, {"id": asked["accessRequestId"], "reason": "Non."}
        )
        assert refused["errors"] == [], refused
    fourth = await ask(hub, "stubborn@example.org")
    assert [e["code"] for e in fourth["errors"]] == ["FORBIDDEN"]


async def test_the_queue_holds_what_each_decider_may_decide(hub: Hub) -> None:
    toulouse = (await ask(hub, "queue.toulouse@example.org"))["accessRequestId"]
    operator_role = (await ask(hub, "queue.operator@example.org", role="OPERATOR"))[
        "accessRequestId"
    ]
    gironde = (
        await ask(hub, "queue.gironde@example.org", location={"level": "DEPARTEMENT", "code": "33"})
    )["accessRequestId"]
    national = {node["id"] for node in (await queue(hub, "national_admin"))["nodes"]}
    assert {toulouse, operator_role, gironde} <= national
    # A local administrator of the Haute-Garonne gives the intervener role only, there.
    local = {node["id"] for node in (await queue(hub, "local_admin"))["nodes"]}
    assert toulouse in local and operator_role not in local and gironde not in local
    for who in ("correspondent", "operator", "national_actor"):
        assert (await queue(hub, who))["totalCount"] == 0, who
    shown = next(n for n in (await queue(hub, "local_admin"))["nodes"] if n["id"] == toulouse)
    assert shown["email"] == "queue.toulouse@example.org"
    assert shown["organizationName"] == "Médiation Garonne"
    assert shown["location"] == {"level": "COMMUNE", "code": "31555"}
    assert shown["history"]["nodes"][0]["operation"] == "CREATE"


async def test_a_local_administrator_approves_within_its_powers(hub: Hub) -> None:
    key = (await ask(hub, "approved@example.org"))["accessRequestId"]
    beyond = await hub.call("local_admin", APPROVE, {"id": key, "input": {"role": "OPERATOR"}})
    assert [(e["field"], e["code"]) for e in beyond["errors"]] == [("input.role", "FORBIDDEN")]
    elsewhere = {"role": "INTERVENER", "areas": [{"level": "DEPARTEMENT", "code": "33"}]}
    payload = await hub.call("local_admin", APPROVE, {"id": key, "input": elsewhere})
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("input.areas.0", "FORBIDDEN")]
    approved = await hub.call(
        "local_admin", APPROVE,
        {"id": key, "input": {"role": "INTERVENER",
                              "areas": [{"level": "COMMUNE", "code": "31555"}]}},
    )  # fmt: skip
    assert approved["errors"] == [], approved
    request = approved["accessRequest"]
    assert request["status"] == "APPROVED" and request["role"] == "INTERVENER"
    assert request["user"]["status"] == "PENDING" and request["user"]["role"] == "INTERVENER"
    assert request["organization"] == {"name": "Médiation Garonne"}
    user = await User.get(email="approved@example.org").select_related("organization")
    assert user.organization.name == "Médiation Garonne"
    assert user.organization.category is OrganizationCategory.ASSOCIATION
    assert (user.first_name, user.job_title, user.status) == (
        "Inès", "Médiatrice", UserStatus.PENDING,
    )  # fmt: skip
    # Decided once: the second decision is refused.
    again = await hub.call("national_admin", REFUSE, {"id": key, "reason": "Trop tard."})
    assert [e["code"] for e in again["errors"]] == ["CONFLICT"]
    history = await HistoryEntry.filter(subject_type="request").order_by("-id").first()
    assert history is not None and "status" in history.changes


async def test_a_refusal_says_why_and_frees_the_address(hub: Hub) -> None:
    key = (await ask(hub, "refused@example.org"))["accessRequestId"]
    empty = await hub.call("local_admin", REFUSE, {"id": key, "reason": " "})
    assert [(e["field"], e["code"]) for e in empty["errors"]] == [("reason", "REQUIRED")]
    refused = await hub.call("local_admin", REFUSE, {"id": key, "reason": "Hors périmètre."})
    assert refused["accessRequest"] == {"status": "REFUSED", "decisionReason": "Hors périmètre."}
    # The address may ask again once refused.
    assert (await ask(hub, "refused@example.org"))["errors"] == []
    operations = await AuditEntry.filter(subject_type="request").values_list("operation", flat=True)
    assert {"access.request", "access.refuse"} <= set(operations)


async def test_the_first_sign_in_of_an_approved_person_activates_the_account(hub: Hub) -> None:
    key = (await ask(hub, "first.sign-in@example.org"))["accessRequestId"]
    approved = await hub.call(
        "national_admin", APPROVE, {"id": key, "input": {"role": "INTERVENER"}}
    )
    assert approved["errors"] == [], approved
    token = hub.issuer.mint(
        "first-sign-in", "hub-cli", "openid", email="First.Sign-In@example.org",
        email_verified=True,
    )  # fmt: skip
    body = await graphql(hub.http, ME, token=token)
    assert body["data"]["me"]["role"] == "INTERVENER"
    assert body["data"]["me"]["user"]["status"] == "ACTIVE"
    user = await User.get(email="first.sign-in@example.org")
    assert user.status is UserStatus.ACTIVE
    entry = await AuditEntry.filter(operation="user.activate_on_sign_in").first()
    assert entry is not None and entry.user_id == user.id
    assert await Event.exists(kind=EventKind.USER_ACTIVATED, subject_id=user.id)


async def test_an_invited_account_still_waits_for_its_activation(hub: Hub) -> None:
    # Pending without an approved request (an invitation): the first sign-in is refused.
    organization = await Organization.get(name=PERSONA_ASSOCIATION)
    await User.create(
        organization=organization, first_name="Paul", last_name="Invité",
        email="invited@example.org", role=Role.INTERVENER, status=UserStatus.PENDING,
    )  # fmt: skip
    token = hub.issuer.mint(
        "invited", "hub-cli", "openid", email="invited@example.org", email_verified=True
    )
    response = await hub.http.post("/graphql", json={"query": ME}, headers=bearer(token))
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "ACCOUNT_PENDING"


def newcomer_token(hub: Hub, subject: str, **claims: Any) -> str:
    """A token of a person the hub does not know, signed in through a trusted provider."""
    return hub.issuer.mint(subject, "hub-cli", "openid email", **claims)


async def ask_signed_in(hub: Hub, token: str, **changes: Any) -> httpx.Response:
    variables = asking(changes.pop("email", ""), **changes)
    if not variables["input"]["email"]:
        del variables["input"]["email"]
    return await hub.http.post(
        "/graphql", json={"query": REQUEST, "variables": variables}, headers=bearer(token)
    )


def refused_as_unknown(response: httpx.Response) -> bool:
    body = response.json()
    return (
        response.status_code == 403
        and set(body) == {"errors"}
        and body["errors"][0]["extensions"]["code"] == "ACCOUNT_UNKNOWN"
        and "requestAccess" in body["errors"][0]["message"]
    )


async def test_a_person_signed_in_but_unknown_asks_with_the_verified_address(hub: Hub) -> None:
    token = newcomer_token(
        hub, "newcomer-1", email="Nadia.Belkacem@Asso.example", email_verified=True
    )
    # The address is taken from the token when left out.
    response = await ask_signed_in(hub, token)
    assert response.status_code == 200, response.text
    payload = response.json()["data"]["requestAccess"]
    assert payload["errors"] == [] and payload["accessRequestId"], payload
    request = await AccessRequest.get(email="nadia.belkacem@asso.example")
    assert (request.issuer, request.subject) == (hub.issuer.trusted.issuer, "newcomer-1")
    # Its deciders see that the person asked signed in, and with which provider.
    body = await hub.ask(
        "national_admin", "query ($id: ID!) { node(id: $id) { ... on AccessRequest { "
        "email signedInWith } } }", {"id": payload["accessRequestId"]},
    )  # fmt: skip
    assert body["data"]["node"] == {
        "email": "nadia.belkacem@asso.example", "signedInWith": hub.issuer.trusted.issuer,
    }  # fmt: skip
    # Audited, as an anonymous request is: nobody with an account asked.
    entry = await AuditEntry.filter(operation="access.request").order_by("-id").first()
    assert entry is not None and entry.subject_ids == [request.id] and entry.user_id is None


async def test_a_person_signed_in_but_unknown_may_do_nothing_else(hub: Hub) -> None:
    token = newcomer_token(hub, "newcomer-2", email="only.ask@example.org", email_verified=True)
    others = [
        ME,
        "query { __typename }",
        "{ territory(level: NATION) { name } }",
        # requestAccess beside something else, or behind a fragment, or twice-defined.
        REQUEST.replace("requestAccess(input: $input)", "me { role } requestAccess(input: $input)"),
        "mutation ($input: RequestAccessInput!) { ...Ask } fragment Ask on Mutation { "
        "requestAccess(input: $input) { accessRequestId } }",
        REQUEST + " query Other { me { role } }",
        'mutation { refuseAccessRequest(id: "QWNjZXNzUmVxdWVzdDox", reason: "x") { '
        "errors { code } } }",
    ]
    for query in others:
        response = await hub.http.post(
            "/graphql",
            json={"query": query, "variables": asking("only.ask@example.org")},
            headers=bearer(token),
        )
        assert refused_as_unknown(response), (query, response.text)
    # Nor by GET, nor in a batch, nor with a body that is not JSON.
    get = await hub.http.get("/graphql", params={"query": "{ me { role } }"}, headers=bearer(token))
    assert refused_as_unknown(get), get.text
    for content in (b"[]", b"not json", b'{"query": 1}'):
        response = await hub.http.post(
            "/graphql",
            content=content,
            headers={**bearer(token), "content-type": "application/json"},
        )
        assert refused_as_unknown(response), content
    assert not await AccessRequest.exists(email="only.ask@example.org")


async def test_a_signed_in_request_is_for_the_verified_address_only(hub: Hub) -> None:
    before = await AccessRequest.all().count()
    verified = newcomer_token(hub, "newcomer-3", email="mine@example.org", email_verified=True)
    other = await ask_signed_in(hub, verified, email="someone.else@example.org")
    errors = other.json()["data"]["requestAccess"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("input.email", "INVALID")]
    assert "mine@example.org" in errors[0]["message"]
    for claims in ({"email": "unverified@example.org", "email_verified": False}, {}):
        token = newcomer_token(hub, "newcomer-4", **claims)
        for changes in ({}, {"email": "unverified@example.org"}):
            response = await ask_signed_in(hub, token, **changes)
            errors = response.json()["data"]["requestAccess"]["errors"]
            assert [(e["field"], e["code"]) for e in errors] == [("input.email", "FORBIDDEN")]
            assert "verified" in errors[0]["message"]
    # Anonymous, the address is required.
    variables = asking("ignored@example.org")
    del variables["input"]["email"]
    body = await graphql(hub.http, REQUEST, variables)
    errors = body["data"]["requestAccess"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("input.email", "REQUIRED")]
    # The same address in another case is the verified one.
    same = await ask_signed_in(hub, verified, email="MINE@example.org")
    assert same.json()["data"]["requestAccess"]["errors"] == []
    assert await AccessRequest.all().count() == before + 1


async def test_the_approval_links_the_identity_that_asked(hub: Hub) -> None:
    asked = newcomer_token(hub, "newcomer-5", email="linked@example.org", email_verified=True)
    key = (await ask_signed_in(hub, asked)).json()["data"]["requestAccess"]["accessRequestId"]
    # Before the decision, the person is still unknown (and may only ask).
    assert refused_as_unknown(
        await hub.http.post("/graphql", json={"query": ME}, headers=bearer(asked))
    )
    approved = await hub.call(
        "national_admin", APPROVE, {"id": key, "input": {"role": "INTERVENER"}}
    )
    assert approved["errors"] == [], approved
    # The first sign-in of that identity, whatever address its token now carries (none
    # here), finds the account the approval created, links and activates it.
    token = newcomer_token(hub, "newcomer-5")
    body = await graphql(hub.http, ME, token=token)
    assert body["data"]["me"]["role"] == "INTERVENER", body
    assert body["data"]["me"]["user"]["status"] == "ACTIVE"
    user = await User.get(email="linked@example.org")
    assert await UserIdentity.exists(
        user_id=user.id, issuer=hub.issuer.trusted.issuer, subject="newcomer-5"
    )
    # Another identity without the verified address gets nothing of it.
    stranger = newcomer_token(hub, "newcomer-6", email="linked@example.org")
    response = await hub.http.post("/graphql", json={"query": ME}, headers=bearer(stranger))
    assert refused_as_unknown(response)
