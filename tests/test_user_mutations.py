"""User administration through HTTP with real tokens: invitations, activation, roles,
options and permission overrides, their policy, validation, atomicity and audit, and their
effect on the affected user's next request. The module has a demo database of its own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from strawberry.relay import to_base64

from hub.demo.reference import DDETS_31, LOGEMENT_MINISTRY, PERSONA_ASSOCIATION, RESEARCH_LAB
from hub.models import AuditEntry, Organization, PermissionOverride, Site, User
from hub.models.enums import (
    AuditKind,
    LocationLevel,
    OrganizationCategory,
    OrganizationType,
    Role,
    SiteStatus,
    UserStatus,
)
from hub.settings import Settings
from resolvers.organizations import mutations as user_mutations
from resolvers.writes import ErrorCode, Refused
from tests import support
from tests.support import bearer, graphql

DOMAIN = "demo.bidonvilles.example"
USER_FIELDS = "id firstName lastName email phone jobTitle role status options organization { id }"
PAYLOAD = f"user {{ {USER_FIELDS} }} errors {{ field code message }}"
INVITE = f"mutation ($input: InviteUserInput!) {{ inviteUser(input: $input) {{ {PAYLOAD} }} }}"
ACTIVATE = f"mutation ($id: ID!) {{ activateUser(id: $id) {{ {PAYLOAD} }} }}"
DEACTIVATE = f"mutation ($id: ID!) {{ deactivateUser(id: $id) {{ {PAYLOAD} }} }}"
CHANGE_ROLE = f"""mutation ($id: ID!, $role: Role!) {{
  changeUserRole(id: $id, role: $role) {{ {PAYLOAD} }} }}"""
SET_OPTIONS = f"""mutation ($id: ID!, $options: [UserOption!]!) {{
  setUserOptions(id: $id, options: $options) {{ {PAYLOAD} }} }}"""
OVERRIDE = """mutation ($capability: Capability!, $level: PermissionLevel,
                        $organizationId: ID, $userId: ID) {
  setPermissionOverride(capability: $capability, level: $level,
                        organizationId: $organizationId, userId: $userId) {
    capability level organization { id } user { id } errors { field code message } } }"""
# The same, with the level left out altogether.
OVERRIDE_NO_LEVEL = """mutation ($userId: ID) {
  setPermissionOverride(capability: SITE_READ, userId: $userId) {
    capability level errors { field code message } } }"""
ME = "{ me { role options permissions { capability level } } }"
LEGAL = "query ($id: ID!) { site(id: $id) { legalProcedures { justiceProcedure } } }"


class Hub(support.Hub):
    """With what these tests ask of a user's next request."""

    async def me(self, who: str) -> dict[str, Any]:
        """The caller as its next request sees it (no principal is cached in tests)."""
        body = await graphql(self.http, ME, token=await self.token(who))
        me: dict[str, Any] = body["data"]["me"]
        return me

    async def levels(self, who: str) -> dict[str, str]:
        return {p["capability"]: p["level"] for p in (await self.me(who))["permissions"]}

    async def status_of_request(self, who: str) -> tuple[int, str | None]:
        """The HTTP status of a request with the user's token, and the refusal's code."""
        response = await self.http.post(
            "/graphql", json={"query": "{ me { role } }"}, headers=bearer(await self.token(who))
        )
        if response.status_code == 200:
            return 200, None
        return response.status_code, response.json()["errors"][0]["extensions"]["code"]


def gid(type_name: str, key: int) -> str:
    return to_base64(type_name, key)


async def persona(name: str) -> User:
    return await User.get(email=f"{name}@{DOMAIN}")


async def organization(name: str) -> Organization:
    return await Organization.get(name=name)


async def _trace() -> tuple[Any, ...]:
    users = await User.all().order_by("id").values_list("id", "email", "role", "status", "options")
    overrides = (
        await PermissionOverride.all()
        .order_by("id")
        .values_list("organization_id", "user_id", "capability", "level")
    )
    return tuple(users), tuple(overrides), await AuditEntry.all().count()


@pytest.fixture
async def unchanged() -> AsyncIterator[None]:
    """Asserts that the test wrote nothing at all: no user, status, role, option, override,
    nor audit entry."""
    before = await _trace()
    yield
    assert await _trace() == before


@pytest.fixture
async def colleague(own_database: Settings) -> AsyncIterator[User]:
    """Another local administrator of the DDETS 31: an administrator in the local
    administrator persona's territory."""
    ddets = await organization(DDETS_31)
    user = await User.create(
        organization=ddets, first_name="Anne", last_name="Collègue", email=f"colleague@{DOMAIN}",
        role=Role.LOCAL_ADMIN, status=UserStatus.ACTIVE,
    )  # fmt: skip
    yield user
    await AuditEntry.filter(subject_type="user", subject_ids=[user.id]).delete()
    await user.delete()


@pytest.fixture
async def dissolved(own_database: Settings) -> AsyncIterator[Organization]:
    """A deactivated association of Haute-Garonne."""
    org = await Organization.create(
        name="Association dissoute", category=OrganizationCategory.ASSOCIATION,
        type=OrganizationType.ASSOCIATION, location_level=LocationLevel.DEPARTEMENT,
        location_code="31", active=False,
    )  # fmt: skip
    yield org
    await org.delete()


def invitation(organization_id: int, **changes: Any) -> dict[str, Any]:
    data = {
        "organizationId": gid("Organization", organization_id),
        "email": "nouvelle.intervenante@asso.example",
        "firstName": "Inès",
        "lastName": "Moreau",
        "role": "INTERVENER",
        "phone": "05 61 00 00 00",
        "jobTitle": "Médiatrice",
    }
    return data | changes


async def audit_of(operation: str, subject_id: int, subject_type: str = "user") -> AuditEntry:
    entry = (
        await AuditEntry.filter(
            operation=operation, subject_type=subject_type, subject_ids=[subject_id]
        )
        .order_by("-id")
        .first()
    )
    assert entry is not None, (operation, subject_id)
    return entry


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


# Invitations and activation


async def test_an_invited_user_is_pending_until_activated(hub: Hub) -> None:
    association = await organization(PERSONA_ASSOCIATION)
    data = invitation(association.id, email="  Camille.Roux@asso.example ", role="OPERATOR")
    payload = await hub.call("national_admin", INVITE, {"input": data})
    assert payload["errors"] == []
    invited = payload["user"]
    assert invited | {"id": None} == {
        "id": None, "firstName": "Inès", "lastName": "Moreau", "email": "Camille.Roux@asso.example",
        "phone": "05 61 00 00 00", "jobTitle": "Médiatrice", "role": "OPERATOR",
        "status": "PENDING", "options": [],
        "organization": {"id": gid("Organization", association.id)},
    }  # fmt: skip
    user = await User.get(email="Camille.Roux@asso.example")
    assert invited["id"] == gid("User", user.id)
    admin = await persona("national_admin")
    entry = await audit_of("user.invite", user.id)
    assert entry.kind == AuditKind.WRITE and entry.user_id == admin.id
    # A user stands where its organization has its home: Toulouse, in the 31.
    assert (entry.departement_code, entry.commune_scope_code) == ("31", "31555")
    # Pending: the person is told to wait; once activated, signed in with its own role.
    assert await hub.status_of_request(user.email) == (403, "ACCOUNT_PENDING")
    activated = await hub.call("national_admin", ACTIVATE, {"id": gid("User", user.id)})
    assert activated["errors"] == [] and activated["user"]["status"] == "ACTIVE"
    assert (await audit_of("user.activate", user.id)).user_id == admin.id
    assert await hub.status_of_request(user.email) == (200, None)
    assert (await hub.me(user.email))["role"] == "OPERATOR"
    # The address is taken now, whatever its case.
    again = await hub.call(
        "national_admin", INVITE, {"input": data | {"email": "camille.roux@ASSO.example"}}
    )
    assert codes(again) == [("input.email", "INVALID")]
    assert "already used" in again["errors"][0]["message"]


async def test_a_local_administrator_invites_interveners_of_its_departement(hub: Hub) -> None:
    association = await organization(PERSONA_ASSOCIATION)
    data = invitation(association.id, email="intervenant.31@asso.example", phone=" ", jobTitle="")
    payload = await hub.call("local_admin", INVITE, {"input": data})
    assert payload["errors"] == []
    assert payload["user"]["role"] == "INTERVENER" and payload["user"]["status"] == "PENDING"
    # Personal data is readable where the local administrator holds user.read; blanks are null.
    assert payload["user"]["email"] == "intervenant.31@asso.example"
    assert payload["user"]["phone"] is None and payload["user"]["jobTitle"] is None
    user = await User.get(email="intervenant.31@asso.example")
    entry = await audit_of("user.invite", user.id)
    assert entry.user_id == (await persona("local_admin")).id
    activated = await hub.call("local_admin", ACTIVATE, {"id": gid("User", user.id)})
    assert activated["user"]["status"] == "ACTIVE"


@pytest.mark.parametrize(
    ("who", "where", "role", "message"),
    [
        ("operator", PERSONA_ASSOCIATION, "INTERVENER", "needs user.manage here"),
        ("correspondent", PERSONA_ASSOCIATION, "INTERVENER", "needs user.manage here"),
        ("intervener", PERSONA_ASSOCIATION, "INTERVENER", "needs user.manage here"),
        ("local_admin", PERSONA_ASSOCIATION, "CORRESPONDENT", "only give the intervener role"),
        ("local_admin", PERSONA_ASSOCIATION, "OPERATOR", "only give the intervener role"),
        ("local_admin", DDETS_31, "LOCAL_ADMIN", "only give the intervener role"),
        ("local_admin", PERSONA_ASSOCIATION, "NATIONAL_ADMIN", "only give the intervener role"),
        ("local_admin", RESEARCH_LAB, "INTERVENER", "needs user.manage here"),  # in the 33
        ("local_admin", LOGEMENT_MINISTRY, "INTERVENER", "needs user.manage here"),  # national
        # Checked first: the application's role holds user.manage nowhere.
        ("demo-association-app", PERSONA_ASSOCIATION, "INTERVENER", "needs user.manage"),
        ("demo-commune-app", PERSONA_ASSOCIATION, "INTERVENER", "does not grant hub:write"),
        (None, PERSONA_ASSOCIATION, "INTERVENER", "Sign in to write"),
    ],
)
async def test_inviting_is_refused_outside_the_policy(
    hub: Hub, unchanged: None, who: str | None, where: str, role: str, message: str
) -> None:
    data = invitation((await organization(where)).id, role=role)
    payload = await hub.call(who, INVITE, {"input": data})
    assert payload["user"] is None
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"], payload
    assert message in payload["errors"][0]["message"]


async def test_partner_applications_never_manage_users_even_if_granted(
    hub: Hub, unchanged: None
) -> None:
    # An organization override reaches the organization's applications too.
    association = await organization(PERSONA_ASSOCIATION)
    override = await PermissionOverride.create(
        organization=association, capability="user.manage", level="N"
    )
    try:
        assert (await hub.levels("operator"))["USER_MANAGE"] == "NATION"
        target = {"id": gid("User", (await persona("intervener")).id)}
        for query, variables in [
            (INVITE, {"input": invitation(association.id)}),
            (DEACTIVATE, target),
            (SET_OPTIONS, target | {"options": ["LEGAL_ACCESS"]}),
        ]:
            payload = await hub.call("demo-association-app", query, variables)
            assert codes(payload) == [(None, "FORBIDDEN")]
            assert "partner applications" in payload["errors"][0]["message"]
    finally:
        await override.delete()


INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({"email": "sans-arobase.example"}, "input.email", "INVALID"),
    ({"email": "a@localhost"}, "input.email", "INVALID"),
    ({"email": "a@b@asso.example"}, "input.email", "INVALID"),
    ({"email": "@asso.example"}, "input.email", "INVALID"),
    ({"email": "a@.example"}, "input.email", "INVALID"),
    ({"email": "a@asso."}, "input.email", "INVALID"),
    ({"email": "pré nom@asso.example"}, "input.email", "INVALID"),
    ({"email": "a\x00b@asso.example"}, "input.email", "INVALID"),
    ({"email": "a" * 245 + "@asso.example"}, "input.email", "TOO_LONG"),
    ({"email": "   "}, "input.email", "REQUIRED"),
    ({"email": f"OPERATOR@{DOMAIN.upper()}"}, "input.email", "INVALID"),  # already used
    ({"firstName": ""}, "input.firstName", "REQUIRED"),
    ({"firstName": "  "}, "input.firstName", "REQUIRED"),
    ({"firstName": "x" * 101}, "input.firstName", "TOO_LONG"),
    ({"firstName": "In\x00ès"}, "input.firstName", "INVALID"),
    ({"lastName": ""}, "input.lastName", "REQUIRED"),
    ({"lastName": "x" * 101}, "input.lastName", "TOO_LONG"),
    ({"phone": "0" * 31}, "input.phone", "TOO_LONG"),
    ({"jobTitle": "x" * 151}, "input.jobTitle", "TOO_LONG"),
    ({"organizationId": to_base64("Organization", 999_999)}, "input.organizationId",
     "NOT_FOUND"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "field", "code"), INVALID, ids=lambda v: str(v)[:40])
async def test_each_invitation_rule_refuses_and_writes_nothing(
    hub: Hub, unchanged: None, change: dict[str, Any], field: str, code: str
) -> None:
    data = invitation((await organization(PERSONA_ASSOCIATION)).id, **change)
    payload = await hub.call("national_admin", INVITE, {"input": data})
    assert payload["user"] is None
    assert codes(payload) == [(field, code)], payload


async def test_several_problems_are_answered_together(hub: Hub, unchanged: None) -> None:
    data = invitation(
        (await organization(PERSONA_ASSOCIATION)).id, email="x", firstName="", phone="0" * 40
    )
    payload = await hub.call("national_admin", INVITE, {"input": data})
    assert codes(payload) == [
        ("input.email", "INVALID"), ("input.firstName", "REQUIRED"), ("input.phone", "TOO_LONG"),
    ]  # fmt: skip


async def test_users_are_invited_into_active_organizations_only(
    hub: Hub, dissolved: Organization, unchanged: None
) -> None:
    payload = await hub.call("national_admin", INVITE, {"input": invitation(dissolved.id)})
    assert codes(payload) == [("input.organizationId", "INVALID")]
    # The local administrator of the 31 may manage it, and is told the same.
    payload = await hub.call("local_admin", INVITE, {"input": invitation(dissolved.id)})
    assert codes(payload) == [("input.organizationId", "INVALID")]


async def test_two_invitations_of_one_address_at_once_one_wins(hub: Hub) -> None:
    association = await organization(PERSONA_ASSOCIATION)
    data = invitation(association.id, email="en.meme.temps@asso.example")
    results = await asyncio.gather(
        hub.call("national_admin", INVITE, {"input": data}),
        hub.call("local_admin", INVITE, {"input": data}),
    )
    assert sorted(len(result["errors"]) for result in results) == [0, 1]
    (loser,) = [result for result in results if result["errors"]]
    assert codes(loser) == [("input.email", "INVALID")]
    assert await User.filter(email="en.meme.temps@asso.example").count() == 1


async def test_the_unique_address_is_kept_by_the_database_too(
    hub: Hub, unchanged: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another invitation got in between this one's check and its insert.
    async def not_yet(_: str) -> bool:
        return False

    monkeypatch.setattr(user_mutations, "_email_used", not_yet)
    data = invitation((await organization(PERSONA_ASSOCIATION)).id, email=f"operator@{DOMAIN}")
    payload = await hub.call("national_admin", INVITE, {"input": data})
    assert payload["user"] is None and codes(payload) == [("input.email", "INVALID")]
    assert "already used" in payload["errors"][0]["message"]


async def test_a_change_is_written_only_if_the_user_is_still_as_checked(
    unchanged: None,
) -> None:
    # Someone changed the user between this mutation's checks and its write.
    operator = await persona("operator")
    with pytest.raises(Refused) as refused:
        await user_mutations._update(
            operator, {"status": UserStatus.PENDING}, {"status": UserStatus.ACTIVE}
        )
    assert refused.value.errors[0].code == ErrorCode.CONFLICT


async def test_two_invitations_of_one_address_in_different_cases_at_once_one_wins(
    hub: Hub,
) -> None:
    association = await organization(PERSONA_ASSOCIATION)
    results = await asyncio.gather(
        *(
            hub.call("national_admin", INVITE, {"input": invitation(association.id, email=email)})
            for email in ("Casse.Double@asso.example", "casse.double@ASSO.EXAMPLE")
        )
    )
    (winner,) = [result for result in results if not result["errors"]]
    (loser,) = [result for result in results if result["errors"]]
    assert winner["user"] is not None and loser["user"] is None
    assert codes(loser) == [("input.email", "INVALID")]
    assert "already used" in loser["errors"][0]["message"]
    assert await User.filter(email__iexact="casse.double@asso.example").count() == 1


async def test_the_database_keeps_addresses_unique_whatever_their_case(
    hub: Hub, unchanged: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another invitation got in between this one's check and its insert, in another case.
    async def not_yet(_: str) -> bool:
        return False

    monkeypatch.setattr(user_mutations, "_email_used", not_yet)
    data = invitation(
        (await organization(PERSONA_ASSOCIATION)).id, email=f"Operator@{DOMAIN.upper()}"
    )
    payload = await hub.call("national_admin", INVITE, {"input": data})
    assert payload["user"] is None and codes(payload) == [("input.email", "INVALID")]
    assert "already used" in payload["errors"][0]["message"]


# Activation, deactivation


async def test_a_deactivated_user_is_refused_from_its_next_request(hub: Hub) -> None:
    operator = await persona("operator")
    assert await hub.status_of_request(operator.email) == (200, None)
    done = await hub.call("national_admin", DEACTIVATE, {"id": gid("User", operator.id)})
    try:
        assert done["errors"] == [] and done["user"]["status"] == "INACTIVE"
        assert (await User.get(id=operator.id)).status == UserStatus.INACTIVE
        entry = await audit_of("user.deactivate", operator.id)
        assert entry.departement_code == "31"
        assert await hub.status_of_request(operator.email) == (403, "ACCOUNT_DEACTIVATED")
        again = await hub.call("national_admin", DEACTIVATE, {"id": gid("User", operator.id)})
        assert codes(again) == [("id", "INVALID")]
        assert "deactivated already" in again["errors"][0]["message"]
    finally:
        back = await hub.call("national_admin", ACTIVATE, {"id": gid("User", operator.id)})
    assert back["errors"] == [] and back["user"]["status"] == "ACTIVE"
    assert await hub.status_of_request(operator.email) == (200, None)


async def test_a_pending_user_can_be_turned_down(hub: Hub) -> None:
    association = await organization(PERSONA_ASSOCIATION)
    data = invitation(association.id, email="refus@asso.example")
    invited = await hub.call("local_admin", INVITE, {"input": data})
    user_id = invited["user"]["id"]
    turned_down = await hub.call("local_admin", DEACTIVATE, {"id": user_id})
    assert turned_down["errors"] == [] and turned_down["user"]["status"] == "INACTIVE"
    assert await hub.status_of_request("refus@asso.example") == (403, "ACCOUNT_DEACTIVATED")


@pytest.mark.parametrize(
    ("who", "query", "target", "expected", "message"),
    [
        ("national_admin", ACTIVATE, "operator", ("id", "INVALID"), "active already"),
        ("national_admin", DEACTIVATE, "national_admin", ("id", "INVALID"), "yourself"),
        ("local_admin", DEACTIVATE, "local_admin", ("id", "FORBIDDEN"), "intervener accounts"),
        ("local_admin", DEACTIVATE, "colleague", ("id", "FORBIDDEN"), "intervener accounts"),
        ("local_admin", ACTIVATE, "colleague", ("id", "FORBIDDEN"), "intervener accounts"),
        ("local_admin", DEACTIVATE, "national_admin", (None, "FORBIDDEN"), "user.manage"),
        ("local_admin", DEACTIVATE, "external_observer", (None, "FORBIDDEN"), "user.manage"),
        ("correspondent", DEACTIVATE, "intervener", (None, "FORBIDDEN"), "user.manage"),
        ("operator", DEACTIVATE, "intervener", (None, "FORBIDDEN"), "user.manage"),
    ],
)
async def test_status_changes_are_refused_outside_the_rules(
    hub: Hub,
    colleague: User,
    unchanged: None,
    who: str,
    query: str,
    target: str,
    expected: tuple[str | None, str],
    message: str,
) -> None:
    user = colleague if target == "colleague" else await persona(target)
    payload = await hub.call(who, query, {"id": gid("User", user.id)})
    assert payload["user"] is None
    assert codes(payload) == [expected] and message in payload["errors"][0]["message"]


async def test_a_missing_user_is_not_found(hub: Hub, unchanged: None) -> None:
    missing = {"id": gid("User", 999_999)}
    for query, variables in [
        (ACTIVATE, missing),
        (DEACTIVATE, missing),
        (CHANGE_ROLE, missing | {"role": "INTERVENER"}),
        (SET_OPTIONS, missing | {"options": []}),
    ]:
        payload = await hub.call("national_admin", query, variables)
        assert payload["errors"] == [
            {"field": "id", "code": "NOT_FOUND", "message": "No user with this ID."}
        ]


async def test_an_id_of_another_type_is_a_bad_input(hub: Hub, unchanged: None) -> None:
    body = await graphql(
        hub.http, ACTIVATE, {"id": gid("Site", 1)}, token=await hub.token("national_admin")
    )
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# Roles


async def test_a_role_change_applies_from_the_next_request(hub: Hub) -> None:
    intervener = await persona("intervener")
    assert (await hub.me(intervener.email))["role"] == "INTERVENER"
    variables = {"id": gid("User", intervener.id), "role": "OPERATOR"}
    changed = await hub.call("national_admin", CHANGE_ROLE, variables)
    try:
        assert changed["errors"] == [] and changed["user"]["role"] == "OPERATOR"
        assert (await hub.me(intervener.email))["role"] == "OPERATOR"
        entry = await audit_of("user.change_role", intervener.id)
        assert entry.user_id == (await persona("national_admin")).id
        # An operator now: no longer a local administrator's to manage, even to give back
        # the intervener role.
        back = await hub.call("local_admin", CHANGE_ROLE, variables | {"role": "INTERVENER"})
        assert codes(back) == [("id", "FORBIDDEN")]
        assert (await hub.me(intervener.email))["role"] == "OPERATOR"
    finally:
        await User.filter(id=intervener.id).update(role=Role.INTERVENER)
    assert (await hub.me(intervener.email))["role"] == "INTERVENER"


@pytest.mark.parametrize(
    ("who", "target", "role", "expected", "message"),
    [
        ("national_admin", "national_admin", "OPERATOR", ("id", "INVALID"), "your own role"),
        ("local_admin", "local_admin", "INTERVENER", ("id", "FORBIDDEN"), "intervener accounts"),
        ("local_admin", "intervener", "CORRESPONDENT", ("role", "FORBIDDEN"), "intervener role"),
        ("local_admin", "intervener", "LOCAL_ADMIN", ("role", "FORBIDDEN"), "intervener role"),
        ("local_admin", "operator", "INTERVENER", ("id", "FORBIDDEN"), "intervener accounts"),
        ("local_admin", "colleague", "INTERVENER", ("id", "FORBIDDEN"), "intervener accounts"),
        ("local_admin", "external_observer", "INTERVENER", (None, "FORBIDDEN"), "user.manage"),
        ("correspondent", "intervener", "INTERVENER", (None, "FORBIDDEN"), "user.manage"),
    ],
)
async def test_role_changes_are_refused_outside_the_rules(
    hub: Hub,
    colleague: User,
    unchanged: None,
    who: str,
    target: str,
    role: str,
    expected: tuple[str | None, str],
    message: str,
) -> None:
    user = colleague if target == "colleague" else await persona(target)
    payload = await hub.call(who, CHANGE_ROLE, {"id": gid("User", user.id), "role": role})
    assert payload["user"] is None
    assert codes(payload) == [expected] and message in payload["errors"][0]["message"]


async def test_a_national_administrator_manages_administrators(hub: Hub, colleague: User) -> None:
    target = {"id": gid("User", colleague.id)}
    demoted = await hub.call("national_admin", CHANGE_ROLE, target | {"role": "CORRESPONDENT"})
    assert demoted["errors"] == [] and demoted["user"]["role"] == "CORRESPONDENT"
    promoted = await hub.call("national_admin", CHANGE_ROLE, target | {"role": "LOCAL_ADMIN"})
    assert promoted["user"]["role"] == "LOCAL_ADMIN"
    off = await hub.call("national_admin", DEACTIVATE, target)
    assert off["user"]["status"] == "INACTIVE"
    on = await hub.call("national_admin", ACTIVATE, target)
    assert on["user"]["status"] == "ACTIVE"
    options = await hub.call("national_admin", SET_OPTIONS, target | {"options": ["LEGAL_ACCESS"]})
    assert options["user"]["options"] == ["LEGAL_ACCESS"]
    writes = AuditEntry.filter(
        kind=AuditKind.WRITE, subject_type="user", subject_ids=[colleague.id]
    )
    assert await writes.order_by("id").values_list("operation", flat=True) == [
        "user.change_role", "user.change_role", "user.deactivate", "user.activate",
        "user.set_options",
    ]  # fmt: skip


# A local administrator manages intervener accounts only


@pytest.fixture
async def member(own_database: Settings) -> AsyncIterator[Callable[..., Awaitable[User]]]:
    """Makes users of the persona association (in the local administrator's département);
    deletes them, and any user invited meanwhile, afterwards."""
    association = await organization(PERSONA_ASSOCIATION)
    before = set(await User.all().values_list("id", flat=True))

    async def make(role: Role, status: UserStatus = UserStatus.ACTIVE) -> User:
        count = await User.all().count()
        return await User.create(
            organization=association, first_name="Membre", last_name=role.value, role=role,
            email=f"membre.{count}@asso.example", status=status,
        )  # fmt: skip

    yield make
    await User.filter(id__not_in=before).delete()


MANAGING = ["invite", "activate", "deactivate", "set_options", "change_role_from", "change_role_to"]


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
@pytest.mark.parametrize("mutation", MANAGING)
async def test_a_local_administrator_manages_intervener_accounts_only(
    hub: Hub, member: Callable[..., Awaitable[User]], mutation: str, role: Role
) -> None:
    """Each user management mutation, on a user of each role in the local administrator's
    département (change_role_from: from that role to intervener; change_role_to: from
    intervener to that role): allowed for intervener accounts only, before and after."""
    association = await organization(PERSONA_ASSOCIATION)
    if mutation == "invite":
        query, variables = INVITE, {"input": invitation(association.id, role=role.name)}
    elif mutation == "change_role_to":
        target = await member(Role.INTERVENER)
        query, variables = CHANGE_ROLE, {"id": gid("User", target.id), "role": role.name}
    else:
        status = UserStatus.PENDING if mutation == "activate" else UserStatus.ACTIVE
        target = await member(role, status)
        query, variables = {
            "activate": (ACTIVATE, {}),
            "deactivate": (DEACTIVATE, {}),
            "set_options": (SET_OPTIONS, {"options": ["LEGAL_ACCESS", "FINANCE_ACCESS"]}),
            "change_role_from": (CHANGE_ROLE, {"role": "INTERVENER"}),
        }[mutation]
        variables |= {"id": gid("User", target.id)}
    before = await _trace()
    payload = await hub.call("local_admin", query, variables)
    if role is Role.INTERVENER:
        assert payload["errors"] == [] and payload["user"]["role"] == "INTERVENER"
        assert await _trace() != before
        return
    field = {"invite": "input.role", "change_role_to": "role"}.get(mutation, "id")
    assert payload["user"] is None and codes(payload) == [(field, "FORBIDDEN")], payload
    assert await _trace() == before
    # It is the national administrators' to do.
    done = await hub.call("national_admin", query, variables)
    assert done["errors"] == [] and done["user"] is not None


# Options


async def _legal_site() -> Site:
    site = await Site.filter(departement_code="31", status=SiteStatus.OPEN).order_by("id").first()
    assert site is not None
    return site


async def test_options_replace_the_current_ones_and_change_what_the_user_reads(
    hub: Hub,
) -> None:
    intervener = await persona("intervener")
    site = {"id": gid("Site", (await _legal_site()).id)}

    async def reads_legal() -> bool:
        body = await graphql(hub.http, LEGAL, site, token=await hub.token(intervener.email))
        return body["data"]["site"]["legalProcedures"] is not None

    assert not await reads_legal()
    target = {"id": gid("User", intervener.id)}
    options = ["CREATE_SITES", "LEGAL_ACCESS", "CREATE_SITES"]
    granted = await hub.call("local_admin", SET_OPTIONS, target | {"options": options})
    try:
        assert granted["errors"] == []
        # Once each, in a stable order.
        assert granted["user"]["options"] == ["LEGAL_ACCESS", "CREATE_SITES"]
        assert (await User.get(id=intervener.id)).options == ["legal_access", "create_sites"]
        assert await reads_legal()
        options_now = (await hub.me(intervener.email))["options"]
        assert sorted(options_now) == ["CREATE_SITES", "LEGAL_ACCESS"]
        entry = await audit_of("user.set_options", intervener.id)
        assert entry.user_id == (await persona("local_admin")).id
        cleared = await hub.call("local_admin", SET_OPTIONS, target | {"options": []})
        assert cleared["errors"] == [] and cleared["user"]["options"] == []
        assert not await reads_legal()
    finally:
        await User.filter(id=intervener.id).update(options=[])


@pytest.mark.parametrize(
    ("who", "target", "expected"),
    [
        ("local_admin", "colleague", ("id", "FORBIDDEN")),
        ("local_admin", "local_admin", ("id", "FORBIDDEN")),
        ("local_admin", "external_observer", (None, "FORBIDDEN")),
        ("correspondent", "operator", (None, "FORBIDDEN")),
        ("operator", "operator", (None, "FORBIDDEN")),
    ],
)
async def test_options_are_refused_outside_the_rules(
    hub: Hub,
    colleague: User,
    unchanged: None,
    who: str,
    target: str,
    expected: tuple[str | None, str],
) -> None:
    user = colleague if target == "colleague" else await persona(target)
    variables = {"id": gid("User", user.id), "options": ["LEGAL_ACCESS"]}
    payload = await hub.call(who, SET_OPTIONS, variables)
    assert payload["user"] is None and codes(payload) == [expected]


async def test_only_known_options_are_accepted(hub: Hub, unchanged: None) -> None:
    operator = await persona("operator")
    body = await graphql(
        hub.http,
        SET_OPTIONS,
        {"id": gid("User", operator.id), "options": ["LEGAL_ACCESS", "ADMIN_EVERYWHERE"]},
        token=await hub.token("national_admin"),
    )
    assert body.get("data") is None and "ADMIN_EVERYWHERE" in body["errors"][0]["message"]


# Permission overrides


async def test_a_user_override_is_set_then_removed(hub: Hub) -> None:
    operator = await persona("operator")
    assert (await hub.levels(operator.email))["SITE_LEGAL_READ"] == "NEVER"
    variables = {"capability": "SITE_LEGAL_READ", "userId": gid("User", operator.id)}
    done = await hub.call("national_admin", OVERRIDE, variables | {"level": "DEPARTEMENT"})
    try:
        assert done == {
            "capability": "SITE_LEGAL_READ", "level": "DEPARTEMENT", "organization": None,
            "user": {"id": gid("User", operator.id)}, "errors": [],
        }  # fmt: skip
        assert (await hub.levels(operator.email))["SITE_LEGAL_READ"] == "DEPARTEMENT"
        body = await graphql(
            hub.http, LEGAL, {"id": gid("Site", (await _legal_site()).id)},
            token=await hub.token(operator.email),
        )  # fmt: skip
        assert body["data"]["site"]["legalProcedures"] is not None
        entry = await audit_of("permission_override.set", operator.id)
        assert entry.departement_code == "31"
        # Setting it again changes the level in place.
        narrowed = await hub.call("national_admin", OVERRIDE, variables | {"level": "AREA"})
        assert narrowed["level"] == "AREA"
        assert await PermissionOverride.filter(user_id=operator.id).count() == 1
        assert (await hub.levels(operator.email))["SITE_LEGAL_READ"] == "AREA"
    finally:
        removed = await hub.call("national_admin", OVERRIDE, variables | {"level": None})
    assert removed["errors"] == [] and removed["level"] is None
    assert removed["user"] == {"id": gid("User", operator.id)}
    assert not await PermissionOverride.filter(user_id=operator.id).exists()
    assert (await hub.levels(operator.email))["SITE_LEGAL_READ"] == "NEVER"
    assert await audit_of("permission_override.remove", operator.id)


async def test_an_organization_override_reaches_its_members(hub: Hub) -> None:
    association = await organization(PERSONA_ASSOCIATION)
    variables = {"capability": "SITE_CREATE", "organizationId": gid("Organization", association.id)}
    assert (await hub.levels("operator"))["SITE_CREATE"] == "NEVER"  # opt, without the option
    done = await hub.call("national_admin", OVERRIDE, variables | {"level": "AREA"})
    try:
        assert done["errors"] == [] and done["level"] == "AREA" and done["user"] is None
        assert done["organization"] == {"id": gid("Organization", association.id)}
        assert (await hub.levels("operator"))["SITE_CREATE"] == "AREA"
        assert (await hub.levels("intervener"))["SITE_CREATE"] == "AREA"
        entry = await audit_of("permission_override.set", association.id, "organization")
        assert entry.departement_code == "31"
    finally:
        removed = await hub.call("national_admin", OVERRIDE, variables | {"level": None})
    assert removed["errors"] == [] and removed["organization"] is not None
    assert (await hub.levels("operator"))["SITE_CREATE"] == "NEVER"
    assert await audit_of("permission_override.remove", association.id, "organization")


@pytest.mark.parametrize(
    ("who", "variables", "expected", "message"),
    [
        ("local_admin", {"level": "NATION"}, (None, "FORBIDDEN"), "national administrators"),
        ("correspondent", {"level": "NATION"}, (None, "FORBIDDEN"), "needs user.manage"),
        ("demo-association-app", {"level": "NATION"}, (None, "FORBIDDEN"), "needs user.manage"),
        ("national_admin", {"level": "NATION", "organizationId": "association"},
         (None, "INVALID"), "exactly one"),
        ("national_admin", {"level": "NATION", "userId": None}, (None, "INVALID"), "exactly one"),
        ("national_admin", {"capability": "SITE_READ", "level": "OPTION"}, ("level", "INVALID"),
         "No per-user option"),
        ("national_admin", {"capability": "SITE_READ", "level": "OWN"}, ("level", "INVALID"),
         "own applies only"),
        ("national_admin", {"capability": "SITE_CREATE", "level": "DEPARTEMENT"},
         ("level", "INVALID"), "writes never widen"),
        ("national_admin", {"level": "NATION", "userId": to_base64("User", 999_999)},
         ("userId", "NOT_FOUND"), "No user"),
        ("national_admin", {"level": "NATION", "userId": None,
                            "organizationId": to_base64("Organization", 999_999)},
         ("organizationId", "NOT_FOUND"), "No organization"),
    ],
)  # fmt: skip
async def test_overrides_are_refused_outside_the_rules(
    hub: Hub,
    unchanged: None,
    who: str,
    variables: dict[str, Any],
    expected: tuple[str | None, str],
    message: str,
) -> None:
    association = await organization(PERSONA_ASSOCIATION)
    operator = await persona("operator")
    base = {"capability": "USER_MANAGE", "userId": gid("User", operator.id)}
    if variables.get("organizationId") == "association":
        variables = variables | {"organizationId": gid("Organization", association.id)}
    payload = await hub.call(who, OVERRIDE, base | variables)
    assert payload["capability"] is None and payload["level"] is None
    assert codes(payload) == [expected] and message in payload["errors"][0]["message"]


async def test_an_override_needs_a_level_or_an_explicit_null(hub: Hub, unchanged: None) -> None:
    operator = await persona("operator")
    payload = await hub.call(
        "national_admin", OVERRIDE_NO_LEVEL, {"userId": gid("User", operator.id)}
    )
    assert codes(payload) == [("level", "REQUIRED")]


# Atomicity


@pytest.mark.parametrize("mutation", ["invite", "deactivate", "options", "override"])
async def test_a_failure_midway_leaves_nothing_behind(
    hub: Hub, unchanged: None, failing_audit: None, mutation: str
) -> None:
    association = await organization(PERSONA_ASSOCIATION)
    operator = {"id": gid("User", (await persona("operator")).id)}
    query, variables = {
        "invite": (INVITE, {"input": invitation(association.id, email="jamais@asso.example")}),
        "deactivate": (DEACTIVATE, operator),
        "options": (SET_OPTIONS, operator | {"options": ["LEGAL_ACCESS"]}),
        "override": (OVERRIDE, {"capability": "SITE_READ", "level": "NATION",
                                "userId": operator["id"]}),
    }[mutation]  # fmt: skip
    body = await graphql(hub.http, query, variables, token=await hub.token("national_admin"))
    assert body["data"] is None and body["errors"]
    assert not await User.filter(email="jamais@asso.example").exists()
