"""Every mutation refuses a caller without its capability, whatever the input, writing nothing.

Generated from the schema: every field of the Mutation type needs a row in ``CASES`` (its
base capability, the objects it acts on, and an empty, a minimal and a full input; for a
versioned object also a minimal input at a version the object is not at, which must be
refused FORBIDDEN rather than CONFLICT). Each mutation is sent by every persona and partner
application that, by ``permissions.policy.MATRIX`` alone (as in tests/test_policy.py), lacks
the capability on objects standing in the Gironde (33): no persona besides the national
ones writes there. The expected answer is FORBIDDEN, or NOT_FOUND where the caller holds
the capability elsewhere and cannot read the object (missing and out of scope look the
same). After each request nothing was written: the same versions, rows, history and audit
entries.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from strawberry.relay import from_base64, to_base64

from hub.models import (
    AccessRequest,
    Action,
    ActionFinance,
    ActionIndicators,
    AuditEntry,
    Comment,
    HistoryEntry,
    InterventionArea,
    Organization,
    PermissionOverride,
    Site,
    SiteActor,
    User,
    Webhook,
)
from hub.models import Email as EmailRow
from hub.models.enums import (
    ActionLocationKind,
    ActorTheme,
    EventKind,
    LocationLevel,
    OrganizationCategory,
    OrganizationType,
    Role,
    SiteStatus,
    UserStatus,
)
from hub.settings import Settings
from permissions.capabilities import Capability, Level
from permissions.mutations import MUTATIONS, OWN_ACCOUNT, PUBLIC
from schema.build import build_schema
from tests.support import Hub, graphql
from tests.test_policy import CALLERS, Caller, expected_level

C = Capability
GIRONDE = "33"
BORDEAUX = "33063"
NOW = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
# Expected answers besides FORBIDDEN and NOT_FOUND: an input that names no place (a site
# without its commune) cannot be refused for the place; it is refused all the same.
ANY_REFUSAL = "any refusal"


@dataclass(frozen=True)
class Targets:
    """Objects in the Gironde that the mutations act on (IDs as the API names them)."""

    site: str
    site_version: int
    closed_site: str
    closed_site_version: int
    action: str
    action_version: int
    comment: str
    actor: str
    pending_user: str
    active_user: str
    organization: str
    access_request: str


Inputs = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Case:
    """One mutation: its base capability, what the caller must read to reach its object
    (nothing for a creation placed by its input), its document, and its inputs by name."""

    capability: Capability
    reads: tuple[Capability, ...]
    document: str
    inputs: Callable[[Targets], Inputs]
    # Inputs that say nowhere where the object would stand.
    unplaced: frozenset[str] = field(default_factory=frozenset)


def _doc(name: str, arguments: str) -> str:
    """The mutation, selecting only its errors (nothing gated is read back)."""
    variables = [argument.split(":")[0].strip() for argument in arguments.split(",")]
    passed = ", ".join(f"{variable[1:]}: {variable}" for variable in variables)
    return f"mutation ({arguments}) {{ {name}({passed}) {{ errors {{ field code message }} }} }}"


def _versioned(key: str, version: str, **inputs: dict[str, Any]) -> Callable[[Targets], Inputs]:
    """Inputs on a versioned object, plus the minimal one at a version it is not at."""

    def build(t: Targets) -> Inputs:
        base = {"id": getattr(t, key), "version": getattr(t, version)}
        named = {name: base | extra for name, extra in inputs.items()}
        named["stale version"] = named["minimal"] | {"version": base["version"] + 1}
        return named

    return build


def _on(key: str, **inputs: dict[str, Any]) -> Callable[[Targets], Inputs]:
    return lambda t: {name: {"id": getattr(t, key)} | extra for name, extra in inputs.items()}


def _same(extra: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A mutation with nothing but its object to give: its three inputs are one."""
    return {"empty": extra, "minimal": extra, "full": extra}


SITE_IDENTITY = {"name": "Refusé", "address": "1 rue Refusée", "latitude": 44.84,
                 "longitude": -0.58, "fieldType": None}  # fmt: skip
SITE_GROUPS: dict[str, Any] = {
    "population": {"total": 12, "households": 4, "minors": 3},
    "livingConditions": {"water": {"access": "YES"}, "electricity": {"access": "NO"}},
    "legalProcedures": {"justiceProcedure": "YES", "justiceCourt": "TJ de Bordeaux"},
    "ownership": {"ownerType": "PUBLIC", "parcels": [{"parcel": "AB 12", "ownerType": "PUBLIC"}]},
    "resorption": {"targetYear": 2027},
}
CLOSING = {"status": "RESORBED", "closedAt": "2026-10-01"}
THEMES = [theme.name for theme in ActorTheme]
ACTION = {"departementCode": GIRONDE, "name": "Refusée", "startedAt": "2026-01-01",
          "locationKind": ActionLocationKind.ON_SITE.name}  # fmt: skip
INDICATORS = {"people": 12, "households": 4, "women": 5, "minors": 3, "healthFollowup": 2}
FINANCE = {"financeType": "STATE", "plannedAmount": "1000.00"}
WEBHOOK = {"clientId": "demo-association-app", "url": "https://carnet.example/hook",
           "kinds": ["SITE_CREATED"]}  # fmt: skip


def _invitation(t: Targets, **changes: Any) -> dict[str, Any]:
    data = {"organizationId": t.organization, "email": "", "firstName": "", "lastName": "",
            "role": "INTERVENER"}  # fmt: skip
    return {"input": data | changes}


def _comment(t: Targets, **changes: Any) -> dict[str, Any]:
    return {"input": {"siteId": t.site, "body": ""} | changes}


def _override(t: Targets, **changes: Any) -> dict[str, Any]:
    return {"capability": "SITE_READ"} | changes


def _site_sheet(t: Targets) -> dict[str, Any]:
    return {"identity": SITE_IDENTITY | {"communeCode": BORDEAUX}} | SITE_GROUPS


CASES: dict[str, Case] = {
    "createSite": Case(
        C.SITE_CREATE, (), _doc("createSite", "$input: CreateSiteInput!"),
        lambda t: {
            "empty": {"input": {"identity": {}}},
            "minimal": {"input": {"identity": {"communeCode": BORDEAUX}}},
            "full": {"input": _site_sheet(t)},
        },
        unplaced=frozenset({"empty"}),
    ),
    "updateSite": Case(
        C.SITE_UPDATE, (C.SITE_READ,),
        _doc("updateSite", "$id: ID!, $version: Int!, $input: UpdateSiteInput!"),
        _versioned(
            "site", "site_version", empty={"input": {}},
            minimal={"input": {"identity": {"name": "Refusé"}}},
            full={"input": {"identity": SITE_IDENTITY} | SITE_GROUPS},
        ),
    ),
    "closeSite": Case(
        C.SITE_CLOSE, (C.SITE_READ,),
        _doc("closeSite", "$id: ID!, $version: Int!, $input: CloseSiteInput!"),
        _versioned(
            "site", "site_version", empty={"input": CLOSING},
            minimal={"input": CLOSING | {"closedWithSolutions": "NO"}},
            full={"input": CLOSING | {
                "closedWithSolutions": "YES", "closingContext": "Relogés.",
                "solutions": [{"solution": "ORDINARY_HOUSING", "people": 4, "households": 1}],
            }},
        ),
    ),
    "reopenSite": Case(
        C.SITE_CLOSE, (C.SITE_READ,), _doc("reopenSite", "$id: ID!, $version: Int!"),
        _versioned("closed_site", "closed_site_version", **_same({})),
    ),
    "confirmSiteUnchanged": Case(
        C.SITE_UPDATE, (C.SITE_READ,), _doc("confirmSiteUnchanged", "$id: ID!, $version: Int!"),
        _versioned("site", "site_version", **_same({})),
    ),
    "deleteSite": Case(
        C.SITE_DELETE, (C.SITE_READ,), _doc("deleteSite", "$id: ID!, $version: Int!"),
        _versioned("site", "site_version", **_same({})),
    ),
    "declareActor": Case(
        C.ACTOR_DECLARE, (C.SITE_READ,),
        _doc("declareActor", "$siteId: ID!, $themes: [ActorTheme!]!, $asUser: Boolean!"),
        lambda t: {
            "empty": {"siteId": t.site, "themes": [], "asUser": True},
            "minimal": {"siteId": t.site, "themes": ["HEALTH"], "asUser": True},
            "full": {"siteId": t.site, "themes": THEMES, "asUser": False},
        },
    ),
    "updateActor": Case(
        C.ACTOR_DECLARE, (C.SITE_READ,), _doc("updateActor", "$id: ID!, $themes: [ActorTheme!]!"),
        _on("actor", empty={"themes": []}, minimal={"themes": ["HOUSING"]},
            full={"themes": THEMES}),
    ),
    "withdrawActor": Case(
        C.ACTOR_DECLARE, (C.SITE_READ,), _doc("withdrawActor", "$id: ID!"),
        _on("actor", **_same({})),
    ),
    "createComment": Case(
        C.COMMENT_CREATE, (C.SITE_READ,), _doc("createComment", "$input: CreateCommentInput!"),
        lambda t: {
            "empty": _comment(t),
            "minimal": _comment(t, body="Refusé."),
            "full": _comment(t, body="Refusé.", tags=["santé"], targetUsers=[t.active_user],
                             targetOrganizations=[t.organization]),
        },
    ),
    "updateComment": Case(
        C.COMMENT_CREATE, (C.COMMENT_READ, C.SITE_READ),
        _doc("updateComment", "$id: ID!, $input: UpdateCommentInput!"),
        _on("comment", empty={"input": {}}, minimal={"input": {"body": "Refusé."}},
            full={"input": {"body": "Refusé.", "tags": ["santé", "école"]}}),
    ),
    "deleteComment": Case(
        C.COMMENT_CREATE, (C.COMMENT_READ, C.SITE_READ), _doc("deleteComment", "$id: ID!"),
        _on("comment", **_same({})),
    ),
    "moderateComment": Case(
        C.COMMENT_MODERATE, (C.COMMENT_READ, C.SITE_READ),
        _doc("moderateComment", "$id: ID!, $reason: String!"),
        _on("comment", empty={"reason": ""}, minimal={"reason": "Injurieux."},
            full={"reason": "Injurieux. " * 50}),
    ),
    "inviteUser": Case(
        C.USER_MANAGE, (), _doc("inviteUser", "$input: InviteUserInput!"),
        lambda t: {
            "empty": _invitation(t),
            "minimal": _invitation(t, email="refus@gironde.example", firstName="Ré",
                                   lastName="Fus"),
            "full": _invitation(t, email="refus@gironde.example", firstName="Ré",
                                lastName="Fus", role="NATIONAL_ADMIN", phone="05 56 00 00 00",
                                jobTitle="Médiatrice"),
        },
    ),
    "activateUser": Case(
        C.USER_MANAGE, (), _doc("activateUser", "$id: ID!"), _on("pending_user", **_same({})),
    ),
    "deactivateUser": Case(
        C.USER_MANAGE, (), _doc("deactivateUser", "$id: ID!"), _on("active_user", **_same({})),
    ),
    "changeUserRole": Case(
        C.USER_MANAGE, (), _doc("changeUserRole", "$id: ID!, $role: Role!"),
        _on("active_user", empty={"role": "INTERVENER"}, minimal={"role": "OPERATOR"},
            full={"role": "NATIONAL_ADMIN"}),
    ),
    "setUserOptions": Case(
        C.USER_MANAGE, (), _doc("setUserOptions", "$id: ID!, $options: [UserOption!]!"),
        _on("active_user", empty={"options": []}, minimal={"options": ["LEGAL_ACCESS"]},
            full={"options": ["LEGAL_ACCESS", "CREATE_SITES", "CLOSE_SITES", "FINANCE_ACCESS"]}),
    ),
    "setPermissionOverride": Case(
        C.USER_MANAGE, (),
        _doc("setPermissionOverride", "$capability: Capability!, $level: PermissionLevel, "
             "$organizationId: ID, $userId: ID"),
        lambda t: {
            "empty": _override(t),
            "minimal": _override(t, level="NATION", userId=t.active_user),
            "full": _override(t, capability="USER_MANAGE", level="NATION",
                              organizationId=t.organization),
        },
    ),
    "createAction": Case(
        C.ACTION_CREATE, (), _doc("createAction", "$input: CreateActionInput!"),
        lambda t: {
            "empty": {"input": ACTION | {"name": ""}},
            "minimal": {"input": ACTION},
            "full": {"input": ACTION | {
                "goals": "Refusée.", "topics": ["HEALTH", "HOUSING"], "endedAt": "2026-12-31",
                "locationDetails": "Sur le site.", "managers": [t.active_user],
                "operators": [t.active_user], "sites": [t.site],
            }},
        },
    ),
    "updateAction": Case(
        C.ACTION_UPDATE, (C.ACTION_READ,),
        _doc("updateAction", "$id: ID!, $version: Int!, $input: UpdateActionInput!"),
        _versioned(
            "action", "action_version", empty={"input": {}},
            minimal={"input": {"name": "Refusée"}},
            full={"input": {k: v for k, v in ACTION.items() if k != "departementCode"} | {
                "goals": "Refusée.", "topics": ["SCHOOLING"], "locationDetails": "Ailleurs.",
            }},
        ),
    ),
    "upsertActionFinances": Case(
        C.ACTION_UPDATE, (C.ACTION_READ,),
        _doc("upsertActionFinances", "$id: ID!, $version: Int!, $year: Int!, "
             "$finances: [ActionFinanceInput!]!"),
        _versioned(
            "action", "action_version", empty={"year": 2026, "finances": []},
            minimal={"year": 2026, "finances": [FINANCE]},
            full={"year": 2026, "finances": [
                FINANCE, {"financeType": "EUROPEAN", "plannedAmount": "500.00",
                          "spentAmount": "200.00", "comment": "FSE"},
            ]},
        ),
    ),
    "upsertActionIndicators": Case(
        C.ACTION_UPDATE, (C.ACTION_READ,),
        _doc("upsertActionIndicators", "$id: ID!, $version: Int!, $year: Int!, "
             "$indicators: ActionIndicatorsInput!"),
        _versioned(
            "action", "action_version", empty={"year": 2026, "indicators": {}},
            minimal={"year": 2026, "indicators": {"people": 3}},
            full={"year": 2026, "indicators": INDICATORS},
        ),
    ),
    "approveAccessRequest": Case(
        C.USER_MANAGE, (C.USER_MANAGE,),
        _doc("approveAccessRequest", "$id: ID!, $input: ApproveAccessInput!"),
        _on("access_request", empty={"input": {"role": "INTERVENER"}},
            minimal={"input": {"role": "INTERVENER"}},
            full={"input": {"role": "OPERATOR", "options": ["LEGAL_ACCESS"],
                            "areas": [{"level": "DEPARTEMENT", "code": GIRONDE}]}}),
    ),
    "refuseAccessRequest": Case(
        C.USER_MANAGE, (C.USER_MANAGE,), _doc("refuseAccessRequest", "$id: ID!, $reason: String!"),
        _on("access_request", empty={"reason": ""}, minimal={"reason": "Non."},
            full={"reason": "Non: aucune intervention en Gironde."}),
    ),
    # National administrators only; a webhook that need not exist: refused before it is read.
    "createWebhook": Case(
        C.USER_MANAGE, (), _doc("createWebhook", "$input: CreateWebhookInput!"),
        lambda t: {
            "empty": {"input": {"clientId": "", "url": "", "kinds": []}},
            "minimal": {"input": WEBHOOK},
            "full": {"input": WEBHOOK | {"kinds": [kind.name for kind in EventKind]}},
        },
    ),
    "deleteWebhook": Case(
        C.USER_MANAGE, (), _doc("deleteWebhook", "$id: ID!"),
        lambda t: _same({"id": to_base64("Webhook", 1)}),
    ),
    "resumeWebhook": Case(
        C.USER_MANAGE, (), _doc("resumeWebhook", "$id: ID!"),
        lambda t: _same({"id": to_base64("Webhook", 1)}),
    ),
    # National administrators only, like webhooks: refused before the e-mail is read.
    "retryEmail": Case(
        C.USER_MANAGE, (), _doc("retryEmail", "$id: ID!"),
        lambda t: _same({"id": to_base64("Email", 1)}),
    ),
}  # fmt: skip


def _reaches_gironde(caller: Caller, capability: Capability) -> bool:
    """Whether the caller holds ``capability`` on objects in the Gironde (never ``own``
    ones: the targets have no managers, operators or authors among the callers)."""
    level = expected_level(caller, capability)
    if level is Level.NATION:
        return True
    if level in (Level.AREA, Level.DEPARTEMENT):
        return caller.area in ((LocationLevel.NATION, None), (LocationLevel.DEPARTEMENT, GIRONDE))
    return False


def expected(caller: Caller, case: Case, input_name: str) -> str | None:
    """The answer the matrix calls for; None when the caller holds the capability there."""
    level = expected_level(caller, case.capability)
    if level is Level.NEVER:  # anywhere, or without hub:write: before anything is read
        return "FORBIDDEN"
    if _reaches_gironde(caller, case.capability):
        return None
    if not all(_reaches_gironde(caller, read) for read in case.reads):
        return "NOT_FOUND"
    return ANY_REFUSAL if input_name in case.unplaced else "FORBIDDEN"


def test_every_mutation_of_the_schema_has_its_case_and_its_rule() -> None:
    mutation_type = build_schema()._schema.mutation_type
    assert mutation_type is not None
    # Those anyone may call (requestAccess) refuse no one: tested with what guards them;
    # those on one's own account, below.
    others = set(PUBLIC) | set(OWN_ACCOUNT)
    assert set(mutation_type.fields) - others == set(CASES) == set(MUTATIONS)
    assert set(OWN_ACCOUNT) == set(OWN_ACCOUNT_CASES) and not set(PUBLIC) & set(OWN_ACCOUNT)
    # The policy's rule is the capability the resolvers check (Operation reads it).
    assert {name: case.capability for name, case in CASES.items()} == {
        name: rule.capability for name, rule in MUTATIONS.items()
    }


def test_every_case_refuses_someone() -> None:
    # A case no caller lacks would test nothing.
    for name, case in CASES.items():
        assert any(expected(caller, case, "minimal") for caller in CALLERS), name


@pytest.fixture(scope="module")
async def targets(own_database: Settings) -> AsyncIterator[Targets]:
    """An open and a closed site, an action, a comment, an actor entry, a pending and an
    active intervener and their organization, all in the Gironde, none of them attached to
    a caller."""
    sites = Site.filter(departement_code=GIRONDE).order_by("id")
    site = await sites.filter(status=SiteStatus.OPEN).first()
    closed = await sites.exclude(status=SiteStatus.OPEN).first()
    assert site is not None and closed is not None
    organization = await Organization.create(
        name="Association girondine", category=OrganizationCategory.ASSOCIATION,
        type=OrganizationType.ASSOCIATION, location_level=LocationLevel.DEPARTEMENT,
        location_code=GIRONDE,
    )  # fmt: skip
    await InterventionArea.create(
        organization=organization, level=LocationLevel.DEPARTEMENT, code=GIRONDE
    )
    users = [
        await User.create(
            organization=organization,
            first_name="Agent",
            last_name=status.value,
            email=f"{status.value}@gironde.example",
            role=Role.INTERVENER,
            status=status,
        )
        for status in (UserStatus.PENDING, UserStatus.ACTIVE)
    ]
    action = await Action.create(
        name="Action girondine", departement_id=GIRONDE, region_code=site.region_code,
        started_at=datetime.date(2026, 1, 1), location_kind=ActionLocationKind.ON_SITE,
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    comment = await Comment.create(site=site, author=users[1], body="Note.", created_at=NOW)
    actor = await SiteActor.create(
        site=site, organization=organization, user=users[1], themes=["health"]
    )
    request = await AccessRequest.create(
        created_at=NOW, first_name="Camille", last_name="Girondine",
        email="camille@gironde.example", open_email="camille@gironde.example",
        organization=organization, location_level=LocationLevel.DEPARTEMENT,
        location_code=GIRONDE, region_code=site.region_code, departement_code=GIRONDE,
        role=Role.INTERVENER, reason="Maraudes.",
    )  # fmt: skip
    yield Targets(
        site=to_base64("Site", site.id), site_version=site.version,
        closed_site=to_base64("Site", closed.id), closed_site_version=closed.version,
        action=to_base64("Action", action.id), action_version=action.version,
        comment=to_base64("Comment", comment.id), actor=to_base64("SiteActor", actor.id),
        pending_user=to_base64("User", users[0].id), active_user=to_base64("User", users[1].id),
        organization=to_base64("Organization", organization.id),
        access_request=to_base64("AccessRequest", request.id),
    )  # fmt: skip


def _key(api_id: str) -> int:
    return int(from_base64(api_id)[1])


async def _footprint(t: Targets) -> tuple[Any, ...]:
    """What any write would change: row counts, versions, and what users and comments hold."""
    counted = (
        HistoryEntry, AuditEntry, Site, Action, ActionFinance, ActionIndicators, SiteActor,
        PermissionOverride, User, Webhook, AccessRequest,
    )  # fmt: skip
    sites = [_key(t.site), _key(t.closed_site)]
    return (
        [await model.all().count() for model in counted],
        await Site.filter(id__in=sites).order_by("id").values_list("version", "status"),
        await Action.filter(id=_key(t.action)).values_list("version", flat=True),
        await Site.filter(status=SiteStatus.OPEN).count(),
        await User.filter(email__endswith="@gironde.example")
        .order_by("id")
        .values_list("role", "status", "options"),
        await Comment.filter(deleted_at__isnull=True).count(),
        await Comment.all().order_by("-id").limit(3).values_list("body", "tags", "updated_at"),
        await SiteActor.all().order_by("-id").limit(3).values_list("themes", flat=True),
        await AccessRequest.all().order_by("id").values_list("status", "user_id"),
    )


@pytest.mark.parametrize("mutation", sorted(CASES))
async def test_a_caller_without_the_capability_is_refused_and_nothing_is_written(
    hub: Hub, targets: Targets, mutation: str
) -> None:
    case = CASES[mutation]
    inputs = case.inputs(targets)
    before = await _footprint(targets)
    checked = 0
    for caller in CALLERS:
        token = await hub.token(caller.who)
        for input_name, variables in inputs.items():
            answer = expected(caller, case, input_name)
            if answer is None:
                continue
            body = await graphql(hub.http, case.document, variables, token=token)
            assert "errors" not in body, body
            codes = [error["code"] for error in body["data"][mutation]["errors"]]
            where = (caller.name, input_name, body)
            if answer == ANY_REFUSAL:
                assert codes and "CONFLICT" not in codes, where
            else:
                assert codes == [answer], where
            assert await _footprint(targets) == before, where
            checked += 1
    assert checked >= len(inputs)


# Mutations on one's own account: no capability, so refused only to those who have no
# account (anonymous callers, partner applications, with or without hub:write); their
# document and an empty, a minimal and a full input.
OWN_ACCOUNT_CASES: dict[str, tuple[str, Inputs]] = {
    "updateNotificationSettings": (
        _doc("updateNotificationSettings", "$input: UpdateNotificationSettingsInput!"),
        {
            "empty": {"input": {"settings": []}},
            "minimal": {"input": {"settings": [{"kind": "WEEKLY_DIGEST", "enabled": False}]}},
            "full": {"input": {"settings": [
                {"kind": kind, "enabled": False}
                for kind in ("ACCESS_REQUESTED", "COMMENT_TARGETED", "WEEKLY_DIGEST",
                             "SITE_OUT_OF_DATE")
            ]}},
        },
    ),
}  # fmt: skip


@pytest.mark.parametrize("mutation", sorted(OWN_ACCOUNT_CASES))
async def test_a_caller_without_an_account_is_refused_its_own_account_mutations(
    hub: Hub, targets: Targets, mutation: str
) -> None:
    document, inputs = OWN_ACCOUNT_CASES[mutation]

    async def footprint() -> tuple[Any, ...]:
        return (
            await _footprint(targets),
            await User.all().order_by("id").values_list("notifications_off", flat=True),
            await EmailRow.all().count(),
        )

    before = await footprint()
    applications = [caller.who for caller in CALLERS if caller.who.startswith("demo-")]
    assert applications, "the partner applications are among the callers"
    for who in [None, *applications]:
        token = await hub.token(who) if who else None
        for input_name, variables in inputs.items():
            body = await graphql(hub.http, document, variables, token=token)
            assert "errors" not in body, body
            codes = [error["code"] for error in body["data"][mutation]["errors"]]
            assert codes == ["FORBIDDEN"], (who, input_name, body)
            assert await footprint() == before, (who, input_name)
