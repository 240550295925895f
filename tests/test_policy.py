"""The permission policy, tested from its own table through HTTP with real tokens.

For every caller (one persona per role, and the partner applications) × every capability ×
three places (inside the caller's area, elsewhere in the same département, in another
département), the expected outcome is derived from ``permissions.policy.MATRIX`` alone and
checked against what the hub answers: ``me.can`` for every capability, and, for the
capabilities that gate data, whether that data is visible, null with FORBIDDEN, or absent.

The module runs on a database of its own (the demo data set, plus one site, comment,
targeted comment, action, organization and user per place), so it may add overrides.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from strawberry.relay import to_base64

from hub.demo import PARTNER_APPS, PERSONAS
from hub.limits import Limits
from hub.models import (
    Action,
    ActionFinance,
    Comment,
    Commune,
    InterventionArea,
    Organization,
    PermissionOverride,
    Site,
    SiteActor,
    User,
)
from hub.models.enums import (
    ActionLocationKind,
    FinanceType,
    LocationLevel,
    OrganizationCategory,
    OrganizationType,
    Role,
    SiteStatus,
    UserOption,
    UserStatus,
)
from hub.server.app import create_app
from hub.server.auth.dev_issuer import DevIssuer
from hub.settings import Settings
from permissions.capabilities import OPTION_OF, READS, Capability, Level
from permissions.policy import MATRIX, ROLES
from tests.support import Databases, demo_database, error_codes, graphql, settings_for

INSIDE, SAME_DEPARTEMENT, OTHER_DEPARTEMENT = "inside", "same département", "other département"
POSITIONS = (INSIDE, SAME_DEPARTEMENT, OTHER_DEPARTEMENT)
NOW = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Spot:
    """Objects standing at one place: a site and what hangs off it, a user homed there."""

    commune: str
    departement: str
    site: str
    comment: str
    private_comment: str
    action: str
    user: str


@dataclass(frozen=True)
class Caller:
    name: str
    who: str  # e-mail or client id, for the development issuer
    role: Role
    area: tuple[LocationLevel, str | None]
    options: frozenset[UserOption] = frozenset()
    may_write: bool = True


CALLERS = [
    Caller(p.email.split("@")[0], p.email, p.role, (p.area_level, p.area_code),
           frozenset(p.options))
    for p in PERSONAS
] + [
    Caller(a.client_id, a.client_id, a.role, (LocationLevel.DEPARTEMENT, "31"), frozenset(),
           "hub:write" in a.scopes)
    for a in PARTNER_APPS
    if a.client_id == "demo-association-app"
] + [
    Caller(a.client_id, a.client_id, a.role, (LocationLevel.COMMUNE, "31555"), frozenset(),
           "hub:write" in a.scopes)
    for a in PARTNER_APPS
    if a.client_id == "demo-commune-app"
]  # fmt: skip


def gid(type_name: str, key: object) -> str:
    return to_base64(type_name, key)


def expected_level(caller: Caller, capability: Capability) -> Level:
    """The caller's level, read from the matrix alone (no overrides in this data set)."""
    level = MATRIX[capability][ROLES.index(caller.role)]
    if level is Level.OPTION:
        if OPTION_OF[capability] not in caller.options:
            return Level.NEVER
        level = Level.DEPARTEMENT if capability in READS else Level.AREA
    if capability not in READS and not caller.may_write:
        return Level.NEVER
    return level


def expected(caller: Caller, capability: Capability, position: str) -> bool:
    level = expected_level(caller, capability)
    area_level = caller.area[0]
    if level is Level.NATION:
        return True
    if level in (Level.OWN, Level.NEVER):
        return False  # ``own`` depends on the object, never on a place
    if area_level is LocationLevel.NATION:
        return True
    if position == OTHER_DEPARTEMENT:
        return False
    if level is Level.DEPARTEMENT or position == INSIDE:
        return True
    return area_level is not LocationLevel.COMMUNE  # A: a commune area stops at the commune


def home(caller: Caller) -> str:
    return "33" if caller.area == (LocationLevel.DEPARTEMENT, "33") else "31"


async def _spot(name: str, site: Site, author_org: Organization) -> Spot:
    org = await Organization.create(
        name=f"Organisation {name}", category=OrganizationCategory.ASSOCIATION,
        type=OrganizationType.ASSOCIATION, location_level=LocationLevel.COMMUNE,
        location_code=site.commune_scope_code,
    )  # fmt: skip
    await InterventionArea.create(
        organization=org, level=LocationLevel.COMMUNE, code=site.commune_scope_code
    )
    user = await User.create(
        organization=org, first_name="Agent", last_name=name, email=f"{name}@policy.example",
        role=Role.OPERATOR, status=UserStatus.ACTIVE,
    )  # fmt: skip
    comment = await Comment.create(site=site, author=user, body="Public note.", created_at=NOW)
    private = await Comment.create(
        site=site, author=user, body="Private note.", targeted=True, created_at=NOW
    )
    await private.target_organizations.add(author_org)
    action = await Action.create(
        name=f"Action {name}", departement_id=site.departement_code, region_code=site.region_code,
        started_at=datetime.date(2026, 1, 1), location_kind=ActionLocationKind.ON_SITE,
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    await action.sites.add(site)
    await ActionFinance.create(action=action, year=2026, finance_type=FinanceType.STATE)
    return Spot(
        commune=site.commune_scope_code, departement=site.departement_code,
        site=gid("Site", site.id), comment=gid("Comment", comment.id),
        private_comment=gid("Comment", private.id), action=gid("Action", action.id),
        user=gid("User", user.id),
    )  # fmt: skip


@dataclass
class World:
    settings: Settings
    spots: dict[str, Spot]  # "31 inside", "31 same", "33 inside", "33 same"
    issuer: DevIssuer
    target_org: int

    def spot(self, caller: Caller, position: str) -> Spot:
        base = home(caller)
        other = "33" if base == "31" else "31"
        return {
            INSIDE: self.spots[f"{base} inside"],
            SAME_DEPARTEMENT: self.spots[f"{base} same"],
            OTHER_DEPARTEMENT: self.spots[f"{other} inside"],
        }[position]


@pytest.fixture(scope="module")
async def world(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    async with demo_database(databases, "policy") as url:
        target = await Organization.create(
            name="Cible", category=OrganizationCategory.ASSOCIATION,
            type=OrganizationType.ASSOCIATION,
        )  # fmt: skip
        await InterventionArea.create(
            organization=target, level=LocationLevel.DEPARTEMENT, code="31"
        )
        open_sites = Site.filter(status=SiteStatus.OPEN).order_by("id")
        toulouse = await open_sites.filter(commune_scope_code="31555").first()
        elsewhere_31 = (
            await open_sites.filter(departement_code="31")
            .exclude(commune_scope_code="31555")
            .first()
        )
        in_33 = await open_sites.filter(departement_code="33").first()
        assert toulouse and elsewhere_31 and in_33, "the demo data has sites in 31555, 31, 33"
        other_33 = (
            await open_sites.filter(departement_code="33")
            .exclude(commune_scope_code=in_33.commune_scope_code)
            .first()
        )
        assert other_33 is not None
        spots = {
            "31 inside": await _spot("t31", toulouse, target),
            "31 same": await _spot("d31", elsewhere_31, target),
            "33 inside": await _spot("t33", in_33, target),
            "33 same": await _spot("d33", other_33, target),
        }
        # The matrix query asks everything at once, with far more aliases than clients need.
        settings = settings_for(
            url,
            dev_issuer_key=tmp_path_factory.mktemp("keys") / "dev.json",
            limits=Limits(aliases=1_000),
        )
        yield World(settings, spots, DevIssuer.load(settings), target.id)


@pytest.fixture
async def http(world: World) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(world.settings, manage_database=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        yield client


async def ask(
    http: httpx.AsyncClient, token: str | None, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    return await graphql(http, query, variables, token=token)


async def token_of(world: World, who: str) -> str:
    token, _ = await world.issuer.token_for(who)
    return token


def _spot_query(prefix: str) -> str:
    return f"""
      {prefix}site: site(id: ${prefix}site) {{
        id locationPrecision
        legal: legalProcedures {{ ownerComplaint }}
        owner: ownership {{ ownerType }}
        access: location {{ accessDetails }}
      }}
      {prefix}comment: node(id: ${prefix}comment) {{ id }}
      {prefix}private: node(id: ${prefix}private) {{ id }}
      {prefix}action: action(id: ${prefix}action) {{ id finances {{ year }} }}
      {prefix}user: node(id: ${prefix}user) {{ ... on User {{ email }} }}
      {prefix}commune: territory(level: COMMUNE, code: ${prefix}commune) {{
        stats {{ openSites }}
      }}
    """


def _can_fields(prefix: str) -> str:
    return " ".join(
        f"{prefix}{c.name}: can(capability: {c.name}, location: "
        f"{{level: COMMUNE, code: ${prefix}commune}})"
        for c in Capability
    )


PREFIXES = {INSIDE: "a_", SAME_DEPARTEMENT: "b_", OTHER_DEPARTEMENT: "c_"}
_VARIABLES = ", ".join(
    f"${p}{name}: ID!" if name != "commune" else f"${p}commune: String!"
    for p in PREFIXES.values()
    for name in ("site", "comment", "private", "action", "user", "commune")
)
MATRIX_QUERY = (
    f"query Matrix({_VARIABLES}) {{"
    + "".join(_spot_query(p) for p in PREFIXES.values())
    + " me { "
    + " ".join(_can_fields(p) for p in PREFIXES.values())
    + " } }"
)


@dataclass
class Answer:
    data: dict[str, Any]
    forbidden: set[tuple[str, ...]]  # paths of FORBIDDEN errors
    absent: set[str]  # top-level fields that are null with NOT_FOUND


@pytest.fixture(scope="module")
async def answers(world: World) -> dict[str, Answer]:
    """Each caller's answer to the matrix query: one request per caller."""
    transport = httpx.ASGITransport(app=create_app(world.settings, manage_database=False))
    found: dict[str, Answer] = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        for caller in CALLERS:
            variables: dict[str, Any] = {}
            for position, prefix in PREFIXES.items():
                spot = world.spot(caller, position)
                variables |= {
                    f"{prefix}site": spot.site, f"{prefix}comment": spot.comment,
                    f"{prefix}private": spot.private_comment, f"{prefix}action": spot.action,
                    f"{prefix}user": spot.user, f"{prefix}commune": spot.commune,
                }  # fmt: skip
            body = await ask(client, await token_of(world, caller.who), MATRIX_QUERY, variables)
            errors = [(e["extensions"]["code"], e["path"]) for e in body.get("errors", [])]
            assert {code for code, _ in errors} <= {"FORBIDDEN", "NOT_FOUND"}, body["errors"]
            found[caller.name] = Answer(
                data=body["data"],
                forbidden={tuple(path) for code, path in errors if code == "FORBIDDEN"},
                absent={path[0] for code, path in errors if code == "NOT_FOUND"},
            )
    return found


# How each readable capability shows in the answer: (top-level field, field inside it).
OBSERVABLE: dict[Capability, tuple[str, str | None]] = {
    Capability.SITE_READ: ("site", None),
    Capability.SITE_LEGAL_READ: ("site", "legal"),
    Capability.SITE_OWNER_READ: ("site", "owner"),
    Capability.SITE_LOCATION_EXACT: ("site", "access"),
    Capability.COMMENT_READ: ("comment", None),
    Capability.COMMENT_PRIVATE_READ: ("private", None),
    Capability.ACTION_READ: ("action", None),
    Capability.ACTION_FINANCES_READ: ("action", "finances"),
    Capability.USER_READ: ("user", "email"),
    Capability.STATS_READ: ("commune", "stats"),
}


def outcome(answer: Answer, prefix: str, capability: Capability) -> str:
    """visible, forbidden (null + FORBIDDEN) or absent (null + NOT_FOUND)."""
    top, inner = OBSERVABLE[capability]
    key = prefix + top
    if answer.data[key] is None:
        assert key in answer.absent, (key, answer.absent)
        return "absent"
    if inner is None:
        return "visible"
    denied = any(path[:2] == (key, inner) for path in answer.forbidden)
    return "forbidden" if denied else "visible"


def observed_expectation(caller: Caller, capability: Capability, position: str) -> str:
    top = OBSERVABLE[capability][0]
    holder = {
        "site": Capability.SITE_READ,
        "action": Capability.ACTION_READ,
        "comment": Capability.COMMENT_READ,
        "private": Capability.COMMENT_READ,
    }.get(top)
    if holder is not None and not expected(caller, holder, position):
        return "absent"
    allowed = expected(caller, capability, position)
    if OBSERVABLE[capability][1] is None:
        return "visible" if allowed else "absent"
    return "visible" if allowed else "forbidden"


@pytest.mark.parametrize("capability", list(Capability), ids=lambda c: c.value)
@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
async def test_the_matrix(
    answers: dict[str, Answer], caller: Caller, capability: Capability
) -> None:
    answer = answers[caller.name]
    for position, prefix in PREFIXES.items():
        want = expected(caller, capability, position)
        got = answer.data["me"][f"{prefix}{capability.name}"]
        assert got is want, f"me.can({capability.value}) {position}: {got}, expected {want}"
        if capability in OBSERVABLE:
            shown = outcome(answer, prefix, capability)
            wanted = observed_expectation(caller, capability, position)
            assert shown == wanted, f"{capability.value} {position}: {shown}, expected {wanted}"


def test_the_callers_cover_every_role() -> None:
    assert {caller.role for caller in CALLERS} == set(Role)


async def test_locations_fall_back_to_the_commune_centre(
    answers: dict[str, Answer],
) -> None:
    for caller in CALLERS:
        for position, prefix in PREFIXES.items():
            site = answers[caller.name].data[f"{prefix}site"]
            if site is None:
                continue
            exact = expected(caller, Capability.SITE_LOCATION_EXACT, position)
            assert site["locationPrecision"] == ("EXACT" if exact else "COMMUNE_CENTRE")


SITE_COUNTS = "{ sites { totalCount } actions { totalCount } organizations { totalCount } }"


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
async def test_lists_count_what_the_caller_may_read(
    http: httpx.AsyncClient, world: World, caller: Caller
) -> None:
    body = await ask(http, await token_of(world, caller.who), SITE_COUNTS)
    level, code = caller.area
    sites, actions = Site.all(), Action.all()
    if level is LocationLevel.COMMUNE:
        departement = code[:2]  # type: ignore[index]
        sites, actions = (
            sites.filter(departement_code=departement),
            actions.filter(departement_id=departement),
        )
    elif level is LocationLevel.DEPARTEMENT:
        sites, actions = sites.filter(departement_code=code), actions.filter(departement_id=code)
    # Sites' default list is every status; site.read and action.read are N or D for all roles.
    if expected_level(caller, Capability.SITE_READ) is Level.NATION:
        sites = Site.all()
    if expected_level(caller, Capability.ACTION_READ) is Level.NATION:
        actions = Action.all()
    assert body["data"]["sites"]["totalCount"] == await sites.count()
    assert body["data"]["actions"]["totalCount"] == await actions.count()
    assert body["data"]["organizations"]["totalCount"] == await Organization.all().count()


async def test_anonymous_callers_reach_only_public_statistics(
    http: httpx.AsyncClient, world: World
) -> None:
    spot = world.spots["31 inside"]
    body = await ask(
        http,
        None,
        """query ($site: ID!) {
          sites { totalCount } actions { totalCount } organizations { totalCount }
          site(id: $site) { id }
          departement: territory(level: DEPARTEMENT, code: "31") {
            name publicStats { openSites } stats { openSites }
            sites { totalCount }
          }
          commune: territory(level: COMMUNE, code: "31555") { name publicStats { openSites } }
        }""",
        {"site": spot.site},
    )
    data = body["data"]
    assert data["sites"]["totalCount"] == data["actions"]["totalCount"] == 0
    assert data["organizations"]["totalCount"] == 0
    assert data["site"] is None and data["departement"]["sites"]["totalCount"] == 0
    open_31 = await Site.filter(departement_code="31", status=SiteStatus.OPEN).count()
    assert data["departement"]["publicStats"]["openSites"] == open_31
    assert data["departement"]["stats"] is None
    assert data["commune"] == {"name": "Toulouse", "publicStats": None}
    assert sorted(error_codes(body)) == ["FORBIDDEN", "NOT_FOUND"]


async def test_an_out_of_scope_id_is_indistinguishable_from_a_missing_one(
    http: httpx.AsyncClient, world: World
) -> None:
    observer = await token_of(world, "external_observer@demo.bidonvilles.example")
    hidden = world.spots["31 inside"].site  # the observer reads Gironde only
    missing = gid("Site", 10**9)
    query = "query ($id: ID!) { site(id: $id) { id } node(id: $id) { id } }"
    out_of_scope = await ask(http, observer, query, {"id": hidden})
    absent = await ask(http, observer, query, {"id": missing})
    assert out_of_scope["data"] == absent["data"] == {"site": None, "node": None}

    def shape(body: dict[str, Any]) -> list[tuple[str, str]]:
        return [(e["message"], e["extensions"]["code"]) for e in body["errors"]]

    assert shape(out_of_scope) == shape(absent)


async def test_targeted_comments_show_to_author_targets_and_private_readers_only(
    http: httpx.AsyncClient, world: World
) -> None:
    spot = world.spots["31 inside"]
    target_member = await User.create(
        organization_id=world.target_org, first_name="Cible", last_name="Membre",
        email="member@cible.example", role=Role.OPERATOR, status=UserStatus.ACTIVE,
    )  # fmt: skip
    query = """query ($site: ID!) { site(id: $site) { journal { totalCount nodes { body } } } }"""
    bodies = {}
    for who in [
        "t31@policy.example",  # the author
        target_member.email,  # a member of the targeted organization
        "local_admin@demo.bidonvilles.example",  # comment.private.read on the area
        "national_admin@demo.bidonvilles.example",
        "operator@demo.bidonvilles.example",  # none of those
        "correspondent@demo.bidonvilles.example",
    ]:
        body = await ask(http, await token_of(world, who), query, {"site": spot.site})
        journal = body["data"]["site"]["journal"]
        assert journal["totalCount"] == len(journal["nodes"])
        bodies[who.split("@")[0]] = {node["body"] for node in journal["nodes"]}
    for reader in ("t31", "member", "local_admin", "national_admin"):
        assert {"Public note.", "Private note."} <= bodies[reader], reader
    for outsider in ("operator", "correspondent"):
        assert "Public note." in bodies[outsider] and "Private note." not in bodies[outsider]


async def test_options_and_overrides_change_outcomes(http: httpx.AsyncClient, world: World) -> None:
    site = world.spots["31 same"].site
    query = "query ($site: ID!) { site(id: $site) { legalProcedures { ownerComplaint } } }"

    async def legal(who: str) -> bool:
        body = await ask(
            http, await token_of(world, f"{who}@demo.bidonvilles.example"), query, {"site": site}
        )
        return body["data"]["site"]["legalProcedures"] is not None

    # The legal_access option: same role and organization, different outcome.
    assert await legal("operator.legal") and not await legal("operator")
    operator = await User.get(email="operator@demo.bidonvilles.example")
    legal_one = await User.get(email="operator.legal@demo.bidonvilles.example")
    # An organization override grants its members; a user override takes it back from one.
    await PermissionOverride.create(
        organization_id=operator.organization_id, capability="site.legal.read", level="D"
    )
    await PermissionOverride.create(user=legal_one, capability="site.legal.read", level="never")
    try:
        assert await legal("operator") and not await legal("operator.legal")
        # Narrowing the site.read of one user: the département's sites beyond its area go.
        intervener = await User.get(email="intervener@demo.bidonvilles.example")
        await PermissionOverride.create(user=intervener, capability="site.read", level="A")
        token = await token_of(world, intervener.email)
        count = (await ask(http, token, "{ sites { totalCount } }"))["data"]["sites"]
        assert count["totalCount"] == await Site.filter(commune_scope_code="31555").count()
    finally:
        await (
            PermissionOverride.filter(capability__in=["site.legal.read", "site.read"])
            .exclude(organization_id=world.target_org)
            .delete()
        )


async def test_filters_on_gated_data_do_not_reveal_it(
    http: httpx.AsyncClient, world: World
) -> None:
    query = """{ legal: sites(filter: {hasLegalProcedure: true}) { totalCount }
                 boxed: sites(filter: {boundingBox: {south: -90, west: -180, north: 90, east: 180}})
                 { totalCount } }"""
    operator = await ask(http, await token_of(world, "operator@demo.bidonvilles.example"), query)
    assert operator["data"]["legal"]["totalCount"] == 0
    # A box finds the observer's sites where the observer sees them, at their commune's
    # centre: all of them for the whole world (test_map.py: never by their exact place).
    observer = await ask(
        http, await token_of(world, "external_observer@demo.bidonvilles.example"), query
    )
    assert (
        observer["data"]["boxed"]["totalCount"]
        == await Site.filter(departement_code="33", commune__latitude__isnull=False).count()
    )
    admin = await ask(http, await token_of(world, "national_admin@demo.bidonvilles.example"), query)
    assert (
        admin["data"]["legal"]["totalCount"] == await Site.filter(has_legal_procedure=True).count()
    )


async def test_history_leaves_out_changes_of_gated_data(
    http: httpx.AsyncClient, world: World
) -> None:
    site = await Site.filter(departement_code="31", has_legal_procedure=True).first()
    assert site is not None
    query = """query ($site: ID!) { site(id: $site) { history(first: 50) { nodes {
                 changes { field } } } } }"""

    async def fields(who: str) -> set[str]:
        token = await token_of(world, f"{who}@demo.bidonvilles.example")
        body = await ask(http, token, query, {"site": gid("Site", site.id)})
        nodes = body["data"]["site"]["history"]["nodes"]
        return {change["field"] for node in nodes for change in node["changes"]}

    admin, operator = await fields("national_admin"), await fields("operator")
    assert "justice_procedure" in admin or "owner_complaint" in admin
    assert not {"justice_procedure", "owner_complaint", "has_legal_procedure"} & operator
    assert operator and operator < admin


async def test_a_read_only_application_may_not_write_whatever_its_role(
    http: httpx.AsyncClient, world: World
) -> None:
    query = """{ me { role scopes
        permissions { capability level } } }"""
    token = world.issuer.mint("demo-association-app", "demo-association-app", "hub:read")
    me = (await ask(http, token, query))["data"]["me"]
    levels = {p["capability"]: p["level"] for p in me["permissions"]}
    assert me["role"] == "OPERATOR" and me["scopes"] == ["hub:read"]
    assert levels["SITE_UPDATE"] == "NEVER" and levels["SITE_READ"] == "DEPARTEMENT"
    full = (await ask(http, await token_of(world, "demo-association-app"), query))["data"]["me"]
    assert {p["capability"]: p["level"] for p in full["permissions"]}["SITE_UPDATE"] == "AREA"


async def test_own_grants_follow_attachment(http: httpx.AsyncClient, world: World) -> None:
    # The operator persona's role reads finances of the actions it operates only.
    operator = await User.get(email="operator@demo.bidonvilles.example")
    action = await Action.filter(departement_id="31", name="Action d31").first()
    assert action is not None
    query = "query ($id: ID!) { action(id: $id) { finances { year } } }"
    token = await token_of(world, operator.email)
    before = await ask(http, token, query, {"id": gid("Action", action.id)})
    assert before["data"]["action"]["finances"] is None and error_codes(before) == ["FORBIDDEN"]
    await action.operators.add(operator)
    try:
        after = await ask(http, token, query, {"id": gid("Action", action.id)})
        assert after["data"]["action"]["finances"] == [{"year": 2026}]
    finally:
        await action.operators.remove(operator)


async def _caller_with_area(world: World, name: str, level: LocationLevel, code: str) -> str:
    org = await Organization.create(
        name=f"Zone {name}", category=OrganizationCategory.ASSOCIATION,
        type=OrganizationType.ASSOCIATION,
    )  # fmt: skip
    await InterventionArea.create(organization=org, level=level, code=code)
    user = await User.create(
        organization=org, first_name="Zone", last_name=name, email=f"{name}@zone.example",
        role=Role.INTERVENER, status=UserStatus.ACTIVE,
    )  # fmt: skip
    return await token_of(world, user.email)


CAN = """query ($code: String!) { me {
  read: can(capability: SITE_READ, location: {level: COMMUNE, code: $code})
  write: can(capability: COMMENT_CREATE, location: {level: COMMUNE, code: $code}) } }"""


async def test_an_epci_area_reaches_every_departement_it_spans(
    http: httpx.AsyncClient, world: World
) -> None:
    spans: dict[str, set[str]] = {}
    for row in await Commune.all().distinct().values("epci_id", "departement_id"):
        if row["epci_id"]:
            spans.setdefault(row["epci_id"], set()).add(row["departement_id"])
    epci = min(code for code, departements in spans.items() if len(departements) > 1)
    token = await _caller_with_area(world, "epci", LocationLevel.EPCI, epci)
    count = (await ask(http, token, "{ sites { totalCount } }"))["data"]["sites"]["totalCount"]
    assert count == await Site.filter(departement_code__in=spans[epci]).count()
    for departement in spans[epci]:
        member = await Commune.filter(epci_id=epci, departement_id=departement).first()
        outsider = await Commune.filter(departement_id=departement).exclude(epci_id=epci).first()
        assert member and outsider
        inside = (await ask(http, token, CAN, {"code": member.code}))["data"]["me"]
        beyond = (await ask(http, token, CAN, {"code": outsider.code}))["data"]["me"]
        # Reads widen to each département; writes stay within the EPCI.
        assert inside == {"read": True, "write": True}
        assert beyond == {"read": True, "write": False}


async def test_arrondissements_count_as_their_city(http: httpx.AsyncClient, world: World) -> None:
    token = await _caller_with_area(world, "marseille1", LocationLevel.COMMUNE, "13201")
    for code, writes in [("13201", True), ("13055", True), ("13208", True), ("13001", False)]:
        answer = (await ask(http, token, CAN, {"code": code}))["data"]["me"]
        assert answer == {"read": True, "write": writes}, code


async def test_nested_lists_are_scoped_too(http: httpx.AsyncClient, world: World) -> None:
    operator = await User.get(email="operator@demo.bidonvilles.example")
    association = gid("Organization", operator.organization_id)
    query = """query ($org: ID!) {
      organization(id: $org) { ... on Organization {
        siteActors { totalCount } actions { totalCount } members { totalCount } } }
      gironde: territory(level: DEPARTEMENT, code: "33") {
        sites(statuses: [OPEN, RESORBED, CLOSED_BY_JUSTICE, CLOSED_BY_ADMINISTRATION,
                         CLOSED_OTHER, UNKNOWN]) { totalCount }
        actions { totalCount } }
      france: territory(level: NATION) { sites(statuses: [OPEN]) { totalCount } }
    }"""
    # The association also acts in Gironde and operates an action there: out of its scope.
    gironde_site = await Site.filter(departement_code="33").first()
    gironde_action = await Action.filter(departement_id="33").first()
    assert gironde_site and gironde_action
    await SiteActor.create(site=gironde_site, organization_id=operator.organization_id)
    await gironde_action.operators.add(operator)
    token = await token_of(world, operator.email)
    data = (await ask(http, token, query, {"org": association}))["data"]
    lists = data["organization"]
    everywhere = await SiteActor.filter(organization_id=operator.organization_id).count()
    assert lists["siteActors"]["totalCount"] < everywhere
    assert (
        lists["siteActors"]["totalCount"]
        == await SiteActor.filter(
            organization_id=operator.organization_id, site__departement_code="31"
        ).count()
    )
    assert (
        lists["actions"]["totalCount"]
        == await Action.filter(
            operators__organization_id=operator.organization_id, departement_id="31"
        )
        .distinct()
        .count()
    )
    assert (
        lists["members"]["totalCount"]
        == await User.filter(organization_id=operator.organization_id).count()
    )
    assert data["gironde"] == {"sites": {"totalCount": 0}, "actions": {"totalCount": 0}}
    assert (
        data["france"]["sites"]["totalCount"]
        == await Site.filter(departement_code="31", status=SiteStatus.OPEN).count()
    )
